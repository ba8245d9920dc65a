"""MoCap datasets end to end: MoCapAct's layout, reproducibility, and exact replays in the tracking env
(the oracle: stepping envsuite/CMUHumanoidTracking-v0 with the recorded actions from the recorded start
gives the recorded observations and rewards)."""

import dataclasses
import json

import gymnasium
import h5py
import numpy as np
import pytest

from datagen.generate import generate
from datagen.mocap import episode_options, episode_start_kind, labeller_rng
from datagen.recipes import env_episode_seed, load_recipe
from envsuite.data import load_dataset, verify_dataset
from envsuite.metrics.mocap import episode_metrics_from_steps
from envsuite.mocap.tracking import CMUHumanoidTrackingEnv

# A cheap planner and a short snippet: these tests check the data, not the expert's quality.
CHEAP_PLANNER = {"horizon": 3, "samples": 3, "knot_steps": 1, "threads": 1}


def cheap_recipe(dataset_id, steps, **policy_changes):
    recipe = load_recipe(dataset_id)
    policy = dict(recipe.policies[0], planner=CHEAP_PLANNER, **policy_changes)
    return dataclasses.replace(recipe, sizes={"small": steps, "full": steps}, policies=(policy,),
                               env_kwargs=dict(recipe.env_kwargs, snippets=["02_01-0-40"]))


@pytest.fixture(scope="module")
def noisy_dataset(tmp_path_factory):
    recipe = cheap_recipe("mocap/02_01-noisy-v0", 60)
    return recipe, generate(recipe, "small", out=tmp_path_factory.mktemp("noisy"), progress=False)


def test_layout_infos_and_attributes_follow_mocapact(noisy_dataset):
    recipe, path = noisy_dataset
    env = CMUHumanoidTrackingEnv(snippets=["02_01-0-40"])
    with load_dataset(path, in_memory=True) as dataset:
        assert dataset.total_steps == 60 and dataset.observations.shape == (60, 2847)
        assert dataset.observations.dtype == np.float32
        infos = dataset.infos
        assert sorted(infos) == ["last_time_in_clip", "mean_actions", "random_start", "snippet_id", "start_step",
                                 "start_time_in_clip", "time_in_clip", "time_step"]
        indices = json.loads(dataset.attrs["observable_indices"])
        assert indices == {name: [int(c[0]), int(c[-1]) + 1] for name, c in env.observable_indices.items()}
        assert json.loads(dataset.attrs["ref_steps"]) == [1, 2, 3, 4, 5]
        assert json.loads(dataset.attrs["snippets"]) == ["02_01-0-40"]
        # action noise 0.1: executed actions differ from the expert's mean actions, by clipped noise
        difference = dataset.actions - infos["mean_actions"]
        assert 0.07 < difference.std() < 0.11 and np.all(np.abs(dataset.actions) <= 1.0)
        starts, lengths = dataset.episode_starts, dataset.episode_lengths
        for e in range(dataset.total_episodes):
            rows = slice(starts[e], starts[e] + lengths[e])
            assert bool(infos["random_start"][starts[e]]) == (episode_start_kind(e) == "random-start")
            np.testing.assert_array_equal(infos["time_step"][rows], infos["start_step"][rows] + np.arange(1, lengths[e] + 1))
            assert set(np.asarray(infos["snippet_id"][rows]).astype(str)) == {"02_01-0-40"}
        if dataset.total_episodes > 1:
            complete = dataset.total_episodes - int(bool(dataset.metrics["last_episode_cut_by_size"]))
            per_episode = episode_metrics_from_steps(starts[:complete], lengths[:complete],
                                                     dataset.episode_returns[:complete], infos["time_in_clip"],
                                                     infos["start_time_in_clip"], infos["last_time_in_clip"])
            assert dataset.metrics["normalized_episode_length_mean"] == pytest.approx(
                per_episode["normalized_episode_length"].mean(), rel=1e-12)
    assert verify_dataset(path)["content_sha256"]


def test_every_episode_replays_exactly_in_the_tracking_env(noisy_dataset):
    recipe, path = noisy_dataset
    with load_dataset(path, in_memory=True) as dataset:
        assert_every_episode_replays(CMUHumanoidTrackingEnv(snippets=["02_01-0-40"]), dataset, recipe.seed)


def assert_every_episode_replays(env, dataset, recipe_seed):
    """Stepping `env` with the recorded actions from the recorded start gives the recorded episode."""
    for e in range(dataset.total_episodes):
        episode = dataset.episode(e)
        assert episode.seed == env_episode_seed(recipe_seed, e)
        observation, info = env.reset(seed=episode.seed, options=episode_options(env, recipe_seed, e))
        assert info["start_step"] == dataset.infos["start_step"][dataset.episode_starts[e]]
        for t in range(len(episode)):
            np.testing.assert_array_equal(episode.observations[t], observation)
            observation, reward, terminated, truncated, _ = env.step(episode.actions[t])
            assert episode.rewards[t] == np.float32(reward)
            if terminated or truncated:
                assert t == len(episode) - 1 and episode.terminals[t] == terminated
        np.testing.assert_array_equal(episode.final_observation, observation)


