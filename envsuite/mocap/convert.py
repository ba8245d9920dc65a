"""CMU ASF/AMC motion capture -> clips for dm_control's `humanoid_CMU_V2020` walker.

Where it sits: the MoCap family's importer (envsuite/mocap/). Its output is a `Clip`
(envsuite/mocap/clips.py) that dm_control's `MultiClipMocapTracking` accepts (tested).

Steps:
1. `dm_control.suite.utils.parse_amc.convert` resamples the AMC file (120 fps) to `dt` and gives
   qpos for the suite's `humanoid_CMU` model: a free root (7) and 56 hinges, which are the V2020
   walker's hinges with the same names in the same order.
2. Root quaternions are renormalised (parse_amc interpolates them component-wise).
3. The root's horizontal position is scaled to the V2020 body. parse_amc's root positions fit the
   suite model; V2020's proportions differ (it is the 2020 model rescaled by 1.2 to 70 kg), so with
   the wrong scale the stance foot slides. `root_scale="fit"` (the default) picks, from 0.70 to 1.50
   in steps of 0.01, the scale at which the lowest foot moves least between frames (the median
   horizontal speed of the stance foot): 1.10 on CMU 02_01, where 1.2 left the stance foot sliding
   at 0.11 m/s. A number fixes it instead.
4. The root's height is set so that the walker's lowest collision geom touches the floor in every
   frame (`ground="per-frame"`, the default): parse_amc's heights, scaled, left the feet of 02_01
   0-8 cm above the floor, drifting upwards over the walk (the capture floor is not level), which
   no controller can track. Right for motions that always keep a foot on the ground (walks, most
   dances); `ground="none"` keeps the scaled heights (root height x `root_scale`) for jumps and
   flights. Both choices are envsuite's, not dm_control's (it ships no AMC-to-V2020 pipeline), and
   are recorded in the clip's attributes.
5. Velocities are forward differences in MuJoCo's convention (`mj_differentiatePos`, the formula
   parse_amc uses); the last frame repeats the one before.
6. Every frame, the V2020 walker is posed at (qpos, qvel) with `physics.forward()` and dm_control's
   own `reference_pose.utils.get_features` gives the eleven pose arrays, the same function the
   tracking task compares the walker with.

Before step 1 the AMC frames are checked (`check_amc_frames`): a non-finite or absurdly large value,
frames of unequal length, or too few frames for parse_amc's spline is a `ClipConversionError` naming
the file, the frame and the value. Unchecked, dm_control raises PhysicsError or scipy a TypeError
("m > k must hold") without the file's name, or a 1e308-degree angle quietly becomes a clip.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

from envsuite.mocap.asf import (CMU_BONE_DOFS, SkeletonError, check_cmu_skeleton, read_amc, read_asf,
                                unwrap_degrees, write_canonical_amc)
from envsuite.mocap.clips import POSE_FIELDS, Clip

class ClipConversionError(ValueError):
    """An AMC file cannot be converted into a clip; the message names the file (and frame and value)."""


DEFAULT_DT = 0.03  # MoCapAct's clips; the tracking task needs a whole multiple of its 0.005 s physics step
ROOT_SCALE_GRID = np.round(np.arange(0.70, 1.5001, 0.01), 2)
GROUND_MODES = ("auto", "per-frame", "first-frame", "none")
FLIGHT_WINDOW_S = 1.2  # ground="auto": upward excursions shorter than this (jumps, flips) are flights
FLIGHT_MIN_HEIGHT = 0.05  # m: ground="auto" grounds smaller excursions (contact noise), keeps larger ones
CONTACT_HEIGHT = 0.02  # m: a body point this close to the floor touches it (quality report)

# What a CMU AMC frame can plausibly hold (check_amc_frames). The bounds are far beyond the real
# takes, so that only damage or a unit mix-up trips them, and far below where the numbers stop
# meaning anything (sin of 1e308 degrees) or MuJoCo calls the state invalid (|qpos| > 1e10).
MAX_JOINT_DEGREES = 3600.0  # ten turns; the largest of the 263 CMU takes in ../shared/data: 2611 (14_13, lthumb)
MAX_ROOT_DEGREES = 36000.0  # 100 turns: the root's Euler angles are unwrapped over a take, so a walk in
#                             circles accumulates them (142_relaxedwalk reaches 6267, 17 turns)
MAX_ROOT_UNITS = 17_700.0  # about 1 km at parse_amc's 0.056444 m per length unit; the CMU takes stay within
#                            56 units (3.2 m) of the capture origin
SPLINE_POINTS = 4  # parse_amc fits a cubic spline (scipy splrep, k=3) per coordinate: it needs k + 1 frames


def find_asf(amc_path) -> Path:
    """The ASF skeleton of an AMC take: `<subject>.asf[.gz]` beside it (subject: the name before '_'),
    else the only ASF in its folder; a ClipConversionError saying to pass one otherwise."""
    amc_path = Path(amc_path)
    stem = amc_path.name.split(".")[0]
    folder = amc_path.parent
    for name in (stem.split("_")[0], stem, re.sub(r"\d+$", "", stem)):  # 02_01 -> 02; charleston1 -> charleston
        for suffix in (".asf", ".asf.gz", ".ASF"):
            if (folder / f"{name}{suffix}").is_file():
                return folder / f"{name}{suffix}"
    candidates = sorted(p for p in folder.iterdir() if p.name.lower().endswith((".asf", ".asf.gz"))) if folder.is_dir() else []
    if len(candidates) == 1:
        return candidates[0]
    raise ClipConversionError(f"{amc_path}: no ASF skeleton found beside it ({stem.split('_')[0]}.asf, or a single "
                              f".asf in {folder}, of {len(candidates)} there); pass its skeleton with --asf FILE")


def amc_to_clip(amc_path, name: str | None = None, *, dt: float = DEFAULT_DT, asf=None,
                root_scale: float | str = "skeleton", ground: str = "auto") -> Clip:
    """Convert one CMU AMC take (with its ASF skeleton, found beside it when `asf` is None) into a V2020 clip.

    root_scale: "skeleton" (the walker's leg length over the subject's, from the ASF), "fit" (the
    least stance-foot sliding, searched from 0.70 to 1.50) or a number. ground: "auto" (grounded
    under a slowly varying floor, flight phases kept in the air), "per-frame", "first-frame", "none".
    The clip's attributes carry the options, the skeleton and the quality report (quality_report).
    """
    amc_path = Path(amc_path)
    qpos, attrs, physics_and_walker = amc_to_qpos(amc_path, dt=dt, asf=asf, root_scale=root_scale, ground=ground)
    return clip_from_qpos(qpos, dt, name or amc_path.name.split(".")[0], attrs, where=str(amc_path),
                          physics_and_walker=physics_and_walker)


def amc_to_qpos(amc_path, *, dt: float = DEFAULT_DT, asf=None, root_scale: float | str = "skeleton",
                ground: str = "auto"):
    """Steps 1-4 of amc_to_clip: (qpos (T, 63) of the V2020 walker, the clip attributes, (physics, walker)).

    What the MoCap library stores (envsuite/mocap/library.py); clip_from_qpos makes the rest.
    """
    import mujoco
    from dm_control.suite import humanoid_CMU
    from dm_control.suite.utils import parse_amc

    amc_path = Path(amc_path)
    if ground not in GROUND_MODES:
        raise ValueError(f"ground must be one of {GROUND_MODES}, got {ground!r}")
    if not (root_scale in ("fit", "skeleton") or (isinstance(root_scale, (int, float)) and root_scale > 0)):
        raise ValueError(f"root_scale must be 'skeleton', 'fit' or a positive number, got {root_scale!r}")
    if not amc_path.is_file():
        raise FileNotFoundError(f"no AMC file at {amc_path}")
    if not (dt > 0 and abs(dt / 0.005 - round(dt / 0.005)) < 1e-9):
        raise ValueError(f"dt must be a positive multiple of the tracking task's 0.005 s physics step, got {dt}")
    asf_path = Path(asf) if asf is not None else find_asf(amc_path)
    try:
        skeleton = read_asf(asf_path)
        check_cmu_skeleton(skeleton)
        notes: list[str] = []
        values = read_amc(amc_path, skeleton, notes)
    except SkeletonError as error:
        raise ClipConversionError(str(error)) from None
    except FileNotFoundError:
        raise ClipConversionError(f"{amc_path}: its skeleton {asf_path} does not exist; pass one with --asf FILE") from None
    check_frame_values(values, amc_path, dt, _canonical_labels())
    values, wraps = unwrap_degrees(values)
    suite_physics = humanoid_CMU.Physics.from_xml_string(*humanoid_CMU.get_model_and_assets())
    with tempfile.TemporaryDirectory(prefix="envsuite-amc-") as folder:
        canonical = Path(folder) / "take.amc"
        write_canonical_amc(canonical, values)
        try:
            converted = parse_amc.convert(str(canonical), suite_physics, dt)
        except (ValueError, IndexError, TypeError) as error:
            raise ClipConversionError(f"{amc_path} could not be read as a CMU AMC file ({error})") from error
    qpos = np.array(converted.qpos.T, dtype=np.float64)  # (T, 63)
    if qpos.shape[0] < 2 or not np.isfinite(qpos).all():  # check_frame_values keeps both from happening
        raise ClipConversionError(f"{amc_path} gave {qpos.shape[0]} frames at dt {dt}, or non-finite ones")
    qpos[:, 3:7] /= np.linalg.norm(qpos[:, 3:7], axis=1, keepdims=True)

    physics, walker = v2020_physics()
    if physics.model.nq != qpos.shape[1]:
        raise AssertionError(f"the V2020 walker has {physics.model.nq} qpos, parse_amc gave {qpos.shape[1]}")
    model, data = physics.model.ptr, mujoco.MjData(physics.model.ptr)
    feet = np.asarray(physics.bind([walker.mjcf_model.find("body", n) for n in ("lfoot", "ltoes", "rfoot", "rtoes")]).element_id)
    if root_scale == "fit":
        speeds = [_stance_foot_speed(model, data, _scaled(qpos, scale), feet, dt) for scale in ROOT_SCALE_GRID]
        root_scale = float(ROOT_SCALE_GRID[int(np.argmin(speeds))])
    elif root_scale == "skeleton":
        root_scale = _walker_leg_length(physics, walker) / skeleton.leg_length_m()
    qpos = _scaled(qpos, float(root_scale))
    walker_bodies = _walker_body_ids(physics, walker)
    if ground != "none":
        heights = _lowest_point_heights(model, data, qpos, walker_body_ids=walker_bodies)
        qpos[:, 2] -= ground_offsets(heights, ground, dt)
    qvel = velocities(physics, qpos, dt)
    report = quality_report(physics, walker, qpos, qvel, dt, wraps)
    report["dropped_frames"] = float(len(notes))
    # what retargeting lost: nothing here, an AMC's DOFs are its bones' (bvh.bvh_to_qpos sets its own)
    report.update(dropped_rotation_deg=0.0, dropped_hand_rotation_deg=0.0)
    attrs = {"source": np.bytes_(amc_path.name.encode()), "skeleton": np.bytes_(asf_path.name.encode()),
             "root_scale": np.float64(root_scale), "ground": np.bytes_(ground.encode()),
             "converter": np.bytes_(b"envsuite.mocap.convert.amc_to_clip"),
             "quality_report": np.bytes_(json.dumps(report, sort_keys=True).encode()),
             "conversion_notes": np.bytes_(json.dumps(notes).encode())}
    attrs.update({f"quality_{key}": np.float64(value) for key, value in report.items()})
    return qpos, attrs, (physics, walker)


def v2020_physics():
    """dm_control's V2020 walker on its Floor arena (the tracking task's scene) and the walker."""
    from dm_control import mjcf
    from dm_control.locomotion import arenas
    from dm_control.locomotion.tasks.reference_pose import utils
    from dm_control.locomotion.walkers import cmu_humanoid

    arena = arenas.Floor()
    walker = utils.add_walker(cmu_humanoid.CMUHumanoidPositionControlledV2020, arena)
    return mjcf.Physics.from_mjcf_model(arena.mjcf_model), walker


def velocities(physics, qpos: np.ndarray, dt: float) -> np.ndarray:
    """Forward differences in MuJoCo's convention (mj_differentiatePos); the last frame repeats the one before."""
    import mujoco

    qvel = np.zeros((len(qpos), physics.model.nv))
    for t in range(len(qpos) - 1):
        mujoco.mj_differentiatePos(physics.model.ptr, qvel[t], dt, qpos[t], qpos[t + 1])
    qvel[-1] = qvel[-2]
    return qvel


