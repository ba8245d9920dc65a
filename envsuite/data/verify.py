"""`verify_dataset`: prove a dataset file is complete and unmodified, in constant memory.

Where it sits: behind `envsuite-datagen verify` (DESIGN.md section 4) and usable directly. It
builds on `reader.py` (the same header checks as opening a `Dataset`) and `content_hash.py` (the
hash definition shared with the writer), and imports no family.

Checks, in order, each failing with `DatasetCorruptError` naming the file and the fault:
1. the file opens as HDF5 (not truncated, not random bytes);
2. the header: format, format_version, required attributes, array shapes, episode table;
3. the content hash, recomputed by streaming every array in blocks of rows; when it differs, the
   per-array digests the writer recorded name the damaged array(s);
4. the episode table against the flags: every episode's last step has terminals or timeouts set
   and no earlier step does; and each stored episode return matches its rewards.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from envsuite.data.content_hash import ArrayDigest, combine_array_digests, hash_dtype_name, hashed_array_paths
from envsuite.data.format import EPISODES_GROUP, DatasetCorruptError
from envsuite.data.reader import DatasetHeader, episode_blocks, open_hdf5, read_header

# Rows are read in blocks of about this many bytes, so memory stays flat for any file size.
VERIFY_BLOCK_BYTES = 4 << 20
# Memory one text element takes once read (a Python bytes object), for sizing blocks.
_TEXT_ELEMENT_BYTES = 100
# Bytes per step of (rewards, terminals, timeouts) read when checking episodes.
_EPISODE_CHECK_STEP_BYTES = 4 + 1 + 1
# A stored return may differ from a recomputed one by the order of float64 summation only.
_RETURN_RTOL = 1e-7
_RETURN_ATOL = 1e-6


def verify_dataset(path: str | os.PathLike) -> dict[str, Any]:
    """Check a dataset file completely; return a report (path, dataset_id, total_steps,
    total_episodes, content_sha256) or raise DatasetCorruptError saying what is wrong."""
    path = Path(path).expanduser()
    file = open_hdf5(path)
    try:
        header = read_header(file, path)
        computed = _content_hash(file, path, header)
        _check_episodes(file, path, header)
    except DatasetCorruptError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError, IndexError) as error:
        # damage past the header that h5py reports in its own words (a broken b-tree, a bad chunk)
        raise DatasetCorruptError(f"{path}: cannot read the file ({type(error).__name__}: {error}); the file is "
                                  "damaged: regenerate it") from error
    finally:
        file.close()
    return {
        "path": str(path),
        "dataset_id": header.attrs["dataset_id"],
        "total_steps": header.total_steps,
        "total_episodes": header.total_episodes,
        "content_sha256": computed,
    }


def _content_hash(file: h5py.File, path: Path, header: DatasetHeader) -> str:
    entries = []
    damaged = []
    for name in hashed_array_paths(file):
        dataset = file[name]
        try:
            dtype_name = hash_dtype_name(dataset.dtype)
        except ValueError as error:
            raise DatasetCorruptError(f"{path}: '{name}' cannot be part of a format v1 dataset ({error})") from None
        digest = ArrayDigest(is_text=dtype_name == "vlen-utf8")
        for begin, end in _row_blocks(dataset):
            try:
                digest.update(dataset[begin:end])
            except OSError as error:
                raise DatasetCorruptError(f"{path}: cannot read rows {begin}:{end} of '{name}' ({error}); "
                                          "the file is damaged: regenerate it") from error
        entries.append((name, dtype_name, dataset.shape, digest.digest()))
        recorded = dataset.attrs.get("sha256")
        if recorded is not None and recorded != digest.hexdigest():
            damaged.append(name)
    computed = combine_array_digests(entries)
    stored = header.attrs["content_sha256"]
    if computed != stored:
        where = f"; the data of {', '.join(damaged)} changed" if damaged else ""
        raise DatasetCorruptError(
            f"{path}: content hash mismatch (stored {stored}, computed {computed}){where}. The file was modified "
            f"or damaged after it was written: regenerate it with envsuite-datagen generate {header.attrs['dataset_id']}"
        )
    return computed


def _row_blocks(dataset: h5py.Dataset) -> list[tuple[int, int]]:
    """Row ranges of about VERIFY_BLOCK_BYTES, aligned to whole chunks when the chunks are smaller."""
    if dataset.ndim == 0:
        raise DatasetCorruptError(f"{dataset.file.filename}: '{dataset.name}' is a scalar; format v1 arrays have rows")
    rows = dataset.shape[0]
    # Text reads as one Python bytes object per element: budget generously for it.
    element_bytes = _TEXT_ELEMENT_BYTES if h5py.check_string_dtype(dataset.dtype) is not None else dataset.dtype.itemsize
    row_bytes = max(1, int(np.prod(dataset.shape[1:], dtype=np.int64)) * max(element_bytes, 1))
    step = max(1, VERIFY_BLOCK_BYTES // row_bytes)
    if dataset.chunks is not None and dataset.chunks[0] <= step:
        step -= step % dataset.chunks[0]
    return [(begin, min(begin + step, rows)) for begin in range(0, rows, step)]


def _check_episodes(file: h5py.File, path: Path, header: DatasetHeader) -> None:
    starts, lengths = header.episode_starts, header.episode_lengths
    returns = file[f"{EPISODES_GROUP}/return"][()]
    max_steps = max(1, VERIFY_BLOCK_BYTES // _EPISODE_CHECK_STEP_BYTES)
    for first, stop in episode_blocks(lengths, max_steps):
        block_start = int(starts[first])
        block_stop = int(starts[stop - 1] + lengths[stop - 1])
        try:
            rewards = file["rewards"][block_start:block_stop]
            ends = file["terminals"][block_start:block_stop] | file["timeouts"][block_start:block_stop]
        except OSError as error:
            raise DatasetCorruptError(f"{path}: cannot read steps {block_start}:{block_stop} ({error}); the file "
                                      "is damaged: regenerate it") from error
        last_steps = starts[first:stop] + lengths[first:stop] - 1 - block_start
        expected = np.zeros(block_stop - block_start, dtype=bool)
        expected[last_steps] = True
        wrong = np.flatnonzero(ends != expected)
        if wrong.size:
            step = block_start + int(wrong[0])
            episode = int(np.searchsorted(starts, step, side="right") - 1)
            if expected[wrong[0]]:
                raise DatasetCorruptError(f"{path}: episode table inconsistent with flags: episode {episode} ends at "
                                          f"step {step} but neither terminals nor timeouts is set there")
            raise DatasetCorruptError(f"{path}: episode table inconsistent with flags: step {step} is inside episode "
                                      f"{episode} (steps {int(starts[episode])}..{int(starts[episode] + lengths[episode] - 1)}) "
                                      "but has terminals or timeouts set; only an episode's last step may")
        sums = np.add.reduceat(rewards.astype(np.float64), starts[first:stop] - block_start)
        mismatch = np.flatnonzero(~np.isclose(sums, returns[first:stop], rtol=_RETURN_RTOL, atol=_RETURN_ATOL))
        if mismatch.size:
            episode = first + int(mismatch[0])
            raise DatasetCorruptError(f"{path}: episode table inconsistent with rewards: episode {episode} has "
                                      f"return {returns[episode]} but its rewards sum to {sums[mismatch[0]]}")
