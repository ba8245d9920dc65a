"""A non-editable install (the wheel) finds its assets and recipes and makes the dataset envs."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO_ROOT)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{result.stderr[-2000:]}")
    return next(out.glob("envsuite-*.whl"))


def test_wheel_ships_assets_and_recipes(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "envsuite/assets/locomotion/reference_scores.json" in names or not (REPO_ROOT / "assets/locomotion/reference_scores.json").exists()
    for asset in (REPO_ROOT / "assets").rglob("*"):
        if asset.is_file():
            assert f"envsuite/assets/{asset.relative_to(REPO_ROOT / 'assets')}" in names
    assert "datagen/recipes/locomotion/hopper-medium-v0.toml" in names
    assert not any(name.startswith("tests/") for name in names)
    # issue 16's bar: the wheel, MoCap library included, stays under 60 MB
    assert wheel.stat().st_size < 60_000_000, f"the wheel is {wheel.stat().st_size / 1e6:.1f} MB"
    assert "envsuite/assets/mocap/library.h5" in names and "envsuite/assets/mocap/takes.tsv" in names


def test_installed_wheel_makes_dataset_envs_and_finds_assets(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)],
                   check=True)
    script = (
        "import gymnasium, envsuite, sys\n"
        "from envsuite import paths\n"
        f"assert envsuite.__file__.startswith({str(site)!r}), envsuite.__file__\n"
        f"assert str(paths.assets_dir()).startswith({str(site)!r}), paths.assets_dir()\n"
        "env = gymnasium.make('envsuite/hopper-medium-v0')\n"
        "env.reset(seed=0)\n"
        "from datagen.recipes import load_recipe, RECIPES_DIR\n"
        f"assert str(RECIPES_DIR).startswith({str(site)!r})\n"
        "recipe = load_recipe('locomotion/hopper-medium-v0')\n"
        "from datagen.families import family_plan\n"  # the family registry and the trainers ship too
        "assert family_plan(load_recipe('mocap/02_01-expert-v0')).rollout_shard.__module__ == 'datagen.mocap'\n"
        "replay = load_recipe('locomotion/hopper-medium-replay-v0').episode_plan(env.action_space)\n"
        "import training.locomotion.experts\n"
        f"assert training.locomotion.experts.__file__.startswith({str(site)!r}) and replay.num_episodes > 100\n"
        "from envsuite.mocap import library\n"
        f"assert str(library.library_file()).startswith({str(site)!r}) and len(library.library()) > 200\n"
        "print('ok', env.unwrapped.dataset_id, sorted(p.name for p in paths.assets_dir().rglob('*.npz'))[:3])\n"
    )
    # run from an empty folder so the repository checkout cannot be imported by accident
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "MUJOCO_GL": "egl"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ok locomotion/hopper-medium-v0" in result.stdout
