"""Converters to and from the formats of other RL libraries, with those libraries (or their file
layouts) as the oracle: Minari's own load_dataset / iterate_episodes reads what to_minari wrote, a
D4RL-layout file written with plain h5py imports with the same episodes, and the flat converters'
arrays follow the dataset step by step."""

import os

import h5py
import numpy as np
import pytest

from envsuite.data import load_dataset
from envsuite.data.convert import from_d4rl_hdf5, from_minari, to_d4rl, to_jaxrl, to_minari, to_torchrl_ted
from interop_datasets import small  # tests/interop/interop_datasets.py




@pytest.fixture(scope="module")
def hopper(tmp_path_factory):
    return small("locomotion/hopper-random-v0", 600, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def starcraft(tmp_path_factory):
    return small("starcraft/3m-random-v0", 200, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def android(tmp_path_factory):
    return small("android/webshop-mixed-v0", 40, tmp_path_factory.mktemp("data"), render_width=108, render_height=240)


def test_to_d4rl_and_to_jaxrl_follow_the_dataset(hopper):
    with load_dataset(hopper, in_memory=True) as ds:
        d4rl = to_d4rl(ds)
        assert set(d4rl) == {"observations", "actions", "rewards", "terminals", "timeouts"}
        np.testing.assert_array_equal(d4rl["observations"], ds.observations)
        np.testing.assert_array_equal(d4rl["timeouts"], ds.timeouts)
        jaxrl = to_jaxrl(ds)
        ends = ds.episode_starts + ds.episode_lengths - 1
        assert (jaxrl["dones_float"][ends] == 1).all() and jaxrl["dones_float"].sum() == ds.total_episodes
        np.testing.assert_array_equal(jaxrl["masks"], 1.0 - ds.terminals)
        inner = np.setdiff1d(np.arange(ds.total_steps), ends)
        np.testing.assert_array_equal(jaxrl["next_observations"][inner], ds.observations[inner + 1])
        np.testing.assert_array_equal(jaxrl["next_observations"][ends], ds.episode_final_observations)


def import_d3rlpy():
    """d3rlpy, which `make test` installs (the d3rlpy-deps extra, then d3rlpy --no-deps) and marks with
    ENVSUITE_TEST_D3RLPY=1: there a missing d3rlpy fails, never skips; elsewhere the test skips."""
    if os.environ.get("ENVSUITE_TEST_D3RLPY") == "1":
        import d3rlpy

        return d3rlpy
    return pytest.importorskip("d3rlpy", reason="d3rlpy (and torch) are not installed here: `make install-test` "
                                                "installs them (pyproject's d3rlpy-deps extra, then d3rlpy --no-deps)")


def test_d3rlpy_builds_an_mdp_dataset_from_to_d4rl(hopper):
    d3rlpy = import_d3rlpy()
    with load_dataset(hopper, in_memory=True) as ds:
        dataset = d3rlpy.dataset.MDPDataset(**to_d4rl(ds))
        assert dataset.size() == ds.total_episodes
        # d3rlpy splits the arrays into the same episodes (its own terminal/timeout handling is the oracle)
        for theirs, episode in zip(dataset.episodes, ds.episodes()):
            np.testing.assert_array_equal(theirs.observations, episode.observations)
            np.testing.assert_array_equal(theirs.actions, episode.actions)
            np.testing.assert_array_equal(theirs.rewards[:, 0], episode.rewards)
            assert bool(theirs.terminated) == bool(episode.terminals[-1])
        info = dataset.dataset_info
        assert info.observation_signature.dtype[0] == ds.observations.dtype == ds.observation_space.dtype
        assert info.action_signature.shape[0] == ds.action_space.shape


def test_d3rlpy_takes_env_get_dataset_as_d4rl_users_pass_it(hopper):
    d3rlpy = import_d3rlpy()
    import gymnasium

    env = gymnasium.make("envsuite/hopper-random-v0")
    with env.get_dataset(root=hopper.parent.parent) as ds:  # the dataset root of the fixture
        dataset = d3rlpy.dataset.MDPDataset(**ds)  # the mapping's keys are MDPDataset's arguments
        assert dataset.size() == ds.total_episodes
        # d3rlpy counts every step of an episode that terminated, all but the last of one cut by a timeout
        cut = int((~ds.terminals[ds.episode_starts + ds.episode_lengths - 1]).sum())
        assert dataset.transition_count == ds.total_steps - cut
        bc = d3rlpy.algos.BCConfig(batch_size=32).create(device="cpu:0")
        bc.fit(dataset, n_steps=10, n_steps_per_epoch=10, show_progress=False,
               logger_adapter=d3rlpy.logging.NoopAdapterFactory())
        actions = bc.predict(ds["observations"][:4])
        assert actions.shape == (4, 3) and np.isfinite(actions).all()
        obs, _ = env.reset(seed=0)  # the trained policy acts in the env the dataset came from
        env.step(bc.predict(obs[None].astype(np.float32))[0])
    env.close()


def test_flat_converters_refuse_nested_data_with_advice(starcraft):
    with load_dataset(starcraft, in_memory=True) as ds:
        with pytest.raises(ValueError, match="use ds.transitions"):
            to_d4rl(ds)


def test_the_torchrl_ted_layout(starcraft):
    with load_dataset(starcraft, in_memory=True) as ds:
        ted = to_torchrl_ted(ds)
        n = ds.total_steps
        assert ted["next"]["reward"].shape == (n, 1) and ted["next"]["done"].shape == (n, 1)
        assert not ted["done"].any()
        ends = ds.episode_starts + ds.episode_lengths - 1
        assert ted["next"]["done"][ends].all() and ted["next"]["done"].sum() == ds.total_episodes
        np.testing.assert_array_equal(ted["next"]["terminated"][:, 0], ds.terminals)
        np.testing.assert_array_equal(ted["observation"]["state"], ds.observations["state"])
        np.testing.assert_array_equal(ted["episode"][ds.episode_starts], np.arange(ds.total_episodes))


@pytest.mark.parametrize("which", ["hopper", "starcraft", "android"])
def test_minari_reads_the_exported_dataset_with_the_same_episodes(which, hopper, starcraft, android, tmp_path,
                                                                   monkeypatch):
    minari = pytest.importorskip("minari")
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    path = {"hopper": hopper, "starcraft": starcraft, "android": android}[which]
    with load_dataset(path, in_memory=True) as ds:
        to_minari(ds, f"envsuite/{which}-test-v0")
        exported = minari.load_dataset(f"envsuite/{which}-test-v0")
        assert exported.total_episodes == ds.total_episodes and exported.total_steps == ds.total_steps
        seeds = [meta["seed"] for meta in exported.storage.get_episode_metadata(exported.episode_indices)]
        assert seeds == list(ds.episode_seeds)
        # no made-up links in what Minari records (code_permalink is left empty unless given)
        assert exported.storage.metadata.get("code_permalink") is None
        assert not any("example." in str(value) or "github.com/envsuite" in str(value)
                       for value in exported.storage.metadata.values())
        # the export keeps every dtype: Minari reads back what envsuite stores (float32 rewards, ...)
        assert exported.observation_space == ds.observation_space and exported.action_space == ds.action_space
        first = next(exported.iterate_episodes())
        assert first.rewards.dtype == ds.rewards.dtype == np.float32
        leaf_dtypes = lambda tree: ({k: leaf_dtypes(v) for k, v in tree.items()} if isinstance(tree, dict)  # noqa: E731
                                    else "text" if np.asarray(tree).dtype.kind in "OUS"
                                    else np.asarray(tree).dtype)
        assert leaf_dtypes(first.observations) == leaf_dtypes(ds.observations)
        assert leaf_dtypes(first.actions) == leaf_dtypes(ds.actions)
        for episode, theirs in zip(ds.episodes(), exported.iterate_episodes()):
            np.testing.assert_array_equal(theirs.rewards, episode.rewards)
            np.testing.assert_array_equal(theirs.terminations, episode.terminals)
            np.testing.assert_array_equal(theirs.truncations | theirs.terminations, episode.timeouts | episode.terminals)
            if which == "hopper":
                np.testing.assert_array_equal(theirs.observations[:-1], episode.observations)
                np.testing.assert_array_equal(theirs.observations[-1], episode.final_observation)
                np.testing.assert_array_equal(theirs.actions, episode.actions)
            elif which == "starcraft":
                for key in ("observation", "action_mask", "state"):
                    np.testing.assert_array_equal(theirs.observations[key][:-1], episode.observations[key])
                np.testing.assert_array_equal(theirs.actions, episode.actions)
            else:  # screens (losslessly: no JPEG), goal text and AitW actions
                np.testing.assert_array_equal(theirs.observations["screen"][:-1], episode.observations["screen"])
                assert [str(g) for g in theirs.observations["goal"][:-1]] == [str(g) for g in episode.observations["goal"]]
                np.testing.assert_array_equal(theirs.actions["action_type"], episode.actions["action_type"])
                np.testing.assert_array_equal(theirs.actions["touch_yx"], episode.actions["touch_yx"])
        back = from_minari(f"envsuite/{which}-test-v0", tmp_path / "back.h5", dataset_id=f"imported/{which}-v0")
        with load_dataset(back, in_memory=True) as again:
            assert again.total_episodes == ds.total_episodes
            np.testing.assert_array_equal(again.rewards, ds.rewards)
            np.testing.assert_array_equal(again.episode_seeds, ds.episode_seeds)
            if which == "hopper":
                np.testing.assert_array_equal(again.observations, ds.observations)
                np.testing.assert_array_equal(again.episode_final_observations, ds.episode_final_observations)


def test_a_d4rl_layout_file_imports_with_its_episodes(hopper, tmp_path):
    with load_dataset(hopper, in_memory=True) as ds:
        d4rl = to_d4rl(ds)
        source = tmp_path / "d4rl.hdf5"
        with h5py.File(source, "w") as file:  # D4RL's layout, written by plain h5py
            for key, value in d4rl.items():
                file[key] = value
            file["next_observations"] = ds.transitions()["next_observations"]
        imported = from_d4rl_hdf5(source, tmp_path / "imported.h5", dataset_id="imported/hopper-v0",
                                  env_id="envsuite/Hopper-v0")
        with load_dataset(imported, in_memory=True) as again:
            np.testing.assert_array_equal(again.episode_lengths, ds.episode_lengths)
            np.testing.assert_array_equal(again.observations, ds.observations)
            np.testing.assert_array_equal(again.episode_final_observations, ds.episode_final_observations)
            np.testing.assert_array_equal(again.terminals, ds.terminals)
    with h5py.File(tmp_path / "bad.hdf5", "w") as file:
        file["observations"] = np.zeros((3, 2))
    with pytest.raises(ValueError, match="lacks"):
        from_d4rl_hdf5(tmp_path / "bad.hdf5", tmp_path / "x.h5", dataset_id="a/b-v0", env_id="x")
