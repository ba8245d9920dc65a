"""envsuite.data: the offline dataset format v1 (HDF5) and its writer, reader and verifier.

DESIGN.md section 3. Families and `datagen` write datasets with `DatasetWriter`; users read them
with `load_dataset` (by id from the cache, or by path); `envsuite-datagen verify` calls
`verify_dataset`. This package imports no family and no `datagen`.

Modules, bottom-up: `format` (layout, constants, errors, spaces as JSON), `nested` (Dict/Tuple
data as HDF5 groups), `content_hash` (the streaming content hash), `writer`, `reader`, `verify`.
"""

from envsuite.data.format import (
    FORMAT_VERSION,
    DatasetCorruptError,
    DatasetError,
    DatasetNotFoundError,
    space_from_json,
    space_to_json,
)
from envsuite.data.reader import Dataset, Episode, load_dataset
from envsuite.data.verify import verify_dataset
from envsuite.data.writer import DatasetWriter

__all__ = [
    "FORMAT_VERSION",
    "Dataset",
    "DatasetCorruptError",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetWriter",
    "Episode",
    "load_dataset",
    "space_from_json",
    "space_to_json",
    "verify_dataset",
]
