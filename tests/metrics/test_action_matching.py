"""AitW action matching against hand-worked cases for every branch of AitW's action_matching.py
(the constants and rules are AitW's: tap/swipe at 0.04, tap distance 0.14, boxes grown by 1.4)."""

import numpy as np
import pytest

from envsuite.metrics import action_matching as am

NO_BOXES = np.zeros((0, 4))


def match(type_1, touch_1, lift_1, type_2, touch_2, lift_2, boxes=NO_BOXES):
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    padded = np.full((1, max(len(boxes), 1) + 2, 4), 9.0)  # padding rows that must be ignored
    padded[0, :len(boxes)] = boxes
    result = am.action_matches(np.array([type_1]), np.array([touch_1], dtype=float), np.array([lift_1], dtype=float),
                               np.array([type_2]), np.array([touch_2], dtype=float), np.array([lift_2], dtype=float),
                               padded, np.array([len(boxes)]))
    return bool(result[0])


ANY = (0.5, 0.5)


def test_aitws_constants():
    assert (am.TYPE, am.DUAL_POINT, am.PRESS_BACK, am.PRESS_HOME, am.PRESS_ENTER) == (3, 4, 5, 6, 7)
    assert (am.STATUS_TASK_COMPLETE, am.STATUS_TASK_IMPOSSIBLE) == (10, 11)
    assert (am.SWIPE_DISTANCE_THRESHOLD, am.TAP_DISTANCE_THRESHOLD, am.ANNOTATION_AUGMENT_FRACTION) == (0.04, 0.14, 1.4)


def test_non_dual_point_actions_match_on_type_only():
    assert match(am.PRESS_BACK, ANY, ANY, am.PRESS_BACK, (0.1, 0.9), (0.1, 0.9))
    assert not match(am.PRESS_BACK, ANY, ANY, am.PRESS_HOME, ANY, ANY)
    assert not match(am.DUAL_POINT, ANY, ANY, am.TYPE, ANY, ANY)  # one DUAL_POINT: types differ
    assert match(am.STATUS_TASK_COMPLETE, ANY, ANY, am.STATUS_TASK_COMPLETE, ANY, ANY)


def test_a_tap_never_matches_a_swipe():
    tap, swipe_end = (0.5, 0.5), (0.5, 0.55)  # moved 0.05 > 0.04: a swipe
    assert not match(am.DUAL_POINT, tap, tap, am.DUAL_POINT, tap, swipe_end)
    assert match(am.DUAL_POINT, tap, (0.5, 0.53), am.DUAL_POINT, tap, tap)  # moved 0.03: still a tap


def test_taps_within_0_14_match_without_any_box():
    assert match(am.DUAL_POINT, (0.5, 0.5), (0.5, 0.5), am.DUAL_POINT, (0.5, 0.63), (0.5, 0.63))
    assert not match(am.DUAL_POINT, (0.5, 0.5), (0.5, 0.5), am.DUAL_POINT, (0.5, 0.65), (0.5, 0.65))


def test_far_taps_match_when_both_fall_in_one_box_grown_by_1_4():
    box = [(0.1, 0.1, 0.1, 0.1)]  # grown: top/left 0.1 - 0.07 = 0.03, height/width 0.1 + 0.14 = 0.24
    a, b = (0.04, 0.04), (0.26, 0.26)  # 0.31 apart, both inside 0.03 .. 0.27
    assert match(am.DUAL_POINT, a, a, am.DUAL_POINT, b, b, box)
    assert not match(am.DUAL_POINT, a, a, am.DUAL_POINT, b, b)  # without the box: too far
    outside = (0.28, 0.26)
    assert not match(am.DUAL_POINT, a, a, am.DUAL_POINT, outside, outside, box)


def test_taps_in_different_boxes_do_not_match():
    boxes = [(0.1, 0.1, 0.05, 0.05), (0.7, 0.7, 0.05, 0.05)]
    a, b = (0.11, 0.11), (0.71, 0.71)
    assert not match(am.DUAL_POINT, a, a, am.DUAL_POINT, b, b, boxes)


def test_boxes_are_clipped_as_aitw_clips_them():
    # a box at the top-left corner: AitW clips the top at 0 but keeps the grown height 0.24, so the
    # box reaches y = 0.24 (a clip of its edges would stop at 0.17)
    box = [(0.0, 0.0, 0.1, 0.1)]
    a, b = (0.01, 0.01), (0.235, 0.01)
    assert match(am.DUAL_POINT, a, a, am.DUAL_POINT, b, b, box)
    # a box larger than the screen after growing: height and width clipped to 1
    big = [(0.3, 0.3, 0.6, 0.6)]  # top 0.3 - 0.42 -> 0, height 0.6 + 0.84 -> 1
    assert match(am.DUAL_POINT, (0.0, 0.0), (0.0, 0.0), am.DUAL_POINT, (1.0, 1.0), (1.0, 1.0), big)


def test_swipes_match_on_their_main_axis():
    down = ((0.2, 0.5), (0.8, 0.55))
    up = ((0.9, 0.1), (0.3, 0.2))
    right = ((0.5, 0.1), (0.52, 0.9))
    assert match(am.DUAL_POINT, *down, am.DUAL_POINT, *up)  # both vertical, whatever the direction
    assert not match(am.DUAL_POINT, *down, am.DUAL_POINT, *right)
    tie = ((0.2, 0.2), (0.4, 0.4))  # equal |dy| and |dx|: argmax takes y, as AitW's np.argmax does
    assert match(am.DUAL_POINT, *tie, am.DUAL_POINT, *down)


def test_metrics_over_a_batch_and_clear_errors():
    types_1 = [am.DUAL_POINT, am.TYPE, am.TYPE, am.PRESS_BACK]
    types_2 = [am.DUAL_POINT, am.TYPE, am.TYPE, am.PRESS_HOME]
    touch = [(0.5, 0.5)] * 4
    texts_1, texts_2 = ["", "Razer Blade ", "costco", ""], ["", "razer blade", "ebay", ""]
    boxes = np.zeros((4, 1, 4))
    metrics = am.action_matching_metrics(types_1, touch, touch, texts_1, types_2, touch, touch, texts_2, boxes,
                                         np.zeros(4, dtype=int))
    assert metrics["action_match_accuracy"] == 0.75 and metrics["type_accuracy"] == 0.75
    assert metrics["typed_text_accuracy"] == 0.5 and metrics["type_pairs"] == 2
    with pytest.raises(ValueError, match="NaN"):
        am.action_matching_metrics([4], [(np.nan, 0.5)], [(0.5, 0.5)], [""], [4], [(0.5, 0.5)], [(0.5, 0.5)], [""],
                                   np.zeros((1, 1, 4)), [0])
    with pytest.raises(ValueError, match=r"\(N, K, 4\)"):
        am.action_matching_metrics([4], [ANY], [ANY], [""], [4], [ANY], [ANY], [""], np.zeros((1, 4)), [0])
