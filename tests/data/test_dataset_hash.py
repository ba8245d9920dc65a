"""content_sha256: equal to an independent recomputation, streaming-invariant, reproducible."""

from __future__ import annotations

import hashlib

import h5py
import numpy as np

import envsuite.data.writer as writer_module
from envsuite.data import Dataset, verify_dataset
from envsuite.data.content_hash import ArrayDigest

LENGTHS = [7, 1, 4, 9, 3]


def stored_hash(path):
    with h5py.File(path, "r") as file:
        return file.attrs["content_sha256"]


def test_hash_equals_an_independent_recomputation(tmp_path, factory):
    path, _ = factory.write_box(tmp_path / "box.h5", LENGTHS, metrics={"tq": 1.0})
    oracle = factory.oracle_content_hash(path)
    assert stored_hash(path) == oracle
    assert verify_dataset(path)["content_sha256"] == oracle


def test_hash_of_dict_image_text_and_infos_equals_the_oracle(tmp_path, factory):
    path, _ = factory.write_dict(tmp_path / "dict.h5", [3, 5, 2])
    assert stored_hash(path) == factory.oracle_content_hash(path)


def test_hash_does_not_depend_on_how_episodes_were_buffered(tmp_path, factory):
    flushed_every_episode, _ = factory.write_box(tmp_path / "a.h5", LENGTHS, buffer_bytes=0)
    buffered, _ = factory.write_box(tmp_path / "b.h5", LENGTHS, buffer_bytes=1 << 30)
    uncompressed, _ = factory.write_box(tmp_path / "c.h5", LENGTHS, compression=None)
    assert stored_hash(flushed_every_episode) == stored_hash(buffered) == stored_hash(uncompressed)


def test_streamed_digest_equals_the_digest_of_the_whole_array():
    rng = np.random.default_rng(0)
    whole = rng.normal(size=(50, 3)).astype(np.float32)
    streamed = ArrayDigest(is_text=False)
    for block in np.split(whole, [1, 7, 30]):
        streamed.update(block)
    assert streamed.digest() == hashlib.sha256(whole.tobytes()).digest()
    text = np.array(["a", "ünï", "", "longer text"], dtype=object)
    streamed_text = ArrayDigest(is_text=True)
    streamed_text.update(text[:1])
    streamed_text.update(text[1:])
    expected = b"".join(len(s.encode()).to_bytes(8, "little") + s.encode() for s in text)
    assert streamed_text.digest() == hashlib.sha256(expected).digest()


def test_identical_content_gives_identical_hash_and_identical_files(tmp_path, factory, monkeypatch):
    first, _ = factory.write_box(tmp_path / "first.h5", LENGTHS, metrics={"tq": 0.5})
    second, _ = factory.write_box(tmp_path / "second.h5", LENGTHS, metrics={"tq": 0.5})
    assert stored_hash(first) == stored_hash(second)
    # created_utc is the only field allowed to differ: pin it and the files are byte-identical.
    with h5py.File(first, "r") as file:
        created = file.attrs["created_utc"]
    monkeypatch.setattr(writer_module, "utc_timestamp", lambda: created)
    third, _ = factory.write_box(tmp_path / "third.h5", LENGTHS, metrics={"tq": 0.5})
    assert first.read_bytes() == third.read_bytes()


def test_different_content_gives_a_different_hash(tmp_path, factory):
    first, _ = factory.write_box(tmp_path / "first.h5", LENGTHS, seed=0)
    other_values, _ = factory.write_box(tmp_path / "second.h5", LENGTHS, seed=1)
    # Same steps, split into episodes differently.
    other_split, _ = factory.write_box(tmp_path / "third.h5", [8, 4, 9, 3], seed=0)
    assert len({stored_hash(first), stored_hash(other_values), stored_hash(other_split)}) == 3


def test_attributes_are_not_part_of_the_hash(tmp_path, factory):
    first, _ = factory.write_box(tmp_path / "first.h5", LENGTHS, metrics={"tq": 0.5})
    second, _ = factory.write_box(tmp_path / "second.h5", LENGTHS, metrics={"tq": 0.9},
                                  dataset_id="test/other-v0", env_id="CartPole-v0")
    assert stored_hash(first) == stored_hash(second)
    with Dataset(second) as dataset:
        assert dataset.content_sha256 == stored_hash(first)
