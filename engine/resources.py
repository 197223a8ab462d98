"""Where the bundled profiles live, in a source checkout and when installed.

In the source tree the profiles are in ``<repo>/profiles``. ``pip install .`` copies
them into the ``engine`` package as package data (``engine/profiles/...``, see
``[tool.setuptools.package-data]`` and the ``data_files`` hook in pyproject.toml), so
the installed package finds them next to this module. ``SRAMFIT_PROFILES`` overrides
both (a directory with ``chips/`` and ``scenarios/`` inside).
"""
from __future__ import annotations

import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def profiles_dir() -> Path:
    """The directory holding ``chips/`` (and ``scenarios/``)."""
    env = os.environ.get("SRAMFIT_PROFILES")
    if env:
        return Path(env)
    for cand in (_HERE / "profiles", _HERE.parent / "profiles"):
        if (cand / "chips").is_dir():
            return cand
    return _HERE.parent / "profiles"


def chips_dir() -> Path:
    return profiles_dir() / "chips"


def scenarios_dir() -> Path:
    return profiles_dir() / "scenarios"
