"""Input checks shared by the metric wrappers (envsuite/metrics).

envsuite/metrics: dataset metrics; imported by envsuite.data and datagen; imports no family.
The numba kernels trust their inputs; these helpers are what stands between a caller's arrays and
a kernel, so every message names the argument, says what was wrong and what to pass instead.
"""

from __future__ import annotations

import math

import numpy as np


def as_1d_float64(name: str, values) -> np.ndarray:
    """A 1-D float64 copy-if-needed of `values`; ValueError for any other rank or a non-numeric dtype."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array (one value per step or episode), got shape {array.shape}.")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise ValueError(f"{name} must be numeric, got dtype {array.dtype}.")
    return np.ascontiguousarray(array, dtype=np.float64)


def as_1d_int64(name: str, values) -> np.ndarray:
    """A 1-D int64 array; ValueError for another rank or a non-integer dtype (floats are not rounded silently)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D integer array, got shape {array.shape}.")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must have an integer dtype, got {array.dtype}; cast it with .astype(np.int64).")
    return np.ascontiguousarray(array, dtype=np.int64)


def as_flag_array(name: str, values) -> np.ndarray:
    """A 1-D bool array from bools or from numbers that are all 0 or 1 (D4RL stores flags as float32 0/1)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of per-step flags, got shape {array.shape}.")
    if array.dtype == np.bool_:
        return np.ascontiguousarray(array)
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{name} must be bool or 0/1 numbers, got dtype {array.dtype}.")
    is_zero = array == 0
    if not np.all(is_zero | (array == 1)):
        bad = int(np.flatnonzero(~(is_zero | (array == 1)))[0])
        raise ValueError(f"{name} must hold only 0/1 (or bools), but {name}[{bad}] = {array[bad]!r}.")
    return np.ascontiguousarray(~is_zero)


def as_rows(name: str, values) -> np.ndarray:
    """A 2-D view with one row per sample: 1-D input is one column, trailing dims (images) are flattened."""
    array = np.asarray(values)
    if array.ndim == 0:
        raise ValueError(f"{name} must be an array with one row per sample, got a scalar.")
    if array.ndim == 1:
        return array.reshape(array.shape[0], 1)
    # Explicit sizes rather than -1: numpy cannot infer a dimension when there are no samples.
    return array.reshape(array.shape[0], int(np.prod(array.shape[1:])))


def require_finite(name: str, array: np.ndarray) -> None:
    """ValueError naming the first NaN/inf entry of a float array."""
    finite = np.isfinite(array)
    if not np.all(finite):
        bad = tuple(int(i) for i in np.argwhere(~finite)[0])
        index = bad[0] if len(bad) == 1 else bad
        raise ValueError(
            f"{name} must be finite, but {name}[{index}] = {array[bad]!r}; drop or repair that entry."
        )


def as_finite_float(name: str, value) -> float:
    """A python float from a real scalar; ValueError for arrays, non-numbers, NaN and inf."""
    if np.ndim(value) != 0:
        raise ValueError(f"{name} must be a scalar, got an array of shape {np.shape(value)}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}.") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number!r}.")
    return number
