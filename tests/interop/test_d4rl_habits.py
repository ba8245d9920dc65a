"""D4RL habits: `env = gymnasium.make("envsuite/hopper-medium-v0"); env.get_dataset()["observations"]`
through gymnasium's own wrappers, the Dataset as a read-only mapping of D4RL's keys, and stored
dtypes that the dataset's spaces describe. Oracles: gymnasium's wrapper classes and `make(spec)`,
numpy, `convert.to_d4rl`, and D4RL's own `qlearning_dataset` loop (copied below, as D4RL wrote it)."""

import dataclasses

import gymnasium
import numpy as np
import pytest

import envsuite  # noqa: F401  (registers the envsuite/ ids)
from datagen.generate import generate, stored_observation_space
from datagen.recipes import load_recipe, recipe_ids
from envsuite.data import DatasetNotFoundError, load_dataset
from envsuite.data.convert import to_d4rl

D4RL_KEYS = {"observations", "actions", "rewards", "terminals", "timeouts"}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("datasets")
    recipe = dataclasses.replace(load_recipe("locomotion/hopper-medium-v0"), episodes_per_shard=4)
    generate(recipe, "400", out=root, progress=False)
    return root


@pytest.fixture
def env(data_root, monkeypatch):
    monkeypatch.setenv("ENVSUITE_DATA_DIR", str(data_root))
    env = gymnasium.make("envsuite/hopper-medium-v0")
    yield env
    env.close()


def wrapper_types(env):
    found = []
    while isinstance(env, gymnasium.Wrapper):
        found.append(type(env))
        env = env.env
    return found


def test_get_dataset_on_the_env_gymnasium_make_returns(env):
    # gymnasium's own wrappers are all there (1.x wrappers do not forward unknown attributes)
    types = wrapper_types(env)
    for wrapper in (gymnasium.wrappers.TimeLimit, gymnasium.wrappers.OrderEnforcing,
                    gymnasium.wrappers.PassiveEnvChecker):
        assert wrapper in types
    dataset = env.get_dataset()
    observations = dataset["observations"]  # literally as D4RL code does it
    assert isinstance(observations, np.ndarray) and observations.shape == (400, 11)
    assert dataset.dataset_id == env.dataset_id == "locomotion/hopper-medium-v0"
    with env.unwrapped.get_dataset() as same:
        np.testing.assert_array_equal(observations, same.observations)
    dataset.close()


def test_normalized_score_and_reference_scores_on_the_wrapped_env(env):
    assert env.ref_min_score == env.unwrapped.ref_min_score and env.ref_max_score == env.unwrapped.ref_max_score
    assert env.get_normalized_score(env.ref_max_score) == pytest.approx(1.0)
    assert env.get_normalized_score(1500.0) == env.unwrapped.get_normalized_score(1500.0)


def test_the_wrapper_changes_nothing_else_and_make_spec_rebuilds_it(env):
    oracle = gymnasium.make("envsuite/Hopper-v0")  # the same dynamics, no dataset
    obs, _ = env.reset(seed=3)
    expected, _ = oracle.reset(seed=3)
    np.testing.assert_array_equal(obs, expected)
    action = np.full(3, 0.3, dtype=np.float32)
    for got, want in zip(env.step(action)[:4], oracle.step(action)[:4]):
        np.testing.assert_array_equal(got, want)
    assert env.observation_space == oracle.observation_space and env.action_space == oracle.action_space
    again = gymnasium.make(env.spec)  # gymnasium recreates the stack from the recorded spec
    assert wrapper_types(again) == wrapper_types(env)
    with again.get_dataset() as dataset:
        assert dataset.total_steps == 400
    again.close()
    oracle.close()


