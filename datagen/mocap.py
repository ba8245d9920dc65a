"""MoCap datasets, as MoCapAct rolls out its clip experts: from snippet starts and from random starts.

Where it sits: datagen's MoCap family plan and shard function (datagen -> envsuite.mocap). The local
runner (datagen/runner.py) calls `rollout_mocap_shard` for recipes of family "mocap"; the result is
written by datagen/generate.py like any other shard.

Episode i of a recipe, from (recipe seed, i) alone:
- snippet: (i // 2) mod the number of snippets the env tracks;
- start: the snippet's first step when i is even (MoCapAct's "start" rollouts), otherwise a step
  drawn uniformly from the task's possible starts in that snippet (its random-start rollouts);
- behaviour: the tracking expert (envsuite.mocap.expert.TrackingMPC), whose planner draws from the
  episode's own stream, or the multi-clip student (envsuite.mocap.multiclip, deterministic); the
  executed action is clip(mean + action_noise * N(0, 1), -1, 1) (MoCapAct's act_noise, 0.1 in its
  datasets). Both actions and mean actions are recorded.
- expert labels (student recipes with label_every = k > 0): in every k-th episode (0, k, 2k, ...)
  the expert plans alongside the student from the states the student reaches (DAgger's relabelling,
  its own stream labeller_rng) and its mean actions are stored as `expert_mean_actions`; the other
  episodes' rows of that column are NaN. The labeller only reads the env, so an episode's actions
  and observations are the same whether it is labelled or not.

Per-step infos: mean_actions, snippet_id, random_start, start_step, time_step (clip step after the
action), time_in_clip, start_time_in_clip, last_time_in_clip (MoCapAct's info keys, from which its normalized
episode length is computed: envsuite.metrics.mocap), and expert_mean_actions in labelled student data.

Recipe keys of the family: `env_kwargs` (the env's snippets, ref_steps, ...) and one policy entry:
  kind = "tracking_mpc", action_noise, any TrackingMPC argument under [policies.planner]; or
  kind = "multiclip", asset = "mocap/multiclip_policy.npz", action_noise, label_every, and the
  labelling expert's TrackingMPC arguments under [policies.planner].
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from datagen.families import FamilyPlan
from datagen.recipes import EpisodePlan, Recipe, RecipeError, cached_env, env_episode_seed, episode_rng
from envsuite.policies.rollout import Trajectory, end_flags

_START_KINDS = ("snippet-start", "random-start")
POLICY_KINDS = ("tracking_mpc", "multiclip")


def episode_start_kind(index: int) -> str:
    return _START_KINDS[index % 2]


class MocapPlan(EpisodePlan):
    """The recipe's one behaviour policy (the tracking expert or the multi-clip student), run from
    alternating snippet starts and random starts."""

    def __init__(self, recipe: Recipe):
        from envsuite.mocap.expert import TrackingMPC

        if len(recipe.policies) != 1 or recipe.policies[0].get("kind") not in POLICY_KINDS:
            raise RecipeError(f"{recipe.path}: a mocap recipe has one [[policies]] entry with kind = one of "
                              f"{', '.join(repr(k) for k in POLICY_KINDS)}")
        entry = recipe.policies[0]
        self.recipe = recipe
        self.action_noise = float(entry.get("action_noise", 0.0))
        if not 0.0 <= self.action_noise < 1.0:
            raise RecipeError(f"{recipe.path}: action_noise must be in [0, 1), got {self.action_noise}")
        try:
            planner = TrackingMPC(**dict(entry.get("planner", {})))
        except TypeError as error:
            raise RecipeError(f"{recipe.path}: bad [policies.planner] entry ({error})") from None
        self.label_every = 0
        if entry["kind"] == "tracking_mpc":
            self.behaviour, self.labeller = planner, None
            self.name = entry.get("name", "tracking-mpc")
        else:
            self.behaviour, self.labeller = self._student(entry), planner
            self.name = entry.get("name", "multiclip")
            self.label_every = entry.get("label_every", 0)
            if not isinstance(self.label_every, int) or self.label_every < 0:
                raise RecipeError(f"{recipe.path}: label_every must be an integer >= 0 (0: no expert labels; k: "
                                  f"the expert labels every k-th episode), got {self.label_every!r}")
        self.policy_names = [self.name]
        self.num_episodes = None

    def _student(self, entry):
        from envsuite import paths
        from envsuite.mocap.multiclip import POLICY_ASSET, multiclip_policy

        asset = entry.get("asset")
        if asset is None:  # named in the recipe, so that its sha256 enters the content key
            raise RecipeError(f"{self.recipe.path}: a multiclip policy needs asset = '{'/'.join(POLICY_ASSET)}' "
                              "(its weights file is part of the dataset's content key)")
        student = multiclip_policy(paths.asset_path(*asset.split("/")))
        observation_dim = cached_env(self.recipe).observation_space.shape[0]
        if student.obs_dim != observation_dim:
            raise RecipeError(f"{self.recipe.path}: the policy {asset} takes observations of {student.obs_dim} "
                              f"values but the env gives {observation_dim}: set the env's ref_steps to the ones "
                              "the policy was trained with (the datasets' [1, 2, 3, 4, 5])")
        return student

    def labelled(self, index: int) -> bool:
        """Whether the expert labels episode `index` (every label_every-th episode, from episode 0)."""
        return self.labeller is not None and self.label_every > 0 and index % self.label_every == 0

    def episode(self, index):
        return 0, self.behaviour, env_episode_seed(self.recipe.seed, index)

    def describe_policies(self):
        if self.labeller is None:
            return [{"name": self.name, "type": "TrackingMPC", "action_noise": self.action_noise, **self.behaviour.info}]
        return [{**self.behaviour.describe(), "name": self.name, "action_noise": self.action_noise,
                 "asset": self.recipe.policies[0]["asset"], "label_every": self.label_every,
                 "labeller": {"type": "TrackingMPC", **self.labeller.info}}]

    def dataset_attributes(self):
        """MoCapAct's dataset-level fields: observable_indices ({name: [start, stop)}), ref_steps, snippets."""
        env = cached_env(self.recipe)
        return {
            "observable_indices": {name: [int(columns[0]), int(columns[-1]) + 1]
                                   for name, columns in env.observable_indices.items()},
            "ref_steps": [int(step) for step in env.ref_steps],
            "snippets": [reference.snippet.id for reference in env.references],
            "actuator_names": list(env.actuator_names),
        }

    def episode_summary(self, trajectory, episode_return):
        """(normalized length, normalized return, random start) from the episode's infos."""
        from envsuite.metrics.mocap import normalized_episode_lengths, normalized_returns

        infos = trajectory.infos
        length = normalized_episode_lengths(infos["time_in_clip"][-1:], infos["start_time_in_clip"][:1],
                                            infos["last_time_in_clip"][:1])
        norm_return = normalized_returns([episode_return], [len(trajectory)], length)
        return float(length[0]), float(norm_return[0]), bool(infos["random_start"][0])

    def family_metrics(self, summaries):
        """MoCapAct's metrics over the complete episodes: all, snippet starts ("start") and random starts ("rsi")."""
        metrics: dict = {}
        if not summaries:
            return metrics
        lengths, returns, random = (np.asarray(column) for column in zip(*summaries))
        for label, chosen in (("", np.ones(len(lengths), dtype=bool)), ("start_", ~random), ("rsi_", random)):
            if chosen.any():
                metrics[f"{label}normalized_episode_length_mean"] = float(lengths[chosen].mean())
                metrics[f"{label}normalized_return_mean"] = float(returns[chosen].mean())
                metrics[f"{label}episodes"] = int(chosen.sum())
        return metrics


