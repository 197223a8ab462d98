"""File reading and all-or-nothing writes for the engine's files (scenarios, chip
profiles, models). Every read error names the file."""
from __future__ import annotations

import os
import tempfile

from .errors import SramfitError



def write_text_atomic(path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same directory, fsync and
    os.replace. On any error the temp file is removed and the old file is untouched;
    an existing file's permissions are kept."""
    path = os.path.abspath(str(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                               dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_text(path, error=SramfitError, expected: str = "") -> str:
    """The text of ``path``; a missing or unreadable file raises ``error`` naming it
    (``expected`` says what kind of file was wanted)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise error(f"{path}: cannot read the file ({err})"
                    + (f"; expected {expected}" if expected else "")) from None
