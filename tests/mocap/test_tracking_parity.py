"""CMUHumanoidTracking against dm_control's own MultiClipMocapTracking (the oracle): the same clip,
start and action sequence give equal rewards (<= 1e-6), the same termination step and kind, and
equal observations for every observable both have (all 24 of MoCapAct's layout)."""

import numpy as np
import pytest

from envsuite.mocap.convert import library_path
from envsuite.mocap.observables import split_observation
from envsuite.mocap.oracle import dm_control_tracking
from envsuite.mocap.tracking import CMUHumanoidTrackingEnv

REF_STEPS = (1, 2, 3, 4, 5)


def dm_control_env(snippet_clip, start_step, end_step, always_init_at_clip_start, seed=0, clip_path=None):
    return dm_control_tracking(clip_path or library_path(), snippet_clip, start_step, end_step,
                               always_init_at_clip_start=always_init_at_clip_start, ref_steps=REF_STEPS, seed=seed)


STALE_CACHE_KEY = "walker/reference_ego_bodies_quats"


def assert_same_observation(observation, dm_observation, step, task, snippet_starts_at_clip_start):
    ours = split_observation(observation, len(REF_STEPS))
    for name, values in ours.items():
        if name == STALE_CACHE_KEY and not snippet_starts_at_clip_start:
            continue  # compared with dm_control's formula below
        expected = np.asarray(dm_observation[name], dtype=np.float64).reshape(-1).astype(np.float32)
        np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-6, err_msg=f"step {step}: {name}")
    # dm_control caches reference_ego_bodies_quats per (clip index, step) and fills the cache once at
    # compile time from the *whole* first clip, so for a snippet that starts later in its clip its
    # first cached steps belong to the wrong frames (a dm_control bug). envsuite computes what the
    # observable means, which is checked here with dm_control's own quat_diff on the snippet's frames.
    from dm_control.utils import transformations

    features = task._clip_reference_features
    expected = np.concatenate([
        transformations.quat_diff(features["quaternion"][t], features["body_quaternions"][t, b])
        for t in task._time_step + np.asarray(REF_STEPS) for b in range(features["body_quaternions"].shape[1])])
    np.testing.assert_allclose(ours[STALE_CACHE_KEY], expected.astype(np.float32), rtol=1e-6, atol=1e-6,
                               err_msg=f"step {step}: {STALE_CACHE_KEY}")


def run_side_by_side(clip, start, end, always_init_at_clip_start, action_source, seed=0, clip_path=None):
    """Step both envs with the same actions until dm_control ends the episode; return the step count."""
    dm_env, task = dm_control_env(clip, start, end, always_init_at_clip_start, seed, clip_path)
    first = dm_env.reset()
    start_step = start + task._time_step  # the clip step dm_control chose
    env = CMUHumanoidTrackingEnv(clip_path=clip_path, snippets=[f"{clip}-{start}-{end}"], ref_steps=REF_STEPS)
    observation, info = env.reset(seed=seed, options={"start_step": start_step})
    assert info["start_step"] == start_step
    assert_same_observation(observation, first.observation, 0, task, start == 0)
    rng = np.random.default_rng(seed)
    for step in range(1, 1000):
        action = action_source(task, rng)
        dm_step = dm_env.step(action)
        observation, reward, terminated, truncated, info = env.step(action)
        assert abs(reward - dm_step.reward) <= 1e-6, f"step {step}: reward {reward} vs dm_control {dm_step.reward}"
        assert_same_observation(observation, dm_step.observation, step, task, start == 0)
        assert (terminated or truncated) == dm_step.last(), f"step {step}: episode end differs"
        if dm_step.last():
            # dm_control's discount 0 is a failure (termination error above the threshold);
            # discount 1 at the last step is the end of the clip (truncation).
            assert terminated == (dm_step.discount == 0.0) and truncated == (dm_step.discount == 1.0)
            assert info["time_step"] == start + task._time_step
            return step, terminated
    raise AssertionError("dm_control's episode did not end within 1000 steps")


def reference_pose_actions(task, rng, noise=0.1):
    """Drive the position actuators towards the next reference pose, plus noise: episodes last a while."""
    joints = task._clip_reference_features["joints"]
    target = joints[min(task._time_step + 1, len(joints) - 1)]
    return np.clip(task._walker.cmu_pose_to_actuation(target) + noise * rng.standard_normal(56), -1.0, 1.0)


def random_actions(task, rng):
    return rng.uniform(-1.0, 1.0, 56)


def test_walk_clip_from_its_start_matches_dm_control_until_failure():
    steps, terminated = run_side_by_side("02_01", 0, 95, True, reference_pose_actions)
    assert terminated and steps > 20  # the humanoid tracks for a while, then fails


def test_random_start_on_the_dance_clip_matches_dm_control():
    # dm_control draws the start from its RandomState; envsuite is told the same clip step
    steps, _ = run_side_by_side("charleston1", 0, 140, False, reference_pose_actions, seed=3)
    assert steps > 5


def test_end_of_a_short_snippet_is_a_truncation_as_in_dm_control():
    # snippet 02_01-10-30 has 21 steps: with reference steps up to 5 the episode lasts 15 steps
    steps, terminated = run_side_by_side("02_01", 10, 30, True, reference_pose_actions)
    assert steps == 15 and not terminated


def test_random_actions_match_dm_control_through_the_fall():
    steps, terminated = run_side_by_side("02_01", 0, 95, True, random_actions, seed=5)
    assert terminated


@pytest.mark.parametrize("seed", [0, 1])
def test_observations_at_reset_match_for_every_possible_start(seed):
    dm_env, task = dm_control_env("02_01", 0, 95, False, seed)
    env = CMUHumanoidTrackingEnv(snippets=["02_01-0-95"], start_mode="random-start")
    # envsuite's random starts are dm_control's possible starts, for the same clip and settings
    assert [step for _, step in env.possible_starts] == [step for _, step in task._possible_starts]
    for _ in range(3):
        first = dm_env.reset()
        observation, _ = env.reset(options={"start_step": task._time_step})
        assert_same_observation(observation, first.observation, 0, task, True)


# The shipped library (envsuite/mocap/library.py): the longest clip of each of these categories, its second
# snippet (so the start is inside the clip), exported as dm_control's clip file, tracked side by side with
# noise-free reference-pose actions until dm_control ends the episode (a fall or the snippet's end).
LIBRARY_SAMPLE_CATEGORIES = ("walk", "run", "jump", "acrobatics", "dance", "martial-arts")


@pytest.mark.parametrize("category", LIBRARY_SAMPLE_CATEGORIES)
def test_library_clips_match_dm_control(category, tmp_path, monkeypatch):
    from envsuite.mocap import library
    from envsuite.mocap.snippets import Snippet

    monkeypatch.setenv("ENVSUITE_CACHE_DIR", str(tmp_path / "cache"))
    record = max(library.library(category), key=lambda r: r.num_steps)
    snippet = Snippet.from_id(record.snippets[min(1, len(record.snippets) - 1)])
    exported = library.export([record.id], tmp_path / "sample.h5")
    steps, _ = run_side_by_side(record.id, snippet.start_step, snippet.end_step, True,
                                lambda task, rng: reference_pose_actions(task, rng, noise=0.0), seed=1, clip_path=exported)
    assert steps >= 2  # every step compared: rewards, the 24 observables, the episode's end
