"""The pysc2 mini-game adapter on pysc2's own mock environment (the game is not installed here):
gymnasium's check_env, actions reaching pysc2, the image formats from feature layers, and the clear
error without the game."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

pytest.importorskip("pysc2")

import envsuite  # noqa: E402,F401
from envsuite.starcraft import images  # noqa: E402
from envsuite.starcraft.pysc2_env import FUNCTIONS, MINI_GAMES, SC2MiniGameEnv, screen_image  # noqa: E402


@pytest.mark.parametrize("game", ["MoveToBeacon", "DefeatRoaches"])
def test_mock_mini_games_pass_check_env(game):
    env = gymnasium.make(f"envsuite/SC2MiniGame-{game}-v0", use_mock=True, image_format="rgb")
    check_env(env.unwrapped, skip_render_check=True)
    observation, _ = env.reset(seed=0)
    assert observation["feature_screen"].shape == (27, 64, 64) and observation["image"].shape == (32, 32, 3)
    env.close()


def test_actions_reach_pysc2_and_unavailable_ones_become_no_op():
    env = SC2MiniGameEnv("MoveToBeacon", use_mock=True)
    observation, _ = env.reset()
    available = observation["available_actions"]
    sent = []
    original = env._env.step
    env._env.step = lambda calls: sent.append(calls[0]) or original(calls)
    move = FUNCTIONS.index("Move_screen")
    _, _, _, _, info = env.step(np.array([move, 10, 20]))
    assert info["unavailable_action"] == (not available[331])
    assert int(sent[-1].function) in (0, 331)
    if available[331]:
        assert [list(a) for a in sent[-1].arguments] == [[0], [10, 20]]
    with pytest.raises(ValueError, match="3 integers"):
        env.step(np.array([move, 10]))
    env.close()


def test_screen_layers_become_starcraftimage_channels():
    unit_type = np.zeros((64, 64), dtype=np.int32)
    player_relative = np.zeros((64, 64), dtype=np.int32)
    unit_type[5, 7], player_relative[5, 7] = 48, 1  # a marine of ours at (x 7, y 5)
    unit_type[30, 40], player_relative[30, 40] = 110, 4  # an enemy roach
    unit_type[60, 2], player_relative[60, 2] = 341, 3  # a mineral field
    image = screen_image(unit_type, player_relative)
    assert image[images.channel_of("TERRAN_MARINE", 1), 7, 5] == 255
    assert image[images.channel_of("ZERG_ROACH", 2), 40, 30] == 255
    assert image[images.channel_of("NEUTRAL_MINERALFIELD", 0), 2, 60] == 255
    assert int((image > 0).sum()) == 3


def test_without_the_game_the_error_names_sc2path(monkeypatch, tmp_path):
    monkeypatch.setenv("SC2PATH", str(tmp_path / "nowhere"))
    with pytest.raises(RuntimeError, match="set SC2PATH"):
        SC2MiniGameEnv("MoveToBeacon")
    with pytest.raises(ValueError, match="unknown mini-game"):
        SC2MiniGameEnv("Beacon", use_mock=True)
    assert "CollectMineralShards" in MINI_GAMES
