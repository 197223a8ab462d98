"""What `pip install .` ships: one import name (sramfit), the profiles and the bundled
font as package data, and a console script that is the one command-line entry."""
import importlib.util
import subprocess
import sys
import tomllib

from conftest import ROOT

CFG = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_everything_installs_under_one_name():
    st = CFG["tool"]["setuptools"]
    assert all(p == "sramfit" or p.startswith("sramfit.") for p in st["packages"])
    assert set(st["package-dir"]) <= set(st["packages"])
    for pkg, src in st["package-dir"].items():
        assert (ROOT / src).is_dir(), f"{pkg} maps to missing folder {src}"


def test_package_data_mappings_point_at_real_files():
    st = CFG["tool"]["setuptools"]
    dirs, data = st["package-dir"], st["package-data"]
    for pkg, globs in (("sramfit.engine.profiles", ["chips/*.yaml", "scenarios/*.yaml",
                                                    "models/*.cfg"]),
                       ("sramfit.gui.fonts", ["*.ttf", "*.txt"])):
        src = ROOT / dirs[pkg]
        for g in globs:
            assert g in data[pkg]
            assert list(src.glob(g)), f"{pkg}: nothing matches {g} in {src}"
    assert CFG["project"]["scripts"]["sramfit"] == "sramfit.commands:main"


def test_installed_package_is_importable_and_top_level_names_are_not():
    spec = importlib.util.find_spec("sramfit.engine")
    assert spec is not None and spec.origin.endswith("__init__.py")
    for name in ("engine", "gui"):       # the repo's folders are not import names
        res = subprocess.run([sys.executable, "-c", f"import {name}"], cwd="/",
                             capture_output=True, text=True)
        assert res.returncode != 0, f"'import {name}' works outside the repo"


def test_python_dash_m_is_the_sramfit_command():
    res = subprocess.run([sys.executable, "-m", "sramfit", "models"], cwd="/",
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "resnet50" in res.stdout and "yolov3" in res.stdout


def test_font_dir_found():
    from sramfit.gui import style
    assert list(style.FONT_DIR.glob("DejaVuSans*.ttf"))


def test_pyside6_has_no_upper_bound():
    dep = next(d for d in CFG["project"]["dependencies"] if d.startswith("PySide6"))
    assert "<" not in dep, dep


def test_fixtures_and_assets_carry_no_absolute_local_paths():
    """Exporter metadata (stack traces) is stripped when fixtures are made
    (tests/reference/make_onnx_fixtures.py: strip_metadata)."""
    import re
    pattern = re.compile(rb"/(home|root|tmp|Users|work|usr/lib|opt)/[\w.-]+/")
    bad = []
    for folder in ("tests/fixtures", "assets", "profiles"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and pattern.search(path.read_bytes()):
                bad.append(str(path.relative_to(ROOT)))
    assert not bad, bad
