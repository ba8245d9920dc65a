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

from pathlib import Path

import numpy as np

from envsuite.mocap.clips import POSE_FIELDS, Clip

class ClipConversionError(ValueError):
    """An AMC file cannot be converted into a clip; the message names the file (and frame and value)."""


DEFAULT_DT = 0.03  # MoCapAct's clips; the tracking task needs a whole multiple of its 0.005 s physics step
ROOT_SCALE_GRID = np.round(np.arange(0.70, 1.5001, 0.01), 2)
GROUND_MODES = ("per-frame", "none")

# What a CMU AMC frame can plausibly hold (check_amc_frames). The bounds are far beyond the real
# takes, so that only damage or a unit mix-up trips them, and far below where the numbers stop
# meaning anything (sin of 1e308 degrees) or MuJoCo calls the state invalid (|qpos| > 1e10).
MAX_JOINT_DEGREES = 3600.0  # ten turns; the largest of the 263 CMU takes in ../shared/data: 2611 (14_13, lthumb)
MAX_ROOT_DEGREES = 36000.0  # 100 turns: the root's Euler angles are unwrapped over a take, so a walk in
#                             circles accumulates them (142_relaxedwalk reaches 6267, 17 turns)
MAX_ROOT_UNITS = 17_700.0  # about 1 km at parse_amc's 0.056444 m per length unit; the CMU takes stay within
#                            56 units (3.2 m) of the capture origin
SPLINE_POINTS = 4  # parse_amc fits a cubic spline (scipy splrep, k=3) per coordinate: it needs k + 1 frames


def amc_to_clip(amc_path, name: str | None = None, *, dt: float = DEFAULT_DT,
                root_scale: float | str = "fit", ground: str = "per-frame") -> Clip:
    """Convert one CMU AMC file (joint angles for the standard CMU skeleton) into a V2020 clip."""
    import mujoco
    from dm_control import mjcf
    from dm_control.locomotion import arenas
    from dm_control.locomotion.tasks.reference_pose import utils
    from dm_control.locomotion.walkers import cmu_humanoid
    from dm_control.suite import humanoid_CMU
    from dm_control.suite.utils import parse_amc

    amc_path = Path(amc_path)
    if ground not in GROUND_MODES:
        raise ValueError(f"ground must be one of {GROUND_MODES}, got {ground!r}")
    if not (root_scale == "fit" or (isinstance(root_scale, (int, float)) and root_scale > 0)):
        raise ValueError(f"root_scale must be 'fit' or a positive number, got {root_scale!r}")
    if not amc_path.is_file():
        raise FileNotFoundError(f"no AMC file at {amc_path}")
    if not (dt > 0 and abs(dt / 0.005 - round(dt / 0.005)) < 1e-9):
        raise ValueError(f"dt must be a positive multiple of the tracking task's 0.005 s physics step, got {dt}")
    check_amc_frames(amc_path, dt)
    suite_physics = humanoid_CMU.Physics.from_xml_string(*humanoid_CMU.get_model_and_assets())
    try:
        converted = parse_amc.convert(str(amc_path), suite_physics, dt)
    except (ValueError, IndexError, TypeError) as error:
        raise ClipConversionError(f"{amc_path} could not be read as a CMU AMC file ({error})") from error
    qpos = np.array(converted.qpos.T, dtype=np.float64)  # (T, 63)
    if qpos.shape[0] < 2 or not np.isfinite(qpos).all():  # check_amc_frames keeps both from happening
        raise ClipConversionError(f"{amc_path} gave {qpos.shape[0]} frames at dt {dt}, or non-finite ones")
    qpos[:, 3:7] /= np.linalg.norm(qpos[:, 3:7], axis=1, keepdims=True)

    arena = arenas.Floor()
    walker = utils.add_walker(cmu_humanoid.CMUHumanoidPositionControlledV2020, arena)
    physics = mjcf.Physics.from_mjcf_model(arena.mjcf_model)
    if physics.model.nq != qpos.shape[1]:
        raise AssertionError(f"the V2020 walker has {physics.model.nq} qpos, parse_amc gave {qpos.shape[1]}")
    model, data = physics.model.ptr, mujoco.MjData(physics.model.ptr)
    feet = np.asarray(physics.bind([walker.mjcf_model.find("body", n) for n in ("lfoot", "ltoes", "rfoot", "rtoes")]).element_id)
    if root_scale == "fit":
        speeds = [_stance_foot_speed(model, data, _scaled(qpos, scale), feet, dt) for scale in ROOT_SCALE_GRID]
        root_scale = float(ROOT_SCALE_GRID[int(np.argmin(speeds))])
    qpos = _scaled(qpos, float(root_scale))
    if ground == "per-frame":
        qpos[:, 2] -= _lowest_point_heights(model, data, qpos, walker_body_ids=_walker_body_ids(physics, walker))
    qvel = np.zeros((len(qpos), physics.model.nv))
    for t in range(len(qpos) - 1):
        mujoco.mj_differentiatePos(physics.model.ptr, qvel[t], dt, qpos[t], qpos[t + 1])
    qvel[-1] = qvel[-2]

    from dm_control.rl.control import PhysicsError

    frames = {field: [] for field in POSE_FIELDS}
    for t in range(len(qpos)):
        utils.set_walker(physics, walker, qpos[t], qvel[t])
        try:
            physics.forward()  # not only kinematics: end effectors are sensors, the CoM is subtree_com
        except PhysicsError as error:
            raise ClipConversionError(f"{amc_path}: MuJoCo rejected the converted pose at {t * dt:.3f} s "
                                      f"(clip frame {t}): {error}") from error
        features = utils.get_features(physics, walker)
        for field in POSE_FIELDS:
            frames[field].append(np.asarray(features[field], dtype=np.float64).reshape(-1))
    return Clip(
        name=name or amc_path.stem,
        dt=float(dt),
        poses={field: np.stack(rows, axis=1) for field, rows in frames.items()},
        walker_attrs={"name": np.bytes_(b"humanoid_CMU_V2020")},
        attrs={"source": np.bytes_(amc_path.name.encode()), "root_scale": np.float64(root_scale),
               "ground": np.bytes_(ground.encode()), "converter": np.bytes_(b"envsuite.mocap.convert.amc_to_clip")},
    )


