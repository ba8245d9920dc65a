"""The Android control stub: `envsuite/AndroidStub-General-v0` and `envsuite/AndroidStub-WebShop-v0`,
a simulated phone (device.py, apps as data) given DigiRL's instructions (tasks.py) and driven with
Android in the Wild's actions.

Part of the Android family (envsuite/android/): the phone is device.py's, the screen rendering.py's,
the spaces spaces.py's (shared with the android_env adapter), the goals the lines of a task file.

| | |
|---|---|
| Action space | `Dict(action_type=Discrete(12), touch_yx=Box(0, 1, (2,)), lift_yx=Box(0, 1, (2,)), typed_text=Text(128))`; AitW's codes: TYPE 3 types `typed_text` into the focused input, DUAL_POINT 4 is a tap at `touch_yx` when `lift_yx` is within 0.04 of it (AitW's rule) else a swipe (a vertical one scrolls), PRESS_BACK 5, PRESS_HOME 6, PRESS_ENTER 7 (submits the focused input), STATUS_TASK_COMPLETE 10 and STATUS_TASK_IMPOSSIBLE 11 end the episode; the unused codes 0, 1, 2, 8, 9 do nothing (`info["invalid_action"]`) |
| Observation | `Dict(screen=Box(0, 255, (H, W, 3), uint8), goal=Text(256), annotation_positions=Box(0, 1, (24, 4)), annotation_types=Box(0, 6, (24,), int64), annotation_texts=Tuple(24 x Text(128)))`: the rendered screen (H x W = render_height x render_width, 1200 x 540 by default), the instruction, and the UI elements on the screen in AitW's (y, x, h, w) fractions, types (1 + index in TEXT, ICON, BUTTON, TOGGLE, INPUT, LIST_ITEM; 0 pads) and texts |
| Reward | 1 on the step the task's check (tasks.py) turns true, else 0 (DigiRL's success reward, judged by the device's state instead of a Gemini judge) |
| Termination | success, or a STATUS_TASK_COMPLETE / STATUS_TASK_IMPOSSIBLE action |
| Truncation | the task's horizon: 10 steps for the General families, 20 for web shopping (DigiRL's) |
| Start state | the launcher; Wi-Fi, Bluetooth, airplane mode and dark mode random, the clock a random time; never a state in which the task is already done (a "turn on Wi-Fi" episode starts with it off) |
| reset options | `{"instruction": text}` (any instruction tasks.parse understands) or `{"task_index": i}` (line i of the parsed task file); otherwise a task drawn with the seed |
| Arguments | `task_set` or `tasks` ("general", "webshop" or the path of an instruction file; `tasks` overrides the id's), `split` (None: DigiRL's whole train file; "train" / "test": the disjoint split of tasks.split_lines), `skip_unparsed` (False: a line no family reads is an UnparsedInstructionsError; True: left out and listed in `env.unparsed_lines`), `render_width`, `render_height`, `horizon` (overrides the tasks'), `render_mode` ("rgb_array") |
| Info | `instruction`, `family`, `success`, `action_name`, `invalid_action`, `ui_tree` (the phone's accessibility-style tree, for scripted policies) |

Out-of-range points are clipped to [0, 1]; a point that is not two finite numbers of an int or float
dtype (a string, which numpy would parse, an object array, NaN), an unknown key or a wrong type is a
ValueError naming the env and the field (spaces.checked_point).

Version history: v0 (envsuite 0.1).
"""

from __future__ import annotations

import math
from pathlib import Path

import gymnasium
import numpy as np

from envsuite import paths
from envsuite.android import spaces
from envsuite.android.apps import load_apps
from envsuite.android.device import Device
from envsuite.android.rendering import render_device
from envsuite.android.tasks import Task, UnparsedLine, parse_instruction, parse_lines, read_task_file, split_lines
from envsuite.common import DatasetEnvMixin

# DigiRL's task sets: the train file (split None, what DigiRL trains on) and the test file
TASK_SETS = {"general": "digirl_general_train.txt", "webshop": "digirl_webshop_train.txt"}
TEST_FILES = {"general": "digirl_general_test.txt", "webshop": "digirl_webshop_test.txt"}
ACTION_KEYS = ("action_type", "touch_yx", "lift_yx", "typed_text")


