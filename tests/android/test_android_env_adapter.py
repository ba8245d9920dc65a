"""The android_env adapter against android_env itself: real android_env environments built around
android_env's own FakeSimulator (no emulator, network or display), with android_env as the oracle for
where touches land. Spies wrap android_env's methods to record calls; they never replace its behaviour."""

import sys
import time

import numpy as np
import pytest

pytest.importorskip("android_env")

from android_env import environment  # noqa: E402
from android_env.components import config_classes, coordinator, device_settings, pixel_fns  # noqa: E402
from android_env.components import task_manager  # noqa: E402
from android_env.components.simulators.fake import fake_simulator  # noqa: E402
from android_env.proto import adb_pb2, task_pb2  # noqa: E402
from android_env.proto.a11y import android_accessibility_forest_pb2  # noqa: E402
from gymnasium.utils.env_checker import check_env  # noqa: E402
from PIL import Image  # noqa: E402

from envsuite.android import spaces  # noqa: E402
from envsuite.android.android_env_adapter import (AndroidEnvAdapter, annotations_from_forest,  # noqa: E402
                                                  emulator_config)

DEVICE_HEIGHT, DEVICE_WIDTH = 96, 48  # the fake device's screen
HEIGHT, WIDTH = 64, 32  # the adapter's screen observation
# android_env's fake log stream prints "reward: 0.5" and "reward: 1.0" lines at random times
REWARD_REGEXP = r"^reward: ([-+]?[0-9]*\.?[0-9]+)$"


class FixedScreenFakeSimulator(fake_simulator.FakeSimulator):
    """android_env's FakeSimulator with one fixed screen instead of random noise, so that a seeded reset
    gives the same observation twice (gymnasium's env checker asks for that)."""

    def _get_screenshot_impl(self) -> np.ndarray:
        rows = np.linspace(0, 255, DEVICE_HEIGHT, dtype=np.uint8)[:, None, None]
        columns = np.linspace(0, 255, DEVICE_WIDTH, dtype=np.uint8)[None, :, None]
        return np.concatenate([np.broadcast_to(rows, (DEVICE_HEIGHT, DEVICE_WIDTH, 1)),
                               np.broadcast_to(columns, (DEVICE_HEIGHT, DEVICE_WIDTH, 1)),
                               np.full((DEVICE_HEIGHT, DEVICE_WIDTH, 1), 128, np.uint8)], axis=2)


def build_android_env(task: task_pb2.Task, simulator_class=FixedScreenFakeSimulator) -> environment.AndroidEnv:
    """An AndroidEnv assembled from its parts as android_env.loader.load does, around a fake simulator."""
    simulator = simulator_class(config_classes.FakeSimulatorConfig(screen_dimensions=(DEVICE_HEIGHT, DEVICE_WIDTH)))
    manager = task_manager.TaskManager(task)
    settings = device_settings.DeviceSettings(simulator)
    env_coordinator = coordinator.Coordinator(simulator, manager, device_settings=settings)
    return environment.AndroidEnv(simulator=simulator, coordinator=env_coordinator, task_manager=manager)


@pytest.fixture
def android_env():
    env = build_android_env(task_pb2.Task(id="fake_task", name="fake task"))
    yield env
    env.close()


@pytest.fixture
def adapter(android_env):
    env = AndroidEnvAdapter(env=android_env, goal="Open the settings", render_width=WIDTH, render_height=HEIGHT)
    yield env
    env.close()


@pytest.fixture
def touches(android_env, monkeypatch):
    """Every touch event the fake simulator receives: android_env's (x_pixel, y_pixel, is_down, finger)."""
    simulator = android_env._simulator
    received = []
    original = simulator.send_touch

    def send_touch(events):
        received.extend(events)
        return original(events)

    monkeypatch.setattr(simulator, "send_touch", send_touch)
    return received


@pytest.fixture
def adb_calls(android_env, monkeypatch):
    """Every adb request the adapter makes through android_env."""
    requests = []
    original = android_env.execute_adb_call

    def execute_adb_call(request):
        requests.append(request)
        return original(request)

    monkeypatch.setattr(android_env, "execute_adb_call", execute_adb_call)
    return requests


def expected_pixel(yx):
    """Where android_env puts a touch at AitW's (y, x): its own touch_position (x, y) -> pixel mapping."""
    return pixel_fns.touch_position_to_pixel_position(np.array([yx[1], yx[0]], np.float32),
                                                      width_height=(DEVICE_WIDTH, DEVICE_HEIGHT))


