"""The Ray backend: shards as Ray tasks on a local Ray (ray.init(num_cpus=2)) give the local
backend's dataset, byte for byte in content (the content hash), for the batched locomotion rollout
and for a family's own rollout; a shard's error surfaces as itself; a killed task worker stops the
driver with a clear error and the rerun completes."""

import dataclasses

import h5py
import pytest

from datagen.generate import generate
from datagen.recipes import load_recipe

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def content_hash(path):
    with h5py.File(path) as file:
        return file.attrs["content_sha256"]


@pytest.mark.parametrize("dataset_id, steps", [
    ("locomotion/hopper-random-v0", 3000),
    ("starcraft/3m-focus-fire-v0", 400),
])
def test_ray_and_local_give_the_same_dataset(tmp_path, local_ray, dataset_id, steps):
    recipe = dataclasses.replace(load_recipe(dataset_id), episodes_per_shard=4)
    local = generate(recipe, str(steps), out=tmp_path / "local", workers=2, progress=False)
    on_ray = generate(recipe, str(steps), out=tmp_path / "ray", workers=2, progress=False, backend="ray")
    assert content_hash(local) == content_hash(on_ray)
    assert not list((tmp_path / "ray").rglob(".*"))  # no shard folder, lock or partial file is left


def test_a_shard_error_on_ray_is_the_shards_own_error(tmp_path, local_ray):
    from datagen.ray_runner import RayRunner

    def failing_shard():
        raise ZeroDivisionError("shard 0 divided by zero")

    runner = RayRunner(load_recipe("locomotion/hopper-random-v0"), tmp_path / "hopper-random-v0.h5", workers=2)
    try:
        with pytest.raises(ZeroDivisionError, match="shard 0 divided by zero"):
            runner._finish_shard(0, ray.remote(failing_shard).remote())
        assert not runner.shard_path(0).exists()
    finally:
        runner.close()
        runner.remove_shards()


def test_a_killed_ray_task_worker_is_an_error_and_the_rerun_completes(tmp_path):
    """SIGKILL a Ray worker that is running a shard: the driver stops with exit 1 and says a rerun
    resumes; the rerun completes with the local backend's content hash."""
    import os
    import signal
    import subprocess
    import sys
    import time

    command = [sys.executable, "-m", "datagen.cli", "generate", "locomotion/hopper-random-v0", "--size", "60000",
               "--workers", "2", "--out", str(tmp_path / "ray"), "--quiet", "--backend", "ray"]
    log = open(tmp_path / "driver.log", "w")
    driver = subprocess.Popen(command, stdout=log, stderr=log)
    victim, deadline = None, time.monotonic() + 120
    while victim is None and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.3)
        found = subprocess.run(["pgrep", "-f", "ray::rollout_shard"], capture_output=True, text=True).stdout.split()
        victim = int(found[0]) if found else None
    assert victim is not None, "no Ray task worker was seen running a shard"
    os.kill(victim, signal.SIGKILL)
    assert driver.wait(timeout=120) == 1
    log.close()
    assert "rerun the same command to resume" in (tmp_path / "driver.log").read_text()
    assert subprocess.run(command, capture_output=True, timeout=600).returncode == 0
    local = generate(load_recipe("locomotion/hopper-random-v0"), "60000", out=tmp_path / "local", workers=2,
                     progress=False)
    assert content_hash(tmp_path / "ray" / "locomotion" / "hopper-random-v0.h5") == content_hash(local)
