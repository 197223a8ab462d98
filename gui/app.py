"""Start the desktop app.

``main(argv)`` accepts ``[FILE.yaml] [--screenshot OUT.png] [--size WxH]``:

* no arguments: the window on the built-in default scenario (YOLOv3 at 2 MP on chip B);
* ``FILE.yaml``: the window on that scenario;
* ``--screenshot OUT.png``: render the full window offscreen at ``--size`` (default
  1600x1000), save the PNG and exit, without reading or writing the user's settings.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"
# installed: gui/fonts (package data mapped from assets/fonts); source tree: assets/fonts
FONT_DIRS = (Path(__file__).resolve().parent / "fonts", ASSETS / "fonts")
FONT_DIR = next((d for d in FONT_DIRS if any(d.glob("*.ttf"))), FONT_DIRS[-1])
FONT_FAMILY = "DejaVu Sans"
DEFAULT_SIZE = (1600, 1000)


def register_fonts() -> str:
    """Register the bundled fonts with Qt; returns the family to use."""
    from PySide6.QtGui import QFontDatabase
    family = None
    for ttf in sorted(FONT_DIR.glob("*.ttf")):
        fid = QFontDatabase.addApplicationFont(str(ttf))
        fams = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
        family = family or (fams[0] if fams else None)
    return family or FONT_FAMILY


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="sramfit gui",
                                description="Open the sramfit desktop app.")
    p.add_argument("file", nargs="?", help="scenario .yaml to open")
    p.add_argument("--screenshot", metavar="OUT.png",
                   help="render the window offscreen to this PNG and exit")
    p.add_argument("--size", default="x".join(map(str, DEFAULT_SIZE)), metavar="WxH",
                   help="window size for --screenshot (default 1600x1000)")
    args = p.parse_args(argv)
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
        if w < 200 or h < 200:
            raise ValueError
    except ValueError:
        p.error(f"--size {args.size!r}: expected width x height in pixels, e.g. 1600x1000")
    args.size = (w, h)
    return args


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
    image = window.grab()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out)):
        raise OSError(f"cannot write {out}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = make_app()

    from engine.errors import SramfitError

    from . import dialogs
    from .document import Document
    from .main_window import MainWindow

    doc = Document()
    if args.file:
        try:
            doc.load(args.file)
        except SramfitError as err:
            if args.screenshot:
                print(f"sramfit: error: {err}", file=sys.stderr)
                return 2
            dialogs.show_error(None, "Cannot open the scenario", str(err))
    window = MainWindow(doc, remember=not args.screenshot)
    if args.screenshot:
        try:
            screenshot(window, args.screenshot, args.size)
        except OSError as err:
            print(f"sramfit: error: {err}", file=sys.stderr)
            return 2
        finally:
            window.close()
        print(f"wrote {args.screenshot} ({args.size[0]}x{args.size[1]})")
        return 0
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
