"""The Ray backend: shards as Ray tasks on a local Ray (ray.init(num_cpus=2)) give the local
backend's dataset, byte for byte in content (the content hash), for the batched locomotion rollout
and for a family's own rollout; a shard's error surfaces as itself."""

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
