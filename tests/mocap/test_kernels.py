"""The MoCap numba kernels and quaternion helpers against numpy and dm_control's transformations (the oracles)."""

import numpy as np
import pytest
from dm_control.utils import transformations

from envsuite.mocap import kernels, quaternions, rewards


def _quaternions(rng, shape):
    q = rng.standard_normal((*shape, 4))
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


@pytest.mark.parametrize("seed", range(5))
def test_quaternion_helpers_match_dm_control(seed):
    rng = np.random.default_rng(seed)
    a, b = _quaternions(rng, (7,)), _quaternions(rng, (7,))
    batched = quaternions.quat_diff(a, b)
    for i in range(7):
        np.testing.assert_allclose(batched[i], transformations.quat_diff(a[i], b[i]), atol=1e-15)
        np.testing.assert_allclose(quaternions.quat_to_axisangle(a[i]), transformations.quat_to_axisangle(a[i]), atol=1e-12)
        np.testing.assert_allclose(quaternions.quat_to_rotation_matrix(3.0 * a[i]),
                                   transformations.quat_to_mat(3.0 * a[i])[:3, :3], atol=1e-15)
    np.testing.assert_array_equal(quaternions.quat_to_axisangle(np.array([1.0, 0, 0, 0])), np.zeros(3))
    with pytest.raises(ValueError, match="not normalised"):
        quaternions.quat_to_axisangle(np.array([2.0, 0, 0, 0]))


@pytest.mark.parametrize("seed", range(5))
def test_termination_error_and_comic_reward_kernels_equal_numpy(seed):
    rng = np.random.default_rng(seed)
    joints, reference_joints = rng.normal(size=56), rng.normal(size=56)
    bodies, reference_bodies = rng.normal(size=(31, 3)), rng.normal(size=(31, 3))
    error = kernels.termination_error(reference_joints, joints, reference_bodies, bodies)
    assert error == pytest.approx(rewards.termination_error(reference_joints, joints, reference_bodies.reshape(-1),
                                                            bodies.reshape(-1)), rel=1e-13)
    scale = 0.05
    walker = {"center_of_mass": rng.normal(size=3), "joints_velocity": rng.normal(size=56),
              "appendages": rng.normal(size=(5, 3)), "body_quaternions": 2.0 * _quaternions(rng, (31,))}
    reference = {name: value + scale * rng.normal(size=value.shape) for name, value in walker.items()}
    expected, _ = rewards.comic_reward(0.1, 0.3, walker, reference)
    actual = kernels.comic_reward(0.1, 0.3, walker["center_of_mass"], reference["center_of_mass"],
                                  walker["joints_velocity"], reference["joints_velocity"], walker["appendages"],
                                  reference["appendages"], walker["body_quaternions"], reference["body_quaternions"])
    assert actual == pytest.approx(float(expected), rel=1e-12)


def _numpy_reference_observations(steps, reference, joints, bodies, body_quaternions, root_position, root_quaternion,
                                  xmat, mocap_to_observable):
    """The eight reference observables, as dm_control's task computes them, with numpy and dm_control."""
    offsets = reference["body_positions"][steps] - bodies
    return {
        "walker/reference_rel_joints": (reference["joints"][steps] - joints)[:, mocap_to_observable].reshape(-1),
        "walker/reference_rel_bodies_pos_global": offsets.reshape(-1),
        "walker/reference_rel_bodies_pos_local": np.dot(offsets, xmat).reshape(-1),
        "walker/reference_rel_bodies_quats": np.concatenate([
            transformations.quat_diff(body_quaternions[b], reference["body_quaternions"][t, b])
            for t in steps for b in range(len(bodies))]),
        "walker/reference_ego_bodies_quats": np.concatenate([
            transformations.quat_diff(reference["quaternion"][t], reference["body_quaternions"][t, b])
            for t in steps for b in range(len(bodies))]),
        "walker/reference_rel_root_quat": np.concatenate([
            transformations.quat_diff(root_quaternion, reference["quaternion"][t]) for t in steps]),
        "walker/reference_rel_root_pos_local": np.dot(reference["position"][steps] - root_position, xmat).reshape(-1),
        "walker/reference_appendages_pos": reference["appendages"][steps].reshape(-1),
    }


