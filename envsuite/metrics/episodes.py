"""Episodes of a flat transition dataset: where they start, how long they are, what they return.

envsuite/metrics: dataset metrics; imported by envsuite.data and datagen; imports no family.

A dataset stores steps back to back (D4RL/Minari layout): `rewards[N]`, `terminals[N]`,
`timeouts[N]`. An episode ends at a step whose `terminals | timeouts` flag is set; steps after the
last set flag form a trailing partial episode (a rollout cut by the dataset size), which is returned
as the last episode so that no step is dropped. Its return is a truncated return; callers that want
only finished episodes drop it (`lengths[-1]` and the flags tell them whether it is partial).
"""

from __future__ import annotations

import math

import numpy as np

from envsuite._numba_cache import njit
from envsuite.metrics._validation import as_1d_float64, as_1d_int64, as_flag_array, require_finite


@njit(cache=True)
def _episode_bounds_kernel(episode_ends):
    # One sequential scan: an episode's start depends on the previous end, so there is nothing to
    # split across threads, and the scan is memory-bound anyway.
    n_steps = episode_ends.shape[0]
    n_ends = 0
    for step in range(n_steps):
        if episode_ends[step]:
            n_ends += 1
    has_trailing = n_steps > 0 and not episode_ends[n_steps - 1]
    n_episodes = n_ends + (1 if has_trailing else 0)
    starts = np.empty(n_episodes, dtype=np.int64)
    lengths = np.empty(n_episodes, dtype=np.int64)
    episode = 0
    start = 0
    for step in range(n_steps):
        if episode_ends[step]:
            starts[episode] = start
            lengths[episode] = step + 1 - start
            episode += 1
            start = step + 1
    if has_trailing:
        starts[episode] = start
        lengths[episode] = n_steps - start
    return starts, lengths


@njit(cache=True)
def _episode_returns_kernel(rewards, starts, lengths):
    # Serial on purpose: summing N floats is memory-bound (about a millisecond for 1M steps), so
    # threads would cost more in start-up and compile time than they save.
    returns = np.empty(starts.shape[0], dtype=np.float64)
    for episode in range(starts.shape[0]):
        total = 0.0
        for step in range(starts[episode], starts[episode] + lengths[episode]):
            total += np.float64(rewards[step])
        returns[episode] = total
    return returns


def episode_bounds(terminals, timeouts) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of every episode, from per-step `terminals` and `timeouts` flags.

    Args:
        terminals: (N,) bool, or numbers that are all 0/1; true where the MDP terminated.
        timeouts: (N,) same, true where the episode was truncated (time limit).

    Returns:
        `(starts, lengths)`, two int64 arrays of shape (E,). Episodes tile `0..N-1` in order; every
        length is >= 1. A trailing partial episode (steps after the last set flag) is included as
        the last episode. Empty input gives two empty arrays.
    """
    terminal_flags = as_flag_array("terminals", terminals)
    timeout_flags = as_flag_array("timeouts", timeouts)
    if terminal_flags.shape != timeout_flags.shape:
        raise ValueError(
            f"terminals and timeouts must have one flag per step each, got shapes {terminal_flags.shape} "
            f"and {timeout_flags.shape}."
        )
    return _episode_bounds_kernel(terminal_flags | timeout_flags)


def episode_returns(rewards, starts, lengths) -> np.ndarray:
    """Undiscounted return of every episode, accumulated in float64.

    Args:
        rewards: (N,) per-step rewards (any real dtype; float32 rewards are summed in float64).
        starts: (E,) integer start index of each episode, e.g. from `episode_bounds`.
        lengths: (E,) integer length of each episode; a zero length gives a return of 0.0.

    Returns:
        float64 array of shape (E,): `returns[e] = sum(rewards[starts[e] : starts[e] + lengths[e]])`.
        NaN rewards propagate into the return of their episode.
    """
    reward_values = np.asarray(rewards)
    if reward_values.ndim == 1 and reward_values.dtype in (np.float32, np.float64):
        # The kernel widens each float32 reward to float64 as it adds: no float64 copy of the rewards.
        reward_values = np.ascontiguousarray(reward_values)
    else:
        reward_values = as_1d_float64("rewards", rewards)
    start_indices = as_1d_int64("starts", starts)
    episode_lengths = as_1d_int64("lengths", lengths)
    if start_indices.shape != episode_lengths.shape:
        raise ValueError(
            f"starts and lengths must describe the same episodes, got shapes {start_indices.shape} and "
            f"{episode_lengths.shape}."
        )
    if start_indices.size:
        if start_indices.min() < 0:
            raise ValueError(f"starts must be >= 0, got {start_indices.min()}.")
        if episode_lengths.min() < 0:
            raise ValueError(f"lengths must be >= 0, got {episode_lengths.min()}.")
        ends = start_indices + episode_lengths
        if ends.max() > reward_values.shape[0]:
            episode = int(np.argmax(ends))
            raise ValueError(
                f"episode {episode} spans steps {start_indices[episode]}..{ends[episode] - 1}, past the end of "
                f"rewards (N={reward_values.shape[0]}); starts/lengths do not belong to these rewards."
            )
    return _episode_returns_kernel(reward_values, start_indices, episode_lengths)


def episode_returns_from_flags(rewards, terminals, timeouts) -> tuple[np.ndarray, np.ndarray]:
    """`(returns, lengths)` of every episode straight from a flat dataset's rewards and flags.

    Same episode rules as `episode_bounds` (a trailing partial episode is the last one).
    """
    reward_values = as_1d_float64("rewards", rewards)
    starts, lengths = episode_bounds(terminals, timeouts)
    if reward_values.shape[0] != int(lengths.sum()):
        raise ValueError(
            f"rewards has {reward_values.shape[0]} steps but terminals/timeouts have {int(lengths.sum())}; "
            "pass the three arrays of the same dataset."
        )
    return _episode_returns_kernel(reward_values, starts, lengths), lengths


_STATISTIC_KEYS = ("count", "mean", "std", "min", "max", "median", "q25", "q75")


def return_statistics(returns) -> dict:
    """Summary of episode returns: count, mean, std, min, max, median, q25, q75.

    `std` is the population standard deviation (ddof=0, as `np.std`); quantiles use numpy's default
    linear interpolation. Values are python floats (`count` is an int) so the dict can be written to
    JSON or HDF5 attributes as is. No episodes gives count 0 and NaN for every other key.
    ValueError if a return is NaN or infinite (a statistic of it would be meaningless).
    """
    values = as_1d_float64("returns", returns)
    if values.size == 0:
        return {key: (0 if key == "count" else math.nan) for key in _STATISTIC_KEYS}
    require_finite("returns", values)
    q25, median, q75 = np.percentile(values, [25.0, 50.0, 75.0])
    return {
        "count": int(values.size),
        "mean": float(np.mean(values)),
        "std": float(np.std(values)),
        "min": float(np.min(values)),
        "max": float(np.max(values)),
        "median": float(median),
        "q25": float(q25),
        "q75": float(q75),
    }
