"""`envsuite-datagen generate`: recipe -> runner -> DatasetWriter, with a size budget and metrics.

The dataset is the first `size` steps of the recipe's episode stream (episode 0, 1, 2, ...); the
episode that crosses the budget is cut there and marked `timeouts=True`, its final_observation being
the observation after the last kept step (so next_observations stay exact).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from datagen.recipes import Recipe
from datagen.runner import LocalRunner
from envsuite import paths
from envsuite.data.nested import map_structure
from envsuite.policies.rollout import Trajectory


def cut_trajectory(trajectory: Trajectory, steps: int) -> Trajectory:
    """The first `steps` steps of an episode, ending in a timeout (a size-budget cut)."""
    timeouts = np.zeros(steps, dtype=bool)
    timeouts[-1] = True
    return Trajectory(
        observations=map_structure(lambda leaf: leaf[:steps], trajectory.observations),
        actions=map_structure(lambda leaf: leaf[:steps], trajectory.actions),
        rewards=trajectory.rewards[:steps],
        terminals=np.zeros(steps, dtype=bool),
        timeouts=timeouts,
        final_observation=map_structure(lambda leaf: leaf[steps], trajectory.observations),
        seed=trajectory.seed,
        infos=None if trajectory.infos is None else map_structure(lambda leaf: leaf[:steps], trajectory.infos),
    )


def _cast_observation(value, dtype):
    """Float leaves to the recipe's observation dtype (D4RL stores float32); others unchanged."""
    if dtype is None:
        return value
    return map_structure(lambda leaf: leaf.astype(dtype) if np.asarray(leaf).dtype.kind == "f" else leaf, value)


def generate(recipe: Recipe, size: str = "small", *, out: str | Path | None = None, workers: int = 1,
             seed: int | None = None, overwrite: bool = False, progress: bool = True) -> Path:
    """Generate the dataset of `recipe` at `size` ("small"/"full" or a step count); returns its path."""
    import dataclasses

    import envsuite  # noqa: F401
    from envsuite.data import DatasetWriter
    from datagen.metrics import summary_metrics

    if seed is not None:
        recipe = dataclasses.replace(recipe, seed=int(seed))
    budget = recipe.sizes[size] if size in recipe.sizes else int(size)
    if budget <= 0:
        raise ValueError(f"size must be 'small', 'full' or a positive step count, got {size!r}")
    recipe = dataclasses.replace(recipe, budget_steps=budget)
    final_path = paths.dataset_path(recipe.dataset_id, out)
    if final_path.exists() and not overwrite:
        _check_existing(final_path, budget, recipe.seed)
        return final_path

    # The runner starts its worker processes now, so they import while this process sets up.
    runner = LocalRunner(recipe, final_path, workers=workers)
    try:
        observation_space, action_space, env_spec = recipe.spaces()
        plan = recipe.episode_plan(action_space)
        entry = _registry_entry(recipe.dataset_id)
        recipe_json = dict(recipe.to_json(), size=size, budget_steps=budget, seed=recipe.seed)
        extra_attrs = {"policy_descriptions": _json(plan.describe_policies())}
        extra_attrs.update({key: _json(value) for key, value in plan.dataset_attributes().items()})

        written = 0
        episode_returns = []
        summaries = []  # what the family's metrics need of each episode (EpisodePlan.episode_summary)
        last_episode_cut = False
        with DatasetWriter(
            final_path, dataset_id=recipe.dataset_id, env_id=entry.env_id if entry else recipe.env_id,
            family=recipe.family, observation_space=observation_space, action_space=action_space,
            env_spec={"gymnasium_spec": env_spec, "base_env_id": recipe.env_id}, recipe=recipe_json,
            policies=plan.policy_names, ref_min_score=entry.ref_min_score if entry else None,
            ref_max_score=entry.ref_max_score if entry else None, overwrite=overwrite,
            extra_attrs=extra_attrs,
        ) as writer:
            bar = tqdm(total=budget, unit="step", desc=recipe.dataset_id, disable=not progress, leave=False)
            for policy_index, trajectory in runner.episodes():
                if written + len(trajectory) > budget:
                    trajectory = cut_trajectory(trajectory, budget - written)
                    last_episode_cut = True
                writer.add_episode(
                    _cast_observation(trajectory.observations, recipe.observation_dtype),
                    trajectory.actions,
                    trajectory.rewards.astype(np.float32),
                    trajectory.terminals,
                    trajectory.timeouts,
                    final_observation=_cast_observation(trajectory.final_observation, recipe.observation_dtype),
                    seed=trajectory.seed,
                    policy=policy_index,
                    infos=trajectory.infos,
                )
                written += len(trajectory)
                episode_returns.append(float(np.sum(trajectory.rewards.astype(np.float32), dtype=np.float64)))
                summaries.append(plan.episode_summary(trajectory, episode_returns[-1]))
                bar.update(len(trajectory))
                if written >= budget:
                    break
            bar.close()
            # A budget-cut last episode is data, but its return is not an episode return: leave it out
            # of the return statistics (and say so in the metrics).
            complete_returns = np.asarray(episode_returns[:-1] if last_episode_cut else episode_returns)
            metrics = summary_metrics(complete_returns, entry)
            metrics["last_episode_cut_by_size"] = last_episode_cut
            metrics.update(plan.family_metrics(summaries[:-1] if last_episode_cut else summaries))
            path = writer.finalize(metrics=metrics)
    finally:
        runner.close()
    runner.remove_shards()
    return path


def _check_existing(path: Path, budget: int, seed: int) -> None:
    """An existing dataset is reused only if it was made with the same size and seed."""
    from envsuite.data import load_dataset

    with load_dataset(path) as existing:
        recipe = existing.recipe or {}
        made_budget, made_seed = recipe.get("budget_steps"), recipe.get("seed")
    if made_budget != budget or made_seed != seed:
        raise FileExistsError(
            f"{path} exists with {made_budget} steps and seed {made_seed}, not the {budget} steps and seed {seed} "
            f"asked for; add --overwrite to regenerate it, or --out DIR to write elsewhere"
        )


def _registry_entry(dataset_id):
    from envsuite import registry

    try:
        return registry.dataset_entry(dataset_id)
    except KeyError:
        return None


def _json(value):
    import json

    return json.dumps(value, sort_keys=True)
