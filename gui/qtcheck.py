"""Can Qt open a window here? Checked before a QApplication exists.

Qt aborts the process (exit 134, five lines about "platform plugins") when its platform
plugin cannot load: on Linux, the xcb plugin needs system libraries a fresh desktop may
lack (libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxkbcommon-x11-0, libegl1, ...),
and every plugin but offscreen/minimal needs a display. :func:`problem` finds either
without loading the plugin: it reads ``$QT_QPA_PLATFORM``, ``$DISPLAY`` and
``$WAYLAND_DISPLAY``, asks ``ldd`` which libraries of PySide6's xcb plugin the dynamic
loader cannot find, and connects to the X server's socket. It returns one line that
names what is missing and the Debian/Ubuntu packages that provide it, or None.

Qt-free (plain Python): importing PySide6's Python modules is harmless, but this
module does not even do that.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

#: shared library -> the Debian/Ubuntu package that ships it (Qt 6's xcb plugin and
#: what it links; the README's install line lists the same packages)
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}

#: what the README's install step installs (every library above that a minimal
#: Debian/Ubuntu desktop may lack)
APT_LINE = ("sudo apt-get install -y libegl1 libgl1 libfontconfig1 libglib2.0-0 "
            "libdbus-1-3 libx11-xcb1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 "
            "libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 "
            "libxcb-shape0 libxcb-xfixes0 libxcb-xkb1")

#: platforms that need neither a display nor X libraries
HEADLESS = {"offscreen", "minimal", "vnc", "linuxfb", "eglfs", "vkkhrdisplay"}


def _qt_dir() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "Qt"


def missing_libraries(files, ldd: str | None = None) -> list[str]:
    """The shared libraries ``ldd`` reports as "not found" for ``files`` (in order,
    each once). [] when ldd is not there (then Qt will say it itself)."""
    ldd = ldd or shutil.which("ldd")
    if not ldd:
        return []
    out: list[str] = []
    for f in files:
        if not Path(f).exists():
            continue
        try:
            res = subprocess.run([ldd, str(f)], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            continue
        for lib in re.findall(r"^\s*(\S+)\s+=>\s+not found", res.stdout, re.M):
            if lib not in out:
                out.append(lib)
    return out


def _display_reachable(display: str) -> bool:
    """Whether an X server answers at ``display`` (":0", "host:1.0", "unix:0"). Only
    local displays are checked; a remote one is assumed reachable."""
    m = re.match(r"^(?P<host>[^:]*):(?P<num>\d+)(\.\d+)?$", display)
    if not m:
        return False
    host, num = m.group("host"), m.group("num")
    if host not in ("", "unix", "localhost") and not host.startswith("/"):
        return True
    if host.startswith("/"):                       # macOS launchd style path
        return Path(display.split(":")[0]).exists()
    path = f"/tmp/.X11-unix/X{num}"
    for addr in (path, "\0" + path):              # filesystem, then abstract socket
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2.0)
        try:
            s.connect(addr)
            return True
        except OSError:
            pass
        finally:
            s.close()
    if host == "localhost":
        try:
            socket.create_connection(("127.0.0.1", 6000 + int(num)), timeout=2.0).close()
            return True
        except OSError:
            return False
    return False


def problem(env=None, platform: str | None = None, qt_dir: Path | None = None,
            ldd: str | None = None) -> str | None:
    """One line saying why Qt cannot open a window here, or None if it should."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return None
    qpa = (env.get("QT_QPA_PLATFORM") or "").split(":")[0].strip().lower()
    if qpa in HEADLESS:
        return None
    wayland = bool(env.get("WAYLAND_DISPLAY"))
    if qpa == "wayland" or (not qpa and wayland):
        if wayland:
            return None                           # Qt falls back to xcb if it must
        return ("no display: QT_QPA_PLATFORM is wayland but WAYLAND_DISPLAY is not set "
                "(run sramfit from a desktop session)")
    display = env.get("DISPLAY", "")
    if not display:
        return ("no display: DISPLAY is not set, so there is no screen to open the window "
                "on (run sramfit from a desktop session or over ssh -X; "
                "'sramfit gui FILE --screenshot OUT.png' and 'sramfit export' need none)")
    qt = _qt_dir() if qt_dir is None else qt_dir
    if qt is not None:
        files = [qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6"]
        missing = missing_libraries(files, ldd)
        if missing:
            pkgs = []
            for lib in missing:
                pkg = PACKAGES.get(lib, lib.split(".so")[0].lower())
                if pkg not in pkgs:
                    pkgs.append(pkg)
            return ("Qt's xcb platform plugin cannot load: missing system "
                    f"librar{'y' if len(missing) == 1 else 'ies'} {', '.join(missing)}; "
                    f"install with: sudo apt-get install {' '.join(pkgs)} "
                    "(or see the README for the full list)")
    if not _display_reachable(display):
        return (f"no display: nothing answers at DISPLAY={display} (is the X server "
                "running, and may this user connect to it?)")
    return None
