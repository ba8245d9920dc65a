"""envsuite.metrics.coverage against numpy oracles: digitize, count_unique_rows (hash and exact), SACo."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from envsuite.metrics import DEFAULT_SACO_BINS, SacoResult, count_unique_rows, digitize, saco
from envsuite.metrics.coverage import (
    _PARALLEL_MIN_ELEMENTS,
    _count_unique_rows_exact_kernel,
    _digitize_parallel,
    _digitize_serial,
    _row_bits,
    _row_hashes_parallel,
    _row_hashes_serial,
)

FAST = settings(max_examples=60, deadline=None)


def digitize_oracle(values, low, high, bins):
    values = np.asarray(values, dtype=np.float64)
    width = high - low
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        position = np.floor((values - low) / width * bins)
    position = np.where(width == 0, 0, position)
    return np.clip(position, 0, bins - 1).astype(np.int32)


def canonical_float_rows(rows):
    """-0.0 -> +0.0 and every NaN -> np.nan, in float64."""
    rows = np.asarray(rows, dtype=np.float64)
    return np.where(np.isnan(rows), np.nan, rows + 0.0)


def unique_rows_oracle(rows):
    rows = np.asarray(rows)
    if rows.shape[0] == 0:
        return 0
    if np.issubdtype(rows.dtype, np.floating):
        # Compare canonical bit patterns, so that NaN rows compare equal to each other.
        rows = np.ascontiguousarray(canonical_float_rows(rows)).view(np.int64)
    return len(np.unique(rows, axis=0))


def saco_oracle(observations, actions, reference_observations, reference_actions, bins):
    def columns(array):
        array = np.asarray(array)
        return array.reshape(array.shape[0], int(np.prod(array.shape[1:])))  # 1-D -> one column

    def pairs(observations, actions):
        return np.concatenate([columns(observations), columns(actions)], axis=1)

    dataset = pairs(observations, actions)
    reference = pairs(reference_observations, reference_actions)
    low, high = reference.min(axis=0).astype(np.float64), reference.max(axis=0).astype(np.float64)
    dataset_unique = unique_rows_oracle(digitize_oracle(dataset, low, high, bins))
    reference_unique = unique_rows_oracle(digitize_oracle(reference, low, high, bins))
    return dataset_unique / reference_unique, dataset_unique, reference_unique, low, high


# Small value pools force duplicates and the float corner cases (signed zeros, NaN, infinities).
float_pool = st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, np.nan, np.inf, -np.inf, 1e-300, 3.25])
row_shapes = st.tuples(st.integers(0, 40), st.integers(1, 4))


# ------------------------------------------------------------------------------------------------
# digitize


def test_digitize_matches_oracle_on_random_values():
    rng = np.random.default_rng(4)
    values = rng.normal(0.0, 2.0, size=(5000, 6))
    values[:10] *= 100.0  # far outside the limits
    low = np.array([-3.0, -1.0, 0.0, 2.0, -5.0, 7.0])
    high = np.array([3.0, 1.0, 0.5, 2.0, 5.0, 9.0])  # column 3 has zero width
    for bins in (1, 2, 7, 20, 1000):
        result = digitize(values, low, high, bins)
        assert result.dtype == np.int32 and result.shape == values.shape
        np.testing.assert_array_equal(result, digitize_oracle(values, low, high, bins))
    assert np.all(digitize(values, low, high, 20)[:, 3] == 0)


@FAST
@given(
    hnp.arrays(np.float64, row_shapes, elements=st.floats(-1e6, 1e6) | float_pool.filter(lambda x: x == x)),
    st.integers(1, 50),
    st.data(),
)
def test_digitize_matches_oracle(values, bins, data):
    n_cols = values.shape[1]
    low = np.array(data.draw(st.lists(st.floats(-1e3, 1e3), min_size=n_cols, max_size=n_cols)))
    widths = data.draw(st.lists(st.sampled_from([0.0, 1e-3, 1.0, 50.0]), min_size=n_cols, max_size=n_cols))
    high = low + np.array(widths)
    result = digitize(values, low, high, bins)
    np.testing.assert_array_equal(result, digitize_oracle(values, low, high, bins))
    assert np.all((result >= 0) & (result < bins))


@pytest.mark.parametrize("bins", [3, 7, 10, 20])
def test_digitize_follows_the_formula_exactly_at_bin_edges(bins):
    # Values on and next to every bin edge, where a different operation order (e.g. multiplying by a
    # precomputed bins / width) would round into the neighbouring bin.
    for low, width in ((0.0, 0.3), (0.0, 0.7), (-1.5, 1.1), (2.0, 2.9)):
        edges = low + np.arange(bins + 1) * width / bins
        values = np.concatenate([edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)])[:, None]
        np.testing.assert_array_equal(
            digitize(values, [low], [low + width], bins), digitize_oracle(values, low, low + width, bins)
        )


def test_digitize_edges_signed_zero_and_limits():
    values = np.array([[-0.0], [0.0], [1.0], [0.999999], [-np.inf], [np.inf]])
    result = digitize(values, [0.0], [1.0], 4)[:, 0]
    np.testing.assert_array_equal(result, [0, 0, 3, 3, 0, 3])
    float32_values = np.array([[-0.0], [0.0]], dtype=np.float32)
    np.testing.assert_array_equal(digitize(float32_values, [-1.0], [1.0], 20), [[10], [10]])
    # float32 input goes to the kernel unconverted; the result equals digitising its float64 copy
    float32_grid = np.random.default_rng(4).normal(size=(500, 3)).astype(np.float32)
    np.testing.assert_array_equal(digitize(float32_grid, [-1.5] * 3, [1.3] * 3, 7),
                                  digitize_oracle(float32_grid.astype(np.float64), np.full(3, -1.5), np.full(3, 1.3), 7))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: digitize(np.array([[0.0, np.nan]]), [0, 0], [1, 1], 4), "NaN"),
        (lambda: digitize(np.zeros(3), [0], [1], 4), "2-D"),
        (lambda: digitize(np.zeros((3, 2)), [0], [1], 4), "one limit per column"),
        (lambda: digitize(np.zeros((3, 1)), [1.0], [0.0], 4), "high must be >= low"),
        (lambda: digitize(np.zeros((3, 1)), [np.nan], [0.0], 4), "low must be finite"),
        (lambda: digitize(np.zeros((3, 1)), [-1e308], [1e308], 4), "overflows"),
        (lambda: digitize(np.zeros((3, 1)), [0.0], [1.0], 0), "between 1 and"),
        (lambda: digitize(np.zeros((3, 1)), [0.0], [1.0], 2.5), "integer"),
        (lambda: digitize(np.array([["a"]]), [0.0], [1.0], 2), "numeric"),
    ],
)
def test_digitize_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------------------------------------
# count_unique_rows


@pytest.mark.parametrize("exact", [False, True])
def test_unique_rows_match_np_unique_on_random_rows(exact):
    rng = np.random.default_rng(5)
    int_rows = rng.integers(0, 3, size=(20_000, 5))  # at most 243 distinct rows, many duplicates
    assert count_unique_rows(int_rows, exact=exact) == len(np.unique(int_rows, axis=0))
    float_rows = rng.normal(size=(3000, 3)).astype(np.float32)
    float_rows = np.concatenate([float_rows, float_rows[:1000], -float_rows[:10] * 0.0])
    expected = len(np.unique(float_rows + np.float32(0.0), axis=0))
    assert count_unique_rows(float_rows, exact=exact) == expected


@FAST
@given(hnp.arrays(st.sampled_from([np.float64, np.float32]), row_shapes, elements=float_pool), st.booleans())
def test_unique_float_rows_match_oracle(rows, exact):
    assert count_unique_rows(rows, exact=exact) == unique_rows_oracle(rows)


integer_dtypes = st.sampled_from([np.int8, np.uint8, np.int16, np.int32, np.uint32, np.int64, np.uint64, np.bool_])
integer_rows = integer_dtypes.flatmap(
    lambda dtype: hnp.arrays(dtype, row_shapes, elements=st.booleans() if dtype is np.bool_ else st.integers(0, 3))
)


@FAST
@given(integer_rows, st.booleans())
def test_unique_integer_rows_match_oracle(rows, exact):
    assert count_unique_rows(rows, exact=exact) == unique_rows_oracle(rows)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64])
def test_negative_integers_and_extreme_values(dtype):
    info = np.iinfo(dtype)
    rows = np.array([[-1, 0], [-1, 0], [info.min, info.max], [0, -1], [info.max, info.min]], dtype=dtype)
    for exact in (False, True):
        assert count_unique_rows(rows, exact=exact) == 4


@FAST
@given(hnp.arrays(np.float64, row_shapes, elements=float_pool))
def test_exact_path_is_exact_when_every_hash_collides(rows):
    # Forcing all hashes equal sends every insertion through the whole-row comparison.
    row_bits, element_kind = _row_bits(rows)
    colliding_hashes = np.zeros(rows.shape[0], dtype=np.uint64)
    assert _count_unique_rows_exact_kernel(row_bits, element_kind, colliding_hashes) == unique_rows_oracle(rows)


@pytest.mark.parametrize("exact", [False, True])
def test_signed_zeros_and_nan_payloads_count_once(exact):
    quiet_nan = np.float64(np.nan)
    other_nan = np.array([0x7FF0000000000001], dtype=np.uint64).view(np.float64)[0]
    negative_nan = -quiet_nan
    rows = np.array([[0.0, quiet_nan], [-0.0, other_nan], [0.0, negative_nan], [-0.0, 1.0]])
    assert count_unique_rows(rows, exact=exact) == 2
    with np.errstate(invalid="ignore"):  # numpy warns when it narrows a NaN payload
        assert count_unique_rows(rows.astype(np.float32), exact=exact) == 2
        assert count_unique_rows(rows.astype(np.float16), exact=exact) == 2


@pytest.mark.parametrize("exact", [False, True])
def test_unique_rows_edge_shapes(exact):
    assert count_unique_rows(np.zeros((0, 3)), exact=exact) == 0
    assert count_unique_rows(np.zeros((1, 3)), exact=exact) == 1
    assert count_unique_rows(np.full((500, 4), 7.5), exact=exact) == 1
    column = np.array([[3], [1], [3], [2], [1]])
    assert count_unique_rows(column, exact=exact) == 3
    assert count_unique_rows(np.zeros((4, 0)), exact=exact) == 1  # every empty row is the same row
    # Row order matters: [1, 2] and [2, 1] are different rows.
    assert count_unique_rows(np.array([[1, 2], [2, 1]]), exact=exact) == 2
    # A non-contiguous view gives the same answer as its copy.
    rows = np.random.default_rng(6).integers(0, 2, size=(100, 6))
    assert count_unique_rows(rows[:, ::2], exact=exact) == len(np.unique(rows[:, ::2], axis=0))


@pytest.mark.parametrize(
    "rows, message",
    [
        (np.zeros(5), "2-D"),
        (np.zeros((2, 2, 2)), "2-D"),
        (np.array([["a", "b"]]), "integers or floats"),
        (np.zeros((2, 2), dtype=np.complex128), "integers or floats"),
    ],
)
def test_unique_rows_bad_input_raises_value_error(rows, message):
    with pytest.raises(ValueError, match=message):
        count_unique_rows(rows)


def test_inputs_above_the_parallel_threshold_match_numpy():
    rng = np.random.default_rng(14)
    n_rows = _PARALLEL_MIN_ELEMENTS // 4 + 1000
    values = rng.normal(size=(n_rows, 4))
    low, high = np.full(4, -2.0), np.full(4, 2.0)
    bins = digitize(values, low, high, 6)
    np.testing.assert_array_equal(bins, digitize_oracle(values, low, high, 6))
    for exact in (False, True):
        assert count_unique_rows(bins, exact=exact) == len(np.unique(bins, axis=0))


def test_serial_and_parallel_kernels_agree():
    rng = np.random.default_rng(15)
    values = rng.normal(size=(3000, 5))
    low, high = values.min(axis=0), values.max(axis=0)
    for typed in (values, values.astype(np.float32)):
        serial, serial_nans = _digitize_serial(typed, low, high, 9)
        parallel, parallel_nans = _digitize_parallel(typed, low, high, 9)
        np.testing.assert_array_equal(serial, parallel)
        assert serial_nans == parallel_nans == 0
    values[7, 2] = values[2999, 0] = np.nan
    assert _digitize_serial(values, low, high, 9)[1] == _digitize_parallel(values, low, high, 9)[1] == 2
    for rows in (values, values.astype(np.float32), rng.integers(-5, 5, size=(3000, 3))):
        row_bits, element_kind = _row_bits(rows)
        np.testing.assert_array_equal(
            _row_hashes_serial(row_bits, element_kind), _row_hashes_parallel(row_bits, element_kind)
        )


# ------------------------------------------------------------------------------------------------
# saco


def test_saco_matches_oracle_on_random_data():
    rng = np.random.default_rng(7)
    reference_observations = rng.normal(size=(4000, 3)).astype(np.float32)
    reference_actions = np.tanh(rng.normal(size=(4000, 2))).astype(np.float32)
    observations = reference_observations[:1500] * 0.5
    actions = reference_actions[:1500]
    for bins, exact in ((DEFAULT_SACO_BINS, False), (5, True), (3, False)):
        result = saco(observations, actions, reference_observations, reference_actions, bins=bins, exact=exact)
        value, unique_pairs, reference_unique, low, high = saco_oracle(
            observations, actions, reference_observations, reference_actions, bins
        )
        assert result.unique_pairs == unique_pairs
        assert result.reference_unique_pairs == reference_unique
        assert result.value == pytest.approx(value)
        assert result.bins == bins
        np.testing.assert_array_equal(result.low, low)
        np.testing.assert_array_equal(result.high, high)


@FAST
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.integers(1, 3)),
        elements=st.sampled_from([0.0, -0.0, 1.0, 2.5, -4.0]),
    ),
    st.integers(1, 8),
    st.booleans(),
)
def test_saco_of_subsets_and_of_the_reference_itself(reference, bins, exact):
    observations, actions = reference[:, :-1], reference[:, -1]
    itself = saco(observations, actions, observations, actions, bins=bins, exact=exact)
    assert itself.value == 1.0 and itself.unique_pairs == itself.reference_unique_pairs
    half = reference.shape[0] // 2
    subset = saco(observations[:half], actions[:half], observations, actions, bins=bins, exact=exact)
    expected = saco_oracle(observations[:half], actions[:half], observations, actions, bins)
    assert subset.value == pytest.approx(expected[0])
    assert 0.0 <= subset.value <= 1.0


def test_saco_handles_discrete_actions_and_image_observations():
    rng = np.random.default_rng(8)
    images = rng.integers(0, 2, size=(200, 2, 2, 1), dtype=np.uint8)
    actions = rng.integers(0, 4, size=200)
    result = saco(images[:50], actions[:50], images, actions, bins=2)
    expected = saco_oracle(images[:50], actions[:50], images, actions, 2)
    assert (result.value, result.unique_pairs, result.reference_unique_pairs) == pytest.approx(expected[:3])
    assert result.low.shape == (5,)


def test_empty_dataset_has_zero_coverage():
    reference = np.arange(6.0).reshape(3, 2)
    result = saco(np.zeros((0, 1)), np.zeros((0, 1)), reference[:, :1], reference[:, 1:])
    assert result.value == 0.0 and result.unique_pairs == 0 and result.reference_unique_pairs == 3


def test_saco_result_is_frozen_and_storable():
    reference = np.random.default_rng(9).normal(size=(100, 3))
    result = saco(reference[:40, :2], reference[:40, 2], reference[:, :2], reference[:, 2])
    assert isinstance(result, SacoResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = 2.0
    with pytest.raises(ValueError):
        result.low[0] = 0.0  # read-only: the recorded limits cannot drift from the value
    attrs = result.to_attrs()
    assert set(attrs) == {"value", "unique_pairs", "reference_unique_pairs", "bins", "low", "high"}
    assert json.loads(json.dumps(attrs)) == attrs
    assert type(attrs["unique_pairs"]) is int and type(attrs["value"]) is float
    assert attrs["low"] == reference.min(axis=0).tolist() and attrs["bins"] == DEFAULT_SACO_BINS
    h5py = pytest.importorskip("h5py")
    with h5py.File("saco.h5", "w", driver="core", backing_store=False) as file:
        file.attrs.update({f"saco_{key}": value for key, value in attrs.items()})
        np.testing.assert_array_equal(file.attrs["saco_high"], result.high)
        assert file.attrs["saco_value"] == result.value


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: saco(np.zeros((3, 2)), np.zeros(4), np.zeros((3, 2)), np.zeros(3)), "one row per transition"),
        (lambda: saco(np.zeros((3, 2)), np.zeros(3), np.zeros((3, 3)), np.zeros(3)), "dimensions"),
        (lambda: saco(np.zeros((3, 2)), np.zeros(3), np.zeros((0, 2)), np.zeros(0)), "reference dataset is empty"),
        (lambda: saco(np.full((3, 2), np.nan), np.zeros(3), np.zeros((3, 2)), np.zeros(3)), "finite"),
        (lambda: saco(np.zeros((3, 2)), np.zeros(3), np.zeros((3, 2)), np.full(3, np.inf)), "finite"),
        (lambda: saco(np.zeros((3, 2)), np.zeros(3), np.zeros((3, 2)), np.zeros(3), bins=0), "between 1 and"),
        (lambda: saco(np.zeros((3, 2)), np.array(["a"] * 3), np.zeros((3, 2)), np.zeros(3)), "numeric"),
    ],
)
def test_saco_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
