"""Dataset generation end to end: reproducibility, resume after a crash, size cuts, exact replays."""

import dataclasses

import gymnasium
import h5py
import numpy as np
import pytest

import envsuite
from datagen import runner as runner_module
from datagen.generate import generate
from datagen.recipes import Recipe, env_episode_seed, load_recipe
from envsuite.data import load_dataset, verify_dataset


def _hash(path):
    with h5py.File(path, "r") as f:
        return f.attrs["content_sha256"]


def small(recipe_id, steps, **changes):
    recipe = load_recipe(recipe_id)
    return dataclasses.replace(recipe, sizes={"small": steps, "full": steps}, **changes)


def test_content_hash_is_the_same_for_one_and_two_workers(tmp_path, hopper_assets):
    recipe = small("locomotion/hopper-medium-v0", 1500, episodes_per_shard=4)
    one = generate(recipe, "small", out=tmp_path / "w1", workers=1, progress=False)
    two = generate(recipe, "small", out=tmp_path / "w2", workers=2, progress=False)
    assert _hash(one) == _hash(two)
    assert verify_dataset(one)["content_sha256"] == _hash(one)
    with load_dataset(one, in_memory=True) as a, load_dataset(two, in_memory=True) as b:
        np.testing.assert_array_equal(a.observations, b.observations)
        assert a.total_steps == 1500


def test_content_hash_does_not_depend_on_the_shard_size(tmp_path, hopper_assets):
    # Action noise comes from each episode's own stream, so regrouping episodes into shards
    # (and so into rollout batches) changes nothing; a medium-expert mixture with noise checks it.
    recipe = small("locomotion/hopper-medium-expert-v0", 2500, episodes_per_shard=3)
    three = generate(recipe, "small", out=tmp_path / "k3", workers=1, progress=False)
    eight = generate(dataclasses.replace(recipe, episodes_per_shard=8), "small", out=tmp_path / "k8", workers=2,
                     progress=False)
    assert _hash(three) == _hash(eight)


def test_random_dataset_cut_at_the_budget_ends_in_a_timeout_with_the_next_observation(tmp_path):
    recipe = small("locomotion/hopper-random-v0", 700, episodes_per_shard=8)
    short = generate(recipe, "small", out=tmp_path / "short", progress=False)
    longer = generate(dataclasses.replace(recipe, sizes={"small": 2000, "full": 2000}), "small",
                      out=tmp_path / "long", progress=False)
    with load_dataset(short, in_memory=True) as cut, load_dataset(longer, in_memory=True) as full:
        assert cut.total_steps == 700
        assert cut.timeouts[-1] and not cut.terminals[-1]
        assert cut.metrics["last_episode_cut_by_size"] is True or cut.metrics["last_episode_cut_by_size"] == 1
        np.testing.assert_array_equal(cut.observations, full.observations[:700])
        # the cut episode's final observation is the observation the env produced next
        if not (full.terminals[699] or full.timeouts[699]):
            np.testing.assert_array_equal(cut.episode_final_observations[-1], full.observations[700])
        transitions = cut.transitions()
        assert len(transitions["observations"]) == 700
        np.testing.assert_array_equal(transitions["next_observations"][:-1][~(cut.terminals | cut.timeouts)[:-1]],
                                      cut.observations[1:][~(cut.terminals | cut.timeouts)[:-1]])


def test_rerun_after_a_crash_completes_with_the_identical_hash(tmp_path, monkeypatch):
    recipe = small("locomotion/hopper-random-v0", 3000, episodes_per_shard=8)
    reference = generate(recipe, "small", out=tmp_path / "reference", progress=False)

    original = runner_module.load_shard
    calls = {"n": 0}

    def crash_on_third_shard(path):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("simulated kill")
        return original(path)

    monkeypatch.setattr(runner_module, "load_shard", crash_on_third_shard)
    with pytest.raises(KeyboardInterrupt):
        generate(recipe, "small", out=tmp_path / "crashed", progress=False)
    final = tmp_path / "crashed" / "locomotion" / "hopper-random-v0.h5"
    assert not final.exists()
    assert not list(final.parent.glob("*.partial"))
    shard_dir = runner_module.shard_dir_for(final)
    assert len(list(shard_dir.glob("shard_*.npz"))) >= 2  # finished shards survive the crash

    monkeypatch.setattr(runner_module, "load_shard", original)
    resumed = generate(recipe, "small", out=tmp_path / "crashed", progress=False)
    assert _hash(resumed) == _hash(reference)
    assert not shard_dir.exists()


