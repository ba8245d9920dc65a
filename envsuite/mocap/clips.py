"""Motion-capture clips in dm_control's HDF5 format (what `HDF5TrajectoryLoader` and MoCapAct read).

Where it sits: the MoCap family's data layer (envsuite/mocap/). Tracking envs, the ASF/AMC
converter and the committed clip library build on it.

The file layout, one group per clip:

    <clip>/                         attrs: dt (s per step), num_steps, and any others (year, ...)
      walkers/walker_0/             attrs: name, model, mass, end_effector_names, appendage_names
        position (3, T), quaternion (4, T), joints (J, T), center_of_mass (3, T),
        end_effectors (3E, T), appendages (3A, T), body_positions (3B, T),
        body_quaternions (4B, T), velocity (3, T), angular_velocity (3, T), joints_velocity (J, T)
        markers/marker_<i>/         attrs only
        scaling/subtree_<i>/        attrs only
      props/prop_<i>/               attrs; position, quaternion, velocity, angular_velocity (d, T)

Arrays are stored (dimension, time), as dm_control does. `read_clips` and `write_clips` keep every
attribute, prop and marker, so a dm_control file survives a round trip; envsuite's own clips have
empty `props`, `markers` and `scaling` groups.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

# The eleven per-step pose arrays of a walker (dm_control's mocap_pb2.WalkerPose), in its order.
POSE_FIELDS = ("position", "quaternion", "joints", "center_of_mass", "end_effectors", "appendages",
               "body_positions", "body_quaternions", "velocity", "angular_velocity", "joints_velocity")
# The per-step arrays of a prop (mocap_pb2.PropPose).
PROP_POSE_FIELDS = ("position", "quaternion", "velocity", "angular_velocity")


class ClipFormatError(ValueError):
    """A clip file or Clip does not have dm_control's layout; the message names the clip and the part."""


@dataclass
class Prop:
    """A prop's attributes (name, mass, shape, size) and its pose arrays, each (d, T)."""

    attrs: dict[str, Any]
    poses: dict[str, np.ndarray]


@dataclass
class Clip:
    """One clip: a walker's pose arrays (d, T), the time step, and everything else the file holds."""

    name: str
    dt: float
    poses: dict[str, np.ndarray]  # POSE_FIELDS -> float64 (d, T)
    walker_attrs: dict[str, Any] = field(default_factory=dict)
    markers: list[dict[str, Any]] = field(default_factory=list)  # attrs of markers/marker_<i>
    scaling: list[dict[str, Any]] = field(default_factory=list)  # attrs of scaling/subtree_<i>
    props: list[Prop] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)  # clip attrs besides dt and num_steps

    @property
    def num_steps(self) -> int:
        return int(self.poses["position"].shape[1])

    @property
    def duration(self) -> float:
        return self.num_steps * self.dt

    def validate(self) -> None:
        """ClipFormatError unless every pose array is present, 2-D and of one common length."""
        where = f"clip {self.name!r}"
        if not self.name or "/" in self.name:
            raise ClipFormatError(f"{where}: a clip name must be a non-empty HDF5 group name without '/'")
        if not (np.isfinite(self.dt) and self.dt > 0):
            raise ClipFormatError(f"{where}: dt must be a positive number of seconds, got {self.dt}")
        missing = [name for name in POSE_FIELDS if name not in self.poses]
        if missing:
            raise ClipFormatError(f"{where}: walker pose arrays {missing} are missing; a clip needs all of {list(POSE_FIELDS)}")
        _check_poses(where, self.poses, POSE_FIELDS, self.num_steps)
        if self.num_steps < 1:
            raise ClipFormatError(f"{where}: a clip needs at least one step")
        for i, prop in enumerate(self.props):
            _check_poses(f"{where} prop {i}", prop.poses, PROP_POSE_FIELDS, self.num_steps)


def _check_poses(where: str, poses: dict[str, np.ndarray], names: tuple[str, ...], steps: int) -> None:
    for name in names:
        if name not in poses:
            raise ClipFormatError(f"{where}: pose array {name!r} is missing")
        array = poses[name]
        if array.ndim != 2:
            raise ClipFormatError(f"{where}: {name} must be 2-D (dimension, time), got shape {array.shape}")
        if array.shape[1] != steps:
            raise ClipFormatError(f"{where}: {name} has {array.shape[1]} steps but position has {steps}; "
                                  "every pose array must cover the same steps")
        if not np.all(np.isfinite(array)):
            raise ClipFormatError(f"{where}: {name} holds NaN or inf")


