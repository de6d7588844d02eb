"""The course's one palette: colour-blind-safe colours, line styles as a second cue, and colour maps.

Colours are matplotlib's ``petroff10`` cycle (M. A. Petroff, "Accessible color sequences for data
visualization", 2021: chosen so that neighbours stay distinct under the common colour-vision
deficiencies and in greyscale). Lines also cycle through :data:`LINESTYLES`, so two lines differ in
more than hue. Colour maps: :data:`SEQUENTIAL` (viridis) and :data:`CIVIDIS` for magnitudes,
:data:`DIVERGING` (RdBu_r, blue below 0 and red above) for signed heatmaps.

:func:`use` puts the palette into matplotlib's ``rcParams`` (prop cycle, default colour map); importing
:mod:`rnnedu.plotting` calls it, so every lesson plot and every widget figure uses it. Plot helpers and
widgets name colours only through this module (``style.BLUE``, ``style.color(i)``, ``"C0"``…) or as
greys; ``tests/test_widgets_style.py`` checks that no plotting or widget module hard-codes another colour.
"""

from __future__ import annotations

import matplotlib
from cycler import cycler

#: matplotlib's ``petroff10`` colour sequence, in its order (``"C0"`` … ``"C9"`` once :func:`use` ran).
PALETTE = ("#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6", "#a96b59", "#e76300", "#b9ac70",
           "#717581", "#92dadd")
BLUE, ORANGE, RED, GREY, PURPLE, BROWN, DARK_ORANGE, KHAKI, SLATE, CYAN = PALETTE

#: Line styles cycled with the colours (the second cue): solid, dashed, dotted, dash-dot, then patterns.
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 2)), (0, (3, 1, 1, 1)),
              (0, (6, 1, 1, 1, 1, 1, 1, 1)), (0, (2, 1)))

#: Markers for scatter-like lines, one per colour (a third cue where lines carry markers).
MARKERS = "osD^v<>ph*"

SEQUENTIAL = "viridis"
CIVIDIS = "cividis"
DIVERGING = "RdBu_r"
#: Colour maps a plot may use: perceptually uniform sequential ones, and diverging ones for signed data.
COLORMAPS = ("viridis", "cividis", "RdBu_r", "RdBu")

#: Neutral tones (not data colours): text, guides, baselines, empty cells.
NEUTRALS = ("k", "black", "white", "w", "none")


def color(i: int) -> str:
    """The ``i``-th palette colour (wrapping around)."""
    return PALETTE[int(i) % len(PALETTE)]


def linestyle(i: int):
    """The ``i``-th line style (wrapping around), paired with :func:`color`."""
    return LINESTYLES[int(i) % len(LINESTYLES)]


def prop_cycle():
    """The property cycle: colour and line style advance together (``"C0"`` solid, ``"C1"`` dashed, …)."""
    return cycler(color=list(PALETTE)) + cycler(linestyle=list(LINESTYLES))


def use() -> None:
    """Set the palette in matplotlib's ``rcParams``: the prop cycle and the default colour map."""
    matplotlib.rcParams["axes.prop_cycle"] = prop_cycle()
    matplotlib.rcParams["image.cmap"] = SEQUENTIAL
    matplotlib.rcParams["patch.facecolor"] = PALETTE[0]


def is_set() -> bool:
    """Whether :func:`use` is in effect (the prop cycle's colours are the palette's)."""
    colours = [c.lower() for c in matplotlib.rcParams["axes.prop_cycle"].by_key().get("color", [])]
    return colours[: len(PALETTE)] == list(PALETTE)


def is_grey(spec) -> bool:
    """Whether a colour string is a neutral: a grey level (``"0.7"``), black/white, or a hex grey."""
    if not isinstance(spec, str):
        return False
    s = spec.strip().lower()
    if s in NEUTRALS:
        return True
    try:
        level = float(s)
        return 0.0 <= level <= 1.0
    except ValueError:
        pass
    if s.startswith("#") and len(s) in (7, 9):
        r, g, b = s[1:3], s[3:5], s[5:7]
        return r == g == b
    return False


def is_palette_color(spec) -> bool:
    """Whether a colour string is allowed in a plot: a palette colour, ``"C0"``…``"C9"``, or a neutral."""
    if not isinstance(spec, str):
        return False
    s = spec.strip().lower()
    if s in PALETTE or is_grey(s):
        return True
    return len(s) == 2 and s[0] == "c" and s[1].isdigit()
