"""GUI regressions found in review. The DRAM-vs-SRAM plot's two point labels ("this chip: ..." and "knee ~ ...") never
overprint each other (issue 15, bug 6: overlapping text)."""
from PySide6.QtWidgets import QApplication

from sramfit.gui.plots.dram_vs_sram import DramVsSramPlot


def _labels(win):
    plot = next(p for p in win.plots.plots if isinstance(p, DramVsSramPlot))
    QApplication.processEvents()
    return plot.current_text, plot.knee_text


def test_chip_and_knee_labels_do_not_overlap(main_window, qtbot):
    win = main_window                      # YOLOv3 2 MP on chip B: knee near the chip
    for mb in (64.0, 100.0, 30.0):
        win.chip_panel.sram.setValue(mb)
        qtbot.wait(20)
        chip, knee = _labels(win)
        if not (chip.isVisible() and knee.isVisible()):
            continue
        a, b = chip.sceneBoundingRect(), knee.sceneBoundingRect()
        assert not a.intersects(b), (mb, chip.toPlainText(), a, knee.toPlainText(), b)


def test_status_message_timer_dies_with_the_window(qtbot, gui_settings, no_dialogs):
    """A status message clears itself after a timeout; if the window is closed first,
    the pending timer must not touch the deleted label (it raised into Qt's loop)."""
    from PySide6.QtWidgets import QApplication

    from sramfit.gui.document import Document
    from sramfit.gui.main_window import MainWindow
    with qtbot.captureExceptions() as raised:
        win = MainWindow(Document(), remember=False)
        win.show_message("goes away soon", timeout_ms=50)
        win.doc.stack.setClean()
        win.close()
        win.deleteLater()
        QApplication.processEvents()
        qtbot.wait(150)                              # past the timeout
    assert [str(e[1]) for e in raised] == []
