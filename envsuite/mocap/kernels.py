"""Numba kernels of the tracking env's per-step work: termination error, comic reward, observations.

Where it sits: the MoCap family's fast path (envsuite/mocap/), called once per step by
envsuite/mocap/tracking.py. Each kernel is a pure function of arrays. The definitions are those of
the numpy reference implementations (envsuite/mocap/rewards.py, envsuite/mocap/quaternions.py) and of
dm_control's task; tests/mocap/test_kernels.py checks each kernel against numpy, and the parity test
checks the env against dm_control.

Why numba: a step's physics takes about 0.6 ms here; the same work in numpy (a few hundred small
array operations: 155 quaternion products for R = 5 reference steps, ...) took about 0.8 ms more,
almost all of it per-call overhead.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from envsuite._numba_cache import njit


@numba.njit(inline="always")
def _quat_diff_into(out, at, source, target):
    """out[at:at+4] = conj(source) * target (dm_control's quat_diff), for 4-vectors."""
    sw, sx, sy, sz = source[0], -source[1], -source[2], -source[3]
    tw, tx, ty, tz = target[0], target[1], target[2], target[3]
    out[at] = sw * tw - sx * tx - sy * ty - sz * tz
    out[at + 1] = sw * tx + sx * tw + sy * tz - sz * ty
    out[at + 2] = sw * ty - sx * tz + sy * tw + sz * tx
    out[at + 3] = sw * tz + sx * ty - sy * tx + sz * tw


@njit(cache=True)
def termination_error(reference_joints, joints, reference_body_positions, body_positions):
    """0.5 mean|reference body positions - body positions| + 0.5 mean|reference joints - joints|.

    Joints (J,), body positions (B, 3), one env, as rewards.termination_error.
    """
    joints_error = 0.0
    for j in range(joints.shape[0]):
        joints_error += abs(reference_joints[j] - joints[j])
    bodies_error = 0.0
    for b in range(body_positions.shape[0]):
        for c in range(3):
            bodies_error += abs(reference_body_positions[b, c] - body_positions[b, c])
    return 0.5 * bodies_error / body_positions.size + 0.5 * joints_error / joints.shape[0]


@numba.njit(inline="always")
def _squared_distance(a, b):
    total = 0.0
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    for i in range(flat_a.shape[0]):
        total += (flat_a[i] - flat_b[i]) ** 2
    return total


@njit(cache=True)
def comic_reward(error, threshold, center_of_mass, reference_center_of_mass, joints_velocity,
                 reference_joints_velocity, appendages, reference_appendages, body_quaternions,
                 reference_body_quaternions):
    """dm_control's comic reward for one env (see rewards.py for the formula and the weights)."""
    quaternion_term = 0.0
    for b in range(body_quaternions.shape[0]):
        q, r = body_quaternions[b], reference_body_quaternions[b]
        q_norm = math.sqrt(q[0] ** 2 + q[1] ** 2 + q[2] ** 2 + q[3] ** 2)
        r_norm = math.sqrt(r[0] ** 2 + r[1] ** 2 + r[2] ** 2 + r[3] ** 2)
        dot = (q[0] * r[0] + q[1] * r[1] + q[2] * r[2] + q[3] * r[3]) / (q_norm * r_norm)
        distance = 0.5 * math.acos(min(1.0, 2.0 * dot * dot - 1.0))
        quaternion_term += distance * distance
    pose = (0.1 * math.exp(-10.0 * _squared_distance(center_of_mass, reference_center_of_mass))
            + 1.0 * math.exp(-0.1 * _squared_distance(joints_velocity, reference_joints_velocity))
            + 0.15 * math.exp(-40.0 * _squared_distance(appendages, reference_appendages))
            + 0.65 * math.exp(-2.0 * quaternion_term))
    return 0.5 * (1.0 - error / threshold) + 0.5 * pose


# Order of the start columns passed to write_reference_observations.
REFERENCE_OBSERVABLES = (
    "walker/reference_rel_joints", "walker/reference_rel_bodies_pos_global", "walker/reference_rel_bodies_pos_local",
    "walker/reference_rel_bodies_quats", "walker/reference_ego_bodies_quats", "walker/reference_rel_root_quat",
    "walker/reference_rel_root_pos_local", "walker/reference_appendages_pos",
)


@njit(cache=True)
def write_reference_observations(out, starts, steps, reference_joints, reference_body_positions,
                                 reference_body_quaternions, reference_ego_bodies_quats, reference_position,
                                 reference_quaternion, reference_appendages, joints, body_positions,
                                 body_quaternions, root_position, root_quaternion, root_xmat, mocap_to_observable):
    """Write the eight reference observables of dm_control's tracking task into `out`.

    `starts` holds their first columns in REFERENCE_OBSERVABLES order; `steps` the reference steps
    (time step + ref_steps). Vectors go to the walker's egocentric frame as dm_control's
    transform_vec_to_egocentric_frame does: v @ root_xmat (xmat row-major 3x3).
    """
    num_joints = joints.shape[0]
    num_bodies = body_positions.shape[0]
    num_appendages = reference_appendages.shape[1]
    for r in range(steps.shape[0]):
        k = steps[r]
        at = starts[0] + r * num_joints
        for j in range(num_joints):
            m = mocap_to_observable[j]
            out[at + j] = reference_joints[k, m] - joints[m]
        for b in range(num_bodies):
            at_global = starts[1] + (r * num_bodies + b) * 3
            at_local = starts[2] + (r * num_bodies + b) * 3
            dx = reference_body_positions[k, b, 0] - body_positions[b, 0]
            dy = reference_body_positions[k, b, 1] - body_positions[b, 1]
            dz = reference_body_positions[k, b, 2] - body_positions[b, 2]
            out[at_global], out[at_global + 1], out[at_global + 2] = dx, dy, dz
            for c in range(3):
                out[at_local + c] = dx * root_xmat[0, c] + dy * root_xmat[1, c] + dz * root_xmat[2, c]
            _quat_diff_into(out, starts[3] + (r * num_bodies + b) * 4, body_quaternions[b],
                            reference_body_quaternions[k, b])
            at_ego = starts[4] + (r * num_bodies + b) * 4
            for c in range(4):
                out[at_ego + c] = reference_ego_bodies_quats[k, b, c]
        _quat_diff_into(out, starts[5] + r * 4, root_quaternion, reference_quaternion[k])
        dx = reference_position[k, 0] - root_position[0]
        dy = reference_position[k, 1] - root_position[1]
        dz = reference_position[k, 2] - root_position[2]
        at = starts[6] + r * 3
        for c in range(3):
            out[at + c] = dx * root_xmat[0, c] + dy * root_xmat[1, c] + dz * root_xmat[2, c]
        at = starts[7] + r * num_appendages * 3
        for a in range(num_appendages):
            for c in range(3):
                out[at + a * 3 + c] = reference_appendages[k, a, c]


@njit(cache=True)
def write_control_observations(out, velocimeter_start, gyro_start, joints_velocity_start, dt, root_position,
                               previous_root_position, root_quaternion, previous_root_quaternion, joints,
                               previous_joints, mocap_to_observable):
    """The task's finite-difference observables over one control step (dm_control's get_veloc_control,
    get_gyro_control, get_joints_vel_control): root velocity in the previous root frame, root angular
    velocity as axis-angle / dt, joint velocities in actuator order."""
    # Previous root rotation matrix, as dm_control's quat_to_mat (which normalises).
    q = previous_root_quaternion
    norm = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]
    rotation = np.eye(3)
    if norm >= 1e-10:
        s = math.sqrt(2.0 / norm)
        w, x, y, z = q[0] * s, q[1] * s, q[2] * s, q[3] * s
        rotation[0, 0], rotation[0, 1], rotation[0, 2] = 1.0 - y * y - z * z, x * y - z * w, x * z + y * w
        rotation[1, 0], rotation[1, 1], rotation[1, 2] = x * y + z * w, 1.0 - x * x - z * z, y * z - x * w
        rotation[2, 0], rotation[2, 1], rotation[2, 2] = x * z - y * w, y * z + x * w, 1.0 - x * x - y * y
    vx = (root_position[0] - previous_root_position[0]) / dt
    vy = (root_position[1] - previous_root_position[1]) / dt
    vz = (root_position[2] - previous_root_position[2]) / dt
    for c in range(3):
        out[velocimeter_start + c] = vx * rotation[0, c] + vy * rotation[1, c] + vz * rotation[2, c]

    difference = np.empty(4)
    _quat_diff_into(difference, 0, previous_root_quaternion, root_quaternion)
    difference /= math.sqrt(difference[0] ** 2 + difference[1] ** 2 + difference[2] ** 2 + difference[3] ** 2)
    angle = 2.0 * math.acos(min(max(difference[0], -1.0), 1.0))
    if angle < 1e-10:
        for c in range(3):
            out[gyro_start + c] = 0.0
    else:
        sine = math.sin(angle / 2.0)
        wrapped = (angle + math.pi) % (2.0 * math.pi) - math.pi
        for c in range(3):
            out[gyro_start + c] = difference[c + 1] / sine * wrapped / dt

    for j in range(mocap_to_observable.shape[0]):
        m = mocap_to_observable[j]
        out[joints_velocity_start + j] = (joints[m] - previous_joints[m]) / dt


