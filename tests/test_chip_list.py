"""Issue 15: the chip list shows title, SRAM, TOPS and estimate flags."""
from __future__ import annotations

import yaml

from sramfit.engine.chip import list_chips
from sramfit.engine.resources import chips_dir
from sramfit.gui.explain import chip_entry


def _yaml(name):
    return yaml.safe_load((chips_dir() / f"{name}.yaml").read_text())


def test_chip_b_entry_reads_like_the_issue():
    from sramfit.engine.chip import load_chip
    assert chip_entry(load_chip("chip_b")) == "chip_b — Chip B, 64 MB, 8.19 TOPS, estimated"


def test_chip_combo_lists_every_chip_with_figures(main_window):
    combo = main_window.chip_panel.preset
    names = list_chips()
    assert [combo.itemData(i) for i in range(len(names))] == names
    for i, n in enumerate(names):
        d = _yaml(n)
        text = combo.itemText(i)
        assert text.startswith(n)
        assert f"{float(d['sram_mb']):g} MB" in text
        # TOPS by hand from the YAML: published figure, else 2 x MACs x clock
        tops = d.get("peak_tops_int8") or 2 * d["macs"] * d["clock_mhz"] * 1e6 * \
            d.get("precision_rate", {}).get("int8", 1.0) / 1e12
        assert f"{tops:.3g} TOPS" in text
        assert text.endswith(", estimated") == bool(d.get("estimated"))
        assert "estimated figures:" in combo.itemData(i, 3)      # ToolTipRole
    assert combo.currentData() == main_window.doc.scenario.chip
