"""Scores that put returns on a random-to-expert scale: D4RL normalized score and TQ.

envsuite/metrics: dataset metrics; imported by envsuite.data and datagen; imports no family.

Both are affine maps of returns, so plain numpy is the implementation (there is no loop for numba
to speed up). Reference returns come from envsuite.registry; this module only does the arithmetic
and refuses references that would make it meaningless.
"""

from __future__ import annotations

import numpy as np

from envsuite.metrics._validation import as_1d_float64, as_finite_float, require_finite


def _reference_span(low_name: str, low, high_name: str, high) -> tuple[float, float]:
    low_value = as_finite_float(low_name, low)
    high_value = as_finite_float(high_name, high)
    if high_value == low_value:
        raise ValueError(
            f"{high_name} equals {low_name} ({low_value!r}), so scores would divide by zero; check the "
            "reference returns of this task."
        )
    return low_value, high_value - low_value


def normalized_score(returns, ref_min, ref_max):
    """D4RL's normalized score `(R - ref_min) / (ref_max - ref_min)`, as a fraction (not x100).

    0 is the random policy's return, 1 the expert's (D4RL `get_normalized_score`; multiply by 100
    for the numbers printed in papers). A scalar gives a python float; an array gives a float64 array
    of the same shape. NaN returns give NaN scores. ValueError if a reference is NaN/inf or if
    `ref_max == ref_min`.
    """
    low, span = _reference_span("ref_min", ref_min, "ref_max", ref_max)
    if np.ndim(returns) == 0:
        return (float(returns) - low) / span
    values = np.asarray(returns, dtype=np.float64)
    return (values - low) / span


def trajectory_quality(returns, random_return, expert_return) -> float:
    """TQ, trajectory quality of a dataset (Schweighofer et al. 2022, "A Dataset Perspective on Offline RL").

    `TQ = (mean(returns) - random_return) / (expert_return - random_return)`: the dataset's average
    episode return on the random-to-expert scale (0 = random policy, 1 = expert; it can leave [0, 1]).

    Args:
        returns: (E,) episode returns of the dataset, at least one, all finite.
        random_return: reference return of a uniformly random policy.
        expert_return: reference return of the expert; must differ from `random_return`.
    """
    low, span = _reference_span("random_return", random_return, "expert_return", expert_return)
    values = as_1d_float64("returns", returns)
    if values.size == 0:
        raise ValueError("trajectory_quality needs at least one episode return, got none.")
    require_finite("returns", values)
    return (float(np.mean(values)) - low) / span