# (env, policy kind of its committed expert, gymnasium's own env as the oracle)
TRAINED_ENVS = [("hopper", "linear", "Hopper-v5"), ("halfcheetah", "linear", "HalfCheetah-v5"),
                ("walker2d", "mlp", "Walker2d-v5"), ("ant", "linear", "Ant-v5")]


@pytest.mark.parametrize("env_name, kind, oracle_id", TRAINED_ENVS)
def test_episode_replays_exactly_from_its_seed_with_gymnasium(tmp_path, env_name, kind, oracle_id):
    from training.locomotion.experts import load_policy

    asset = f"locomotion/{env_name}_expert.npz"
    recipe = small(f"locomotion/{env_name}-expert-v0", 1200, episodes_per_shard=2)
    recipe = dataclasses.replace(recipe, policies=({"kind": kind, "asset": asset},))
    path = generate(recipe, "small", out=tmp_path, progress=False)
    policy = load_policy(envsuite.paths.asset_path(*asset.split("/")))
    oracle = gymnasium.make(oracle_id)
    with load_dataset(path, in_memory=True) as dataset:
        episode = dataset.episode(1)
        assert episode.seed == env_episode_seed(recipe.seed, 1)
        obs, _ = oracle.reset(seed=episode.seed)
        for t in range(len(episode)):
            np.testing.assert_array_equal(episode.observations[t], obs.astype(np.float32))
            action = policy(obs[None], np.random.default_rng(0))[0]
            np.testing.assert_array_equal(episode.actions[t], action)
            obs, reward, terminated, truncated, _ = oracle.step(action)
            assert episode.rewards[t] == np.float32(reward)
        np.testing.assert_array_equal(episode.final_observation, obs.astype(np.float32))


@pytest.mark.parametrize("env_name", [env_name for env_name, _, _ in TRAINED_ENVS])
def test_medium_replay_reproduces_the_training_returns(env_name):
    from training.locomotion.experts import env_id, record_rollout_lengths, replay_policies
    from envsuite.policies.rollout import rollout_batch

    record_path = envsuite.paths.asset_path("locomotion", f"{env_name}_training_record.npz")
    with np.load(record_path) as record:
        recorded = record["returns"].reshape(-1)  # in training order (ARS stores it per iteration)
    rollouts = replay_policies(record_path)
    assert len(rollouts) == len(recorded) == len(record_rollout_lengths(record_path))
    chosen = list(range(6)) + list(range(len(rollouts) - 6, len(rollouts)))  # the start and the end of training
    envs = [gymnasium.make(env_id(env_name)) for _ in chosen]
    policies = [rollouts[i][2] for i in chosen]

    def act(observations, rows):
        return np.stack([policies[row](observations[i : i + 1], np.random.default_rng(0))[0] for i, row in enumerate(rows)])

    returns, _, _ = rollout_batch(envs, [rollouts[i][3] for i in chosen], act, record=False)
    np.testing.assert_allclose(returns, recorded[chosen], rtol=0, atol=1e-9)


def test_missing_dataset_error_prints_the_generate_command(tmp_path, monkeypatch):
    from envsuite.data import DatasetNotFoundError

    monkeypatch.setenv("ENVSUITE_DATA_DIR", str(tmp_path))
    env = gymnasium.make("envsuite/hopper-medium-v0")
    with pytest.raises(DatasetNotFoundError, match="envsuite-datagen generate locomotion/hopper-medium-v0"):
        env.unwrapped.get_dataset()


