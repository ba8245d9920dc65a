"""The Android stub env: gymnasium's env checker, its spaces, AitW's action semantics on the phone,
rewards and episode ends (the device's own state and tasks.py's checks are the oracle)."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envsuite  # noqa: F401  (registers the ids)
from envsuite.android import spaces
from envsuite.android.env import AndroidStubEnv
from envsuite.android.spaces import make_action


def centre(element):
    y, x, h, w = element["box"]
    return y + h / 2, x + w / 2


def element(info, text):
    return next(e for e in info["ui_tree"]["elements"] if e["text"].startswith(text) and e["clickable"])


@pytest.mark.parametrize("env_id", ["envsuite/AndroidStub-General-v0", "envsuite/AndroidStub-WebShop-v0"])
def test_gymnasium_env_checker_passes(env_id):
    env = gymnasium.make(env_id, render_width=108, render_height=240, render_mode="rgb_array")
    check_env(env.unwrapped)
    observation, info = env.reset(seed=1)
    assert env.observation_space.contains(observation) and observation["screen"].shape == (240, 108, 3)
    assert env.render().shape == (240, 108, 3)


def test_the_default_screen_is_540_by_1200_and_the_annotations_are_the_ui_tree():
    env = AndroidStubEnv("general")
    observation, info = env.reset(seed=0)
    assert observation["screen"].shape == (1200, 540, 3) and observation["screen"].dtype == np.uint8
    tree = info["ui_tree"]["elements"]
    count = len(tree)
    assert observation["annotation_texts"][:count] == tuple(e["text"] for e in tree)
    np.testing.assert_allclose(observation["annotation_positions"][:count], [e["box"] for e in tree], rtol=1e-6)
    assert list(observation["annotation_types"][:count]) == [1 + spaces.UI_TYPES.index(e["type"]) for e in tree]
    assert not observation["annotation_types"][count:].any() and set(observation["annotation_texts"][count:]) == {""}
    assert observation["goal"] == info["instruction"] and info["instruction"] in {t.instruction for t in env.tasks}


def test_a_task_done_by_hand_gives_reward_one_and_ends_the_episode():
    env = AndroidStubEnv("general", render_width=108, render_height=240)
    _, info = env.reset(seed=0, options={"instruction": "Turn on bluetooth"})
    assert info["family"] == "settings" and not env.device.settings["bluetooth"]  # never done at the start
    for text in ("Settings", "Connected devices"):
        _, reward, terminated, truncated, info = env.step(make_action(spaces.DUAL_POINT, centre(element(info, text))))
        assert (reward, terminated, truncated) == (0.0, False, False)
    _, reward, terminated, truncated, info = env.step(make_action(spaces.DUAL_POINT, centre(element(info, "Bluetooth"))))
    assert (reward, terminated, truncated, info["success"]) == (1.0, True, False, True)


def test_typing_goes_to_the_focused_input_and_enter_submits_it():
    env = AndroidStubEnv("general", render_width=108, render_height=240)
    _, info = env.reset(seed=0, options={"instruction": "What's the news in Malaysia?"})
    _, _, _, _, info = env.step(make_action(spaces.DUAL_POINT, centre(element(info, "Chrome"))))
    _, _, _, _, info = env.step(make_action(spaces.DUAL_POINT, centre(element(info, "Search or type URL"))))
    assert info["ui_tree"]["keyboard"]
    observation, *_ = env.step(make_action(spaces.TYPE, typed_text="news in malaysia"))
    assert "news in malaysia" in observation["annotation_texts"]
    _, reward, terminated, _, info = env.step(make_action(spaces.PRESS_ENTER))
    assert reward == 1.0 and terminated and info["ui_tree"]["screen"] == "results"


def test_swipes_scroll_back_pops_and_home_returns_to_the_launcher():
    env = AndroidStubEnv("general", render_width=108, render_height=240)
    _, info = env.reset(seed=0, options={"instruction": "Check the settings for the YouTube app"})
    for text in ("Settings", "Apps"):
        _, _, _, _, info = env.step(make_action(spaces.DUAL_POINT, centre(element(info, text))))
    first = [e["text"] for e in info["ui_tree"]["elements"] if e["type"] == "LIST_ITEM"]
    _, _, _, _, info = env.step(make_action(spaces.DUAL_POINT, (0.8, 0.5), (0.3, 0.5)))
    after = [e["text"] for e in info["ui_tree"]["elements"] if e["type"] == "LIST_ITEM"]
    assert after[0] != first[0] and after[0] in first  # moved up by some rows
    _, _, _, _, info = env.step(make_action(spaces.DUAL_POINT, (0.5, 0.8), (0.5, 0.2)))  # sideways: nothing
    assert [e["text"] for e in info["ui_tree"]["elements"] if e["type"] == "LIST_ITEM"] == after
    _, _, _, _, info = env.step(make_action(spaces.PRESS_BACK))
    assert info["ui_tree"]["screen"] == "main"
    _, _, _, _, info = env.step(make_action(spaces.PRESS_HOME))
    assert info["ui_tree"]["app"] == "launcher"


def test_status_actions_end_the_episode_and_unused_codes_do_nothing():
    env = AndroidStubEnv("general", render_width=108, render_height=240)
    env.reset(seed=0, options={"instruction": "Open the calculator"})
    _, reward, terminated, truncated, info = env.step(make_action(8))
    assert (reward, terminated, truncated, info["invalid_action"]) == (0.0, False, False, True)
    _, reward, terminated, truncated, info = env.step(make_action(spaces.STATUS_TASK_IMPOSSIBLE))
    assert (reward, terminated, info["success"], info["action_name"]) == (0.0, True, False, "STATUS_TASK_IMPOSSIBLE")


@pytest.mark.parametrize("task_set, instruction, horizon", [
    ("general", "Open the calculator", 10),
    ("webshop", "Go to ebay.com", 20),
])
def test_the_horizon_truncates(task_set, instruction, horizon):
    env = AndroidStubEnv(task_set, render_width=108, render_height=240)
    env.reset(seed=0, options={"instruction": instruction})
    for step in range(1, horizon + 1):
        _, reward, terminated, truncated, _ = env.step(make_action(spaces.PRESS_BACK))
        assert reward == 0.0 and not terminated and truncated == (step == horizon)


def test_resets_draw_tasks_with_the_seed_and_take_options():
    env = AndroidStubEnv("webshop", render_width=108, render_height=240)
    first = [env.reset(seed=s)[1]["instruction"] for s in range(5)]
    assert first == [env.reset(seed=s)[1]["instruction"] for s in range(5)] and len(set(first)) > 1
    assert env.reset(options={"task_index": 2})[1]["instruction"] == env.tasks[2].instruction
    with pytest.raises(ValueError, match="task_index 999 is outside the 438 tasks"):
        env.reset(options={"task_index": 999})
    with pytest.raises(ValueError, match="cannot be parsed into a task: no task family reads"):
        env.reset(options={"instruction": "Make me a sandwich"})
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(options={"goal": "x"})


@pytest.mark.parametrize("action, message", [
    ([4, 0.5, 0.5], "is a dict"),
    ({"action_type": 4, "speed": 1}, "has the keys"),
    ({"action_type": 12}, "one of AitW's codes"),
    ({"action_type": 4.0}, "integer AitW code"),
    ({"action_type": 4, "touch_yx": [np.nan, 0.5]}, "touch_yx must be finite"),
    ({"action_type": 4, "touch_yx": [0.5]}, r"touch_yx must have shape \(2,\)"),
    ({"action_type": 3, "typed_text": 5}, "typed_text must be a str"),
    ({"action_type": 3, "typed_text": "x" * 129}, "at most 128"),
])
def test_bad_actions_are_errors_naming_the_field(action, message):
    env = AndroidStubEnv("general", render_width=108, render_height=240)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        env.step(action)


def test_points_off_the_screen_are_clipped_to_its_edge():
    env = AndroidStubEnv("general", render_width=108, render_height=240)
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step({"action_type": 4, "touch_yx": [5.0, -3.0]})
    assert not terminated and info["ui_tree"]["app"] == "launcher"


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="tasks must be one of"):
        AndroidStubEnv("nowhere")
    empty = tmp_path / "tasks.txt"
    empty.write_text("Make me a sandwich\n")
    with pytest.raises(ValueError, match="line 1 'Make me a sandwich': no task family reads"):
        AndroidStubEnv(empty)
    with pytest.raises(ValueError, match="no line of .* is an instruction envsuite understands"):
        AndroidStubEnv(empty, skip_unparsed=True)
    with pytest.raises(ValueError, match="render size"):
        AndroidStubEnv(render_width=10)
    with pytest.raises(RuntimeError, match="reset"):
        AndroidStubEnv().step(make_action(spaces.PRESS_BACK))
