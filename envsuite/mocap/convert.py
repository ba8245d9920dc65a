"""CMU ASF/AMC motion capture -> clips for dm_control's `humanoid_CMU_V2020` walker.

Where it sits: the MoCap family's importer (envsuite/mocap/). Its output is a `Clip`
(envsuite/mocap/clips.py) that dm_control's `MultiClipMocapTracking` accepts (tested).

Steps:
1. `dm_control.suite.utils.parse_amc.convert` resamples the AMC file (120 fps) to `dt` and gives
   qpos for the suite's `humanoid_CMU` model: a free root (7) and 56 hinges, which are the V2020
   walker's hinges with the same names in the same order.
2. Root quaternions are renormalised (parse_amc interpolates them component-wise).
3. The root position is scaled by `root_scale` (default 1.2). V2020 is the suite model scaled by
   1.2 (dm_control's `rescale_humanoid(1.2, 1.2, 70 kg)`); with the suite's root heights its feet
   would sit 12-19 cm under the floor on clip 02_01. This scaling is envsuite's choice, not
   dm_control's, and is recorded in the clip's attributes.
4. Velocities are forward differences in MuJoCo's convention (`mj_differentiatePos`, the formula
   parse_amc uses); the last frame repeats the one before.
5. Every frame, the V2020 walker is posed at (qpos, qvel) with `physics.forward()` and dm_control's
   own `reference_pose.utils.get_features` gives the eleven pose arrays, the same function the
   tracking task compares the walker with.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from envsuite.mocap.clips import POSE_FIELDS, Clip

DEFAULT_DT = 0.03  # MoCapAct's clips; the tracking task needs a whole multiple of its 0.005 s physics step
V2020_ROOT_SCALE = 1.2


def amc_to_clip(amc_path, name: str | None = None, *, dt: float = DEFAULT_DT,
                root_scale: float = V2020_ROOT_SCALE) -> Clip:
    """Convert one CMU AMC file (joint angles for the standard CMU skeleton) into a V2020 clip."""
    import mujoco
    from dm_control import mjcf
    from dm_control.locomotion import arenas
    from dm_control.locomotion.tasks.reference_pose import utils
    from dm_control.locomotion.walkers import cmu_humanoid
    from dm_control.suite import humanoid_CMU
    from dm_control.suite.utils import parse_amc

    amc_path = Path(amc_path)
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
    qpos[:, :3] *= root_scale

    arena = arenas.Floor()
    walker = utils.add_walker(cmu_humanoid.CMUHumanoidPositionControlledV2020, arena)
    physics = mjcf.Physics.from_mjcf_model(arena.mjcf_model)
    if physics.model.nq != qpos.shape[1]:
        raise AssertionError(f"the V2020 walker has {physics.model.nq} qpos, parse_amc gave {qpos.shape[1]}")
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
               "converter": np.bytes_(b"envsuite.mocap.convert.amc_to_clip")},
    )


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
