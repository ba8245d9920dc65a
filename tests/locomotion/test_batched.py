"""The batched engine against gymnasium's own v5 envs in a SyncVectorEnv (the oracle), bit for bit."""

import gymnasium
import numpy as np
import pytest

from envsuite.locomotion.batched import BatchedLocomotionVectorEnv, LocomotionBatch

ORACLES = {"hopper": "Hopper-v5", "halfcheetah": "HalfCheetah-v5", "walker2d": "Walker2d-v5", "ant": "Ant-v5"}


@pytest.mark.parametrize("name", list(ORACLES))
@pytest.mark.parametrize("action_dtype", [np.float32, np.float64])
def test_bit_identical_to_gymnasium_sync_vector_env_over_1000_steps(name, action_dtype):
    num_envs = 3
    # a short time limit for HalfCheetah (it never terminates) so truncation and autoreset are covered
    max_steps = 1000 if name != "halfcheetah" else 150
    oracle = gymnasium.make_vec(ORACLES[name], num_envs=num_envs, vectorization_mode="sync", max_episode_steps=max_steps)
    engine = BatchedLocomotionVectorEnv(name, num_envs, max_episode_steps=max_steps)
    expected, _ = oracle.reset(seed=123)
    observed, _ = engine.reset(seed=123)
    np.testing.assert_array_equal(observed, expected)
    rng = np.random.default_rng(7)
    ends = 0
    for step in range(1000):
        # out-of-range actions too: MuJoCo clamps them, the control cost uses them as given
        actions = rng.uniform(-1.2, 1.2, (num_envs, engine.single_action_space.shape[0])).astype(action_dtype)
        theirs, ours = oracle.step(actions), engine.step(actions)
        for index, label in enumerate(("observations", "rewards", "terminated", "truncated")):
            assert ours[index].dtype == theirs[index].dtype, (step, label)
            np.testing.assert_array_equal(ours[index], theirs[index], err_msg=f"{label} differ at step {step}")
        ends += int(np.sum(theirs[2] | theirs[3]))
    assert ends > 0  # resets happened inside the compared run


def test_make_vec_uses_the_batched_engine():
    import envsuite  # noqa: F401

    env = gymnasium.make_vec("envsuite/Hopper-v0", num_envs=4, vectorization_mode="vector_entry_point")
    assert isinstance(env.unwrapped, BatchedLocomotionVectorEnv)
    observations, _ = env.reset(seed=0)
    assert observations.shape == (4, 11)
    env.step(np.zeros((4, 3), dtype=np.float32))


def test_bad_actions_raise_value_error_naming_env_and_space():
    env = BatchedLocomotionVectorEnv("hopper", 2)
    env.reset(seed=0)
    for bad in (np.full((2, 3), np.nan, np.float32), np.zeros((2, 4), np.float32), np.zeros((2, 3), np.int32)):
        with pytest.raises(ValueError, match=r"(?s)envsuite/Hopper-v0 \(batched\).*Box"):
            env.step(bad)


def test_core_batch_steps_any_subset_like_separate_envs():
    batch = LocomotionBatch("walker2d", 4)
    single = LocomotionBatch("walker2d", 1)
    batch.reset([0, 1, 2, 3], [10, 11, 12, 13])
    single.reset([0], [12])
    rng = np.random.default_rng(0)
    for _ in range(50):
        action = rng.uniform(-1, 1, (1, 6)).astype(np.float32)
        obs, reward, _ = batch.step([2], action)
        obs_single, reward_single, _ = single.step([0], action)
        np.testing.assert_array_equal(obs, obs_single)
        np.testing.assert_array_equal(reward, reward_single)
