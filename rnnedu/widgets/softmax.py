"""Lesson 1's widget: logit and temperature sliders driving softmax bars and the Jacobian heatmap."""

from __future__ import annotations

from typing import Sequence

import ipywidgets as W
import numpy as np

from rnnedu import plotting
from rnnedu.softmax import softmax, softmax_jacobian
from rnnedu.widgets import Blit, live_figure, summary_html


SLIDER_LAYOUT = W.Layout(width="340px")  # room for the value readout right of each slider


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
        # Fixed colour limits: every entry a_i(δ_ij − a_j) lies in [−1/4, 1/4], so the colour bar never
        # changes and only the bars and the image need redrawing (blitting, ~5 ms instead of ~50 ms).
        self.image.set_clim(-0.25, 0.25)
        self.fig.colorbar(self.image, ax=self.ax_jac, shrink=0.8)
        self.blit = Blit(self.fig, [*self.bars, self.image])
        self.sliders = [W.FloatSlider(value=float(v), min=-5.0, max=5.0, step=0.1, description=f"z{i + 1}",
                                      continuous_update=True, readout_format=".1f", layout=SLIDER_LAYOUT)
                        for i, v in enumerate(z)]
        self.temperature = W.FloatLogSlider(value=temperature, base=10, min=-1, max=1, step=0.05,
                                            description="T", readout_format=".2f", layout=SLIDER_LAYOUT)
        self.readout = W.HTML()
        self.summary = W.HTML(layout=W.Layout(width="720px"))
        for s in [*self.sliders, self.temperature]:
            s.observe(self._on_change, names="value")
        # Controls above the figure: fits a notebook column of ~750 px with the file browser open.
        controls = W.HBox([W.VBox(self.sliders[:2] + [self.temperature]), W.VBox(self.sliders[2:] + [self.readout])])
        self.widget = W.VBox([controls, self.fig.canvas, self.summary])
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
        self.blit.update()  # the image first: its message reaches the browser before the texts
        self.readout.value = (f"a = [{', '.join(f'{p:.3f}' for p in a)}]<br>"
                              f"entropy = {float(-(a * np.log(np.maximum(a, 1e-300))).sum()):.3f} nats")
        top = int(np.argmax(a))
        self.summary.value = (summary_html(f"Left: bars of the probabilities a = softmax(z / T) at T = {float(temperature):.2f}: "
                              + ", ".join(f"a{i + 1} = {p:.3f}" for i, p in enumerate(a))
                              + f" (largest a{top + 1}). Right: the Jacobian ∂a_i/∂z_j as a blue–red heatmap "
                              f"from −0.25 to 0.25; diagonal "
                              + ", ".join(f"{v:.3f}" for v in np.diag(jac))
                              + f"; most negative off-diagonal entry {float((jac - np.diag(np.diag(jac))).min()):.3f}."
                              ""))
        return a, jac


def softmax_explorer(logits: Sequence[float] = (2.0, 1.0, 0.1, -1.0), temperature: float = 1.0) -> SoftmaxExplorer:
    """Build lesson 1's :class:`SoftmaxExplorer`; display ``explorer.widget``."""
    return SoftmaxExplorer(logits, temperature)