def clip_from_qpos(qpos: np.ndarray, dt: float, name: str, attrs: dict, where: str = "",
                   physics_and_walker=None) -> Clip:
    """The clip of V2020 poses `qpos` (T, 63) at `dt`: velocities by forward differences, then per frame
    the walker posed with physics.forward() and dm_control's get_features (the eleven pose arrays).

    The one place a clip's arrays are made: amc_to_clip calls it, and the shipped MoCap library
    (envsuite/mocap/library.py), which stores qpos only, derives its clips with it.
    """
    from dm_control.locomotion.tasks.reference_pose import utils
    from dm_control.rl.control import PhysicsError

    physics, walker = physics_and_walker or v2020_physics()
    qvel = velocities(physics, qpos, dt)
    frames = {field: [] for field in POSE_FIELDS}
    for t in range(len(qpos)):
        utils.set_walker(physics, walker, qpos[t], qvel[t])
        try:
            physics.forward()  # not only kinematics: end effectors are sensors, the CoM is subtree_com
        except PhysicsError as error:
            raise ClipConversionError(f"{where or name}: MuJoCo rejected the converted pose at {t * dt:.3f} s "
                                      f"(clip frame {t}): {error}") from error
        features = utils.get_features(physics, walker)
        for field in POSE_FIELDS:
            frames[field].append(np.asarray(features[field], dtype=np.float64).reshape(-1))
    return Clip(
        name=name,
        dt=float(dt),
        poses={field: np.stack(rows, axis=1) for field, rows in frames.items()},
        walker_attrs={"name": np.bytes_(b"humanoid_CMU_V2020")},
        attrs=attrs,
    )


