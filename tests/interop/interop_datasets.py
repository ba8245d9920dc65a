"""Small datasets for the interop tests (converters, cards, videos): a recipe cut to `steps` steps,
with 4 episodes per shard and optional env arguments (e.g. a small Android screen)."""

import dataclasses

from datagen.generate import generate
from datagen.recipes import load_recipe


def small(dataset_id, steps, out, **env_kwargs):
    recipe = load_recipe(dataset_id)
    recipe = dataclasses.replace(recipe, episodes_per_shard=4, env_kwargs={**recipe.env_kwargs, **env_kwargs})
    return generate(recipe, str(steps), out=out, progress=False)
