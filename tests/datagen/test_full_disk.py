"""A real full disk (a small tmpfs, a small ext4 image on a loop device) never crashes `generate`.

Before envsuite's guard, h5py segfaulted (exit 139) when a dataset file whose cache could not be
flushed was closed, and left `.partial`, `.lock` and `shard_*.npz.tmp` files behind. Three layers
now stop a full disk, each tested alone on a real filesystem by switching off the ones before it
in the generating subprocess:

- "all":    the up-front check (shards plus dataset, about twice the raw steps) refuses at once;
- "blocks": the free-space check before every shard and every dataset block;
- "guard":  the file object h5py writes through (envsuite/data/safe_files.py), which records the
            first ENOSPC and discards the writes after it, so HDF5 never fails.
Each must exit 1 with the one-line "the disk is full" error and leave no partial, lock or temp file.
Mounting needs root: the tests skip with the reason elsewhere (tests/conftest.py small_filesystem).
"""

import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DATASET = "locomotion/hopper-random-v0"

# Runs envsuite-datagen in a subprocess (a segfault shows as exit 139) with the layers before the
# one under test switched off.
GENERATE = """
import sys
layer = sys.argv[1]
import datagen.generate, datagen.runner, envsuite.data.writer
off = lambda *args, **kwargs: None
if layer in ("blocks", "guard"):
    datagen.generate._check_free_space_for = off
if layer == "guard":
    envsuite.data.writer.require_free_space = off
    datagen.runner.require_free_space = off
from datagen.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run_generate(layer: str, out: Path, size: int, workers: int = 1) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-c", GENERATE, layer, "generate", DATASET, "--size", str(size), "--out", str(out),
         "--workers", str(workers), "--quiet"],
        capture_output=True, text=True, env=env, timeout=600)


def half_written(folder: Path) -> list[str]:
    """Partial datasets, locks and temporary shard files anywhere under `folder`."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.name.endswith((".partial", ".lock", ".tmp")))


@pytest.mark.parametrize("layer", ["all", "blocks", "guard"])
@pytest.mark.parametrize("kind, megabytes", [("tmpfs", 3), ("tmpfs", 12), ("ext4", 8)])
def test_a_full_disk_is_one_clear_error_and_leaves_nothing_half_written(small_filesystem, kind, megabytes, layer):
    out = small_filesystem(kind, megabytes)
    result = run_generate(layer, out, size=200_000)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "the disk is full" in lines[0] and "nothing half-written was left" in lines[0], lines
    assert half_written(out) == []
    assert not (out / "locomotion" / "hopper-random-v0.h5").exists()


def test_a_dataset_that_fits_is_written_on_a_small_filesystem(small_filesystem):
    out = small_filesystem("tmpfs", 12)
    result = run_generate("all", out, size=3000, workers=2)
    assert result.returncode == 0, result.stderr[-2000:]
    path = out / "locomotion" / "hopper-random-v0.h5"
    from envsuite.data import load_dataset, verify_dataset

    report = verify_dataset(path)  # raises DatasetCorruptError on any damage
    with load_dataset(path) as dataset:
        assert dataset.total_steps == report["total_steps"] == 3000
        assert report["content_sha256"] == dataset.content_sha256
    assert half_written(out) == []


WRITE_UNTIL_FULL = """
import sys
import numpy as np
from gymnasium import spaces
import envsuite.data.writer as writer_module
from envsuite.data import DatasetWriter
writer_module.require_free_space = lambda *args, **kwargs: None  # only the guard is left
path = sys.argv[1]
box = spaces.Box(-1, 1, (64,), np.float32)
try:
    with DatasetWriter(path, dataset_id="test/box-v0", env_id="envsuite/Hopper-v0", family="test",
                       observation_space=box, action_space=box, compression=None) as writer:
        rng = np.random.default_rng(0)
        for _ in range(1000):
            obs = rng.uniform(-1, 1, (200, 64)).astype(np.float32)
            writer.add_episode(obs, obs, np.zeros(200, np.float32), np.zeros(200, bool), np.eye(200, dtype=bool)[-1],
                               final_observation=obs[0], seed=0)
except OSError as error:
    print("errno", error.errno)
    sys.exit(3)
"""


@pytest.mark.parametrize("kind", ["tmpfs", "ext4"])
def test_the_guarded_file_turns_an_hdf5_write_on_a_full_disk_into_an_oserror(small_filesystem, kind):
    out = small_filesystem(kind, 4)
    result = subprocess.run([sys.executable, "-c", WRITE_UNTIL_FULL, str(out / "box.h5")], capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)), timeout=300)
    assert result.returncode == 3, (result.returncode, result.stderr[-2000:])  # not 139 (a segfault)
    assert result.stdout.split() == ["errno", "28"]
    assert list(out.iterdir()) in ([], [out / "lost+found"])


def test_the_guarded_file_reads_back_what_it_wrote(tmp_path):
    """The guard is h5py's file object for every dataset: what it writes reads back equal."""
    from envsuite.data.safe_files import SpaceGuardedFile, create_exclusive

    path = tmp_path / "plain.h5"
    data = np.random.default_rng(1).normal(size=(1000, 7))
    guard = SpaceGuardedFile(create_exclusive(path), path)
    with h5py.File(guard, "w") as file:
        file.create_dataset("x", data=data, chunks=(100, 7), compression="gzip")
    guard.close()
    assert guard.error is None
    with h5py.File(path, "r") as file:
        np.testing.assert_array_equal(file["x"][()], data)


@pytest.mark.slow
@pytest.mark.parametrize("layer", ["all", "blocks", "guard"])
def test_fifteen_full_disk_trials_per_layer(small_filesystem, layer):
    """The issue's trials: 15 runs per layer over sizes 3-12 MB of tmpfs and ext4 (run with -m slow)."""
    codes = []
    for trial in range(15):
        kind = "tmpfs" if trial % 3 else "ext4"
        out = small_filesystem(kind, 3 + trial % 10 if kind == "tmpfs" else 8 + trial % 5)
        result = run_generate(layer, out, size=200_000, workers=1 + trial % 2)
        codes.append(result.returncode)
        assert half_written(out) == [], (trial, half_written(out))
    assert codes == [1] * 15, codes
