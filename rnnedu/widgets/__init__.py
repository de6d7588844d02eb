"""Widget builders for the lessons, kept apart from the math (which lives in the derivation modules).

This module holds what every lesson shares (:func:`live_figure`, :class:`Stepper`); each lesson's own
builder lives in a sibling module (``rnnedu.widgets.softmax`` for lesson 1, …).

Rules every builder here follows (tests/test_widgets.py exercises them without a browser):

* Controls are built explicitly and wired with ``observe``; nothing is created inside ``interact``.
* Figures are *live* ipympl canvases made once (:func:`live_figure`); a control change updates the
  artists' data and redraws only them with :class:`Blit` (axes that change limits as Blit ``panels``,
  limits in steps with :func:`nice_limit`) — a few ms instead of a full draw plus a round trip to the
  browser. The image goes out before the texts (:func:`after_image` for typeset formulas). Issue 13's
  target: every control ≤ 100 ms key press to image (``python course.py bench slider``).
* Colours come from :mod:`rnnedu.plotting.style` (petroff10 + line styles); under each figure a
  ``summary`` (HTML, :func:`summary_html`) says what it shows with its numbers, for screen readers.
* Ordinary, non-interactive figures in a lesson stay inline PNGs.
* Sliders use ``continuous_update=False`` where an update costs more than a few milliseconds.
* Each builder returns an object with ``.widget`` (what the notebook displays) and an ``update``
  method that is an ordinary function of the control values, so tests can drive it directly.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Sequence

import ipywidgets as W
import numpy as np
import matplotlib
from matplotlib.figure import Figure



def _ipympl():
    """Import ipympl's canvas without letting it take over pyplot.

    ``import ipympl`` calls ``matplotlib.use("module://ipympl.backend_nbagg")`` whenever matplotlib is
    already imported, which would turn every later ``plt.subplots`` of the lesson into a live widget
    (no stored PNG, nothing to see in an unexecuted notebook). Restore the backend the notebook chose.
    """
    saved = dict.__getitem__(matplotlib.rcParams, "backend")
    from ipympl.backend_nbagg import Canvas, FigureManager

    if dict.__getitem__(matplotlib.rcParams, "backend") != saved:
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].switch_backend(saved)
        else:
            dict.__setitem__(matplotlib.rcParams, "backend", saved)
    return Canvas, FigureManager


def cache_dir() -> "os.PathLike":
    """The folder where widgets keep what they computed once (lesson 6's phase diagrams):
    ``$RNNEDU_CACHE_DIR``, else ``$XDG_CACHE_HOME/rnnedu``, else ``~/.cache/rnnedu``. Not created here."""
    from pathlib import Path

    if os.environ.get("RNNEDU_CACHE_DIR"):
        return Path(os.environ["RNNEDU_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rnnedu"


_NICE = np.array([1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0])


def nice_limit(x: float, *, minimum: float = 1.0) -> float:
    """The smallest number ``n · 10^k`` (n in 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8) that is ``≥ max(x, minimum)``:
    axis limits that stay put while a slider moves a little, so the axes need no redraw."""
    x = max(float(x), float(minimum))
    k = np.floor(np.log10(x))
    for n in (_NICE * 10.0 ** k).tolist() + [10.0 ** (k + 1)]:
        if n >= x * (1 - 1e-12):
            return float(n)
    return float(10.0 ** (k + 1))


def after_image(set_texts: Callable[[], None], delay_s: float = 0.03) -> None:
    """Run ``set_texts`` (a widget's formula and text updates) ``delay_s`` after the image went out,
    when an event loop runs (in a kernel); at once otherwise (tests, scripts).

    The browser handles messages in order on one thread: a formula typeset by MathJax right behind the
    image held the image's painting back (lesson 2: ~100 ms under load). A moment later, the image is
    on screen first. Texts set by an earlier press never overwrite a later one (call_later keeps order).
    """
    try:
        loop = asyncio.get_running_loop() if _in_kernel() else None
    except RuntimeError:
        loop = None
    if loop is None:
        set_texts()
        return
    loop.call_later(delay_s, set_texts)


def _in_kernel() -> bool:
    """True inside a Jupyter kernel. An event loop alone is not enough: playwright's sync API (the
    browser tests, in the same pytest process) leaves one running in the main thread."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def summary_html(text: str) -> str:
    """The HTML of a widget's text summary (under its figure): ``text`` (already escaped) in a small,
    compact paragraph that a screen reader reads as one block."""
    return f"<div style='font-size:0.85em;line-height:1.35;max-width:100%'>{text}</div>"


def _fast_diff_image(canvas):
    """matplotlib's ``FigureCanvasWebAggCore.get_diff_image`` with PNG compression level 1 instead of 6:
    the same bytes to within a few per cent (a diff image is mostly zeros), half the encoding time
    (measured 15 → 7.5 ms for a 644 × 304 figure), which every key press pays."""
    from io import BytesIO

    from PIL import Image

    if not canvas._png_is_old:
        return None
    pixels = np.asarray(canvas.get_renderer().buffer_rgba())
    buff = pixels.view(np.uint32).squeeze(2)
    if canvas._force_full or buff.shape != canvas._last_buff.shape or (pixels[:, :, 3] != 255).any():
        canvas.set_image_mode("full")
        output = buff
    else:
        canvas.set_image_mode("diff")
        output = np.where(buff != canvas._last_buff, buff, 0)
    canvas._last_buff = buff.copy()
    canvas._force_full = False
    canvas._png_is_old = False
    data = output.view(dtype=np.uint8).reshape((*output.shape, 4))
    with BytesIO() as png:
        Image.fromarray(data).save(png, format="png", compress_level=1)
        return png.getvalue()


def live_figure(figsize=(6.4, 3.2), **subplots_kw):
    """A matplotlib figure drawn by ipympl as a live canvas widget, whatever the notebook's backend.

    Returns ``(fig, axes)``; the canvas widget is ``fig.canvas`` — put it into a box and display the
    box. The figure is not registered with pyplot, so the inline backend never prints a second copy.
    """
    Canvas, FigureManager = _ipympl()
    fig = Figure(figsize=figsize, layout="constrained")
    canvas = Canvas(fig)
    canvas.get_diff_image = _fast_diff_image.__get__(canvas)
    FigureManager(canvas, 0)
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_visible = False
    canvas.resizable = False
    canvas.layout.width = f"{int(figsize[0] * fig.dpi) + 4}px"
    canvas.layout.height = f"{int(figsize[1] * fig.dpi) + 4}px"
    axes = fig.subplots(**subplots_kw)

    # Lay the figure out once (at its first draw, when the builder has added everything) and then
    # freeze the positions: the constrained-layout solver would otherwise run on every slider move
    # (measured: lesson 1's draw 67 ms → 36 ms).
    def freeze(_event):
        fig.set_layout_engine("none")
        canvas.mpl_disconnect(cid)

    cid = canvas.mpl_connect("draw_event", freeze)
    return fig, axes


class Blit:
    """Redraw only the artists a control moves, over a saved background (matplotlib's blitting).

    A full draw of a small lesson figure costs ~50 ms, two thirds of it ticks and labels that never
    change; restoring the background and drawing a few bars and an image costs a few ms. Use it when a
    control changes artists' data but no axis limits: mark those artists with ``Blit(fig, artists)``,
    then call ``blit.update()`` instead of ``fig.canvas.draw_idle()``. Every full draw (the first one,
    a resize) saves a new background and draws the artists on top, so nothing is ever missing.

    ``panels``: axes whose limits a control sometimes changes (lesson 6's decay panel). They are left
    out of the background and kept in a second one; ``update(panels=True)`` redraws just them (ticks and
    all) over the first background instead of drawing the whole figure.
    """

    def __init__(self, fig, artists, panels=()):
        self.fig, self.canvas = fig, fig.canvas
        self.artists = list(artists)
        self.panels = list(panels)
        for artist in [*self.artists, *self.panels]:
            artist.set_animated(True)  # left out of full draws; drawn by _draw_artists instead
        self.background = None        # the figure without panels and artists
        self.panel_background = None  # ... with the panels drawn
        self.canvas.mpl_connect("draw_event", self._on_draw)

    def _on_draw(self, _event) -> None:
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self._draw_panels()
        self._draw_artists()

    def _draw_panels(self) -> None:
        for panel in self.panels:
            self.fig.draw_artist(panel)
        self.panel_background = self.canvas.copy_from_bbox(self.fig.bbox) if self.panels else self.background

    def _draw_artists(self) -> None:
        # in z-order, as a full draw would (stable: equal z-orders keep the list's order)
        for artist in sorted(self.artists, key=lambda a: a.get_zorder()):
            self.fig.draw_artist(artist)

    def update(self, full: bool = False, panels: bool = False) -> None:
        """Show the artists' new data: blit if a background exists, else ask for a full draw.

        ``panels=True``: the panels' limits changed; redraw them over the saved background first.
        ``full=True`` (anything else in the background changed): draw the whole figure now, in the
        kernel, which also saves the new background — one round trip to the browser fewer than
        ``draw_idle`` (the front end would otherwise ask for the draw first)."""
        if self.background is None:
            self.canvas.draw_idle()
            return
        if full:
            self.canvas.draw()
            return
        if panels and self.panels:
            self.canvas.restore_region(self.background)
            self._draw_panels()
        else:
            self.canvas.restore_region(self.panel_background)
        self._draw_artists()
        self.canvas.blit(self.fig.bbox)


@dataclass
class Stepper:
    """Play / Prev / Next buttons and a step slider driving ``on_step(i)`` for ``i`` in ``range(n_steps)``.

    Used by lessons 2, 3 and 5 to walk a backward pass one step at a time. ``on_step`` is called once
    at construction (step 0) and after every change; ``step`` reads or sets the current step.
    """

    n_steps: int
    on_step: Callable[[int], None]
    interval_ms: int = 900
    description: str = "step"
    widget: W.Box = field(init=False)

    def __post_init__(self):
        if self.n_steps < 1:
            raise ValueError(f"a stepper needs at least one step, got n_steps={self.n_steps}")
        last = self.n_steps - 1
        self.slider = W.IntSlider(value=0, min=0, max=last, description=self.description,
                                  continuous_update=True, layout=W.Layout(width="360px"))
        self.play = W.Play(value=0, min=0, max=last, interval=self.interval_ms, description="play")
        W.jslink((self.play, "value"), (self.slider, "value"))
        self.prev_button = W.Button(description="◀ prev", layout=W.Layout(width="80px"))
        self.next_button = W.Button(description="next ▶", layout=W.Layout(width="80px"))
        self.prev_button.on_click(lambda _: self._move(-1))
        self.next_button.on_click(lambda _: self._move(+1))
        self.slider.observe(lambda change: self.on_step(change["new"]), names="value")
        self.widget = W.HBox([self.play, self.prev_button, self.next_button, self.slider])
        self.on_step(0)

    def _move(self, delta: int) -> None:
        self.slider.value = int(np.clip(self.slider.value + delta, 0, self.n_steps - 1))

    @property
    def step(self) -> int:
        return self.slider.value

    @step.setter
    def step(self, i: int) -> None:
        self.slider.value = int(i)


def make_stepper(n_steps: int, on_step: Callable[[int], None], *, interval_ms: int = 900,
                 description: str = "step") -> Stepper:
    """Build a :class:`Stepper`; display ``stepper.widget``."""
    return Stepper(n_steps, on_step, interval_ms=interval_ms, description=description)
