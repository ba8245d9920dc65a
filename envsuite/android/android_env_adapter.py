"""A real Android device (emulator) behind the Android family's gymnasium API, through `android_env`.

Where it sits: the Android family (envsuite/android/) has two envs that speak the same spaces
(`spaces.py`): the emulator-free stub phone, and this adapter, which sends AitW's actions to an
`android_env` environment (DeepMind's android_env 1.3.0, the optional `android` extra:
`pip install "envsuite[android]"`). Agents and datasets written against one run on the other.
The tests drive it with android_env's own FakeSimulator, so no emulator is needed for them.

| | |
|---|---|
| Action space | `spaces.action_space()`: Dict(action_type Discrete(12) AitW codes, touch_yx, lift_yx, typed_text) |
| Observation space | `spaces.observation_space(height, width)`: Dict(screen, goal, annotation_positions, annotation_types, annotation_texts) |
| DUAL_POINT (4) | a tap (`||lift_yx - touch_yx|| <= 0.04`): android_env TOUCH then LIFT at touch_yx; else a swipe: `swipe_touch_events` TOUCH events on the line from touch_yx to lift_yx, then LIFT at lift_yx (android_env's touch_position is (x, y); AitW's points are (y, x)) |
| TYPE (3) | adb `input_text` (spaces sent as `%s`, the text quoted for the device's shell), then one REPEAT step to observe |
| PRESS_BACK / PRESS_HOME / PRESS_ENTER (5, 6, 7) | adb `press_button` BACK / HOME / ENTER, then one REPEAT step |
| STATUS_TASK_COMPLETE / STATUS_TASK_IMPOSSIBLE (10, 11) | one REPEAT step (to collect the task's last reward), then terminated=True |
| unused codes (0, 1, 2, 8, 9) | one REPEAT step (nothing is sent to the device); `info["invalid_action"] = True` |
| Screen | android_env's `pixels` resized to (render_height, render_width) with Pillow's bilinear filter |
| Goal | the `goal` argument (the instruction the agent is given; android_env tasks carry none) |
| Annotations | from the accessibility forest when the env gives one (`observation["a11y_forest"]`, android_env's A11yGrpcWrapper); zeros and "" otherwise |
| Reward | android_env's task reward (from the task's logcat regexps), summed over the sub-steps of one action |
| Termination / truncation | android_env's LAST step with discount 0 / LAST with discount != 0 (its step or time limit, a simulator failure); a STATUS action terminates; `horizon` adapter steps (default 10) truncate |
| Info | `invalid_action` (an unused code), `adb_status` (the AdbResponse status name of a TYPE / PRESS_* call), `android_env_steps` (android_env steps this action took) |
| Arguments | `env` (a built android_env environment) or `config` (an `AndroidEnvConfig` for `android_env.loader.load`) or `task_path` + `avd_name` (an emulator with android_env's default SDK layout); `goal`, `render_width` (540), `render_height` (1200: the stub phone's defaults), `horizon` (10), `swipe_touch_events` (10), `render_mode` |

An emulator is not deterministic: `reset(seed=...)` seeds `self.np_random` only. The adapter owns the
android_env environment it is given: `close()` closes it.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

import gymnasium
import numpy as np
from PIL import Image

from envsuite.android import spaces as android_spaces
from envsuite.android.spaces import (DUAL_POINT, MAX_ANNOTATIONS, MAX_GOAL_LENGTH, PRESS_BACK, PRESS_ENTER,
                                     PRESS_HOME, STATUS_TASK_COMPLETE, STATUS_TASK_IMPOSSIBLE, TAP_DISTANCE, TYPE)

INSTALL_HINT = 'pip install "envsuite[android]"'


def _import_android_env():
    """android_env's modules the adapter uses, imported only when an adapter is built (optional extra)."""
    try:
        from android_env import loader
        from android_env.components import action_type, config_classes
        from android_env.proto import adb_pb2
    except ImportError as error:
        raise ImportError(f"the android_env adapter needs android_env 1.3.0 ({error}): {INSTALL_HINT}") from error
    except Exception as error:
        # android_env 1.3.0's generated protobuf code checks the protobuf runtime at import
        # (google.protobuf.runtime_version.VersionError): it needs protobuf >= 6.33.5.
        if type(error).__name__ != "VersionError":
            raise
        raise ImportError(f"android_env 1.3.0 cannot load its protobuf code ({error}): {INSTALL_HINT} "
                          "installs a protobuf it works with") from error
    return loader, action_type, config_classes, adb_pb2


