"""`load_dataset` and `Dataset`: read a dataset file (format v1) lazily or into memory.

Where it sits: the user-facing side of `envsuite.data` (DESIGN.md section 3). Agent code, the
families' `get_dataset()` and converters to other libraries call `load_dataset`; `verify.py`
reuses its header checks. It builds on `format.py` and `nested.py` and imports no family (the
environment is only created on request, by `Dataset.env()`).

Access patterns:

- `dataset.observations`, `.actions`, `.rewards`, ... are h5py datasets (lazy: slicing reads from
  disk) or numpy arrays with `in_memory=True`. Dict/Tuple spaces give dicts/tuples of them; text
  reads as str.
- `dataset.episodes()` yields `Episode`s, reading a block of episodes per HDF5 read.
- `dataset.transitions()` gives D4RL `qlearning_dataset` keys for every step, with
  `next_observations` exact at the end of every episode (it is the stored final observation), so
  no step is dropped and timeouts are not bootstrapped from the next episode's first state.
- `dataset.sample(batch_size, rng)` draws transitions uniformly.
- `dataset["observations"]`: a Dataset is also a read-only mapping of D4RL's `get_dataset()` keys
  (`D4RL_KEYS`: observations, actions, rewards, terminals, timeouts; `keys()`, `items()`, `in`,
  iteration over the keys), each a numpy array, so D4RL code (`env.get_dataset()["rewards"]`,
  `d4rl.qlearning_dataset(env)`, `MDPDataset(**dataset)`) runs unchanged. `len(dataset)` stays the
  number of steps, not the number of keys.

Opening checks the header (format, version, attributes, array shapes, episode table) and raises
`DatasetCorruptError` naming the file and the fault; `verify_dataset` also checks the content hash.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium
import h5py
import numpy as np
from gymnasium import spaces

from envsuite.data.content_hash import ATTRS_DIGEST_KEY, attributes_sha256
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
    DatasetCorruptError,
    DatasetError,
    DatasetNotFoundError,
    space_from_json,
)
from envsuite.data.nested import leaf_spaces, map_structure, read_structure
from envsuite.paths import data_dir, dataset_path

# `episodes()` reads consecutive episodes in blocks of about this many bytes of step data.
EPISODE_BLOCK_BYTES = 8 << 20
# Bytes assumed per text element when sizing blocks.
TEXT_ELEMENT_BYTES = 64
FINAL_OBSERVATION = f"{EPISODES_GROUP}/final_observation"
# The keys of D4RL's `env.get_dataset()` that a Dataset maps (the same as `convert.to_d4rl`).
D4RL_KEYS = ("observations", "actions", "rewards", "terminals", "timeouts")
DATASET_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9][A-Za-z0-9_.\-]*-v[0-9]+$")


@dataclass
class Episode:
    """One episode: per-step arrays of length T, the observation after the last step, and the
    episode-table entries (`return_` has a trailing underscore because `return` is a keyword)."""

    index: int
    observations: Any
    actions: Any
    rewards: np.ndarray
    terminals: np.ndarray
    timeouts: np.ndarray
    final_observation: Any
    seed: int
    policy: int
    return_: float
    infos: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.rewards.shape[0])


# ------------------------------------------------------------------------------ header checks


@dataclass(frozen=True)
class DatasetHeader:
    """What opening a file establishes: decoded root attributes and the episode table layout."""

    attrs: dict[str, Any]
    observation_space: gymnasium.Space
    action_space: gymnasium.Space
    policies: list[str]
    total_steps: int
    total_episodes: int
    episode_starts: np.ndarray
    episode_lengths: np.ndarray


def open_hdf5(path: Path) -> h5py.File:
    """Open a dataset file read-only; a missing file is DatasetNotFoundError, an unreadable one
    (truncated, not HDF5) DatasetCorruptError."""
    if not path.exists():
        raise DatasetNotFoundError(f"no dataset file at {path}")
    if not path.is_file():
        raise DatasetCorruptError(f"{path} is not a file")
    if not os.access(path, os.R_OK):
        raise DatasetError(f"{path}: permission denied, the file is not readable by you (uid {os.geteuid()}); "
                           f"ask its owner, or `chmod a+r {path}` if it is yours")
    try:
        return h5py.File(path, "r")
    except PermissionError as error:
        raise DatasetError(f"{path}: permission denied ({error}); ask its owner, or `chmod a+r {path}` if it is "
                           "yours") from error
    except OSError as error:
        raise DatasetCorruptError(
            f"{path} cannot be opened as an HDF5 dataset file ({error}); it is truncated (an interrupted "
            "copy or download), damaged, or not a dataset at all: regenerate it with `envsuite-datagen generate <dataset id>`"
        ) from error


# A gzip-compressed array holds at most about 1,000 bytes per stored byte (runs of zeros): a declared
# size beyond that bound, plus one chunk, is storage the file does not have.
MAX_COMPRESSION_RATIO = 1100
MAX_CHUNK_BYTES = 256 * 2**20


def check_self_contained(file: h5py.File, path: Path) -> None:
    """Refuse a file whose data would come from elsewhere, or whose declared sizes its storage cannot hold.

    HDF5 can pull data from other files (external links, external raw storage, virtual datasets) or
    alias another part of the file (soft links); DatasetWriter writes none of these, so any is refused
    before a byte is read (a crafted file could otherwise read, say, /etc/passwd into `infos`).
    Each array's declared bytes are checked against its allocated storage, and the storage against
    the file's size, so a 15 KB file declaring 1e12 steps is refused instead of allocating.
    """
    def fault(message: str) -> DatasetCorruptError:
        return DatasetCorruptError(f"{path}: {message}; envsuite reads only self-contained dataset files, "
                                   "as DatasetWriter writes them: regenerate it")

    links: list[tuple[str, Any]] = []
    file.visititems_links(lambda name, link: links.append((name, link)))  # only collects: never follows a link
    file_size = path.stat().st_size
    for name, link in links:
        if isinstance(link, h5py.ExternalLink):
            raise fault(f"'{name}' is an external link to {link.filename}:{link.path}")
        if isinstance(link, h5py.SoftLink):
            raise fault(f"'{name}' is a soft link to {link.path}")
        node = file.get(name)
        if not isinstance(node, h5py.Dataset):
            continue
        if node.external:
            raise fault(f"'{name}' keeps its data in external file(s) {[entry[0] for entry in node.external]}")
        if node.is_virtual:
            raise fault(f"'{name}' is a virtual dataset mapping other files' data")
        problem = _storage_fault(node, file_size)
        if problem:
            raise fault(f"'{name}' {problem}")


def _storage_fault(node: h5py.Dataset, file_size: int) -> str | None:
    """Why an array's declared size cannot be real, or None."""
    itemsize = node.dtype.itemsize
    declared = int(np.prod(node.shape, dtype=object)) * itemsize
    stored = int(node.id.get_storage_size())
    chunk_bytes = int(np.prod(node.chunks, dtype=object)) * itemsize if node.chunks else 0
    if chunk_bytes > MAX_CHUNK_BYTES:
        return f"has chunks {node.chunks} of {chunk_bytes} bytes (at most {MAX_CHUNK_BYTES} are read)"
    if stored > file_size:
        return f"claims {stored} stored bytes in a file of {file_size} bytes"
    if declared > MAX_COMPRESSION_RATIO * stored + chunk_bytes:
        return (f"declares shape {node.shape} ({declared} bytes) but the file holds {stored} bytes of it: "
                "the declared size is not backed by data")
    return None