def ground_offsets(heights: np.ndarray, ground: str, dt: float) -> np.ndarray:
    """Per frame, how far to lower the root so that the body meets the floor (see GROUND_MODES).

    heights: the lowest colliding geom's height above the floor in each frame. "per-frame" puts it
    on the floor in every frame (a jump becomes a body crouching on the floor); "first-frame" lowers
    the whole take by its first frame's; "auto" lowers it by the capture floor seen under the body:
    the morphological opening of the heights (a moving minimum, then a moving maximum) over
    FLIGHT_WINDOW_S, which follows a sloping or drifting capture floor but not an upward excursion
    shorter than the window. Of an excursion above that floor, the first FLIGHT_MIN_HEIGHT is taken
    as contact (the walker's feet are not the subject's: a dancer on her toes hovers a few cm) and
    removed; the rest stays: the lowest point ends at max(0, excursion - FLIGHT_MIN_HEIGHT), which is
    continuous, never below the floor, and keeps a jump or a flip in the air.
    """
    if ground == "per-frame":
        return heights
    if ground == "first-frame":
        return np.full_like(heights, heights[0])
    if ground == "auto":
        half = max(1, int(round(FLIGHT_WINDOW_S / dt / 2)))
        floor = _moving(np.maximum, _moving(np.minimum, heights, half), half)
        return heights - np.maximum(heights - floor - FLIGHT_MIN_HEIGHT, 0.0)
    raise ValueError(f"ground must be one of {GROUND_MODES}, got {ground!r}")


