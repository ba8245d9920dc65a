"""Shared test set-up: headless MuJoCo rendering and the path of the shared third-party data."""

import os
from pathlib import Path

# Before anything imports MuJoCo's renderer (envsuite sets the same default; tests state it too).
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("MUJOCO_GL", "egl")

import pytest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the shared third-party data folder {SHARED_DATA} is absent (it is not part of a user's clone)")
    return SHARED_DATA
