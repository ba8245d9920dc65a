"""The MoCap family: CMU motion-capture clips and (to come) CMU-humanoid tracking envs and datasets.

Built so far: `clips` reads and writes dm_control's clip HDF5 format (DESIGN.md section 6, MoCap).
"""

from envsuite.mocap.clips import POSE_FIELDS, Clip, ClipFormatError, Prop, read_clips, write_clips

__all__ = ["POSE_FIELDS", "Clip", "ClipFormatError", "Prop", "read_clips", "write_clips"]
