"""StarCraft micro-battle datasets end to end: the multi-agent layout (leading agent axis,
agents_alive, action masks), exact replays in the gymnasium view (the oracle), the same hash with two
workers, the win rate; and the bots' translation into the agents' actions."""

import dataclasses

import h5py
import numpy as np
import pytest

from datagen.generate import generate
from datagen.recipes import env_episode_seed, load_recipe
from envsuite.data import load_dataset
from envsuite.starcraft import features
from envsuite.starcraft.micro import StarCraftMicroEnv
from envsuite.starcraft.policies import bot_actions


def small(dataset_id, steps):
    recipe = load_recipe(dataset_id)
    return dataclasses.replace(recipe, sizes={"small": steps, "full": steps}, episodes_per_shard=4)


@pytest.fixture(scope="module")
def focus_fire_3s5z(tmp_path_factory):
    recipe = small("starcraft/3s5z-focus-fire-v0", 400)
    return recipe, generate(recipe, "small", out=tmp_path_factory.mktemp("sc"), progress=False)


def test_layout_keeps_a_leading_agent_axis(focus_fire_3s5z):
    _, path = focus_fire_3s5z
    with load_dataset(path, in_memory=True) as dataset:
        observations = dataset.observations
        assert observations["observation"].shape[:2] == (400, 8) and observations["action_mask"].dtype == np.int8
        assert observations["state"].shape == (400, 16 * 8) and dataset.actions.shape == (400, 8)
        alive = dataset.infos["agents_alive"]
        assert alive.shape == (400, 8) and alive.dtype == bool and alive[0].all()
        # a dead agent's mask allows only stop
        dead = ~alive
        assert (observations["action_mask"][dead][:, features.STOP] == 1).all()
        assert (observations["action_mask"][dead].sum(axis=1) == 1).all()


def test_every_episode_replays_exactly_in_the_gymnasium_view(focus_fire_3s5z):
    recipe, path = focus_fire_3s5z
    env = StarCraftMicroEnv("3s5z")
    with load_dataset(path, in_memory=True) as dataset:
        for e in range(dataset.total_episodes):
            episode = dataset.episode(e)
            assert episode.seed == env_episode_seed(recipe.seed, e)
            observation, _ = env.reset(seed=episode.seed)
            for t in range(len(episode)):
                for key in ("observation", "action_mask", "state"):
                    np.testing.assert_array_equal(episode.observations[key][t], observation[key])
                observation, reward, terminated, truncated, info = env.step(episode.actions[t])
                assert episode.rewards[t] == np.float32(reward)
            complete = episode.terminals[-1] or (truncated and episode.timeouts[-1])
            if complete:
                assert bool(dataset.infos["won"][dataset.episode_starts[e] + len(episode) - 1]) == (info["won"] and terminated)


def test_same_hash_with_two_workers_and_the_win_rate(tmp_path, focus_fire_3s5z):
    recipe, path = focus_fire_3s5z
    again = generate(recipe, "small", out=tmp_path, workers=2, progress=False)
    with h5py.File(path) as a, h5py.File(again) as b:
        assert a.attrs["content_sha256"] == b.attrs["content_sha256"]
    with load_dataset(path, in_memory=True) as dataset:
        complete = dataset.total_episodes - int(bool(dataset.metrics["last_episode_cut_by_size"]))
        ends = dataset.episode_starts[:complete] + dataset.episode_lengths[:complete] - 1
        assert dataset.metrics["win_rate"] == pytest.approx(np.asarray(dataset.infos["won"])[ends].mean())


def test_bots_become_the_agents_actions():
    env = StarCraftMicroEnv("3m")
    env.reset(seed=0)
    battle = env.parallel.battle
    battle.positions[:] = [[10.0, 10.0], [10.0, 12.0], [2.0, 2.0], [14.0, 10.0], [25.0, 25.0], [26.0, 26.0]]
    env.parallel._refresh()
    actions = bot_actions(env, "attack-nearest", np.random.default_rng(0))
    # allies 0 and 1 have enemy 0 (at 14, 10) in range: attack it; ally 2 (at 2, 2) walks towards it,
    # east being the direction closest to (12, 8)
    assert list(actions) == [features.FIRST_ATTACK, features.FIRST_ATTACK, 2]


@pytest.fixture(scope="module")
def windows_3m(tmp_path_factory):
    recipe = small("starcraft/3m-windows-v0", 30)
    return recipe, generate(recipe, "small", out=tmp_path_factory.mktemp("windows"), progress=False)


def test_window_datasets_hold_the_three_formats_with_starcraftimage_labels(windows_3m):
    from envsuite.starcraft import images
    from envsuite.starcraft.scenarios import SCENARIOS

    _, path = windows_3m
    scenario_index = sorted(SCENARIOS).index("3m")
    with load_dataset(path, in_memory=True) as dataset:
        observations, infos = dataset.observations, dataset.infos
        assert observations["hyperspectral"].shape == (30, 384, 64, 64)
        for t in range(30):
            np.testing.assert_array_equal(observations["rgb"][t], images.to_rgb(observations["hyperspectral"][t]))
            np.testing.assert_array_equal(observations["grayscale"][t], images.to_grayscale(observations["hyperspectral"][t]))
        np.testing.assert_array_equal(infos["label"], 2 * scenario_index + infos["phase"])
        for e in range(dataset.total_episodes):
            rows = slice(dataset.episode_starts[e], dataset.episode_starts[e] + dataset.episode_lengths[e])
            length = dataset.episode_lengths[e]
            np.testing.assert_array_equal(infos["window_index"][rows], np.arange(length))
            np.testing.assert_array_equal(infos["first_game_loop"][rows], 255 * np.arange(length))
            winners = np.asarray(infos["winner"][rows])
            assert len(set(winners.tolist())) == 1  # the battle's outcome, on every window
            if dataset.timeouts[rows][-1]:  # stopped by the loop limit: nobody won
                assert winners[0] == 0
            # marines of both players appear in their own blocks
            marine = images.nonneutral_channels().index("TERRAN_MARINE")
            first = observations["hyperspectral"][rows][0]
            assert first[marine].max() > 0 and first[170 + marine].max() > 0


def test_window_datasets_are_reproducible_with_two_workers(tmp_path, windows_3m):
    recipe, path = windows_3m
    again = generate(recipe, "small", out=tmp_path, workers=2, progress=False)
    with h5py.File(path) as a, h5py.File(again) as b:
        assert a.attrs["content_sha256"] == b.attrs["content_sha256"]
