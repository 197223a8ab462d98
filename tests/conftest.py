"""Test configuration: offscreen Qt, settings redirected, no real dialogs."""
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sramfit.gui  # noqa: E402,F401  (applies the PySide6 6.12 None-refcount guard)
from hypothesis import settings as _hyp_settings  # noqa: E402

# CI (.ci/run runs with CI=true) replays the same examples every time, so a landing is
# never decided by a rare random draw; run locally, hypothesis explores new examples
# (and keeps failing ones in .hypothesis/) to find bugs. Fuzz scripts run for longer.
_hyp_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    _hyp_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent       # the repository (for its files);
# the code under test is the installed package, imported as sramfit.*

FIXTURES = ROOT / "tests" / "fixtures"


# -- GUI fixtures (issue 4): settings in a temp dir, no real dialogs, owned windows ----
import pytest  # noqa: E402


@pytest.fixture
def gui_settings(tmp_path, qapp):
    """Redirect the app's QSettings (INI, user scope) to a temp dir for one test."""
    from PySide6.QtCore import QSettings
    folder = tmp_path / "qsettings"
    folder.mkdir()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    qapp.setOrganizationName("sramfit")
    qapp.setApplicationName("sramfit")
    yield folder


@pytest.fixture
def no_dialogs(monkeypatch):
    """Replace every modal dialog with a recorder; a test that did not expect a dialog
    fails instead of blocking. Set ``no_dialogs.answers[name] = value`` to answer."""
    from sramfit.gui import dialogs

    class Recorder:
        def __init__(self):
            self.calls = []
            self.answers = {}

        def make(self, name):
            def fake(*args, **kwargs):
                self.calls.append((name, args, kwargs))
                if name not in self.answers:
                    raise AssertionError(f"unexpected dialog {name}{args[1:]}")
                return self.answers[name]
            return fake

    rec = Recorder()
    for name in ("open_file", "save_file", "show_error", "ask_text", "ask_save_changes",
                 "choose_directory", "export_options"):
        monkeypatch.setattr(dialogs, name, rec.make(name))
    return rec


@pytest.fixture
def main_window(qtbot, gui_settings, no_dialogs):
    """A shown MainWindow on the default scenario. Owns the window's lifetime: closes
    it (discarding changes) after the test and fails if a window or dialog leaked."""
    from PySide6.QtWidgets import QApplication
    from sramfit.gui.style import register_fonts
    from sramfit.gui.document import Document
    from sramfit.gui.main_window import MainWindow
    register_fonts()
    before = set(QApplication.topLevelWidgets())
    win = MainWindow(Document(), remember=True)   # not qtbot.addWidget: pytest-qt would
    win.resize(1600, 1000)                        # close it before this teardown runs
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.doc.stack.setClean()
    win.close()
    win.deleteLater()
    QApplication.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets()
              if w not in before and w is not win and w.isVisible()
              and w.metaObject().className() not in ("QTipLabel",)]
    assert not leaked, f"leaked top-level widgets: {leaked}"
