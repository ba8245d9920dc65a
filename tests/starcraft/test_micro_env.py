"""The StarCraft micro envs: PettingZoo's parallel_api_test and gymnasium's check_env (the oracles) for
every scenario, and SMAC's reward, masks and agent lifecycle on hand-set battles."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test

import envsuite  # noqa: F401
from envsuite.starcraft import features, images
from envsuite.starcraft.micro import REWARD_SCALE, StarCraftMicroParallelEnv
from envsuite.starcraft.scenarios import SCENARIOS


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_parallel_api_test_passes(scenario):
    parallel_api_test(StarCraftMicroParallelEnv(scenario), num_cycles=300)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_gymnasium_view_passes_check_env(scenario):
    env = gymnasium.make(f"envsuite/StarCraftMicro-{scenario}-v0", render_mode="rgb_array")
    check_env(env.unwrapped)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (256, 256, 3) and frame.dtype == np.uint8 and frame.std() > 0


def test_spaces_follow_the_scenario():
    env = StarCraftMicroParallelEnv("2s3z")
    assert env.possible_agents == [f"ally_{i}" for i in range(5)]
    assert env.action_space("ally_0").n == 5 + 5
    # own 5 + 2 types, then 5 enemies and 4 allies of 6 + 2 each
    assert env.observation_space("ally_0")["observation"].shape == (5 + 2 + 9 * 8,)
    assert env.state().shape == env.state_space.shape == (10 * (6 + 2),)


def test_masks_allow_attacks_in_range_and_moves_on_the_map():
    env = StarCraftMicroParallelEnv("3m")
    env.reset(seed=0)
    battle = env.battle
    battle.positions[:] = [[0.5, 10.0], [10.0, 10.0], [10.0, 31.5], [15.0, 10.0], [25.0, 25.0], [25.0, 27.0]]
    env._refresh()
    masks = env._masks
    assert list(masks[0, :4]) == [1, 1, 1, 0]  # west would leave the map
    assert list(masks[2, :4]) == [0, 1, 1, 1]  # north would leave the map
    # marine range 5 edge to edge: ally 1 (at 10, 10) reaches enemy 0 (15, 10: gap 4.25), not the others
    assert list(masks[1, features.FIRST_ATTACK:]) == [1, 0, 0]
    assert masks[:, features.STOP].all()


def test_a_won_battle_pays_smacs_win_bonus_and_the_return_never_exceeds_20():
    env = StarCraftMicroParallelEnv("3m")
    total = 0.0
    observations, _ = env.reset(seed=0)
    env.battle.hit_points[3:] = 1.0  # the enemies are all but dead
    while env.agents:
        actions = {}
        for agent in env.agents:
            mask = observations[agent]["action_mask"]
            attacks = np.flatnonzero(mask[features.FIRST_ATTACK:])
            actions[agent] = features.FIRST_ATTACK + int(attacks[0]) if len(attacks) else 2  # attack, else walk east
        observations, rewards, terminations, truncations, infos = env.step(actions)
        total += next(iter(rewards.values()))
    assert env.won and all(terminations.values()) and infos["ally_0"]["won"]
    # 3 kills x 10 + 200 win + 3 hit points of damage, over the largest total, x 20
    expected = (3 * 1.0 + 3 * 10.0 + 200.0) / env.max_reward * REWARD_SCALE
    assert total == pytest.approx(expected) and env.max_reward == 3 * 45 + 30 + 200
    assert total <= 20.0


def test_dead_agents_leave_and_invalid_actions_become_stop():
    env = StarCraftMicroParallelEnv("3m")
    env.reset(seed=0)
    env.battle.hit_points[0] = 0.5
    env.battle.alive[0] = False  # as if killed
    observations, rewards, terminations, truncations, infos = env.step({agent: 4 for agent in env.agents})
    assert terminations["ally_0"] and "ally_0" not in env.agents and len(env.agents) == 2
    # attacking an enemy out of range is masked: carried out as stop, reported
    far = features.FIRST_ATTACK + 2
    env.battle.positions[3:] = [[30.0, 30.0], [31.0, 31.0], [30.0, 31.0]]
    env._refresh()
    assert env._masks[1, far] == 0
    _, _, _, _, infos = env.step({"ally_1": far, "ally_2": 4})
    assert infos["ally_1"]["invalid_action"] and not infos["ally_2"]["invalid_action"]
    with pytest.raises(ValueError, match="no action for live agent"):
        env.step({"ally_1": 4})
    with pytest.raises(ValueError, match="is not in Discrete"):
        env.step({"ally_1": 99, "ally_2": 4})


def test_episode_limit_truncates_every_live_agent():
    env = StarCraftMicroParallelEnv("3s_vs_5z")
    env.reset(seed=0)
    corner = [[31.0, 31.0], [30.0, 31.0], [31.0, 30.0], [30.0, 30.0], [29.0, 31.0]]
    for _ in range(250):
        # the zealots walk towards the stalkers; put back in the far corner after every step, they never reach
        env.battle.positions[3:] = corner
        _, _, terminations, truncations, _ = env.step({agent: 4 for agent in env.agents})
        if not env.agents:
            break
    assert all(truncations.values()) and not any(terminations.values()) and env.steps == 250


def test_gymnasium_view_rejects_bad_actions_and_reports_outcomes():
    env = gymnasium.make("envsuite/StarCraftMicro-8m-v0")
    observation, info = env.reset(seed=3)
    assert observation["observation"].shape[0] == 8 and info["allies_alive"] == 8
    with pytest.raises(ValueError, match="integer array of shape"):
        env.step(np.zeros(8, dtype=np.float32))
    with pytest.raises(ValueError, match="must lie in 0..12"):
        env.step(np.full(8, 13))
    done = False
    while not done:
        _, reward, terminated, truncated, info = env.step(np.full(8, features.STOP))  # hold and fire
        done = terminated or truncated
    assert info["allies_alive"] == 0 or info["enemies_alive"] == 0 or truncated


@pytest.mark.parametrize("image_format, shape", [("hyperspectral", (384, 64, 64)), ("rgb", (32, 32, 3)),
                                                 ("grayscale", (28, 28))])
def test_image_observations_pass_check_env_and_show_both_armies(image_format, shape):
    env = gymnasium.make("envsuite/StarCraftMicro-3m-v0", image_format=image_format)
    check_env(env.unwrapped)
    observation, _ = env.reset(seed=0)
    for _ in range(3):
        observation, *_ = env.step(np.full(3, features.STOP))
    image = observation["image"]
    assert image.shape == shape and image.dtype == np.uint8
    if image_format == "hyperspectral":
        marine = images.nonneutral_channels().index("TERRAN_MARINE")
        assert image[marine].max() == 24 and image[170 + marine].max() == 24  # 3 steps x 8 loops, both players
    with pytest.raises(ValueError, match="image_format"):
        gymnasium.make("envsuite/StarCraftMicro-3m-v0", image_format="jpeg")
