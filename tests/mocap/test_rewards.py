"""Termination error and comic reward against dm_control's own reward functions (the oracle)."""

import numpy as np
from dm_control.locomotion.tasks.reference_pose import rewards as dm_rewards

from envsuite.mocap.rewards import bounded_quaternion_distance, comic_reward, termination_error


def _features(rng, scale=1.0):
    return {
        "center_of_mass": rng.normal(0, scale, 3),
        "joints_velocity": rng.normal(0, 3 * scale, 56),
        "appendages": rng.normal(0, 0.2 * scale, (5, 3)),
        "body_quaternions": rng.normal(0, 1, (31, 4)),
    }


def test_comic_reward_equals_dm_controls_for_single_and_batched_envs():
    rng = np.random.default_rng(0)
    batch_walker, batch_reference, errors, expected = [], [], [], []
    for i in range(20):
        walker, reference = _features(rng, 0.1 * i), _features(rng, 0.1 * i)
        error = rng.uniform(0, 0.3)
        copies = ({k: v.copy() for k, v in walker.items()}, {k: v.copy() for k, v in reference.items()})
        oracle = dm_rewards.comic_reward_fn(termination_error=error, termination_error_threshold=0.3,
                                            walker_features=copies[0], reference_features=copies[1])
        reward, terms = comic_reward(error, 0.3, walker, reference)
        np.testing.assert_allclose(reward, oracle.reward, rtol=1e-12, atol=1e-15)
        for name, value in oracle.reward_terms.items():
            np.testing.assert_allclose(0.5 * terms[name], value, rtol=1e-12, atol=1e-15)
        batch_walker.append(walker), batch_reference.append(reference), errors.append(error), expected.append(oracle.reward)
    stacked = [{k: np.stack([f[k] for f in features]) for k in features[0]} for features in (batch_walker, batch_reference)]
    rewards, _ = comic_reward(np.array(errors), 0.3, *stacked)
    np.testing.assert_allclose(rewards, expected, rtol=1e-12, atol=1e-15)


def test_quaternion_distance_matches_dm_control_and_leaves_inputs_alone():
    rng = np.random.default_rng(1)
    source, target = rng.normal(size=(7, 4)), rng.normal(size=(7, 4))
    before = source.copy()
    expected = dm_rewards.bounded_quat_dist(source.copy(), target.copy())[..., 0]
    np.testing.assert_allclose(bounded_quaternion_distance(source, target), expected, rtol=1e-12)
    np.testing.assert_array_equal(source, before)
    np.testing.assert_allclose(bounded_quaternion_distance(source, -source), 0.0, atol=1e-7)


def test_termination_error_formula():
    rng = np.random.default_rng(2)
    ref_joints, joints = rng.normal(size=56), rng.normal(size=56)
    ref_bodies, bodies = rng.normal(size=93), rng.normal(size=93)
    expected = 0.5 * np.mean(np.abs(ref_bodies - bodies)) + 0.5 * np.mean(np.abs(ref_joints - joints))
    assert termination_error(ref_joints, joints, ref_bodies, bodies) == expected
