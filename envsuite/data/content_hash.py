"""The dataset content hash (`attrs["content_sha256"]`), computable while streaming.

Used by `writer.py` (hash updated per flushed block of episodes, combined at finalize) and by
`verify.py` (recomputed block by block from the file). Sits just above `format.py` in
`envsuite.data` and imports nothing else from envsuite.

Definition (DESIGN.md section 3, "content_sha256 covers every array in a canonical order"):

    content_sha256 = hex SHA-256 of the concatenation, over every HDF5 dataset path p in the file
                     except those under `metrics/`, in sorted order of p, of
                         UTF-8(p + "\\0" + dtype + "\\0" + shape + "\\0") + SHA-256(data(p))
    where  p      is the path without a leading "/", e.g. "episodes/final_observation/pixels";
           dtype  is numpy's `dtype.str` ("<f4", "|b1", "|u1", ...) or "vlen-utf8" for text;
           shape  is the dimensions joined by "," ("1000,11"; "5" for a 1-D array);
           data(p) is the raw C-order bytes of the whole array; for text, each element in C order
                  as its UTF-8 length (8 bytes, unsigned little-endian) followed by its UTF-8 bytes;
           SHA-256(data(p)) enters as its 32 raw bytes.

Hashing each array's data separately is what lets the writer stream: appending a block of rows is
one `update` of that array's running SHA-256, which gives the same digest as hashing the whole
array at once. Attributes (including `created_utc`) are not part of the hash.

A second digest covers the metadata: `attrs["attrs_sha256"]` (`attributes_sha256`), the SHA-256 of
every root attribute and every `metrics/` attribute (except itself), so that a bit flipped in an
attribute (an id, a space, a metric) is found at open, as HDF5's chunk checksums find it in data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import h5py
import numpy as np

from envsuite.data.format import METRICS_GROUP, TEXT_DTYPE_NAME

_LENGTH_PREFIX_BYTES = 8


def hash_dtype_name(dtype: np.dtype) -> str:
    """The dtype string of an array in the content hash: numpy's `dtype.str`, or "vlen-utf8"."""
    dtype = np.dtype(dtype)
    string_info = h5py.check_string_dtype(dtype)
    if string_info is not None:
        if string_info.length is not None:
            raise ValueError(f"fixed-length string dtype {dtype} is not part of dataset format v1 "
                             "(text is stored as variable-length UTF-8)")
        return TEXT_DTYPE_NAME
    if dtype.kind == "O":
        raise ValueError(f"object dtype {dtype} is not part of dataset format v1")
    return dtype.str


class ArrayDigest:
    """Running SHA-256 of one array's data, fed with consecutive blocks of rows (axis 0)."""

    def __init__(self, is_text: bool):
        self.is_text = is_text
        self._sha = hashlib.sha256()

    def update(self, block: np.ndarray) -> None:
        """Add the next rows. Numbers: their raw C-order bytes. Text (str or UTF-8 bytes elements):
        each element as an 8-byte little-endian length followed by its UTF-8 bytes."""
        if self.is_text:
            for element in np.asarray(block, dtype=object).ravel(order="C"):
                encoded = element.encode("utf-8") if isinstance(element, str) else bytes(element)
                self._sha.update(len(encoded).to_bytes(_LENGTH_PREFIX_BYTES, "little"))
                self._sha.update(encoded)
        else:
            self._sha.update(np.ascontiguousarray(block).data)

    def digest(self) -> bytes:
        return self._sha.digest()

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def combine_array_digests(entries: Iterable[tuple[str, str, tuple[int, ...], bytes]]) -> str:
    """Combine (path, dtype name, shape, data digest) of every hashed array into content_sha256.

    The entries are sorted by path here, so callers may pass them in any order."""
    combined = hashlib.sha256()
    for path, dtype_name, shape, data_digest in sorted(entries, key=lambda entry: entry[0]):
        header = f"{path}\0{dtype_name}\0{','.join(str(int(dim)) for dim in shape)}\0"
        combined.update(header.encode("utf-8"))
        combined.update(data_digest)
    return combined.hexdigest()


def hashed_array_paths(file: h5py.File) -> list[str]:
    """Sorted paths of every HDF5 dataset in the file that the content hash covers."""
    paths: list[str] = []

    def collect(name: str, node) -> None:
        if isinstance(node, h5py.Dataset) and not (name == METRICS_GROUP or name.startswith(METRICS_GROUP + "/")):
            paths.append(name)

    file.visititems(collect)
    return sorted(paths)


ATTRS_DIGEST_KEY = "attrs_sha256"


def attributes_sha256(root_attrs, metric_attrs) -> str:
    """SHA-256 of the attributes as stored: for each of the root's (but ATTRS_DIGEST_KEY) and then the
    metrics group's, in sorted order, UTF-8(scope + "\\0" + name + "\\0" + type + "\\0" + value + "\\0"),
    where value is the repr of the attribute read back as a Python value (arrays as lists)."""
    combined = hashlib.sha256()
    for scope, attrs in (("root", root_attrs), ("metrics", metric_attrs)):
        for name in sorted(attrs):
            if scope == "root" and name == ATTRS_DIGEST_KEY:
                continue
            value = attrs[name]
            if isinstance(value, bytes):
                value = value.decode("utf-8", errors="backslashreplace")
            kind = type(value).__name__
            if isinstance(value, np.ndarray):
                value = value.tolist()
            elif isinstance(value, np.generic):
                value = value.item()
            combined.update(f"{scope}\0{name}\0{kind}\0{value!r}\0".encode("utf-8", errors="backslashreplace"))
    return combined.hexdigest()
