"""Quaternion helpers with leading batch axes, in dm_control's conventions ([w, x, y, z], Hamilton product).

Where it sits: the MoCap family's math (envsuite/mocap/), for the reference features and the
tracking env's observations. They compute what `dm_control.utils.transformations` computes
(`quat_mul`, `quat_diff`, `quat_to_axisangle`, `quat_to_mat`), for many quaternions per call;
tests compare them with dm_control's functions.
"""

from __future__ import annotations

import numpy as np

_TOL = 1e-10  # dm_control transformations._TOL


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a * b of quaternions (..., 4) (broadcasting)."""
    aw, ax, ay, az = np.moveaxis(np.asarray(a, dtype=np.float64), -1, 0)
    bw, bx, by, bz = np.moveaxis(np.asarray(b, dtype=np.float64), -1, 0)
    return np.stack([aw * bw - ax * bx - ay * by - az * bz,
                     aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw], axis=-1)


def quat_conj(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    return q * np.array([1.0, -1.0, -1.0, -1.0])


def quat_diff(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The rotation from source to target: conj(source) * target (dm_control's quat_diff)."""
    return quat_mul(quat_conj(source), target)


def quat_to_axisangle(q: np.ndarray) -> np.ndarray:
    """Axis * angle (3,) of a unit quaternion (4,), angle wrapped to [-pi, pi); zeros below 1e-10 rad."""
    w = float(q[0])
    if not -1.0 - _TOL <= w <= 1.0 + _TOL:
        raise ValueError(f"quaternion {q} is not normalised (w = {w})")
    angle = 2.0 * np.arccos(min(max(w, -1.0), 1.0))
    if angle < _TOL:
        return np.zeros(3)
    axis = np.asarray(q[1:4], dtype=np.float64) / np.sin(angle / 2.0)
    return axis * ((angle + np.pi) % (2.0 * np.pi) - np.pi)


def quat_to_rotation_matrix(q: np.ndarray) -> np.ndarray:
    """The 3x3 rotation matrix of a quaternion (4,), normalising it as dm_control's quat_to_mat does."""
    q = np.array(q, dtype=np.float64)
    norm = float(np.dot(q, q))
    if norm < _TOL:
        return np.identity(3)
    q *= np.sqrt(2.0 / norm)
    q = np.outer(q, q)
    return np.array([[1.0 - q[2, 2] - q[3, 3], q[1, 2] - q[3, 0], q[1, 3] + q[2, 0]],
                     [q[1, 2] + q[3, 0], 1.0 - q[1, 1] - q[3, 3], q[2, 3] - q[1, 0]],
                     [q[1, 3] - q[2, 0], q[2, 3] + q[1, 0], 1.0 - q[1, 1] - q[2, 2]]])
