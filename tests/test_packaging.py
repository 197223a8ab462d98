"""What `pip install .` ships: profiles and the bundled font travel as package data,
so an installed sramfit finds its chips and renders text offscreen."""
import tomllib

from conftest import ROOT


def test_package_data_mappings_point_at_real_files():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    dirs, data = cfg["package-dir"], cfg["package-data"]
    assert set(dirs) <= set(cfg["packages"])
    for pkg, globs in (("engine.profiles", ["chips/*.yaml", "scenarios/*.yaml",
                                            "models/*.cfg"]),
                       ("gui.fonts", ["*.ttf", "*.txt"])):
        src = ROOT / dirs[pkg]
        for g in globs:
            assert g in data[pkg]
            assert list(src.glob(g)), f"{pkg}: nothing matches {g} in {src}"
    assert "gui.launcher:main" == tomllib.loads(
        (ROOT / "pyproject.toml").read_text())["project"]["scripts"]["sramfit"]


def test_font_dir_found_in_source_tree():
    from gui import app
    assert list(app.FONT_DIR.glob("DejaVuSans*.ttf"))
