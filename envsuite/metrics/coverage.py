"""State-action coverage (SACo) and the two kernels it is built from: digitize and count_unique_rows.

envsuite/metrics: dataset metrics; imported by envsuite.data and datagen; imports no family.

SACo (Schweighofer et al. 2022, "A Dataset Perspective on Offline Reinforcement Learning") is the
number of unique state-action pairs in a dataset divided by the number in a reference dataset.
Continuous values are first put on a per-dimension grid (`digitize`, limits = min/max of the
reference), then whole rows are counted (`count_unique_rows`).

Unique rows are counted in one of two ways:
- default: a 64-bit hash of every row (threaded for large inputs), sort, count distinct hashes.
  Two different rows share a hash with probability about 2**-64, so for N rows the count is exact
  except with probability about N**2 / 2**65 (3e-8 for a million rows); a collision makes it low
  by one.
- `exact=True`: an open-addressing hash set that compares whole rows when hashes agree; always exact.
Both treat -0.0 and +0.0 as equal and all NaN bit patterns as one value; `np.unique(rows, axis=0)`
after the same canonicalisation is the test oracle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from envsuite._numba_cache import njit
from envsuite.metrics._validation import as_rows, require_finite

DEFAULT_SACO_BINS = 5
"""Grid resolution of `saco`: each dimension's reference range is cut into 5 bins of 20% each.

Why 5: the grid has to be coarse enough that near-identical states (the same behaviour with a
little noise) share a cell, otherwise SACo just counts samples. Locomotion state-action rows have
14 to 113 dimensions; measured on small Hopper datasets (14 dimensions, 5,000 steps each, against
the medium-replay data), 20 bins gave random, medium and expert data the same SACo (1.53, 1.53,
1.53: every sample its own cell), while 5 bins ranked them as coverage should (4.95, 2.81, 1.74).
Only compare SACo values computed with the same `bins` and reference (both are recorded in
`SacoResult`).
"""

# Constants of the splitmix64 finaliser (Steele, Lea & Flood 2014), a cheap bijective 64-bit mix
# with good avalanche; numba keeps np.uint64 globals as uint64 compile-time constants.
_MIX_MULTIPLIER_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_MULTIPLIER_2 = np.uint64(0x94D049BB133111EB)
_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_ROW_HASH_SEED = np.uint64(0x243F6A8885A308D3)

# IEEE-754 bit layouts used to canonicalise float elements before hashing/comparing.
_F64_SIGN = np.uint64(0x8000000000000000)
_F64_EXPONENT = np.uint64(0x7FF0000000000000)
_F64_MANTISSA = np.uint64(0x000FFFFFFFFFFFFF)
_F64_CANONICAL_NAN = np.uint64(0x7FF8000000000000)
_F32_SIGN = np.uint64(0x80000000)
_F32_EXPONENT = np.uint64(0x7F800000)
_F32_MANTISSA = np.uint64(0x007FFFFF)
_F32_CANONICAL_NAN = np.uint64(0x7FC00000)

# Element kinds of a row matrix: how its raw bits are read.
_INTEGER_ELEMENTS = 0
_FLOAT32_ELEMENTS = 32
_FLOAT64_ELEMENTS = 64


# Below this many elements the serial kernels are used: waking a thread team costs from tens of
# microseconds on an idle machine to milliseconds on a busy 2-core one, more than the whole work
# of a small input (about 1 ns per element), and datagen calls these once per small shard too.
_PARALLEL_MIN_ELEMENTS = 1 << 18


@njit(cache=True)  # not numba-inlined: inside a prange reduction that trips a numba parfor bug
def _digitize_row(values, low, high, bins, row, bin_indices):
    """Bins of one row; returns the number of NaN values met (they get bin 0; the wrapper raises).

    `values` may be float32 or float64: each element is widened to float64 on load, exactly as
    numpy's astype(float64) would, so no float64 copy of a float32 dataset is ever made.
    """
    top_bin = bins - 1
    nan_count = 0
    for col in range(values.shape[1]):
        value = np.float64(values[row, col])
        if value != value:
            nan_count += 1
            bin_indices[row, col] = 0
            continue
        width = high[col] - low[col]
        if width == 0.0:
            bin_indices[row, col] = 0
            continue
        # Same operation order as the documented formula, so results match numpy bit for bit.
        position = (value - low[col]) / width * bins
        # Clip while still a float: casting inf or a huge value to an integer is undefined.
        if position < 1.0:
            bin_indices[row, col] = 0
        elif position >= top_bin:
            bin_indices[row, col] = top_bin
        else:
            bin_indices[row, col] = np.int32(np.floor(position))
    return nan_count


@njit(cache=True)
def _digitize_serial(values, low, high, bins):
    bin_indices = np.empty(values.shape, dtype=np.int32)
    nan_count = 0
    for row in range(values.shape[0]):
        nan_count += _digitize_row(values, low, high, bins, row, bin_indices)
    return bin_indices, nan_count


@njit(cache=True, parallel=True)
def _digitize_parallel(values, low, high, bins):
    bin_indices = np.empty(values.shape, dtype=np.int32)
    nan_count = 0
    for row in numba.prange(values.shape[0]):
        row_nans = _digitize_row(values, low, high, bins, row, bin_indices)
        nan_count += row_nans
    return bin_indices, nan_count


@numba.njit(inline="always")
def _mix64(state):
    state = (state ^ (state >> np.uint64(30))) * _MIX_MULTIPLIER_1
    state = (state ^ (state >> np.uint64(27))) * _MIX_MULTIPLIER_2
    return state ^ (state >> np.uint64(31))


@numba.njit(inline="always")
def _canonical_bits(raw, element_kind):
    """The element's bits as uint64, with -0.0 -> +0.0 and every NaN -> one NaN for float kinds."""
    bits = np.uint64(raw)
    if element_kind == _FLOAT64_ELEMENTS:
        if bits == _F64_SIGN:
            return np.uint64(0)
        if (bits & _F64_EXPONENT) == _F64_EXPONENT and (bits & _F64_MANTISSA) != np.uint64(0):
            return _F64_CANONICAL_NAN
    elif element_kind == _FLOAT32_ELEMENTS:
        if bits == _F32_SIGN:
            return np.uint64(0)
        if (bits & _F32_EXPONENT) == _F32_EXPONENT and (bits & _F32_MANTISSA) != np.uint64(0):
            return _F32_CANONICAL_NAN
    return bits


