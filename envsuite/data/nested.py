"""Nested observations and actions (Dict and Tuple spaces) as flat HDF5 paths and back.

A Dict observation `{"pixels": ..., "state": {"pos": ...}}` is stored as the HDF5 datasets
`observations/pixels` and `observations/state/pos`; a Tuple element is stored under its index
("0", "1", ...). `writer.py` flattens with `flatten`; `reader.py` rebuilds with `read_structure`
and slices with `map_structure`. Part of `envsuite.data`; imports nothing from envsuite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gymnasium
import h5py
from gymnasium import spaces


def flatten(tree: Any, prefix: str) -> dict[str, Any]:
    """{HDF5 path: leaf} of a nested structure; a leaf is anything that is not a dict or tuple."""
    if isinstance(tree, Mapping):
        if not tree:
            raise ValueError(f"{prefix} is an empty dict; a nested observation needs at least one key")
        flat: dict[str, Any] = {}
        for key, value in tree.items():
            if not isinstance(key, str) or not key or "/" in key or key in (".", ".."):
                raise ValueError(f"key {key!r} under {prefix} cannot be an HDF5 group member name; "
                                 "use a non-empty str without '/'")
            flat.update(flatten(value, f"{prefix}/{key}"))
        return flat
    if isinstance(tree, tuple):
        if not tree:
            raise ValueError(f"{prefix} is an empty tuple; a nested observation needs at least one element")
        flat = {}
        for index, value in enumerate(tree):
            flat.update(flatten(value, f"{prefix}/{index}"))
        return flat
    return {prefix: tree}


def map_structure(fn: Callable[[Any], Any], tree: Any) -> Any:
    """Apply fn to every leaf, keeping dicts and tuples."""
    if isinstance(tree, dict):
        return {key: map_structure(fn, value) for key, value in tree.items()}
    if isinstance(tree, tuple):
        return tuple(map_structure(fn, value) for value in tree)
    return fn(tree)


def read_structure(node: h5py.Group | h5py.Dataset, space: gymnasium.Space | None,
                   read_leaf: Callable[[h5py.Dataset], Any]) -> Any:
    """Rebuild the nested structure stored at `node`: a Dataset is a leaf (read with read_leaf),
    a Group a dict, or a tuple where `space` says the data is a Tuple. Dict members follow the
    space's key order; without a space (infos) they follow HDF5's (sorted) member order."""
    if isinstance(node, h5py.Dataset):
        return read_leaf(node)
    if isinstance(space, spaces.Tuple):
        return tuple(read_structure(node[str(index)], sub, read_leaf) for index, sub in enumerate(space.spaces))
    if isinstance(space, spaces.Dict):
        return {key: read_structure(node[key], sub, read_leaf) for key, sub in space.spaces.items()}
    return {key: read_structure(node[key], None, read_leaf) for key in node.keys()}


def leaf_spaces(space: gymnasium.Space, prefix: str) -> dict[str, gymnasium.Space]:
    """{HDF5 path: space} of the leaves of a (possibly nested) space, matching `flatten`."""
    if isinstance(space, spaces.Dict):
        flat: dict[str, gymnasium.Space] = {}
        for key, sub in space.spaces.items():
            flat.update(leaf_spaces(sub, f"{prefix}/{key}"))
        return flat
    if isinstance(space, spaces.Tuple):
        flat = {}
        for index, sub in enumerate(space.spaces):
            flat.update(leaf_spaces(sub, f"{prefix}/{index}"))
        return flat
    return {prefix: space}
