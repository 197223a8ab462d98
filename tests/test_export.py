"""gui.export: PNG / SVG / CSV / clipboard / tables, on real pyqtgraph plots.

Every expected value is the data the test itself plotted, so these tests fail if the
export drops, reorders, rescales or invents points.
"""
from __future__ import annotations

import csv
import errno
import io
import os
import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pyqtgraph")

import pyqtgraph as pg  # noqa: E402
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from sramfit.engine.errors import SramfitError  # noqa: E402
from sramfit.gui import export  # noqa: E402
from sramfit.gui.export import ExportError  # noqa: E402
from sramfit.gui.style import SCREEN, SLIDE  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parent.parent

X = np.linspace(0.5, 64.0, 50)                 # SRAM size, MB
Y = 300.0 / (1.0 + X) + 5.0 * np.sin(X / 4)    # DRAM MB per image
LAYERS = [f"conv{i}" for i in range(10)]
BARS = np.array([3.2, 6.4, 1.6, 0.8, 12.8, 0.4, 2.5, 7.5, 0.1, 4.0])


# ----------------------------------------------------------------------------- plots

@pytest.fixture
def line_plot(qtbot):
    w = pg.PlotWidget(background="w")
    qtbot.addWidget(w)
    w.resize(640, 400)
    w.setTitle("DRAM traffic vs SRAM size")
    w.addLegend()
    w.plot(X, Y, pen=pg.mkPen("#264653", width=2), name="resnet50 224")
    w.setLabel("bottom", "SRAM size", units="MB")
    w.setLabel("left", "DRAM traffic", units="MB/image")
    w.getPlotItem().getAxis("bottom").enableAutoSIPrefix(False)
    w.getPlotItem().getAxis("left").enableAutoSIPrefix(False)
    return w


@pytest.fixture
def bar_plot(qtbot):
    w = pg.PlotWidget(background="w")
    qtbot.addWidget(w)
    w.resize(640, 400)
    bars = pg.BarGraphItem(x=np.arange(10), height=BARS, width=0.8, brush="#2a9d8f",
                           name="activation")
    w.addItem(bars)
    w.getPlotItem().getAxis("bottom").setTicks([list(enumerate(LAYERS))])
    w.setLabel("left", "activation", units="MB")
    w.setLabel("bottom", "layer")
    w.addItem(pg.InfiniteLine(pos=5.0, angle=0, label="SRAM for activations"))
    return w


def _processed():
    QtWidgets.QApplication.processEvents()


def _settled(w) -> QtGui.QImage:
    """Show ``w`` and let pyqtgraph finish sizing its axes to their tick labels (it
    does that while painting, then relays out), then grab it."""
    w.show()
    for _ in range(3):
        _processed()
        w.grab()
    _processed()
    return w.grab().toImage()


def _qimage(path) -> QtGui.QImage:
    img = QtGui.QImage(str(path))
    assert not img.isNull(), f"{path} does not decode as an image"
    return img


def _array(img: QtGui.QImage) -> np.ndarray:
    img = img.convertToFormat(QtGui.QImage.Format.Format_RGBA8888)
    a = np.frombuffer(img.constBits(), dtype=np.uint8)
    return a.reshape(img.height(), img.bytesPerLine())[:, : img.width() * 4].reshape(
        img.height(), img.width(), 4).copy()


def _read_csv(path):
    text = Path(path).read_text(encoding="utf-8")
    comments = [ln for ln in text.splitlines() if ln.startswith("#")]
    body = [ln for ln in text.splitlines() if not ln.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(body))))
    return comments, rows[0], rows[1:]


