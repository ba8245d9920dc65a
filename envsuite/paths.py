"""Where envsuite finds its files: committed assets and the dataset cache.

Sits below every other module (imports nothing from envsuite). Assets live at the repository root
in `assets/` (DESIGN.md section 1); a wheel ships them as `envsuite/assets/` (see pyproject.toml),
so both places are tried, the installed one first.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


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
    """Path of one committed asset, e.g. asset_path("locomotion", "hopper_expert.npz")."""
    path = assets_dir().joinpath(*parts)
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
    parts = dataset_id.split("/")
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"dataset id {dataset_id!r} is not of the form '<family>/<name>-vN', e.g. 'locomotion/hopper-medium-v0'")
    base = Path(root) if root is not None else data_dir()
    return base / parts[0] / f"{parts[1]}.h5"
