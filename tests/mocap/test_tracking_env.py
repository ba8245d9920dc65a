"""envsuite/CMUHumanoidTracking-v0 as a gymnasium env: the checker, the layout, starts, metrics, bad input.
(Its dynamics, rewards and observations are checked against dm_control in test_tracking_parity.py.)"""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envsuite  # noqa: F401  (registers the ids)
from envsuite.mocap.expert import pose_to_actuation
from envsuite.mocap.observables import observable_sizes, observation_size
from envsuite.mocap.tracking import CMUHumanoidTrackingEnv

ENV_ID = "envsuite/CMUHumanoidTracking-v0"


def test_check_env_passes_with_rendering():
    env = gymnasium.make(ENV_ID, render_mode="rgb_array", render_width=96, render_height=64)
    check_env(env.unwrapped)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (64, 96, 3) and frame.dtype == np.uint8 and frame.std() > 0
    env.close()


def test_observation_layout_is_mocapacts_sorted_24_observables():
    env = CMUHumanoidTrackingEnv()
    indices = env.observable_indices
    assert list(indices) == sorted(indices) and len(indices) == 24
    columns = np.concatenate(list(indices.values()))
    np.testing.assert_array_equal(columns, np.arange(env.observation_space.shape[0]))
    assert env.observation_space.shape == (2847,) == (observation_size(5),)
    assert observable_sizes(3)["walker/reference_rel_bodies_quats"] == 3 * 31 * 4
    assert len(env.actuator_names) == 56 and env.action_space.shape == (56,)


def test_reset_is_deterministic_under_a_seed_and_never_recompiles():
    env = CMUHumanoidTrackingEnv(start_mode="random-start")
    model = env.model
    first = [env.reset(seed=7)[1]["start_step"] for _ in range(1)]
    obs_a, info_a = env.reset(seed=11)
    obs_b, info_b = env.reset(seed=11)
    assert info_a == info_b
    np.testing.assert_array_equal(obs_a, obs_b)
    assert env.model is model and CMUHumanoidTrackingEnv().model is model  # one compiled model per process
    starts = {(env.reset()[1]["snippet_index"], env.unwrapped.reference.snippet.start_step + env.time_index)
              for _ in range(300)}
    assert starts <= set(env.possible_starts) and len(starts) > 100
    assert first[0] in {step for _, step in env.possible_starts}


def test_snippet_start_mode_starts_every_episode_at_a_snippet_start():
    env = CMUHumanoidTrackingEnv(snippets=["02_01-0-60", "02_01-40-95", "charleston1"])
    seen = {env.reset(seed=s)[1]["snippet_id"]: env.time_index for s in range(40)}
    assert set(seen) == {"02_01-0-60", "02_01-40-95", "charleston1-0-140"} and set(seen.values()) == {0}
    _, info = env.reset(options={"snippet": "02_01-40-95", "start_step": 50})
    assert info["start_step"] == 50 and info["time_step"] == 50 and env.time_index == 10


def test_tracking_a_short_snippet_to_its_end_has_normalized_length_one():
    env = CMUHumanoidTrackingEnv(snippets=["02_01-10-30"])
    env.reset(seed=0)
    features = env.reference.features
    for step in range(1, 100):
        target = features["joints"][env.time_index + 1]
        action = np.clip(pose_to_actuation(env.model, env.indices, target), -1, 1).astype(np.float32)
        _, reward, terminated, truncated, info = env.step(action)
        assert 0.0 < reward <= 1.0
        if terminated or truncated:
            break
    assert truncated and not terminated and step == 15
    assert info["episode_length"] == 15
    assert info["normalized_episode_length"] == pytest.approx(1.0, abs=1e-9)
    assert info["normalized_return"] == pytest.approx(info["episode_return"] / 15, rel=1e-9)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(56, dtype=np.float32))


def test_a_failed_episode_has_normalized_length_below_one():
    env = CMUHumanoidTrackingEnv(snippets=["02_01"])
    env.reset(seed=0)
    for _ in range(200):
        _, _, terminated, truncated, info = env.step(np.ones(56, dtype=np.float32))
        if terminated or truncated:
            break
    assert terminated and info["termination_error"] > 0.3
    steps_left = env.last_time_index  # started at 0
    assert info["normalized_episode_length"] == pytest.approx(info["episode_length"] / steps_left, rel=1e-9)


@pytest.mark.parametrize("action, fragment", [
    (np.full(56, np.nan, dtype=np.float32), "NaN"),
    (np.zeros(55, dtype=np.float32), "shape (55,)"),
    (np.zeros(56, dtype=np.int32), "dtype int32"),
])
def test_bad_actions_raise_value_error_naming_env_and_space(action, fragment):
    env = gymnasium.make(ENV_ID)
    env.reset(seed=0)
    with pytest.raises(ValueError) as error:
        env.step(action)
    assert fragment in str(error.value) and ENV_ID in str(error.value) and "Box(-1.0, 1.0, (56,), float32)" in str(error.value)


def test_bad_arguments_and_options_raise_clear_errors():
    with pytest.raises(ValueError, match="neither a clip"):
        CMUHumanoidTrackingEnv(snippets=["walk"])
    with pytest.raises(ValueError, match="has no clip 'nope'"):
        CMUHumanoidTrackingEnv(snippets=["nope-0-10"])
    with pytest.raises(ValueError, match="does not fit clip"):
        CMUHumanoidTrackingEnv(snippets=["02_01-0-500"])
    with pytest.raises(ValueError, match="start_mode"):
        CMUHumanoidTrackingEnv(start_mode="middle")
    with pytest.raises(ValueError, match="needs at least 7"):
        CMUHumanoidTrackingEnv(snippets=["02_01-0-4"])
    with pytest.raises(ValueError, match="random start"):
        CMUHumanoidTrackingEnv(snippets=["02_01-0-12"], start_mode="random-start")
    from dm_control.locomotion.mocap import loader
    from pathlib import Path

    v2019_clips = Path(loader.__file__).parent / "test_trajectories.h5"
    with pytest.raises(ValueError, match="made for another walker"):
        CMUHumanoidTrackingEnv(clip_path=v2019_clips, snippets=["cmuv2019_001"])
    env = CMUHumanoidTrackingEnv(snippets=["02_01"])
    with pytest.raises(ValueError, match="outside snippet 02_01-0-95's trackable steps 0..89"):
        env.reset(options={"start_step": 90})
    env.reset(options={"start_step": 89})  # the latest start: one step, then the end of the clip
    _, _, terminated, truncated, info = env.step(np.zeros(56, dtype=np.float32))
    assert (terminated or truncated) and info["episode_length"] == 1
    with pytest.raises(ValueError, match="tracks no snippet"):
        env.reset(options={"snippet": "charleston1"})
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(options={"start": 3})
