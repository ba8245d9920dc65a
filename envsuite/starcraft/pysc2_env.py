"""StarCraft II mini-games through pysc2, as gymnasium envs `envsuite/SC2MiniGame-<map>-v0`.

Part of the StarCraft family (envsuite/starcraft/). Needs the game (SC2PATH) and the `sc2` extra
(pysc2 4.0.0); without the game, `use_mock=True` runs pysc2's own mock environment, which is how the
tests exercise it. pysc2 4.0.0 calls `random.shuffle(x, random)`, removed in Python 3.11: it is
imported here with that call restored for the duration of the import (`_import_pysc2`), and with
protobuf's pure-Python implementation for its old generated code (DESIGN.md section 7).

| | |
|---|---|
| Action space | `MultiDiscrete([6, S, S])`: a function of FUNCTIONS (no_op, select_army, Move_screen, Attack_screen, select_point, Smart_screen) and a screen point (x, y) for the ones that take one; an unavailable function is sent as no_op (`info["unavailable_action"]`) |
| Observation space | `Dict(feature_screen=Box(0, 255, (27, S, S), int32), feature_minimap=Box(0, 255, (11, M, M), int32), player=Box((11,), int64), available_actions=Box(0, 1, (573,), int8), image=...)`; `image_format` adds StarCraftImage's hyperspectral / rgb / grayscale image of the current screen (units from the unit_type and player_relative layers; a present unit has value 255, the newest frame of a one-frame window) |
| Reward | the mini-game's score change (pysc2's reward) |
| Termination / truncation | the game's last step / `max_episode_steps` (the mini-game's own time limit ends it in the game) |
| Arguments | `map_name`, `screen_size` (64), `minimap_size` (64), `step_mul` (8), `image_format`, `use_mock` |
"""

from __future__ import annotations

import contextlib
import math
import os
import random
from pathlib import Path

import gymnasium
import numpy as np
from gymnasium import spaces

from envsuite.starcraft import images

MINI_GAMES = ("MoveToBeacon", "CollectMineralShards", "FindAndDefeatZerglings", "DefeatRoaches",
              "DefeatZerglingsAndBanelings", "CollectMineralsAndGas", "BuildMarines")
FUNCTIONS = ("no_op", "select_army", "Move_screen", "Attack_screen", "select_point", "Smart_screen")
NUM_FUNCTION_IDS = 573  # pysc2 4.0's action function count (available_actions length)


@contextlib.contextmanager
def _python_3_10_shuffle():
    """random.shuffle with the `random` argument Python 3.11 removed, the 3.10 algorithm exactly."""
    original = random.shuffle

    def shuffle(items, random_function=None):
        if random_function is None:
            return original(items)
        for i in reversed(range(1, len(items))):
            j = math.floor(random_function() * (i + 1))
            items[i], items[j] = items[j], items[i]

    random.shuffle = shuffle
    try:
        yield
    finally:
        random.shuffle = original


def _import_pysc2():
    import sys

    if "google.protobuf" not in sys.modules:
        os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
    try:
        with _python_3_10_shuffle():
            from pysc2.env import mock_sc2_env, sc2_env
            from pysc2.lib import actions, features
    except ImportError as error:
        raise ImportError("the SC2 mini-games need pysc2: pip install 'envsuite[sc2]'") from error
    except TypeError as error:
        if "Descriptors cannot be created directly" not in str(error):
            raise
        from google.protobuf.internal import api_implementation

        raise RuntimeError(
            "pysc2 4.0's generated protobuf code needs protobuf's Python implementation, but protobuf was already "
            f"loaded here with the {api_implementation.Type()!r} one (dm_control, for one, imports it): set "
            "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python before Python starts, or create the mini-game env "
            "before importing dm_control") from None
    return sc2_env, mock_sc2_env, actions, features


def game_installed() -> bool:
    """True if StarCraft II is where pysc2 looks for it ($SC2PATH, else ~/StarCraftII on Linux)."""
    return Path(os.environ.get("SC2PATH", Path.home() / "StarCraftII")).expanduser().is_dir()