def test_a_missing_dataset_on_the_wrapped_env_gives_the_generate_command(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVSUITE_DATA_DIR", str(tmp_path))
    env = gymnasium.make("envsuite/hopper-expert-v0")
    with pytest.raises(DatasetNotFoundError, match="envsuite-datagen generate locomotion/hopper-expert-v0"):
        env.get_dataset()
    plain = gymnasium.make("envsuite/Hopper-v0")
    with pytest.raises(ValueError, match="carries no dataset"):
        plain.get_wrapper_attr("get_dataset")()


@pytest.mark.parametrize("in_memory", [True, False])
def test_the_dataset_is_a_read_only_mapping_of_d4rls_keys(env, in_memory):
    with env.get_dataset(in_memory=in_memory) as dataset:
        assert set(dataset.keys()) == D4RL_KEYS and set(dataset) == D4RL_KEYS
        assert list(dataset) == list(dataset.keys())
        assert all(key in dataset for key in D4RL_KEYS)
        assert "next_observations" not in dataset and 0 not in dataset and ["rewards"] not in dataset
        assert len(dataset) == dataset.total_steps == 400  # len stays the number of steps
        oracle = to_d4rl(dataset)
        as_dict = dict(dataset)  # dict() takes keys() and __getitem__
        assert set(as_dict) == D4RL_KEYS
        for key in D4RL_KEYS:
            assert isinstance(dataset[key], np.ndarray)
            np.testing.assert_array_equal(dataset[key], oracle[key])
            assert dataset[key].dtype == oracle[key].dtype
            np.testing.assert_array_equal(dataset.get(key), oracle[key])
        assert dict(dataset.items()).keys() == as_dict.keys() and len(dataset.values()) == 5
        np.testing.assert_array_equal(dataset["rewards"], dataset.rewards)
        assert dataset.get("next_observations") is None
        with pytest.raises(KeyError, match="transitions"):
            dataset["next_observations"]
        with pytest.raises(TypeError):
            dataset["rewards"] = np.zeros(400)  # read-only mapping
        if in_memory:  # the values are views of the loaded arrays: they cannot change them either
            with pytest.raises(ValueError, match="read-only"):
                dataset["rewards"] *= 2
            np.testing.assert_array_equal(dataset.rewards, oracle["rewards"])


def d4rl_qlearning_dataset(env, dataset=None, terminate_on_end=False):
    """d4rl.qlearning_dataset as D4RL 1.1 wrote it (d4rl/__init__.py), the D4RL habit under test."""
    if dataset is None:
        dataset = env.get_dataset()
    N = dataset["rewards"].shape[0]
    obs_, next_obs_, action_, reward_, done_ = [], [], [], [], []
    use_timeouts = False
    if "timeouts" in dataset:
        use_timeouts = True
    episode_step = 0
    for i in range(N - 1):
        obs = dataset["observations"][i].astype(np.float32)
        new_obs = dataset["observations"][i + 1].astype(np.float32)
        action = dataset["actions"][i].astype(np.float32)
        reward = dataset["rewards"][i].astype(np.float32)
        done_bool = bool(dataset["terminals"][i])
        if use_timeouts:
            final_timestep = dataset["timeouts"][i]
        else:
            final_timestep = episode_step == env._max_episode_steps - 1
        if (not terminate_on_end) and final_timestep:
            episode_step = 0
            continue
        if done_bool or final_timestep:
            episode_step = 0
        obs_.append(obs)
        next_obs_.append(new_obs)
        action_.append(action)
        reward_.append(reward)
        done_.append(done_bool)
        episode_step += 1
    return {"observations": np.array(obs_), "actions": np.array(action_), "next_observations": np.array(next_obs_),
            "rewards": np.array(reward_), "terminals": np.array(done_)}


def test_d4rls_qlearning_dataset_runs_on_the_env(env):
    d4rl = d4rl_qlearning_dataset(env)
    with env.get_dataset() as dataset:
        transitions = dataset.transitions()
    # D4RL drops the timeout steps and the last step; at every other step it agrees with transitions()
    kept = np.flatnonzero(~transitions["timeouts"][:-1].astype(bool))
    np.testing.assert_array_equal(d4rl["observations"], transitions["observations"][kept])
    np.testing.assert_array_equal(d4rl["actions"], transitions["actions"][kept])
    np.testing.assert_array_equal(d4rl["rewards"], transitions["rewards"][kept])
    np.testing.assert_array_equal(d4rl["terminals"], transitions["terminals"][kept])
    inner = ~transitions["terminals"][kept]  # after a terminal D4RL pairs the next episode's first state
    np.testing.assert_array_equal(d4rl["next_observations"][inner], transitions["next_observations"][kept][inner])


# --- dtypes: the dataset's spaces describe what is stored -----------------------------------------


def test_a_generated_locomotion_dataset_has_the_spaces_of_its_arrays(env):
    assert env.observation_space.dtype == np.float64  # gymnasium's v5 env emits float64 ...
    with env.get_dataset() as dataset:  # ... the dataset stores float32, as D4RL does, and says so
        assert dataset.observations.dtype == np.float32
        assert dataset.observation_space.dtype == dataset.observations.dtype
        assert dataset.episode_final_observations.dtype == dataset.observations.dtype
        assert dataset.action_space.dtype == dataset.actions.dtype
        assert dataset.observation_space.contains(dataset.observations[0])
        assert dataset.observation_space.contains(dataset.episode_final_observations[-1])
        assert dataset.action_space.contains(dataset.actions[0])
        assert dataset.observation_space.shape == env.observation_space.shape


@pytest.mark.parametrize("dataset_id", [i for i in recipe_ids() if i.startswith("locomotion/")][:1]
                         + [i for i in recipe_ids() if i.startswith("mocap/")][:1])
def test_every_float_leaf_of_the_stored_space_has_the_recipes_dtype(dataset_id):
    recipe = load_recipe(dataset_id)
    assert recipe.observation_dtype == "float32"
    env_space, _, _ = recipe.spaces()
    stored = stored_observation_space(env_space, recipe.observation_dtype)
    assert stored.dtype == np.float32 and stored.shape == env_space.shape
    sample = env_space.sample().astype(np.float32)  # what generate stores of an env observation
    assert stored.contains(sample)


def test_stored_observation_space_keeps_nested_and_non_float_leaves():
    spaces = gymnasium.spaces
    space = spaces.Dict({"a": spaces.Box(-1.0, 1.0, (2,), np.float64), "b": spaces.Discrete(3),
                         "c": spaces.Tuple((spaces.Box(0, 255, (2,), np.uint8), spaces.Box(0.0, 1.0, (1,))))})
    stored = stored_observation_space(space, "float32")
    assert stored["a"] == spaces.Box(-1.0, 1.0, (2,), np.float32)
    assert stored["b"] == space["b"] and stored["c"][0] == space["c"][0]
    assert stored["c"][1].dtype == np.float32
    assert stored_observation_space(space, None) is space
