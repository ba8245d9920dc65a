"""envsuite.starcraft.micro_v0 as a PettingZoo environment module (env / parallel_env / raw_env), checked
by PettingZoo's own test utilities: api_test, parallel_api_test, seed_test, parallel_seed_test and
render_test."""

import warnings

import numpy as np
import pytest
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, render_test, seed_test
from pettingzoo.utils import wrappers

from envsuite.starcraft import micro_v0

SCENARIOS = ["3m", "2s3z"]


def test_the_module_exposes_what_pettingzoo_modules_do():
    assert micro_v0.__all__ == ["env", "parallel_env", "raw_env"]
    aec = micro_v0.env()
    assert isinstance(aec, AECEnv) and isinstance(aec, wrappers.OrderEnforcingWrapper)
    assert isinstance(aec.env, wrappers.AssertOutOfBoundsWrapper)
    assert isinstance(micro_v0.raw_env(), AECEnv) and isinstance(micro_v0.parallel_env(), ParallelEnv)
    assert aec.metadata["name"] == "envsuite_starcraft_micro_v0"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_api_test_passes_on_the_aec_env(scenario):
    api_test(micro_v0.env(scenario=scenario), num_cycles=200)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_parallel_api_test_passes(scenario):
    parallel_api_test(micro_v0.parallel_env(scenario=scenario), num_cycles=200)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_seed_tests_pass(scenario):
    seed_test(lambda: micro_v0.env(scenario=scenario), num_cycles=100)
    parallel_seed_test(lambda: micro_v0.parallel_env(scenario=scenario), num_cycles=100)


def test_render_test_passes():
    with warnings.catch_warnings():  # render_test builds the env with "human" once, to read its metadata
        warnings.filterwarnings("ignore", "envsuite StarCraft micro battles have no 'human' render mode")
        render_test(lambda render_mode=None: micro_v0.env(scenario="3m", render_mode=render_mode))
    assert micro_v0.env().metadata["render_modes"] == ["rgb_array"]


def test_human_render_mode_warns_and_unknown_modes_are_refused():
    with pytest.warns(UserWarning, match="no 'human' render mode"):
        env = micro_v0.env(render_mode="human")
    env.reset(seed=0)
    assert env.render() is None
    with pytest.raises(ValueError, match="render_mode"):
        micro_v0.parallel_env(render_mode="ansi")


def test_the_aec_and_parallel_envs_play_the_same_battle():
    aec, parallel = micro_v0.env(scenario="3m"), micro_v0.parallel_env(scenario="3m")
    aec.reset(seed=5)
    parallel.reset(seed=5)
    rng = np.random.default_rng(0)
    for _ in range(30):
        if not parallel.agents:
            break
        actions = {agent: int(rng.choice(np.flatnonzero(aec.observe(agent)["action_mask"])))
                   for agent in parallel.agents}
        _, rewards, terminations, truncations, _ = parallel.step(actions)
        for agent in list(actions):
            assert aec.agent_selection == agent
            aec.step(actions[agent])
        for agent, reward in rewards.items():  # the AEC env pays each agent the step's team reward
            assert aec.rewards[agent] == pytest.approx(reward)
            assert aec.terminations[agent] == terminations[agent] and aec.truncations[agent] == truncations[agent]
        np.testing.assert_array_equal(aec.state(), parallel.state())
        while aec.agents and (aec.terminations[aec.agent_selection] or aec.truncations[aec.agent_selection]):
            aec.step(None)  # dead agents step out with None, as PettingZoo's AEC API asks


def test_assert_out_of_bounds_refuses_an_action_outside_the_space():
    env = micro_v0.env()
    env.reset(seed=0)
    with pytest.raises(AssertionError):
        env.step(env.action_space(env.agent_selection).n)
