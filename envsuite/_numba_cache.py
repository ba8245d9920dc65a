"""`njit`: numba.njit whose `cache=True` means "cache if this machine lets numba cache".

numba looks for a cache folder when a `cache=True` function is *decorated* (at import): the
NUMBA_CACHE_DIR folder, then the `__pycache__` beside the source file, then the user-wide cache
(~/.cache/numba). When none is writable (a read-only install, e.g. a container image or a shared
site-packages, with a read-only or absent HOME) it raises "RuntimeError: cannot cache function ...:
no locator available", and `import envsuite` fails although nothing is wrong with the code.

Every cached kernel of envsuite is decorated by `njit` below, so that decision is taken in this one
place: the first kernel that numba cannot cache switches the whole process to a fresh private
temporary cache folder (NUMBA_CACHE_DIR is set to it, so worker processes share it), or, when no
temporary folder can be made either, to no caching. Either way exactly one warning says why and
what to set. A user who sets NUMBA_CACHE_DIR to a writable folder never sees it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import warnings

import numba
from numba.core import config as _numba_config


class NumbaCacheWarning(RuntimeWarning):
    """numba cannot cache envsuite's kernels where it looks; a fallback is used (see the message)."""


# The decision, taken once per process at the first kernel numba refuses to cache:
# None = numba caches where it looks; a path = the temporary cache folder; "" = no caching.
_fallback: str | None = None


def _is_no_locator(error: RuntimeError) -> bool:
    return "no locator available" in str(error)


def _choose_fallback(source_file: str) -> str:
    """Make the temporary cache folder (or give up caching), point numba at it, warn once."""
    global _fallback
    user_dir = os.environ.get("NUMBA_CACHE_DIR")
    looked = (f"NUMBA_CACHE_DIR={user_dir!r}, " if user_dir else "") + (
        f"the __pycache__ folder beside {source_file} and the user-wide cache under "
        f"HOME={os.path.expanduser('~')!r}")
    try:
        # mkdtemp: a private (0700) folder with a fresh name. A fixed shared name in /tmp would let
        # another user plant cache files, which numba unpickles.
        path = tempfile.mkdtemp(prefix="envsuite-numba-cache-")
    except OSError as error:
        path = ""
        what = (f"no temporary folder could be made either ({error}), so they are compiled "
                "without caching, again in every process (seconds each time)")
    else:
        creator = os.getpid()
        # Removed when this process exits; forked workers (os._exit) never run it, spawned ones
        # skip it by the pid check.
        atexit.register(lambda: os.getpid() == creator and shutil.rmtree(path, ignore_errors=True))
        os.environ["NUMBA_CACHE_DIR"] = path  # worker processes started from here use it too
        what = (f"they are cached in the temporary folder {path} for this process only, so the "
                "next process compiles them again")
    _numba_config.CACHE_DIR = path  # numba read the environment when it was imported
    _fallback = path
    warnings.warn(
        f"numba cannot cache envsuite's compiled kernels: none of the folders it looks in is "
        f"writable ({looked}); {what}. Set NUMBA_CACHE_DIR to a writable folder to keep them "
        "between runs.",
        NumbaCacheWarning, stacklevel=3)
    return path


def njit(function=None, /, *, cache: bool = False, **options):
    """numba.njit(cache=..., **options), where `cache=True` falls back as the module docstring says.

    Used exactly like numba.njit: `@njit(cache=True)`, `@njit(cache=True, parallel=True)`.
    """
    def decorate(py_function):
        if not cache:
            return numba.njit(**options)(py_function)
        if _fallback == "":
            return numba.njit(**options)(py_function)
        try:
            return numba.njit(cache=True, **options)(py_function)
        except RuntimeError as error:
            if not _is_no_locator(error) or _fallback is not None:
                raise  # the temporary folder was refused too: not a case this module knows
            path = _choose_fallback(py_function.__code__.co_filename)
            return numba.njit(cache=bool(path), **options)(py_function)

    return decorate if function is None else decorate(function)
