"""envsuite.metrics.scores: D4RL normalized score and TQ against their formulas."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envsuite.metrics import normalized_score, trajectory_quality

FAST = settings(max_examples=60, deadline=None)
finite = st.floats(-1e6, 1e6, allow_nan=False)


def test_normalized_score_is_a_fraction_between_references():
    assert normalized_score(-20.0, -20.0, 3234.0) == 0.0
    assert normalized_score(3234.0, -20.0, 3234.0) == 1.0
    assert normalized_score(1607.0, -20.0, 3234.0) == pytest.approx((1607.0 + 20.0) / 3254.0)


def test_scalar_in_gives_float_out_and_array_in_gives_array_out():
    assert type(normalized_score(5, 0, 10)) is float
    assert type(normalized_score(np.float32(5), 0, 10)) is float
    returns = np.array([[0.0, 5.0], [10.0, 20.0]], dtype=np.float32)
    scores = normalized_score(returns, 0.0, 10.0)
    assert isinstance(scores, np.ndarray) and scores.shape == (2, 2) and scores.dtype == np.float64
    np.testing.assert_allclose(scores, [[0.0, 0.5], [1.0, 2.0]])
    np.testing.assert_allclose(normalized_score([1.0, 2.0], 0.0, 4.0), [0.25, 0.5])


@FAST
@given(st.lists(finite, max_size=20), finite, finite)
def test_normalized_score_matches_formula(returns, ref_min, ref_max):
    if ref_min == ref_max:
        with pytest.raises(ValueError, match="divide by zero"):
            normalized_score(returns, ref_min, ref_max)
        return
    with np.errstate(over="ignore"):  # a subnormal reference span overflows to inf, in both
        expected = (np.asarray(returns, dtype=np.float64) - ref_min) / (ref_max - ref_min)
        np.testing.assert_allclose(normalized_score(returns, ref_min, ref_max), expected, rtol=1e-12)


@FAST
@given(st.lists(finite, min_size=1, max_size=20), finite, finite)
def test_trajectory_quality_is_normalized_mean_return(returns, random_return, expert_return):
    if random_return == expert_return:
        with pytest.raises(ValueError):
            trajectory_quality(returns, random_return, expert_return)
        return
    expected = (np.mean(np.asarray(returns, dtype=np.float64)) - random_return) / (expert_return - random_return)
    value = trajectory_quality(returns, random_return, expert_return)
    assert type(value) is float
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_trajectory_quality_equals_normalized_score_of_the_mean():
    returns = np.random.default_rng(3).uniform(0, 3000, size=100)
    expected = normalized_score(returns.mean(), 10.0, 3000.0)
    assert trajectory_quality(returns, 10.0, 3000.0) == pytest.approx(expected)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: normalized_score(1.0, 5.0, 5.0), "divide by zero"),
        (lambda: normalized_score(1.0, np.nan, 5.0), "ref_min must be finite"),
        (lambda: normalized_score(1.0, 0.0, np.inf), "ref_max must be finite"),
        (lambda: normalized_score(1.0, [0.0], 1.0), "scalar"),
        (lambda: normalized_score(1.0, "low", 1.0), "real number"),
        (lambda: trajectory_quality([], 0.0, 1.0), "at least one"),
        (lambda: trajectory_quality([1.0, np.nan], 0.0, 1.0), "finite"),
        (lambda: trajectory_quality([1.0], 2.0, 2.0), "divide by zero"),
        (lambda: trajectory_quality([1.0], np.nan, 2.0), "random_return must be finite"),
    ],
)
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