def _path_points(d: str) -> np.ndarray:
    nums = [float(v) for v in re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", d)]
    return np.array(nums).reshape(-1, 2)


def _curve_paths(svg_path, npoints):
    root = ET.parse(svg_path).getroot()
    found = []
    for el in root.iter(f"{SVG}path"):
        pts = _path_points(el.get("d", ""))
        if len(pts) == npoints and "C" not in el.get("d"):
            found.append(pts)
    return root, found


def _affine_residual(u, v):
    """Max |v - (a*u + b)| of the least-squares fit, and the slope a."""
    a, b = np.polyfit(u, v, 1)
    return float(np.max(np.abs(v - (a * u + b)))), float(a)


def _state(w):
    pi = w.getPlotItem()
    axes = [pi.getAxis(s) for s in ("left", "bottom")]
    return {
        "geometry": pi.geometry(),
        "viewbox": pi.getViewBox().geometry(),
        "range": pi.getViewBox().viewRange(),
        "axes": [(a.geometry(), a.textWidth, a.textHeight, dict(a.labelStyle),
                  a.style["tickFont"], a.pen().widthF(), a.pen().color().name())
                 for a in axes],
        "title": (pi.titleLabel.isVisible(), pi.titleLabel.geometry(), pi.titleLabel.text),
        "pens": [(c.opts["pen"].widthF(), c.opts["pen"].color().name())
                 for c in pi.listDataItems() if isinstance(c, pg.PlotDataItem)],
        "legend": ([lab.item.toHtml() for _, lab in pi.legend.items], pi.legend.geometry(),
                   [lab.geometry() for _, lab in pi.legend.items]) if pi.legend else None,
    }


# ----------------------------------------------------------------------------- PNG

@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (801, 613)])
@pytest.mark.parametrize("style", ["screen", "slide"])
def test_png_has_exactly_the_asked_size_and_is_not_blank(line_plot, tmp_path, size, style):
    out = export.export_plot(line_plot, tmp_path / "p.png", size=size, style=style)
    assert out == tmp_path / "p.png"
    img = _qimage(out)
    assert (img.width(), img.height()) == size
    assert img.devicePixelRatio() == 1.0
    px = _array(img)[..., :3].astype(float)
    assert px.std() > 10, "image is (nearly) a flat colour"
    # the curve colour #264653 is in the picture
    curve = np.all(np.abs(px - [0x26, 0x46, 0x53]) < 40, axis=-1)
    assert curve.sum() > 200


def test_png_dpi_metadata(line_plot, tmp_path):
    export.export_plot(line_plot, tmp_path / "p.png", dpi=144)
    img = _qimage(tmp_path / "p.png")
    assert img.dotsPerMeterX() == round(144 / 0.0254)
    assert img.size() == QtCore.QSize(1920, 1080)


def test_png_slide_style_has_white_background_and_title_text(line_plot, tmp_path):
    line_plot.setBackground("k")           # on screen: black
    export.export_plot(line_plot, tmp_path / "s.png", style="slide",
                       footnote="Scenario: resnet50 @ 224 on chip B")
    px = _array(_qimage(tmp_path / "s.png"))[..., :3].astype(int)
    h, w, _ = px.shape
    assert (px[2, 2] == 255).all() and (px[h - 3, w - 3] == 255).all()   # white corners
    dark = px.sum(axis=-1) < 200
    title_band = dark[: int(h * 0.07), int(w * 0.2): int(w * 0.8)]
    foot_band = (px.sum(axis=-1) < 400)[int(h * 0.93):, : int(w * 0.5)]
    assert title_band.sum() > 500, "no title text in the slide's title band"
    assert foot_band.sum() > 100, "no footnote text"
    # screen style with no title draws nothing there but the plot's own small title
    export.export_plot(line_plot, tmp_path / "n.png", style="screen")
    px2 = _array(_qimage(tmp_path / "n.png"))[..., :3].astype(int)
    assert (px2[2, 2] == 0).all()           # kept the on-screen black background


def test_png_lines_are_thicker_in_slide_style(line_plot, tmp_path):
    def curve_pixels(style):
        export.export_plot(line_plot, tmp_path / f"{style}.png", style=style)
        px = _array(_qimage(tmp_path / f"{style}.png"))[..., :3].astype(float)
        return np.all(np.abs(px - [0x26, 0x46, 0x53]) < 40, axis=-1).sum()
    assert curve_pixels("slide") > 1.8 * curve_pixels("screen")


def test_headless_plotitem_without_a_view(qtbot, tmp_path):
    pi = pg.PlotItem()
    pi.plot(X, Y, pen=pg.mkPen("r", width=2))
    out = export.export_plot(pi, tmp_path / "p.png", size=(640, 360))
    assert _qimage(out).size() == QtCore.QSize(640, 360)
    assert pi.scene() is None               # the temporary scene is gone again


