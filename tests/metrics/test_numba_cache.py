"""`import envsuite` works where numba cannot cache (read-only install, unwritable HOME): one warning.

numba raises "cannot cache function ...: no locator available" at decoration time when neither
NUMBA_CACHE_DIR, the `__pycache__` beside the source nor the user-wide cache under HOME is writable
(envsuite/_numba_cache.py). The tests copy the package into a read-only folder and import it in a
child process that cannot write there; root ignores permission bits, so as root the child runs as
`nobody`.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# The child imports every module with cached kernels (metrics, mocap, starcraft) and runs kernels.
CHILD = """
import os, sys, warnings
warnings.simplefilter("default")
{prelude}
import numpy as np
import envsuite
assert envsuite.__file__.startswith({package_root!r}), envsuite.__file__
from envsuite.metrics import episodes, coverage, weighting, action_matching
import envsuite.mocap.kernels, envsuite.starcraft.simulator, envsuite.starcraft.bots
import envsuite.starcraft.features, envsuite.starcraft.images, envsuite.starcraft.replay
starts, lengths = episodes._episode_bounds_kernel(np.array([False, True, False, True]))
assert list(starts) == [0, 2] and list(lengths) == [2, 2], (starts, lengths)
print("KERNEL_OK", lengths.tolist())
print("CACHE_DIR", os.environ.get("NUMBA_CACHE_DIR", ""))
"""


def _as_unprivileged_user() -> list[str]:
    """The command prefix that runs the child as a user the permission bits apply to."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    pytest.skip("running as root, which ignores permission bits, and neither setpriv nor runuser "
                "exists to run the child as an unprivileged user")


@pytest.fixture
def read_only_install():
    """A world-readable, nobody-unwritable copy of the package, and an unwritable HOME."""
    prefix = _as_unprivileged_user()
    # Not pytest's tmp_path: it lies under a 0700 folder of root's that `nobody` cannot enter.
    base = Path(tempfile.mkdtemp(prefix="envsuite-readonly-"))
    try:
        base.chmod(0o755)
        package_root = base / "site"
        shutil.copytree(REPO / "envsuite", package_root / "envsuite",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (package_root / "assets").symlink_to(REPO / "assets")  # read-only use, found as ../assets
        home = base / "home"
        home.mkdir()
        for path in [package_root, *package_root.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        home.chmod(0o555)
        yield prefix, package_root, home
    finally:
        for path in [base, *base.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
        shutil.rmtree(base, ignore_errors=True)


def _run_child(prefix, package_root, home, prelude="", extra_env=None):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("NUMBA_", "XDG_", "PYTHON"))}
    env.update(HOME=str(home), PYTHONPATH=str(package_root), PYTHONDONTWRITEBYTECODE="1",
               **(extra_env or {}))
    code = CHILD.format(prelude=prelude, package_root=str(package_root))
    return subprocess.run([*prefix, sys.executable, "-c", code], cwd=package_root, env=env,
                          capture_output=True, text=True, timeout=600)


def test_numba_cache_can_fail_where_the_test_looks(read_only_install):
    # The premise of the tests below: plain numba with cache=True fails in this child.
    prefix, package_root, home = read_only_install
    probe = package_root / "envsuite" / "metrics" / "episodes.py"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NUMBA_", "XDG_"))}
    env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    # A function whose source file is one of the read-only package's (numba looks beside it).
    code = ("import numba\n"
            f"exec(compile('def f(x):\\n    return x\\n', {str(probe)!r}, 'exec'), ns := {{}})\n"
            "numba.njit(cache=True)(ns['f'])\n")
    result = subprocess.run([*prefix, sys.executable, "-c", code], cwd=package_root, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode != 0 and "no locator available" in result.stderr, result.stderr[-2000:]


def test_import_falls_back_to_a_temporary_cache_with_one_warning(read_only_install):
    prefix, package_root, home = read_only_install
    result = _run_child(prefix, package_root, home)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "KERNEL_OK [2, 2]" in result.stdout
    assert result.stderr.count("NumbaCacheWarning") == 1, result.stderr[-4000:]
    assert "NUMBA_CACHE_DIR" in result.stderr and "temporary folder" in result.stderr
    cache_dir = result.stdout.split("CACHE_DIR ", 1)[1].strip()
    assert "envsuite-numba-cache-" in cache_dir
    assert not os.path.exists(cache_dir), "the temporary cache folder outlived its process"


def test_import_compiles_without_cache_when_no_temporary_folder_can_be_made(read_only_install):
    prefix, package_root, home = read_only_install
    prelude = ("import tempfile\n"
               "def refuse(*args, **kwargs):\n"
               "    raise FileNotFoundError('No usable temporary directory found')\n"
               "tempfile.mkdtemp = refuse\n")
    result = _run_child(prefix, package_root, home, prelude=prelude)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "KERNEL_OK [2, 2]" in result.stdout
    assert result.stderr.count("NumbaCacheWarning") == 1, result.stderr[-4000:]
    assert "without caching" in result.stderr and "NUMBA_CACHE_DIR" in result.stderr


def test_a_writable_numba_cache_dir_means_no_warning(read_only_install):
    prefix, package_root, home = read_only_install
    cache = Path(tempfile.mkdtemp(prefix="envsuite-numba-user-cache-"))
    try:
        cache.chmod(0o777)
        result = _run_child(prefix, package_root, home, extra_env={"NUMBA_CACHE_DIR": str(cache)})
        assert result.returncode == 0, result.stderr[-4000:]
        assert "KERNEL_OK [2, 2]" in result.stdout
        assert "NumbaCacheWarning" not in result.stderr, result.stderr[-4000:]
        assert any(cache.rglob("*.nbi")), "numba did not cache in the folder the user gave"
    finally:
        shutil.rmtree(cache, ignore_errors=True)
