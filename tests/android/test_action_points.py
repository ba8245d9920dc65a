"""The point fields of an Android action (touch_yx, lift_yx) take two finite ints or floats only.

Strings ("0.5", which numpy parses as a number), object arrays, bools, complex numbers, other
shapes and NaN/inf are a ValueError naming the env and the field, in the stub env and the
android_env adapter alike (spaces.checked_point).
"""

from __future__ import annotations

import numpy as np
import pytest

from envsuite.android import spaces
from envsuite.android.env import AndroidStubEnv

BAD_POINTS = [
    (["0.5", "0.5"], r"must be two numbers \(y, x\) of an int or float dtype"),
    (np.array(["0.5", "0.5"]), r"must be two numbers \(y, x\) of an int or float dtype"),
    ("0.5", r"must be two numbers \(y, x\) of an int or float dtype"),
    (b"\x00\x01", r"must be two numbers \(y, x\) of an int or float dtype"),
    (np.array([0.5, 0.5], dtype=object), r"must be two numbers \(y, x\) of an int or float dtype"),
    ([0.5, None], r"must be two numbers \(y, x\) of an int or float dtype"),
    ([True, False], r"must be two numbers \(y, x\) of an int or float dtype"),
    (np.array([0.5 + 1j, 0.5]), r"must be two numbers \(y, x\) of an int or float dtype"),
    ({"y": 0.5, "x": 0.5}, r"must be two numbers \(y, x\) of an int or float dtype"),
    ([0.5, [0.5]], "must be two numbers"),
    ([0.5], r"must have shape \(2,\)"),
    (np.zeros((2, 1)), r"must have shape \(2,\)"),
    ([np.nan, 0.5], "must be finite"),
    ([0.5, -np.inf], "must be finite"),
]


@pytest.fixture(scope="module")
def stub_env():
    env = AndroidStubEnv("general", render_width=108, render_height=240)
    env.reset(seed=0)
    return env


@pytest.mark.parametrize("field", ["touch_yx", "lift_yx"])
@pytest.mark.parametrize("point, message", BAD_POINTS)
def test_the_stub_env_refuses_bad_points_naming_env_and_field(stub_env, field, point, message):
    action = {"action_type": spaces.DUAL_POINT, "touch_yx": [0.5, 0.5], "lift_yx": [0.5, 0.5], field: point}
    with pytest.raises(ValueError, match=rf"^AndroidStubEnv: {field} {message}"):
        stub_env.step(action)


def test_the_env_name_is_the_registered_id_when_made_by_gymnasium():
    import gymnasium

    import envsuite  # noqa: F401  (registers the ids)

    env = gymnasium.make("envsuite/AndroidStub-General-v0", render_width=108, render_height=240)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"^envsuite/AndroidStub-General-v0: touch_yx must be two numbers"):
        env.step({"action_type": spaces.DUAL_POINT, "touch_yx": ["0.1", "0.2"]})


@pytest.mark.parametrize("point", [[0.5, 0.5], (1, 0), np.array([0.25, 0.75], np.float32),
                                   np.array([0, 1], np.int64), np.array([0.5, 0.5], np.float16)])
def test_numeric_points_are_still_accepted(stub_env, point):
    stub_env.reset(seed=0)
    stub_env.step({"action_type": spaces.DUAL_POINT, "touch_yx": point, "lift_yx": point})
    np.testing.assert_array_equal(spaces.checked_point("env", "touch_yx", point), np.asarray(point, np.float64))


@pytest.mark.parametrize("field", ["touch_yx", "lift_yx"])
@pytest.mark.parametrize("point, message", [BAD_POINTS[0], BAD_POINTS[4], BAD_POINTS[12]])
def test_the_android_env_adapter_refuses_them_too(field, point, message):
    pytest.importorskip("android_env")
    from android_env.proto import task_pb2
    # the android_env around android_env's own FakeSimulator (this folder is on sys.path under pytest)
    from test_android_env_adapter import build_android_env

    from envsuite.android.android_env_adapter import AndroidEnvAdapter

    android_env = build_android_env(task_pb2.Task(id="fake_task", name="fake task"))
    adapter = AndroidEnvAdapter(env=android_env, goal="Open the settings", render_width=32, render_height=64)
    try:
        adapter.reset(seed=0)
        action = spaces.make_action(spaces.DUAL_POINT, (0.5, 0.5))
        action[field] = point
        with pytest.raises(ValueError, match=rf"^AndroidEnvAdapter: {field} {message}"):
            adapter.step(action)
    finally:
        adapter.close()
