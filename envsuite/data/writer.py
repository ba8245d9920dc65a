"""`DatasetWriter`: stream episodes into a dataset file (format v1), then commit it atomically.

Where it sits: `datagen` runners (and anyone converting data into envsuite) call this; it builds on
`format.py` (layout, spaces as JSON), `nested.py` (Dict/Tuple observations as HDF5 groups) and
`content_hash.py`. It imports no family and no `datagen`.

How it works (DESIGN.md section 3):

- Everything is written into `<path>.partial`. `finalize()` writes the root attributes, flushes,
  closes and fsyncs the file, renames it onto `<path>` (only if it is still the file written) and fsyncs the folder, so
  a crash never leaves a file at the final path that looks complete. An exception inside
  `with DatasetWriter(...)` (or `abort()`) deletes the partial file instead.
- `add_episode` takes one whole episode. Episodes are buffered up to `buffer_bytes` and then
  appended to resizable, chunked HDF5 datasets in one write per array, so memory stays bounded
  however many episodes are written.
- The content hash is computed while streaming: one running SHA-256 per array, updated with
  each flushed block, combined at finalize (see `content_hash.py` for the definition).
- Files are deterministic: the same episodes and arguments give the same bytes, except the
  `created_utc` attribute.

Example::

    with DatasetWriter(path, dataset_id="locomotion/hopper-medium-v0", env_id="envsuite/Hopper-v0",
                       family="locomotion", observation_space=env.observation_space,
                       action_space=env.action_space, policies=["medium"]) as writer:
        for episode in rollouts:
            writer.add_episode(episode.obs, episode.actions, episode.rewards, episode.terminated,
                               episode.truncated, final_observation=episode.last_obs, seed=episode.seed)
        writer.finalize(metrics={"tq": 0.33})
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import gymnasium
import h5py
import numpy as np
from gymnasium import spaces

from envsuite.data.content_hash import (ATTRS_DIGEST_KEY, ArrayDigest, attributes_sha256, combine_array_digests,
                                        hash_dtype_name, hashed_array_paths)
from envsuite.data.format import (
    EPISODE_INDEX_DTYPE,
    EPISODE_RETURN_DTYPE,
    EPISODES_GROUP,
    FLAG_DTYPE,
    FORMAT_NAME,
    FORMAT_VERSION,
    INFOS_KEY,
    METRICS_GROUP,
    REQUIRED_ATTRS,
    REWARD_DTYPE,
    canonical_json,
    space_to_json,
)
from envsuite.data.nested import flatten, leaf_spaces
from envsuite.data.safe_files import SpaceGuardedFile, create_exclusive, replace_regular, require_free_space

# Episodes are buffered in memory up to this many bytes before one append per array.
DEFAULT_BUFFER_BYTES = 1 << 20
# Rows per chunk aim at this many (uncompressed) bytes: large enough for sequential reads and good
# compression, small enough for HDF5's default 1 MiB chunk cache and for random access.
TARGET_CHUNK_BYTES = 64 * 1024
GZIP_LEVEL = 4
COMPRESSIONS = ("gzip", "lzf", None)
# Bytes one variable-length string element takes in its HDF5 dataset (a heap reference), and a
# rough per-element overhead used to account buffered text.
_TEXT_ROW_BYTES = 16
_TEXT_ELEMENT_OVERHEAD = 64
_INT64_MIN, _INT64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


def utc_timestamp() -> str:
    """`created_utc`: fixed-width ISO 8601, whole seconds (so identical runs give same-size files)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def envsuite_version() -> str:
    """Installed envsuite version, or "0+unknown" when running from a source tree."""
    try:
        return importlib.metadata.version("envsuite")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def is_image_shape(dtype: np.dtype, row_shape: tuple[int, ...]) -> bool:
    """Image columns are uint8 with a per-step shape of 3+ dims (H, W, C / C, H, W / agents, ...)
    or 2-D with both sides >= 16 (grayscale); they are chunked one frame per chunk."""
    if np.dtype(dtype) != np.uint8:
        return False
    return len(row_shape) >= 3 or (len(row_shape) == 2 and min(row_shape) >= 16)


