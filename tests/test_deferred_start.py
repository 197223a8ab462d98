"""The app's start (gui/app.py): the window is shown at once on the default scenario's
first frame (threshold placement, no sweeps), marked "placing exactly...", and the exact
figures (the CLI's) replace it right after; nothing in the undo stack, nothing dirty."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6")

from sramfit.commands import main  # noqa: E402


@pytest.fixture
def deferred_window(qtbot, gui_settings, no_dialogs):
    from PySide6.QtWidgets import QApplication
    from sramfit.gui.document import Document
    from sramfit.gui.main_window import MainWindow
    from sramfit.gui.style import register_fonts
    register_fonts()
    doc = Document(defer=True)
    win = MainWindow(doc, remember=False)
    win.resize(1600, 1000)
    yield win
    win.doc.stack.setClean()
    win.close()
    win.deleteLater()
    QApplication.processEvents()


def test_first_frame_is_marked_then_exact(deferred_window, qapp, capsys):
    from sramfit.gui.app import show_first_frame
    win = deferred_window
    doc = win.doc
    assert doc.provisional and doc.dragging
    # the threshold rule: YOLOv3 2 MP spills on chip B, so its DRAM figure is not the
    # exact placement's (the CLI's, below)
    assert main(["report", "--model", "yolov3", "--input", "1920x1088", "--chip",
                 "chip_b", "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)["totals"]
    first = doc.analysis.totals()
    assert not first["placement_exact"]
    assert first["dram_bytes_per_image"] != cli["dram_bytes_per_image"]
    f = win.frame()
    assert f.sram_sweep is None and f.batch_sweep is None and f.dram_curves is None
    win.show()
    show_first_frame(qapp, win)
    assert win.windowHandle().isExposed()
    assert win.provisional_label.isVisible()
    assert "placing exactly" in win.provisional_label.text()
    for p in (win.plots.dram, win.plots.batch):
        assert p._computing.isVisible()
        # the cover and its text fit the plot as shown (they were placed before the
        # window had its size: the text ran out of the plot, cut)
        view = p.mapToScene(p.viewport().rect()).boundingRect()
        assert p._computing.rect() == view
        assert view.contains(p._computing.text.sceneBoundingRect())

    doc.complete()                          # what gui/app.py queues after that paint
    qapp.processEvents()
    assert not doc.provisional and not doc.dragging
    assert not win.provisional_label.isVisible()
    assert not any(p._computing.isVisible() for p in (win.plots.dram, win.plots.batch))
    t = doc.analysis.totals()
    for key in ("dram_bytes_per_image", "throughput_ips", "latency_s", "peak_live_bytes",
                "weights_in_sram_bytes", "activations_in_sram_bytes"):
        assert float(t[key]) == cli[key], key
    assert t["placement_exact"]
    f = win.frame()
    assert f.sram_sweep is not None and f.knee_bytes is not None
    assert f"{cli['throughput_ips']:,.1f}" in win.status["ips"].text()
    # the start is not an edit
    assert doc.stack.count() == 0 and not doc.dirty


def test_an_edit_before_the_exact_frame(deferred_window, qapp):
    """An edit made before the queued exact analysis ran is exact; the queued call then
    does nothing."""
    win = deferred_window
    doc = win.doc
    win.show()
    assert doc.edit("batch", batch=2)
    assert not doc.provisional and doc.analysis.totals()["placement_exact"]
    assert doc.analysis.scenario.batch == 2
    before = doc.analysis
    doc.complete()
    assert doc.analysis is before


def test_only_exact_analyses_are_cached(deferred_window):
    """The threshold rule's first frame is never reused as the scenario's analysis."""
    doc = deferred_window.doc
    assert doc._lookup("analysis", doc.scenario) is None
    doc.complete()
    hit = doc._lookup("analysis", doc.scenario)
    assert hit is not None and hit[0].totals()["placement_exact"]
