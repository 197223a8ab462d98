"""sramfit: how much on-chip SRAM a neural network needs, and what less costs.

The installed package has one import name, ``sramfit``. In the repository its parts
keep their own top-level folders, mapped in pyproject.toml:

* ``sramfit``          <- ``cli/``     this file and the command line (``sramfit.commands``)
* ``sramfit.engine``   <- ``engine/``  the pure computation (never imports Qt)
* ``sramfit.gui``      <- ``gui/``     the desktop app and every exporter (PySide6, pyqtgraph)
* ``sramfit.engine.profiles`` <- ``profiles/``, ``sramfit.gui.fonts`` <- ``assets/fonts``

``import sramfit`` loads nothing heavy; use ``sramfit.engine`` for the Python API.
"""
__version__ = "0.2.0"
