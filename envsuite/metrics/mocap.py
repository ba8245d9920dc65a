"""MoCap tracking metrics (MoCapAct's): normalized episode length and normalized episode return.

Where it sits: envsuite.metrics, the family metrics of DESIGN.md section 5; used by datagen for
mocap datasets and by the MoCap expert's evaluation. Definitions (MoCapAct's MocapTrackingVecMonitor):

    normalized length = (t_end - t_start) / (t_last - t_start)
    normalized return = return / length * normalized length

with t = time in the clip normalised to [0, 1] (the observable `walker/time_in_clip`): t_start at
the episode's first observation, t_end after its last step, t_last at the last step an episode can
reach (the clip's end minus the largest reference step). An episode that tracks to the end has
normalized length 1. Everything is vectorised over episodes.
"""

from __future__ import annotations

import numpy as np


def normalized_episode_lengths(end_time_in_clip, start_time_in_clip, last_time_in_clip) -> np.ndarray:
    """Per episode (E,) arrays of times in the clip -> normalized lengths (E,)."""
    end, start, last = (np.asarray(a, dtype=np.float64) for a in (end_time_in_clip, start_time_in_clip, last_time_in_clip))
    if np.any(last <= start):
        raise ValueError("every episode needs last_time_in_clip > start_time_in_clip (an episode that can take a step)")
    return (end - start) / (last - start)


def normalized_returns(returns, lengths, normalized_lengths) -> np.ndarray:
    """Per episode: return / length * normalized length (MoCapAct's r_norm)."""
    returns, lengths = np.asarray(returns, dtype=np.float64), np.asarray(lengths, dtype=np.float64)
    if np.any(lengths <= 0):
        raise ValueError("episode lengths must be positive")
    return returns / lengths * np.asarray(normalized_lengths, dtype=np.float64)


def episode_metrics_from_steps(episode_starts, episode_lengths, episode_returns, time_in_clip, start_time_in_clip,
                               last_time_in_clip) -> dict[str, np.ndarray]:
    """Per-episode normalized lengths and returns from per-step columns (a dataset's infos/...).

    time_in_clip[t] is the time in the clip after step t (the env's info), so an episode's t_end is
    its last step's value.
    """
    starts, lengths = np.asarray(episode_starts, dtype=np.int64), np.asarray(episode_lengths, dtype=np.int64)
    last_rows = starts + lengths - 1
    lengths_norm = normalized_episode_lengths(np.asarray(time_in_clip)[last_rows], np.asarray(start_time_in_clip)[starts],
                                              np.asarray(last_time_in_clip)[starts])
    return {"normalized_episode_length": lengths_norm,
            "normalized_return": normalized_returns(episode_returns, lengths, lengths_norm)}
