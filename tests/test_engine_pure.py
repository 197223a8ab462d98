"""sramfit.engine must never load Qt, pyqtgraph or the gui package (also an
import-linter contract: tests/test_architecture.py)."""
import subprocess
import sys

from conftest import ROOT


def _python(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter outside the repository."""
    return subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True,
                          text=True)


def test_engine_imports_no_qt():
    code = (
        "import importlib, pkgutil, sys\n"
        "from sramfit import engine\n"
        "for m in pkgutil.walk_packages(engine.__path__, 'sramfit.engine.'):\n"
        "    try:\n"
        "        importlib.import_module(m.name)\n"
        "    except ImportError as e:\n"
        "        if 'onnx' not in str(e): raise\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')\n"
        "       or m.startswith('sramfit.gui')]\n"
        "print(len([m for m in sys.modules if m.startswith('sramfit.engine')]))\n"
        "sys.exit(1 if bad else 0)\n")
    res = _python(code)
    assert res.returncode == 0, res.stdout + res.stderr
    assert int(res.stdout.strip()) >= 8   # the walk really imported the engine modules


def test_report_command_loads_no_qt():
    """`sramfit report` must run on a machine without a display or Qt libraries."""
    code = ("import sys\n"
            "from sramfit.commands import main\n"
            "rc = main(['report', '--model', 'resnet18', '--format', 'json'])\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]\n"
            "print(bad, file=sys.stderr)\n"
            "sys.exit(rc or (1 if bad else 0))\n")
    res = _python(code)
    assert res.returncode == 0, res.stderr[-2000:]
    assert '"params": 11689512' in res.stdout       # torchvision's resnet18 count


def test_engine_sources_have_no_qt_import_lines():
    for path in (ROOT / "engine").rglob("*.py"):
        for line in path.read_text().splitlines():
            s = line.strip()
            assert not (s.startswith(("import ", "from ")) and
                        any(q in s.split()[1] for q in ("PySide6", "pyqtgraph", "gui"))), \
                f"{path}: {line}"
