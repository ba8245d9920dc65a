"""The common API every envsuite env shares (DESIGN.md section 2).

Sits under the families: `envsuite.locomotion`, `envsuite.mocap`, ... import it; it imports only
`envsuite.paths` and, lazily, `envsuite.data` / `envsuite.metrics`.

- `validate_box_action`: bad actions (NaN/inf, wrong shape, wrong dtype) raise a ValueError that
  names the env and the space, instead of being silently fed to the physics.
- `DatasetEnvMixin`: D4RL-style `get_dataset()` / `get_normalized_score()` for env ids that carry
  a dataset (`envsuite/<env>-<kind>-vN`).
- `DatasetAccess`: the outermost wrapper of those ids (registered as their `additional_wrappers`),
  so that `gymnasium.make("envsuite/hopper-medium-v0").get_dataset()` works as in D4RL: gymnasium
  1.x wrappers (TimeLimit, OrderEnforcing, PassiveEnvChecker) no longer forward unknown attributes.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces


def validate_box_action(env_name: str, space: spaces.Box, action: Any) -> np.ndarray:
    """Return `action` as a float array of the space's shape, or raise ValueError.

    Accepted: any floating dtype (float32 and float64 both arrive from common agents). Rejected:
    integer/bool/object dtypes (an integer action is almost always a discrete-action bug), a
    shape other than the space's, and non-finite values. In-dtype out-of-bounds values are not an
    error: they are passed on as the env documents (MuJoCo clamps to ctrlrange).
    """
    array = np.asarray(action)
    if array.dtype.kind != "f":
        raise ValueError(
            f"{env_name}: action has dtype {array.dtype}, but the action space {space} takes floats; "
            f"cast it with np.asarray(action, dtype=np.float32)."
        )
    if array.shape != space.shape:
        raise ValueError(
            f"{env_name}: action has shape {array.shape}, but the action space {space} takes shape {space.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{env_name}: action {array!r} contains NaN or inf; the action space is {space}.")
    return array


class DatasetEnvMixin:
    """Gives an env the D4RL offline API for the dataset its id carries.

    The registry passes `dataset_id`, `ref_min_score` and `ref_max_score` as constructor kwargs for
    ids like `envsuite/hopper-medium-v0`; plain ids (`envsuite/Hopper-v0`) get None and the methods
    explain that no dataset is attached.
    """

    dataset_id: str | None = None
    ref_min_score: float | None = None
    ref_max_score: float | None = None

    def _init_dataset(self, dataset_id: str | None, ref_min_score: float | None, ref_max_score: float | None):
        self.dataset_id = dataset_id
        self.ref_min_score = ref_min_score
        self.ref_max_score = ref_max_score

    def _env_name(self) -> str:
        spec = getattr(self, "spec", None)
        return spec.id if spec is not None else type(self).__name__

    def get_dataset(self, *, in_memory: bool = True, root=None):
        """Load this env's dataset (an `envsuite.data.Dataset`); raises with the generate command if absent."""
        if self.dataset_id is None:
            raise ValueError(
                f"{self._env_name()} carries no dataset; use a dataset id such as "
                f"'envsuite/hopper-medium-v0' (see envsuite.catalog())."
            )
        from envsuite.data import load_dataset

        return load_dataset(self.dataset_id, in_memory=in_memory, root=root)

    def get_normalized_score(self, episode_return):
        """D4RL normalized score (R - ref_min) / (ref_max - ref_min), a fraction (x100 for papers)."""
        if self.ref_min_score is None or self.ref_max_score is None or not (
            math.isfinite(self.ref_min_score) and math.isfinite(self.ref_max_score)
        ):
            raise ValueError(
                f"{self._env_name()} has no reference scores; they are stored in assets/ by "
                f"`envsuite-datagen train-policy` (see README)."
            )
        from envsuite.metrics import normalized_score

        return normalized_score(episode_return, self.ref_min_score, self.ref_max_score)


class DatasetAccess(gymnasium.Wrapper, gymnasium.utils.RecordConstructorArgs):
    """D4RL's offline API on the env `gymnasium.make` returns for a dataset-carrying id.

    The registry adds it (as a `WrapperSpec` in `additional_wrappers`) outside gymnasium's own
    wrappers, so `env.get_dataset()`, `env.get_normalized_score(R)`, `env.dataset_id`,
    `env.ref_min_score` and `env.ref_max_score` reach the `DatasetEnvMixin` env inside, as they do
    in D4RL. It changes nothing else: reset, step, spaces and render are the inner env's.
    `env.spec` records it, so `gymnasium.make(env.spec)` rebuilds the same stack.
    """

    def __init__(self, env: gymnasium.Env):
        gymnasium.utils.RecordConstructorArgs.__init__(self)
        gymnasium.Wrapper.__init__(self, env)

    def get_dataset(self, *, in_memory: bool = True, root=None):
        """The inner env's `get_dataset` (an `envsuite.data.Dataset`, a mapping of D4RL's keys)."""
        return self.env.get_wrapper_attr("get_dataset")(in_memory=in_memory, root=root)

    def get_normalized_score(self, episode_return):
        """The inner env's `get_normalized_score` (D4RL's, a fraction: x100 for papers)."""
        return self.env.get_wrapper_attr("get_normalized_score")(episode_return)

    @property
    def dataset_id(self) -> str | None:
        return self.env.get_wrapper_attr("dataset_id")

    @property
    def ref_min_score(self) -> float | None:
        return self.env.get_wrapper_attr("ref_min_score")

    @property
    def ref_max_score(self) -> float | None:
        return self.env.get_wrapper_attr("ref_max_score")
