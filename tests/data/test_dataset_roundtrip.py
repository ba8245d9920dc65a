"""Write with DatasetWriter, read back with Dataset: arrays, episode table, views, errors."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import gymnasium
import h5py
import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import given, settings
from hypothesis import strategies as st

import envsuite.data.reader as reader_module
from envsuite.data import Dataset, DatasetError, DatasetWriter, load_dataset, verify_dataset

LENGTHS = [5, 1, 8, 3, 12, 2]


def assert_tree_equal(actual, expected):
    """Nested dicts of arrays (text compared as str)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and sorted(actual) == sorted(expected)
        for key in expected:
            assert_tree_equal(actual[key], expected[key])
    else:
        expected = np.asarray(expected)
        actual = np.asarray(actual)
        if expected.dtype.kind in "UO":
            assert actual.tolist() == expected.tolist()
        else:
            np.testing.assert_array_equal(actual, expected)


def concatenate(episodes, key):
    return np.concatenate([np.asarray(episode[key]) for episode in episodes])


# ----------------------------------------------------------------------------- Box datasets


@pytest.mark.parametrize("in_memory", [False, True])
def test_box_round_trip_arrays_and_attributes(tmp_path, factory, in_memory):
    path, episodes = factory.write_box(tmp_path / "box.h5", LENGTHS, metrics={"tq": 0.25, "saco": {"value": 0.5, "bins": 16}, "histogram": [1, 2, 3]})
    with load_dataset(path, in_memory=in_memory) as dataset:
        total = sum(LENGTHS)
        assert len(dataset) == dataset.total_steps == total
        assert dataset.total_episodes == len(LENGTHS)
        kind = np.ndarray if in_memory else h5py.Dataset
        assert isinstance(dataset.observations, kind)
        for key in ("observations", "actions", "rewards", "terminals", "timeouts"):
            np.testing.assert_array_equal(np.asarray(getattr(dataset, key)[:]), concatenate(episodes, key))
        assert dataset.observations.dtype == np.float32 and dataset.rewards.dtype == np.float32
        assert dataset.terminals.dtype == np.bool_ and dataset.timeouts.dtype == np.bool_

        np.testing.assert_array_equal(dataset.episode_lengths, LENGTHS)
        np.testing.assert_array_equal(dataset.episode_starts, np.concatenate([[0], np.cumsum(LENGTHS)[:-1]]))
        assert dataset.episode_starts.dtype == np.int64 and dataset.episode_lengths.dtype == np.int64
        expected_returns = [np.sum(episode["rewards"].astype(np.float64)) for episode in episodes]
        np.testing.assert_allclose(dataset.episode_returns, expected_returns, rtol=1e-12)
        assert dataset.episode_returns.dtype == np.float64
        np.testing.assert_array_equal(dataset.episode_seeds, [episode["seed"] for episode in episodes])
        np.testing.assert_array_equal(dataset.episode_policies, [episode["policy"] for episode in episodes])
        np.testing.assert_array_equal(np.asarray(dataset.episode_final_observations[:]),
                                      np.stack([episode["final_observation"] for episode in episodes]))

        assert dataset.dataset_id == "test/box-medium-v0"
        assert dataset.env_id == "CartPole-v1"
        assert dataset.family == "test"
        assert dataset.observation_space == factory.box_observation_space
        assert dataset.action_space == factory.box_action_space
        assert dataset.policies == ["expert", "random"]
        assert dataset.recipe == {"seed": 7, "policies": ["expert", "random"]}
        assert dataset.env_spec == {"id": "CartPole-v1"}
        attrs = dataset.attrs
        assert attrs["format"] == "envsuite-dataset" and attrs["format_version"] == 1
        assert (attrs["ref_min_score"], attrs["ref_max_score"]) == (-10.0, 30.0)
        assert attrs["total_steps"] == total and attrs["total_episodes"] == len(LENGTHS)
        assert isinstance(attrs["envsuite_version"], str) and attrs["envsuite_version"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", attrs["created_utc"])
        assert re.fullmatch(r"[0-9a-f]{64}", attrs["content_sha256"])

        metrics = dataset.metrics
        assert metrics["tq"] == 0.25
        assert metrics["saco"] == {"value": 0.5, "bins": 16}
        np.testing.assert_array_equal(metrics["histogram"], [1, 2, 3])


def test_missing_reference_scores_are_nan_and_normalizing_refuses(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", [3], ref_min_score=None, ref_max_score=None)
    with Dataset(path) as dataset:
        assert np.isnan(dataset.ref_min_score) and np.isnan(dataset.ref_max_score)
        with pytest.raises(ValueError, match="no reference scores"):
            dataset.get_normalized_score(1.0)


def test_get_normalized_score_uses_the_reference_scores(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", [3])
    with Dataset(path) as dataset:
        assert dataset.get_normalized_score(10.0) == pytest.approx(0.5)
        np.testing.assert_allclose(dataset.get_normalized_score(np.array([-10.0, 30.0])), [0.0, 1.0])


@pytest.mark.parametrize("block_bytes", [1, 200, 8 << 20])
@pytest.mark.parametrize("in_memory", [False, True])
def test_episodes_iterator_returns_every_episode_in_order(tmp_path, factory, monkeypatch, block_bytes, in_memory):
    monkeypatch.setattr(reader_module, "EPISODE_BLOCK_BYTES", block_bytes)
    path, episodes = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with Dataset(path, in_memory=in_memory) as dataset:
        read = list(dataset.episodes())
    assert [episode.index for episode in read] == list(range(len(LENGTHS)))
    for got, expected in zip(read, episodes):
        assert len(got) == len(expected["rewards"])
        for key in ("observations", "actions", "rewards", "terminals", "timeouts", "final_observation"):
            np.testing.assert_array_equal(getattr(got, key), expected[key])
        assert (got.seed, got.policy) == (expected["seed"], expected["policy"])
        assert got.return_ == pytest.approx(float(np.sum(expected["rewards"].astype(np.float64))))
        assert got.infos == {}


def test_episode_by_index_including_negative(tmp_path, factory):
    path, episodes = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with Dataset(path) as dataset:
        np.testing.assert_array_equal(dataset.episode(2).observations, episodes[2]["observations"])
        last = dataset.episode(-1)
        assert last.index == len(LENGTHS) - 1
        np.testing.assert_array_equal(last.final_observation, episodes[-1]["final_observation"])
        with pytest.raises(IndexError, match="out of range"):
            dataset.episode(len(LENGTHS))
        with pytest.raises(IndexError):
            dataset.episode(-len(LENGTHS) - 1)


@pytest.mark.parametrize("in_memory", [False, True])
def test_transitions_cover_every_step_with_exact_next_observations(tmp_path, factory, in_memory):
    path, episodes = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with Dataset(path, in_memory=in_memory) as dataset:
        transitions = dataset.transitions()
    total = sum(LENGTHS)
    assert sorted(transitions) == sorted(["observations", "actions", "rewards", "next_observations", "terminals", "timeouts"])
    for key, value in transitions.items():
        assert len(value) == total, f"{key} dropped samples"
    step = 0
    for episode in episodes:
        length = len(episode["rewards"])
        np.testing.assert_array_equal(transitions["next_observations"][step:step + length - 1], episode["observations"][1:])
        # The last step's next observation is the given final observation, timeout or not.
        np.testing.assert_array_equal(transitions["next_observations"][step + length - 1], episode["final_observation"])
        step += length
    np.testing.assert_array_equal(transitions["timeouts"], concatenate(episodes, "timeouts"))


def test_next_observation_at_a_timeout_is_the_given_final_observation(tmp_path, factory):
    rng = np.random.default_rng(3)
    episode = factory.box_episode(rng, 4, end="timeout")
    follower = factory.box_episode(rng, 3, end="terminal")
    path = tmp_path / "timeout.h5"
    with factory.writer(path) as writer:
        writer.add_episode(**episode)
        writer.add_episode(**follower)
    with Dataset(path) as dataset:
        next_observations = dataset.transitions()["next_observations"]
    np.testing.assert_array_equal(next_observations[3], episode["final_observation"])
    # D4RL would have used the next episode's first observation here.
    assert not np.array_equal(next_observations[3], follower["observations"][0])


@pytest.mark.parametrize("in_memory", [False, True])
def test_sample_draws_transitions_at_uniform_indices(tmp_path, factory, in_memory):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with Dataset(path, in_memory=in_memory) as dataset:
        transitions = dataset.transitions()
        batch = dataset.sample(64, rng=np.random.default_rng(11))
        empty = dataset.sample(0, rng=1)
    indices = np.random.default_rng(11).integers(0, sum(LENGTHS), size=64)
    for key, value in batch.items():
        assert value.shape[0] == 64
        np.testing.assert_array_equal(value, transitions[key][indices])
    assert all(value.shape[0] == 0 for value in empty.values())


def test_env_makes_the_registered_environment(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", [2])
    with Dataset(path) as dataset:
        env = dataset.env()
        try:
            assert env.spec.id == "CartPole-v1"
        finally:
            env.close()


def test_env_of_an_unregistered_id_says_so(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", [2], env_id="envsuite/NotAnEnv-v0")
    assert "envsuite/NotAnEnv-v0" not in gymnasium.registry
    with Dataset(path) as dataset, pytest.raises(DatasetError, match="not registered with gymnasium"):
        dataset.env()


# ----------------------------------------------------------------------------- Dict, images, text, infos


@pytest.mark.parametrize("in_memory", [False, True])
def test_dict_observations_with_image_and_text_round_trip(tmp_path, factory, in_memory):
    path, episodes = factory.write_dict(tmp_path / "dict.h5", [4, 1, 6])
    with h5py.File(path, "r") as file:
        pixels = file["observations/pixels"]
        assert pixels.chunks == (1, 16, 16, 3), "images are chunked one frame per chunk"
        assert pixels.compression == "gzip" and pixels.dtype == np.uint8
        assert file["episodes/final_observation/pixels"].chunks == (1, 16, 16, 3)
        assert h5py.check_string_dtype(file["observations/goal"].dtype).encoding == "utf-8"
        assert file["observations/state/position"].chunks[0] > 1, "non-image columns are chunked by many rows"
        assert file["observations/state/velocity"].dtype == np.float64
    with Dataset(path, in_memory=in_memory) as dataset:
        assert dataset.observation_space == factory.dict_observation_space
        assert list(dataset.observations) == list(factory.dict_observation_space.spaces)
        assert dataset.observations["goal"][0] == episodes[0]["observations"]["goal"][0]
        for got, expected in zip(dataset.episodes(), episodes):
            assert_tree_equal(got.observations, expected["observations"])
            assert_tree_equal(got.final_observation, expected["final_observation"])
            assert_tree_equal(got.infos, expected["infos"])
            np.testing.assert_array_equal(got.actions, expected["actions"])
            assert isinstance(got.observations["goal"][0], str)
        transitions = dataset.transitions()
        assert len(transitions["next_observations"]["goal"]) == 11
        assert transitions["next_observations"]["goal"][3] == episodes[0]["final_observation"]["goal"]
        np.testing.assert_array_equal(transitions["next_observations"]["pixels"][10], episodes[2]["final_observation"]["pixels"])
        np.testing.assert_array_equal(transitions["next_observations"]["state"]["position"][:3],
                                      episodes[0]["observations"]["state"]["position"][1:])
        batch = dataset.sample(8, rng=0)
        assert batch["observations"]["pixels"].shape == (8, 16, 16, 3)
        assert batch["next_observations"]["state"]["velocity"].shape == (8, 2)
        infos = dataset.infos
        np.testing.assert_array_equal(np.asarray(infos["qpos"][:]), concatenate([e["infos"] for e in episodes], "qpos"))
        assert list(infos["ui"]["label"][:2]) == ["button 0", "button 1"]
    verify_dataset(path)


def test_tuple_observations_round_trip(tmp_path):
    space = spaces.Tuple([spaces.Discrete(3), spaces.Box(-1, 1, (2,), np.float32)])
    path = tmp_path / "tuple.h5"
    observations = (np.array([0, 2, 1]), np.zeros((3, 2), np.float32))
    with DatasetWriter(path, dataset_id="test/tuple-v0", env_id="x", family="test",
                       observation_space=space, action_space=spaces.Discrete(2)) as writer:
        writer.add_episode(observations, np.array([1, 0, 1]), [1.0, 2.0, 3.0], [False, False, True],
                           [False, False, False], final_observation=(2, np.ones(2, np.float32)), seed=0)
    with Dataset(path, in_memory=True) as dataset:
        episode = dataset.episode(0)
        assert isinstance(episode.observations, tuple)
        np.testing.assert_array_equal(episode.observations[0], [0, 2, 1])
        assert episode.final_observation[0] == 2
        np.testing.assert_array_equal(dataset.transitions()["next_observations"][1][2], [1, 1])


# ----------------------------------------------------------------------------- writer validation


def test_invalid_episodes_are_rejected_and_leave_the_writer_usable(tmp_path, factory):
    rng = np.random.default_rng(0)
    path = tmp_path / "strict.h5"
    with factory.writer(path) as writer:
        good = factory.box_episode(rng, 4)

        def rejected(match, **changes):
            with pytest.raises(ValueError, match=match):
                writer.add_episode(**{**good, **changes})

        rejected(r"terminals has shape \(3,\), expected \(4,\)", terminals=np.zeros(3, bool))
        rejected(r"observations has shape \(3, 4\)", observations=good["observations"][:3])
        rejected("only the last step may end an episode", timeouts=np.array([False, True, False, True]))
        rejected("timeouts=True on its last step", timeouts=np.zeros(4, bool), terminals=np.zeros(4, bool))
        rejected("not finite", rewards=np.array([0.0, np.nan, 0.0, 0.0]))
        rejected("not an index into policies", policy=2)
        rejected("does not end with the shape", observations=np.zeros((4, 5), np.float32))
        rejected("final_observation", final_observation=np.zeros(5, np.float32))
        rejected("T >= 1", rewards=np.zeros(0), terminals=np.zeros(0, bool), timeouts=np.zeros(0, bool))
        assert writer.total_episodes == 0
        writer.add_episode(**good)
        rejected("same arrays as the first", infos={"extra": np.zeros(4)})
        rejected("cannot be stored losslessly", observations=np.zeros((4, 4), np.complex64))
        writer.add_episode(**{**good, "observations": good["observations"].astype(np.float64)})
        assert writer.total_episodes == 2 and writer.total_steps == 8
    with Dataset(path) as dataset:
        assert dataset.observations.dtype == np.float32 and dataset.total_episodes == 2


def test_buffered_episodes_do_not_alias_the_callers_arrays(tmp_path, factory):
    rng = np.random.default_rng(0)
    episode = factory.box_episode(rng, 5)
    expected = {key: np.copy(value) for key, value in episode.items() if isinstance(value, np.ndarray)}
    path = tmp_path / "reused.h5"
    with factory.writer(path) as writer:
        writer.add_episode(**episode)
        # A rollout loop refilling its preallocated buffers before the writer flushed.
        for value in episode.values():
            if isinstance(value, np.ndarray):
                value[...] = 0
    with Dataset(path) as dataset:
        stored = dataset.episode(0)
    for key, value in expected.items():
        np.testing.assert_array_equal(getattr(stored, key), value)


def test_refuses_to_overwrite_unless_asked(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", [3])
    with pytest.raises(FileExistsError, match="overwrite=True"):
        factory.writer(path)
    factory.write_box(path, [2, 2], overwrite=True)
    with Dataset(path) as dataset:
        assert dataset.total_episodes == 2


# ----------------------------------------------------------------------------- property test


@settings(max_examples=40, deadline=None)
@given(
    ends=st.lists(st.tuples(st.integers(1, 9), st.sampled_from(["terminal", "timeout", "both"])), min_size=1, max_size=8),
    block_bytes=st.sampled_from([1, 64, 1 << 20]),
    in_memory=st.booleans(),
)
def test_random_episode_lengths_round_trip(ends, block_bytes, in_memory):
    lengths = [length for length, _ in ends]
    total = sum(lengths)
    # Observation of global step i is [i, i, i]: every step is distinguishable.
    observations = np.repeat(np.arange(total, dtype=np.float32)[:, None], 3, axis=1)
    space = spaces.Box(-np.inf, np.inf, (3,), np.float32)
    original_block_bytes = reader_module.EPISODE_BLOCK_BYTES
    reader_module.EPISODE_BLOCK_BYTES = block_bytes
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "random.h5"
            with DatasetWriter(path, dataset_id="test/random-v0", env_id="x", family="test",
                               observation_space=space, action_space=spaces.Discrete(2)) as writer:
                start = 0
                for index, (length, end) in enumerate(ends):
                    terminals = np.zeros(length, bool)
                    timeouts = np.zeros(length, bool)
                    terminals[-1] = end in ("terminal", "both")
                    timeouts[-1] = end in ("timeout", "both")
                    writer.add_episode(observations[start:start + length], np.zeros(length, np.int64),
                                       np.arange(length, dtype=np.float32), terminals, timeouts,
                                       final_observation=np.full(3, -1.0 - index, np.float32), seed=index)
                    start += length
            with Dataset(path, in_memory=in_memory) as dataset:
                episodes = list(dataset.episodes())
                transitions = dataset.transitions()
            verify_dataset(path)
    finally:
        reader_module.EPISODE_BLOCK_BYTES = original_block_bytes

    assert [len(episode) for episode in episodes] == lengths
    start = 0
    expected_next = np.empty_like(observations)
    for index, episode in enumerate(episodes):
        length = lengths[index]
        np.testing.assert_array_equal(episode.observations, observations[start:start + length])
        assert episode.seed == index
        assert episode.return_ == length * (length - 1) / 2
        assert episode.terminals[-1] == (ends[index][1] in ("terminal", "both"))
        assert not episode.terminals[:-1].any() and not episode.timeouts[:-1].any()
        expected_next[start:start + length - 1] = observations[start + 1:start + length]
        expected_next[start + length - 1] = -1.0 - index
        start += length
    assert len(transitions["observations"]) == total
    np.testing.assert_array_equal(transitions["observations"], observations)
    np.testing.assert_array_equal(transitions["next_observations"], expected_next)
