"""Lesson 2's step-through widget: δ flowing back through a small MLP, one layer per step.

Steps alternate, from the output layer back: ``δ(L)``, ``dW(L)``, ``δ(L−1)``, ``dW(L−1)``, … ``dW(1)``.
At each step the layer diagram highlights the layer being computed (orange), the weights involved
(thick orange edges) and the layers already done (green), writes δ under each finished unit, and the
panel shows eq. (2.4), (2.5) or (2.6) with the numbers of the first example substituted.
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from rnnedu.mlp import MLP, MLPGradients, mlp_backward, mlp_forward
from rnnedu.activations import activation_derivative
from rnnedu.plotting import graph
from rnnedu.widgets import Blit, after_image, live_figure, make_stepper, summary_html


def _row(v) -> str:
    return r"\begin{bmatrix}" + " & ".join(f"{x:.3f}" for x in np.ravel(v)) + r"\end{bmatrix}"


def _matrix(m) -> str:
    rows = r" \\ ".join(" & ".join(f"{x:.3f}" for x in r) for r in np.atleast_2d(m))
    return r"\begin{bmatrix}" + rows + r"\end{bmatrix}"


class DeltaStepper:
    """Walk ``mlp_backward`` for ``net`` on ``(x, y)`` layer by layer.

    ``steps[k]`` is ``("delta", s)`` or ``("dW", s)``; ``update(k)`` shows step ``k`` and returns it.
    ``grads`` holds the full result of :func:`rnnedu.mlp.mlp_backward`. Formulas show example 1 of the
    batch (``δ`` rows are per example; ``dW`` is the batch sum, i.e. the mean-loss gradient).
    """

    def __init__(self, net: MLP, x, y, *, figsize=(5.0, 3.2), interval_ms: int = 1200):
        self.net = net
        self.cache = mlp_forward(net, x)
        self.y = y
        self.grads: MLPGradients = mlp_backward(self.cache, y)
        L = net.n_layers
        self.steps = [(kind, s) for s in range(L, 0, -1) for kind in ("delta", "dW")]
        sizes = net.sizes
        pos = graph.layer_layout(sizes)
        self.edges_of = {s: [(f"{s - 1}:{i}", f"{s}:{j}") for i in range(sizes[s - 1]) for j in range(sizes[s])]
                         for s in range(1, L + 1)}
        edges = [e for s in range(1, L + 1) for e in self.edges_of[s]]
        labels = {f"{s}:{i}": (f"$x_{{{i + 1}}}$" if s == 0 else "") for s, n in enumerate(sizes) for i in range(n)}
        self.fig, self.ax = live_figure(figsize=figsize)
        self.artists = graph.draw_graph(self.ax, pos, edges, labels=labels, node_radius=0.2, fontsize=10)
        for s in range(L + 1):
            name = "input" if s == 0 else ("output" if s == L else f"layer {s}")
            self.ax.text(s, (max(sizes) - 1) / 2 + 0.6, f"{name}\n$a^{{({s})}}$", ha="center", va="bottom",
                         fontsize=9)
        self.ax.set_ylim(-(max(sizes) - 1) / 2 - 0.9, (max(sizes) - 1) / 2 + 1.3)
        graph.freeze_layout(self.fig, self.ax)
        # a step recolours the graph and rewrites its numbers: blit those over the layer captions
        self.blit = Blit(self.fig, graph.moving_artists(self.artists))
        self.formula = W.HTMLMath(layout=W.Layout(min_height="90px"))
        self.summary = W.HTML(layout=W.Layout(max_width=f"{int(figsize[0] * 100) + 160}px"))
        self._live = False  # texts at once while building (and in tests); a moment after the image later
        self.stepper = make_stepper(len(self.steps), self.update, interval_ms=interval_ms)
        self.widget = W.VBox([self.stepper.widget, self.fig.canvas, self.summary, self.formula])
        self._live = True

    def _latex(self, kind: str, s: int) -> str:
        net, c, g = self.net, self.cache, self.grads
        L = net.n_layers
        if kind == "dW":
            return (rf"\frac{{\partial E}}{{\partial W^{{({s})}}}} = a^{{({s - 1})\top}}\delta^{{({s})}} = "
                    rf"{_matrix(g.dW[s - 1])} \quad \text{{(eq. 2.6, shape {g.dW[s - 1].shape})}}")
        if s == L:
            if net.output == "softmax":
                onehot = np.eye(net.sizes[-1])[np.asarray(self.y)[0]]
                return (rf"\delta^{{({L})}} = \tfrac1B\,(a^{{({L})}} - y) = \tfrac1{{{c.a[0].shape[0]}}}"
                        rf"\left({_row(c.a[L][0])} - {_row(onehot)}\right) = {_row(g.delta[L][0])}"
                        r" \quad \text{(eq. 2.4)}")
            return (rf"\delta^{{({L})}} = \tfrac1B\,\varphi'(v^{{({L})}}) \odot (a^{{({L})}} - y) = "
                    rf"{_row(g.delta[L][0])} \quad \text{{(eq. 2.4)}}")
        dphi = activation_derivative(c.v[s][0], net.hidden[s - 1])
        back = g.delta[s + 1][0] @ net.weights[s].T
        return (rf"\delta^{{({s})}} = \varphi'(v^{{({s})}}) \odot \big(\delta^{{({s + 1})}} W^{{({s + 1})\top}}\big) = "
                rf"{_row(dphi)} \odot {_row(back)} = {_row(g.delta[s][0])} \quad \text{{(eq. 2.5)}}")

    def update(self, step: int):
        """Show step ``step``; returns ``(kind, s)``."""
        if not 0 <= step < len(self.steps):
            raise ValueError(f"step must lie in [0, {len(self.steps) - 1}], got {step}")
        kind, s = self.steps[step]
        sizes = self.net.sizes
        layer = [f"{s}:{i}" for i in range(sizes[s])]
        done_layers = {t for k, t in self.steps[:step] if k == "delta"} | ({s} if kind == "dW" else set())
        done = [f"{t}:{i}" for t in done_layers for i in range(sizes[t])]
        if kind == "delta":
            active = self.edges_of[s + 1] if s < self.net.n_layers else []
            current = layer
        else:
            active = self.edges_of[s]
            current = [f"{s - 1}:{i}" for i in range(sizes[s - 1])] + layer
        values = {f"{t}:{i}": f"{self.grads.delta[t][0, i]:+.3f}" for t in done_layers | ({s} if kind == "delta" else set())
                  for i in range(sizes[t])}
        graph.highlight(self.artists, current=current, done=done, active_edges=active, values=values)
        self.blit.update()  # the image first; the formula (typeset by MathJax) and texts a moment later

        def texts():
            self.formula.value = f"$${self._latex(kind, s)}$$"
            layer = "the output layer" if s == self.net.n_layers else f"layer {s}"
            what = (f"δ of {layer} (eq. 2.4)" if kind == "delta" and s == self.net.n_layers else
                    f"δ of {layer} from the layer above (eq. 2.5)" if kind == "delta" else
                    f"the gradient of W({s}) from a({s - 1}) and δ({s}) (eq. 2.6)")
            deltas = "; ".join(f"δ({t}) = (" + ", ".join(f"{v:+.3f}" for v in self.grads.delta[t][0]) + ")"
                               for t in sorted(done_layers | ({s} if kind == "delta" else set()), reverse=True))
            self.summary.value = (summary_html(f"Step {step + 1} of {len(self.steps)}: {html.escape(what)}. "
                                  f"Layers drawn left (input) to right (output); the current layer is orange with a "
                                  f"thick outline, finished layers cyan. {html.escape(deltas)}."))

        after_image(texts) if self._live else texts()
        return kind, s


def delta_stepper(net: MLP, x, y, **kw) -> DeltaStepper:
    """Build lesson 2's :class:`DeltaStepper`; display ``stepper.widget``."""
    return DeltaStepper(net, x, y, **kw)
