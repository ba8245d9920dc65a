"""The tracking task's termination error and `comic` reward, in numpy with leading batch axes.

Where it sits: the MoCap family's reward layer (envsuite/mocap/), for the tracking env. The
definitions are dm_control's (locomotion/tasks/reference_pose/rewards.py and tracking.py,
`_compute_termination_error`), from CoMic (Hasenclever et al. 2020):

    termination_error = 0.5 * mean|ref body_positions - body_positions| + 0.5 * mean|ref joints - joints|
    comic = 0.5 * (1 - termination_error / threshold)
          + 0.5 * (0.1  * exp(-10 * sum (ref com - com)^2)
                 + 1.0  * exp(-0.1 * sum (ref joints_velocity - joints_velocity)^2)
                 + 0.15 * exp(-40 * sum (ref appendages - appendages)^2)
                 + 0.65 * exp(-2 * sum_b d(ref body_quaternion_b, body_quaternion_b)^2))
    d(q1, q2) = 0.5 * arccos(min(1, 2 <q1, q2>^2 - 1))    (q normalised; at most pi/2)

Unlike dm_control's, these functions never modify their inputs and accept a batch of envs.
Tests compare them with dm_control's functions on the same features.
"""

from __future__ import annotations

import numpy as np

COMIC_WEIGHTS = {"center_of_mass": (0.1, 10.0), "joints_velocity": (1.0, 0.1), "appendages": (0.15, 40.0),
                 "body_quaternions": (0.65, 2.0)}  # term -> (weight, scale inside exp(-scale * squared error))


def bounded_quaternion_distance(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rotation distance of quaternions (..., 4) -> (...), in [0, pi/2]; q and -q are the same rotation."""
    source = source / np.linalg.norm(source, axis=-1, keepdims=True)
    target = target / np.linalg.norm(target, axis=-1, keepdims=True)
    cosine = np.minimum(1.0, 2.0 * np.sum(source * target, axis=-1) ** 2 - 1.0)
    return 0.5 * np.arccos(cosine)


def termination_error(reference_joints, joints, reference_body_positions, body_positions,
                      body_error_multiplier: float = 1.0) -> np.ndarray:
    """Pose error that ends an episode above the threshold (0.3): joints (..., J), body positions (..., 3B)."""
    joints_error = np.mean(np.abs(np.asarray(reference_joints) - joints), axis=-1)
    bodies_error = np.mean(np.abs(np.asarray(reference_body_positions) - body_positions), axis=-1)
    return 0.5 * body_error_multiplier * bodies_error + 0.5 * joints_error


def comic_reward(error, threshold: float, walker_features: dict, reference_features: dict):
    """(reward, terms) for a termination error (...) and features with per-env leading axes.

    Features: center_of_mass (..., 3), joints_velocity (..., J), appendages (..., A, 3),
    body_quaternions (..., B, 4). `terms` holds each weighted term before the 0.5 mixing.
    """
    terms = {"termination": 1.0 - np.asarray(error) / threshold}
    for name, (weight, scale) in COMIC_WEIGHTS.items():
        walker, reference = np.asarray(walker_features[name]), np.asarray(reference_features[name])
        if name == "body_quaternions":
            squared = np.sum(bounded_quaternion_distance(walker, reference) ** 2, axis=-1)
        else:
            difference = (walker - reference).reshape(*walker.shape[: walker.ndim - _feature_ndim(name)], -1)
            squared = np.sum(difference**2, axis=-1)
        terms[name] = weight * np.exp(-scale * squared)
    pose = sum(terms[name] for name in COMIC_WEIGHTS)
    return 0.5 * terms["termination"] + 0.5 * pose, terms


def _feature_ndim(name: str) -> int:
    """Dimensions of one env's feature (appendages are (A, 3), the others vectors)."""
    return 2 if name == "appendages" else 1
