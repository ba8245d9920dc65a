"""dm_control's own MultiClipMocapTracking, built the way envsuite's tracking env is configured.

Where it sits: the MoCap family's oracle (envsuite/mocap/). The parity tests and the benchmark run it
beside envsuite/CMUHumanoidTracking-v0 on the same clip, start and actions; nothing else uses it.
"""

from __future__ import annotations

import numpy as np

from envsuite.mocap.tracking import DEFAULT_REF_STEPS


def dm_control_tracking(clip_path, clip: str, start_step: int, end_step: int, *, always_init_at_clip_start: bool,
                        ref_steps=DEFAULT_REF_STEPS, min_steps: int = 10, termination_error_threshold: float = 0.3,
                        seed: int = 0):
    """(composer.Environment, task): the V2020 walker on a Floor tracking clip[start_step..end_step]."""
    from dm_control import composer
    from dm_control.locomotion import arenas
    from dm_control.locomotion.tasks.reference_pose import tracking, types
    from dm_control.locomotion.walkers import cmu_humanoid

    task = tracking.MultiClipMocapTracking(
        walker=cmu_humanoid.CMUHumanoidPositionControlledV2020, arena=arenas.Floor(), ref_path=str(clip_path),
        dataset=types.ClipCollection(ids=(clip,), start_steps=(start_step,), end_steps=(end_step,)),
        ref_steps=tuple(ref_steps), min_steps=min_steps, reward_type="comic",
        termination_error_threshold=termination_error_threshold, always_init_at_clip_start=always_init_at_clip_start)
    return composer.Environment(task=task, random_state=np.random.RandomState(seed)), task
