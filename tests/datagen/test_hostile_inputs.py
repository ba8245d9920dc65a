"""Hostile ids, recipes and shared folders: nothing reaches outside its folder, runs code or overwrites.

Tried as an attacker sharing a dataset folder and as a careless user would: ids with '..', recipes
naming 'module:Entry' envs and files elsewhere, symlinks and hard links planted where generate
writes its lock, its partial file and its shards, folders others can write to, and unwritable or
unreadable files for a user without root's permission override (tests/conftest.py as_unprivileged).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from datagen.cli import main
from datagen.generate import generate
from datagen.recipes import RECIPES_DIR, Recipe, RecipeError, load_recipe
from envsuite import paths
from envsuite.data.safe_files import UnsafeFileError

REPO_ROOT = Path(__file__).resolve().parents[2]
DATASET = "locomotion/hopper-random-v0"
GOOD_RECIPE = {"dataset_id": "locomotion/hopper-random-v0", "family": "locomotion", "env_id": "envsuite/Hopper-v0",
               "seed": 1, "sizes": {"small": 10, "full": 20}, "policies": [{"kind": "random"}]}


def one_error_line(capsys) -> str:
    error = capsys.readouterr().err
    assert error.count("\n") == 1, error
    return error


def evil_recipe(folder: Path) -> Path:
    """A TOML recipe outside the recipes folder that writes outside --out and imports a module."""
    path = folder / "x" / "evil-v0.toml"
    path.parent.mkdir(parents=True)
    path.write_text('dataset_id = "../../../../evil/evil-v0"\nfamily = "locomotion"\nenv_id = "os:system"\n'
                    'seed = 1\n[sizes]\nsmall = 10\nfull = 10\n[[policies]]\nkind = "random"\n')
    return path


def test_ids_reaching_outside_the_recipes_folder_are_unknown_ids(tmp_path, capsys):
    planted = evil_recipe(tmp_path)
    up = os.path.relpath(planted.with_suffix(""), RECIPES_DIR)  # ../../../../tmp/.../x/evil-v0
    for dataset_id in (up, f"locomotion/{os.path.relpath(planted.with_suffix(''), RECIPES_DIR / 'locomotion')}",
                       str(planted.with_suffix(""))):
        with pytest.raises(RecipeError, match="unknown dataset id"):
            load_recipe(dataset_id)
        assert main(["generate", dataset_id, "--size", "10", "--out", str(tmp_path / "out"), "--quiet"]) == 2
        assert "unknown dataset id" in one_error_line(capsys)
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil").exists()


@pytest.mark.parametrize("command", ["info", "verify", "card", "metrics", "render"])
@pytest.mark.parametrize("bad_id", ["locomotion/../../../etc/passwd-v0", "a/b/c-v0", "locomotion/x:y-v0",
                                    "../locomotion/hopper-random-v0", "locomotion/hopper-random-v0\n"])
def test_commands_taking_ids_answer_a_bad_id_with_exit_2(command, bad_id, tmp_path, capsys):
    argv = [command, bad_id] + (["--out", str(tmp_path / "x.gif")] if command == "render" else [])
    assert main(argv) == 2
    error = one_error_line(capsys)
    assert "dataset id" in error and "Traceback" not in error


@pytest.mark.parametrize("field, value, fragment", [
    ("dataset_id", "../../x/evil-v0", "invalid dataset id"),
    ("dataset_id", "locomotion/a/b-v0", "invalid dataset id"),
    ("env_id", "os:system", "module:Entry"),
    ("env_id", "CartPole-v1", "unknown envsuite env id"),
    ("env_id", "envsuite/NoSuchEnv-v0", "unknown envsuite env id"),
])
def test_a_recipe_names_only_catalogue_ids_and_envsuites_registered_envs(field, value, fragment, tmp_path):
    data = dict(GOOD_RECIPE, **{field: value})
    with pytest.raises(RecipeError, match=fragment):
        Recipe.from_dict(data, source=tmp_path / "r.toml")


@pytest.mark.parametrize("asset", ["../../../../etc/passwd", "/etc/passwd", "locomotion/../../x.npz", "x"])
def test_a_recipe_reads_only_assets_inside_the_package(asset, tmp_path):
    with pytest.raises(RecipeError, match="asset"):
        Recipe.from_dict(dict(GOOD_RECIPE, policies=[{"kind": "linear", "asset": asset}]), source=tmp_path / "r.toml")
    with pytest.raises(RecipeError, match="asset"):
        Recipe.from_dict(dict(GOOD_RECIPE, source="training_record", record=asset), source=tmp_path / "r.toml")


def test_a_symlinked_asset_leading_outside_the_assets_folder_is_refused(tmp_path, monkeypatch):
    assets = tmp_path / "assets"
    (assets / "locomotion").mkdir(parents=True)
    (tmp_path / "secret.npz").write_bytes(b"secret")
    (assets / "locomotion" / "leak.npz").symlink_to(tmp_path / "secret.npz")
    monkeypatch.setattr(paths, "assets_dir", lambda: assets)
    with pytest.raises(paths.InvalidIdError, match="outside"):
        paths.asset_path("locomotion", "leak.npz")


def test_a_symlinked_family_folder_cannot_move_a_dataset_outside_its_root(tmp_path):
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (root / "locomotion").symlink_to(elsewhere)
    with pytest.raises(paths.InvalidIdError, match="outside"):
        paths.dataset_path(DATASET, root)
    assert paths.dataset_path(DATASET, tmp_path / "fresh") == tmp_path / "fresh" / "locomotion" / "hopper-random-v0.h5"


def small_generate(out: Path):
    return generate(load_recipe(DATASET), "200", out=out, progress=False)


@pytest.mark.parametrize("link", ["symlink", "hard link"])
def test_a_planted_lock_link_is_refused_and_its_target_untouched(tmp_path, link):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "out" / "locomotion"
    folder.mkdir(parents=True)
    lock = folder / ".hopper-random-v0.lock"
    lock.symlink_to(victim) if link == "symlink" else os.link(victim, lock)
    with pytest.raises(UnsafeFileError, match="lock file"):
        small_generate(tmp_path / "out")
    assert victim.read_text() == "precious"


def test_a_planted_partial_symlink_never_writes_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "out" / "locomotion"
    folder.mkdir(parents=True)
    (folder / "hopper-random-v0.h5.partial").symlink_to(victim)
    path = small_generate(tmp_path / "out")
    assert victim.read_text() == "precious"
    assert path.is_file() and not path.is_symlink()


def test_planted_shard_temp_links_never_write_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    shards = tmp_path / "out" / "locomotion" / ".hopper-random-v0.shards"
    shards.mkdir(parents=True, mode=0o700)
    for name in ("shard_0000000.npz.tmp", "recipe.json.tmp", "recipe.json", "shard_0000000.npz"):
        (shards / name).symlink_to(victim)
    small_generate(tmp_path / "out")
    assert victim.read_text() == "precious"


def test_a_symlinked_world_writable_or_foreign_shard_folder_is_refused(tmp_path, capsys):
    victim_folder = tmp_path / "victim"
    victim_folder.mkdir()
    (victim_folder / "keep.txt").write_text("precious")
    out = tmp_path / "out"
    shards = out / "locomotion" / ".hopper-random-v0.shards"
    shards.parent.mkdir(parents=True)
    shards.symlink_to(victim_folder)
    assert main(["generate", DATASET, "--size", "200", "--out", str(out), "--quiet"]) == 1
    assert "symlink" in one_error_line(capsys)
    assert (victim_folder / "keep.txt").read_text() == "precious"
    shards.unlink()
    shards.mkdir()
    shards.chmod(0o777)
    assert main(["generate", DATASET, "--size", "200", "--out", str(out), "--quiet"]) == 1
    assert "writable by other users" in one_error_line(capsys)
    if os.geteuid() == 0:
        shards.chmod(0o700)
        os.chown(shards, 12345, 12345)
        assert main(["generate", DATASET, "--size", "200", "--out", str(out), "--quiet"]) == 1
        assert "belongs to uid 12345" in one_error_line(capsys)


def run_cli(prefix, *argv) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "datagen.cli", *argv], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)), timeout=600)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("data")
    return small_generate(out)


def test_card_and_render_into_an_unwritable_folder_are_one_line(dataset, tmp_path, as_unprivileged):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    for argv in (["card", str(dataset), "--to", str(locked / "card")],
                 ["render", str(dataset), "--episode", "0", "--max-frames", "2", "--out", str(locked / "v.gif")]):
        result = run_cli(as_unprivileged, *argv)
        assert result.returncode == 1, result.stderr[-2000:]
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Permission denied" in lines[0] and str(locked) in lines[0], lines
        assert "Traceback" not in result.stderr


def test_an_unreadable_dataset_is_permission_denied_not_truncated(dataset, tmp_path, as_unprivileged):
    copy = tmp_path / "unreadable.h5"
    copy.write_bytes(dataset.read_bytes())
    copy.chmod(0)
    result = run_cli(as_unprivileged, "info", str(copy))
    assert result.returncode == 1
    assert "permission denied" in result.stderr and "truncated" not in result.stderr


def test_an_undeletable_old_shard_folder_is_named(tmp_path, as_unprivileged):
    shards = tmp_path / "out" / "locomotion" / ".hopper-random-v0.shards"
    shards.mkdir(parents=True, mode=0o700)
    (shards / "recipe.json").write_text('{"content_key": "another recipe"}')
    (shards / "shard_0000000.npz").write_bytes(b"old")
    shards.chmod(0o500)  # its owner cannot delete the old shards in it
    try:
        result = run_cli(as_unprivileged, "generate", DATASET, "--size", "200", "--out", str(tmp_path / "out"),
                         "--quiet")
    finally:
        shards.chmod(0o700)
    assert result.returncode == 1, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "permission denied" in lines[0] and str(shards) in lines[0], lines


def test_env_kwargs_recorded_in_a_file_never_replace_the_recipes(dataset, tmp_path):
    from datagen.render import replay_env_kwargs
    from envsuite.data import Dataset

    with Dataset(dataset) as ds:
        assert replay_env_kwargs(ds) == dict(load_recipe(DATASET).env_kwargs or {})

    class Forged:  # what a file with forged env kwargs reads as
        dataset_id = DATASET
        recipe = {"env_kwargs": {"xml_file": "/etc/passwd"}}

    with pytest.raises(ValueError, match="differ from envsuite's recipe"):
        replay_env_kwargs(Forged())
    Forged.dataset_id = "test/unknown-v0"
    with pytest.raises(ValueError, match="no recipe"):
        replay_env_kwargs(Forged())