def test_graphics_layout_with_two_plots(qtbot, tmp_path):
    win = pg.GraphicsLayoutWidget()
    qtbot.addWidget(win)
    a = win.addPlot(title="A")
    a.plot(X, Y, name="dram")
    win.nextRow()
    b = win.addPlot(title="B")
    b.plot(np.arange(5), np.arange(5) ** 2, name="sq")
    for p in (a, b):
        p.setLabel("bottom", "SRAM size", units="MB")
        p.setLabel("left", "DRAM traffic", units="MB/image")
    export.export_plot(win, tmp_path / "l.png", size=(1000, 1000))
    assert _qimage(tmp_path / "l.png").size() == QtCore.QSize(1000, 1000)
    export.export_plot(win, tmp_path / "l.csv")
    _, header, rows = _read_csv(tmp_path / "l.csv")
    assert header == ["plot", "series", "SRAM size (MB)", "DRAM traffic (MB/image)"]
    assert len(rows) == 50 + 5
    assert [r[0] for r in rows[:1] + rows[-1:]] == ["A", "B"]


# ----------------------------------------------------------------------------- SVG

def test_svg_is_wellformed_vector_with_the_curve_as_a_path(line_plot, tmp_path):
    out = export.export_plot(line_plot, tmp_path / "p.svg", style="slide",
                             footnote="Scenario: x")
    root, curves = _curve_paths(out, len(X))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 1920 1080"
    assert not list(root.iter(f"{SVG}image")), "SVG contains a bitmap"
    assert len(curves) == 1, "expected exactly one 50-point path for the 50-point curve"
    pts = curves[0]
    # the path is the plotted data under one affine map (x right, y up -> down)
    rx, ax = _affine_residual(X, pts[:, 0])
    ry, ay = _affine_residual(Y, pts[:, 1])
    assert rx < 0.01 and ry < 0.01
    assert ax > 0 and ay < 0
    # it lies inside the canvas and spans most of its width
    assert pts[:, 0].min() >= 0 and pts[:, 0].max() <= 1920
    assert np.ptp(pts[:, 0]) > 1000
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "SRAM size (MB)" in texts and "DRAM traffic vs SRAM size" in texts
    assert "Scenario: x" in texts


def test_svg_strokes_do_not_depend_on_vector_effect(line_plot, bar_plot, tmp_path):
    """Qt writes pyqtgraph's cosmetic pens as vector-effect="non-scaling-stroke"
    inside groups scaled to data units; viewers that ignore vector-effect draw them
    hundreds of pixels wide. Export bakes those transforms (see _flatten_group)."""
    for plot in (line_plot, bar_plot):
        root = ET.fromstring(export.render_svg(plot, (1280, 720), style="slide"))
        in_clip = {id(e) for c in root.iter(f"{SVG}clipPath") for e in c.iter()}
        for g in root.iter(f"{SVG}g"):
            if "transform" in g.attrib:          # only text keeps its placement matrix
                assert {c.tag for c in g} <= {f"{SVG}text"}, g.get("transform")
        assert not [e.tag for e in root.iter() if id(e) not in in_clip
                    and e.get("vector-effect") == "non-scaling-stroke"]


def test_svg_log_axis_curve(qtbot, tmp_path):
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    x = np.geomspace(0.25, 256, 40)
    y = 1000 / x
    w.plot(x, y, pen="b", name="dram")
    w.setLogMode(x=True, y=False)
    w.setLabel("bottom", "SRAM size", units="MB")
    w.getPlotItem().getAxis("bottom").enableAutoSIPrefix(False)
    export.export_plot(w, tmp_path / "log.svg", size=(1280, 720))
    _, curves = _curve_paths(tmp_path / "log.svg", len(x))
    assert len(curves) == 1
    r, a = _affine_residual(np.log10(x), curves[0][:, 0])
    assert r < 0.01 and a > 0
    export.export_plot(w, tmp_path / "log.csv")
    _, header, rows = _read_csv(tmp_path / "log.csv")
    assert header[1] == "SRAM size (MB)"
    np.testing.assert_array_equal([float(r[1]) for r in rows], x)   # not log10(x)


