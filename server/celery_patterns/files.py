"""Reading the files a check reads and writing the fixes back, without losing a byte.

- Only regular files are read: a FIFO would block the read forever, a link to `/dev/zero`
  would fill the memory. A file is opened without blocking and looked at (`fstat`) before
  a byte is read, and files over `SIZE_LIMIT` are refused.
- A fix is written to a temporary file beside the original (same permission bits), flushed
  and synced to disk, then renamed over the original: a crash, a full disk or a kill leaves
  either the old file or the new one, never a truncated one. Just before the rename the
  original is read again: if it changed since the check read it (an editor saved it
  meanwhile), or it is gone, nothing is written and `FileChanged` says so. A file deleted
  meanwhile is not created again.

It works on bytes and knows nothing else of the package: the caller encodes the fixed text
(and finds out it cannot be encoded) before anything touches the disk.
"""

from __future__ import annotations

import os
import stat
import tempfile

# Larger files are skipped with a message. The largest hand-written Python modules are a few
# hundred kilobytes (CPython's own largest, `Lib/test/test_descr.py`, is ~200 kB); what
# crosses 10 MB is generated data, which no checklist item is about.
SIZE_LIMIT = 10 * 1024 * 1024


class SkippedFile(Exception):
    """A file that is not read: not a regular file, or too large. The message says which."""


class FileChanged(Exception):
    """A fix that was not written because the file changed (or went) since it was read."""


def read_file(path: str, limit: int | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (`SIZE_LIMIT`); `SkippedFile` for
    anything else, `OSError` when it cannot be opened (permission, a dangling link, a loop)."""
    limit = SIZE_LIMIT if limit is None else limit
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)  # O_NONBLOCK: opening a FIFO does not wait for a writer
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SkippedFile(f"not a regular file ({_kind(info.st_mode)}), skipped")
        if info.st_size > limit:
            raise SkippedFile(f"too large ({_megabytes(info.st_size)}, the limit is {_megabytes(limit)}), skipped")
        chunks = []
        size = 0
        while True:
            chunk = os.read(fd, max(limit + 1 - size, 1))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # it grew while being read
                raise SkippedFile(f"too large (over {_megabytes(limit)}), skipped")
        return b"".join(chunks)
    finally:
        os.close(fd)


def is_regular_file(path: str) -> bool:
    """`path` (followed through links) is a regular file; False when it cannot be looked at."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def replace_file(path: str, data: bytes, expected: bytes) -> None:
    """Write `data` as the new content of the file at `path` (through a link: of its target),
    provided it still holds `expected`; else `FileChanged` and nothing is written."""
    target = os.path.realpath(path)
    directory, name = os.path.split(target)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        raise FileChanged("deleted since it was read; not written") from None
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".celery-patterns-tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _copy_owner_and_mode(temporary, info)
        try:
            current = read_file(target, limit=max(len(expected), SIZE_LIMIT))
        except FileNotFoundError:
            raise FileChanged("deleted since it was read; not written") from None
        except SkippedFile as exc:
            raise FileChanged(f"changed since it was read ({exc}); not written") from None
        if current != expected:
            raise FileChanged("changed since it was read; not written (run again to fix it)")
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _sync_directory(directory)


def _copy_owner_and_mode(path: str, info: os.stat_result) -> None:
    os.chmod(path, stat.S_IMODE(info.st_mode))
    if hasattr(os, "chown"):
        try:
            os.chown(path, info.st_uid, info.st_gid)
        except OSError:
            pass  # not ours to give away (a file of another user we may write): keep ours


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX; nothing to do elsewhere)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    for test, word in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return word
    return "not a file"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
