"""Missing and damaged datasets fail with errors that name the file, the fault and the fix."""

from __future__ import annotations

import hashlib
import os

import h5py
import numpy as np
import pytest

from envsuite.data.content_hash import attributes_sha256
from envsuite.data import Dataset, DatasetCorruptError, DatasetNotFoundError, load_dataset, verify_dataset
from envsuite.paths import dataset_path

LENGTHS = [7, 1, 4, 9, 3]


def assert_corrupt(path, match, *, on_open=True):
    """Opening (when on_open) and verifying both raise DatasetCorruptError naming the file."""
    checks = [Dataset, verify_dataset] if on_open else [verify_dataset]
    for check in checks:
        with pytest.raises(DatasetCorruptError, match=match) as caught:
            result = check(path)
            if isinstance(result, Dataset):
                result.close()
        assert str(path) in str(caught.value), f"{check.__name__} did not name the file: {caught.value}"


def rehash(path, factory):
    """Recompute and store every digest, as a buggy writer with a valid hash would have."""
    with h5py.File(path, "r+") as file:
        names = []
        file.visititems(lambda name, node: names.append(name)
                        if isinstance(node, h5py.Dataset) and not name.startswith("metrics/") else None)
        for name in names:
            file[name].attrs["sha256"] = hashlib.sha256(file[name][()].tobytes()).hexdigest()
    digest = factory.oracle_content_hash(path)
    with h5py.File(path, "r+") as file:
        file.attrs["content_sha256"] = digest
        file.attrs["attrs_sha256"] = attributes_sha256(file.attrs, file["metrics"].attrs)


# ----------------------------------------------------------------------------- missing datasets


def test_missing_dataset_prints_the_generate_command(tmp_path):
    with pytest.raises(DatasetNotFoundError) as caught:
        load_dataset("locomotion/hopper-medium-v0", root=tmp_path)
    message = str(caught.value)
    assert f"envsuite-datagen generate locomotion/hopper-medium-v0 --out {tmp_path}" in message
    assert isinstance(caught.value, FileNotFoundError)


def test_missing_dataset_in_the_default_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVSUITE_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as caught:
        load_dataset("locomotion/hopper-medium-v0")
    message = str(caught.value)
    assert "envsuite-datagen generate locomotion/hopper-medium-v0" in message
    assert "--out" not in message
    assert str(tmp_path / "locomotion" / "hopper-medium-v0.h5") in message
    assert "ENVSUITE_DATA_DIR" in message


def test_missing_dataset_mentions_an_interrupted_run(tmp_path):
    partial = dataset_path("locomotion/hopper-medium-v0", tmp_path).with_suffix(".h5.partial")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"")
    with pytest.raises(DatasetNotFoundError, match="interrupted run"):
        load_dataset("locomotion/hopper-medium-v0", root=tmp_path)


@pytest.mark.parametrize("bad_id", ["hopper-medium-v0", "locomotion/hopper-medium", "a/b/c-v0", "locomotion/"])
def test_malformed_id_is_a_value_error(tmp_path, bad_id):
    with pytest.raises(ValueError, match="<family>/<name>-vN"):
        load_dataset(bad_id, root=tmp_path)


def test_missing_file_path(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="no dataset file at"):
        load_dataset(tmp_path / "nope.h5")
    with pytest.raises(DatasetNotFoundError):
        Dataset(tmp_path / "nope.h5")
    with pytest.raises(DatasetNotFoundError):
        verify_dataset(tmp_path / "nope.h5")


def test_load_by_id_and_by_path(tmp_path, factory):
    path = dataset_path("test/box-medium-v0", tmp_path)
    factory.write_box(path, [3, 2])
    with load_dataset("test/box-medium-v0", root=tmp_path) as by_id, load_dataset(str(path)) as by_path:
        assert by_id.path == by_path.path == path
        assert by_id.total_steps == 5


# ----------------------------------------------------------------------------- damaged files