@numba.njit(inline="always")
def _row_hash(row_bits, row, element_kind):
    state = _ROW_HASH_SEED
    for col in range(row_bits.shape[1]):
        # Each step is a bijection of `state` for a fixed element, so rows that differ in a single
        # element never collide; chaining also makes the hash depend on element order.
        state = _mix64((state ^ _canonical_bits(row_bits[row, col], element_kind)) + _GOLDEN_GAMMA)
    return state


@njit(cache=True)
def _row_hashes_serial(row_bits, element_kind):
    hashes = np.empty(row_bits.shape[0], dtype=np.uint64)
    for row in range(row_bits.shape[0]):
        hashes[row] = _row_hash(row_bits, row, element_kind)
    return hashes


@njit(cache=True, parallel=True)
def _row_hashes_parallel(row_bits, element_kind):
    hashes = np.empty(row_bits.shape[0], dtype=np.uint64)
    for row in numba.prange(row_bits.shape[0]):
        hashes[row] = _row_hash(row_bits, row, element_kind)
    return hashes


@njit(cache=True)
def _rows_equal(row_bits, row_a, row_b, element_kind):
    for col in range(row_bits.shape[1]):
        element_a = _canonical_bits(row_bits[row_a, col], element_kind)
        if element_a != _canonical_bits(row_bits[row_b, col], element_kind):
            return False
    return True


@njit(cache=True)
def _count_unique_rows_exact_kernel(row_bits, element_kind, hashes):
    # Open addressing with linear probing; the table is a power of two at least twice the row
    # count, so probes stay short. Each slot keeps the index of the first row seen with its
    # contents plus that row's hash, and whole rows are compared only when hashes agree.
    n_rows = row_bits.shape[0]
    capacity = 1
    while capacity < 2 * n_rows:
        capacity *= 2
    mask = np.uint64(capacity - 1)
    slot_rows = np.full(capacity, -1, dtype=np.int64)
    slot_hashes = np.zeros(capacity, dtype=np.uint64)
    n_unique = 0
    for row in range(n_rows):
        row_hash = hashes[row]
        slot = row_hash & mask
        while True:
            stored_row = slot_rows[slot]
            if stored_row < 0:
                slot_rows[slot] = row
                slot_hashes[slot] = row_hash
                n_unique += 1
                break
            if slot_hashes[slot] == row_hash and _rows_equal(row_bits, stored_row, row, element_kind):
                break
            slot = (slot + np.uint64(1)) & mask
    return n_unique


def _row_bits(rows: np.ndarray) -> tuple[np.ndarray, int]:
    """Reinterpret a 2-D array as unsigned bits without copying where possible, plus its element kind."""
    if rows.dtype == np.bool_ or (np.issubdtype(rows.dtype, np.integer) and rows.dtype.itemsize < 4):
        rows = rows.astype(np.int32)
    elif rows.dtype == np.float16:
        rows = rows.astype(np.float32)  # exact, and -0.0/NaN keep their meaning
    elif np.issubdtype(rows.dtype, np.floating) and rows.dtype.itemsize > 8:
        raise ValueError(f"rows of dtype {rows.dtype} are not supported; convert them to float64 first.")
    elif not (np.issubdtype(rows.dtype, np.integer) or np.issubdtype(rows.dtype, np.floating)):
        raise ValueError(f"rows must hold integers or floats, got dtype {rows.dtype}.")
    rows = np.ascontiguousarray(rows)
    unsigned = np.uint32 if rows.dtype.itemsize == 4 else np.uint64
    if np.issubdtype(rows.dtype, np.floating):
        kind = _FLOAT32_ELEMENTS if rows.dtype.itemsize == 4 else _FLOAT64_ELEMENTS
    else:
        kind = _INTEGER_ELEMENTS
    return rows.view(unsigned), kind


