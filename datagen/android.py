"""Android datasets: episodes of the stub phone under the scripted expert, alone or mixed with random
UI actions.

Where it sits: datagen's Android family plan and shard function (datagen -> envsuite.android). The
local runner (datagen/runner.py) calls `rollout_android_shard` for recipes of family "android";
datagen/generate.py writes the episodes and the success metrics.

Episode i (from (recipe seed, i) alone): task number order[i mod N] of the env's task file, where
`order` is a permutation of the N tasks drawn from the recipe seed (so a small dataset already spans
the families); policy i mod P of the recipe's [[policies]]; the env reset with
env_episode_seed(seed, i) (start settings and clock). Each step the expert (envsuite.android.expert)
reads the UI tree; with the policy's `epsilon` probability, drawn from episode_rng(seed, i), a random
UI action (`random_ui_action`) is taken instead.

Stored per step: observations (screen losslessly, goal, the padded annotations), actions (AitW's
action_type, touch_yx, lift_yx, typed_text), rewards, terminals (success or a STATUS action),
timeouts (the horizon); infos: success, family, task_index, random_action (the step's action was
noise), and expert_action_type / expert_touch_yx / expert_lift_yx / expert_typed_text (what the
expert would have done: the label of imitation learning and of the action-matching metric).

Recipe keys: `[env_kwargs]` task_set (and render size); `[[policies]]` entries `kind = "android_expert"`
with `epsilon` in [0, 1) and a `name`.
"""

from __future__ import annotations

import numpy as np

from datagen.families import FamilyPlan
from datagen.recipes import EpisodePlan, Recipe, RecipeError, cached_env, env_episode_seed, episode_rng
from envsuite.policies.rollout import Trajectory, end_flags, stack


class AndroidPlan(EpisodePlan):
    """Episode i: a task from the seed's permutation of the task file, policy i mod P."""

    def __init__(self, recipe: Recipe):
        if not recipe.policies:
            raise RecipeError(f"{recipe.path}: an android recipe needs [[policies]] entries of kind 'android_expert'")
        for entry in recipe.policies:
            if entry.get("kind") != "android_expert":
                raise RecipeError(f"{recipe.path}: android policy kind must be 'android_expert', got {entry.get('kind')!r}")
            epsilon = entry.get("epsilon", 0.0)
            if not isinstance(epsilon, (int, float)) or not 0.0 <= epsilon < 1.0:
                raise RecipeError(f"{recipe.path}: epsilon must be a number in [0, 1), got {epsilon!r}")
        self.recipe = recipe
        self.entries = list(recipe.policies)
        self.policy_names = [entry.get("name", f"expert-eps{entry.get('epsilon', 0.0)}") for entry in self.entries]
        self.num_episodes = None

    def task_order(self, num_tasks: int) -> np.ndarray:
        return np.random.default_rng([self.recipe.seed, 5]).permutation(num_tasks)

    def episode(self, index):
        policy_index = index % len(self.entries)
        return policy_index, self.entries[policy_index], env_episode_seed(self.recipe.seed, index)

    def describe_policies(self):
        return [{"name": name, "type": "scripted UI-tree expert (envsuite.android.expert)", **entry}
                for name, entry in zip(self.policy_names, self.entries)]

    def dataset_attributes(self):
        """The instruction lines left out (a recipe with skip_unparsed = true), each with its reason:
        a dataset never lacks lines of its task file without saying so. A task file with such lines
        and no skip_unparsed fails before anything is generated (the env refuses it)."""
        env = cached_env(self.recipe)
        return {"skipped_instructions": [{"line": u.number, "text": u.text, "reason": u.reason}
                                         for u in env.unparsed_lines]}

    def episode_summary(self, trajectory, episode_return):
        """What the metrics need of an episode: its family, success, task, whether noise acted, and the
        actions beside the expert's labels with the screen's annotations (for action matching)."""
        infos, actions, observations = trajectory.infos, trajectory.actions, trajectory.observations
        return {"family": str(infos["family"][0]), "success": bool(infos["success"][-1]),
                "task": int(infos["task_index"][0]), "noisy": bool(infos["random_action"].any()),
                "actions": actions, "expert": {key: infos[f"expert_{key}"] for key in actions},
                "annotations": observations["annotation_positions"],
                "annotation_counts": (observations["annotation_types"] > 0).sum(axis=1)}

    def family_metrics(self, summaries):
        """Success rate over the complete episodes (overall, per task family, with and without random
        actions) and AitW action matching of the behaviour's actions against the expert's."""
        from envsuite.metrics.action_matching import action_matching_metrics

        if not summaries:
            return {}
        success = np.array([summary["success"] for summary in summaries])
        noisy = np.array([summary["noisy"] for summary in summaries])
        families = np.array([summary["family"] for summary in summaries])
        metrics = {"success_rate": float(success.mean()), "tasks": len({summary["task"] for summary in summaries})}
        for family in sorted(set(families)):
            metrics[f"success_rate_{family}"] = float(success[families == family].mean())
            metrics[f"episodes_{family}"] = int((families == family).sum())
        for label, chosen in (("with_random_actions", noisy), ("without_random_actions", ~noisy)):
            if chosen.any():
                metrics[f"success_rate_{label}"] = float(success[chosen].mean())
        def column(part, key):
            return np.concatenate([summary[part][key] for summary in summaries])
        matching = action_matching_metrics(
            column("actions", "action_type"), column("actions", "touch_yx"), column("actions", "lift_yx"),
            column("actions", "typed_text"), column("expert", "action_type"), column("expert", "touch_yx"),
            column("expert", "lift_yx"), column("expert", "typed_text"),
            np.concatenate([summary["annotations"] for summary in summaries]),
            np.concatenate([summary["annotation_counts"] for summary in summaries]))
        metrics.update({f"expert_{key}": value for key, value in matching.items()})
        return metrics