def emulator_config(task_path: str, avd_name: str, android_sdk_root: str = "~/Android/Sdk",
                    android_avd_home: str = "~/.android/avd"):
    """An android_env `AndroidEnvConfig` for the task file `task_path` (a textproto Task) on the emulator
    AVD `avd_name`, with the emulator and adb where the Android SDK puts them under android_sdk_root."""
    _, _, config_classes, _ = _import_android_env()
    sdk = android_sdk_root.rstrip("/")
    return config_classes.AndroidEnvConfig(
        task=config_classes.FilesystemTaskConfig(path=task_path),
        simulator=config_classes.EmulatorConfig(
            emulator_launcher=config_classes.EmulatorLauncherConfig(
                avd_name=avd_name, android_sdk_root=sdk, android_avd_home=android_avd_home,
                emulator_path=f"{sdk}/emulator/emulator"),
            adb_controller=config_classes.AdbControllerConfig(adb_path=f"{sdk}/platform-tools/adb")))


def swipe_positions(touch_yx, lift_yx, touch_events: int) -> np.ndarray:
    """(touch_events, 2) float32 android_env touch positions, (x, y), evenly spaced from touch_yx to lift_yx."""
    start, end = np.asarray(touch_yx, np.float32), np.asarray(lift_yx, np.float32)
    fractions = np.linspace(0.0, 1.0, touch_events, dtype=np.float32)[:, None]
    path_yx = start + fractions * (end - start)
    return np.ascontiguousarray(path_yx[:, ::-1])


def adb_text_argument(text: str) -> str:
    """`text` as the argument of the device's `input text`: adb runs it through the device's shell (so it
    is quoted) and `input text` ends at a space, reading "%s" as one."""
    return shlex.quote(text.replace(" ", "%s"))


def annotations_from_forest(forest, screen_height: int, screen_width: int):
    """(positions, types, texts) padded as spaces.padded_annotations does, from an android_env accessibility
    forest (AndroidAccessibilityForest): the visible nodes that show text or can be used, in layout order
    (top to bottom, then left to right). AitW boxes (y, x, h, w) are fractions of the screen."""
    nodes = []
    for window in forest.windows:
        for node in window.tree.nodes:
            bounds = node.bounds_in_screen
            width, height = bounds.right - bounds.left, bounds.bottom - bounds.top
            text = node.text or node.content_description
            kind = _element_type(node, text)
            if node.is_visible_to_user and width > 0 and height > 0 and kind is not None:
                nodes.append((bounds.top, bounds.left, height, width, text, kind))
    nodes.sort(key=lambda n: (n[0], n[1]))
    positions = np.array([[top / screen_height, left / screen_width, height / screen_height, width / screen_width]
                          for top, left, height, width, _, _ in nodes], dtype=np.float32).reshape(-1, 4)
    return android_spaces.padded_annotations(positions, [n[4] for n in nodes], [n[5] for n in nodes])


def _element_type(node, text: str) -> str | None:
    """The stub phone's element type (spaces.UI_TYPES) closest to an accessibility node, None to leave it out."""
    if node.is_editable:
        return "INPUT"
    if node.is_checkable:
        return "TOGGLE"
    if "Image" in node.class_name and (node.is_clickable or text):
        return "ICON"
    if node.is_clickable:
        return "BUTTON"
    if text:
        return "TEXT"
    return None