def test_svg_works_with_the_installed_qt(line_plot, tmp_path):
    """DESIGN.md: pyqtgraph's SVGExporter breaks on PySide6 6.11/6.12; ours goes through
    QtSvg and must work on whatever PySide6 is installed (CI installs the newest)."""
    data = export.render_svg(line_plot, (640, 480))
    root = ET.fromstring(data)
    assert root.get("viewBox") == "0 0 640 480"
    assert sum(1 for _ in root.iter(f"{SVG}path")) > 3


# ----------------------------------------------------------------------------- CSV

def test_csv_one_row_per_point_with_units(line_plot, tmp_path):
    export.export_plot(line_plot, tmp_path / "p.csv", footnote="Scenario: resnet50")
    comments, header, rows = _read_csv(tmp_path / "p.csv")
    assert header == ["series", "SRAM size (MB)", "DRAM traffic (MB/image)"]
    assert "# title: DRAM traffic vs SRAM size" in comments
    assert "# footnote: Scenario: resnet50" in comments
    assert len(rows) == len(X)
    assert {r[0] for r in rows} == {"resnet50 224"}
    np.testing.assert_array_equal([float(r[1]) for r in rows], X)
    np.testing.assert_array_equal([float(r[2]) for r in rows], Y)


def test_csv_bars_with_layer_names_and_line_comment(bar_plot, tmp_path):
    export.export_plot(bar_plot, tmp_path / "b.csv")
    comments, header, rows = _read_csv(tmp_path / "b.csv")
    assert header == ["series", "layer", "activation (MB)", "label"]
    assert len(rows) == 10
    assert [r[3] for r in rows] == LAYERS
    np.testing.assert_array_equal([float(r[1]) for r in rows], np.arange(10))
    np.testing.assert_array_equal([float(r[2]) for r in rows], BARS)
    assert any(c.startswith("# line: SRAM for activations at activation (MB) = 5")
               for c in comments), comments


def test_csv_undoes_pre_logged_axis_and_step_mode(qtbot, tmp_path):
    """Plots that log10 their data themselves and show a log axis (gui.plots does),
    and stepMode='center' curves (x are bin edges)."""
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    sram = np.array([0.5, 1, 2, 4, 8, 16, 32.0])
    w.plot(np.log10(sram), 100 / sram, name="dram")
    w.getPlotItem().getAxis("bottom").setLogMode(True, False)
    w.setLabel("bottom", "SRAM size (MB, log scale)")
    live = np.array([1.0, 3.0, 2.0, 5.0])
    w.plot(np.arange(5) - 0.5, live, stepMode="center", name="live")
    export.export_plot(w, tmp_path / "c.csv")
    _, header, rows = _read_csv(tmp_path / "c.csv")
    assert header[:3] == ["series", "SRAM size (MB, log scale)", "y"]
    dram = [r for r in rows if r[0] == "dram"]
    np.testing.assert_allclose([float(r[1]) for r in dram], sram, rtol=1e-12)
    steps = [r for r in rows if r[0] == "live"]
    assert len(steps) == 4
    np.testing.assert_allclose([float(r[1]) for r in steps], 10.0 ** np.arange(4))
    np.testing.assert_array_equal([float(r[2]) for r in steps], live)


def test_csv_skips_invisible_hover_markers(qtbot, tmp_path):
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.plot(X, Y, name="dram")
    w.addItem(pg.ScatterPlotItem(X, Y, brush=pg.mkBrush(0, 0, 0, 0), pen=None))  # hover targets
    w.addItem(pg.ScatterPlotItem([3.0], [7.0], brush="b", name="this chip"))
    export.export_plot(w, tmp_path / "s.csv")
    _, _, rows = _read_csv(tmp_path / "s.csv")
    assert len(rows) == len(X) + 1
    assert rows[-1] == ["this chip", "3", "7"]


def test_csv_explicit_columns(line_plot, tmp_path):
    export.export_plot(line_plot, tmp_path / "e.csv", title="Per layer",
                       columns={"layer": LAYERS, "activation (MB)": BARS})
    comments, header, rows = _read_csv(tmp_path / "e.csv")
    assert comments == ["# title: Per layer"]
    assert header == ["layer", "activation (MB)"]
    assert [r[0] for r in rows] == LAYERS
    np.testing.assert_array_equal([float(r[1]) for r in rows], BARS)


