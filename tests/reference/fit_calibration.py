"""Refit the shipped chip profiles' ``fitted`` figures on their calibration lists.

Run from the repository root after a change of the speed or memory model moves a
calibration point (tests/test_calibration.py says which):

    python tests/reference/fit_calibration.py            # every calibrated profile
    python tests/reference/fit_calibration.py hailo8     # one

Each fitted figure is rewritten in place on its ``field: value`` line (3 significant
digits for efficiencies, 0.1 us for overheads); nothing else in the file changes.
Then update the README's calibration table (tests check it against the tool).
"""
import re
import sys
from pathlib import Path

from sramfit.engine import calibration, list_chips, load_chip
from sramfit.engine.resources import chips_dir


def main(names):
    for name in names or list_chips():
        chip = load_chip(name)
        if not chip.fitted:
            continue
        vals = calibration.fit(chip)
        path = Path(chips_dir()) / f"{name}.yaml"
        text = path.read_text(encoding="utf-8")
        for k, v in vals.items():
            v = round(v, 1) if k.endswith("_us") else float(f"{v:.3g}")
            text, n = re.subn(rf"^{k}: .*$", f"{k}: {v!r}", text, flags=re.M)
            assert n == 1, (name, k)
        path.write_text(text, encoding="utf-8")
        print(name, {k: getattr(load_chip(str(path)), k) for k in vals})


if __name__ == "__main__":
    main(sys.argv[1:])
