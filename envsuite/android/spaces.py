"""The Android family's observation and action spaces, AitW's action codes and the annotation
padding: shared by the stub env (env.py), the expert (expert.py), the datasets and the android_env
adapter (android_env_adapter.py), so that all of them speak the same API.

Action (a Dict, Android in the Wild's fields):
    action_type   Discrete(12)  AitW's codes: TYPE 3, DUAL_POINT 4, PRESS_BACK 5, PRESS_HOME 6,
                                PRESS_ENTER 7, STATUS_TASK_COMPLETE 10, STATUS_TASK_IMPOSSIBLE 11
                                (0, 1, 2, 8, 9 are AitW's unused codes: they do nothing)
    touch_yx      Box(0, 1, (2,)) where the finger goes down, (y, x) fractions of the screen
    lift_yx       Box(0, 1, (2,)) where it comes up (a tap when within 0.04 of touch_yx)
    typed_text    Text(128)       what a TYPE action types
Observation (a Dict):
    screen                  Box(0, 255, (H, W, 3), uint8)  the rendered screen
    goal                    Text(256)                      the instruction
    annotation_positions    Box(0, 1, (K, 4), float32)     AitW's (y, x, h, w) of each UI element
    annotation_types        Box(0, 6, (K,), int64)         0 = padding, else 1 + index in UI_TYPES
    annotation_texts        Tuple(K x Text(128))           each element's text ("" for padding)
K (MAX_ANNOTATIONS) elements at most; a screen with more keeps the first K in layout order.
"""

from __future__ import annotations

import string

import numpy as np
from gymnasium import spaces

from envsuite.android.device import ELEMENT_TYPES
from envsuite.metrics.action_matching import SWIPE_DISTANCE_THRESHOLD

# AitW's action_type codes (android_in_the_wild/action_type.py)
TYPE, DUAL_POINT, PRESS_BACK, PRESS_HOME, PRESS_ENTER = 3, 4, 5, 6, 7
STATUS_TASK_COMPLETE, STATUS_TASK_IMPOSSIBLE = 10, 11
ACTION_NAMES = {TYPE: "TYPE", DUAL_POINT: "DUAL_POINT", PRESS_BACK: "PRESS_BACK", PRESS_HOME: "PRESS_HOME",
                PRESS_ENTER: "PRESS_ENTER", STATUS_TASK_COMPLETE: "STATUS_TASK_COMPLETE",
                STATUS_TASK_IMPOSSIBLE: "STATUS_TASK_IMPOSSIBLE"}
NUM_ACTION_CODES = 12
TAP_DISTANCE = SWIPE_DISTANCE_THRESHOLD  # AitW: a DUAL_POINT whose touch and lift are within 0.04 is a tap

UI_TYPES = ELEMENT_TYPES  # annotation type code = 1 + index in UI_TYPES; 0 pads
MAX_ANNOTATIONS = 24
MAX_GOAL_LENGTH, MAX_TYPED_LENGTH, MAX_ANNOTATION_TEXT = 256, 128, 128
# printable ASCII: the instruction files and every app's text are ASCII (gymnasium's default Text
# charset is alphanumeric only, which would reject "Go to costco.com, ...")
CHARSET = frozenset(string.printable[:-5])  # without \t \n \r \x0b \x0c


def action_space() -> spaces.Dict:
    point = spaces.Box(0.0, 1.0, (2,), dtype=np.float32)
    return spaces.Dict({
        "action_type": spaces.Discrete(NUM_ACTION_CODES),
        "touch_yx": point,
        "lift_yx": point,
        "typed_text": spaces.Text(MAX_TYPED_LENGTH, min_length=0, charset=CHARSET),
    })


def checked_point(env_name: str, field: str, value) -> np.ndarray:
    """An action's (y, x) point (touch_yx, lift_yx) as float64 of shape (2,), or ValueError naming the
    env and the field: the values must be of a real numeric dtype (ints or floats; not strings, which
    numpy would parse, nor objects, bools or complex numbers), two of them, and finite."""
    try:
        point = np.asarray(value)
    except (TypeError, ValueError):  # e.g. a ragged list
        raise ValueError(f"{env_name}: {field} must be two numbers (y, x), got {value!r}") from None
    if point.dtype.kind not in "iuf":
        raise ValueError(f"{env_name}: {field} must be two numbers (y, x) of an int or float dtype, got {value!r} "
                         f"(dtype {point.dtype}); build actions with spaces.make_action")
    if point.shape != (2,):
        raise ValueError(f"{env_name}: {field} must have shape (2,) (y, x), got shape {point.shape}")
    point = point.astype(np.float64)
    if not np.all(np.isfinite(point)):
        raise ValueError(f"{env_name}: {field} must be finite, got {point.tolist()}")
    return point


def observation_space(height: int, width: int) -> spaces.Dict:
    return spaces.Dict({
        "screen": spaces.Box(0, 255, (height, width, 3), dtype=np.uint8),
        "goal": spaces.Text(MAX_GOAL_LENGTH, min_length=0, charset=CHARSET),
        "annotation_positions": spaces.Box(0.0, 1.0, (MAX_ANNOTATIONS, 4), dtype=np.float32),
        "annotation_types": spaces.Box(0, len(UI_TYPES), (MAX_ANNOTATIONS,), dtype=np.int64),
        "annotation_texts": spaces.Tuple([spaces.Text(MAX_ANNOTATION_TEXT, min_length=0, charset=CHARSET)
                                          for _ in range(MAX_ANNOTATIONS)]),
    })


def to_charset(text: str, max_length: int) -> str:
    """`text` cut to max_length with characters outside CHARSET replaced by '?'."""
    return "".join(c if c in CHARSET else "?" for c in text[:max_length])


def padded_annotations(positions: np.ndarray, texts: list[str], types: list[str]):
    """(positions (K, 4) float32, types (K,) int64, texts K-tuple) padded or cut to MAX_ANNOTATIONS."""
    count = min(len(texts), MAX_ANNOTATIONS)
    padded_positions = np.zeros((MAX_ANNOTATIONS, 4), dtype=np.float32)
    padded_positions[:count] = np.clip(positions[:count], 0.0, 1.0)
    padded_types = np.zeros(MAX_ANNOTATIONS, dtype=np.int64)
    padded_types[:count] = [1 + UI_TYPES.index(kind) for kind in types[:count]]
    padded_texts = tuple(to_charset(text, MAX_ANNOTATION_TEXT) for text in texts[:count]) + ("",) * (MAX_ANNOTATIONS - count)
    return padded_positions, padded_types, padded_texts


def make_action(action_type: int, touch_yx=(0.0, 0.0), lift_yx=None, typed_text: str = "") -> dict:
    """An action dict of action_space(); a DUAL_POINT without lift_yx is a tap at touch_yx."""
    touch = np.asarray(touch_yx, dtype=np.float32)
    lift = touch.copy() if lift_yx is None else np.asarray(lift_yx, dtype=np.float32)
    return {"action_type": int(action_type), "touch_yx": touch, "lift_yx": lift, "typed_text": typed_text}
