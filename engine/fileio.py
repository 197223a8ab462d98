"""File reading and all-or-nothing writes for the engine's files (scenarios, chip
profiles, models).

Reading: only regular files of at most :data:`MAX_FILE_BYTES` (16 MiB) are read, as
UTF-8; every error names the file and never quotes its contents.

Writing (:func:`write_text_atomic`): the text goes to a temp file in the target's
directory (``.<name>.<pid>.<random>.tmp``), is fsynced and renamed over the target, so
a reader sees the old file or the new one, never a mix. A symlink is followed: its
target is replaced and the link stays. A new file gets the permissions the umask
allows (0644 under umask 022, like exports); an existing file keeps its own. Every
error names the target (never the temp file), and leaves the old file untouched.
Temp files left by a process that was killed mid-save are removed by the next save
to the same directory.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
import threading
import time

from .errors import SramfitError

#: largest file read (bytes); sramfit files are far smaller (10,000 layers ~ 0.7 MB)
MAX_FILE_BYTES = 16 * 2 ** 20
#: a temp file older than this is stale even if its pid is alive (pids are reused)
STALE_TEMP_S = 24 * 3600

_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _remove_stale_temps(directory: str, base: str) -> None:
    """Remove ``.<base>.<pid>.*.tmp`` left by dead processes (best effort)."""
    prefix = f".{base}."
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix)
                 and n.endswith(".tmp")]
    except OSError:
        return
    now = time.time()
    for n in names:
        pid_text = n[len(prefix):].split(".", 1)[0]
        if not pid_text.isdigit():
            continue
        full = os.path.join(directory, n)
        try:
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
                continue
            if not _alive(int(pid_text)) or now - st.st_mtime > STALE_TEMP_S:
                os.unlink(full)
        except OSError:
            pass


def _why(err: BaseException) -> str:
    """Why an OS call failed, without the file names it carries (a temp file's)."""
    if isinstance(err, OSError):
        return err.strerror or str(err) or type(err).__name__
    return type(err).__name__


def write_text_atomic(path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same directory, fsync and
    os.replace (through a symlink to its target). On any error the temp file is
    removed, the old file is untouched and SramfitError names ``path``."""
    shown = str(path)
    try:
        target = os.path.realpath(os.path.abspath(os.fspath(path)))
        directory, base = os.path.split(target)
        if not base:
            raise IsADirectoryError(errno.EISDIR, "is a folder")
        data = text.encode("utf-8")
    except (OSError, ValueError, TypeError, UnicodeError) as err:
        raise SramfitError(f"{shown}: cannot save: {_why(err)}") from None
    base = base[:120]                      # the temp name stays under NAME_MAX
    _remove_stale_temps(directory, base)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{base}.{os.getpid()}.", suffix=".tmp",
                                   dir=directory)
    except OSError as err:
        raise SramfitError(f"{shown}: cannot save: {_why(err)} (in folder "
                           f"{directory})") from None
    try:
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                mode = stat.S_IMODE(os.stat(target).st_mode)
            except FileNotFoundError:
                mode = 0o666 & ~_umask()
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except OSError as err:
            raise SramfitError(f"{shown}: cannot save: {_why(err)}; the file was not "
                               f"changed") from None
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:                                   # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def read_text(path, error=SramfitError, expected: str = "", limit: int | None = None,
              limit_name: str = "MAX_FILE_BYTES") -> str:
    """The text of ``path``; a missing, unreadable, non-regular, too large (more than
    ``limit`` or :data:`MAX_FILE_BYTES` bytes) or non-UTF-8 file raises ``error``
    naming it (``expected`` says what kind of file was wanted). The message never
    quotes the file's contents."""
    hint = f"; expected {expected}" if expected else ""
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise error(f"{path}: not a regular file{hint}")
            if st.st_size > limit:
                raise error(f"{path}: {st.st_size} bytes, more than the limit "
                            f"{limit_name} = {limit} bytes{hint}")
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a file{hint}") from None
    except (OSError, ValueError, TypeError) as err:
        if isinstance(err, SramfitError):
            raise
        raise error(f"{path}: cannot read the file ({_why(err)}){hint}") from None
    if len(data) > limit:
        raise error(f"{path}: more than the limit {limit_name} = {limit} bytes{hint}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise error(f"{path}:{line}: not UTF-8 text{hint}") from None
