"""sramfit desktop app (PySide6 + pyqtgraph). All numbers come from engine.analyze()."""
