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


# --- real small filesystems and an unprivileged user, for the crash-safety and hardening tests ---

import contextlib  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402


@pytest.fixture
def small_filesystem(tmp_path):
    """`small_filesystem(kind, megabytes)` mounts a fresh real filesystem and returns its folder.

    kind "tmpfs" (a RAM filesystem of that size) or "ext4" (an ext4 image file on a loop device).
    Mounting needs root; the test is skipped, with the reason, where it is not allowed (a container
    without CAP_SYS_ADMIN, a machine without loop devices). Everything is unmounted at the end.
    """
    mounted: list[Path] = []

    def mount(kind: str, megabytes: int) -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a small filesystem needs root (run the tests as root to include this one)")
        folder = tmp_path / f"{kind}-{megabytes}mb-{len(mounted)}"
        folder.mkdir()
        if kind == "tmpfs":
            command = ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)]
        elif kind == "ext4":
            image = tmp_path / f"{folder.name}.img"
            with open(image, "wb") as f:
                f.truncate(megabytes * 2**20)
            made = subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", str(image)], capture_output=True, text=True)
            if made.returncode != 0:
                pytest.skip(f"mkfs.ext4 failed here: {made.stderr.strip() or made.returncode}")
            command = ["mount", "-o", "loop", str(image), str(folder)]
        else:
            raise ValueError(f"kind must be 'tmpfs' or 'ext4', got {kind!r}")
        if shutil.which(command[0]) is None:
            pytest.skip(f"{command[0]} is not installed")
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a {megabytes} MB {kind} here: {result.stderr.strip() or result.returncode}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        with contextlib.suppress(Exception):
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def as_unprivileged(tmp_path):
    """A command prefix that runs a subprocess without the power to ignore file permissions.

    As root: setpriv dropping CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (root then obeys modes like a
    normal user), probed on a mode-000 file; as another user: nothing to add. Skipped where neither works.
    """
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is missing: cannot drop root's file-permission override")
    prefix = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
              "--bounding-set=-dac_override,-dac_read_search", "--"]
    probe = tmp_path / "mode-000-probe"
    probe.write_text("secret")
    probe.chmod(0)
    result = subprocess.run([*prefix, "cat", str(probe)], capture_output=True)
    if result.returncode == 0:
        pytest.skip("setpriv did not drop root's file-permission override here")
    return prefix
