"""Android datasets end to end: screens stored losslessly (every stored step equals the env's own
observation when its actions are replayed: the env is the oracle), the same hash with two workers,
success and action-matching metrics recomputed from the data, and the AitW export (PNG screens read
back by Pillow equal the stored ones)."""

import dataclasses
import json

import h5py
import numpy as np
import pytest

from datagen.android import AndroidPlan
from datagen.generate import generate
from datagen.metrics import dataset_metrics
from datagen.recipes import RecipeError, env_episode_seed, load_recipe
from envsuite.android.env import AndroidStubEnv
from envsuite.android.export import export_aitw
from envsuite.android.spaces import UI_TYPES
from envsuite.data import load_dataset

SMALL_SCREEN = {"render_width": 108, "render_height": 240}


def small(dataset_id, steps):
    recipe = load_recipe(dataset_id)
    return dataclasses.replace(recipe, sizes={"small": steps, "full": steps}, episodes_per_shard=6,
                               env_kwargs={**recipe.env_kwargs, **SMALL_SCREEN})


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    recipe = small("android/webshop-mixed-v0", 120)
    return recipe, generate(recipe, "small", out=tmp_path_factory.mktemp("android"), progress=False)


@pytest.fixture(scope="module")
def expert(tmp_path_factory):
    recipe = small("android/general-expert-v0", 60)
    return recipe, generate(recipe, "small", out=tmp_path_factory.mktemp("android"), progress=False)


def test_every_episode_replays_exactly_screens_included(mixed):
    recipe, path = mixed
    env = AndroidStubEnv("webshop", **SMALL_SCREEN)
    order = AndroidPlan(recipe).task_order(len(env.tasks))
    with load_dataset(path, in_memory=True) as dataset:
        assert dataset.observations["screen"].shape == (120, 240, 108, 3)
        for e in range(dataset.total_episodes):
            episode = dataset.episode(e)
            assert episode.seed == env_episode_seed(recipe.seed, e)
            observation, _ = env.reset(seed=episode.seed, options={"task_index": int(order[e % len(order)])})
            for t in range(len(episode)):
                np.testing.assert_array_equal(episode.observations["screen"][t], observation["screen"])
                np.testing.assert_array_equal(episode.observations["annotation_positions"][t],
                                              observation["annotation_positions"])
                assert tuple(str(column[t]) for column in episode.observations["annotation_texts"]) == \
                    observation["annotation_texts"]
                assert str(episode.observations["goal"][t]) == observation["goal"]
                action = {key: (value[t] if key != "typed_text" else str(value[t])) for key, value in episode.actions.items()}
                observation, reward, terminated, truncated, info = env.step(action)
                assert episode.rewards[t] == np.float32(reward)
                assert bool(dataset.infos["success"][dataset.episode_starts[e] + t]) == info["success"]
            assert episode.terminals[-1] == terminated or (e == dataset.total_episodes - 1)


def test_mixed_data_holds_random_actions_and_both_policies(mixed):
    _, path = mixed
    with load_dataset(path, in_memory=True) as dataset:
        assert list(np.unique(dataset.episode_policies)) == [0, 1]
        noisy = np.asarray(dataset.infos["random_action"])
        policies = np.repeat(dataset.episode_policies, dataset.episode_lengths)
        assert not noisy[policies == 0].any() and noisy[policies == 1].any()
        differs = np.asarray(dataset.actions["action_type"]) != np.asarray(dataset.infos["expert_action_type"])
        assert not differs[policies == 0].any()


def test_same_hash_with_two_workers(tmp_path, mixed):
    recipe, path = mixed
    again = generate(recipe, "small", out=tmp_path, workers=2, progress=False)
    with h5py.File(path) as a, h5py.File(again) as b:
        assert a.attrs["content_sha256"] == b.attrs["content_sha256"]