def task_file(task_set: str | Path) -> Path:
    """The instruction file of a task set name ("general", "webshop") or a path."""
    if str(task_set) in TASK_SETS:
        return paths.asset_path("android", "tasks", TASK_SETS[str(task_set)])
    path = Path(task_set)
    if not path.is_file():
        raise ValueError(f"tasks must be one of {sorted(TASK_SETS)} or the path of an instruction file (one "
                         f"instruction per line), got {str(task_set)!r}")
    return path


def read_task_set(task_set: str | Path, split: str | None = None, skip_unparsed: bool = False
                  ) -> tuple[list[Task], list[UnparsedLine]]:
    """(tasks, unparsed lines) of a task set name or instruction file, whole (split None) or its
    disjoint "train" / "test" split (tasks.split_lines; only DigiRL's named sets have splits)."""
    if split is None:
        return read_task_file(task_file(task_set), skip_unparsed)
    if str(task_set) not in TEST_FILES:
        raise ValueError(f"split={split!r} needs a named task set ({', '.join(TEST_FILES)}), which has a train and a "
                         f"test file; an instruction file ({task_set}) has no split: leave split=None")
    test_file = paths.asset_path("android", "tasks", TEST_FILES[str(task_set)])
    lines = split_lines(task_file(task_set), test_file, split)
    return parse_lines(lines, f"{task_set} {split} split", skip_unparsed)


