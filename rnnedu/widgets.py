"""Widget builders for the lessons, kept apart from the math (which lives in the derivation modules).

Rules every builder here follows (tests/test_widgets.py exercises them without a browser):

* Controls are built explicitly and wired with ``observe``; nothing is created inside ``interact``.
* Figures are *live* ipympl canvases made once (:func:`live_figure`); a control change updates the
  artists' data and calls ``canvas.draw_idle()`` — about 1 ms of Python plus one draw, instead of
  rebuilding the figure (~100 ms). Ordinary, non-interactive figures in a lesson stay inline PNGs.
* Sliders use ``continuous_update=False`` where an update costs more than a few milliseconds.
* Each builder returns an object with ``.widget`` (what the notebook displays) and an ``update``
  method that is an ordinary function of the control values, so tests can drive it directly.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Callable, Sequence

import ipywidgets as W
import numpy as np
import matplotlib
from matplotlib.figure import Figure

from rnnedu import plotting
from rnnedu.softmax import softmax, softmax_jacobian


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


def live_figure(figsize=(6.4, 3.2), **subplots_kw):
    """A matplotlib figure drawn by ipympl as a live canvas widget, whatever the notebook's backend.

    Returns ``(fig, axes)``; the canvas widget is ``fig.canvas`` — put it into a box and display the
    box. The figure is not registered with pyplot, so the inline backend never prints a second copy.
    """
    Canvas, FigureManager = _ipympl()
    fig = Figure(figsize=figsize, layout="constrained")
    canvas = Canvas(fig)
    FigureManager(canvas, 0)
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_visible = False
    canvas.resizable = False
    canvas.layout.width = f"{int(figsize[0] * fig.dpi) + 4}px"
    canvas.layout.height = f"{int(figsize[1] * fig.dpi) + 4}px"
    axes = fig.subplots(**subplots_kw)
    return fig, axes


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


class SoftmaxExplorer:
    """Lesson 1's widget: one slider per logit and a temperature; softmax bars and the Jacobian heatmap.

    ``update(logits, temperature)`` recomputes ``a = softmax(z / T)`` and ``J = diag(a) − aᵀa`` and
    moves the existing bars, labels and image; the sliders call it. ``readout`` states the numbers.
    """

    def __init__(self, logits: Sequence[float] = (2.0, 1.0, 0.1, -1.0), temperature: float = 1.0):
        self.K = len(logits)
        if self.K < 2:
            raise ValueError("the softmax explorer needs at least two logits")
        self.fig, (self.ax_bar, self.ax_jac) = live_figure(figsize=(7.2, 3.0), ncols=2)
        z = np.asarray(logits, dtype=float)
        a = softmax(z / temperature)
        self.bars = plotting.plot_probabilities(self.ax_bar, a)
        self.image = plotting.plot_jacobian(self.ax_jac, softmax_jacobian(z / temperature))
        self.fig.colorbar(self.image, ax=self.ax_jac, shrink=0.8)
        self.sliders = [W.FloatSlider(value=float(v), min=-5.0, max=5.0, step=0.1, description=f"z{i + 1}",
                                      continuous_update=True, readout_format=".1f")
                        for i, v in enumerate(z)]
        self.temperature = W.FloatLogSlider(value=temperature, base=10, min=-1, max=1, step=0.05,
                                            description="T", readout_format=".2f")
        self.readout = W.HTML()
        for s in [*self.sliders, self.temperature]:
            s.observe(self._on_change, names="value")
        controls = W.VBox([*self.sliders, self.temperature, self.readout], layout=W.Layout(width="300px"))
        self.widget = W.HBox([controls, self.fig.canvas])
        self.update(z, temperature)

    def _on_change(self, _change=None) -> None:
        self.update([s.value for s in self.sliders], self.temperature.value)

    def update(self, logits, temperature: float) -> tuple[np.ndarray, np.ndarray]:
        """Redraw for these logits and temperature; returns ``(a, J)`` as drawn."""
        z = np.asarray(logits, dtype=float) / float(temperature)
        a = softmax(z)
        jac = softmax_jacobian(z)
        for bar, p in zip(self.bars, a):
            bar.set_height(p)
        self.image.set_data(jac)
        lim = max(float(np.abs(jac).max()), 1e-3)
        self.image.set_clim(-lim, lim)
        self.readout.value = (f"a = [{', '.join(f'{p:.3f}' for p in a)}]<br>"
                              f"entropy = {float(-(a * np.log(np.maximum(a, 1e-300))).sum()):.3f} nats")
        self.fig.canvas.draw_idle()
        return a, jac


def softmax_explorer(logits: Sequence[float] = (2.0, 1.0, 0.1, -1.0), temperature: float = 1.0) -> SoftmaxExplorer:
    """Build lesson 1's :class:`SoftmaxExplorer`; display ``explorer.widget``."""
    return SoftmaxExplorer(logits, temperature)
