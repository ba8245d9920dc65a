"""The writer never leaves a file at the final path that looks complete (DESIGN.md section 3)."""

from __future__ import annotations

import numpy as np
import pytest

from envsuite.data import Dataset


class Interrupted(Exception):
    pass


def test_exception_inside_with_leaves_neither_final_nor_partial_file(tmp_path, factory):
    path = tmp_path / "nested" / "crash.h5"
    rng = np.random.default_rng(0)
    with pytest.raises(Interrupted):
        with factory.writer(path) as writer:
            for _ in range(3):
                writer.add_episode(**factory.box_episode(rng, 5))
            writer._flush()  # make sure data actually reached the partial file
            assert writer.partial_path.exists()
            raise Interrupted
    assert not path.exists()
    assert not writer.partial_path.exists()
    assert list(path.parent.iterdir()) == []


def test_data_lives_in_the_partial_file_until_finalize(tmp_path, factory):
    path = tmp_path / "a" / "b" / "data.h5"
    rng = np.random.default_rng(0)
    writer = factory.writer(path)
    assert writer.partial_path == tmp_path / "a" / "b" / "data.h5.partial"
    for _ in range(4):
        writer.add_episode(**factory.box_episode(rng, 3))
        assert not path.exists()
        assert writer.partial_path.exists()
    assert writer.finalize() == path
    assert path.exists() and not writer.partial_path.exists()
    with Dataset(path) as dataset:
        assert dataset.total_episodes == 4


def test_abort_discards_the_partial_file(tmp_path, factory):
    path = tmp_path / "aborted.h5"
    writer = factory.writer(path)
    writer.add_episode(**factory.box_episode(np.random.default_rng(0), 3))
    writer.abort()
    assert not path.exists() and not writer.partial_path.exists()
    with pytest.raises(RuntimeError, match="aborted"):
        writer.add_episode(**factory.box_episode(np.random.default_rng(0), 3))


def test_clean_exit_without_finalize_commits_the_file(tmp_path, factory):
    path = tmp_path / "auto.h5"
    with factory.writer(path) as writer:
        writer.add_episode(**factory.box_episode(np.random.default_rng(0), 3))
    assert path.exists() and not writer.partial_path.exists()


def test_finalize_without_episodes_is_refused_and_the_writer_stays_usable(tmp_path, factory):
    path = tmp_path / "empty.h5"
    writer = factory.writer(path)
    with pytest.raises(ValueError, match="no episodes were added"):
        writer.finalize()
    writer.add_episode(**factory.box_episode(np.random.default_rng(0), 3))
    writer.finalize()
    assert path.exists()


def test_finalize_twice_is_an_error(tmp_path, factory):
    writer = factory.writer(tmp_path / "twice.h5")
    writer.add_episode(**factory.box_episode(np.random.default_rng(0), 3))
    writer.finalize()
    with pytest.raises(RuntimeError, match="already finalized"):
        writer.finalize()
    writer.abort()  # does nothing after finalize
    assert (tmp_path / "twice.h5").exists()


def test_a_stale_partial_file_from_a_crash_is_replaced(tmp_path, factory):
    path = tmp_path / "stale.h5"
    (tmp_path / "stale.h5.partial").write_bytes(b"left over by a killed process")
    factory.write_box(path, [3, 2])
    with Dataset(path) as dataset:
        assert dataset.total_episodes == 2
