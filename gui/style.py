"""Export styles: how a plot looks when it leaves the program (see gui/export.py).

A :class:`Style` is plain data. ``gui.export`` applies it to a live plot for the
duration of one render and then puts every pen, font, title and size back, so the
on-screen plot never changes.

All lengths (font sizes, line widths, margins) are in *reference pixels*: pixels of a
canvas whose height is ``reference_height``. An export at another size is scaled as
a whole (``scale = sqrt(W*H / (ref_w*ref_h))`` with ``ref_w = ref_h*16/9``), so a
slide at 3840x2160 is the 1920x1080 slide at twice the resolution, not a picture with
smaller text. ``None`` always means "keep what the plot has".
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

# installed: sramfit/gui/fonts (package data mapped from assets/fonts); source tree:
# assets/fonts beside gui/
FONT_DIRS = (Path(__file__).resolve().parent / "fonts",
             Path(__file__).resolve().parent.parent / "assets" / "fonts")
FONT_DIR = next((d for d in FONT_DIRS if any(d.glob("*.ttf"))), FONT_DIRS[-1])
FONT_FAMILY = "DejaVu Sans"
_FAMILY: str | None = None


def register_fonts() -> str:
    """Register the bundled fonts with Qt (once); returns the family to use."""
    global _FAMILY
    if _FAMILY is None:
        from PySide6.QtGui import QFontDatabase
        family = None
        for ttf in sorted(FONT_DIR.glob("*.ttf")):
            fid = QFontDatabase.addApplicationFont(str(ttf))
            fams = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
            family = family or (fams[0] if fams else None)
        _FAMILY = family or FONT_FAMILY
    return _FAMILY


@dataclass(frozen=True)
class Style:
    name: str
    #: canvas height the sizes below are designed for; the export scale is derived
    #: from it (see module doc). 16:9 is assumed for the reference width.
    reference_height: float = 720.0
    #: background colour of the whole image; None: the plot view's own background
    background: str | None = None
    #: axis lines, tick labels, axis titles, title/footnote text; None: keep
    foreground: str | None = None
    #: font family for everything restyled; None: the bundled font (DejaVu Sans)
    font_family: str | None = None
    #: font sizes in reference pixels; None: keep the plot's own
    tick_px: float | None = None
    label_px: float | None = None
    legend_px: float | None = None
    title_px: float = 22.0
    footnote_px: float = 13.0
    #: minimum width of data lines (curves, bar outlines, marker lines); 0: keep
    line_width: float = 0.0
    #: width of axis lines and ticks; None: keep
    axis_width: float | None = None
    #: tick length (negative: ticks point into the plot, pyqtgraph convention)
    tick_length: float | None = None
    #: data colours too light for a white background (yellow, white, light grey)
    #: are darkened while exporting
    darken_light_colors: bool = False
    #: move the plot's own small title into the big title band of the export
    title_from_plot: bool = False
    #: padding around the whole picture, reference pixels
    margin_px: float = 8.0
    #: scatter symbols are scaled by this in addition to the export scale
    symbol_scale: float = 1.0
    #: label only the decades of log axes (large fonts on minor labels collide)
    sparse_tick_labels: bool = False

    def with_(self, **changes) -> "Style":
        """A copy with some fields changed: ``SLIDE.with_(line_width=6)``."""
        return replace(self, **changes)


#: What the user sees on screen, enlarged to the requested size as if the window
#: were 720 pixels high: same colours, fonts and line widths.
SCREEN = Style(name="screen")

#: For slide decks: white background, near-black text in the bundled font, large
#: type and thick lines at 1920x1080, a big title and a footnote line.
SLIDE = Style(
    name="slide",
    reference_height=1080.0,
    background="#ffffff",
    foreground="#1a1a1a",
    tick_px=28.0,
    label_px=32.0,
    legend_px=28.0,
    title_px=46.0,
    footnote_px=24.0,
    line_width=5.0,
    axis_width=2.5,
    tick_length=-12.0,
    darken_light_colors=True,
    title_from_plot=True,
    margin_px=24.0,
    symbol_scale=2.0,
    sparse_tick_labels=True,
)

STYLES = {"screen": SCREEN, "slide": SLIDE}


def get_style(style: "Style | str | None") -> Style:
    """``Style`` instance, preset name ('screen', 'slide') or None (screen)."""
    if style is None:
        return SCREEN
    if isinstance(style, Style):
        return style
    try:
        return STYLES[str(style).lower()]
    except KeyError:
        from sramfit.engine.errors import InputError
        raise InputError(f"style {style!r}: expected one of {', '.join(STYLES)}") from None