def _moving(reduce, values: np.ndarray, half: int) -> np.ndarray:
    """reduce (np.minimum / np.maximum) over a centred window of 2 * half + 1 frames (edges: the frames there are)."""
    padded = np.concatenate([np.full(half, values[0]), values, np.full(half, values[-1])])
    out = padded[: len(values)].copy()
    for shift in range(1, 2 * half + 1):
        out = reduce(out, padded[shift: shift + len(values)])
    return out


def quality_report(physics, walker, qpos: np.ndarray, qvel: np.ndarray, dt: float, wraps: int) -> dict:
    """What a clip's motion does that a tracker or a user should know (stored in the clip's attributes).

    joint_range_violation_fraction: share of (frame, hinge) pairs beyond the walker's joint range by
      more than 1 degree; joint_range_max_excess_deg: the largest such excess;
    peak_joint_speed: the largest hinge speed (rad/s); peak_root_speed: the largest root speed (m/s);
    foot_skating: mean horizontal speed (m/s) of a foot (the ankle body) in consecutive frames where
      its own geoms touch the floor (within 2 cm; the toes are a separate body); floor_penetration: the deepest point below the floor (m, >= 0);
    flight_fraction: share of frames with no body point within 2 cm of the floor; angle_wraps: Euler
      jumps of more than 180 degrees that were unwrapped. (amc_to_clip adds dropped_frames: an
      incomplete last frame left out, with the reason in the clip's conversion_notes; and
      dropped_rotation_deg / dropped_hand_rotation_deg, the rotation a BVH's joints had that the ASF
      bones' DOFs cannot express, envsuite.mocap.bvh.dropped_rotation_summary.)
    """
    import mujoco

    model, data = physics.model.ptr, mujoco.MjData(physics.model.ptr)
    hinges = [j for j in range(model.njnt) if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_HINGE and model.jnt_limited[j]]
    addresses = np.array([model.jnt_qposadr[j] for j in hinges])
    low, high = model.jnt_range[hinges, 0], model.jnt_range[hinges, 1]
    angles = qpos[:, addresses]
    excess = np.maximum(np.maximum(angles - high, low - angles), 0.0)
    walker_bodies = _walker_body_ids(physics, walker)
    lowest = _lowest_point_heights(model, data, qpos, walker_body_ids=walker_bodies)
    feet = np.asarray(physics.bind([walker.mjcf_model.find("body", n) for n in ("lfoot", "rfoot")]).element_id)
    foot_geoms = {int(f): [g for g in range(model.ngeom) if int(model.geom_bodyid[g]) == int(f)] for f in feet}
    floor = next(g for g in range(model.ngeom) if model.geom_type[g] == mujoco.mjtGeom.mjGEOM_PLANE)
    foot_xy = np.empty((len(qpos), len(feet), 2))
    foot_low = np.empty((len(qpos), len(feet)))
    for t, frame in enumerate(qpos):
        data.qpos[:] = frame
        mujoco.mj_kinematics(model, data)
        foot_xy[t] = data.xpos[feet, :2]
        foot_low[t] = [min(mujoco.mj_geomDistance(model, data, floor, g, 10.0, None) for g in foot_geoms[int(f)])
                       for f in feet]
    speeds = np.linalg.norm(np.diff(foot_xy, axis=0), axis=2) / dt
    touching = (foot_low[:-1] < CONTACT_HEIGHT) & (foot_low[1:] < CONTACT_HEIGHT)
    return {
        "joint_range_violation_fraction": float(np.mean(excess > np.deg2rad(1.0))),
        "joint_range_max_excess_deg": float(np.rad2deg(excess.max(initial=0.0))),
        "peak_joint_speed": float(np.abs(qvel[:, 6:]).max(initial=0.0)),
        "peak_root_speed": float(np.linalg.norm(qvel[:, :3], axis=1).max(initial=0.0)),
        "foot_skating": float(speeds[touching].mean()) if touching.any() else 0.0,
        "floor_penetration": float(max(0.0, -lowest.min())),
        "flight_fraction": float(np.mean(lowest > CONTACT_HEIGHT)),
        "angle_wraps": float(wraps),
    }


