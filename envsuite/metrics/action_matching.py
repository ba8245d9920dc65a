"""Android-in-the-Wild action matching, as numba kernels vectorised over a dataset.

Where it sits: envsuite.metrics (DESIGN.md section 5, family metrics), for the Android family's
datasets and agents; imports no family. The rules are those of AitW's `action_matching.py`
(google-research/android_in_the_wild), constant for constant:

- action types: TYPE 3, DUAL_POINT 4, PRESS_BACK 5, PRESS_HOME 6, PRESS_ENTER 7,
  STATUS_TASK_COMPLETE 10, STATUS_TASK_IMPOSSIBLE 11;
- if either action is not DUAL_POINT, they match when their types are equal;
- a DUAL_POINT is a tap when ||touch - lift|| <= 0.04 (yx normalised to [0, 1]), else a swipe;
  a tap never matches a swipe;
- two taps match when both touch points fall in the same annotation box, each box (y, x, h, w)
  grown by 1.4 h and 1.4 w in total (0.7 on each side: the box becomes 2.4 times its size; the top
  and left clipped at 0, the height and width at 1, as AitW clips them), edges inclusive; or when
  the touch points are within 0.14 of each other;
- two swipes match when their main axes (the axis of the larger |lift - touch|) are the same.

`action_matching_metrics` adds the type accuracy (equal action types) and the typed-text accuracy
(among pairs that are both TYPE, equal text after stripping and case folding: envsuite's choice,
AitW's matching ignores the text).
"""

from __future__ import annotations

import numba
import numpy as np

from envsuite._numba_cache import njit

TYPE, DUAL_POINT, PRESS_BACK, PRESS_HOME, PRESS_ENTER = 3, 4, 5, 6, 7
STATUS_TASK_COMPLETE, STATUS_TASK_IMPOSSIBLE = 10, 11
TAP_DISTANCE_THRESHOLD = 0.14  # AitW's _TAP_DISTANCE_THRESHOLD (fraction of the screen)
SWIPE_DISTANCE_THRESHOLD = 0.04  # AitW's _SWIPE_DISTANCE_THRESHOLD: a tap moves no further
ANNOTATION_AUGMENT_FRACTION = 1.4  # AitW's ANNOTATION_{WIDTH,HEIGHT}_AUGMENT_FRACTION


@numba.njit(inline="always")
def _is_tap(touch, lift):
    dy, dx = touch[0] - lift[0], touch[1] - lift[1]
    return np.sqrt(dy * dy + dx * dx) <= SWIPE_DISTANCE_THRESHOLD


@numba.njit(inline="always")
def _in_grown_box(y, x, box):
    height_change = ANNOTATION_AUGMENT_FRACTION * box[2]
    width_change = ANNOTATION_AUGMENT_FRACTION * box[3]
    top = max(0.0, box[0] - height_change / 2)
    left = max(0.0, box[1] - width_change / 2)
    height = min(1.0, box[2] + height_change)
    width = min(1.0, box[3] + width_change)
    return top <= y <= top + height and left <= x <= left + width


@njit(cache=True)
def action_matches(types_1, touch_1, lift_1, types_2, touch_2, lift_2, annotations, annotation_counts):
    """(N,) bool: does action 1 of row i match action 2 of row i on that row's screen?

    types (N,) int; touch/lift (N, 2) yx in [0, 1]; annotations (N, K, 4) (y, x, h, w) boxes of the
    screen, the first annotation_counts[i] of row i valid (padding is ignored).
    """
    n = types_1.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        if types_1[i] != DUAL_POINT or types_2[i] != DUAL_POINT:
            out[i] = types_1[i] == types_2[i]
            continue
        tap_1 = _is_tap(touch_1[i], lift_1[i])
        tap_2 = _is_tap(touch_2[i], lift_2[i])
        if tap_1 != tap_2:
            continue  # a tap and a swipe
        if tap_1:
            match = False
            for k in range(annotation_counts[i]):
                box = annotations[i, k]
                if _in_grown_box(touch_1[i, 0], touch_1[i, 1], box) and _in_grown_box(touch_2[i, 0], touch_2[i, 1], box):
                    match = True
                    break
            if not match:
                dy, dx = touch_1[i, 0] - touch_2[i, 0], touch_1[i, 1] - touch_2[i, 1]
                match = np.sqrt(dy * dy + dx * dx) <= TAP_DISTANCE_THRESHOLD
            out[i] = match
        else:
            axis_1 = 0 if abs(lift_1[i, 0] - touch_1[i, 0]) >= abs(lift_1[i, 1] - touch_1[i, 1]) else 1
            axis_2 = 0 if abs(lift_2[i, 0] - touch_2[i, 0]) >= abs(lift_2[i, 1] - touch_2[i, 1]) else 1
            out[i] = axis_1 == axis_2
    return out


def action_matching_metrics(types_1, touch_1, lift_1, text_1, types_2, touch_2, lift_2, text_2, annotations,
                            annotation_counts) -> dict[str, float]:
    """Mean action-match accuracy, type accuracy and typed-text accuracy over N pairs of actions."""
    types_1, types_2 = np.asarray(types_1, dtype=np.int64), np.asarray(types_2, dtype=np.int64)
    n = len(types_1)
    touch_1, lift_1, touch_2, lift_2 = (np.asarray(a, dtype=np.float64).reshape(n, 2) for a in (touch_1, lift_1, touch_2, lift_2))
    annotations = np.asarray(annotations, dtype=np.float64)
    counts = np.asarray(annotation_counts, dtype=np.int64)
    if annotations.ndim != 3 or annotations.shape[0] != n or annotations.shape[2] != 4:
        raise ValueError(f"annotations must be (N, K, 4) (y, x, h, w) boxes for N = {n} rows, got {annotations.shape}")
    if counts.shape != (n,) or (counts < 0).any() or (counts > annotations.shape[1]).any():
        raise ValueError(f"annotation_counts must be (N,) in 0..{annotations.shape[1]}")
    for name, points in (("touch_1", touch_1), ("lift_1", lift_1), ("touch_2", touch_2), ("lift_2", lift_2)):
        if not np.all(np.isfinite(points)):
            raise ValueError(f"{name} holds NaN or inf; yx points are fractions of the screen in [0, 1]")
    matches = action_matches(types_1, touch_1, lift_1, types_2, touch_2, lift_2, annotations, counts)
    both_type = (types_1 == TYPE) & (types_2 == TYPE)
    text_matches = [str(a).strip().casefold() == str(b).strip().casefold()
                    for a, b, typed in zip(text_1, text_2, both_type) if typed]
    return {
        "action_match_accuracy": float(matches.mean()) if n else float("nan"),
        "type_accuracy": float((types_1 == types_2).mean()) if n else float("nan"),
        "typed_text_accuracy": float(np.mean(text_matches)) if text_matches else float("nan"),
        "pairs": n,
        "type_pairs": int(both_type.sum()),
    }
