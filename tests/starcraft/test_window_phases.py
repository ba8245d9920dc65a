"""Window datasets of simulated battles label phases as replay windows do: the first window is the
battle's beginning, also for a battle of one window (a battle cut by a loop limit under 255 loops)."""

import dataclasses

import numpy as np

from datagen.recipes import load_recipe
from datagen.starcraft import rollout_window_shard


def test_a_battle_of_one_window_is_its_own_beginning(monkeypatch):
    from envsuite.starcraft import scenarios

    get_scenario = scenarios.get_scenario
    # episode_limit 10: a loop limit of 80 game loops, so every battle is one (short) window
    monkeypatch.setattr(scenarios, "get_scenario",
                        lambda name: dataclasses.replace(get_scenario(name), episode_limit=10))
    recipe = dataclasses.replace(load_recipe("starcraft/3m-windows-v0"), episodes_per_shard=2)
    episodes = rollout_window_shard(recipe, 0)
    assert len(episodes) == 2
    for _, trajectory in episodes:
        assert len(trajectory.rewards) == 1
        np.testing.assert_array_equal(trajectory.infos["phase"], [0])
        assert trajectory.infos["label"][0] % 2 == 0


def test_longer_battles_still_begin_and_end():
    recipe = dataclasses.replace(load_recipe("starcraft/3m-windows-v0"), episodes_per_shard=2)
    for _, trajectory in rollout_window_shard(recipe, 0):
        phase = trajectory.infos["phase"]
        assert phase[0] == 0 and (np.diff(phase) >= 0).all()
        if len(phase) > 1:
            assert phase[-1] == 1