def assert_same_hash_with_two_workers(recipe, path, folder):
    again = generate(recipe, "small", out=folder, workers=2, progress=False)
    with h5py.File(path) as a, h5py.File(again) as b:
        assert a.attrs["content_sha256"] == b.attrs["content_sha256"]


def test_the_same_recipe_gives_the_same_hash_with_two_workers(tmp_path, noisy_dataset):
    assert_same_hash_with_two_workers(*noisy_dataset, tmp_path)


def test_expert_dataset_without_noise_records_the_mean_actions(tmp_path):
    recipe = cheap_recipe("mocap/02_01-expert-v0", 20)
    path = generate(recipe, "small", out=tmp_path, progress=False)
    with load_dataset(path, in_memory=True) as dataset:
        np.testing.assert_array_equal(dataset.actions, dataset.infos["mean_actions"])
        assert dataset.env_id == "envsuite/mocap-02_01-expert-v0"
    # the dataset-carrying env id gives it back, D4RL-style
    env = gymnasium.make("envsuite/mocap-02_01-expert-v0").unwrapped
    with env.get_dataset(root=tmp_path) as again:
        assert again.total_steps == 20
    with pytest.raises(ValueError, match="normalized episode length"):
        env.get_normalized_score(10.0)


def test_the_card_shows_the_motion_tracked_by_library_category_or_by_clip_file(noisy_dataset, tmp_path,
                                                                               monkeypatch):
    from datagen.cards import write_card
    from envsuite.mocap import library

    monkeypatch.setenv("ENVSUITE_CACHE_DIR", str(tmp_path / "cache"))
    _, path = noisy_dataset
    with load_dataset(path, in_memory=True) as dataset:
        text = (write_card(dataset, tmp_path / "file-card") / "README.md").read_text()
    assert "## Motion" in text and "not the shipped MoCap library: 02_01." in text

    recipe = load_recipe("mocap/02_01-noisy-v0")
    policy = dict(recipe.policies[0], planner=CHEAP_PLANNER)
    env_kwargs = {key: value for key, value in recipe.env_kwargs.items() if key != "snippets"}
    recipe = dataclasses.replace(recipe, sizes={"small": 40, "full": 40}, policies=(policy,),
                                 env_kwargs=dict(env_kwargs, clips="walk_tiny"))
    path = generate(recipe, "small", out=tmp_path / "data", progress=False)
    with load_dataset(path, in_memory=True) as dataset:
        tracked = {s.rsplit("-", 2)[0] for s in np.asarray(dataset.infos["snippet_id"])[dataset.episode_starts].astype(str)}
        text = (write_card(dataset, tmp_path / "library-card") / "README.md").read_text()
    records = [r for r in library.library() if r.id in tracked]
    minutes = sum(r.duration_s for r in records) / 60
    assert f"{len(records)} clips of the shipped MoCap library" in text
    assert f"| walk | {len(records)} | {sum(len(r.snippets) for r in records)} | {minutes:.1f} |" in text