def read_header(file: h5py.File, path: Path) -> DatasetHeader:
    """Check the format, attributes, arrays and episode table of an open file (reads only the
    O(episodes) table, never the step data)."""
    try:
        check_self_contained(file, path)
        return _read_header(file, path)
    except DatasetCorruptError:
        raise
    except (OSError, KeyError, RuntimeError, ValueError, TypeError) as error:
        raise DatasetCorruptError(f"{path}: cannot read the dataset's metadata ({error}); the file is damaged: "
                                  "regenerate it with `envsuite-datagen generate <dataset id>`") from error


def _read_header(file: h5py.File, path: Path) -> DatasetHeader:
    def fault(message: str) -> DatasetCorruptError:
        return DatasetCorruptError(f"{path}: {message}")

    attrs = {name: python_value(file.attrs[name]) for name in file.attrs}
    if "format" not in attrs:
        raise fault("has no 'format' attribute: it is not an envsuite dataset, or it was written by another tool")
    if attrs["format"] != FORMAT_NAME:
        raise fault(f"format is {attrs['format']!r}, not {FORMAT_NAME!r}: this is not an envsuite dataset")
    version = attrs.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise fault(f"format_version is {version!r}; a dataset records its format version as an integer")
    if version != FORMAT_VERSION:
        if version > FORMAT_VERSION:
            raise fault(f"has format_version {version}, written by a newer envsuite; this envsuite reads "
                        f"format_version {FORMAT_VERSION}: upgrade envsuite")
        raise fault(f"has format_version {version}, which this envsuite cannot read (it reads {FORMAT_VERSION}); "
                    "regenerate the dataset")
    missing = [name for name in REQUIRED_ATTRS if name not in attrs]
    if missing:
        raise fault(f"is missing the root attribute(s) {', '.join(missing)}: it was not finalized by "
                    "DatasetWriter or was edited afterwards; regenerate it")

    try:
        observation_space = space_from_json(attrs["observation_space"])
        action_space = space_from_json(attrs["action_space"])
    except (ValueError, KeyError, TypeError) as error:
        raise fault(f"has an unreadable observation_space/action_space attribute ({error})") from None
    try:
        policies = json.loads(attrs["policies"])
        json.loads(attrs["recipe"])
        json.loads(attrs["env_spec"])
    except (TypeError, ValueError) as error:
        raise fault(f"has a policies/recipe/env_spec attribute that is not JSON ({error})") from None
    if not isinstance(policies, list) or not all(isinstance(name, str) for name in policies):
        raise fault(f"policies attribute must be a JSON list of names, got {attrs['policies']!r}")
    total_steps = _count_attr(attrs, "total_steps", fault)
    total_episodes = _count_attr(attrs, "total_episodes", fault)
    content_sha256 = attrs["content_sha256"]
    if not isinstance(content_sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", content_sha256):
        raise fault(f"content_sha256 attribute {content_sha256!r} is not a SHA-256 hex digest")

    def require(name: str, rows: int, rows_name: str, dtype: np.dtype | None = None) -> h5py.Dataset:
        node = file.get(name)
        if node is None:
            raise fault(f"has no '{name}' array (missing key): the file is incomplete; regenerate it")
        if not isinstance(node, h5py.Dataset):
            raise fault(f"'{name}' is a group where an array was expected")
        if node.ndim == 0 or node.shape[0] != rows:
            raise fault(f"'{name}' has shape {node.shape} but {rows_name} is {rows}: the arrays and the "
                        "episode table disagree; regenerate the dataset")
        if dtype is not None and node.dtype != dtype:
            raise fault(f"'{name}' has dtype {node.dtype}, format v1 stores it as {dtype}")
        return node

    require("rewards", total_steps, "total_steps", REWARD_DTYPE)
    require("terminals", total_steps, "total_steps", FLAG_DTYPE)
    require("timeouts", total_steps, "total_steps", FLAG_DTYPE)
    for column in ("start", "length", "seed", "policy"):
        require(f"{EPISODES_GROUP}/{column}", total_episodes, "total_episodes", EPISODE_INDEX_DTYPE)
    require(f"{EPISODES_GROUP}/return", total_episodes, "total_episodes", EPISODE_RETURN_DTYPE)

    for prefix, space in (("observations", observation_space), ("actions", action_space)):
        expected = leaf_spaces(space, prefix)
        stored = _dataset_paths(file, prefix)
        if stored != sorted(expected) and prefix in file:
            raise fault(f"'{prefix}' holds {stored} but its space {space} has the leaves {sorted(expected)}")
        for name, leaf_space in expected.items():
            node = require(name, total_steps, "total_steps")
            if not isinstance(leaf_space, spaces.Text) and node.shape[1:] != tuple(leaf_space.shape or ()):
                raise fault(f"'{name}' has rows of shape {node.shape[1:]} but its space {leaf_space} has shape "
                            f"{leaf_space.shape}: the array and the space attribute disagree")
            if isinstance(leaf_space, spaces.Text) != (h5py.check_string_dtype(node.dtype) is not None):
                raise fault(f"'{name}' has dtype {node.dtype}, which does not fit its space {leaf_space}")
            if prefix == "observations":
                final_name = FINAL_OBSERVATION + name[len(prefix):]
                final = require(final_name, total_episodes, "total_episodes")
                if final.shape[1:] != node.shape[1:] or final.dtype != node.dtype:
                    raise fault(f"'{final_name}' has shape {final.shape[1:]} and dtype {final.dtype} per row "
                                f"but '{name}' has {node.shape[1:]} and {node.dtype}")
    for name in _dataset_paths(file, INFOS_KEY):
        require(name, total_steps, "total_steps")

    starts = file[f"{EPISODES_GROUP}/start"][()]
    lengths = file[f"{EPISODES_GROUP}/length"][()]
    if np.any(lengths < 1):
        episode = int(np.flatnonzero(lengths < 1)[0])
        raise fault(f"episode table: episode {episode} has length {int(lengths[episode])}; every episode has >= 1 step")
    expected_starts = np.concatenate([[0], np.cumsum(lengths[:-1])])
    if not np.array_equal(starts, expected_starts):
        episode = int(np.flatnonzero(starts != expected_starts)[0])
        raise fault(f"episode table: episode {episode} starts at step {int(starts[episode])}, expected "
                    f"{int(expected_starts[episode])} (episodes are contiguous and in order)")
    if int(lengths.sum()) != total_steps:
        raise fault(f"episode table: episode lengths sum to {int(lengths.sum())} steps but total_steps is {total_steps}")
    episode_policies = file[f"{EPISODES_GROUP}/policy"][()]
    if np.any(episode_policies < 0) or (policies and np.any(episode_policies >= len(policies))):
        raise fault(f"episode table: policy indices range over [{episode_policies.min()}, {episode_policies.max()}] "
                    f"but the dataset names {len(policies)} policies")
    recorded = file.attrs.get(ATTRS_DIGEST_KEY)
    if recorded is not None:  # (files written before envsuite recorded it have none)
        metric_attrs = file[METRICS_GROUP].attrs if METRICS_GROUP in file else {}
        if python_value(recorded) != attributes_sha256(file.attrs, metric_attrs):
            raise fault("its attributes (ids, spaces, recipe, metrics) changed after it was written "
                        f"({ATTRS_DIGEST_KEY} mismatch): the file was modified or damaged")
    return DatasetHeader(attrs=attrs, observation_space=observation_space, action_space=action_space,
                         policies=policies, total_steps=total_steps, total_episodes=total_episodes,
                         episode_starts=starts, episode_lengths=lengths)


def _count_attr(attrs: dict, name: str, fault: Callable[[str], DatasetCorruptError]) -> int:
    value = attrs[name]
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise fault(f"attribute {name}={value!r} is not a positive integer")
    return value


def _dataset_paths(file: h5py.File, prefix: str) -> list[str]:
    node = file.get(prefix)
    if node is None:
        return []
    if isinstance(node, h5py.Dataset):
        return [prefix]
    paths: list[str] = []
    node.visititems(lambda name, item: paths.append(f"{prefix}/{name}") if isinstance(item, h5py.Dataset) else None)
    return sorted(paths)


def python_value(value: Any) -> Any:
    """An HDF5 attribute as a plain Python value (numpy scalars -> int/float/bool, bytes -> str)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def decode_json_attr(value: Any) -> Any:
    """Attribute values the writer stored as JSON (dicts, non-numeric lists) decoded again."""
    value = python_value(value)
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def episode_blocks(lengths: np.ndarray, max_steps: int) -> Iterator[tuple[int, int]]:
    """Split the episodes into runs [first, stop) of consecutive episodes with at most max_steps
    steps in total (an episode longer than that forms a run of its own)."""
    ends = np.cumsum(lengths, dtype=np.int64)
    first, offset = 0, 0
    while first < len(lengths):
        # One past the last episode that ends within the budget, but at least one episode.
        stop = max(int(np.searchsorted(ends, offset + max_steps, side="right")), first + 1)
        yield first, stop
        offset = int(ends[stop - 1])
        first = stop


# ------------------------------------------------------------------------------ Dataset


class Dataset:
    """A dataset file opened for reading; see the module docstring.

    Args:
        path: the `.h5` file.
        in_memory: load every array into numpy at open (faster random access, uses RAM);
            otherwise arrays are h5py datasets read on slicing.
    """

    def __init__(self, path: str | os.PathLike, in_memory: bool = False):
        self.path = Path(path).expanduser()
        self.in_memory = in_memory
        self._file = open_hdf5(self.path)
        try:
            self._header = read_header(self._file, self.path)
            table = self._file[EPISODES_GROUP]
            self._episode_returns = table["return"][()]
            self._episode_seeds = table["seed"][()]
            self._episode_policies = table["policy"][()]
            # Leaf paths arranged like the data (dicts/tuples of "observations/..." strings), so a
            # per-episode view is one map over the template instead of HDF5 group lookups.
            path_of: Callable[[h5py.Dataset], str] = lambda node: node.name.lstrip("/")
            self._observation_template = read_structure(self._file["observations"], self.observation_space, path_of)
            self._action_template = read_structure(self._file["actions"], self.action_space, path_of)
            self._final_template = read_structure(self._file[FINAL_OBSERVATION], self.observation_space, path_of)
            self._infos_template = read_structure(self._file[INFOS_KEY], None, path_of) if INFOS_KEY in self._file else {}
            self._step_paths = sorted(
                _dataset_paths(self._file, "observations") + _dataset_paths(self._file, "actions")
                + ["rewards", "terminals", "timeouts"] + _dataset_paths(self._file, INFOS_KEY)
            )
            self._memory: dict[str, np.ndarray] = {}
            if in_memory:
                for name in self._step_paths + _dataset_paths(self._file, FINAL_OBSERVATION):
                    self._memory[name] = self._read_all(name)
        except DatasetError:
            self._file.close()
            raise
        except (OSError, KeyError, ValueError, TypeError, RuntimeError, IndexError) as error:
            # a damaged part past the header (the episode table, a group): h5py's own error, named
            self._file.close()
            raise DatasetCorruptError(f"{self.path}: cannot read the file ({type(error).__name__}: {error}); the "
                                      "file is damaged: regenerate it") from error
        except BaseException:
            self._file.close()
            raise

    # ----------------------------------------------------------------- lifecycle

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.close()

    def __len__(self) -> int:
        """The number of steps (total_steps); the mapping has len(dataset.keys()) == 5 keys."""
        return self.total_steps

    # ----------------------------------------------------------------- D4RL's get_dataset() mapping

    def keys(self):
        """D4RL's `get_dataset()` keys: observations, actions, rewards, terminals, timeouts."""
        return dict.fromkeys(D4RL_KEYS).keys()

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in D4RL_KEYS

    def __iter__(self) -> Iterator[str]:
        return iter(D4RL_KEYS)

    def __getitem__(self, key: str) -> Any:
        """`dataset["observations"]` etc. as numpy arrays over all N steps (dicts/tuples of them for
        Dict/Tuple spaces). In memory they are read-only views of the loaded arrays (copy to modify:
        `np.array(dataset["rewards"])`); lazily, each lookup reads the whole column from disk."""
        if key not in self:
            raise KeyError(f"{key!r}: a Dataset maps D4RL's get_dataset() keys {', '.join(D4RL_KEYS)}; next "
                           "observations are in dataset.transitions(), step infos in dataset.infos")
        template = {"observations": self._observation_template, "actions": self._action_template}.get(key, key)

        def column(name: str) -> np.ndarray:
            array = self._read_all(name)
            if name in self._memory:
                array = array.view()
                array.flags.writeable = False
            return array

        return map_structure(column, template)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def values(self) -> list[Any]:
        return [self[key] for key in D4RL_KEYS]

    def items(self) -> list[tuple[str, Any]]:
        return [(key, self[key]) for key in D4RL_KEYS]

    def __repr__(self) -> str:
        return (f"Dataset({self.dataset_id!r}, env_id={self.env_id!r}, steps={self.total_steps}, "
                f"episodes={self.total_episodes}, path='{self.path}')")

    # ----------------------------------------------------------------- metadata

    @property
    def attrs(self) -> dict[str, Any]:
        """Every root attribute as stored (JSON-valued ones as their JSON strings)."""
        return dict(self._header.attrs)

    @property
    def dataset_id(self) -> str:
        return self._header.attrs["dataset_id"]

    @property
    def env_id(self) -> str:
        return self._header.attrs["env_id"]

    @property
    def family(self) -> str:
        return self._header.attrs["family"]

    @property
    def observation_space(self) -> gymnasium.Space:
        return self._header.observation_space

    @property
    def action_space(self) -> gymnasium.Space:
        return self._header.action_space

    @property
    def recipe(self) -> Any:
        return json.loads(self._header.attrs["recipe"])

    @property
    def env_spec(self) -> Any:
        return json.loads(self._header.attrs["env_spec"])

    @property
    def policies(self) -> list[str]:
        return list(self._header.policies)

    @property
    def ref_min_score(self) -> float:
        return float(self._header.attrs["ref_min_score"])

    @property
    def ref_max_score(self) -> float:
        return float(self._header.attrs["ref_max_score"])

    @property
    def content_sha256(self) -> str:
        return self._header.attrs["content_sha256"]

    @property
    def total_steps(self) -> int:
        return self._header.total_steps

    @property
    def total_episodes(self) -> int:
        return self._header.total_episodes

    @property
    def metrics(self) -> dict[str, Any]:
        """Dataset metrics stored at finalize (empty if none)."""
        group = self._file.get(METRICS_GROUP)
        if group is None:
            return {}
        return {name: decode_json_attr(group.attrs[name]) for name in group.attrs}

    # ----------------------------------------------------------------- episode table

    @property
    def episode_starts(self) -> np.ndarray:
        return self._header.episode_starts

    @property
    def episode_lengths(self) -> np.ndarray:
        return self._header.episode_lengths

    @property
    def episode_returns(self) -> np.ndarray:
        return self._episode_returns

    @property
    def episode_seeds(self) -> np.ndarray:
        return self._episode_seeds

    @property
    def episode_policies(self) -> np.ndarray:
        return self._episode_policies

    @property
    def episode_final_observations(self) -> Any:
        return map_structure(self._leaf, self._final_template)

    # ----------------------------------------------------------------- per-step arrays

    @property
    def observations(self) -> Any:
        return map_structure(self._leaf, self._observation_template)

    @property
    def actions(self) -> Any:
        return map_structure(self._leaf, self._action_template)

    @property
    def rewards(self) -> np.ndarray | h5py.Dataset:
        return self._leaf("rewards")

    @property
    def terminals(self) -> np.ndarray | h5py.Dataset:
        return self._leaf("terminals")

    @property
    def timeouts(self) -> np.ndarray | h5py.Dataset:
        return self._leaf("timeouts")

    @property
    def infos(self) -> dict[str, Any]:
        return map_structure(self._leaf, self._infos_template)

    # ----------------------------------------------------------------- episodes

    def episodes(self) -> Iterator[Episode]:
        """Every episode in order; step data is read a block of episodes at a time."""
        starts, lengths = self.episode_starts, self.episode_lengths
        max_steps = max(1, EPISODE_BLOCK_BYTES // self._step_bytes())
        for first, stop in episode_blocks(lengths, max_steps):
            block_start = int(starts[first])
            block_stop = int(starts[stop - 1] + lengths[stop - 1])
            steps = {name: self._read_rows(name, block_start, block_stop) for name in self._step_paths}
            finals = {name: self._read_rows(name, first, stop) for name in self._final_paths()}
            for index in range(first, stop):
                begin = int(starts[index]) - block_start
                end = begin + int(lengths[index])
                yield self._episode(index, lambda name: steps[name][begin:end],
                                    lambda name: finals[name][index - first])

    def episode(self, index: int) -> Episode:
        """Episode `index` (negative counts from the end)."""
        count = self.total_episodes
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"episode index must be an int, got {index!r}")
        if not -count <= index < count:
            raise IndexError(f"episode index {index} is out of range for {self.dataset_id} with {count} episodes")
        index = int(index) % count
        begin = int(self.episode_starts[index])
        end = begin + int(self.episode_lengths[index])
        return self._episode(index, lambda name: self._read_rows(name, begin, end),
                             lambda name: self._read_rows(name, index, index + 1)[0])

    def _episode(self, index: int, step_leaf: Callable[[str], Any], final_leaf: Callable[[str], Any]) -> Episode:
        return Episode(
            index=index,
            observations=map_structure(step_leaf, self._observation_template),
            actions=map_structure(step_leaf, self._action_template),
            rewards=step_leaf("rewards"),
            terminals=step_leaf("terminals"),
            timeouts=step_leaf("timeouts"),
            final_observation=map_structure(final_leaf, self._final_template),
            seed=int(self._episode_seeds[index]),
            policy=int(self._episode_policies[index]),
            return_=float(self._episode_returns[index]),
            infos=map_structure(step_leaf, self._infos_template),
        )

    # ----------------------------------------------------------------- transitions

    def transitions(self) -> dict[str, Any]:
        """D4RL `qlearning_dataset` keys (observations, actions, rewards, next_observations,
        terminals, timeouts) for every one of the N steps. `next_observations` at an episode's
        last step is the stored final observation, so it is exact at timeouts too.
        Loads the arrays into memory (in in-memory mode the non-next arrays are shared)."""
        episode_ends = self.episode_starts + self.episode_lengths - 1
        loaded: dict[str, np.ndarray] = {}

        def load(name: str) -> np.ndarray:
            if name not in loaded:
                loaded[name] = self._read_all(name)
            return loaded[name]

        def next_of(name: str) -> np.ndarray:
            current = load(name)
            following = np.empty_like(current)
            following[:-1] = current[1:]
            following[episode_ends] = self._read_all(_final_name(name))
            return following

        return {
            "observations": map_structure(load, self._observation_template),
            "actions": map_structure(load, self._action_template),
            "rewards": load("rewards"),
            "next_observations": map_structure(next_of, self._observation_template),
            "terminals": load("terminals"),
            "timeouts": load("timeouts"),
        }

    def sample(self, batch_size: int, rng: np.random.Generator | int | None = None) -> dict[str, Any]:
        """`batch_size` transitions (same keys as `transitions()`) at indices drawn uniformly with
        replacement from all N steps with `rng` (a numpy Generator or seed)."""
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 0:
            raise ValueError(f"batch_size must be a non-negative int, got {batch_size!r}")
        rng = np.random.default_rng(rng)
        indices = rng.integers(0, self.total_steps, size=int(batch_size))
        episodes = np.searchsorted(self.episode_starts, indices, side="right") - 1
        is_last = indices == self.episode_starts[episodes] + self.episode_lengths[episodes] - 1
        # At an episode's last step the next observation is its final observation, not step i + 1.
        next_indices = np.where(is_last, indices, indices + 1)

        def next_of(name: str) -> np.ndarray:
            following = self._take(name, next_indices)
            if is_last.any():
                following[is_last] = self._take(_final_name(name), episodes[is_last])
            return following

        take = lambda name: self._take(name, indices)  # noqa: E731
        return {
            "observations": map_structure(take, self._observation_template),
            "actions": map_structure(take, self._action_template),
            "rewards": take("rewards"),
            "next_observations": map_structure(next_of, self._observation_template),
            "terminals": take("terminals"),
            "timeouts": take("timeouts"),
        }

    # ----------------------------------------------------------------- environment and scores

    def env(self, **kwargs: Any) -> gymnasium.Env:
        """`gymnasium.make(env_id, **kwargs)` for the environment the dataset was collected in."""
        import envsuite  # noqa: F401  - importing envsuite registers the envsuite/* ids
        from envsuite.paths import InvalidIdError
        from envsuite.registry import check_env_id

        try:
            # a file's attributes never choose code: 'module:Entry' ids are refused, not imported
            env_id = check_env_id(self.env_id)
        except InvalidIdError as error:
            raise DatasetError(
                f"{self.dataset_id} was collected in {self.env_id!r}, which is not registered with gymnasium "
                f"({error}); install and import the package that registers it (envsuite registers its envsuite/* "
                "ids on import) and call env() again"
            ) from None
        return gymnasium.make(env_id, **kwargs)

    def get_normalized_score(self, returns: float | np.ndarray) -> float | np.ndarray:
        """D4RL normalized score (returns - ref_min_score) / (ref_max_score - ref_min_score)."""
        low, high = self.ref_min_score, self.ref_max_score
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError(f"{self.dataset_id} has no reference scores (ref_min_score={low}, ref_max_score={high}); "
                             "normalized scores need both, set them in the dataset's recipe and regenerate it")
        from envsuite.metrics import normalized_score

        return normalized_score(returns, low, high)

    # ----------------------------------------------------------------- array access

    def _leaf(self, name: str) -> Any:
        """Lazy view (h5py dataset; text as str) or, in memory, the loaded numpy array."""
        if name in self._memory:
            return self._memory[name]
        node = self._file[name]
        return node.asstr() if h5py.check_string_dtype(node.dtype) is not None else node

    def _read_rows(self, name: str, begin: int, end: int) -> np.ndarray:
        if name in self._memory:
            return self._memory[name][begin:end]
        try:
            return self._leaf(name)[begin:end]
        except OSError as error:
            raise DatasetCorruptError(f"{self.path}: cannot read rows {begin}:{end} of '{name}' ({error}: its "
                                      "checksum or compression no longer matches); the file is damaged: regenerate it"
                                      ) from error

    def _read_all(self, name: str) -> np.ndarray:
        return self._read_rows(name, 0, int(self._file[name].shape[0]))

    def _take(self, name: str, indices: np.ndarray) -> np.ndarray:
        """Rows at arbitrary indices. h5py needs increasing unique indices, so read those (or the
        covering range when it is dense) and reorder."""
        if name in self._memory:
            return self._memory[name][indices]
        if indices.size == 0:
            return self._read_rows(name, 0, 0)
        unique, inverse = np.unique(indices, return_inverse=True)
        span = int(unique[-1] - unique[0] + 1)
        if span <= 8 * unique.size:
            rows = self._read_rows(name, int(unique[0]), int(unique[-1]) + 1)[unique - unique[0]]
        else:
            try:
                rows = self._leaf(name)[unique]
            except OSError as error:
                raise DatasetCorruptError(f"{self.path}: cannot read '{name}' ({error}); the file is damaged: "
                                          "regenerate it") from error
        return rows[inverse.ravel()]

    def _final_paths(self) -> list[str]:
        return _dataset_paths(self._file, FINAL_OBSERVATION)

    def _step_bytes(self) -> int:
        total = 0
        for name in self._step_paths:
            node = self._file[name]
            elements = int(np.prod(node.shape[1:], dtype=np.int64))
            is_text = h5py.check_string_dtype(node.dtype) is not None
            total += elements * (TEXT_ELEMENT_BYTES if is_text else node.dtype.itemsize)
        return max(total, 1)


def _final_name(observation_name: str) -> str:
    return FINAL_OBSERVATION + observation_name[len("observations"):]


# ------------------------------------------------------------------------------ load_dataset


def load_dataset(id_or_path: str | os.PathLike, *, in_memory: bool = False,
                 root: str | os.PathLike | None = None) -> Dataset:
    """Open a dataset by file path or by id (`<family>/<name>-vN`, looked up in the cache:
    `root` or $ENVSUITE_DATA_DIR, default ~/.envsuite/datasets).

    A missing dataset raises DatasetNotFoundError whose message is the command that generates it.
    A string that is neither an existing file nor a well-formed id raises ValueError.
    """
    text = os.fspath(id_or_path)
    candidate = Path(text).expanduser()
    if candidate.is_file():
        return Dataset(candidate, in_memory=in_memory)
    if isinstance(id_or_path, os.PathLike) or text.endswith((".h5", ".hdf5", ".partial")) or os.path.isabs(text):
        raise DatasetNotFoundError(f"no dataset file at {candidate}")
    if not DATASET_ID_PATTERN.match(text):
        raise ValueError(f"{text!r} is neither an existing file nor a dataset id of the form "
                         "'<family>/<name>-vN' (e.g. 'locomotion/hopper-medium-v0')")
    path = dataset_path(text, root)
    if path.is_file():
        return Dataset(path, in_memory=in_memory)
    command = f"envsuite-datagen generate {text}"
    if root is not None:
        command += f" --out {shlex.quote(os.fspath(root))}"
    message = (f"dataset {text!r} is not in {root if root is not None else data_dir()} (looked for {path}). "
               f"Generate it with:\n    {command}")
    partial = path.with_name(path.name + ".partial")
    if partial.exists():
        message += f"\n(an interrupted run left {partial}; rerunning the same command continues it)"
    if root is None:
        message += "\nor set ENVSUITE_DATA_DIR to the folder that already holds it."
    raise DatasetNotFoundError(message)
