"""Reference trajectories: a snippet of a clip as time-major arrays, the way the tracking task reads it.

Where it sits: the MoCap family, between the clip files (envsuite/mocap/clips.py) and the tracking
env (envsuite/mocap/tracking.py).

dm_control's `HDF5TrajectoryLoader` gives, for a snippet [start_step, end_step] (end inclusive),
the features of those steps with time first: joints (T, 56), body_positions (T, 31, 3),
body_quaternions (T, 31, 4), appendages (T, 5, 3), ... `ReferenceSnippet` holds the same arrays,
plus what the task would recompute every step from the reference alone (the body quaternions
relative to the reference root, `reference_ego_bodies_quats`), computed once here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envsuite.mocap.clips import Clip
from envsuite.mocap.quaternions import quat_diff
from envsuite.mocap.snippets import Snippet

# Pose arrays stored (3 * n, T) that the task reads as (T, n, 3), and (4 * n, T) as (T, n, 4).
_POINT_FIELDS = ("end_effectors", "appendages", "body_positions")
_QUATERNION_FIELDS = ("body_quaternions",)


@dataclass(frozen=True)
class ReferenceSnippet:
    """The reference of one snippet: `features[name]` is (T, ...) for T = snippet.num_steps."""

    snippet: Snippet
    dt: float
    features: dict[str, np.ndarray]
    ego_bodies_quats: np.ndarray  # (T, B, 4): quat_diff(reference root quaternion, reference body quaternion)

    @property
    def num_steps(self) -> int:
        return self.snippet.num_steps

    @property
    def duration(self) -> float:
        """Seconds from the first to the last step, as dm_control's Trajectory.duration."""
        return (self.snippet.end_step - self.snippet.start_step) * self.dt


def reference_snippets(clip: Clip, snippets) -> list[ReferenceSnippet]:
    """Cut every snippet of `snippets` out of `clip`. The clip is made time-major and its ego quaternions
    computed once; each snippet's arrays are read-only views of those (MoCapAct's snippets overlap by a
    second, and a whole library is a thousand of them: loading it stays well under a second)."""
    for snippet in snippets:
        if snippet.clip != clip.name:
            raise ValueError(f"snippet {snippet.id} belongs to clip {snippet.clip!r}, not {clip.name!r}")
        if not 0 <= snippet.start_step < snippet.end_step < clip.num_steps:
            raise ValueError(f"snippet {snippet.id} does not fit clip {clip.name!r}, which has steps "
                             f"0..{clip.num_steps - 1}")
    whole = {}
    for name, array in clip.poses.items():
        steps = np.ascontiguousarray(array.T)  # (T, d)
        if name in _POINT_FIELDS:
            steps = steps.reshape(len(steps), -1, 3)
        elif name in _QUATERNION_FIELDS:
            steps = steps.reshape(len(steps), -1, 4)
        steps.flags.writeable = False
        whole[name] = steps
    ego = quat_diff(whole["quaternion"][:, None, :], whole["body_quaternions"])
    ego.flags.writeable = False
    references = []
    for snippet in snippets:
        window = slice(snippet.start_step, snippet.end_step + 1)  # a slice of the first axis: still C-contiguous
        references.append(ReferenceSnippet(snippet=snippet, dt=float(clip.dt),
                                           features={name: steps[window] for name, steps in whole.items()},
                                           ego_bodies_quats=ego[window]))
    return references