def count_unique_rows(rows, exact: bool = False) -> int:
    """Number of distinct rows of a 2-D integer or float array.

    -0.0 equals +0.0 and all NaNs are equal to each other (and to nothing else).

    Args:
        rows: (N, D) array; bool, any integer or float dtype. 0 rows gives 0.
        exact: False (default) hashes each row to 64 bits (threaded) and counts distinct hashes
            after a sort; the result is exact unless two of the N rows share a hash (probability
            about N**2 / 2**65), which makes it low by one. True inserts the hashed rows into a hash
            set that compares whole rows when hashes agree: always exact, serial insertion, and a
            table of 2-4x N slots (16 bytes each).
    """
    array = np.asarray(rows)
    if array.ndim != 2:
        raise ValueError(
            f"rows must be a 2-D array (one row per sample), got shape {array.shape}; reshape a 1-D array "
            "with values[:, None]."
        )
    row_bits, element_kind = _row_bits(array)
    if row_bits.shape[0] == 0:
        return 0
    row_hashes = _row_hashes_parallel if row_bits.size >= _PARALLEL_MIN_ELEMENTS else _row_hashes_serial
    hashes = row_hashes(row_bits, element_kind)
    if exact:
        return int(_count_unique_rows_exact_kernel(row_bits, element_kind, hashes))
    hashes.sort()
    return int(1 + np.count_nonzero(hashes[1:] != hashes[:-1]))


def _as_float64_rows(name: str, values) -> np.ndarray:
    rows = as_rows(name, values)
    if not (np.issubdtype(rows.dtype, np.number) or rows.dtype == np.bool_):
        raise ValueError(f"{name} must be numeric, got dtype {rows.dtype}.")
    return np.ascontiguousarray(rows, dtype=np.float64)


def digitize(values, low, high, bins: int) -> np.ndarray:
    """Per-dimension grid index of every value: `floor((x - low_d) / (high_d - low_d) * bins)`, clipped.

    Args:
        values: (N, D) real array (ints are read as float64; beyond 2**53 they round).
        low, high: (D,) finite grid limits per column, `high >= low`. A column with `high == low`
            puts every value in bin 0. Values outside [low, high] (and +-inf) go to the edge bins.
        bins: number of bins per column, 1 <= bins <= 2**31 - 1.

    Returns:
        int32 array (N, D) with entries in [0, bins - 1]. `x == high_d` lands in the top bin,
        -0.0 and +0.0 in the same bin. ValueError on NaN values (a NaN has no bin).
    """
    value_rows = np.asarray(values)
    if value_rows.ndim != 2:
        raise ValueError(
            f"values must be a 2-D array (N, D), got shape {value_rows.shape}; reshape a 1-D array with "
            "values[:, None]."
        )
    if value_rows.dtype not in (np.float32, np.float64):  # float32 and float64 go to the kernel as they are
        value_rows = _as_float64_rows("values", value_rows)
    value_rows = np.ascontiguousarray(value_rows)
    n_cols = value_rows.shape[1]
    low_limits = np.ascontiguousarray(np.asarray(low, dtype=np.float64).reshape(-1))
    high_limits = np.ascontiguousarray(np.asarray(high, dtype=np.float64).reshape(-1))
    for name, limits in (("low", low_limits), ("high", high_limits)):
        if limits.shape != (n_cols,):
            raise ValueError(f"{name} must have one limit per column of values ({n_cols}), got {limits.shape[0]}.")
        require_finite(name, limits)
    if np.any(high_limits < low_limits):
        col = int(np.flatnonzero(high_limits < low_limits)[0])
        raise ValueError(
            f"high must be >= low in every column, but column {col} has low {low_limits[col]!r} > high "
            f"{high_limits[col]!r}."
        )
    with np.errstate(over="ignore"):
        widths = high_limits - low_limits
    if not np.all(np.isfinite(widths)):
        col = int(np.flatnonzero(~np.isfinite(widths))[0])
        raise ValueError(f"high - low overflows float64 in column {col}; rescale that column before digitising.")
    bin_count = _as_bin_count(bins)
    digitize_rows = _digitize_parallel if value_rows.size >= _PARALLEL_MIN_ELEMENTS else _digitize_serial
    bin_indices, nan_count = digitize_rows(value_rows, low_limits, high_limits, bin_count)
    if nan_count:
        bad = tuple(int(i) for i in np.argwhere(np.isnan(value_rows))[0])
        raise ValueError(f"values must not contain NaN (it has no bin), but values[{bad[0]}, {bad[1]}] is NaN.")
    return bin_indices