def _walker_leg_length(physics, walker) -> float:
    """The V2020 walker's femur + tibia (hip to knee to ankle) in meters, mean of both legs."""
    legs = []
    for side in "lr":
        tibia, foot = (physics.bind(walker.mjcf_model.find("body", f"{side}{n}")) for n in ("tibia", "foot"))
        legs.append(np.linalg.norm(tibia.pos) + np.linalg.norm(foot.pos))
    return float(np.mean(legs))


def _canonical_labels() -> list[str]:
    labels = [f"root value {k} of 6" for k in range(1, 7)]
    for name, dofs in CMU_BONE_DOFS:
        labels += [f"{name} {dof}" for dof in dofs]
    return labels


def check_amc_frames(amc_path, dt: float = DEFAULT_DT, asf=None) -> int:
    """The number of frames of an AMC take, after checking them as the module docstring says
    (read with its ASF skeleton, as amc_to_clip reads them); ClipConversionError names the file,
    the frame and the value."""
    amc_path = Path(amc_path)
    try:
        skeleton = read_asf(Path(asf) if asf is not None else find_asf(amc_path))
        check_cmu_skeleton(skeleton)
        values = read_amc(amc_path, skeleton, notes=[])
    except SkeletonError as error:
        raise ClipConversionError(str(error)) from None
    check_frame_values(values, amc_path, dt, _canonical_labels())
    return len(values)