# ----------------------------------------------------------------------------- state

@pytest.mark.parametrize("fmt", ["png", "svg"])
@pytest.mark.parametrize("style", ["slide", "screen"])
def test_export_leaves_the_on_screen_plot_unchanged(line_plot, tmp_path, fmt, style):
    before = _settled(line_plot)
    before_state = _state(line_plot)
    export.export_plot(line_plot, tmp_path / f"p.{fmt}", style=style, title="Big title",
                       footnote="Scenario: x", size=(2400, 1350))
    _processed()
    assert _state(line_plot) == before_state
    assert line_plot.grab().toImage() == before


def test_failure_mid_render_restores_the_plot(line_plot, tmp_path, monkeypatch):
    _settled(line_plot)
    before = _state(line_plot)

    def boom(self, p, svg=False):
        raise RuntimeError("paint failed")
    monkeypatch.setattr(export.render._Render, "_paint", boom)
    with pytest.raises(RuntimeError):
        export.export_plot(line_plot, tmp_path / "p.png", style="slide")
    _processed()
    assert _state(line_plot) == before
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------------------------------- errors

def test_export_error_is_a_sramfit_error():
    assert issubclass(ExportError, SramfitError)


def test_missing_directory_raises_export_error(line_plot, tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "p.png"
    with pytest.raises(ExportError) as info:
        export.export_plot(line_plot, target)
    msg = str(info.value)
    assert str(target) in msg and "does not exist" in msg
    assert not (tmp_path / "no").exists()


def test_disk_error_leaves_no_partial_or_temp_file(line_plot, tmp_path, monkeypatch):
    old = tmp_path / "p.csv"
    old.write_text("previous export\n")

    def half_then_full(f, data):
        f.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(export.common, "_write_bytes", half_then_full)
    for name in ("p.csv", "p.png", "p.svg", "new.png"):
        with pytest.raises(ExportError) as info:
            export.export_plot(line_plot, tmp_path / name, size=(320, 200))
        assert str(tmp_path / name) in str(info.value)
        assert "No space left on device" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]   # no temp files
    assert old.read_text() == "previous export\n"                    # old file intact


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root ignores directory permissions")
def test_read_only_directory_raises_export_error(line_plot, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(ExportError, match="permission denied"):
            export.export_plot(line_plot, ro / "p.png")
        assert not list(ro.iterdir())
    finally:
        ro.chmod(0o755)


def test_target_is_a_directory_or_unknown_format(line_plot, tmp_path):
    with pytest.raises(ExportError, match="is a directory"):
        export.export_plot(line_plot, tmp_path, fmt="png")
    with pytest.raises(ExportError, match="unknown format"):
        export.export_plot(line_plot, tmp_path / "p.bmpx")
    with pytest.raises(ExportError, match="size"):
        export.export_plot(line_plot, tmp_path / "p.png", size=(0, 100))


def test_written_files_get_normal_permissions(line_plot, tmp_path):
    out = export.export_plot(line_plot, tmp_path / "p.csv")
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask


# ----------------------------------------------------------------------------- others

def test_copy_to_clipboard_gives_an_image_of_the_asked_size(line_plot):
    img = export.copy_plot_to_clipboard(line_plot, size=(1200, 675), style="slide")
    assert img.size() == QtCore.QSize(1200, 675)
    clip = QtGui.QGuiApplication.clipboard().image()
    assert clip.size() == QtCore.QSize(1200, 675)
    assert _array(clip)[..., :3].std() > 10


def test_export_all_writes_every_plot_in_every_format(line_plot, bar_plot, tmp_path):
    plots = {"DRAM vs SRAM size": line_plot, "Activations / layer": bar_plot}
    out = tmp_path / "deck"                      # created by export_all
    paths = export.export_all(plots, out, size=(960, 540), style="slide",
                              footnote="Scenario: resnet50")
    names = sorted(p.name for p in paths)
    assert names == sorted(f"{s}.{f}" for s in ("dram-vs-sram-size", "activations-layer")
                           for f in ("png", "svg", "csv"))
    assert sorted(p.name for p in out.iterdir()) == names
    for p in paths:
        if p.suffix == ".png":
            assert _qimage(p).size() == QtCore.QSize(960, 540)
        elif p.suffix == ".svg":
            ET.parse(p)
        else:
            assert _read_csv(p)[2]
    # the bar plot has no title of its own: the dict key becomes its title
    assert "# title: Activations / layer" in _read_csv(out / "activations-layer.csv")[0]
    with pytest.raises(ExportError, match="unknown export format"):
        export.export_all(plots, out, formats=("png", "gif"))


def test_slugify():
    assert export.slugify("DRAM vs SRAM size") == "dram-vs-sram-size"
    assert export.slugify("  Throughput / batch (img/s) ") == "throughput-batch-img-s"
    assert export.slugify("!!!") == "plot"


HEADERS = ["figure", "224x224", "1920x1080", "delta (%)"]
ROWS = [["weights (MB)", 25.6, 25.6, "+0.0%"],
        ["peak activations (MB)", 3.2, 82.9, "+2490.6%"],
        ["DRAM (MB/image)", 26.1, 210.4, "+706.1%"],
        ["throughput (images/s)", 812, 31, "-96.2%"]]


def test_export_table_csv_png_svg(qtbot, tmp_path):
    export.export_table(HEADERS, ROWS, tmp_path / "t.csv", title="Compare")
    comments, header, rows = _read_csv(tmp_path / "t.csv")
    assert comments == ["# title: Compare"]
    assert header == HEADERS
    assert rows == [[str(v) for v in r] for r in ROWS]

    export.export_table(HEADERS, ROWS, tmp_path / "t.png", size=(1600, 900),
                        title="Compare", footnote="chip B")
    img = _qimage(tmp_path / "t.png")
    assert img.size() == QtCore.QSize(1600, 900)
    dark = (_array(img)[..., :3].astype(int).sum(axis=-1) < 200).sum()
    assert dark > 2000, "table text missing"
    natural = export.export_table(HEADERS, ROWS, tmp_path / "n.png")
    assert _qimage(natural).width() > 400

    export.export_table(HEADERS, ROWS, tmp_path / "t.svg", title="Compare")
    root = ET.parse(tmp_path / "t.svg").getroot()
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    for cell in HEADERS + ["peak activations (MB)", "82.9", "+706.1%"]:
        assert cell in texts


def test_styles():
    assert SLIDE.background == "#ffffff" and SLIDE.line_width > SCREEN.line_width
    assert SLIDE.title_px > SCREEN.title_px
    from sramfit.gui.style import get_style
    assert get_style(None) is SCREEN and get_style("SLIDE") is SLIDE
    with pytest.raises(SramfitError, match="style 'poster'"):
        get_style("poster")
    assert SLIDE.with_(line_width=8).line_width == 8 and SLIDE.line_width == 5


def test_title_with_a_colour_key_line(qtbot, tmp_path):
    """gui.plots puts a colour key under the title (title<br>key): slide exports keep
    the key under the big title, CSV comments stay one line each."""
    w = pg.PlotWidget(background="w")
    qtbot.addWidget(w)
    w.resize(640, 400)
    w.setTitle("<b>Activations per layer</b><br><span style='color:#e76f51'>&#9632;</span>"
               " spilled <span style='color:#2a9d8f'>&#9632;</span> in SRAM")
    w.addItem(pg.BarGraphItem(x=np.arange(10), height=BARS, width=0.8, brush="#2a9d8f"))
    export.export_plot(w, tmp_path / "t.csv")
    comments, header, rows = _read_csv(tmp_path / "t.csv")
    assert comments[:2] == ["# title: Activations per layer", "# key: ■ spilled ■ in SRAM"]
    assert header == ["series", "x", "y"] and len(rows) == 10
    before = _settled(w)
    export.export_plot(w, tmp_path / "t.png", style="slide")
    _processed()
    assert w.grab().toImage() == before
    px = _array(_qimage(tmp_path / "t.png"))[..., :3].astype(int)
    band = px[: int(px.shape[0] * 0.12)]
    spilled = np.all(np.abs(band - [0xE7, 0x6F, 0x51]) < 30, axis=-1).sum()
    assert spilled > 50, "the colour key did not make it under the slide title"


def test_log_axis_slide_labels_decades_and_restores(qtbot, tmp_path):
    w = pg.PlotWidget(background="w")
    qtbot.addWidget(w)
    w.resize(640, 400)
    x = np.geomspace(0.1, 1000, 60)
    w.plot(np.log10(x), 1000 / np.sqrt(x))
    ax = w.getPlotItem().getAxis("bottom")
    ax.setLogMode(True, False)
    before = _settled(w)
    svg = export.render_svg(w, (1920, 1080), style="slide")
    root = ET.fromstring(svg)
    labels = ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]
    assert "0.2" not in labels and "3" not in labels          # no minor labels
    assert "1" in labels and "10¹" in labels and "10³" in labels
    _processed()
    assert ax._tickLevels is None
    assert w.grab().toImage() == before