@pytest.mark.parametrize("dataset_id", ["mocap/walk_tiny-noisy-v0"])  # locomotion_small's recipe is the same
def test_a_library_subset_dataset_replays_exactly_in_its_registered_env(dataset_id, tmp_path, tmp_path_factory,
                                                                        monkeypatch):
    monkeypatch.setenv("ENVSUITE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "envsuite-cache"))
    recipe = load_recipe(dataset_id)
    assert recipe.env_kwargs["clips"] == dataset_id.split("/")[1].rsplit("-", 2)[0]
    recipe = dataclasses.replace(recipe, sizes={"small": 60, "full": 60},
                                 policies=(dict(recipe.policies[0], planner=CHEAP_PLANNER),))
    path = generate(recipe, "small", out=tmp_path / "data", progress=False)
    env = gymnasium.make(f"envsuite/{dataset_id.replace('/', '-')}").unwrapped
    with load_dataset(path, in_memory=True) as dataset:
        assert dataset.env_id == f"envsuite/{dataset_id.replace('/', '-')}"
        assert json.loads(dataset.attrs["snippets"]) == [r.snippet.id for r in env.references]
        for e in range(dataset.total_episodes):
            episode = dataset.episode(e)
            observation, info = env.reset(seed=episode.seed, options=episode_options(env, recipe.seed, e))
            assert info["snippet_id"] == str(dataset.infos["snippet_id"][dataset.episode_starts[e]])
            for t in range(len(episode)):
                np.testing.assert_array_equal(episode.observations[t], observation)
                observation, reward, terminated, truncated, _ = env.step(episode.actions[t])
                assert episode.rewards[t] == np.float32(reward)


def student_recipe(steps, **policy_changes):
    """The student recipe on one committed snippet, with a cheap labeller that labels every 2nd episode."""
    recipe = load_recipe("mocap/locomotion_small-student-v0")
    policy = dict(recipe.policies[0], planner=CHEAP_PLANNER, label_every=2)
    policy.update(policy_changes)
    env_kwargs = {key: value for key, value in recipe.env_kwargs.items() if key != "clips"}
    return dataclasses.replace(recipe, sizes={"small": steps, "full": steps}, policies=(policy,),
                               env_kwargs=dict(env_kwargs, snippets=["02_01-0-40"]), episodes_per_shard=2)


@pytest.fixture(scope="module")
def student_dataset(tmp_path_factory):
    recipe = student_recipe(120)
    return recipe, generate(recipe, "small", out=tmp_path_factory.mktemp("student"), progress=False)


def test_student_data_holds_the_policys_actions_and_the_experts_labels_where_computed(student_dataset):
    from envsuite.mocap.expert import TrackingMPC
    from envsuite.mocap.multiclip import multiclip_policy

    recipe, path = student_dataset
    policy = multiclip_policy()
    with load_dataset(path, in_memory=True) as dataset:
        assert dataset.total_episodes >= 3
        infos = dataset.infos
        # no action noise: the executed actions are the policy's own on the stored observations (numpy oracle)
        np.testing.assert_array_equal(dataset.actions, infos["mean_actions"])
        np.testing.assert_allclose(dataset.actions, policy.act(dataset.observations), atol=1e-6)
        labels = infos["expert_mean_actions"]
        assert labels.shape == dataset.actions.shape
        for e in range(dataset.total_episodes):
            rows = slice(dataset.episode_starts[e], dataset.episode_starts[e] + dataset.episode_lengths[e])
            if e % 2 == 0:  # label_every = 2: episodes 0, 2, 4, ... carry the expert's labels
                assert np.isfinite(labels[rows]).all() and np.all(np.abs(labels[rows]) <= 1.0)
            else:
                assert np.isnan(labels[rows]).all()
        # the first label is the expert's action from the episode's first state, with the labeller's stream
        env = CMUHumanoidTrackingEnv(snippets=["02_01-0-40"])
        env.reset(seed=env_episode_seed(recipe.seed, 0), options=episode_options(env, recipe.seed, 0))
        expert = TrackingMPC(**CHEAP_PLANNER)
        expert.reset()
        np.testing.assert_allclose(labels[0], expert.act(env, labeller_rng(recipe.seed, 0)), atol=1e-6)
        assert json.loads(dataset.attrs["policy_descriptions"])[0]["label_every"] == 2


def test_student_episodes_replay_exactly_and_do_not_depend_on_labelling(student_dataset, tmp_path):
    recipe, path = student_dataset
    unlabelled = generate(student_recipe(120, label_every=0), "small", out=tmp_path, progress=False)
    with load_dataset(path, in_memory=True) as dataset, load_dataset(unlabelled, in_memory=True) as plain:
        assert "expert_mean_actions" not in plain.infos
        np.testing.assert_array_equal(dataset.observations, plain.observations)
        np.testing.assert_array_equal(dataset.actions, plain.actions)
        assert_every_episode_replays(CMUHumanoidTrackingEnv(snippets=["02_01-0-40"]), dataset, recipe.seed)


def test_student_data_has_the_same_hash_with_two_workers(student_dataset, tmp_path):
    assert_same_hash_with_two_workers(*student_dataset, tmp_path)


@pytest.mark.parametrize("change, message", [
    ({"label_every": -1}, "label_every must be an integer >= 0"),
    ({"label_every": 2.5}, "label_every must be an integer >= 0"),
    ({"asset": None}, "a multiclip policy needs asset ="),
    ({"planner": {"samples": 4, "bogus": 1}}, r"bad \[policies.planner\] entry"),
])
def test_bad_student_recipes_are_clear_errors(change, message):
    from datagen.mocap import MocapPlan
    from datagen.recipes import RecipeError

    recipe = student_recipe(40)
    policy = {key: value for key, value in dict(recipe.policies[0], **change).items() if value is not None}
    with pytest.raises(RecipeError, match=message):
        MocapPlan(dataclasses.replace(recipe, policies=(policy,)))


def test_a_student_on_an_env_with_other_ref_steps_is_refused_with_the_reason():
    from datagen.mocap import MocapPlan
    from datagen.recipes import RecipeError

    recipe = student_recipe(40)
    recipe = dataclasses.replace(recipe, env_kwargs=dict(recipe.env_kwargs, ref_steps=[1, 2]))
    with pytest.raises(RecipeError, match="takes observations of 2847 values but the env gives"):
        MocapPlan(recipe)
