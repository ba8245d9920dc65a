"""Where envsuite finds its files: committed assets and the dataset cache.

Sits below every other module (imports nothing from envsuite). Assets live at the repository root
in `assets/` (DESIGN.md section 1); a wheel ships them as `envsuite/assets/` (see pyproject.toml),
so both places are tried, the installed one first.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent

# The catalogue's grammar (DESIGN.md section 2): `<family>/<name>-v<N>`, lower-case family, one
# slash, a name of letters, digits, '_', '.', '-' that never starts with '.' (so no '..' part).
DATASET_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*/[A-Za-z0-9_][A-Za-z0-9_.-]*-v[0-9]+\Z")
# An asset named by a recipe: `<folder>/<file>`, each part a plain name.
ASSET_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)+\Z")


class InvalidIdError(ValueError):
    """An id or a name does not follow the catalogue's grammar, or would reach outside its folder."""


def check_dataset_id(dataset_id) -> str:
    """`dataset_id` if it follows `<family>/<name>-v<N>` (no '..', no extra slash); else InvalidIdError."""
    if not isinstance(dataset_id, str) or not DATASET_ID_PATTERN.match(dataset_id) or ".." in dataset_id:
        raise InvalidIdError(
            f"invalid dataset id {dataset_id!r}: a dataset id is '<family>/<name>-v<N>' with one slash "
            "and no '..', e.g. 'locomotion/hopper-medium-v0'; `envsuite-datagen list` shows them all."
        )
    return dataset_id


def inside(root: str | os.PathLike, path: str | os.PathLike, what: str) -> Path:
    """`path` resolved, if it stays inside `root` resolved (symlinks followed); else InvalidIdError."""
    resolved_root = Path(root).resolve()
    resolved = Path(path).resolve()
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise InvalidIdError(f"{what} {str(path)!r} resolves to {resolved}, outside {resolved_root}; refused")
    return resolved


def assets_dir() -> Path:
    """The folder of committed assets (policy weights, reference scores, ...)."""
    for candidate in (_PACKAGE_DIR / "assets", _PACKAGE_DIR.parent / "assets"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"envsuite assets not found next to {_PACKAGE_DIR} (looked for envsuite/assets and ../assets); "
        "reinstall envsuite with `pip install .` from a full checkout."
    )


def asset_path(*parts: str) -> Path:
    """Path of one committed asset, e.g. asset_path("locomotion", "hopper_expert.npz").

    The name must be plain parts (no '..', no absolute path) and must resolve inside the assets folder.
    """
    name = "/".join(parts)
    if not ASSET_NAME_PATTERN.match(name) or ".." in parts:
        raise InvalidIdError(f"invalid asset name {name!r}: an asset is '<folder>/<file>' of plain names, e.g. "
                             "'locomotion/hopper_expert.npz'")
    path = assets_dir().joinpath(*parts)
    inside(assets_dir(), path, "asset")
    if not path.exists():
        hint = ""
        if parts and parts[0] == "locomotion" and path.suffix == ".npz":
            env = path.stem.split("_")[0]
            hint = f"; train it with `envsuite-datagen train-policy {env}` (it is written to assets/locomotion/)"
        raise FileNotFoundError(f"envsuite asset {'/'.join(parts)} is missing from {assets_dir()}{hint}")
    return path


def data_dir() -> Path:
    """Root of the dataset cache: $ENVSUITE_DATA_DIR, default ~/.envsuite/datasets."""
    configured = os.environ.get("ENVSUITE_DATA_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".envsuite" / "datasets"


def dataset_path(dataset_id: str, root: str | os.PathLike | None = None) -> Path:
    """Cache path of a dataset id `<namespace>/<name>-vN` -> <root>/<namespace>/<name>-vN.h5."""
    family, name = check_dataset_id(dataset_id).split("/")
    base = Path(root) if root is not None else data_dir()
    path = base / family / f"{name}.h5"
    # a family folder that is a symlink leading elsewhere would write outside the root
    inside(base, path, "dataset path")
    return path
