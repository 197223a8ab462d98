"""Fresh-machine start: when Qt's platform plugin cannot load, ``sramfit`` says which
library or display is missing in one line and exits 2 (never Qt's abort, exit 134)."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sramfit.gui import qtcheck


def _fake_qt(tmp_path: Path) -> Path:
    qt = tmp_path / "Qt"
    (qt / "plugins" / "platforms").mkdir(parents=True)
    (qt / "lib").mkdir()
    (qt / "plugins" / "platforms" / "libqxcb.so").write_bytes(b"")
    (qt / "lib" / "libQt6XcbQpa.so.6").write_bytes(b"")
    return qt


def _fake_ldd(tmp_path: Path, missing: list[str]) -> str:
    """An ldd that reports ``missing`` as not found (and one library found)."""
    lines = "".join(f"\\t{m} => not found\\n" for m in missing)
    script = tmp_path / "ldd"
    script.write_text("#!/bin/sh\nprintf '\\tlibc.so.6 => /lib/libc.so.6 (0x1)\\n"
                      f"{lines}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_no_display_is_named():
    why = qtcheck.problem(env={}, platform="linux")
    assert why and "DISPLAY is not set" in why


def test_offscreen_and_other_systems_need_nothing():
    assert qtcheck.problem(env={"QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
    assert qtcheck.problem(env={}, platform="win32") is None
    assert qtcheck.problem(env={}, platform="darwin") is None


def test_missing_xcb_libraries_are_named_with_their_packages(tmp_path):
    qt = _fake_qt(tmp_path)
    ldd = _fake_ldd(tmp_path, ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    why = qtcheck.problem(env={"DISPLAY": ":0"}, platform="linux", qt_dir=qt, ldd=ldd)
    assert "libxcb-icccm.so.4" in why and "libxcb-keysyms.so.1" in why
    assert "apt-get install libxcb-icccm4 libxcb-keysyms1" in why
    assert "\n" not in why


def test_every_named_package_is_in_the_readme_install_line():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert qtcheck.APT_LINE in readme
    for pkg in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0",
                "libegl1"):
        assert pkg in qtcheck.APT_LINE.split()


def test_unreachable_display_is_named(tmp_path):
    qt = _fake_qt(tmp_path)
    ldd = _fake_ldd(tmp_path, [])
    why = qtcheck.problem(env={"DISPLAY": ":987"}, platform="linux", qt_dir=qt, ldd=ldd)
    assert why and "DISPLAY=:987" in why


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="xcb is Linux only")
def test_sramfit_without_display_says_so_and_exits_2():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    res = subprocess.run([sys.executable, "-m", "sramfit"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISPLAY is not set" in lines[0], res.stderr