@dataclass
class _Column:
    """One HDF5 dataset the writer appends to, with its rows waiting in the buffer."""

    dataset: h5py.Dataset
    dtype: np.dtype  # numpy dtype of the buffered rows (object for text)
    row_shape: tuple[int, ...]
    is_text: bool
    digest: ArrayDigest
    pending: list[np.ndarray] = field(default_factory=list)
    rows: int = 0  # rows already in the HDF5 dataset


class DatasetWriter:
    """Write a dataset file episode by episode; see the module docstring for the guarantees.

    Args:
        path: final path of the `.h5` file (parent folders are created).
        dataset_id, env_id, family: identity of the dataset, stored as root attributes.
        observation_space, action_space: gymnasium spaces, stored as JSON; data must match their
            structure (Dict keys, Tuple length) and per-step shape (leading axes, such as the agent
            axis of multi-agent data, are allowed).
        env_spec: dict (or gymnasium EnvSpec) describing the environment, stored as JSON.
        recipe: dict of the generation recipe (policies, noise, seeds, sizes), stored as JSON.
        policies: names of the behavior policies; `add_episode(policy=i)` indexes this list.
        ref_min_score, ref_max_score: reference returns for normalized scores (NaN when None).
        compression: "gzip" (default), "lzf" or None for byte-sized arrays (uint8 images, bool
            flags); lossless. Float and wider integer arrays are stored uncompressed (faster to load).
        extra_attrs: more root attributes (dicts and lists are stored as JSON strings).
        overwrite: replace an existing file at `path` on finalize instead of refusing.
        buffer_bytes: how much episode data to hold in memory between appends to the file.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        dataset_id: str,
        env_id: str,
        family: str,
        observation_space: gymnasium.Space,
        action_space: gymnasium.Space,
        env_spec: Mapping | gymnasium.envs.registration.EnvSpec | None = None,
        recipe: Mapping | None = None,
        policies: list[str] | None = None,
        ref_min_score: float | None = None,
        ref_max_score: float | None = None,
        compression: str | None = "gzip",
        extra_attrs: Mapping[str, Any] | None = None,
        overwrite: bool = False,
        buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    ):
        self.path = Path(path).expanduser()
        self.partial_path = self.path.with_name(self.path.name + ".partial")
        if self.path.exists() and not overwrite:
            raise FileExistsError(f"dataset file {self.path} already exists; delete it or pass overwrite=True "
                                  "to replace it when the new one is finalized")
        if compression not in COMPRESSIONS:
            raise ValueError(f"compression={compression!r} is not one of {COMPRESSIONS}")
        if buffer_bytes < 0:
            raise ValueError(f"buffer_bytes must be >= 0, got {buffer_bytes}")
        for name, value in (("dataset_id", dataset_id), ("env_id", env_id), ("family", family)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty str, got {value!r}")
        self.policies = list(policies) if policies is not None else []
        if not all(isinstance(name, str) for name in self.policies):
            raise ValueError(f"policies must be a list of str names, got {policies!r}")

        self.dataset_id = dataset_id
        self.observation_space = observation_space
        self.action_space = action_space
        self._overwrite = overwrite
        self._compression = compression
        self._buffer_bytes = buffer_bytes
        self._observation_leaf_spaces = leaf_spaces(observation_space, "observations")
        self._action_leaf_spaces = leaf_spaces(action_space, "actions")
        # Everything that can be rejected is checked now, before the file exists.
        self._identity_attrs: dict[str, Any] = {
            "format": FORMAT_NAME,
            "format_version": np.int64(FORMAT_VERSION),
            "dataset_id": dataset_id,
            "env_id": env_id,
            "family": family,
            "observation_space": space_to_json(observation_space),
            "action_space": space_to_json(action_space),
            "env_spec": _env_spec_json(env_spec),
            "recipe": canonical_json(dict(recipe) if recipe is not None else None),
            "policies": canonical_json(self.policies),
            "ref_min_score": np.float64(math.nan if ref_min_score is None else ref_min_score),
            "ref_max_score": np.float64(math.nan if ref_max_score is None else ref_max_score),
        }
        self._extra_attrs = encode_attrs(extra_attrs or {}, "extra_attrs")
        reserved = sorted(set(self._extra_attrs) & set(REQUIRED_ATTRS))
        if reserved:
            raise ValueError(f"extra_attrs may not set the format's own attributes {reserved}")

        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Created exclusively (never through a symlink planted at the .partial name) and written through
        # a guard that turns a full disk into an error we raise, instead of an HDF5 crash (safe_files.py).
        self._guard = SpaceGuardedFile(create_exclusive(self.partial_path), self.partial_path)
        try:
            self._file = h5py.File(self._guard, "w")
        except BaseException:
            self.partial_path.unlink(missing_ok=True)
            self._guard.close()
            raise
        self._columns: dict[str, _Column] | None = None  # created from the first episode
        self._buffered_bytes = 0
        self._total_steps = 0
        self._total_episodes = 0
        self._state = "open"  # -> "finalized" | "aborted"

    # ---------------------------------------------------------------- context manager, state

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if exc_type is not None:
            self.abort()
        elif self._state == "open":
            # A clean exit commits what was written, like closing a file.
            try:
                self.finalize()
            except BaseException:
                self.abort()
                raise
        return False

    @property
    def total_steps(self) -> int:
        return self._total_steps

    @property
    def total_episodes(self) -> int:
        return self._total_episodes

    def _require_open(self, action: str) -> None:
        if self._state != "open":
            raise RuntimeError(f"cannot {action}: the writer of {self.path} is already {self._state}")

    # ---------------------------------------------------------------- episodes

    def add_episode(
        self,
        observations: Any,
        actions: Any,
        rewards: Any,
        terminals: Any,
        timeouts: Any,
        *,
        final_observation: Any,
        seed: int,
        policy: int = 0,
        infos: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one whole episode of T >= 1 steps.

        observations, actions: arrays (T, ...) in the dtype to store, or nested dicts/tuples of
            them for Dict/Tuple spaces; text as str arrays or lists of str.
        rewards: (T,) numbers, stored as float32 (must be finite).
        terminals, timeouts: (T,) bools. Only the last step ends the episode and it must: set
            terminals=True on a true termination, timeouts=True on a time limit or an episode cut
            by a size budget (both may be true).
        final_observation: the observation after the last step (same structure, no T axis); it
            makes `next_observations` exact at timeouts.
        seed: the episode's reset seed; policy: index into `policies`.
        infos: optional dict (nested dicts allowed) of per-step arrays (T, ...); every episode
            must carry the same keys.
        The episode is validated completely before anything is buffered: on ValueError the
        writer is unchanged and can take the next episode.
        """
        self._require_open("add_episode")
        where = f"{self.dataset_id} episode {self._total_episodes}"

        rewards = _as_numeric_array(rewards, f"{where}: rewards")
        if rewards.ndim != 1 or rewards.shape[0] == 0:
            raise ValueError(f"{where}: rewards must have shape (T,) with T >= 1, got {rewards.shape}")
        length = rewards.shape[0]
        stored_rewards = rewards.astype(REWARD_DTYPE)
        if not np.all(np.isfinite(stored_rewards)):
            bad = int(np.flatnonzero(~np.isfinite(stored_rewards))[0])
            raise ValueError(f"{where}: reward at step {bad} is {rewards[bad]} (not finite as float32); "
                             "datasets store finite float32 rewards")
        terminals = _as_flags(terminals, f"{where}: terminals", length)
        timeouts = _as_flags(timeouts, f"{where}: timeouts", length)
        ends = terminals | timeouts
        if ends[:-1].any():
            step = int(np.flatnonzero(ends[:-1])[0])
            raise ValueError(f"{where}: step {step} of {length} has terminals or timeouts set, but only the last "
                             "step may end an episode; pass each episode in its own add_episode call")
        if not ends[-1]:
            raise ValueError(f"{where}: the last step has neither terminals nor timeouts set; mark an episode "
                             "cut by a time limit or a size budget with timeouts=True on its last step")
        seed = _as_int64(seed, f"{where}: seed")
        policy = _as_int64(policy, f"{where}: policy")
        if policy < 0 or (self.policies and policy >= len(self.policies)):
            raise ValueError(f"{where}: policy index {policy} is not an index into policies={self.policies}")

        rows: dict[str, np.ndarray] = {}
        rows.update(self._step_leaves(observations, "observations", length, where))
        rows.update(self._step_leaves(actions, "actions", length, where))
        rows["rewards"] = stored_rewards
        rows["terminals"] = terminals
        rows["timeouts"] = timeouts
        if infos is not None:
            if not isinstance(infos, Mapping):
                raise ValueError(f"{where}: infos must be a dict of per-step arrays, got {type(infos).__name__}")
            if infos:
                rows.update(self._step_leaves(dict(infos), INFOS_KEY, length, where))
        if self._columns is None:
            self._check_against_spaces(rows, where)
        rows.update(self._final_observation_rows(final_observation, rows, where))
        table = f"{EPISODES_GROUP}/"
        rows[table + "start"] = np.array([self._total_steps], dtype=EPISODE_INDEX_DTYPE)
        rows[table + "length"] = np.array([length], dtype=EPISODE_INDEX_DTYPE)
        rows[table + "return"] = np.array([stored_rewards.sum(dtype=np.float64)], dtype=EPISODE_RETURN_DTYPE)
        rows[table + "seed"] = np.array([seed], dtype=EPISODE_INDEX_DTYPE)
        rows[table + "policy"] = np.array([policy], dtype=EPISODE_INDEX_DTYPE)

        for path, block in rows.items():
            if 0 in block.shape[1:]:
                raise ValueError(f"{where}: one step of {path} has an empty shape {block.shape[1:]}; "
                                 "HDF5 chunks cannot be empty, leave the key out instead")
        if self._columns is not None:
            rows = self._match_columns(rows, where)

        # Validation is complete; from here on the episode is accepted.
        if self._columns is None:
            # Sorted, so that the file layout does not depend on the caller's dict order.
            self._columns = {path: self._create_column(path, rows[path]) for path in sorted(rows)}
        for path, block in rows.items():
            column = self._columns[path]
            # Copy: the caller may reuse its arrays (e.g. a preallocated rollout buffer) before the flush.
            column.pending.append(block.copy())
            self._buffered_bytes += _buffered_size(block, column.is_text)
        self._total_steps += length
        self._total_episodes += 1
        if self._buffered_bytes >= self._buffer_bytes:
            self._flush()

    def _step_leaves(self, tree: Any, prefix: str, length: int, where: str) -> dict[str, np.ndarray]:
        leaves = {}
        for path, value in flatten(tree, prefix).items():
            block = _as_leaf_array(value, f"{where}: {path}")
            if block.ndim == 0 or block.shape[0] != length:
                raise ValueError(f"{where}: {path} has shape {block.shape}, expected ({length}, ...) "
                                 f"to match the {length} rewards")
            leaves[path] = block
        return leaves

    def _final_observation_rows(self, final_observation: Any, rows: dict[str, np.ndarray],
                                where: str) -> dict[str, np.ndarray]:
        prefix = f"{EPISODES_GROUP}/final_observation"
        final_leaves = flatten(final_observation, prefix)
        observation_paths = sorted(path for path in rows if path == "observations" or path.startswith("observations/"))
        expected = sorted(prefix + path[len("observations"):] for path in observation_paths)
        if sorted(final_leaves) != expected:
            raise ValueError(f"{where}: final_observation has leaves {sorted(final_leaves)} but the observations "
                             f"have {observation_paths}; it must be one observation of the same structure")
        out = {}
        for path, value in final_leaves.items():
            observation_block = rows["observations" + path[len(prefix):]]
            block = _as_leaf_array(value, f"{where}: {path}")[np.newaxis]
            if block.shape[1:] != observation_block.shape[1:]:
                raise ValueError(f"{where}: {path} has shape {block.shape[1:]} but one observation has shape "
                                 f"{observation_block.shape[1:]}")
            out[path] = _cast_like(block, observation_block.dtype, f"{where}: {path}")
        return out

    def _check_against_spaces(self, rows: dict[str, np.ndarray], where: str) -> None:
        """First episode: the data must have the structure and per-step shapes of the spaces."""
        checks = (("observations", self.observation_space, self._observation_leaf_spaces),
                  ("actions", self.action_space, self._action_leaf_spaces))
        for prefix, whole_space, expected in checks:
            given = sorted(path for path in rows if path == prefix or path.startswith(prefix + "/"))
            if given != sorted(expected):
                raise ValueError(f"{where}: {prefix} has leaves {given} but its space {whole_space} "
                                 f"has {sorted(expected)}")
            for path, space in expected.items():
                block = rows[path]
                is_text = block.dtype == object
                if isinstance(space, spaces.Text) != is_text:
                    raise ValueError(f"{where}: {path} is {'text' if is_text else 'numeric'} but its space is {space}")
                shape = tuple(space.shape) if space.shape is not None else None
                if shape is not None and not isinstance(space, spaces.Text):
                    row_shape = block.shape[1:]
                    if len(row_shape) < len(shape) or row_shape[len(row_shape) - len(shape):] != shape:
                        raise ValueError(f"{where}: one step of {path} has shape {row_shape}, which does not end "
                                         f"with the shape {shape} of its space {space}")

    def _match_columns(self, rows: dict[str, np.ndarray], where: str) -> dict[str, np.ndarray]:
        """Later episodes: same arrays, per-step shapes and dtypes as the first one."""
        assert self._columns is not None
        missing = sorted(set(self._columns) - set(rows))
        extra = sorted(set(rows) - set(self._columns))
        if missing or extra:
            raise ValueError(f"{where}: every episode must carry the same arrays as the first; "
                             f"missing {missing}, unexpected {extra}")
        matched = {}
        for path, block in rows.items():
            column = self._columns[path]
            if block.shape[1:] != column.row_shape:
                raise ValueError(f"{where}: one step of {path} has shape {block.shape[1:]}, earlier episodes "
                                 f"have {column.row_shape}")
            if (block.dtype == object) != column.is_text:
                raise ValueError(f"{where}: {path} is {'text' if block.dtype == object else 'numeric'} "
                                 "but earlier episodes stored the other kind")
            matched[path] = block if column.is_text else _cast_like(block, column.dtype, f"{where}: {path}")
        return matched

    # ---------------------------------------------------------------- file

    def _create_column(self, path: str, block: np.ndarray) -> _Column:
        row_shape = tuple(block.shape[1:])
        is_text = block.dtype == object
        if is_text:
            hdf5_dtype = h5py.string_dtype("utf-8")
            row_bytes = _TEXT_ROW_BYTES * int(np.prod(row_shape, dtype=np.int64))
        else:
            hdf5_dtype = block.dtype
            row_bytes = block.dtype.itemsize * int(np.prod(row_shape, dtype=np.int64))
        if is_image_shape(block.dtype, row_shape):
            chunk_rows = 1
        else:
            chunk_rows = max(1, TARGET_CHUNK_BYTES // max(row_bytes, 1))
        # Fletcher-32 checksums on every chunk of numbers: HDF5 itself then refuses to read a chunk
        # whose bytes changed on disk (a bit flip), so the loader, not only `verify`, names the damage.
        # (HDF5 cannot checksum variable-length text: text is covered by the content hash.)
        options: dict[str, Any] = {} if is_text else {"fletcher32": True}
        # Only byte-sized data (uint8 images, flags, masks) is compressed: it shrinks several-fold.
        # Float and wide-integer columns shrank about 20 % under gzip + shuffle (Hopper, 1M steps:
        # 48.7 MB vs 62.7 MB) but decompressing them made a full load 6x slower (0.35 s vs 0.05 s).
        if not is_text and block.dtype.itemsize == 1:
            if self._compression == "gzip":
                options.update(compression="gzip", compression_opts=GZIP_LEVEL)
            elif self._compression == "lzf":
                options.update(compression="lzf")
        dataset = self._file.create_dataset(
            path,
            shape=(0, *row_shape),
            maxshape=(None, *row_shape),
            chunks=(chunk_rows, *row_shape),
            dtype=hdf5_dtype,
            track_times=False,  # timestamps would make identical runs give different files
            **options,
        )
        return _Column(dataset=dataset, dtype=block.dtype, row_shape=row_shape, is_text=is_text,
                       digest=ArrayDigest(is_text=is_text))

    def _raise_if_disk_full(self) -> None:
        """The disk-full error the guarded file recorded, raised (the file is lost: the caller aborts)."""
        if self._guard.error is not None:
            error = self._guard.error
            raise OSError(error.errno, f"{error.strerror}: writing {self.partial_path} failed, the dataset was "
                          "not written", str(self.partial_path))

    def _flush(self) -> None:
        """Append every buffered block to its HDF5 dataset (one write per array) and hash it."""
        if self._buffered_bytes:
            require_free_space(self.partial_path.parent, 0, f"writing {self.partial_path}")
        for column in (self._columns or {}).values():
            if not column.pending:
                continue
            block = column.pending[0] if len(column.pending) == 1 else np.concatenate(column.pending, axis=0)
            column.pending.clear()
            column.digest.update(block)
            new_rows = column.rows + block.shape[0]
            column.dataset.resize(new_rows, axis=0)
            column.dataset[column.rows:new_rows] = block
            column.rows = new_rows
        self._buffered_bytes = 0
        self._raise_if_disk_full()

    def finalize(self, metrics: Mapping[str, Any] | None = None) -> Path:
        """Write the metadata, hash and metrics, then atomically move the file to `path`.

        metrics: dict stored as attributes of the `metrics` group (nested dicts and non-numeric
        lists become JSON strings, numeric lists and arrays stay arrays).
        Returns the final path. If anything fails after the checks, the partial file is deleted.
        """
        self._require_open("finalize")
        if self._total_episodes == 0:
            raise ValueError(f"no episodes were added to {self.partial_path}; add at least one with "
                             "add_episode() or call abort() to discard the file")
        metric_attrs = encode_attrs(metrics or {}, "metrics")
        if self.path.exists() and not self._overwrite:
            raise FileExistsError(f"dataset file {self.path} appeared while writing; the new data is still in "
                                  f"{self.partial_path}: move the old file away and call finalize() again, or "
                                  "call abort() to discard the new data")
        try:
            self._flush()
            assert self._columns is not None
            entries = []
            for path in hashed_array_paths(self._file):
                column = self._columns.get(path)
                if column is None:
                    raise RuntimeError(f"{self.partial_path} holds {path}, which the writer did not create")
                entries.append((path, hash_dtype_name(column.dataset.dtype), column.dataset.shape,
                                column.digest.digest()))
                # Per-array digests let `verify_dataset` name the damaged array.
                column.dataset.attrs["sha256"] = column.digest.hexdigest()
            attrs = self._file.attrs
            for name, value in self._identity_attrs.items():
                attrs[name] = value
            attrs["total_steps"] = np.int64(self._total_steps)
            attrs["total_episodes"] = np.int64(self._total_episodes)
            attrs["envsuite_version"] = envsuite_version()
            attrs["content_sha256"] = combine_array_digests(entries)
            attrs["created_utc"] = utc_timestamp()
            for name, value in self._extra_attrs.items():
                attrs[name] = value
            metrics_group = self._file.create_group(METRICS_GROUP)
            for name, value in metric_attrs.items():
                metrics_group.attrs[name] = value
            # last: the digest of every attribute as it reads back from the file
            attrs[ATTRS_DIGEST_KEY] = attributes_sha256(attrs, metrics_group.attrs)
            self._file.flush()
            self._raise_if_disk_full()
            self._file.close()
            self._raise_if_disk_full()
            self._guard.fsync()
            # rename only the file we wrote, not whatever may have been put at the .partial name since
            replace_regular(self._guard.fileno(), self.partial_path, self.path)
            self._guard.close()
            _fsync_directory(self.path.parent)
        except BaseException:
            self.abort()
            raise
        self._state = "finalized"
        return self.path

    def abort(self) -> None:
        """Discard everything: close and delete the partial file. Does nothing after finalize()."""
        if self._state != "open":
            return
        self._state = "aborted"
        self._columns = None
        # unlinked first (only if it is still our file): closing flushes HDF5's cache into the
        # unlinked inode, or into the guard that discards it on a full disk, never onto a name
        try:
            named, opened = os.lstat(self.partial_path), os.fstat(self._guard.fileno())
            if (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino):
                self.partial_path.unlink()
        except (FileNotFoundError, ValueError, OSError):
            pass
        try:
            self._file.close()
        except Exception:  # noqa: BLE001 - the file is being thrown away; a close error changes nothing
            pass
        self._guard.close()


# -------------------------------------------------------------------- conversions and checks


def _as_leaf_array(value: Any, what: str) -> np.ndarray:
    """A per-step (or single) array to store: numbers little-endian, text as an object array of str."""
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind in "biufc":
        return array.astype(array.dtype.newbyteorder("<"), copy=False) if array.dtype.byteorder == ">" else array
    if kind in "UO":
        text = array.astype(object)
        for element in text.ravel():
            if not isinstance(element, str):
                raise ValueError(f"{what} holds a {type(element).__name__} ({element!r}); text arrays must "
                                 "contain only str, numeric arrays a numeric dtype")
            try:
                element.encode("utf-8")
            except UnicodeEncodeError as error:
                raise ValueError(f"{what} holds text that is not valid UTF-8 ({error})") from None
        return text
    if kind == "S":
        raise ValueError(f"{what} is a bytes array ({array.dtype}); store text as str (it is written as UTF-8)")
    raise ValueError(f"{what} has dtype {array.dtype}, which a dataset cannot store; use numbers or str")


def _as_numeric_array(value: Any, what: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{what} must be numeric, got dtype {array.dtype}")
    return array


def _as_flags(value: Any, what: str, length: int) -> np.ndarray:
    array = np.asarray(value)
    if array.shape != (length,):
        raise ValueError(f"{what} has shape {array.shape}, expected ({length},) to match the rewards")
    if array.dtype == np.bool_:
        return array
    if array.dtype.kind in "iu" and np.all((array == 0) | (array == 1)):
        return array.astype(FLAG_DTYPE)
    raise ValueError(f"{what} must be bools (or 0/1 integers), got dtype {array.dtype}")


def _as_int64(value: Any, what: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{what} must be an int, got {value!r}")
    value = int(value)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"{what}={value} does not fit in int64")
    return value


def _cast_like(block: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    """Cast to the column's dtype: floats may round, integers and bools must keep their values."""
    if block.dtype == dtype:
        return block
    if dtype == object or block.dtype == object:
        raise ValueError(f"{what} mixes text and numbers: expected dtype {dtype}, got {block.dtype}")
    if (dtype.kind == "f" and block.dtype.kind in "biuf") or (dtype.kind == "c" and block.dtype.kind in "biufc"):
        return block.astype(dtype)
    if dtype.kind in "biu" and block.dtype.kind in "biu":
        cast = block.astype(dtype)
        if np.array_equal(cast.astype(block.dtype), block):
            return cast
    raise ValueError(f"{what} has dtype {block.dtype}, which cannot be stored losslessly as the column's "
                     f"dtype {dtype} (set by the first episode); cast it before add_episode")


def _buffered_size(block: np.ndarray, is_text: bool) -> int:
    if is_text:
        return sum(len(element) for element in block.ravel()) + _TEXT_ELEMENT_OVERHEAD * block.size
    return block.nbytes


def _env_spec_json(env_spec: Any) -> str:
    if env_spec is None:
        return canonical_json(None)
    if isinstance(env_spec, gymnasium.envs.registration.EnvSpec):
        return canonical_json(json.loads(env_spec.to_json()))
    if isinstance(env_spec, Mapping):
        return canonical_json(dict(env_spec))
    raise ValueError(f"env_spec must be a dict or a gymnasium EnvSpec, got {type(env_spec).__name__}")


def encode_attrs(values: Mapping[str, Any], what: str) -> dict[str, Any]:
    """HDF5-attribute-ready values: numbers, str and numeric arrays as they are; dicts and
    non-numeric lists as JSON strings (decoded again by the reader)."""
    if not isinstance(values, Mapping):
        raise ValueError(f"{what} must be a dict, got {type(values).__name__}")
    encoded = {}
    for name, value in values.items():
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"{what} key {name!r} must be a non-empty str without '/'")
        if value is None:
            raise ValueError(f"{what}[{name!r}] is None; leave the key out or store NaN")
        if isinstance(value, (bool, np.bool_)):
            encoded[name] = np.bool_(value)
        elif isinstance(value, (numbers.Number, np.generic, str)):
            encoded[name] = value
        elif isinstance(value, (np.ndarray, list, tuple)) and _is_numeric_array(value):
            encoded[name] = np.asarray(value)
        else:
            try:
                encoded[name] = canonical_json(value)
            except (TypeError, ValueError) as error:
                raise ValueError(f"{what}[{name!r}] cannot be stored: {error}") from None
    return encoded


def _is_numeric_array(value: Any) -> bool:
    try:
        array = np.asarray(value)
    except ValueError:  # ragged lists
        return False
    return array.ndim >= 1 and array.size > 0 and array.dtype.kind in "biuf"


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable. Not every platform can open a folder (Windows); skip it there."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