def _as_bin_count(bins) -> int:
    if isinstance(bins, (bool, np.bool_)) or not isinstance(bins, (int, np.integer)):
        raise ValueError(f"bins must be an integer, got {bins!r}.")
    if not 1 <= int(bins) <= np.iinfo(np.int32).max:
        raise ValueError(f"bins must be between 1 and {np.iinfo(np.int32).max}, got {bins}.")
    return int(bins)


@dataclass(frozen=True, eq=False)
class SacoResult:
    """SACo of a dataset and everything needed to reproduce it.

    `low`/`high` are the per-dimension grid limits (reference min/max; observation dimensions first,
    then action dimensions), read-only float64 arrays. Equality is identity (`eq=False`) because
    comparing arrays elementwise has no single truth value.
    """

    value: float
    unique_pairs: int
    reference_unique_pairs: int
    bins: int
    low: np.ndarray
    high: np.ndarray

    def to_attrs(self) -> dict:
        """Plain python values (floats, ints, lists of floats) that JSON and HDF5 attributes store as is."""
        return {
            "value": float(self.value),
            "unique_pairs": int(self.unique_pairs),
            "reference_unique_pairs": int(self.reference_unique_pairs),
            "bins": int(self.bins),
            "low": [float(x) for x in self.low],
            "high": [float(x) for x in self.high],
        }


def _state_action_rows(observation_name, observations, action_name, actions) -> np.ndarray:
    observation_rows = _as_float64_rows(observation_name, observations)
    action_rows = _as_float64_rows(action_name, actions)
    if observation_rows.shape[0] != action_rows.shape[0]:
        raise ValueError(
            f"{observation_name} and {action_name} must have one row per transition each, got "
            f"{observation_rows.shape[0]} and {action_rows.shape[0]} rows."
        )
    return np.concatenate([observation_rows, action_rows], axis=1)


def saco(
    observations,
    actions,
    reference_observations,
    reference_actions,
    bins: int = DEFAULT_SACO_BINS,
    exact: bool = False,
) -> SacoResult:
    """State-action coverage: unique digitised (observation, action) pairs of a dataset / of a reference.

    Every dimension is cut into `bins` equal bins between the reference data's min and max in that
    dimension (dataset values outside that range go to the edge bins); a pair is the row of bin
    indices of the concatenated observation and action. SACo = unique pairs of the dataset / unique
    pairs of the reference, e.g. 1.0 when the dataset covers as many grid cells as the reference
    (Schweighofer et al. 2022 use the union of all datasets of a task as the reference).

    Args:
        observations: (N, ...) dataset observations; 1-D is one column, trailing dims are flattened.
        actions: (N, ...) dataset actions, same rules (discrete actions as a 1-D integer array).
        reference_observations, reference_actions: the reference dataset, same dimensions, >= 1 row.
        bins: bins per dimension, default `DEFAULT_SACO_BINS` (5; see its docstring for why).
        exact: count unique rows exactly (hash set) instead of by 64-bit hashes; see `count_unique_rows`.

    ValueError on NaN/inf in either dataset, mismatched row counts or dimensions, or an empty reference.
    """
    dataset_rows = _state_action_rows("observations", observations, "actions", actions)
    reference_rows = _state_action_rows(
        "reference_observations", reference_observations, "reference_actions", reference_actions
    )
    if dataset_rows.shape[1] != reference_rows.shape[1]:
        raise ValueError(
            f"the dataset has {dataset_rows.shape[1]} observation+action dimensions but the reference has "
            f"{reference_rows.shape[1]}; SACo compares datasets of the same task."
        )
    if reference_rows.shape[0] == 0:
        raise ValueError("the reference dataset is empty; SACo needs at least one reference transition.")
    require_finite("reference observations+actions", reference_rows)
    require_finite("observations+actions", dataset_rows)
    bin_count = _as_bin_count(bins)
    low = reference_rows.min(axis=0)
    high = reference_rows.max(axis=0)
    unique_pairs = count_unique_rows(digitize(dataset_rows, low, high, bin_count), exact=exact)
    reference_unique_pairs = count_unique_rows(digitize(reference_rows, low, high, bin_count), exact=exact)
    low.setflags(write=False)
    high.setflags(write=False)
    return SacoResult(
        value=unique_pairs / reference_unique_pairs,
        unique_pairs=unique_pairs,
        reference_unique_pairs=reference_unique_pairs,
        bins=bin_count,
        low=low,
        high=high,
    )
