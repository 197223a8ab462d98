"""Start the desktop app.

``run(args)`` (``sramfit gui [FILE.yaml] [--screenshot OUT.png] [--size WxH]``, parsed by
sramfit.commands):

* no arguments: the window on the built-in default scenario (YOLOv3 at 2 MP on chip B);
* ``FILE.yaml``: the window on that scenario;
* ``--screenshot OUT.png``: render the full window offscreen at ``--size`` (default
  1600x1000), save the PNG and exit, without reading or writing the user's settings.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from .style import register_fonts

DEFAULT_SIZE = (1600, 1000)


def parse_window_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().replace("×", "x").split("x"))
        if w < 200 or h < 200:
            raise ValueError
    except ValueError:
        raise ValueError(f"--size {text!r}: expected width x height in pixels (at least "
                         f"200x200), e.g. 1600x1000") from None
    return w, h


def make_app(argv0: str = "sramfit"):
    """The QApplication (created once), with the bundled font as default."""
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    if app is None:
        app = QApplication([argv0])
    app.setOrganizationName("sramfit")
    app.setApplicationName("sramfit")
    family = register_fonts()
    font = QFont(family)
    font.setPointSizeF(9.0)
    app.setFont(font)
    return app


def screenshot(window, out: str, size: tuple[int, int]) -> None:
    """Render ``window`` at ``size`` to the PNG ``out``."""
    from PySide6.QtWidgets import QApplication
    window.resize(*size)
    window.show()
    for _ in range(5):
        QApplication.processEvents()
    window.refresh()
    QApplication.processEvents()
    from . import export
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    export.export_widget(window, out)


def run(args) -> int:
    """``sramfit gui``: ``args`` has ``file``, ``screenshot`` and ``size`` (WxH text)."""
    try:
        args.size = parse_window_size(args.size)
    except ValueError as err:
        print(f"sramfit gui: error: {err}", file=sys.stderr)
        return 2
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Qt aborts the process when its platform plugin cannot load: say why instead
    from .qtcheck import problem
    why = problem()
    if why:
        print(f"sramfit: error: cannot open the window: {why}", file=sys.stderr)
        return 2
    app = make_app()

    from sramfit.engine.errors import SramfitError

    from . import dialogs
    from .document import Document
    from .main_window import MainWindow

    # no file: the window at once on the default scenario's first frame (threshold
    # placement, marked "placing exactly..."), the exact figures right after it
    doc = Document(defer=not args.file and not args.screenshot)
    if args.file:
        try:
            doc.load(args.file)
        except SramfitError as err:
            if args.screenshot:
                print(f"sramfit: error: {err}", file=sys.stderr)
                return 2
            dialogs.show_error(None, "Cannot open the scenario", str(err))
    doc.defer_new_models = True     # a new model: first frame at once, exact right after
    window = MainWindow(doc, remember=not args.screenshot)
    if args.screenshot:
        try:
            screenshot(window, args.screenshot, args.size)
        except (OSError, SramfitError) as err:
            print(f"sramfit: error: {err}", file=sys.stderr)
            return 2
        finally:
            window.close()
        print(f"wrote {args.screenshot} ({args.size[0]}x{args.size[1]})")
        return 0
    window.show()
    if doc.provisional:
        show_first_frame(app, window)
        from PySide6.QtCore import QTimer
        QTimer.singleShot(0, doc.complete)
    return app.exec()


def show_first_frame(app, window, wait_s: float = 0.5) -> None:
    """Let the shown ``window`` paint (on X the server's expose event comes back
    asynchronously: wait for it, at most ``wait_s``)."""
    import time
    end = time.perf_counter() + wait_s
    app.processEvents()
    handle = window.windowHandle()
    while handle is not None and not handle.isExposed() and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()