def test_csv_includes_right_axis_curves_in_their_own_column(main_window, tmp_path):
    """The batch plot draws latency in a second view box on the right axis; its CSV
    carries latency in a column in the right axis' unit, equal to the engine's sweep
    (chip B at batch 256 takes 40 s: the axis, and the column, are in seconds)."""
    from sramfit.engine import sweep
    plot = main_window.plots.batch
    path = export.export_plot(plot.plotItem, tmp_path / "batch.csv")
    _, header, body = _read_csv(path)
    assert "latency (s)" in header
    lat_col, y_col = header.index("latency (s)"), 2
    lat_rows = [r for r in body if r[lat_col] != ""]
    thr_rows = [r for r in body if r[lat_col] == "" and r[0] == "throughput"]
    batches = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert len(lat_rows) == len(thr_rows) == len(batches)
    assert all(r[y_col] == "" for r in lat_rows)      # never under the left-axis unit
    res = sweep.over_batch(main_window.doc.scenario, np.array(batches))
    got = np.array([float(r[lat_col]) for r in lat_rows])
    np.testing.assert_allclose(got, np.asarray(res["latency_s"]), rtol=1e-9)


# -- issue 15: exports carry every curve and axis of the screen ---------------------------

@pytest.fixture(scope="module")
def yolo_frame():
    from sramfit import engine
    from sramfit.engine.scenario import Scenario
    from sramfit.gui.headless import scenario_frame
    sc = Scenario(model="yolov3", width=1920, height=1088, chip="chip_b")
    return scenario_frame(sc, engine.analyze(sc))