class SC2MiniGameEnv(gymnasium.Env):
    """A pysc2 mini-game with a gymnasium API (see the module table)."""

    metadata = {"render_modes": []}

    def __init__(self, map_name: str = "MoveToBeacon", screen_size: int = 64, minimap_size: int = 64, step_mul: int = 8,
                 image_format: str | None = None, use_mock: bool = False):
        if map_name not in MINI_GAMES:
            raise ValueError(f"unknown mini-game {map_name!r}; choose from {MINI_GAMES}")
        if image_format is not None and image_format not in images.FORMAT_SHAPES:
            raise ValueError(f"image_format must be None or one of {sorted(images.FORMAT_SHAPES)}, got {image_format!r}")
        if not use_mock and not game_installed():
            raise RuntimeError(f"StarCraft II is not installed: set SC2PATH to the game's folder (pysc2 looks in "
                               f"{os.environ.get('SC2PATH', '~/StarCraftII')}; the game is free from Blizzard), or "
                               "pass use_mock=True for pysc2's mock environment")
        sc2_env, mock_sc2_env, actions, features = _import_pysc2()
        self._actions, self._features = actions, features
        interface = sc2_env.AgentInterfaceFormat(
            feature_dimensions=sc2_env.Dimensions(screen=screen_size, minimap=minimap_size))
        if use_mock:
            self._env = mock_sc2_env.SC2TestEnv(map_name=map_name, agent_interface_format=[interface])
        else:
            self._env = sc2_env.SC2Env(map_name=map_name, players=[sc2_env.Agent(sc2_env.Race.terran)],
                                       agent_interface_format=interface, step_mul=step_mul, visualize=False)
        self.map_name, self.screen_size, self.image_format = map_name, screen_size, image_format
        self._function_ids = [int(getattr(actions.FUNCTIONS, name).id) for name in FUNCTIONS]
        screen_layers, minimap_layers = len(features.SCREEN_FEATURES), len(features.MINIMAP_FEATURES)
        self.action_space = spaces.MultiDiscrete([len(FUNCTIONS), screen_size, screen_size])
        observation = {
            "feature_screen": spaces.Box(0, 255, (screen_layers, screen_size, screen_size), dtype=np.int32),
            "feature_minimap": spaces.Box(0, 255, (minimap_layers, minimap_size, minimap_size), dtype=np.int32),
            "player": spaces.Box(0, np.iinfo(np.int64).max, (11,), dtype=np.int64),
            "available_actions": spaces.Box(0, 1, (NUM_FUNCTION_IDS,), dtype=np.int8),
        }
        if image_format is not None:
            observation["image"] = spaces.Box(0, 255, images.FORMAT_SHAPES[image_format], dtype=np.uint8)
        self.observation_space = spaces.Dict(observation)
        self._available = np.zeros(NUM_FUNCTION_IDS, dtype=np.int8)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        timestep = self._env.reset()[0]
        return self._observe(timestep), {}

    def step(self, action):
        action = np.asarray(action)
        if action.shape != (3,) or action.dtype.kind not in "iu" or not self.action_space.contains(action.astype(np.int64)):
            raise ValueError(f"{self._env_name()}: action must be 3 integers in {self.action_space}, got {action!r}")
        function, x, y = (int(v) for v in action)
        function_id = self._function_ids[function]
        unavailable = not self._available[function_id]
        call = self._function_call(function if not unavailable else 0, x, y)
        timestep = self._env.step([call])[0]
        terminated = bool(timestep.last())
        return self._observe(timestep), float(timestep.reward or 0.0), terminated, False, {
            "unavailable_action": unavailable}

    def close(self):
        if getattr(self, "_env", None) is not None:
            self._env.close()
            self._env = None

    def _function_call(self, function: int, x: int, y: int):
        functions = self._actions.FUNCTIONS
        name = FUNCTIONS[function]
        if name == "no_op":
            return functions.no_op()
        if name == "select_army":
            return functions.select_army("select")
        if name == "select_point":
            return functions.select_point("select", (x, y))
        return getattr(functions, name)("now", (x, y))

    def _observe(self, timestep) -> dict:
        observation = timestep.observation
        self._available[:] = 0
        self._available[np.asarray(observation["available_actions"], dtype=np.int64)] = 1
        screen = np.asarray(observation["feature_screen"], dtype=np.int32)
        result = {
            "feature_screen": np.clip(screen, 0, 255).astype(np.int32),
            "feature_minimap": np.clip(np.asarray(observation["feature_minimap"], dtype=np.int32), 0, 255),
            "player": np.maximum(np.asarray(observation["player"], dtype=np.int64), 0),
            "available_actions": self._available.copy(),
        }
        if self.image_format is not None:
            layers = self._features.SCREEN_FEATURES
            window = screen_image(screen[layers.unit_type.index], screen[layers.player_relative.index])
            result["image"] = images.in_format(window, self.image_format)
        return result

    def _env_name(self) -> str:
        return self.spec.id if self.spec is not None else "SC2MiniGame"


def screen_image(unit_type: np.ndarray, player_relative: np.ndarray) -> np.ndarray:
    """(384, 64, 64) hyperspectral image of one screen: each unit pixel (pysc2's unit_type and
    player_relative layers: 1 self, 2 ally, 3 neutral, 4 enemy) in its StarCraftImage channel with
    value 255; self and allies as player 1, enemies as player 2. The screen is resampled to 64 x 64."""
    names = images.unit_type_names_by_id()
    image = np.zeros((len(images.hyperspectral_channels()), images.IMAGE_SIZE, images.IMAGE_SIZE), dtype=np.uint8)
    size = unit_type.shape[0]
    ys, xs = np.nonzero(unit_type > 0)
    for x, y in zip(xs, ys):
        owner = {1: images.PLAYER_1, 2: images.PLAYER_1, 3: images.NEUTRAL, 4: images.PLAYER_2}.get(
            int(player_relative[y, x]), images.NEUTRAL)
        channel = images.channel_of(names.get(int(unit_type[y, x]), "(Unknown)"), owner)
        image[channel, x * images.IMAGE_SIZE // size, y * images.IMAGE_SIZE // size] = 255
    return image