def check_frame_values(values: np.ndarray, amc_path, dt: float, labels: list[str]) -> None:
    """ClipConversionError for too few frames or a value no CMU capture can hold (see the bounds)."""
    needed = next(n for n in range(SPLINE_POINTS, 10**6) if _resampled_length(n, dt) >= 2)
    if len(values) < needed:
        raise ClipConversionError(
            f"{amc_path} has {len(values)} frame(s); converting it needs at least {needed}: parse_amc's cubic "
            f"spline needs {SPLINE_POINTS}, and a clip needs two frames {dt} s apart at the AMC's 120 fps")
    bounds = np.full(values.shape[1], MAX_JOINT_DEGREES)
    bounds[:3], bounds[3:6] = MAX_ROOT_UNITS, MAX_ROOT_DEGREES  # root x, y, z, then 3 angles
    bad_frames, bad_values = np.nonzero(~(np.abs(values) <= bounds))  # NaN compares False: caught here too
    if bad_frames.size:
        frame, i = int(bad_frames[0]), int(bad_values[0])
        unit, what = ("length units", "a position") if i < 3 else ("degrees", "an angle")
        raise ClipConversionError(
            f"{amc_path} frame {frame + 1}, {labels[i]}: {float(values[frame, i]):g} is not {what} a CMU capture can "
            f"hold (finite and within +-{bounds[i]:g} {unit}); the file is damaged")


def _resampled_length(n_frames: int, dt: float) -> int:
    """How many frames parse_amc.convert makes of n_frames at 120 fps, resampled to dt (its own times)."""
    from dm_control.suite.utils.parse_amc import MOCAP_DT

    times = np.arange(0, n_frames * MOCAP_DT - 1e-8, MOCAP_DT)
    resampled = np.arange(0, n_frames * MOCAP_DT, dt)
    return int(np.count_nonzero(resampled <= times[-1])) if len(times) else 0


def _scaled(qpos: np.ndarray, scale: float) -> np.ndarray:
    """qpos with the root position scaled by `scale` (all three coordinates; heights are re-grounded later)."""
    scaled = qpos.copy()
    scaled[:, :3] *= scale
    return scaled