@pytest.mark.parametrize("seed", range(3))
def test_reference_observation_kernel_equals_numpy(seed):
    rng = np.random.default_rng(seed)
    T = 20
    reference = {"joints": rng.normal(size=(T, 56)), "body_positions": rng.normal(size=(T, 31, 3)),
                 "body_quaternions": _quaternions(rng, (T, 31)), "position": rng.normal(size=(T, 3)),
                 "quaternion": _quaternions(rng, (T,)), "appendages": rng.normal(size=(T, 5, 3))}
    ego = quaternions.quat_diff(reference["quaternion"][:, None], reference["body_quaternions"])
    joints, bodies, body_quaternions = rng.normal(size=56), rng.normal(size=(31, 3)), _quaternions(rng, (31,))
    root_position, root_quaternion = rng.normal(size=3), _quaternions(rng, ())
    xmat = transformations.quat_to_mat(_quaternions(rng, ()))[:3, :3].copy()
    mocap_to_observable = rng.permutation(56)
    steps = 4 + np.array([1, 2, 3, 4, 5])
    sizes = [56 * 5, 93 * 5, 93 * 5, 124 * 5, 124 * 5, 4 * 5, 3 * 5, 15 * 5]
    starts = np.concatenate([[7], 7 + np.cumsum(sizes)[:-1]])
    out = np.full(7 + sum(sizes) + 3, np.nan)
    kernels.write_reference_observations(out, starts, steps, reference["joints"], reference["body_positions"],
                                         reference["body_quaternions"], ego, reference["position"],
                                         reference["quaternion"], reference["appendages"], joints, bodies,
                                         body_quaternions, root_position, root_quaternion, xmat, mocap_to_observable)
    expected = _numpy_reference_observations(steps, reference, joints, bodies, body_quaternions, root_position,
                                             root_quaternion, xmat, mocap_to_observable)
    for name, start, size in zip(kernels.REFERENCE_OBSERVABLES, starts, sizes):
        np.testing.assert_allclose(out[start:start + size], expected[name], atol=1e-14, err_msg=name)
    assert np.isnan(out[:7]).all() and np.isnan(out[-3:]).all()  # nothing written outside the slices


@pytest.mark.parametrize("seed", range(5))
def test_control_observation_kernel_equals_dm_controls_formulas(seed):
    rng = np.random.default_rng(seed)
    position, previous_position = rng.normal(size=3), rng.normal(size=3)
    previous_quaternion = _quaternions(rng, ())
    # a small rotation over one control step, as in practice, and a large one (angle wrapping)
    turn = quaternions.quat_mul(previous_quaternion, _quaternions(rng, ()) if seed % 2 else
                                np.array([np.cos(0.05), np.sin(0.05), 0.0, 0.0]))
    joints, previous_joints = rng.normal(size=56), rng.normal(size=56)
    mocap_to_observable = rng.permutation(56)
    dt = 0.03
    out = np.zeros(80)
    kernels.write_control_observations(out, 0, 3, 6, dt, position, previous_position, turn, previous_quaternion,
                                       joints, previous_joints, mocap_to_observable)
    rotation = transformations.quat_to_mat(previous_quaternion)[:3, :3]
    np.testing.assert_allclose(out[0:3], np.dot((position - previous_position) / dt, rotation), atol=1e-12)
    difference = transformations.quat_diff(previous_quaternion, turn)
    difference /= np.linalg.norm(difference)
    np.testing.assert_allclose(out[3:6], transformations.quat_to_axisangle(difference) / dt, atol=1e-9)
    np.testing.assert_allclose(out[6:62], ((joints - previous_joints)[mocap_to_observable]) / dt, atol=1e-12)
    # no rotation at all gives exactly zero angular velocity, as dm_control's tolerance does
    kernels.write_control_observations(out, 0, 3, 6, dt, position, position, turn, turn, joints, joints,
                                       mocap_to_observable)
    np.testing.assert_array_equal(out[:62], 0.0)
