"""The MoCap family: the CMU humanoid tracking CMU motion capture (DESIGN.md section 6, MoCap).

- `clips`: dm_control's clip HDF5 format (read/write); `convert`: CMU ASF/AMC -> humanoid_CMU_V2020 clips;
  `library`: the shipped library of real CMU takes (qpos stored, clips derived and cached on first use);
  `snippets` / `reference`: MoCapAct-style windows and their time-major reference arrays.
- `walker`: the V2020 walker on a floor, compiled once per process; `tracking`: the gymnasium env
  `envsuite/CMUHumanoidTracking-v0` (dm_control's MultiClipMocapTracking on raw mujoco), with its
  observation layout (`observables`), rewards (`rewards`, numpy; `kernels`, numba) and quaternion math.
- `expert`: the MPPI tracking expert and the MoCapAct-style episode runner; `multiclip`: the multi-clip
  policy (numpy inference of the network training/mocap/distill.py distils from the expert);
  `oracle`: dm_control's own task, for the parity tests and the benchmark. The datasets' plan is in
  datagen/mocap.py.
"""

from envsuite.mocap.clips import POSE_FIELDS, Clip, ClipFormatError, Prop, read_clips, write_clips
from envsuite.mocap.multiclip import MultiClipPolicy, multiclip_policy
from envsuite.mocap.snippets import Snippet, split_clip

__all__ = ["POSE_FIELDS", "Clip", "ClipFormatError", "MultiClipPolicy", "Prop", "Snippet", "multiclip_policy",
           "read_clips", "split_clip", "write_clips"]
