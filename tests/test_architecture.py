"""The layering is an executable contract: import-linter's contracts in pyproject.toml
([tool.importlinter]) must hold.

The check lints the package exactly as ``pip install .`` lays it out (pyproject's
package-dir mapping: cli/ -> sramfit, engine/ -> sramfit/engine, gui/ -> sramfit/gui),
copied from the repository into a temporary folder, so that it sees the sources under
test whether sramfit is installed editable (where the mapping is virtual) or not."""
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import ROOT

CFG = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _lint_imports():
    exe = Path(sys.executable).with_name("lint-imports")
    return str(exe) if exe.exists() else shutil.which("lint-imports")


def _lay_out_package(dest: Path) -> None:
    """Copy every mapped package's .py files to where an install would put them."""
    for pkg, src in CFG["tool"]["setuptools"]["package-dir"].items():
        target = dest.joinpath(*pkg.split("."))
        target.mkdir(parents=True, exist_ok=True)
        for py in (ROOT / src).glob("*.py"):
            shutil.copy2(py, target / py.name)


def test_contracts_are_declared():
    contracts = CFG["tool"]["importlinter"]["contracts"]
    names = [c["name"] for c in contracts]
    assert any("engine never imports Qt" in n for n in names)
    assert any("GUI-free commands" in n for n in names)


def _lint_with(tmp_path, rel: str | None = None, source: str = ""):
    """Run lint-imports on the package laid out in ``tmp_path`` (plus the module
    ``rel`` with ``source``, to show a contract breaking); (exit code, output)."""
    exe = _lint_imports()
    assert exe, "import-linter is a test dependency; lint-imports not found"
    _lay_out_package(tmp_path / "site")
    if rel:
        (tmp_path / "site" / rel).write_text(source)
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    res = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    return res.returncode, res.stdout + res.stderr


def test_import_contracts_hold(tmp_path):
    code, out = _lint_with(tmp_path)
    assert (tmp_path / "site/sramfit/engine/placement.py").exists()
    assert code == 0, out[-4000:]
    n = len(CFG["tool"]["importlinter"]["contracts"])
    assert f"Contracts: {n} kept, 0 broken." in out, out[-2000:]


def test_a_broken_contract_is_caught(tmp_path):
    """The check can fail: an engine module that imports Qt breaks the build."""
    code, out = _lint_with(tmp_path, "sramfit/engine/_bad.py", "import PySide6.QtCore\n")
    assert code != 0
    assert "sramfit.engine._bad" in out


def test_the_gui_contracts_are_declared():
    names = [c["name"] for c in CFG["tool"]["importlinter"]["contracts"]]
    assert any("Plot classes never compute" in n for n in names)
    assert any("leaves through sramfit.gui.export" in n for n in names)


def test_a_plot_that_computes_is_caught(tmp_path):
    """A plot module that runs the analysis itself breaks the plot contract."""
    code, out = _lint_with(tmp_path, "sramfit/gui/plots/_bad.py",
                           "from sramfit.engine.analysis import analyze\n")
    assert code != 0 and "sramfit.gui.plots._bad" in out


def test_a_plot_that_computes_through_a_helper_is_caught(tmp_path):
    """... and so does one that reaches the engine through another GUI module."""
    code, out = _lint_with(tmp_path, "sramfit/gui/plots/_bad.py",
                           "from sramfit.gui import document\n")
    assert code != 0 and "sramfit.gui.plots._bad" in out


def test_a_file_written_outside_the_export_package_is_caught(tmp_path):
    code, out = _lint_with(tmp_path, "sramfit/gui/_bad.py", "import csv\n")
    assert code != 0 and "sramfit.gui._bad" in out
    code, out = _lint_with(tmp_path, "sramfit/gui/plots/_bad.py", "import tempfile\n")
    assert code != 0 and "sramfit.gui.plots._bad" in out


#: what writes a picture file in Qt; import-linter sees only the top-level PySide6
_PICTURE_WRITERS = ("QtSvg", "QSvgGenerator", "QImageWriter", "QPdfWriter", "QPrinter")


def test_only_the_export_package_writes_pictures():
    """QtSvg and Qt's image/PDF writers are named only in gui/export/ (and nothing
    calls ``.save(`` on a grabbed or rendered image elsewhere)."""
    import ast
    bad = []
    for py in sorted((ROOT / "gui").rglob("*.py")):
        if py.parent.name == "export":
            continue
        tree = ast.parse(py.read_text(), str(py))
        for node in ast.walk(tree):
            name = (node.id if isinstance(node, ast.Name) else
                    node.attr if isinstance(node, ast.Attribute) else None)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                if any(w in m for m in mods for w in _PICTURE_WRITERS):
                    bad.append(f"{py.relative_to(ROOT)}:{node.lineno}")
            elif name in _PICTURE_WRITERS or name in ("grab", "toImage"):
                bad.append(f"{py.relative_to(ROOT)}:{node.lineno} {name}")
    assert not bad, bad