class AndroidEnvAdapter(gymnasium.Env):
    """An android_env environment with the Android family's gymnasium API (see the module table)."""

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, env=None, *, config=None, task_path: str | None = None, avd_name: str | None = None,
                 goal: str = "", render_width: int = 540, render_height: int = 1200, horizon: int = 10,
                 swipe_touch_events: int = 10, render_mode: str | None = None):
        loader, self._action_type, _, self._adb_pb2 = _import_android_env()
        sources = [name for name, given in (("env", env is not None), ("config", config is not None),
                                            ("task_path", task_path is not None or avd_name is not None)) if given]
        if len(sources) != 1:
            raise ValueError("AndroidEnvAdapter needs exactly one of env= (an android_env environment), config= (an "
                             "android_env AndroidEnvConfig) or task_path= with avd_name= (an emulator), got "
                             f"{sources or 'none'}")
        if (task_path is None) != (avd_name is None):
            raise ValueError("task_path= and avd_name= go together: the task file and the emulator's AVD")
        if not isinstance(goal, str) or len(goal) > MAX_GOAL_LENGTH or not set(goal) <= android_spaces.CHARSET:
            raise ValueError(f"goal must be printable ASCII of at most {MAX_GOAL_LENGTH} characters (the goal space), "
                             f"got {goal!r}")
        if render_width < 1 or render_height < 1 or horizon < 1 or swipe_touch_events < 1:
            raise ValueError("render_width, render_height, horizon and swipe_touch_events must be positive, got "
                             f"{render_width}, {render_height}, {horizon}, {swipe_touch_events}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}")
        if env is None:
            env = loader.load(config if config is not None else emulator_config(task_path, avd_name))
        self._env = env
        action_spec = env.action_spec()
        if set(action_spec) - {"keycode"} != {"action_type", "touch_position"}:
            raise ValueError("AndroidEnvAdapter drives one finger: the android_env action spec must have action_type "
                             f"and touch_position only (CoordinatorConfig(num_fingers=1)), got {sorted(action_spec)}")
        if "pixels" not in env.observation_spec():
            raise ValueError(f"the android_env observation spec has no 'pixels', got {sorted(env.observation_spec())}")
        self._action_type_dtype = action_spec["action_type"].dtype
        self.goal, self.render_width, self.render_height = goal, int(render_width), int(render_height)
        self.horizon, self.swipe_touch_events, self.render_mode = horizon, swipe_touch_events, render_mode
        self.action_space = android_spaces.action_space()
        self.observation_space = android_spaces.observation_space(self.render_height, self.render_width)
        self._observation = None  # android_env's latest observation (dict), None before reset
        self._steps = 0
        self._episode_over = True

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        timestep = self._env.reset()
        self._observation = timestep.observation
        self._steps = 0
        self._episode_over = False
        return self._observe(), {}

    def step(self, action):
        if self._observation is None or self._episode_over:
            raise RuntimeError(f"{self._env_name()}: call reset() before stepping (first, and after each episode)")
        action = self._checked_action(action)
        code = int(action["action_type"])
        info = {"invalid_action": False}
        if code == DUAL_POINT:
            sub_actions = self._touch_actions(action["touch_yx"], action["lift_yx"])
        else:
            if code == TYPE:
                if action["typed_text"]:  # typing nothing does nothing (android_env refuses an empty input_text)
                    info["adb_status"] = self._type_text(action["typed_text"])
            elif code in (PRESS_BACK, PRESS_HOME, PRESS_ENTER):
                info["adb_status"] = self._press_button(code)
            elif code not in (STATUS_TASK_COMPLETE, STATUS_TASK_IMPOSSIBLE):
                info["invalid_action"] = True
            # REPEAT sends nothing to the device; the step gives the reward so far and a new screenshot
            sub_actions = [self._android_action(self._action_type.ActionType.REPEAT, np.zeros(2, np.float32))]
        reward, timestep, android_env_steps = 0.0, None, 0
        for sub_action in sub_actions:
            timestep = self._env.step(sub_action)
            self._observation = timestep.observation
            reward += float(timestep.reward or 0.0)
            android_env_steps += 1
            if timestep.last():  # android_env resets on its next step: the rest of a swipe would land there
                break
        self._steps += 1
        env_ended = bool(timestep.last())
        # dm_env: a termination has discount 0, a truncation (android_env's step or time limit) keeps it
        env_terminated = env_ended and float(timestep.discount) == 0.0
        terminated = env_terminated or code in (STATUS_TASK_COMPLETE, STATUS_TASK_IMPOSSIBLE)
        truncated = not terminated and (env_ended or self._steps >= self.horizon)
        self._episode_over = terminated or truncated
        info["android_env_steps"] = android_env_steps
        return self._observe(), reward, terminated, truncated, info

    def render(self):
        """The device's latest screenshot at its own resolution (rgb_array), None before reset."""
        if self.render_mode != "rgb_array" or self._observation is None:
            return None
        return np.array(self._observation["pixels"], dtype=np.uint8)

    def close(self):
        if getattr(self, "_env", None) is not None:
            self._env.close()
            self._env = None

    # actions

    def _checked_action(self, action) -> dict:
        """`action` with its points as float32 arrays, if it is in the action space; ValueError otherwise."""
        if isinstance(action, Mapping) and set(action) == set(self.action_space.spaces):
            # numeric dtype, shape (2,), finite: else a ValueError naming the field (strings, which
            # numpy would parse as numbers, and object arrays included)
            points = {field: android_spaces.checked_point(self._env_name(), field, action[field]).astype(np.float32)
                      for field in ("touch_yx", "lift_yx")}
            coerced = dict(action, **points)
            if self.action_space.contains(coerced):
                return coerced
        raise ValueError(f"{self._env_name()}: the action must be in {self.action_space} (spaces.make_action builds "
                         f"one), got {action!r}")

    def _android_action(self, action_type, position_xy: np.ndarray) -> dict:
        return {"action_type": np.array(action_type, dtype=self._action_type_dtype),
                "touch_position": np.asarray(position_xy, dtype=np.float32)}

    def _touch_actions(self, touch_yx: np.ndarray, lift_yx: np.ndarray) -> list[dict]:
        touch, lift = self._action_type.ActionType.TOUCH, self._action_type.ActionType.LIFT
        if np.linalg.norm(lift_yx - touch_yx) <= TAP_DISTANCE:
            tap_xy = touch_yx[::-1]
            return [self._android_action(touch, tap_xy), self._android_action(lift, tap_xy)]
        path = swipe_positions(touch_yx, lift_yx, self.swipe_touch_events)
        return [self._android_action(touch, xy) for xy in path] + [self._android_action(lift, lift_yx[::-1])]

    def _type_text(self, text: str) -> str:
        request = self._adb_pb2.AdbRequest(input_text=self._adb_pb2.AdbRequest.InputText(text=adb_text_argument(text)))
        return self._adb_status(self._env.execute_adb_call(request))

    def _press_button(self, code: int) -> str:
        buttons = self._adb_pb2.AdbRequest.PressButton.Button
        button = {PRESS_BACK: buttons.BACK, PRESS_HOME: buttons.HOME, PRESS_ENTER: buttons.ENTER}[code]
        request = self._adb_pb2.AdbRequest(press_button=self._adb_pb2.AdbRequest.PressButton(button=button))
        return self._adb_status(self._env.execute_adb_call(request))

    def _adb_status(self, response) -> str:
        return self._adb_pb2.AdbResponse.Status.Name(response.status)

    # observations

    def _observe(self) -> dict:
        device_pixels = np.asarray(self._observation["pixels"], dtype=np.uint8)
        pixels = device_pixels
        if pixels.shape[:2] != (self.render_height, self.render_width):
            size = (self.render_width, self.render_height)
            pixels = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR))
        forest = self._observation.get("a11y_forest")
        if forest is not None:
            positions, types, texts = annotations_from_forest(forest, *device_pixels.shape[:2])
        else:
            positions = np.zeros((MAX_ANNOTATIONS, 4), dtype=np.float32)
            types, texts = np.zeros(MAX_ANNOTATIONS, dtype=np.int64), ("",) * MAX_ANNOTATIONS
        return {"screen": np.array(pixels, dtype=np.uint8), "goal": self.goal, "annotation_positions": positions,
                "annotation_types": types, "annotation_texts": texts}

    def _env_name(self) -> str:
        return self.spec.id if self.spec is not None else "AndroidEnvAdapter"
