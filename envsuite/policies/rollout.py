"""Roll a batch of gymnasium envs forward in lockstep with one batched policy call per step.

Used by datagen's runners (dataset generation) and by the locomotion ARS trainer. Envs must be
made by `gymnasium.make` (so TimeLimit gives `truncated`). Each env runs exactly one episode from
`reset(seed=seed)`; rows leave the batch as their episodes end, so the policy sees only live rows.
Observations may be arrays or (nested) dicts of arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


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

    def __len__(self) -> int:
        return len(self.rewards)

    @property
    def episode_return(self) -> float:
        return float(np.sum(self.rewards, dtype=np.float64))


def stack(items: list) -> Any:
    """Stack a list of observations (arrays or nested dicts of arrays) along a new leading axis."""
    first = items[0]
    if isinstance(first, dict):
        return {key: stack([item[key] for item in items]) for key in first}
    return np.stack([np.asarray(item) for item in items])


def rollout_batch(
    envs: list,
    seeds,
    act: Callable[[Any, np.ndarray], Any],
    *,
    record: bool = True,
) -> tuple[np.ndarray, np.ndarray, list[Trajectory] | None]:
    """Run one episode in every env; returns (returns float64[B], lengths int64[B], trajectories).

    `act(observation_batch, rows)` gets the stacked observations of the live rows and their indices
    into `envs`, and returns one action per live row. With `record=False` nothing but returns and
    lengths is kept (the ARS trainer's fast path); trajectories is then None.
    """
    count = len(envs)
    seeds = [int(seed) for seed in seeds]
    if len(seeds) != count:
        raise ValueError(f"rollout_batch: {count} envs but {len(seeds)} seeds")
    observations = [env.reset(seed=seed)[0] for env, seed in zip(envs, seeds)]
    returns = np.zeros(count, dtype=np.float64)
    lengths = np.zeros(count, dtype=np.int64)
    steps: list[list[tuple]] = [[] for _ in range(count)]
    trajectories: list[Trajectory | None] = [None] * count
    live = list(range(count))
    while live:
        actions = act(stack([observations[row] for row in live]), np.asarray(live))
        still_live = []
        for position, row in enumerate(live):
            action = actions[position]
            next_observation, reward, terminated, truncated, _ = envs[row].step(action)
            returns[row] += reward
            lengths[row] += 1
            if record:
                steps[row].append((observations[row], action, reward, terminated, truncated))
            observations[row] = next_observation
            if terminated or truncated:
                if record:
                    trajectories[row] = _to_trajectory(steps[row], next_observation, seeds[row])
                    steps[row] = []
            else:
                still_live.append(row)
        live = still_live
    return returns, lengths, (trajectories if record else None)


def _to_trajectory(steps: list[tuple], final_observation, seed: int) -> Trajectory:
    observations, actions, rewards, terminals, timeouts = zip(*steps)
    terminals = np.asarray(terminals, dtype=bool)
    # An episode that is both terminated and truncated at its last step is a true termination.
    timeouts = np.asarray(timeouts, dtype=bool) & ~terminals
    return Trajectory(
        observations=stack(list(observations)),
        actions=stack(list(actions)),
        rewards=np.asarray(rewards, dtype=np.float64),
        terminals=terminals,
        timeouts=timeouts,
        final_observation=final_observation,
        seed=seed,
    )