def test_passes_gymnasiums_env_checker(adapter):
    check_env(adapter, skip_render_check=True)


def test_reset_and_step_give_observations_in_the_space_with_the_requested_screen(adapter):
    observation, info = adapter.reset(seed=0)
    assert adapter.observation_space.contains(observation)
    assert observation["screen"].shape == (HEIGHT, WIDTH, 3)
    assert observation["goal"] == "Open the settings"
    # no UI tree from this android_env: padding only
    assert not observation["annotation_positions"].any() and not observation["annotation_types"].any()
    assert observation["annotation_texts"] == ("",) * spaces.MAX_ANNOTATIONS
    # the device's pixels, resized with Pillow's bilinear filter
    device_pixels = adapter._env.raw_observation["pixels"]
    assert device_pixels.shape == (DEVICE_HEIGHT, DEVICE_WIDTH, 3)
    resized = np.asarray(Image.fromarray(device_pixels).resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(observation["screen"], resized)
    for action in (spaces.make_action(spaces.DUAL_POINT, (0.5, 0.5)), spaces.make_action(spaces.PRESS_HOME),
                   spaces.make_action(spaces.TYPE, typed_text="hi")):
        observation, reward, terminated, truncated, info = adapter.step(action)
        assert adapter.observation_space.contains(observation)
        assert (reward, terminated, truncated) == (0.0, False, False)


def test_a_tap_is_a_touch_then_a_lift_at_the_point(adapter, touches):
    adapter.reset(seed=0)
    touches.clear()  # android_env lifts every finger on reset
    tap_yx = (0.25, 0.75)
    _, _, _, _, info = adapter.step(spaces.make_action(spaces.DUAL_POINT, tap_yx, lift_yx=(0.26, 0.76)))
    x, y = expected_pixel(tap_yx)
    assert (x, y) == (36, 24)  # x from AitW's second coordinate
    assert touches == [(x, y, True, 0), (x, y, False, 0)]
    assert info["android_env_steps"] == 2 and not info["invalid_action"]


def test_a_swipe_is_touches_along_the_line_then_a_lift(adapter, touches):
    adapter.reset(seed=0)
    touches.clear()
    start_yx, end_yx = (0.8, 0.5), (0.2, 0.5)
    _, _, _, _, info = adapter.step(spaces.make_action(spaces.DUAL_POINT, start_yx, lift_yx=end_yx))
    assert len(touches) == adapter.swipe_touch_events + 1 == info["android_env_steps"]
    assert all(is_down for _, _, is_down, _ in touches[:-1]) and not touches[-1][2]
    assert touches[0][:2] == expected_pixel(start_yx) and touches[-2][:2] == touches[-1][:2] == expected_pixel(end_yx)
    ys = [y for _, y, _, _ in touches[:-1]]
    assert ys == sorted(ys, reverse=True) and len(set(ys)) == len(ys)  # upwards, one row per event
    assert {x for x, _, _, _ in touches} == {expected_pixel(start_yx)[0]}


def test_type_and_buttons_go_through_adb(adapter, adb_calls, touches):
    adapter.reset(seed=0)
    touches.clear()
    _, _, _, _, info = adapter.step(spaces.make_action(spaces.TYPE, typed_text="costco.com near me"))
    assert adb_calls[-1].WhichOneof("command") == "input_text"
    assert adb_calls[-1].input_text.text == "costco.com%snear%sme"  # `input text` reads %s as a space
    assert info["adb_status"] == "OK"
    adapter.step(spaces.make_action(spaces.TYPE, typed_text="rock & roll"))
    assert adb_calls[-1].input_text.text == "'rock%s&%sroll'"  # quoted for the device's shell
    buttons = adb_pb2.AdbRequest.PressButton.Button
    for code, button in ((spaces.PRESS_BACK, buttons.BACK), (spaces.PRESS_HOME, buttons.HOME),
                         (spaces.PRESS_ENTER, buttons.ENTER)):
        _, _, _, _, info = adapter.step(spaces.make_action(code))
        assert adb_calls[-1].press_button.button == button and info["adb_status"] == "OK"
    calls = len(adb_calls)
    adapter.step(spaces.make_action(spaces.TYPE, typed_text=""))  # typing nothing sends nothing
    assert len(adb_calls) == calls and touches == []


@pytest.mark.parametrize("code", [spaces.STATUS_TASK_COMPLETE, spaces.STATUS_TASK_IMPOSSIBLE])
def test_a_status_action_terminates(adapter, code):
    adapter.reset(seed=0)
    _, _, terminated, truncated, _ = adapter.step(spaces.make_action(code))
    assert terminated and not truncated
    with pytest.raises(RuntimeError, match="reset"):
        adapter.step(spaces.make_action(spaces.DUAL_POINT, (0.5, 0.5)))
    adapter.reset(seed=1)
    assert not adapter.step(spaces.make_action(spaces.DUAL_POINT, (0.5, 0.5)))[2]


@pytest.mark.parametrize("code", [0, 1, 2, 8, 9])
def test_unused_codes_do_nothing(adapter, touches, adb_calls, code):
    adapter.reset(seed=0)
    touches.clear()
    _, reward, terminated, truncated, info = adapter.step(spaces.make_action(code, (0.5, 0.5)))
    assert info["invalid_action"] and touches == [] and adb_calls == []
    assert (reward, terminated, truncated) == (0.0, False, False)


def test_the_horizon_truncates(android_env):
    adapter = AndroidEnvAdapter(env=android_env, horizon=3, render_width=WIDTH, render_height=HEIGHT)
    adapter.reset(seed=0)
    tap = spaces.make_action(spaces.DUAL_POINT, (0.5, 0.5))
    assert [adapter.step(tap)[2:4] for _ in range(3)] == [(False, False), (False, False), (False, True)]


def test_android_envs_step_limit_truncates():
    # android_env truncates once its task's max_episode_steps sub-steps have passed: a tap is two of them
    env = build_android_env(task_pb2.Task(id="fake_task", max_episode_steps=3))
    adapter = AndroidEnvAdapter(env=env, horizon=10, render_width=WIDTH, render_height=HEIGHT)
    try:
        adapter.reset(seed=0)
        tap = spaces.make_action(spaces.DUAL_POINT, (0.5, 0.5))
        assert adapter.step(tap)[2:4] == (False, False)
        _, _, terminated, truncated, info = adapter.step(tap)
        assert (terminated, truncated) == (False, True) and info["android_env_steps"] == 2
    finally:
        adapter.close()


def test_the_reward_is_android_envs_task_reward_summed_over_the_sub_steps(monkeypatch):
    task = task_pb2.Task(id="fake_task")
    task.log_parsing_config.log_regexps.reward.append(REWARD_REGEXP)
    env = build_android_env(task, simulator_class=fake_simulator.FakeSimulator)
    sub_step_rewards = []
    original_step = env.step

    def step(action):
        timestep = original_step(action)
        sub_step_rewards.append(float(timestep.reward))
        return timestep

    monkeypatch.setattr(env, "step", step)
    adapter = AndroidEnvAdapter(env=env, horizon=1000, render_width=WIDTH, render_height=HEIGHT)
    try:
        adapter.reset(seed=0)
        swipe = spaces.make_action(spaces.DUAL_POINT, (0.9, 0.5), lift_yx=(0.1, 0.5))
        for _ in range(50):  # the fake log stream prints a reward line in about 3 of 10 tenths of a second
            time.sleep(0.2)
            sub_step_rewards.clear()
            _, reward, _, _, _ = adapter.step(swipe)
            assert len(sub_step_rewards) == adapter.swipe_touch_events + 1
            assert reward == sum(sub_step_rewards)
            if reward > 0:
                break
        assert reward > 0, "android_env's fake log stream gave no reward in 50 steps"
    finally:
        adapter.close()


def test_builds_through_android_envs_loader_from_a_config(tmp_path):
    task_file = tmp_path / "task.textproto"
    task_file.write_text('id: "fake_task"\nname: "fake task"\n')
    config = config_classes.AndroidEnvConfig(
        task=config_classes.FilesystemTaskConfig(path=str(task_file)),
        simulator=config_classes.FakeSimulatorConfig(screen_dimensions=(DEVICE_HEIGHT, DEVICE_WIDTH)))
    adapter = AndroidEnvAdapter(config=config, goal="Set an alarm", render_width=WIDTH, render_height=HEIGHT)
    try:
        observation, _ = adapter.reset(seed=0)
        assert adapter.observation_space.contains(observation) and observation["screen"].shape == (HEIGHT, WIDTH, 3)
        observation, *_ = adapter.step(spaces.make_action(spaces.DUAL_POINT, (0.1, 0.9), lift_yx=(0.9, 0.1)))
        assert adapter.observation_space.contains(observation)
    finally:
        adapter.close()


def test_emulator_config_points_android_env_at_the_sdk():
    config = emulator_config("/tasks/clock.textproto", "pixel_6", android_sdk_root="/opt/android-sdk/")
    assert config.task.path == "/tasks/clock.textproto"
    assert isinstance(config.simulator, config_classes.EmulatorConfig)
    launcher = config.simulator.emulator_launcher
    assert (launcher.avd_name, launcher.android_sdk_root, launcher.emulator_path) == (
        "pixel_6", "/opt/android-sdk", "/opt/android-sdk/emulator/emulator")
    assert config.simulator.adb_controller.adb_path == "/opt/android-sdk/platform-tools/adb"


def test_annotations_come_from_the_accessibility_forest():
    forest = android_accessibility_forest_pb2.AndroidAccessibilityForest()
    nodes = forest.windows.add().tree.nodes
    for left, top, right, bottom, text, flags in (
            (0, 48, 24, 60, "Search", {"is_editable": True}),
            (24, 12, 48, 24, "Wi-Fi", {"is_checkable": True}),
            (0, 12, 24, 24, "Settings", {}),
            (0, 70, 48, 80, "", {"is_clickable": True}),
            (0, 0, 48, 96, "", {}),  # a layout: no text, nothing to do
            (0, 80, 48, 90, "hidden", {"is_visible_to_user": False})):
        node = nodes.add(text=text, is_visible_to_user=flags.pop("is_visible_to_user", True), **flags)
        node.bounds_in_screen.left, node.bounds_in_screen.top = left, top
        node.bounds_in_screen.right, node.bounds_in_screen.bottom = right, bottom
    positions, types, texts = annotations_from_forest(forest, DEVICE_HEIGHT, DEVICE_WIDTH)
    assert texts[:4] == ("Settings", "Wi-Fi", "Search", "") and set(texts[4:]) == {""}
    assert [spaces.UI_TYPES[t - 1] for t in types[:4]] == ["TEXT", "TOGGLE", "INPUT", "BUTTON"]
    assert not types[4:].any()
    np.testing.assert_allclose(positions[0], [12 / 96, 0, 12 / 96, 24 / 48])  # AitW's (y, x, h, w)
    np.testing.assert_allclose(positions[1], [12 / 96, 24 / 48, 12 / 96, 24 / 48])


def test_a_bad_action_is_a_value_error(adapter):
    adapter.reset(seed=0)
    bad = spaces.make_action(spaces.DUAL_POINT, (np.nan, 0.5))
    with pytest.raises(ValueError, match="AndroidEnvAdapter.*touch_yx must be finite"):
        adapter.step(bad)
    with pytest.raises(ValueError, match="action must be in"):
        adapter.step({"action_type": spaces.DUAL_POINT})
    # float64 points and lists are fine
    adapter.step({"action_type": 4, "touch_yx": [0.5, 0.5], "lift_yx": np.array([0.5, 0.5]), "typed_text": ""})


def test_step_before_reset_is_an_error(adapter):
    with pytest.raises(RuntimeError, match="reset"):
        adapter.step(spaces.make_action(spaces.PRESS_BACK))


def test_needs_exactly_one_way_to_get_android_env(android_env):
    with pytest.raises(ValueError, match="exactly one"):
        AndroidEnvAdapter()
    with pytest.raises(ValueError, match="exactly one"):
        AndroidEnvAdapter(env=android_env, config=config_classes.AndroidEnvConfig())
    with pytest.raises(ValueError, match="go together"):
        AndroidEnvAdapter(task_path="task.textproto")


def test_render_gives_the_devices_screen(android_env):
    adapter = AndroidEnvAdapter(env=android_env, render_width=WIDTH, render_height=HEIGHT, render_mode="rgb_array")
    adapter.reset(seed=0)
    assert adapter.render().shape == (DEVICE_HEIGHT, DEVICE_WIDTH, 3)


def test_without_android_env_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "android_env", None)  # `import android_env` now fails
    with pytest.raises(ImportError, match=r'pip install "envsuite\[android\]"'):
        AndroidEnvAdapter(env=object())