def read_clips(path, names=None) -> dict[str, Clip]:
    """Clips of a dm_control-format HDF5 file (all of them, or `names`), keyed by clip name."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no clip file at {path}")
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise ClipFormatError(f"{path} cannot be opened as HDF5 ({error})") from error
    with file:
        available = sorted(file.keys())
        wanted = available if names is None else list(names)
        unknown = [name for name in wanted if name not in file]
        if unknown:
            raise KeyError(f"{path} has no clips {unknown}; it has {available}")
        return {name: _read_clip(path, name, file[name]) for name in wanted}


def _read_clip(path: Path, name: str, group: h5py.Group) -> Clip:
    where = f"{path}: clip {name!r}"
    try:
        walker = group["walkers/walker_0"]
    except KeyError:
        raise ClipFormatError(f"{where} has no walkers/walker_0 group; it is not a dm_control clip") from None
    if "dt" not in group.attrs:
        raise ClipFormatError(f"{where} lacks the 'dt' attribute (seconds per step)")
    missing = [field_name for field_name in POSE_FIELDS if field_name not in walker]
    if missing:
        raise ClipFormatError(f"{where}: walker_0 lacks the pose arrays {missing}")
    clip = Clip(
        name=name,
        dt=float(group.attrs["dt"]),
        poses={field_name: np.asarray(walker[field_name], dtype=np.float64) for field_name in POSE_FIELDS},
        walker_attrs=dict(walker.attrs),
        markers=_numbered_attrs(walker.get("markers"), "marker"),
        scaling=_numbered_attrs(walker.get("scaling"), "subtree"),
        props=[Prop(dict(prop.attrs), {f: np.asarray(prop[f], dtype=np.float64) for f in PROP_POSE_FIELDS})
               for prop in _numbered_groups(group.get("props"), "prop")],
        attrs={key: value for key, value in group.attrs.items() if key not in ("dt", "num_steps")},
    )
    if "num_steps" in group.attrs and int(group.attrs["num_steps"]) != clip.num_steps:
        raise ClipFormatError(f"{where}: num_steps says {int(group.attrs['num_steps'])} but the arrays have "
                              f"{clip.num_steps} steps")
    try:
        clip.validate()
    except ClipFormatError as error:
        raise ClipFormatError(f"{path}: {error}") from None
    return clip


def _numbered_groups(container, prefix: str) -> list[h5py.Group]:
    if container is None:
        return []
    return [container[f"{prefix}_{i}"] for i in range(len(container))]


def _numbered_attrs(container, prefix: str) -> list[dict[str, Any]]:
    return [dict(group.attrs) for group in _numbered_groups(container, prefix)]


def write_clips(path, clips, overwrite: bool = False) -> Path:
    """Write clips (a list or a name -> Clip dict) to `path` in dm_control's layout.

    Written to `<path>.partial` and renamed when complete, so no half-written file appears at `path`.
    """
    path = Path(path)
    clip_list = list(clips.values()) if isinstance(clips, dict) else list(clips)
    names = [clip.name for clip in clip_list]
    if len(set(names)) != len(names):
        raise ClipFormatError(f"clip names must be unique, got {names}")
    for clip in clip_list:
        clip.validate()
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with h5py.File(partial, "w") as file:
            for clip in clip_list:
                _write_clip(file.create_group(clip.name), clip)
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return path


def _write_clip(group: h5py.Group, clip: Clip) -> None:
    for key, value in clip.attrs.items():
        group.attrs[key] = value
    group.attrs["dt"] = np.float64(clip.dt)
    group.attrs["num_steps"] = np.int64(clip.num_steps)
    walker = group.create_group("walkers").create_group("walker_0")
    for key, value in clip.walker_attrs.items():
        walker.attrs[key] = value
    for field_name in POSE_FIELDS:
        walker.create_dataset(field_name, data=np.asarray(clip.poses[field_name], dtype=np.float64))
    for container, prefix, items in ((walker.create_group("markers"), "marker", clip.markers),
                                     (walker.create_group("scaling"), "subtree", clip.scaling)):
        for i, attrs in enumerate(items):
            item = container.create_group(f"{prefix}_{i}")
            for key, value in attrs.items():
                item.attrs[key] = value
    props = group.create_group("props")
    for i, prop in enumerate(clip.props):
        item = props.create_group(f"prop_{i}")
        for key, value in prop.attrs.items():
            item.attrs[key] = value
        for field_name in PROP_POSE_FIELDS:
            item.create_dataset(field_name, data=np.asarray(prop.poses[field_name], dtype=np.float64))
