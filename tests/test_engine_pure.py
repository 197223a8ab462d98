"""engine/ must never load Qt, pyqtgraph or the gui package (an import contract)."""
import subprocess
import sys

from conftest import ROOT


def test_engine_imports_no_qt():
    code = (
        "import importlib, pkgutil, sys, engine\n"
        "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
        "    try:\n"
        "        importlib.import_module(m.name)\n"
        "    except ImportError as e:\n"
        "        if 'onnx' not in str(e): raise\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'gui', 'shiboken6')]\n"
        "print(len([m for m in sys.modules if m.startswith('engine')]))\n"
        "sys.exit(1 if bad else 0)\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert int(res.stdout.strip()) >= 8   # the walk really imported the engine modules


def test_engine_sources_have_no_qt_import_lines():
    for path in (ROOT / "engine").rglob("*.py"):
        for line in path.read_text().splitlines():
            s = line.strip()
            assert not (s.startswith(("import ", "from ")) and
                        any(q in s.split()[1] for q in ("PySide6", "pyqtgraph", "gui"))), \
                f"{path}: {line}"