# Order of the start columns passed to write_proprioception.
PROPRIOCEPTIVE_OBSERVABLES = (
    "walker/actuator_activation", "walker/appendages_pos", "walker/body_height", "walker/end_effectors_pos",
    "walker/joints_pos", "walker/joints_vel", "walker/sensors_accelerometer", "walker/sensors_gyro",
    "walker/sensors_torque", "walker/sensors_touch", "walker/sensors_velocimeter", "walker/world_zaxis",
)


@njit(cache=True)
def write_proprioception(out, starts, act, qpos, qvel, sensordata, root_height, root_xmat, appendages,
                         observable_qpos, observable_dof, end_effector_sensors, accelerometer, gyro, torque, touch,
                         velocimeter, torque_threshold, touch_threshold):
    """Write the walker's twelve proprioceptive observables (dm_control's CMU humanoid observables) into
    `out`; `starts` holds their first columns in PROPRIOCEPTIVE_OBSERVABLES order. Torque sensors are
    read through tanh(2 v / threshold) and touch sensors as v > threshold, dm_control's corruptors."""
    for i in range(act.shape[0]):
        out[starts[0] + i] = act[i]
    flat = appendages.reshape(-1)
    for i in range(flat.shape[0]):
        out[starts[1] + i] = flat[i]
    out[starts[2]] = root_height
    for i in range(end_effector_sensors.shape[0]):
        out[starts[3] + i] = sensordata[end_effector_sensors[i]]
    for i in range(observable_qpos.shape[0]):
        out[starts[4] + i] = qpos[observable_qpos[i]]
        out[starts[5] + i] = qvel[observable_dof[i]]
    for i in range(accelerometer.shape[0]):
        out[starts[6] + i] = sensordata[accelerometer[i]]
    for i in range(gyro.shape[0]):
        out[starts[7] + i] = sensordata[gyro[i]]
    for i in range(torque.shape[0]):
        out[starts[8] + i] = math.tanh(2.0 * sensordata[torque[i]] / torque_threshold)
    for i in range(touch.shape[0]):
        out[starts[9] + i] = 1.0 if sensordata[touch[i]] > touch_threshold else 0.0
    for i in range(velocimeter.shape[0]):
        out[starts[10] + i] = sensordata[velocimeter[i]]
    for c in range(3):
        out[starts[11] + c] = root_xmat[2, c]
