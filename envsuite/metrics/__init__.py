"""envsuite/metrics: dataset metrics computed by small numba kernels (DESIGN.md section 5).

Imported by envsuite.data and datagen; imports no family. Every kernel is a pure function on
arrays behind a Python wrapper that checks its inputs (ValueError saying what was wrong and what to
pass) and converts dtypes; tests/metrics checks each one against a plain numpy oracle.

- episodes:  episode_bounds, episode_returns, episode_returns_from_flags, return_statistics
- scores:    normalized_score (D4RL), trajectory_quality (TQ, Schweighofer et al. 2022)
- coverage:  digitize, count_unique_rows, saco / SacoResult (SACo, Schweighofer et al. 2022)
- weighting: return_weighted_probabilities, advantage_weighted_probabilities,
             positive_sided_variance (RW / AW / RPSV, Hong et al. 2023)
- family metrics: mocap (MoCapAct's normalized episode length and return), action_matching
             (Android in the Wild's action matching: action_matches, action_matching_metrics)
"""

from envsuite.metrics.action_matching import action_matches, action_matching_metrics
from envsuite.metrics.coverage import DEFAULT_SACO_BINS, SacoResult, count_unique_rows, digitize, saco
from envsuite.metrics.episodes import (
    episode_bounds,
    episode_returns,
    episode_returns_from_flags,
    return_statistics,
)
from envsuite.metrics.scores import normalized_score, trajectory_quality
from envsuite.metrics.weighting import (
    DEFAULT_TEMPERATURE,
    advantage_weighted_probabilities,
    episode_advantages,
    positive_sided_variance,
    return_weighted_probabilities,
)

__all__ = [
    "action_matches",
    "action_matching_metrics",
    "DEFAULT_SACO_BINS",
    "DEFAULT_TEMPERATURE",
    "SacoResult",
    "advantage_weighted_probabilities",
    "count_unique_rows",
    "digitize",
    "episode_advantages",
    "episode_bounds",
    "episode_returns",
    "episode_returns_from_flags",
    "normalized_score",
    "positive_sided_variance",
    "return_statistics",
    "return_weighted_probabilities",
    "saco",
    "trajectory_quality",
]
