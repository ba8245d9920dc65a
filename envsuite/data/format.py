"""Dataset format v1: names, constants, errors, and gymnasium spaces as JSON.

This is the bottom of `envsuite.data` (DESIGN.md section 3): `writer.py`, `reader.py` and
`verify.py` all take the layout of a dataset file from here, so the format is written down once.
It imports nothing from envsuite, so a family, `datagen` or a converter can depend on it freely.

Layout of one `.h5` file (format_version 1)::

    attrs              format="envsuite-dataset", format_version=1, dataset_id, env_id, family,
                       observation_space, action_space, env_spec, recipe, policies (JSON),
                       ref_min_score, ref_max_score, total_steps, total_episodes,
                       envsuite_version, content_sha256, created_utc
    observations       (N, *obs_shape)   or a group observations/<key>/... for Dict/Tuple spaces
    actions            (N, *act_shape)   or a group actions/<key>/...
    rewards            (N,) float32
    terminals          (N,) bool          true MDP termination (no bootstrap)
    timeouts           (N,) bool          truncation (time limit, end of clip, cut by a size budget)
    episodes/start     (E,) int64         first step of each episode
    episodes/length    (E,) int64
    episodes/return    (E,) float64       sum of the stored float32 rewards, in float64
    episodes/seed      (E,) int64
    episodes/policy    (E,) int64         index into attrs["policies"]
    episodes/final_observation  (E, *obs_shape) or a group mirroring `observations`
    infos/<key>        (N, ...)           optional per-step extras
    metrics/           attrs only: dataset metrics computed at finalize

Every array also carries `attrs["sha256"]`, the SHA-256 of its data, so that `verify_dataset` can
name a damaged array; `content_sha256` combines them (definition in `content_hash.py`).

Nested observations (Dict and Tuple spaces) are stored as groups: a Dict key becomes a group
member of the same name, a Tuple element becomes a member named by its index ("0", "1", ...).
Text is variable-length UTF-8; numbers keep the dtype the writer was given, little-endian.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Mapping
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

FORMAT_NAME = "envsuite-dataset"
FORMAT_VERSION = 1

# Per-step arrays at the root, in the order D4RL users know them.
STEP_KEYS = ("observations", "actions", "rewards", "terminals", "timeouts")
INFOS_KEY = "infos"
EPISODES_GROUP = "episodes"
# Columns of the episode table (members of the `episodes` group).
EPISODE_TABLE_KEYS = ("start", "length", "return", "seed", "policy", "final_observation")
METRICS_GROUP = "metrics"

# Root attributes every finalized dataset carries (DESIGN.md section 3).
REQUIRED_ATTRS = (
    "format",
    "format_version",
    "dataset_id",
    "env_id",
    "family",
    "observation_space",
    "action_space",
    "env_spec",
    "recipe",
    "policies",
    "ref_min_score",
    "ref_max_score",
    "total_steps",
    "total_episodes",
    "envsuite_version",
    "content_sha256",
    "created_utc",
)

# Fixed dtypes of the scalar columns; observations, actions and infos keep the caller's dtype.
REWARD_DTYPE = np.dtype("<f4")
FLAG_DTYPE = np.dtype("bool")
EPISODE_INDEX_DTYPE = np.dtype("<i8")  # start, length, seed, policy
EPISODE_RETURN_DTYPE = np.dtype("<f8")

# Name under which a variable-length UTF-8 string array enters the content hash (numpy has no
# dtype string for it; numeric arrays use numpy's `dtype.str`, e.g. "<f4", "|b1").
TEXT_DTYPE_NAME = "vlen-utf8"


class DatasetError(Exception):
    """Base class of every error raised by `envsuite.data`."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """The dataset file does not exist; the message says how to generate it."""


class DatasetCorruptError(DatasetError):
    """The file exists but is not a valid, complete envsuite dataset; the message names the file
    and the fault."""


def is_text_dtype(dtype: np.dtype) -> bool:
    """True for numpy string-like dtypes the writer stores as variable-length UTF-8."""
    return np.dtype(dtype).kind in "UO"


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys, so equal values give equal strings (and equal files).

    numpy scalars and arrays are converted to Python numbers and lists on the way.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} value {value!r} cannot be stored as JSON in a dataset; "
                    "convert it to numbers, strings, lists or dicts first")


# --------------------------------------------------------------------------------------------
# gymnasium spaces <-> JSON
# --------------------------------------------------------------------------------------------

SUPPORTED_SPACES = ("Box", "Discrete", "MultiDiscrete", "MultiBinary", "Text", "Dict", "Tuple")


def space_to_json(space: gymnasium.Space) -> str:
    """Serialise a gymnasium space to a JSON string that `space_from_json` turns back into an
    equal space. Box bounds that are all equal are stored as one number; infinities and NaN as
    the strings "inf", "-inf", "nan" (JSON has no literal for them)."""
    return canonical_json(_space_to_dict(space))


def space_from_json(text: str | Mapping) -> gymnasium.Space:
    """Rebuild a gymnasium space from `space_to_json` output (a JSON string or its parsed dict)."""
    description = json.loads(text) if isinstance(text, (str, bytes)) else text
    _check_space_size(description)
    return _space_from_dict(description)


# Bounds on a stored space, checked before anything is allocated: far above any env's, far below what
# would exhaust memory (a 200,000 x 200,000 Box would need 320 GB for its bounds alone).
MAX_SPACE_ELEMENTS = 2**26  # elements of one Box / MultiDiscrete / MultiBinary
MAX_TEXT_LENGTH = 2**20  # characters of a Text space's max_length or charset
MAX_SPACE_PARTS = 4096  # leaves and containers of a whole space
MAX_SPACE_DEPTH = 32


def _check_space_size(description, depth: int = 0, parts: list | None = None) -> None:
    """ValueError if a serialised space is absurdly large or deep (a crafted file), before building it."""
    parts = [0] if parts is None else parts
    parts[0] += 1
    if parts[0] > MAX_SPACE_PARTS or depth > MAX_SPACE_DEPTH:
        raise ValueError(f"the space has more than {MAX_SPACE_PARTS} parts or {MAX_SPACE_DEPTH} levels of nesting")
    if not isinstance(description, Mapping):
        return  # _space_from_dict names the malformed part
    kind = description.get("type")

    def elements(shape, what):
        values = list(shape) if isinstance(shape, (list, tuple)) else [shape]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
            raise ValueError(f"{kind} {what} {shape!r} is not a list of non-negative integers")
        count = 1
        for v in values:
            count *= v
        if count > MAX_SPACE_ELEMENTS:
            raise ValueError(f"{kind} {what} {shape!r} has {count} elements, more than the {MAX_SPACE_ELEMENTS} a "
                             "dataset space may have")

    if kind == "Box":
        elements(description.get("shape", []), "shape")
    elif kind == "MultiDiscrete":
        elements(list(np.shape(description.get("nvec", []))), "nvec shape")  # the list is already in memory
    elif kind == "MultiBinary":
        elements(description.get("n", 0), "n")
    elif kind == "Text":
        length, charset = description.get("max_length", 0), description.get("charset", "")
        if not isinstance(length, int) or length > MAX_TEXT_LENGTH or len(charset) > MAX_TEXT_LENGTH:
            raise ValueError(f"Text max_length {length!r} or its charset of {len(charset)} characters exceeds "
                             f"{MAX_TEXT_LENGTH}")
    elif kind in ("Dict", "Tuple"):
        subs = description.get("spaces", [])
        if not isinstance(subs, list) or len(subs) > MAX_SPACE_PARTS:
            raise ValueError(f"{kind} space lists {len(subs) if isinstance(subs, list) else subs!r} parts")
        for sub in subs:
            _check_space_size(sub[1] if kind == "Dict" and isinstance(sub, list) and len(sub) == 2 else sub,
                              depth + 1, parts)


def _space_to_dict(space: gymnasium.Space) -> dict:
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "shape": list(space.shape),
            "dtype": np.dtype(space.dtype).name,
            "low": _encode_bound(space.low),
            "high": _encode_bound(space.high),
        }
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start),
                "dtype": np.dtype(space.dtype).name}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": space.nvec.tolist(), "start": space.start.tolist(),
                "dtype": np.dtype(space.dtype).name}
    if isinstance(space, spaces.MultiBinary):
        n = space.n
        return {"type": "MultiBinary", "n": int(n) if np.ndim(n) == 0 else np.asarray(n).tolist()}
    if isinstance(space, spaces.Text):
        return {"type": "Text", "max_length": int(space.max_length), "min_length": int(space.min_length),
                "charset": "".join(sorted(space.character_set))}
    if isinstance(space, spaces.Dict):
        # A list of pairs keeps the space's key order (a JSON object would be re-sorted).
        return {"type": "Dict", "spaces": [[key, _space_to_dict(sub)] for key, sub in space.spaces.items()]}
    if isinstance(space, spaces.Tuple):
        return {"type": "Tuple", "spaces": [_space_to_dict(sub) for sub in space.spaces]}
    raise TypeError(f"cannot store a {type(space).__name__} space ({space!r}) in a dataset; "
                    f"supported spaces are {', '.join(SUPPORTED_SPACES)}")


def _discrete(n: int, start: int, dtype: np.dtype) -> spaces.Discrete:
    """A Discrete space of `dtype`. gymnasium 1.0 (d3rlpy 2.8's pin) has no dtype argument: its spaces are
    int64, so an int64 description builds there and another dtype is refused with what to install."""
    if "dtype" in inspect.signature(spaces.Discrete.__init__).parameters:  # read per call: tests swap the class
        return spaces.Discrete(n, start=start, dtype=dtype)
    if dtype != np.int64:
        raise ValueError(f"a Discrete space of {dtype.name} needs gymnasium >= 1.1 (installed: "
                         f"{gymnasium.__version__}, whose Discrete spaces are int64): pip install 'gymnasium>=1.1'")
    return spaces.Discrete(n, start=start)


def _space_from_dict(description: Mapping) -> gymnasium.Space:
    if not isinstance(description, Mapping) or "type" not in description:
        raise ValueError(f"not a serialised gymnasium space: {description!r}")
    kind = description["type"]
    if kind == "Box":
        dtype = np.dtype(description["dtype"])
        shape = tuple(description["shape"])
        low = np.broadcast_to(np.asarray(_decode_bound(description["low"]), dtype=dtype), shape)
        high = np.broadcast_to(np.asarray(_decode_bound(description["high"]), dtype=dtype), shape)
        return spaces.Box(low=low.copy(), high=high.copy(), shape=shape, dtype=dtype)
    if kind == "Discrete":
        return _discrete(description["n"], description.get("start", 0), np.dtype(description.get("dtype", "int64")))
    if kind == "MultiDiscrete":
        return spaces.MultiDiscrete(np.asarray(description["nvec"]), dtype=np.dtype(description["dtype"]),
                                    start=np.asarray(description["start"]))
    if kind == "MultiBinary":
        return spaces.MultiBinary(description["n"])
    if kind == "Text":
        return spaces.Text(description["max_length"], min_length=description["min_length"],
                           charset=description["charset"])
    if kind == "Dict":
        return spaces.Dict([(key, _space_from_dict(sub)) for key, sub in description["spaces"]])
    if kind == "Tuple":
        return spaces.Tuple([_space_from_dict(sub) for sub in description["spaces"]])
    raise ValueError(f"unknown space type {kind!r} in a serialised space; this envsuite reads "
                     f"{', '.join(SUPPORTED_SPACES)} (was the dataset written by a newer envsuite?)")


def _encode_bound(bound: np.ndarray) -> Any:
    flat = np.asarray(bound).ravel()
    if flat.size > 0:
        all_nan = np.issubdtype(flat.dtype, np.floating) and bool(np.all(np.isnan(flat)))
        if all_nan or bool(np.all(flat == flat[0])):
            return _encode_number(flat[0].item())
    return _map_nested(np.asarray(bound).tolist(), _encode_number)


def _decode_bound(value: Any) -> Any:
    return _map_nested(value, _decode_number)


def _encode_number(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def _decode_number(x: Any) -> Any:
    return float(x) if isinstance(x, str) else x


def _map_nested(value: Any, fn) -> Any:
    if isinstance(value, list):
        return [_map_nested(item, fn) for item in value]
    return fn(value)
