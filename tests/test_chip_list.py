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
    assert chip_entry(load_chip("chip_b")) == "chip_b — Chip B, 64 MB, 8.192 TOPS, estimated"


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
        assert f"{tops:,.4g} TOPS" in text
        assert text.endswith(", estimated") == bool(d.get("estimated"))
        assert "estimated figures:" in combo.itemData(i, 3)      # ToolTipRole
    assert combo.currentData() == main_window.doc.scenario.chip


# -- one TOPS figure (issue 15): Chip.peak_tops, published else derived ---------------
def test_peak_tops_is_the_published_figure_else_derived():
    import dataclasses
    from sramfit.engine.chip import load_chip
    t4 = load_chip("t4")
    assert t4.peak_tops == (_yaml("t4")["peak_tops_int8"], False)      # 130, published
    # an edited chip drops the published figure: 2 x 40,960 MACs x 1.59 GHz, by hand
    edited = dataclasses.replace(t4, peak_tops_int8=None)
    tops, derived = edited.peak_tops
    assert derived and abs(tops - 130.2528) < 1e-9


def test_every_view_prints_the_same_tops(main_window, capsys):
    from sramfit.commands import main
    from sramfit.engine.chip import load_chip
    from sramfit.gui.explain import assumptions
    assert main(["chips"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("t4 "))
    assert " 130 " in line and "130.2" not in line and "derived" not in line
    win = main_window
    cp = win.chip_panel
    i = cp.preset.findData("t4")
    cp.preset.setCurrentIndex(i)
    cp.preset.activated.emit(i)
    assert "130 TOPS" in cp.macs.text() and "derived" not in cp.macs.text()
    assert "130 TOPS" in cp.preset.itemText(i)
    rows = {k: (v, e) for k, v, e in assumptions(win.doc.analysis)}
    assert "130 TOPS int8" in rows["array mapping"][1]
    # MACs edited: 2 x 64x64 x 1 array at 1590 MHz = 13.025 TOPS, by hand, marked derived
    cp.rows.setValue(64)
    cp.cols.setValue(64)
    cp.count.setValue(1)
    chip = win.doc.analysis.chip
    assert (chip.macs, chip.clock_mhz) == (4096, 1590.0)
    assert "13.03 TOPS derived" in cp.macs.text()
    rows = {k: (v, e) for k, v, e in assumptions(win.doc.analysis)}
    assert "13.03 TOPS derived" in rows["array mapping"][1]
    assert load_chip("t4").peak_tops.tops == 130.0