def rollout_android_shard(recipe: Recipe, shard_index: int) -> list[tuple[int, Trajectory]]:
    """The episodes of one shard, in order, as (policy index, trajectory with infos)."""
    from envsuite.android.expert import Expert, run_episode

    env = cached_env(recipe)
    plan = AndroidPlan(recipe)
    expert = Expert(env.device.apps)
    order = plan.task_order(len(env.tasks))
    first = shard_index * recipe.episodes_per_shard
    episodes = []
    for index in range(first, first + recipe.episodes_per_shard):
        policy_index, entry, env_seed = plan.episode(index)
        task_index = int(order[index % len(order)])
        result = run_episode(env, expert, seed=env_seed, task_index=task_index, rng=episode_rng(recipe.seed, index),
                             epsilon=float(entry.get("epsilon", 0.0)))
        length = len(result["rewards"])
        terminals, timeouts = end_flags(length, result["terminated"])
        episodes.append((policy_index, Trajectory(
            observations=stack(result["observations"]), actions=stack(result["actions"]),
            rewards=np.asarray(result["rewards"], dtype=np.float64), terminals=terminals, timeouts=timeouts,
            final_observation=result["final_observation"], seed=env_seed,
            infos={"success": np.asarray(result["successes"], dtype=bool),
                   "family": np.full(length, env.task.family, dtype=object),
                   "task_index": np.full(length, task_index, dtype=np.int64),
                   "random_action": np.asarray(result["random"], dtype=bool),
                   **{f"expert_{key}": value for key, value in stack(result["expert_actions"]).items()}})))
    return episodes


def evaluate_expert(task_set: str, *, epsilon: float = 0.0, seed: int = 0, render_width: int = 540,
                    render_height: int = 1200, progress: bool = True, split: str | None = None) -> dict:
    """One episode of the expert (with random UI actions at rate epsilon) per task of a task set (a name
    or an instruction file), in file order; returns successes per family and env steps per second
    (rendering included). A line that does not parse counts as a failed episode (family "unparsed"),
    and the result lists those lines with their reasons."""
    import time

    from tqdm import tqdm

    from envsuite.android.env import AndroidStubEnv, task_file
    from envsuite.android.expert import Expert, run_episode

    env = AndroidStubEnv(task_set, render_width=render_width, render_height=render_height, split=split,
                         skip_unparsed=True)
    expert = Expert(env.device.apps)
    families: dict[str, list[bool]] = {}
    steps = 0
    begin = time.perf_counter()
    for index in tqdm(range(len(env.tasks)), desc=task_set, unit="task", disable=not progress, leave=False):
        result = run_episode(env, expert, seed=env_episode_seed(seed, index), task_index=index,
                             rng=episode_rng(seed, index), epsilon=epsilon)
        steps += len(result["rewards"])
        families.setdefault(env.task.family, []).append(bool(result["info"]["success"]))
    seconds = time.perf_counter() - begin
    if env.unparsed_lines:
        families["unparsed"] = [False] * len(env.unparsed_lines)
    solved = sum(sum(successes) for successes in families.values())
    return {"families": families, "episodes": len(env.tasks) + len(env.unparsed_lines), "solved": int(solved),
            "steps": steps, "steps_per_second": steps / seconds,
            "file": str(task_file(task_set).name) + (f" ({split} split)" if split else ""),
            "unparsed": [{"line": u.number, "text": u.text, "reason": u.reason} for u in env.unparsed_lines]}


def family_plan(recipe: Recipe) -> FamilyPlan:
    """This family's entry in the registry (datagen/families.py)."""
    return FamilyPlan(episode_plan=AndroidPlan, rollout_shard=rollout_android_shard)