def test_truncated_file(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS)
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(size // 2)
    assert_corrupt(path, "truncated")


def test_random_bytes_are_not_a_dataset(tmp_path):
    path = tmp_path / "noise.h5"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    assert_corrupt(path, "cannot be opened as an HDF5 dataset file")


def test_hdf5_file_that_is_not_a_dataset(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as file:
        file["observations"] = np.zeros((3, 2))
    assert_corrupt(path, "not an envsuite dataset")


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_a_bit_flip_in_the_data_is_found_by_the_loader_and_by_verify(tmp_path, factory, compression):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS, compression=compression)
    with h5py.File(path, "r") as file:
        name = "observations" if compression is None else "terminals"  # gzip applies to byte-sized arrays
        info = file[name].id.get_chunk_info(0)
    with open(path, "r+b") as handle:
        handle.seek(info.byte_offset + min(9, info.size - 1))
        byte = handle.read(1)
        handle.seek(info.byte_offset + min(9, info.size - 1))
        handle.write(bytes([byte[0] ^ 0x10]))
    with Dataset(path) as dataset:  # the header is intact, so a lazy open works ...
        assert dataset.total_steps == sum(LENGTHS)
        with pytest.raises(DatasetCorruptError, match=rf"box.h5: cannot read rows .* of '{name}'.*damaged"):
            dataset.episode(0)  # ... until the damaged chunk is read: HDF5's checksum refuses it
    with pytest.raises(DatasetCorruptError, match=rf"box.h5: cannot read rows .* of '{name}'.*damaged"):
        Dataset(path, in_memory=True)
    assert_corrupt(path, rf"cannot read rows .* of '{name}'.*damaged", on_open=False)


def test_modified_array_is_a_content_hash_mismatch(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with h5py.File(path, "r+") as file:
        file["rewards"][3] = 123.0
    assert_corrupt(path, "content hash mismatch.*rewards", on_open=False)


@pytest.mark.parametrize("name", ["env_id", "content_sha256", "observation_space", "total_steps"])
def test_missing_attribute(tmp_path, factory, name):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with h5py.File(path, "r+") as file:
        del file.attrs[name]
    assert_corrupt(path, f"missing the root attribute.*{name}")


@pytest.mark.parametrize("version, match", [(2, "newer envsuite"), (0, "cannot read")])
def test_wrong_format_version(tmp_path, factory, version, match):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with h5py.File(path, "r+") as file:
        file.attrs["format_version"] = np.int64(version)
    assert_corrupt(path, f"format_version {version}.*{match}")


def test_missing_key(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with h5py.File(path, "r+") as file:
        del file["timeouts"]
    assert_corrupt(path, "no 'timeouts' array")


def test_episode_table_inconsistent_with_total_steps(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with h5py.File(path, "r+") as file:
        file["episodes/length"][-1] += 1
    assert_corrupt(path, "episode lengths sum to 25 steps but total_steps is 24")


def test_arrays_inconsistent_with_total_steps(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with h5py.File(path, "r+") as file:
        file.attrs["total_steps"] = np.int64(sum(LENGTHS) + 1)
    assert_corrupt(path, "total_steps is 25")


def test_step_inside_an_episode_with_a_flag_is_found_even_with_a_valid_hash(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with h5py.File(path, "r+") as file:
        file["terminals"][2] = True
    rehash(path, factory)
    assert_corrupt(path, "inconsistent with flags: step 2 is inside episode 0", on_open=False)


def test_episode_end_without_a_flag_is_found_even_with_a_valid_hash(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with h5py.File(path, "r+") as file:
        file["terminals"][7] = False  # episode 1 is the single step 7
        file["timeouts"][7] = False
    rehash(path, factory)
    assert_corrupt(path, "episode 1 ends at step 7 but neither terminals nor timeouts", on_open=False)


def test_episode_return_inconsistent_with_rewards(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS)
    with h5py.File(path, "r+") as file:
        file["episodes/return"][2] += 1.0
    rehash(path, factory)
    assert_corrupt(path, "episode 2 has return", on_open=False)


@pytest.mark.parametrize("where, name, value", [
    ("root", "dataset_id", "test/box-medium-v1"),  # one character: a bit flip in an id
    ("root", "env_id", "envsuite/Hoppe-v0"),
    ("metrics", "return_mean", 1e9),
])
def test_a_changed_attribute_is_found_at_open_and_by_verify(tmp_path, factory, where, name, value):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS, metrics={"return_mean": 1.5})
    with h5py.File(path, "r+") as file:
        attrs = file.attrs if where == "root" else file["metrics"].attrs
        attrs[name] = value
    assert_corrupt(path, "box.h5: .*attributes .* changed after it was written")


def test_the_attributes_digest_follows_its_definition(tmp_path, factory):
    """An oracle written from the definition in content_hash.py: sorted root attributes (but the
    digest itself), then the metrics group's, each as scope, name, type and repr of its value."""
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS, metrics={"return_mean": 1.5, "tq": 0.3})
    with h5py.File(path, "r") as file:
        lines = []
        for scope, attrs in (("root", file.attrs), ("metrics", file["metrics"].attrs)):
            for key in sorted(k for k in attrs if not (scope == "root" and k == "attrs_sha256")):
                value = attrs[key]
                kind = type(value).__name__
                value = value.tolist() if isinstance(value, np.ndarray) else value.item() if isinstance(value, np.generic) else value
                lines.append(f"{scope}\0{key}\0{kind}\0{value!r}\0")
        assert file.attrs["attrs_sha256"] == hashlib.sha256("".join(lines).encode()).hexdigest()


def test_intact_file_verifies(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS)
    report = verify_dataset(path)
    assert report == {
        "path": str(path),
        "dataset_id": "test/box-medium-v0",
        "total_steps": sum(LENGTHS),
        "total_episodes": len(LENGTHS),
        "content_sha256": factory.oracle_content_hash(path),
    }
    assert os.listdir(tmp_path) == ["box.h5"]
