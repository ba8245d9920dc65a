"""The tracking env's observation layout: MoCapAct's flattened vector and its `observable_indices`.

Where it sits: the MoCap family (envsuite/mocap/), used by the tracking env and by the MoCap
datasets (their `observable_indices` attribute).

MoCapAct's gym wrapper turns dm_control's observation dict into a gym `Dict` space, which sorts its
keys, and its datasets store the float observables concatenated in that order (integer ones such as
`walker/clip_id` and empty ones such as `reference_props_pos_global` are left out). The names and
sizes below are those of dm_control's `MultiClipMocapTracking` with the V2020 walker, for R
reference steps, B = 31 tracked bodies and J = 56 joints.
"""

from __future__ import annotations

import numpy as np

NUM_JOINTS = 56
NUM_BODIES = 31  # every walker body but the root
NUM_APPENDAGES = 5  # both hands (radius), both feet, the head
NUM_END_EFFECTORS = 4


def observable_sizes(num_ref_steps: int) -> dict[str, int]:
    """{observable name: flat size}, in MoCapAct's (sorted) order."""
    r = int(num_ref_steps)
    sizes = {
        "walker/actuator_activation": NUM_JOINTS,
        "walker/appendages_pos": 3 * NUM_APPENDAGES,
        "walker/body_height": 1,
        "walker/end_effectors_pos": 3 * NUM_END_EFFECTORS,
        "walker/gyro_control": 3,
        "walker/joints_pos": NUM_JOINTS,
        "walker/joints_vel": NUM_JOINTS,
        "walker/joints_vel_control": NUM_JOINTS,
        "walker/reference_appendages_pos": 3 * NUM_APPENDAGES * r,
        "walker/reference_ego_bodies_quats": 4 * NUM_BODIES * r,
        "walker/reference_rel_bodies_pos_global": 3 * NUM_BODIES * r,
        "walker/reference_rel_bodies_pos_local": 3 * NUM_BODIES * r,
        "walker/reference_rel_bodies_quats": 4 * NUM_BODIES * r,
        "walker/reference_rel_joints": NUM_JOINTS * r,
        "walker/reference_rel_root_pos_local": 3 * r,
        "walker/reference_rel_root_quat": 4 * r,
        "walker/sensors_accelerometer": 3,
        "walker/sensors_gyro": 3,
        "walker/sensors_torque": 6,
        "walker/sensors_touch": 10,
        "walker/sensors_velocimeter": 3,
        "walker/time_in_clip": 1,
        "walker/velocimeter_control": 3,
        "walker/world_zaxis": 3,
    }
    assert list(sizes) == sorted(sizes), "MoCapAct's layout is in sorted key order"
    return sizes


def observable_slices(num_ref_steps: int) -> dict[str, slice]:
    """{observable name: slice of the flat observation}."""
    slices, start = {}, 0
    for name, size in observable_sizes(num_ref_steps).items():
        slices[name] = slice(start, start + size)
        start += size
    return slices


def observable_indices(num_ref_steps: int) -> dict[str, np.ndarray]:
    """{observable name: int64 column indices}, as MoCapAct's datasets store `observable_indices`."""
    return {name: np.arange(s.start, s.stop, dtype=np.int64) for name, s in observable_slices(num_ref_steps).items()}


def observation_size(num_ref_steps: int) -> int:
    return sum(observable_sizes(num_ref_steps).values())


def split_observation(observation: np.ndarray, num_ref_steps: int) -> dict[str, np.ndarray]:
    """The flat observation(s) (..., D) as {observable name: (..., size)} views."""
    observation = np.asarray(observation)
    expected = observation_size(num_ref_steps)
    if observation.shape[-1] != expected:
        raise ValueError(f"a tracking observation with {num_ref_steps} reference steps has {expected} columns, "
                         f"got shape {observation.shape}")
    return {name: observation[..., s] for name, s in observable_slices(num_ref_steps).items()}
