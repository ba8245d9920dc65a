"""envsuite.metrics.weighting against numpy oracles: RW / AW probabilities (Hong et al. 2023) and RPSV."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envsuite.metrics import (
    DEFAULT_TEMPERATURE,
    advantage_weighted_probabilities,
    episode_advantages,
    positive_sided_variance,
    return_weighted_probabilities,
)

FAST = settings(max_examples=60, deadline=None)


def min_max_oracle(returns):
    returns = np.asarray(returns, dtype=np.float64)
    span = returns.max() - returns.min()
    return np.zeros_like(returns) if span == 0 else (returns - returns.min()) / span


def transition_softmax_oracle(episode_scores, lengths, temperature):
    """Softmax over transitions, each carrying its episode's score (the authors' formulation)."""
    scores = np.repeat(np.asarray(episode_scores, dtype=np.float64), lengths) / temperature
    weights = np.exp(scores - scores.max())
    return weights / weights.sum()


def rpsv_oracle(returns):
    normalised = min_max_oracle(returns)
    return float(np.mean(np.maximum(normalised - normalised.mean(), 0.0) ** 2))


episodes = st.integers(1, 25).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(-1e4, 1e4), min_size=n, max_size=n),
        st.lists(st.integers(1, 6), min_size=n, max_size=n),
    )
)
temperatures = st.sampled_from([DEFAULT_TEMPERATURE, 0.01, 1.0, 10.0])


def test_return_weighted_matches_oracle_on_random_episodes():
    rng = np.random.default_rng(10)
    returns = rng.normal(500.0, 300.0, size=400)
    lengths = rng.integers(1, 1000, size=400)
    probabilities = return_weighted_probabilities(returns, lengths)
    assert probabilities.shape == (lengths.sum(),) and probabilities.dtype == np.float64
    expected = transition_softmax_oracle(min_max_oracle(returns), lengths, DEFAULT_TEMPERATURE)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-10)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-12)


@FAST
@given(episodes, temperatures)
def test_return_weighted_properties(episode_data, temperature):
    returns, lengths = episode_data
    probabilities = return_weighted_probabilities(returns, lengths, temperature=temperature)
    expected = transition_softmax_oracle(min_max_oracle(returns), lengths, temperature)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-9, atol=1e-300)
    assert np.all(probabilities >= 0.0) and np.all(np.isfinite(probabilities))
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-9)
    # Every transition of an episode has the same probability, and better episodes get more.
    ends = np.cumsum(lengths)
    per_episode = probabilities[ends - 1]
    np.testing.assert_array_equal(probabilities, np.repeat(per_episode, lengths))
    order = np.argsort(returns, kind="stable")
    assert np.all(np.diff(per_episode[order]) >= 0.0)


def test_equal_returns_and_single_episode_give_uniform_sampling():
    np.testing.assert_allclose(return_weighted_probabilities([3.0, 3.0, 3.0], [1, 2, 3]), np.full(6, 1 / 6))
    np.testing.assert_allclose(return_weighted_probabilities([-7.0], [4]), np.full(4, 0.25))
    assert return_weighted_probabilities([], []).shape == (0,)


def test_extreme_returns_and_temperatures_stay_finite():
    returns = np.array([-1e300, 0.0, 1e300])
    for temperature in (1e-8, DEFAULT_TEMPERATURE, 1e8):
        probabilities = return_weighted_probabilities(returns, [2, 2, 2], temperature=temperature)
        assert np.all(np.isfinite(probabilities)) and probabilities.sum() == pytest.approx(1.0)
    sharp = return_weighted_probabilities([0.0, 1.0], [3, 1], temperature=1e-6)
    np.testing.assert_array_equal(sharp, [0.0, 0.0, 0.0, 1.0])


def test_advantage_of_one_dimensional_start_matches_closed_form_fit():
    rng = np.random.default_rng(11)
    starts = rng.uniform(-1.0, 1.0, size=300)
    returns = 100.0 * starts + rng.normal(0.0, 20.0, size=300)
    normalised = min_max_oracle(returns)
    slope = np.cov(starts, normalised, bias=True)[0, 1] / np.var(starts)
    intercept = normalised.mean() - slope * starts.mean()
    expected_advantages = normalised - (slope * starts + intercept)
    np.testing.assert_allclose(episode_advantages(returns, starts), expected_advantages, atol=1e-12)
    lengths = rng.integers(1, 50, size=300)
    np.testing.assert_allclose(
        advantage_weighted_probabilities(returns, lengths, starts[:, None]),
        transition_softmax_oracle(expected_advantages, lengths, DEFAULT_TEMPERATURE),
        rtol=1e-9,
    )


def test_advantage_matches_normal_equations_in_several_dimensions():
    rng = np.random.default_rng(12)
    starts = rng.normal(5.0, 1.0, size=(500, 4))  # an offset, as real observations have
    returns = starts @ np.array([3.0, -1.0, 0.5, 0.0]) + rng.normal(size=500)
    normalised = min_max_oracle(returns)
    design = np.column_stack([starts, np.ones(500)])
    coefficients = np.linalg.solve(design.T @ design, design.T @ normalised)
    np.testing.assert_allclose(episode_advantages(returns, starts), normalised - design @ coefficients, atol=1e-9)


@FAST
@given(episodes, temperatures, st.floats(-5.0, 5.0))
def test_identical_starts_make_advantage_weighting_equal_return_weighting(episode_data, temperature, start):
    returns, lengths = episode_data
    starts = np.full((len(returns), 3), start)
    np.testing.assert_allclose(
        advantage_weighted_probabilities(returns, lengths, starts, temperature=temperature),
        return_weighted_probabilities(returns, lengths, temperature=temperature),
        rtol=1e-8,
        atol=1e-300,
    )


def test_returns_explained_by_the_start_give_uniform_sampling():
    starts = np.linspace(-2.0, 2.0, 50)[:, None]
    returns = 7.0 * starts[:, 0] - 3.0
    lengths = np.arange(1, 51)
    probabilities = advantage_weighted_probabilities(returns, lengths, starts)
    np.testing.assert_allclose(probabilities, 1.0 / lengths.sum(), rtol=1e-9)


def test_positive_sided_variance_matches_oracle():
    returns = np.random.default_rng(13).lognormal(3.0, 1.0, size=1000)
    assert positive_sided_variance(returns) == pytest.approx(rpsv_oracle(returns), rel=1e-12)
    assert positive_sided_variance([0.0, 0.0, 1.0]) == pytest.approx(4 / 27)


@FAST
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40))
def test_positive_sided_variance_properties(returns):
    value = positive_sided_variance(returns)
    assert type(value) is float
    assert value == pytest.approx(rpsv_oracle(returns), rel=1e-9, abs=1e-15)
    assert 0.0 <= value <= np.var(min_max_oracle(returns)) + 1e-15
    if len(set(returns)) == 1:
        assert value == 0.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: return_weighted_probabilities([1.0, 2.0], [1]), "one length per episode"),
        (lambda: return_weighted_probabilities([1.0, 2.0], [1, 0]), "at least one transition"),
        (lambda: return_weighted_probabilities([1.0, 2.0], [1.0, 2.0]), "integer dtype"),
        (lambda: return_weighted_probabilities([1.0, np.nan], [1, 1]), "finite"),
        (lambda: return_weighted_probabilities([1.0], [1], temperature=0.0), "temperature must be > 0"),
        (lambda: return_weighted_probabilities([1.0], [1], temperature=-1.0), "temperature must be > 0"),
        (lambda: return_weighted_probabilities([1.0], [1], temperature=np.nan), "temperature must be finite"),
        (lambda: advantage_weighted_probabilities([1.0, 2.0], [1, 1], np.zeros((3, 2))), "one row per episode"),
        (lambda: advantage_weighted_probabilities([1.0, 2.0], [1, 1], [[0.0], [np.inf]]), "finite"),
        (lambda: advantage_weighted_probabilities([1.0, 2.0], [1], np.zeros((2, 2))), "one length per episode"),
        (lambda: positive_sided_variance([]), "at least one"),
        (lambda: positive_sided_variance([np.inf, 1.0]), "finite"),
    ],
)
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_returns_whose_range_overflows_float64_still_normalise():
    probabilities = return_weighted_probabilities([-1.7e308, 1.7e308], [1, 1])
    np.testing.assert_allclose(probabilities, [np.exp(-10.0) / (1 + np.exp(-10.0)), 1 / (1 + np.exp(-10.0))])
    assert positive_sided_variance([-1.7e308, 1.7e308]) == pytest.approx(0.125)