def check_amc_frames(amc_path, dt: float = DEFAULT_DT) -> int:
    """The number of frames of an AMC file, after checking them as the module docstring says.

    Reads the frames as dm_control's parse_amc does (so that the check sees what the conversion will
    convert); raises ClipConversionError naming the file, the frame and the value.
    """
    from dm_control.suite.utils import parse_amc

    amc_path = Path(amc_path)
    try:
        values = parse_amc.parse(str(amc_path))
    except (ValueError, IndexError, UnicodeDecodeError) as error:
        raise ClipConversionError(f"{amc_path} could not be read as a CMU AMC file ({error})") from error
    needed = next(n for n in range(SPLINE_POINTS, 10**6) if _resampled_length(n, dt) >= 2)
    if len(values) < needed:
        raise ClipConversionError(
            f"{amc_path} has {len(values)} frame(s); converting it needs at least {needed}: parse_amc's cubic "
            f"spline needs {SPLINE_POINTS}, and a clip needs two frames {dt} s apart at the AMC's 120 fps")
    labels = _value_labels(amc_path)
    for frame, row in enumerate(values, start=1):  # AMC frames are numbered from 1
        if row.shape != values[0].shape:
            raise ClipConversionError(f"{amc_path} frame {frame} has {row.size} values, frame 1 has {values[0].size}")
        bounds = np.full(row.shape, MAX_JOINT_DEGREES)
        bounds[:3], bounds[3:6] = MAX_ROOT_UNITS, MAX_ROOT_DEGREES  # parse_amc: root x, y, z, then 3 angles
        bad = np.flatnonzero(~(np.abs(row) <= bounds))  # NaN compares False: caught here too
        if bad.size:
            i = int(bad[0])
            label = labels[i] if len(labels) == row.size else f"value {i + 1}"
            unit, what = ("length units", "a position") if i < 3 else ("degrees", "an angle")
            raise ClipConversionError(
                f"{amc_path} frame {frame}, {label}: {float(row[i]):g} is not {what} a CMU capture can hold "
                f"(finite and within +-{bounds[i]:g} {unit}); the file is damaged")
    return len(values)


def _resampled_length(n_frames: int, dt: float) -> int:
    """How many frames parse_amc.convert makes of n_frames at 120 fps, resampled to dt (its own times)."""
    from dm_control.suite.utils.parse_amc import MOCAP_DT

    times = np.arange(0, n_frames * MOCAP_DT - 1e-8, MOCAP_DT)
    resampled = np.arange(0, n_frames * MOCAP_DT, dt)
    return int(np.count_nonzero(resampled <= times[-1])) if len(times) else 0


def _value_labels(amc_path: Path) -> list[str]:
    """'root value 1 of 6', 'lfemur value 2 of 3', ...: the names of a frame's values, from frame 1's lines."""
    labels, in_first = [], False
    with open(amc_path) as lines:
        for line in lines:
            tokens = line.split()
            if tokens == ["1"]:
                in_first = True
            elif in_first and (not tokens or tokens == ["2"]):
                break
            elif in_first:
                labels += [f"{tokens[0]} value {k} of {len(tokens) - 1}" for k in range(1, len(tokens))]
    return labels


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
    """python -m envsuite.mocap.convert FILE.amc ... --out clips.h5 [--dt 0.03] [--overwrite]"""
    import argparse

    from envsuite.mocap.clips import write_clips

    parser = argparse.ArgumentParser(prog="python -m envsuite.mocap.convert",
                                     description="Convert CMU AMC files into one clip file for humanoid_CMU_V2020.")
    parser.add_argument("amc", nargs="+", help="CMU .amc files (the standard CMU skeleton)")
    parser.add_argument("--out", required=True, help="the clip HDF5 file to write")
    parser.add_argument("--dt", type=float, default=DEFAULT_DT)
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    clips = [amc_to_clip(path, dt=args.dt) for path in args.amc]
    path = write_clips(args.out, clips, overwrite=args.overwrite)
    for clip in clips:
        print(f"{clip.name}: {clip.num_steps} steps of {clip.dt} s")
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
