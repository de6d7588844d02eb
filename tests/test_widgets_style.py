"""The accessible palette (issue 15): set for every plot, and the only colours plotting and widget code use.

``rnnedu.plotting.style`` holds matplotlib's petroff10 colours, line styles as a second cue and the
allowed colour maps; importing ``rnnedu.plotting`` puts them into ``rcParams``. The source scan fails on a
hex colour, a named colour or a colour map that is not the palette's (greys and black/white are neutral).
"""

import ast
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

import rnnedu.plotting  # noqa: F401  (applies the palette)
from rnnedu.plotting import style

PACKAGE = Path(rnnedu.plotting.__file__).resolve().parents[1]
MODULES = sorted([*(PACKAGE / "plotting").glob("*.py"), *(PACKAGE / "widgets").glob("*.py")])
COLOUR_KEYS = {"color", "colors", "c", "fc", "ec", "facecolor", "facecolors", "edgecolor", "edgecolors", "mec",
               "mfc", "markeredgecolor", "markerfacecolor"}
NAMED = set(matplotlib.colors.CSS4_COLORS) | set(matplotlib.colors.TABLEAU_COLORS) | set(matplotlib.colors.BASE_COLORS)


def test_palette_is_petroff10_and_set_in_rcparams():
    assert list(style.PALETTE) == [matplotlib.colors.to_hex(c) for c in matplotlib.color_sequences["petroff10"]]
    assert style.is_set()
    cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()
    assert cycle["color"][:3] == list(style.PALETTE[:3])
    assert len(set(map(str, cycle["linestyle"]))) == len(style.PALETTE)  # a second cue per colour
    assert matplotlib.rcParams["image.cmap"] == "viridis"


def test_a_new_figure_draws_palette_colours_and_styles():
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    lines = [ax.plot([0, 1], [i, i])[0] for i in range(3)]
    assert [matplotlib.colors.to_hex(l.get_color()) for l in lines] == list(style.PALETTE[:3])
    assert len({str(l.get_linestyle()) for l in lines}) == 3


def _string_constants(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node


def _hard_coded(path: Path) -> list[str]:
    src = path.read_text()
    tree = ast.parse(src)
    bad = []
    for m in re.finditer(r"#[0-9a-fA-F]{6}\b", src):
        if m.group(0).lower() not in style.PALETTE and not style.is_grey(m.group(0)):
            bad.append(f"hex colour {m.group(0)}")
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in COLOUR_KEYS and isinstance(node.value, ast.Constant):
            v = node.value.value
            if isinstance(v, str) and not style.is_palette_color(v):
                bad.append(f"{node.arg}={v!r}")
        if isinstance(node, ast.keyword) and node.arg == "cmap" and isinstance(node.value, ast.Constant):
            if node.value.value not in style.COLORMAPS:
                bad.append(f"cmap={node.value.value!r}")
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("set_color", "set_facecolor",
                                                                              "set_edgecolor", "pop"):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and (
                        arg.value in NAMED or arg.value.startswith("#")) and not style.is_palette_color(arg.value):
                    if getattr(node.func, "attr", "") != "pop" or arg is node.args[-1]:
                        bad.append(f"{node.func.attr}({arg.value!r})")
    for m in re.finditer(r"style=['\"]color:\s*([^;'\"]+)", src):
        value = m.group(1).strip()
        if not value.startswith("{") and not style.is_palette_color(value):
            bad.append(f"HTML colour {value}")
    for m in re.finditer(r"cmap[^=\n]{0,30}[\"'](\w+)[\"']", src):
        if m.group(1) not in style.COLORMAPS and m.group(1) not in ("cmap",):
            bad.append(f"colour map {m.group(1)}")
    return bad


@pytest.mark.parametrize("path", MODULES, ids=[f"{p.parent.name}/{p.name}" for p in MODULES])
def test_no_module_hard_codes_a_colour_outside_the_palette(path):
    if path.name == "style.py":
        pytest.skip("the palette itself")
    assert _hard_coded(path) == []


def test_the_scan_finds_a_hard_coded_colour(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('ax.plot(x, y, color="#ff7f0e")\nax.bar(x, y, color="green")\nax.imshow(z, cmap="jet")\n'
                   "html = \"<span style='color:#1f77b4'>\"\n")
    found = _hard_coded(bad)
    assert any("#ff7f0e" in f for f in found) and any("green" in f for f in found)
    assert any("jet" in f for f in found) and any("#1f77b4" in f for f in found)


def test_is_palette_color():
    assert style.is_palette_color("C3") and style.is_palette_color("0.7") and style.is_palette_color(style.RED)
    assert style.is_palette_color("#e8e8e8") and not style.is_palette_color("#9fd89f")
    assert not style.is_palette_color("green") and style.color(11) == style.PALETTE[1]
    assert style.linestyle(2) == ":"
