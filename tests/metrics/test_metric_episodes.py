"""envsuite.metrics.episodes against plain numpy oracles (episode bounds, returns, statistics)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envsuite.metrics import episode_bounds, episode_returns, episode_returns_from_flags, return_statistics

FAST = settings(max_examples=60, deadline=None)


def bounds_oracle(terminals, timeouts):
    """Episodes from flags with numpy only: cut after every set flag, keep non-empty pieces."""
    done = np.asarray(terminals, dtype=bool) | np.asarray(timeouts, dtype=bool)
    ends = np.flatnonzero(done)
    starts = np.concatenate([[0], ends + 1])
    stops = np.concatenate([ends + 1, [done.shape[0]]])
    non_empty = stops > starts  # drops the empty piece after a final set flag
    return starts[non_empty], (stops - starts)[non_empty]


def returns_oracle(rewards, starts):
    return np.add.reduceat(np.asarray(rewards, dtype=np.float64), starts)


flag_pairs = st.integers(0, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.booleans(), min_size=n, max_size=n),  # terminals
        st.lists(st.booleans(), min_size=n, max_size=n),  # timeouts
    )
)


def test_bounds_match_oracle_on_random_flags():
    rng = np.random.default_rng(0)
    terminals = rng.random(20_000) < 0.004
    timeouts = rng.random(20_000) < 0.002
    starts, lengths = episode_bounds(terminals, timeouts)
    expected_starts, expected_lengths = bounds_oracle(terminals, timeouts)
    np.testing.assert_array_equal(starts, expected_starts)
    np.testing.assert_array_equal(lengths, expected_lengths)
    assert starts.dtype == np.int64 and lengths.dtype == np.int64


@FAST
@given(flag_pairs)
def test_bounds_match_oracle_and_tile_the_steps(flags):
    terminals, timeouts = flags
    starts, lengths = episode_bounds(terminals, timeouts)
    expected_starts, expected_lengths = bounds_oracle(terminals, timeouts)
    np.testing.assert_array_equal(starts, expected_starts)
    np.testing.assert_array_equal(lengths, expected_lengths)
    assert np.all(lengths >= 1)
    assert int(lengths.sum()) == len(terminals)
    np.testing.assert_array_equal(starts[1:], (starts + lengths)[:-1])


def test_trailing_partial_episode_is_the_last_episode():
    terminals = [0, 0, 1, 0, 0, 0, 0]
    timeouts = [0, 0, 0, 0, 1, 0, 0]
    starts, lengths = episode_bounds(terminals, timeouts)
    np.testing.assert_array_equal(starts, [0, 3, 5])
    np.testing.assert_array_equal(lengths, [3, 2, 2])


def test_single_step_episodes_and_both_flags_on_one_step():
    flags = np.ones(5, dtype=bool)
    starts, lengths = episode_bounds(flags, flags)
    np.testing.assert_array_equal(starts, np.arange(5))
    np.testing.assert_array_equal(lengths, np.ones(5))
    rewards = np.array([1.5, -2.0, 0.25, 3.0, 7.0], dtype=np.float32)
    returns, episode_lengths = episode_returns_from_flags(rewards, flags, np.zeros(5))
    np.testing.assert_array_equal(returns, rewards.astype(np.float64))
    np.testing.assert_array_equal(episode_lengths, np.ones(5))


def test_no_flags_at_all_is_one_partial_episode():
    starts, lengths = episode_bounds(np.zeros(4), np.zeros(4))
    np.testing.assert_array_equal(starts, [0])
    np.testing.assert_array_equal(lengths, [4])


def test_empty_input_gives_empty_arrays():
    starts, lengths = episode_bounds([], [])
    assert starts.shape == (0,) and lengths.shape == (0,)
    assert starts.dtype == np.int64 and lengths.dtype == np.int64
    returns, lengths = episode_returns_from_flags([], [], [])
    assert returns.shape == (0,) and returns.dtype == np.float64 and lengths.shape == (0,)
    assert episode_returns(np.zeros(3), [], []).shape == (0,)


def test_returns_match_reduceat_on_random_float32_rewards():
    rng = np.random.default_rng(1)
    rewards = rng.normal(1.0, 3.0, size=50_000).astype(np.float32)
    terminals = rng.random(rewards.shape[0]) < 0.003
    timeouts = np.zeros_like(terminals)
    timeouts[999::1000] = True
    starts, lengths = episode_bounds(terminals, timeouts)
    returns = episode_returns(rewards, starts, lengths)
    assert returns.dtype == np.float64
    np.testing.assert_allclose(returns, returns_oracle(rewards, starts), rtol=1e-12, atol=1e-9)
    from_flags, flag_lengths = episode_returns_from_flags(rewards, terminals, timeouts)
    np.testing.assert_array_equal(from_flags, returns)
    np.testing.assert_array_equal(flag_lengths, lengths)


def test_returns_accumulate_in_float64():
    # 2**24 + 1 is not representable in float32: a float32 accumulator would return 2**24.
    rewards = np.array([2.0**24, 1.0], dtype=np.float32)
    assert episode_returns(rewards, [0], [2])[0] == 2.0**24 + 1


@FAST
@given(flag_pairs, st.data())
def test_integer_rewards_sum_exactly(flags, data):
    terminals, timeouts = flags
    n = len(terminals)
    rewards = np.array(data.draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n)), dtype=np.float64)
    returns, lengths = episode_returns_from_flags(rewards, terminals, timeouts)
    starts, _ = bounds_oracle(terminals, timeouts)
    if n:
        np.testing.assert_array_equal(returns, returns_oracle(rewards, starts))
    else:
        assert returns.shape == (0,)
    assert returns.sum() == rewards.sum()


def test_zero_length_segment_returns_zero():
    np.testing.assert_array_equal(episode_returns([1.0, 2.0, 3.0], [0, 1, 3], [1, 0, 0]), [1.0, 0.0, 0.0])


def test_return_statistics_match_numpy():
    returns = np.random.default_rng(2).normal(100.0, 25.0, size=333)
    stats = return_statistics(returns)
    assert stats["count"] == 333 and type(stats["count"]) is int
    assert all(type(stats[key]) is float for key in stats if key != "count")
    assert stats["mean"] == pytest.approx(np.mean(returns))
    assert stats["std"] == pytest.approx(np.std(returns))
    assert stats["min"] == returns.min() and stats["max"] == returns.max()
    assert stats["median"] == pytest.approx(np.median(returns))
    assert stats["q25"] == pytest.approx(np.quantile(returns, 0.25))
    assert stats["q75"] == pytest.approx(np.quantile(returns, 0.75))


def test_return_statistics_of_one_and_of_no_episode():
    one = return_statistics([4.0])
    assert one["count"] == 1 and one["std"] == 0.0 and one["q25"] == one["q75"] == 4.0
    empty = return_statistics([])
    assert empty["count"] == 0
    assert set(empty) == {"count", "mean", "std", "min", "max", "median", "q25", "q75"}
    assert all(math.isnan(empty[key]) for key in empty if key != "count")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: episode_bounds([0, 1], [0, 0, 0]), "one flag per step"),
        (lambda: episode_bounds([[0, 1]], [[0, 0]]), "1-D"),
        (lambda: episode_bounds([0, 2], [0, 0]), "only 0/1"),
        (lambda: episode_bounds([0.0, np.nan], [0, 0]), "only 0/1"),
        (lambda: episode_bounds(["a", "b"], [0, 0]), "bool or 0/1"),
        (lambda: episode_returns([1.0, 2.0], [0, 1], [1]), "same episodes"),
        (lambda: episode_returns([1.0, 2.0], [0, 1], [1, 2]), "past the end"),
        (lambda: episode_returns([1.0, 2.0], [-1], [1]), "starts must be >= 0"),
        (lambda: episode_returns([1.0, 2.0], [0], [-1]), "lengths must be >= 0"),
        (lambda: episode_returns([1.0, 2.0], [0.0], [2.0]), "integer dtype"),
        (lambda: episode_returns([[1.0, 2.0]], [0], [1]), "1-D"),
        (lambda: episode_returns_from_flags([1.0], [0, 1], [0, 0]), "rewards has 1 steps"),
        (lambda: return_statistics([1.0, np.nan]), "finite"),
        (lambda: return_statistics([[1.0]]), "1-D"),
    ],
)
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
