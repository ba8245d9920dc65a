"""The MoCap family: CMU motion-capture clips and (to come) CMU-humanoid tracking envs and datasets.

Built so far (DESIGN.md section 6, MoCap): `clips` reads and writes dm_control's clip HDF5 format,
`convert` turns CMU ASF/AMC files into clips for the humanoid_CMU_V2020 walker, `snippets` cuts clips
into overlapping MoCapAct-style windows.
"""

from envsuite.mocap.clips import POSE_FIELDS, Clip, ClipFormatError, Prop, read_clips, write_clips
from envsuite.mocap.snippets import Snippet, split_clip

__all__ = ["POSE_FIELDS", "Clip", "ClipFormatError", "Prop", "Snippet", "read_clips", "split_clip", "write_clips"]
