"""Shared test set-up: headless MuJoCo rendering and the path of the shared third-party data."""

import os
from pathlib import Path

# Before anything imports MuJoCo's renderer (envsuite sets the same default; tests state it too).
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("MUJOCO_GL", "egl")
# pysc2 4.0's generated protobuf code needs protobuf's Python implementation, chosen when protobuf is
# first imported (dm_control imports it too): one test session holds both, so choose it up front.
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")

import pytest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the shared third-party data folder {SHARED_DATA} is absent (it is not part of a user's clone)")
    return SHARED_DATA
