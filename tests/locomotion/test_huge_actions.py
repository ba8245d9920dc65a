"""Huge finite actions: the reward is what gymnasium's own v5 env gives (the envs mirror it exactly).

A float32 action of 1e30 squares to inf in float32, so the control cost overflows and the reward is
-inf in gymnasium's Hopper-v5 and in envsuite's; a float64 action keeps a finite, huge cost. Each
env's docstring says so (its "Bad actions" row); this test keeps the two in step.
"""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import envsuite  # noqa: F401  (registers the envsuite ids)
from envsuite.locomotion import ant, half_cheetah, hopper, walker2d

ENVS = {"Hopper": hopper, "HalfCheetah": half_cheetah, "Walker2d": walker2d, "Ant": ant}
# gymnasium's passive env checker warns of the inf reward, in both envs
pytestmark = pytest.mark.filterwarnings("ignore:.*The reward is an inf value:UserWarning")


def _first_step(env_id: str, action: np.ndarray):
    env = gymnasium.make(env_id)
    try:
        env.reset(seed=3)
        with np.errstate(over="ignore", invalid="ignore"):  # numpy's overflow warning, in both envs
            return env.step(action)
    finally:
        env.close()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(ENVS))
def test_a_1e30_action_gives_gymnasiums_own_reward(name, dtype):
    shape = gymnasium.make(f"{name}-v5").action_space.shape
    action = np.full(shape, 1e30, dtype=dtype)
    ours = _first_step(f"envsuite/{name}-v0", action)
    theirs = _first_step(f"{name}-v5", action)
    np.testing.assert_array_equal(ours[0], theirs[0])  # the dynamics: MuJoCo clamped the control
    assert (ours[1] == theirs[1]) or (np.isnan(ours[1]) and np.isnan(theirs[1])), (ours[1], theirs[1])
    assert ours[2:4] == theirs[2:4]
    assert ours[4]["reward_ctrl"] == theirs[4]["reward_ctrl"]
    if dtype is np.float32:
        assert ours[1] == -np.inf  # what the docstrings promise
    else:
        assert np.isfinite(ours[1]) and ours[1] < -1e57


@pytest.mark.parametrize("name", list(ENVS))
def test_the_docstring_documents_huge_actions(name):
    doc = ENVS[name].__doc__
    assert f"exactly as in gymnasium's own {name}-v5" in doc and "the reward is -inf" in doc


def test_the_batched_vector_env_gives_the_same_reward():
    vector = gymnasium.make_vec("envsuite/Hopper-v0", num_envs=2, vectorization_mode="vector_entry_point")
    try:
        for dtype in (np.float32, np.float64):
            vector.reset(seed=3)  # env 0 starts as Hopper-v5 reset(seed=3)
            action = np.full((2, 3), 1e30, dtype=dtype)
            with np.errstate(over="ignore", invalid="ignore"):
                rewards = vector.step(action)[1]
            expected = _first_step("Hopper-v5", action[0])[1]
            np.testing.assert_array_equal(rewards[0], expected)
            assert rewards[1] == -np.inf if dtype is np.float32 else -np.inf < rewards[1] < -1e57
    finally:
        vector.close()
