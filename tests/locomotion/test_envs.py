"""The four locomotion envs against gymnasium's own v5 envs (the oracle), the checker and bad input."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envsuite

PAIRS = [
    ("envsuite/Hopper-v0", "Hopper-v5"),
    ("envsuite/HalfCheetah-v0", "HalfCheetah-v5"),
    ("envsuite/Walker2d-v0", "Walker2d-v5"),
    ("envsuite/Ant-v0", "Ant-v5"),
]


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_identical_to_gymnasium_v5_over_1000_steps_with_resets(ours, theirs):
    env, oracle = gymnasium.make(ours), gymnasium.make(theirs)
    assert env.observation_space == oracle.observation_space
    assert env.action_space == oracle.action_space
    rng = np.random.default_rng(0)
    episode_seed = 0
    obs, _ = env.reset(seed=episode_seed)
    expected, _ = oracle.reset(seed=episode_seed)
    np.testing.assert_array_equal(obs, expected)
    resets = 0
    for _ in range(1000):
        # Large actions make Hopper/Walker/Ant fall, so the run covers terminations and resets.
        action = rng.uniform(-1.5, 1.5, size=env.action_space.shape).astype(np.float32)
        step, oracle_step = env.step(action), oracle.step(action)
        np.testing.assert_array_equal(step[0], oracle_step[0])
        assert step[1:4] == oracle_step[1:4]
        if step[2] or step[3]:
            episode_seed += 1
            resets += 1
            obs, _ = env.reset(seed=episode_seed)
            expected, _ = oracle.reset(seed=episode_seed)
            np.testing.assert_array_equal(obs, expected)
    if ours != "envsuite/HalfCheetah-v0":  # HalfCheetah never terminates
        assert resets > 0


@pytest.mark.parametrize("env_id", [entry.env_id for entry in envsuite.registry.env_entries()])
def test_check_env_passes_for_every_registered_id(env_id):
    # the pysc2 mini-games need the game; without it they run on pysc2's mock environment
    kwargs = {"use_mock": True} if "/SC2MiniGame-" in env_id else {}
    env = gymnasium.make(env_id, **kwargs)
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


def test_rgb_array_rendering():
    env = gymnasium.make("envsuite/Hopper-v0", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.std() > 0  # an actual picture, not a blank buffer
    env.close()


@pytest.mark.parametrize(
    "action, fragment",
    [
        (np.array([np.nan, 0, 0], dtype=np.float32), "NaN"),
        (np.array([np.inf, 0, 0], dtype=np.float64), "NaN or inf"),
        (np.zeros(4, dtype=np.float32), "shape (4,)"),
        (np.zeros((1, 3), dtype=np.float32), "shape (1, 3)"),
        (np.zeros(3, dtype=np.int64), "dtype int64"),
        (np.array(["a", "b", "c"]), "dtype <U1"),
    ],
)
def test_bad_actions_raise_value_error_naming_env_and_space(action, fragment):
    env = gymnasium.make("envsuite/Hopper-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError) as error:
        env.step(action)
    message = str(error.value)
    assert fragment in message and "envsuite/Hopper-v0" in message and "Box(-1.0, 1.0, (3,), float32)" in message


def test_out_of_bounds_float_action_behaves_as_gymnasium():
    env, oracle = gymnasium.make("envsuite/Hopper-v0"), gymnasium.make("Hopper-v5")
    env.reset(seed=3)
    oracle.reset(seed=3)
    action = np.array([5.0, -5.0, 2.0], dtype=np.float32)
    ours, theirs = env.step(action), oracle.step(action)
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert ours[1] == theirs[1]


def test_dataset_ids_carry_reference_scores_and_a_dataset_id():
    env = gymnasium.make("envsuite/hopper-medium-v0")
    assert env.unwrapped.dataset_id == "locomotion/hopper-medium-v0"
    plain = gymnasium.make("envsuite/Hopper-v0")
    with pytest.raises(ValueError, match="carries no dataset"):
        plain.unwrapped.get_dataset()


def test_normalized_score_uses_stored_reference_scores():
    scores = envsuite.registry.locomotion_reference_scores()
    if "hopper" not in scores:
        pytest.skip("assets/locomotion/reference_scores.json has no hopper entry yet")
    env = gymnasium.make("envsuite/hopper-medium-v0")
    low, high = scores["hopper"]["random"], scores["hopper"]["expert"]
    assert env.unwrapped.get_normalized_score(low) == pytest.approx(0.0)
    assert env.unwrapped.get_normalized_score(high) == pytest.approx(1.0)
    assert env.unwrapped.get_normalized_score((low + high) / 2) == pytest.approx(0.5)


def test_catalog_lists_every_env_with_family_and_spaces():
    rows = envsuite.catalog()
    ids = {row["env_id"] for row in rows}
    for name in ("Hopper", "HalfCheetah", "Walker2d", "Ant"):
        assert f"envsuite/{name}-v0" in ids
    for short in ("hopper", "halfcheetah", "walker2d", "ant"):
        for kind in ("random", "medium", "expert", "medium-replay", "medium-expert"):
            assert f"envsuite/{short}-{kind}-v0" in ids
    hopper = next(row for row in rows if row["env_id"] == "envsuite/hopper-medium-v0")
    assert hopper["family"] == "locomotion" and hopper["dataset_id"] == "locomotion/hopper-medium-v0"
    assert "(11,)" in hopper["observation_space"] and "(3,)" in hopper["action_space"]
    assert isinstance(hopper["present"], bool)


def test_check_env_with_render_modes():
    env = gymnasium.make("envsuite/Hopper-v0", render_mode="rgb_array")
    check_env(env.unwrapped)  # also opens every declared render mode
    env.close()


def test_loading_halfcheetah_prints_no_settotalmass_deprecation(capfd):
    import gymnasium
    import mujoco

    from envsuite.locomotion.batched import LocomotionBatch

    # MuJoCo's default warning handler prints; dm_control, once imported anywhere in the test
    # session, installs its own, so set the default explicitly for the oracle.
    previous = mujoco.get_mju_user_warning()
    mujoco.set_mju_user_warning(None)
    try:
        gymnasium.make("HalfCheetah-v5")  # gymnasium's own env: MuJoCo prints the message
        assert "settotalmass" in "".join(capfd.readouterr())
        gymnasium.make("envsuite/HalfCheetah-v0")
        LocomotionBatch("halfcheetah", 2)
        assert "settotalmass" not in "".join(capfd.readouterr())
        assert mujoco.get_mju_user_warning() is None  # envsuite restored the handler it found
    finally:
        mujoco.set_mju_user_warning(previous)