class AndroidStubEnv(DatasetEnvMixin, gymnasium.Env):
    """A phone, an instruction, AitW's actions (see the module table)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 2}

    def __init__(self, task_set: str | Path = "general", render_width: int = 540, render_height: int = 1200,
                 horizon: int | None = None, render_mode: str | None = None, dataset_id: str | None = None,
                 ref_min_score=None, ref_max_score=None, tasks: str | Path | None = None, split: str | None = None,
                 skip_unparsed: bool = False):
        self._init_dataset(dataset_id, ref_min_score, ref_max_score)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        if int(render_width) < 64 or int(render_height) < 64:
            raise ValueError(f"render size must be at least 64 x 64 pixels, got {render_width} x {render_height}")
        if horizon is not None and int(horizon) < 1:
            raise ValueError(f"horizon must be a positive number of steps, got {horizon}")
        task_set = task_set if tasks is None else tasks  # `tasks=PATH` (or a name) replaces the id's task set
        self.tasks: list[Task]
        self.unparsed_lines: list[UnparsedLine]  # left out with skip_unparsed=True (else an error)
        self.tasks, self.unparsed_lines = read_task_set(task_set, split, skip_unparsed)
        if not self.tasks:
            raise ValueError(f"no line of {task_set} ({split or 'whole'}) is an instruction envsuite understands "
                             "(envsuite.android.tasks.coverage lists each line with its reason)")
        self.task_set, self.split = str(task_set), split
        self.render_width, self.render_height = int(render_width), int(render_height)
        self.horizon_override = None if horizon is None else int(horizon)
        self.render_mode = render_mode
        self.device = Device(load_apps(), width=self.render_width, height=self.render_height)
        self.action_space = spaces.action_space()
        self.observation_space = spaces.observation_space(self.render_height, self.render_width)
        self.task: Task | None = None
        self._steps = 0
        self._screen = None

    @property
    def horizon(self) -> int:
        return self.horizon_override or self.task.horizon

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = set(options) - {"instruction", "task_index"}
        if unknown:
            raise ValueError(f"unknown reset options {sorted(unknown)}; known: instruction, task_index")
        if "instruction" in options:
            task, reason = parse_instruction(options["instruction"])
            if task is None:
                raise ValueError(f"the instruction {options['instruction']!r} cannot be parsed into a task: {reason}")
        elif "task_index" in options:
            index = int(options["task_index"])
            if not 0 <= index < len(self.tasks):
                raise ValueError(f"task_index {index} is outside the {len(self.tasks)} tasks of {self.task_set!r}")
            task = self.tasks[index]
        else:
            task = self.tasks[int(self.np_random.integers(len(self.tasks)))]
        self.task = task
        minutes = int(self.np_random.integers(24 * 60))
        self.device.clock = f"{minutes // 60:02d}:{minutes % 60:02d}"
        self.device.reset(settings=task.initial_settings(self.np_random))
        self._steps = 0
        elements = self.device.elements()
        return self._observation(elements), self._info(None, False, False, elements)

    def step(self, action):
        if self.task is None:
            raise RuntimeError("call reset() before step()")
        action_type, touch, lift, text = _checked_action(self._env_name(), action)
        invalid, status = False, False
        device = self.device
        if action_type == spaces.TYPE:
            device.type_text(text)
        elif action_type == spaces.DUAL_POINT:
            if math.dist(touch, lift) <= spaces.TAP_DISTANCE:
                device.tap(*touch)
            else:
                device.swipe(touch, lift)
        elif action_type == spaces.PRESS_BACK:
            device.press_back()
        elif action_type == spaces.PRESS_HOME:
            device.press_home()
        elif action_type == spaces.PRESS_ENTER:
            device.press_enter()
        elif action_type in (spaces.STATUS_TASK_COMPLETE, spaces.STATUS_TASK_IMPOSSIBLE):
            status = True
        else:
            invalid = True
        self._steps += 1
        success = self.task.is_success(device)
        terminated = success or status
        truncated = not terminated and self._steps >= self.horizon
        elements = self.device.elements()  # once: the screen, the annotations and the tree all show them
        return (self._observation(elements), 1.0 if success else 0.0, terminated, truncated,
                self._info(action_type, invalid, success, elements))

    def render(self):
        if self.render_mode is None:
            gymnasium.logger.warn("AndroidStubEnv.render() without render_mode; pass render_mode='rgb_array'")
            return None
        return self._screen

    def _observation(self, elements) -> dict:
        self._screen = render_device(self.device, self.render_width, self.render_height, elements)
        positions, types, texts = spaces.padded_annotations(*self.device.annotations(elements))
        return {"screen": self._screen, "goal": spaces.to_charset(self.task.instruction, spaces.MAX_GOAL_LENGTH),
                "annotation_positions": positions, "annotation_types": types, "annotation_texts": texts}

    def _info(self, action_type, invalid: bool, success: bool, elements=None) -> dict:
        return {"instruction": self.task.instruction, "family": self.task.family, "success": success,
                "action_name": spaces.ACTION_NAMES.get(action_type, "UNUSED") if action_type is not None else None,
                "invalid_action": invalid, "ui_tree": self.device.ui_tree(elements)}


def _checked_action(env_name: str, action) -> tuple[int, tuple[float, float], tuple[float, float], str]:
    """(action_type, touch, lift, text) of an action dict; missing points are (0, 0) / the touch."""
    if not isinstance(action, dict):
        raise ValueError(f"{env_name}: an Android action is a dict with keys {ACTION_KEYS}, got {type(action).__name__}")
    unknown = set(action) - set(ACTION_KEYS)
    if unknown or "action_type" not in action:
        raise ValueError(f"{env_name}: an Android action has the keys {ACTION_KEYS} (action_type required); "
                         f"got {sorted(action)}")
    code = action["action_type"]
    if isinstance(code, (bool, np.bool_)) or not isinstance(code, (int, np.integer)) and not (
            isinstance(code, np.ndarray) and code.shape == () and np.issubdtype(code.dtype, np.integer)):
        raise ValueError(f"{env_name}: action_type must be an integer AitW code, got {code!r}")
    code = int(code)
    if not 0 <= code < spaces.NUM_ACTION_CODES:
        raise ValueError(f"{env_name}: action_type must be one of AitW's codes 0..{spaces.NUM_ACTION_CODES - 1}, "
                         f"got {code}")
    touch = _point(env_name, "touch_yx", action.get("touch_yx", (0.0, 0.0)))
    lift = _point(env_name, "lift_yx", action["lift_yx"]) if "lift_yx" in action else touch
    text = action.get("typed_text", "")
    if not isinstance(text, str):
        raise ValueError(f"{env_name}: typed_text must be a str, got {type(text).__name__}")
    if len(text) > spaces.MAX_TYPED_LENGTH:
        raise ValueError(f"{env_name}: typed_text has {len(text)} characters; at most {spaces.MAX_TYPED_LENGTH}")
    return code, touch, lift, text


def _point(env_name: str, field: str, value) -> tuple[float, float]:
    y, x = np.clip(spaces.checked_point(env_name, field, value), 0.0, 1.0)  # a point off the screen lands on its edge
    return float(y), float(x)