def _stance_foot_speed(model, data, qpos: np.ndarray, feet: np.ndarray, dt: float) -> float:
    """Median horizontal speed (m/s) of the lowest foot body between consecutive frames."""
    import mujoco

    positions = np.empty((len(qpos), len(feet), 3))
    for t, frame in enumerate(qpos):
        data.qpos[:] = frame
        mujoco.mj_kinematics(model, data)
        positions[t] = data.xpos[feet]
    lowest = np.argmin(positions[:-1, :, 2], axis=1)
    steps = np.linalg.norm(np.diff(positions[:, :, :2], axis=0), axis=2)
    return float(np.median(steps[np.arange(len(steps)), lowest]) / dt)


def _walker_body_ids(physics, walker) -> set[int]:
    return set(int(i) for i in physics.bind(walker.mjcf_model.find_all("body")).element_id)


def _lowest_point_heights(model, data, qpos: np.ndarray, walker_body_ids: set[int]) -> np.ndarray:
    """Per frame, the height above the floor plane of the walker's lowest colliding geom (negative: below)."""
    import mujoco

    floors = [g for g in range(model.ngeom) if model.geom_type[g] == mujoco.mjtGeom.mjGEOM_PLANE]
    if len(floors) != 1:
        raise AssertionError(f"expected one floor plane in the arena, found {len(floors)}")
    geoms = [g for g in range(model.ngeom) if int(model.geom_bodyid[g]) in walker_body_ids
             and (model.geom_contype[g] or model.geom_conaffinity[g])]
    heights = np.empty(len(qpos))
    for t, frame in enumerate(qpos):
        data.qpos[:] = frame
        mujoco.mj_kinematics(model, data)
        heights[t] = min(mujoco.mj_geomDistance(model, data, floors[0], g, 10.0, None) for g in geoms)
    return heights


LIBRARY_ASSET = ("mocap", "cmu_clips.h5")  # the committed clip library (assets/mocap/cmu_clips.h5)


def library_path():
    """Path of the committed clip library: the real CMU clips of ../shared/data/mocap, converted."""
    from envsuite import paths

    return paths.asset_path(*LIBRARY_ASSET)


def main(argv=None) -> int:
    """python -m envsuite.mocap.convert AMC ... [--asf ASF] --out clips.h5 [--ground auto] [--root-scale skeleton]"""
    import argparse

    from envsuite.mocap.clips import write_clips

    parser = argparse.ArgumentParser(prog="python -m envsuite.mocap.convert",
                                     description="Convert CMU ASF/AMC takes into one clip file for humanoid_CMU_V2020.")
    parser.add_argument("amc", nargs="+", help="CMU .amc (or .amc.gz) takes")
    parser.add_argument("--asf", default=None, help="their ASF skeleton (default: <subject>.asf beside each AMC)")
    parser.add_argument("--out", required=True, help="the clip HDF5 file to write")
    parser.add_argument("--dt", type=float, default=DEFAULT_DT)
    parser.add_argument("--ground", choices=GROUND_MODES, default="auto")
    parser.add_argument("--root-scale", default="skeleton", help="skeleton (default), fit, or a number")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    scale = args.root_scale if args.root_scale in ("skeleton", "fit") else float(args.root_scale)
    try:
        clips = [amc_to_clip(path, dt=args.dt, asf=args.asf, ground=args.ground, root_scale=scale) for path in args.amc]
    except (ClipConversionError, FileNotFoundError) as error:
        print(f"python -m envsuite.mocap.convert: {error}", file=sys.stderr)
        return 1
    path = write_clips(args.out, clips, overwrite=args.overwrite)
    for clip in clips:
        report = json.loads(clip.attrs["quality_report"])
        print(f"{clip.name}: {clip.num_steps} steps of {clip.dt} s, root scale {float(clip.attrs['root_scale']):.3f}, "
              + ", ".join(f"{key} {value:.3g}" for key, value in sorted(report.items())))
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
