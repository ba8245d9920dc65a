"""Opening, creating and renaming files safely in folders other people can write to, and on full disks.

Where it sits: envsuite.data (below the writer, datagen's runner and its lock; imports only the
format's errors). Dataset folders may be shared (a lab's /data) and disks fill up; these helpers are
what keeps envsuite from writing through a planted symlink, renaming someone else's file into place,
or crashing when a write fails:

- `create_exclusive(path)`: a new regular file, never through a symlink (O_CREAT | O_EXCL | O_NOFOLLOW);
  a stale file of an earlier run at that name is unlinked first (unlinking a symlink removes the link,
  never its target).
- `open_lock_file(path)`: a lock file opened without following links, refused if it is not a regular
  file with one link (a hard link to another file would make us write through it).
- `replace_regular(fd, source, target)`: rename only the very file we wrote (same inode as our fd).
- `check_private_folder(path)`: a folder we reuse across runs must be ours and not writable by others.
- `require_free_space(folder, nbytes)`: an OSError(ENOSPC) naming the folder before a write that
  cannot fit, instead of a half-written file.
- `SpaceGuardedFile`: the file object h5py writes through. After one failed HDF5 write h5py crashes
  the process when the file is closed (a segfault, exit 139, even once space is freed), so the first
  ENOSPC / EDQUOT / EFBIG is recorded and that write and every later one are discarded: HDF5 never
  sees an error, and the writer raises the recorded one and deletes the file.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import stat
from pathlib import Path

from envsuite.data.format import DatasetError

# Writes that fail because the storage is full: the guarded file records them instead of failing.
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
# Kept free beyond what a write needs: the filesystem's own metadata and HDF5's free-space bookkeeping.
FREE_SPACE_RESERVE_BYTES = 4 * 2**20

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class UnsafeFileError(DatasetError):
    """A file or folder envsuite would write is a symlink, a hard link, someone else's, or writable by others."""


def create_exclusive(path: str | os.PathLike, mode: int = 0o644) -> int:
    """A file descriptor of a new, empty regular file at `path` (read-write), never through a link."""
    path = Path(path)
    try:
        os.unlink(path)  # a leftover of a crashed run, or a planted symlink: removes the name only
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise UnsafeFileError(f"{path} is a folder; remove it, envsuite writes a file at that name") from None
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    except FileExistsError:
        raise UnsafeFileError(f"{path} was created by another process while envsuite was creating it; "
                              "make sure no other program writes into this folder") from None


def open_lock_file(path: str | os.PathLike) -> int:
    """A descriptor of the lock file `path` (created if absent), refused if it is a link or not a regular file."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0), 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafeFileError(f"the lock file {path} is a symlink; envsuite never writes through a link: "
                                  "remove it (rm) and rerun") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        kind = "not a regular file" if not stat.S_ISREG(info.st_mode) else f"a file with {info.st_nlink} hard links"
        raise UnsafeFileError(f"the lock file {path} is {kind}; envsuite writes only its own files: remove it "
                              "and rerun")
    return fd


def replace_regular(fd: int, source: str | os.PathLike, target: str | os.PathLike) -> None:
    """os.replace(source, target), only if `source` is still the regular file open as `fd`."""
    source = Path(source)
    try:
        named = os.lstat(source)
    except FileNotFoundError:
        raise UnsafeFileError(f"{source} disappeared before it could be renamed to {target}; another process "
                              "removed it, rerun the command") from None
    opened = os.fstat(fd)
    if not stat.S_ISREG(named.st_mode) or (named.st_dev, named.st_ino) != (opened.st_dev, opened.st_ino):
        raise UnsafeFileError(f"{source} is no longer the file envsuite wrote (it was replaced, perhaps by a "
                              f"symlink); nothing was renamed to {target}")
    os.replace(source, target)


def check_private_folder(path: str | os.PathLike) -> None:
    """A folder envsuite reuses across runs (shards) must be a real folder, ours, not writable by others."""
    path = Path(path)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFileError(f"{path} is a symlink; envsuite keeps its shards only in a real folder: remove the "
                              "link and rerun")
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFileError(f"{path} is not a folder; remove it and rerun")
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        raise UnsafeFileError(f"{path} belongs to uid {info.st_uid}, not to you (uid {os.geteuid()}); envsuite "
                              "does not reuse another user's shards: remove it or use another --out")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeFileError(f"{path} is writable by other users (mode {stat.S_IMODE(info.st_mode):o}); anyone "
                              f"could plant shards there: `chmod go-w {path}` or remove it, and rerun")


def require_free_space(folder: str | os.PathLike, nbytes: int, what: str) -> None:
    """OSError(ENOSPC) naming the folder if `nbytes` (plus a reserve) do not fit in it."""
    folder = Path(folder)
    free = shutil.disk_usage(folder).free
    needed = int(nbytes) + FREE_SPACE_RESERVE_BYTES
    if free < needed:
        raise OSError(errno.ENOSPC, f"No space left on device: {what} needs about {_mib(needed)} in {folder}, "
                      f"which has {_mib(free)} free", str(folder))


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:.1f} MiB"


class SpaceGuardedFile(io.RawIOBase):
    """A read-write file object over `fd` for h5py's fileobj driver that never fails a write on a full disk.

    The first write that fails with a disk-full errno is kept in `error`; it and every later write
    report success without writing, so HDF5 keeps a consistent state in memory and can be closed.
    The owner must check `error` and throw the file away when it is set.
    """

    def __init__(self, fd: int, path: str | os.PathLike):
        self._fd = fd
        self.path = Path(path)
        self.name = str(path)
        self.error: OSError | None = None

    def fileno(self) -> int:
        return self._fd

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return os.lseek(self._fd, offset, whence)

    def tell(self) -> int:
        return os.lseek(self._fd, 0, os.SEEK_CUR)

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        total = 0
        while total < len(view):
            count = os.readv(self._fd, [view[total:]])
            if count == 0:
                break
            total += count
        return total

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        if self.error is not None:
            return len(view)  # discarded: the file is already lost
        written = 0
        try:
            while written < len(view):
                written += os.write(self._fd, view[written:])
        except OSError as error:
            if error.errno not in DISK_FULL_ERRNOS:
                raise
            self.error = OSError(error.errno, error.strerror, str(self.path))
        return len(view)

    def truncate(self, size: int | None = None) -> int:
        size = self.tell() if size is None else size
        if self.error is None:
            try:
                os.ftruncate(self._fd, size)
            except OSError as error:
                if error.errno not in DISK_FULL_ERRNOS:
                    raise
                self.error = OSError(error.errno, error.strerror, str(self.path))
        return size

    def flush(self) -> None:
        pass  # nothing is buffered here: every write goes straight to the descriptor

    def fsync(self) -> None:
        os.fsync(self._fd)

    def close(self) -> None:
        if not self.closed:
            super().close()
            os.close(self._fd)
