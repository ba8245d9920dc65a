"""The registry of dataset families that roll out their own episodes (MoCap, StarCraft, Android).

Where it sits: datagen, between the recipes (datagen/recipes.py) and the family modules
(datagen/mocap.py, datagen/starcraft.py, datagen/android.py). A recipe asks `family_plan(recipe)`
for its family's pieces; the registry names each family's module by its dotted path and imports it
only when a recipe of that family is loaded, so neither recipes.py nor this module imports a family
(the family modules import recipes.py, never the other way round). Locomotion recipes need no entry:
their plans (PolicyPlan, ReplayPlan) live in recipes.py and the generic batched runner rolls them out.

A family module defines `family_plan(recipe) -> FamilyPlan`:
  episode_plan(recipe) -> EpisodePlan      which policy and env seed episode i gets
  rollout_shard(recipe, shard) -> [(policy index, Trajectory)]   the shard function of the runner
  spaces() -> (observation space, action space) or None   where the dataset's spaces are not an env's
To add a family: write its module with family_plan and add a line to FAMILY_MODULES.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

FAMILY_MODULES = {
    "mocap": "datagen.mocap",
    "starcraft": "datagen.starcraft",
    "android": "datagen.android",
}


@dataclass(frozen=True)
class FamilyPlan:
    """What a family that rolls out its own episodes gives the generator (see the module docstring)."""

    episode_plan: Callable[[Any], Any]
    rollout_shard: Callable[[Any, int], list]
    spaces: Callable[[], tuple] | None = None


def family_plan(recipe) -> FamilyPlan | None:
    """The registered family's FamilyPlan for `recipe`, or None for a family of the generic runner."""
    module_name = FAMILY_MODULES.get(recipe.family)
    if module_name is None:
        return None
    return importlib.import_module(module_name).family_plan(recipe)
