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
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from envsuite.mocap.clips import POSE_FIELDS, Clip

DEFAULT_DT = 0.03  # MoCapAct's clips; the tracking task needs a whole multiple of its 0.005 s physics step
ROOT_SCALE_GRID = np.round(np.arange(0.70, 1.5001, 0.01), 2)
GROUND_MODES = ("per-frame", "none")


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
    suite_physics = humanoid_CMU.Physics.from_xml_string(*humanoid_CMU.get_model_and_assets())
    try:
        converted = parse_amc.convert(str(amc_path), suite_physics, dt)
    except (ValueError, IndexError) as error:
        raise ValueError(f"{amc_path} could not be read as a CMU AMC file ({error})") from error
    qpos = np.array(converted.qpos.T, dtype=np.float64)  # (T, 63)
    if qpos.shape[0] < 2:
        raise ValueError(f"{amc_path} is shorter than two frames at dt {dt}")
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

    frames = {field: [] for field in POSE_FIELDS}
    for t in range(len(qpos)):
        utils.set_walker(physics, walker, qpos[t], qvel[t])
        physics.forward()  # not only kinematics: end effectors are sensors, the CoM is subtree_com
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
