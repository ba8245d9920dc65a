"""ASF/AMC -> V2020 clip conversion, checked by dm_control's own tracking task (the oracle): it loads
the written file, resets onto the clip with zero pose error, and its walker matches the clip."""

import numpy as np
import pytest

from envsuite.mocap import read_clips, write_clips
from envsuite.mocap.convert import amc_to_clip


@pytest.fixture(scope="module")
def walk_clip_file(tmp_path_factory, request):
    shared = request.config.rootpath.parent / "shared" / "data" / "mocap"
    if not shared.is_dir():
        pytest.skip(f"the shared third-party data folder {shared} is absent (it is not part of a user's clone)")
    # with the options the committed library records (it was converted before the ASF-aware defaults)
    clips = [amc_to_clip(shared / "02_01.amc", root_scale=1.13, ground="per-frame"),
             amc_to_clip(shared / "charleston1.amc", root_scale=1.15, ground="per-frame")]
    return write_clips(tmp_path_factory.mktemp("clips") / "cmu.h5", clips)


def test_converted_clips_have_every_pose_array_and_resample_to_dt(walk_clip_file):
    clips = read_clips(walk_clip_file)
    walk = clips["02_01"]
    assert walk.dt == 0.03
    # 02_01.amc has 343 frames at 120 fps: 2.85 s, 96 steps of 0.03 s
    assert walk.num_steps == 96
    assert walk.poses["joints"].shape == (56, 96) and walk.poses["body_positions"].shape == (93, 96)
    np.testing.assert_allclose(np.linalg.norm(walk.poses["quaternion"], axis=0), 1.0, atol=1e-12)
    assert clips["charleston1"].num_steps > 0


def test_dm_controls_tracking_task_resets_onto_the_converted_clip(walk_clip_file):
    from dm_control import composer
    from dm_control.locomotion import arenas
    from dm_control.locomotion.tasks.reference_pose import tracking, types
    from dm_control.locomotion.walkers import cmu_humanoid

    task = tracking.MultiClipMocapTracking(
        walker=cmu_humanoid.CMUHumanoidPositionControlledV2020, arena=arenas.Floor(), ref_path=str(walk_clip_file),
        dataset=types.ClipCollection(ids=("02_01",)), ref_steps=(1, 2, 3, 4, 5), min_steps=10,
        reward_type="comic", termination_error_threshold=0.3)
    env = composer.Environment(task=task, random_state=np.random.RandomState(0))
    env.reset()  # dm_control raises if the walker cannot be put into the clip's pose (error > 1e-2)
    assert task._termination_error < 1e-10
    walk = read_clips(walk_clip_file)["02_01"]
    start = task._time_step
    walker_qpos = env.physics.bind(task._walker.mocap_joints).qpos
    np.testing.assert_allclose(walker_qpos, walk.poses["joints"][:, start], atol=1e-12)
    timestep = env.step(np.zeros(env.action_spec().shape))
    assert 0.0 < timestep.reward <= 1.0


def test_bad_inputs_raise_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no AMC file"):
        amc_to_clip(tmp_path / "missing.amc")
    (tmp_path / "x.amc").write_text("#!OML:ASF\n:FULLY-SPECIFIED\n")
    with pytest.raises(ValueError, match="dt must be a positive multiple"):
        amc_to_clip(tmp_path / "x.amc", dt=0.033)


@pytest.mark.parametrize("clip_name", ["02_01", "charleston1"])
def test_committed_library_is_the_conversion_of_the_shared_clips_and_dm_control_tracks_it(clip_name, walk_clip_file):
    from dm_control import composer
    from dm_control.locomotion import arenas
    from dm_control.locomotion.tasks.reference_pose import tracking, types
    from dm_control.locomotion.walkers import cmu_humanoid

    from envsuite.mocap.convert import library_path

    committed = read_clips(library_path())[clip_name]
    fresh = read_clips(walk_clip_file)[clip_name]
    for name, array in fresh.poses.items():
        np.testing.assert_array_equal(committed.poses[name], array, err_msg=name)
    task = tracking.MultiClipMocapTracking(
        walker=cmu_humanoid.CMUHumanoidPositionControlledV2020, arena=arenas.Floor(), ref_path=str(library_path()),
        dataset=types.ClipCollection(ids=(clip_name,)), ref_steps=(1, 2, 3, 4, 5), min_steps=10,
        reward_type="comic", termination_error_threshold=0.3)
    env = composer.Environment(task=task, random_state=np.random.RandomState(1))
    env.reset()
    assert task._termination_error < 1e-10