def test_metrics_follow_the_stored_steps(mixed, expert):
    for _, path in (mixed, expert):
        with load_dataset(path, in_memory=True) as dataset:
            complete = dataset.total_episodes - int(bool(dataset.metrics["last_episode_cut_by_size"]))
            ends = dataset.episode_starts[:complete] + dataset.episode_lengths[:complete] - 1
            success = np.asarray(dataset.infos["success"])[ends].mean()
            row = dataset_metrics(dataset)
            assert row["success_rate"] == pytest.approx(success) == pytest.approx(dataset.metrics["success_rate"])
    with load_dataset(expert[1], in_memory=True) as dataset:
        assert dataset.metrics["success_rate"] == 1.0 and dataset_metrics(dataset)["action_match"] == 1.0
        complete = dataset.total_episodes - int(bool(dataset.metrics["last_episode_cut_by_size"]))
        families = {str(dataset.infos["family"][start]) for start in dataset.episode_starts[:complete]}
        assert {f"success_rate_{family}" for family in families} <= set(dataset.metrics)


def test_the_aitw_export_writes_aitw_fields_and_lossless_pngs(tmp_path, mixed):
    from PIL import Image

    _, path = mixed
    with load_dataset(path, in_memory=True) as dataset:
        folder = export_aitw(dataset, tmp_path / "aitw", episodes=[0, 1], progress=False)
        records = [json.loads(line) for line in (folder / "steps.jsonl").read_text().splitlines()]
        assert len(records) == int(dataset.episode_lengths[0] + dataset.episode_lengths[1])
        for record in records:
            e, t = int(record["episode_id"].rsplit("/", 1)[1]), record["step_id"]
            row = dataset.episode_starts[e] + t
            screen = np.asarray(Image.open(folder / record["image/encoded"]).convert("RGB"))
            np.testing.assert_array_equal(screen, dataset.observations["screen"][row])
            count = int((dataset.observations["annotation_types"][row] > 0).sum())
            assert len(record["image/ui_annotations_positions"]) == 4 * count
            assert len(record["image/ui_annotations_text"]) == len(record["image/ui_annotations_ui_types"]) == count
            assert set(record["image/ui_annotations_ui_types"]) <= set(UI_TYPES)
            assert record["results/action_type"] == int(dataset.actions["action_type"][row])
            assert record["results/yx_touch"] == pytest.approx(list(dataset.actions["touch_yx"][row]), abs=1e-6)
            assert record["goal_info"] == str(dataset.observations["goal"][row])
            assert (record["image/height"], record["image/width"], record["image/channels"]) == (240, 108, 3)
        with pytest.raises(FileExistsError, match="exists"):
            export_aitw(dataset, folder, progress=False)
        with pytest.raises(ValueError, match="outside the"):
            export_aitw(dataset, tmp_path / "other", episodes=[10_000], progress=False)
        assert not (tmp_path / "other").exists() and not list(tmp_path.glob(".*partial"))


def test_bad_android_recipes_are_clear_errors():
    recipe = load_recipe("android/webshop-mixed-v0")
    with pytest.raises(RecipeError, match="epsilon must be a number in"):
        AndroidPlan(dataclasses.replace(recipe, policies=({"kind": "android_expert", "epsilon": 1.5},)))
    with pytest.raises(RecipeError, match="kind must be 'android_expert'"):
        AndroidPlan(dataclasses.replace(recipe, policies=({"kind": "random"},)))


def test_the_cli_exports_and_rejects_bad_arguments(tmp_path, mixed, capsys):
    from datagen.cli import main

    _, path = mixed
    assert main(["export-aitw", str(path), "--to", str(tmp_path / "out"), "--episodes", "0", "--quiet"]) == 0
    assert (tmp_path / "out" / "steps.jsonl").is_file()
    assert main(["evaluate-android", "nowhere"]) == 2
    assert main(["evaluate-android", "webshop", "--epsilon", "2"]) == 2
    assert "unknown task sets" in capsys.readouterr().err
