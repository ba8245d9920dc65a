"""Roll a batch of envs forward in lockstep with one batched policy call per step.

Used by datagen's runner (dataset generation) and by the locomotion ARS trainer. The envs are a
"stepper": a list of gymnasium envs (EnvListStepper) or a family's batched engine (e.g.
envsuite.locomotion.batched.LocomotionStepper). Each env runs exactly one episode from a seeded
reset; rows leave the batch as their episodes end, so the policy sees only live rows.
Observations may be arrays or (nested) dicts of arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from envsuite.data.nested import map_structure


@dataclass
class Trajectory:
    """One recorded episode, in dataset format v1 terms (DESIGN.md section 3)."""

    observations: Any  # (T, *obs) array or dict of such
    actions: Any  # (T, *act)
    rewards: np.ndarray  # (T,) float64 as the env returned them
    terminals: np.ndarray  # (T,) bool
    timeouts: np.ndarray  # (T,) bool
    final_observation: Any  # observation after the last step
    seed: int
    infos: dict[str, Any] | None = None  # optional per-step extras (T, ...), stored under infos/ in a dataset

    def __len__(self) -> int:
        return len(self.rewards)

    @property
    def episode_return(self) -> float:
        return float(np.sum(self.rewards, dtype=np.float64))


def end_flags(length: int, terminated: bool) -> tuple[np.ndarray, np.ndarray]:
    """(terminals, timeouts) of an episode of `length` steps: only the last step ends it, as a true
    termination or, otherwise, a truncation."""
    terminals = np.zeros(length, dtype=bool)
    timeouts = np.zeros(length, dtype=bool)
    terminals[-1], timeouts[-1] = terminated, not terminated
    return terminals, timeouts


def stack(items: list) -> Any:
    """Stack a list of observations (arrays or nested dicts / tuples of arrays) along a new leading axis."""
    first = items[0]
    if isinstance(first, dict):
        return {key: stack([item[key] for item in items]) for key in first}
    if isinstance(first, tuple):
        return tuple(stack([item[index] for item in items]) for index in range(len(first)))
    if isinstance(first, str):  # text (object dtype: episodes of different text lengths concatenate)
        return np.array(items, dtype=object)
    return np.stack([np.asarray(item) for item in items])


class EnvListStepper:
    """Steps a list of gymnasium envs (made by `gymnasium.make`, so TimeLimit gives `truncated`).

    The stepper protocol `rollout_batch` drives: `num_envs`, `action_space` (of one env),
    `reset(ids, seeds) -> observations of ids (stacked)` and
    `step(ids, actions) -> (observations, rewards, terminated, truncated)` of ids.
    envsuite.locomotion.batched.LocomotionStepper implements the same on the batched engine.
    """

    def __init__(self, envs: list):
        self.envs = list(envs)
        self.num_envs = len(self.envs)
        self.action_space = self.envs[0].action_space

    def reset(self, ids, seeds):
        return stack([self.envs[env].reset(seed=int(seed))[0] for env, seed in zip(ids, seeds)])

    def step(self, ids, actions):
        results = [self.envs[env].step(actions[row]) for row, env in enumerate(ids)]
        observations, rewards, terminated, truncated, _ = zip(*results)
        return (stack(list(observations)), np.asarray(rewards, dtype=np.float64),
                np.asarray(terminated, dtype=bool), np.asarray(truncated, dtype=bool))


def rollout_batch(
    stepper,
    seeds,
    act: Callable[[Any, np.ndarray], Any],
    *,
    record: bool = True,
) -> tuple[np.ndarray, np.ndarray, list[Trajectory] | None]:
    """Run one episode in each of the first len(seeds) envs of `stepper` (a list of gymnasium envs
    is wrapped in EnvListStepper); returns (returns float64[B], lengths int64[B], trajectories).

    `act(observation_batch, rows)` gets the stacked observations of the live rows and their indices,
    and returns one action per live row. With `record=False` nothing but returns and lengths is kept;
    trajectories is then None.
    """
    if isinstance(stepper, (list, tuple)):
        stepper = EnvListStepper(stepper)
    seeds = [int(seed) for seed in seeds]
    count = len(seeds)
    if count > stepper.num_envs:
        raise ValueError(f"rollout_batch: {count} seeds but only {stepper.num_envs} envs")
    live = np.arange(count)
    observations = stepper.reset(live, seeds)
    returns = np.zeros(count, dtype=np.float64)
    lengths = np.zeros(count, dtype=np.int64)
    # Recording keeps each step's whole batch (no per-row Python work per step); the episodes are
    # cut out of it once at the end.
    history: list[tuple] = []
    final_observations: list[Any] = [None] * count
    while len(live):
        actions = act(observations, live)
        next_observations, rewards, terminated, truncated = stepper.step(live, actions)
        returns[live] += rewards
        lengths[live] += 1
        done = terminated | truncated
        if record:
            history.append((live, observations, actions, rewards, terminated, truncated))
            for position in np.flatnonzero(done):
                final_observations[live[position]] = _row(next_observations, position)
        keep = ~done
        live, observations = live[keep], _take_rows(next_observations, keep)
    if not record:
        return returns, lengths, None
    return returns, lengths, _trajectories(history, final_observations, lengths, seeds)


def _trajectories(history: list[tuple], final_observations: list, lengths: np.ndarray, seeds: list[int]) -> list[Trajectory]:
    """Split the recorded step batches into one Trajectory per row (rows leave but never rejoin a batch)."""
    rows = np.concatenate([step[0] for step in history])
    order = np.argsort(rows, kind="stable")  # grouped by row, in time order within each row
    ends = np.cumsum(lengths)
    starts = ends - lengths

    def gather(index):
        return map_structure(lambda leaf: leaf[order], concatenate([step[index] for step in history]))

    observations, actions = gather(1), gather(2)
    rewards = np.concatenate([np.asarray(step[3], dtype=np.float64) for step in history])[order]
    terminated = np.concatenate([np.asarray(step[4], dtype=bool) for step in history])[order]
    truncated = np.concatenate([np.asarray(step[5], dtype=bool) for step in history])[order]
    trajectories = []
    for row, (start, end) in enumerate(zip(starts, ends)):
        terminals = terminated[start:end]
        trajectories.append(Trajectory(
            observations=map_structure(lambda leaf: leaf[start:end], observations),
            actions=map_structure(lambda leaf: leaf[start:end], actions),
            rewards=rewards[start:end],
            terminals=terminals,
            # An episode that is both terminated and truncated at its last step is a true termination.
            timeouts=truncated[start:end] & ~terminals,
            final_observation=final_observations[row],
            seed=seeds[row],
        ))
    return trajectories


def concatenate(items: list) -> Any:
    """Concatenate batches (arrays or nested dicts / tuples of arrays) along their leading axis."""
    first = items[0]
    if isinstance(first, dict):
        return {key: concatenate([item[key] for item in items]) for key in first}
    if isinstance(first, tuple):
        return tuple(concatenate([item[index] for item in items]) for index in range(len(first)))
    return np.concatenate([np.asarray(item) for item in items])


def _row(observations, position):
    return map_structure(lambda leaf: leaf[position], observations)


def _take_rows(observations, mask):
    return map_structure(lambda leaf: leaf[mask], observations)