def test_get_dataset_and_normalized_score_through_the_env(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVSUITE_DATA_DIR", str(tmp_path))
    recipe = small("locomotion/hopper-random-v0", 400)
    generate(recipe, "small", progress=False)
    env = gymnasium.make("envsuite/hopper-random-v0")
    dataset = env.unwrapped.get_dataset()
    assert dataset.total_steps == 400 and dataset.dataset_id == "locomotion/hopper-random-v0"
    assert dataset.env_id == "envsuite/hopper-random-v0"
    if dataset.ref_min_score is not None and np.isfinite(dataset.ref_min_score):
        score = env.unwrapped.get_normalized_score(dataset.ref_max_score)
        assert score == pytest.approx(1.0)
    dataset.close()


def test_recipe_rejects_malformed_content(tmp_path):
    from datagen.recipes import RecipeError

    with pytest.raises(RecipeError, match="sizes"):
        Recipe.from_dict({"dataset_id": "x/y-v0", "family": "x", "env_id": "envsuite/Hopper-v0", "seed": 0,
                          "sizes": {"small": 10}, "policies": [{"kind": "random"}]}, tmp_path / "r.toml")


def test_changed_recipe_in_the_same_process_is_not_served_stale_policies(tmp_path):
    recipe = small("locomotion/hopper-random-v0", 300)
    first = generate(recipe, "small", out=tmp_path / "a", progress=False)
    reseeded = generate(dataclasses.replace(recipe, seed=recipe.seed + 1), "small", out=tmp_path / "b", progress=False)
    with load_dataset(first, in_memory=True) as a, load_dataset(reseeded, in_memory=True) as b:
        assert a.episode_seeds[0] != b.episode_seeds[0]
        assert not np.array_equal(a.actions[:10], b.actions[:10])


def test_envsuite_load_dataset_accepts_dataset_id_env_id_and_path(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVSUITE_DATA_DIR", str(tmp_path))
    path = generate(small("locomotion/hopper-random-v0", 200), "small", progress=False)
    for key in ("locomotion/hopper-random-v0", "envsuite/hopper-random-v0", str(path)):
        with envsuite.load_dataset(key) as dataset:
            assert dataset.total_steps == 200 and dataset.dataset_id == "locomotion/hopper-random-v0"


def test_replay_stride_is_the_smallest_that_fits():
    from datagen.recipes import replay_stride

    rng = np.random.default_rng(0)
    for _ in range(200):
        lengths = rng.integers(1, 1000, size=rng.integers(1, 300))
        budget = int(rng.integers(1, 2 * lengths.sum()))
        stride = replay_stride(lengths, budget)
        fits = [k for k in range(1, len(lengths) + 1) if lengths[::k].sum() <= budget]
        assert stride == (fits[0] if fits else len(lengths))
        if lengths.sum() <= budget:
            assert stride == 1


def test_small_medium_replay_spans_training_with_a_stride(tmp_path):
    record_path = envsuite.paths.asset_path("locomotion", "halfcheetah_training_record.npz")
    with np.load(record_path) as record:
        if "lengths" not in record.files:
            pytest.skip("this training record predates recorded rollout lengths")
        env_seeds = record["env_seeds"].reshape(-1)
        lengths = record["lengths"].reshape(-1)
    recipe = small("locomotion/halfcheetah-medium-replay-v0", 5000, episodes_per_shard=2)
    path = generate(recipe, "small", out=tmp_path, progress=False)
    from datagen.recipes import replay_stride

    stride = replay_stride(lengths, 5000)
    assert stride > 1
    with load_dataset(path) as dataset:
        expected = env_seeds[::stride][: dataset.total_episodes]
        np.testing.assert_array_equal(dataset.episode_seeds, expected)
        # the last episode comes from late in training, not from the first iterations
        assert (dataset.total_episodes - 1) * stride > len(env_seeds) // 2


def test_batched_engine_and_gymnasium_envs_write_identical_datasets(tmp_path, monkeypatch):
    import envsuite.locomotion.batched as batched

    recipe = small("locomotion/hopper-random-v0", 1200, episodes_per_shard=8)
    engine = generate(recipe, "small", out=tmp_path / "engine", progress=False)
    monkeypatch.setattr(batched, "engine_name", lambda env_id: None)  # forces the gymnasium-env stepper
    runner_module._worker_state.clear()
    oracle = generate(recipe, "small", out=tmp_path / "gymnasium", progress=False)
    runner_module._worker_state.clear()
    assert _hash(engine) == _hash(oracle)