def _stroked(svg_bytes: bytes, colour: str) -> list[np.ndarray]:
    """Every path (of 5 or more points) stroked in ``colour``, the stroke set on the
    path or inherited from its groups."""
    out = []

    def walk(el, stroke):
        stroke = (el.get("stroke") or stroke or "").lower()
        if el.tag == f"{SVG}path" and stroke == colour and el.get("d"):
            pts = _path_points(el.get("d"))
            if len(pts) >= 5:
                out.append(pts)
        for child in el:
            walk(child, stroke)
    walk(ET.fromstring(svg_bytes), "")
    return out


def test_batch_plot_exports_its_latency_curve_and_right_axis(qtbot, yolo_frame, tmp_path):
    """Bug 1: the latency curve (right axis, dashed) was missing from PNG and SVG."""
    from sramfit.gui.plots import SPILL, BatchPlot
    plot = BatchPlot()
    qtbot.addWidget(plot)
    plot.resize(640, 420)
    plot.show()
    plot.render(yolo_frame)
    _settled(plot)
    n = len(yolo_frame.batch_sweep["batch"])
    svg = export.render_svg(plot, (1280, 720), style="slide")
    lat = _stroked(svg, SPILL.name().lower())
    assert lat, "no latency curve in the SVG"
    assert max(len(p) for p in lat) >= n - 1
    # the right axis has real tick labels, not only "0"
    texts = [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    numbers = {t.strip() for t in texts if re.fullmatch(r"\s*[\d,.]+\s*", t or "")}
    assert len(numbers - {"0"}) >= 6
    img = _array(export.render_image(plot, (1280, 720), style="slide"))
    r, g, b = (img[..., k].astype(int) for k in range(3))
    red = (r > g + 60) & (r > b + 60)      # the latency colour (slide style darkens it)
    # the dashed curve rises across the right half of the plot: many pixels there
    assert red[:, 640:].sum() > 300
