"""sramfit desktop app (PySide6 + pyqtgraph). All numbers come from sramfit.engine.

Importing this package first applies :func:`guard_none_refcount` (see there)."""
from __future__ import annotations

import sys


def guard_none_refcount() -> bool:
    """Work around a PySide6 6.12 bug on CPython < 3.12; returns True if applied.

    shiboken6 6.12 treats ``None``, ``True`` and ``False`` as immortal, as CPython
    3.12+ does, and drops one reference to them each time a C++ method returns void or
    a bool (QPainter.setPen, drawLine, setFont, setClipRect, ...: measured -1 per
    call). On CPython 3.10/3.11, where they are ordinary counted objects, a few
    thousand paint calls bring a count to zero and the interpreter aborts ("Fatal
    Python error: none_dealloc" / "bool_dealloc"). Giving these singletons the same
    effectively-immortal count that 3.12 gives them makes the extra decrements
    harmless (2**60 of them would be needed to reach zero). On 3.12+ this does nothing;
    with an unaffected PySide6 it is harmless (the singletons are never freed anyway).
    tests/test_qt_compat.py shows the abort without the guard and none with it.
    """
    if sys.version_info >= (3, 12):
        return False
    import ctypes
    for obj in (None, True, False, Ellipsis, NotImplemented):
        count = ctypes.c_ssize_t.from_address(id(obj))
        if count.value < 2 ** 59:
            count.value += 2 ** 60
    return True


guard_none_refcount()