def episode_options(env, recipe_seed: int, index: int) -> dict:
    """The reset options of episode `index`: its snippet and start step (see the module docstring)."""
    snippet = (index // 2) % len(env.references)
    if episode_start_kind(index) == "snippet-start":
        return {"snippet": snippet, "start_step": env.references[snippet].snippet.start_step}
    steps = env.random_start_steps(snippet)
    if not steps:  # too short for a random start: dm_control's task would never start it elsewhere either
        return {"snippet": snippet, "start_step": env.references[snippet].snippet.start_step}
    chosen = np.random.default_rng([recipe_seed, index, 3]).integers(len(steps))
    return {"snippet": snippet, "start_step": int(steps[chosen])}


def labeller_rng(recipe_seed: int, index: int) -> np.random.Generator:
    """The labelling expert's own stream in episode `index` (the behaviour's is episode_rng)."""
    return np.random.default_rng([recipe_seed, index, 5])


def rollout_mocap_shard(recipe: Recipe, shard_index: int) -> list[tuple[int, Trajectory]]:
    """The episodes of one shard, in order, as (policy index, trajectory with infos)."""
    from envsuite.mocap.expert import run_episode

    env = cached_env(recipe)
    plan = MocapPlan(recipe)
    first = shard_index * recipe.episodes_per_shard
    episodes = []
    for index in range(first, first + recipe.episodes_per_shard):
        policy_index, behaviour, env_seed = plan.episode(index)
        labelled = plan.labelled(index)
        result = run_episode(env, behaviour, episode_rng(recipe.seed, index), action_noise=plan.action_noise,
                             labeller=plan.labeller if labelled else None,
                             labeller_rng=labeller_rng(recipe.seed, index) if labelled else None,
                             seed=env_seed, options=episode_options(env, recipe.seed, index))
        length = len(result["rewards"])
        terminals, timeouts = end_flags(length, result["terminated"])
        infos = dict(result["infos"], mean_actions=result["mean_actions"],
                     snippet_id=np.full(length, result["snippet_id"]),
                     random_start=np.full(length, episode_start_kind(index) == "random-start"))
        if plan.label_every > 0:  # every episode has the column, so the dataset has one shape
            infos["expert_mean_actions"] = result.get("expert_mean_actions",
                                                      np.full_like(result["mean_actions"], np.nan))
        episodes.append((policy_index, Trajectory(
            observations=result["observations"], actions=result["actions"], rewards=result["rewards"],
            terminals=terminals, timeouts=timeouts, final_observation=result["final_observation"], seed=env_seed,
            infos=infos)))
    return episodes


_evaluation_envs: dict[str, Any] = {}


def _evaluate_episodes(job) -> list[dict]:
    """Episodes `indices` of a tracking evaluation, in one process (its env made once per process)."""
    import time

    from envsuite.mocap.expert import TrackingMPC, run_episode
    from envsuite.mocap.tracking import CMUHumanoidTrackingEnv

    env_kwargs, planner, action_noise, seed, indices = job
    key = json.dumps(env_kwargs, sort_keys=True)
    if key not in _evaluation_envs:
        _evaluation_envs.clear()
        _evaluation_envs[key] = CMUHumanoidTrackingEnv(**env_kwargs)
    env = _evaluation_envs[key]
    expert = TrackingMPC(**planner)
    rows = []
    for index in indices:
        begin = time.perf_counter()
        result = run_episode(env, expert, episode_rng(seed, index), action_noise=action_noise,
                             seed=env_episode_seed(seed, index), options=episode_options(env, seed, index))
        rows.append({"index": index, "snippet_id": result["snippet_id"],
                     "random_start": episode_start_kind(index) == "random-start",
                     "normalized_episode_length": result["metrics"]["normalized_episode_length"],
                     "normalized_return": result["metrics"]["normalized_return"],
                     "steps": len(result["rewards"]), "seconds": time.perf_counter() - begin})
    return rows


class ResumeFileError(ValueError):
    """An evaluate-tracking resume file that belongs to another evaluation or is not one."""


def _resumed_rows(path, run: dict):
    """The episodes already in a resume file of this run, and the file open for appending (written with
    the run's options as its first line when new)."""
    path = Path(path)
    header = {"evaluate_tracking": run}
    rows = []
    if path.is_file() and path.stat().st_size:
        lines = path.read_bytes().splitlines(keepends=True)
        try:
            first = json.loads(lines[0])
        except ValueError:
            first = None
        if first != json.loads(json.dumps(header)):
            raise ResumeFileError(f"{path} holds an evaluation with other options ({lines[0][:300]!r}); give "
                                  "another --resume file or delete this one")
        kept = len(lines[0])  # bytes of whole lines
        for number, line in enumerate(lines[1:], start=2):
            if not line.endswith(b"\n"):
                break  # the half-written last line of a killed run: that episode runs again
            try:
                row = json.loads(line)
            except ValueError:
                raise ResumeFileError(f"{path} line {number} is not JSON: {line[:100]!r}") from None
            if not isinstance(row, dict) or not 0 <= row.get("index", -1) < run["episodes"]:
                raise ResumeFileError(f"{path} line {number} is not an episode of this evaluation: {line[:100]!r}")
            rows.append(row)
            kept += len(line)
        rows = list({row["index"]: row for row in rows}.values())
        keep = path.open("r+")
        keep.truncate(kept)
        keep.seek(kept)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        keep = path.open("w")
        keep.write(json.dumps(header) + "\n")
        keep.flush()
    return rows, keep


def evaluate_tracking(snippets: list[str] | None = None, episodes: int = 1, *, clips=None, action_noise: float = 0.0,
                      seed: int = 0, planner: dict | None = None, workers: int = 1,
                      progress: bool = True, resume=None) -> dict[str, Any]:
    """Roll out the tracking expert `episodes` times per snippet from its start and from random starts
    (the episode definition of the datasets, with this seed), on `snippets` of the committed clip file
    or on `clips` of the shipped MoCap library (a subset name or clip ids, tracked snippet by snippet).

    workers > 1 spreads the episodes over processes (each planner then runs on one thread unless
    `planner` says otherwise); the result does not depend on the worker count. Returns per-episode
    arrays (normalized lengths and returns, snippet ids, start kinds, steps) in episode order, and the
    planner's seconds per control step (env step included), measured inside the episodes.

    resume: a JSON-lines file that keeps every finished episode as it ends (a whole library takes hours
    here): a run given the same file and the same options rolls out only the episodes missing from it,
    so an evaluation can be filled over several sittings; a file of other options is refused.
    """
    import multiprocessing

    from tqdm import tqdm

    from envsuite.mocap.tracking import CMUHumanoidTrackingEnv

    if (snippets is None) == (clips is None):
        raise ValueError("evaluate_tracking needs exactly one of snippets (of the committed clip file) and clips (of the library)")
    env_kwargs = {"snippets": list(snippets)} if clips is None else {"clips": clips}
    from envsuite.mocap.expert import TrackingMPC

    planner = dict(planner or {})
    if workers > 1:
        planner.setdefault("threads", 1)
    TrackingMPC(**planner)  # bad planner options fail here, before any worker starts
    count = 2 * episodes * len(CMUHumanoidTrackingEnv(**env_kwargs).references)
    # the planner's thread count does not change the episodes, so a run may resume on other workers
    run = {"env": env_kwargs, "planner": {k: v for k, v in planner.items() if k != "threads"},
           "action_noise": action_noise, "seed": seed, "episodes": count}
    rows, keep = _resumed_rows(resume, run) if resume is not None else ([], None)
    done_indices = {row["index"] for row in rows}
    todo = [index for index in range(count) if index not in done_indices]
    chunks = [todo[first:first + 2] for first in range(0, len(todo), 2)]
    jobs = [(env_kwargs, planner, action_noise, seed, chunk) for chunk in chunks]
    bar = tqdm(total=count, initial=len(rows), unit="episode", desc="evaluate-tracking", disable=not progress,
               leave=False)

    def finished(done):
        rows.extend(done)
        bar.update(len(done))
        if keep is not None:
            keep.write("".join(json.dumps(row) + "\n" for row in done))
            keep.flush()

    try:
        if workers > 1 and jobs:
            import os

            from datagen.runner import worker_init  # one BLAS thread; the workers end with this process

            with multiprocessing.get_context("spawn").Pool(workers, worker_init, (os.getpid(),)) as pool:
                for done in pool.imap_unordered(_evaluate_episodes, jobs):
                    finished(done)
        else:
            for job in jobs:
                finished(_evaluate_episodes(job))
    finally:
        bar.close()
        if keep is not None:
            keep.close()
    rows.sort(key=lambda row: row["index"])
    steps = sum(row["steps"] for row in rows)
    return {"normalized_episode_length": np.asarray([r["normalized_episode_length"] for r in rows]),
            "normalized_return": np.asarray([r["normalized_return"] for r in rows]),
            "random_start": np.asarray([r["random_start"] for r in rows]),
            "snippet_id": [r["snippet_id"] for r in rows], "episode_steps": np.asarray([r["steps"] for r in rows]),
            "steps": steps, "seconds_per_step": sum(r["seconds"] for r in rows) / max(steps, 1),
            "planner": dict(planner)}


def family_plan(recipe: Recipe) -> FamilyPlan:
    """This family's entry in the registry (datagen/families.py)."""
    return FamilyPlan(episode_plan=MocapPlan, rollout_shard=rollout_mocap_shard)
