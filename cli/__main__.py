"""``python -m sramfit``: the same as the ``sramfit`` command."""
import sys

from .commands import main

sys.exit(main())
