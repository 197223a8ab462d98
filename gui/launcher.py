"""The ``sramfit`` console script.

``sramfit`` alone, or ``sramfit gui [FILE.yaml] [--screenshot OUT.png] [--size WxH]``,
opens the desktop app; ``sramfit export SCENARIO.yaml ... --out DIR`` writes every plot
(and the comparison) to files without a window (gui/headless.py); every other sub-command is the engine's CLI (engine/cli.py).
It lives in gui/ because engine/ may not import the GUI; Qt is imported only when the
app is asked for, so the CLI starts fast.
"""
from __future__ import annotations

import sys


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] == "gui":
        from .app import main as app_main
        return app_main(argv[1:])
    if argv[0] == "export":
        from .headless import main as export_main
        return export_main(argv[1:])
    from engine.cli import main as cli_main
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
