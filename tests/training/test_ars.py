"""The ARS trainer: deterministic from its seed, and a resumed run equals an uninterrupted one."""

import numpy as np

from training.locomotion import ars


def test_resumed_training_equals_uninterrupted_training(tmp_path):
    state = tmp_path / "state.npz"
    first_half = ars.train("hopper", max_iterations=10, workers=1, state_path=state, log=lambda m: None)
    assert state.exists() and len(first_half.checkpoints) == 1
    resumed = ars.train("hopper", max_iterations=20, workers=1, state_path=state, log=lambda m: None)
    straight = ars.train("hopper", max_iterations=20, workers=2, log=lambda m: None)
    assert [c.eval_return for c in resumed.checkpoints] == [c.eval_return for c in straight.checkpoints]
    np.testing.assert_array_equal(resumed.checkpoints[-1].weights, straight.checkpoints[-1].weights)
    np.testing.assert_array_equal(resumed.checkpoints[-1].obs_std, straight.checkpoints[-1].obs_std)
    assert resumed.env_steps == straight.env_steps
    np.testing.assert_array_equal(np.concatenate(resumed.iteration_returns), np.concatenate(straight.iteration_returns))


def test_training_record_replays_the_rollout_policies(tmp_path):
    run = ars.train("hopper", max_iterations=10, workers=1, log=lambda m: None)
    path = ars.save_training_record(run, run.checkpoints[-1], tmp_path / "record.npz")
    rollouts = ars.replay_policies(path)
    assert len(rollouts) == 10 * 2 * ars.ARS_CONFIGS["hopper"].directions
    lengths = ars.record_rollout_lengths(path)
    assert lengths.sum() == run.env_steps
    iteration, index, policy, seed = rollouts[3]
    deltas = ars.iteration_deltas(0, 0, ars.ARS_CONFIGS["hopper"].directions, run.iteration_weights[0].shape)
    np.testing.assert_allclose(policy.weights, run.iteration_weights[0] + ars.ARS_CONFIGS["hopper"].noise * deltas[3])
    assert (iteration, index) == (0, 3) and seed == run.iteration_env_seeds[0][3]
