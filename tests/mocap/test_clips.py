"""Clip files against dm_control's own reader (the oracle): its test file reads, and what envsuite
writes reads back in dm_control's HDF5TrajectoryLoader with the same trajectories."""

from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pytest
from dm_control.locomotion.mocap import loader

from envsuite.mocap import POSE_FIELDS, Clip, ClipFormatError, read_clips, write_clips

DM_CONTROL_CLIPS = Path(loader.__file__).parent / "test_trajectories.h5"


def _trajectories(path):
    """Every clip as dm_control decodes it: {key: {name: array}}."""
    clip_loader = loader.HDF5TrajectoryLoader(str(path))
    return {key: clip_loader.get_trajectory(key, zero_out_velocities=False).as_dict() for key in clip_loader.keys()}


def test_reads_dm_controls_test_clips():
    clips = read_clips(DM_CONTROL_CLIPS)
    assert sorted(clips) == ["cmuv2019_001", "cmuv2019_002"]
    clip = clips["cmuv2019_001"]
    assert clip.dt == 0.05 and clip.num_steps == 10
    assert clip.poses["joints"].shape == (56, 10) and clip.poses["body_quaternions"].shape == (120, 10)
    assert len(clip.props) == 1 and len(clip.markers) == 5
    with h5py.File(DM_CONTROL_CLIPS) as file:
        for name in POSE_FIELDS:
            np.testing.assert_array_equal(clip.poses[name], file[f"cmuv2019_001/walkers/walker_0/{name}"][()])


def test_written_clips_load_in_dm_controls_loader_unchanged(tmp_path):
    written = write_clips(tmp_path / "clips.h5", read_clips(DM_CONTROL_CLIPS))
    expected, actual = _trajectories(DM_CONTROL_CLIPS), _trajectories(written)
    assert sorted(actual) == sorted(expected)
    for key in expected:
        assert sorted(actual[key]) == sorted(expected[key])
        for name, array in expected[key].items():
            np.testing.assert_array_equal(actual[key][name], array, err_msg=f"{key}: {name}")


def test_a_clip_without_props_or_markers_loads_in_dm_control(tmp_path):
    source = read_clips(DM_CONTROL_CLIPS)["cmuv2019_002"]
    bare = replace(source, name="walk", props=[], markers=[], attrs={})
    path = write_clips(tmp_path / "bare.h5", [bare])
    trajectory = loader.HDF5TrajectoryLoader(str(path)).get_trajectory("walk", zero_out_velocities=False)
    np.testing.assert_array_equal(trajectory.as_dict()["walker/joints"], source.poses["joints"].T)
    assert trajectory.dt == source.dt and trajectory.num_steps == source.num_steps


def test_bad_clips_raise_errors_naming_the_clip_and_the_part(tmp_path):
    clip = read_clips(DM_CONTROL_CLIPS)["cmuv2019_001"]
    short = replace(clip, poses=dict(clip.poses, joints=clip.poses["joints"][:, :5]))
    with pytest.raises(ClipFormatError, match="clip 'cmuv2019_001': joints has 5 steps but position has 10"):
        write_clips(tmp_path / "bad.h5", [short])
    missing = replace(clip, poses={k: v for k, v in clip.poses.items() if k != "appendages"})
    with pytest.raises(ClipFormatError, match=r"pose arrays \['appendages'\] are missing"):
        missing.validate()
    with pytest.raises(ClipFormatError, match="dt must be a positive"):
        replace(clip, dt=0.0).validate()
    assert not (tmp_path / "bad.h5").exists() and not (tmp_path / "bad.h5.partial").exists()
    with pytest.raises(KeyError, match="has no clips"):
        read_clips(DM_CONTROL_CLIPS, names=["nope"])
    not_hdf5 = tmp_path / "x.h5"
    not_hdf5.write_bytes(b"not an hdf5 file")
    with pytest.raises(ClipFormatError, match="cannot be opened as HDF5"):
        read_clips(not_hdf5)
    write_clips(tmp_path / "ok.h5", [clip])
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_clips(tmp_path / "ok.h5", [clip])
