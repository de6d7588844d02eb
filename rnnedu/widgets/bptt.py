"""Lessons 4–5's widgets: the forward pass explorer, the backward stepper and the ``(t, k)`` heatmap.

Each builder computes what it shows once (or cheaply per change) with ``rnnedu.rnn`` and updates the
artists of one live ipympl figure in place; ``update(...)`` is an ordinary function, tested in
``tests/test_widgets_bptt.py`` without a browser.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from rnnedu.activations import ACTIVATIONS
from rnnedu.gradcheck import relative_error
from rnnedu.plotting import style
from rnnedu.plotting.bptt import (
    contribution_image,
    plot_contributions,
    plot_truncation_error,
    plot_unit_traces,
)
from rnnedu.rnn import bptt_contributions, bptt_trace, rnn_forward, truncation_mask
from rnnedu.widgets import Blit, live_figure, make_stepper, nice_limit, summary_html


def _orthogonal(rng, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


class ForwardExplorer:
    """Lesson 4: how the recurrent scale ρ, the input scale and φ shape the hidden states.

    ``W_hh = ρ Q`` with ``Q`` a fixed random orthogonal matrix (so every singular value of ``W_hh`` is
    ρ), ``W_xh`` a fixed random matrix times the input scale, one fixed random input sequence. The
    traces of the ``H`` units of ``h_t`` move with the sliders (``set_ydata`` on existing lines).
    """

    def __init__(self, T: int = 40, D: int = 3, H: int = 5, seed: int = 4):
        rng = np.random.default_rng(seed)
        self.T, self.H = T, H
        self.xs = rng.standard_normal((T, 1, D))  # (T, 1, D): one example
        self.Q = _orthogonal(rng, H)
        self.W_in = rng.standard_normal((D, H)) / np.sqrt(D)
        self.h0 = np.zeros((1, H))
        self.fig, self.ax = live_figure(figsize=(6.4, 3.0))
        self.lines = plot_unit_traces(self.ax, np.zeros((T, H)), lw=1.4)
        for i, line in enumerate(self.lines):
            line.set_label(f"unit {i + 1}")
        # a figure legend right of the axes: it stays in the saved background when the axes are redrawn
        self.fig.legend(handles=self.lines, loc="outside right upper", fontsize="small", frameon=False,
                        handlelength=2.2)
        self.ax.set_xlim(1, T)
        self._ylim = None
        self.rho = W.FloatSlider(value=0.9, min=0.0, max=1.6, step=0.05, description="ρ (W_hh)",
                                 continuous_update=True, readout_format=".2f")
        self.scale = W.FloatSlider(value=1.0, min=0.0, max=3.0, step=0.1, description="input ×",
                                   continuous_update=True, readout_format=".1f")
        self.activation = W.Dropdown(options=list(ACTIVATIONS), value="tanh", description="φ")
        self.readout = W.HTML()
        self.summary = W.HTML(layout=W.Layout(width="650px"))
        for c in (self.rho, self.scale, self.activation):
            c.observe(self._on_change, names="value")
        controls = W.VBox([self.rho, self.scale, self.activation, self.readout], layout=W.Layout(width="320px"))
        self.widget = W.HBox([controls, W.VBox([self.fig.canvas, self.summary])])
        # The lines and the title move; the axes only when the stepped y-limit changes (nice_limit):
        # blit them over a saved background instead of a full draw (~3× less work per press).
        self.blit = Blit(self.fig, [*self.lines, self.ax.title], panels=[self.ax])
        self.update(self.rho.value, self.scale.value, self.activation.value)

    def _on_change(self, _change=None) -> None:
        self.update(self.rho.value, self.scale.value, self.activation.value)

    def update(self, rho: float, input_scale: float, activation: str) -> np.ndarray:
        """Recompute ``h_1 … h_T`` for these settings and move the lines; returns ``hs (T, H)``."""
        hs = rnn_forward(self.xs, self.h0, input_scale * self.W_in, rho * self.Q, np.zeros(self.H),
                         activation)[:, 0, :]  # (T, H)
        for line, unit in zip(self.lines, hs.T):
            line.set_ydata(unit)
        lim = nice_limit(max(float(np.abs(hs).max()), 1e-3), minimum=1e-3)  # tanh: ±1 whatever ρ
        ylim = (-lim if activation not in ("sigmoid", "relu") else -0.05 * lim, lim)
        self.ax.set_title(rf"$h_t = \mathrm{{{activation}}}(x_t W_{{xh}} + h_{{t-1}} W_{{hh}})$, $\rho = {rho:.2f}$")
        full = ylim != self._ylim
        if full:
            self.ax.set_ylim(*ylim)
            self._ylim = ylim
        self.blit.update(panels=full)
        norms = np.linalg.norm(hs, axis=1)
        biggest = float(np.abs(hs).max())
        self.readout.value = (f"‖h_1‖ = {norms[0]:.3f}, ‖h_T‖ = {norms[-1]:.3g}<br>"
                              f"largest |h| = {biggest:.3g}")
        last = ", ".join(f"{v:+.2f}" for v in hs[-1])
        self.summary.value = (summary_html(f"{self.H} lines, one per hidden unit, h_t against the step t = 1 … {self.T} "
                              f"for φ = {activation}, ρ = {rho:.2f}, input × {input_scale:.1f}: the largest |h_t| is "
                              f"{biggest:.3g}, ‖h_T‖ = {norms[-1]:.3g}; h_T = ({last})."))
        return hs


def forward_explorer(T: int = 40, D: int = 3, H: int = 5, seed: int = 4) -> ForwardExplorer:
    """Build lesson 4's :class:`ForwardExplorer`; display ``explorer.widget``."""
    return ForwardExplorer(T, D, H, seed)


class BPTTStepper:
    """Lesson 5: step backward through time, one ``δ_t`` at a time, watching ``dW_hh`` accumulate.

    Left: ``δ_t`` of one example as a (unit × step) image, filled in from the last step backward;
    right: the running ``dW_hh = Σ_{s ≥ t} h_{s−1}ᵀ δ_s``. The backward pass is computed once
    (:func:`rnnedu.rnn.bptt_trace`); ``update(i)`` (backward step ``i``, i.e. ``t = T − i``) only sets
    image data. The stepper is :func:`rnnedu.widgets.make_stepper`.
    """

    def __init__(self, dhs, xs, hs, h0, W_xh, W_hh, activation: str = "tanh", example: int = 0):
        self.trace = bptt_trace(dhs, xs, hs, h0, W_xh, W_hh, activation)
        self.example = example
        T, B, H = self.trace.deltas.shape
        if not 0 <= example < B:
            raise ValueError(f"example must lie in [0, {B}), got {example}")
        self.T = T
        self.full_W_hh = self.trace.running_W_hh[-1]
        self.fig, (self.ax_delta, self.ax_w) = live_figure(figsize=(7.6, 3.0), ncols=2)
        d = self.trace.deltas[:, example, :].T  # (H, T)
        lim = max(float(np.abs(d).max()), 1e-12)
        self.delta_image = self.ax_delta.imshow(np.ma.masked_all(d.shape), cmap=style.DIVERGING, vmin=-lim, vmax=lim,
                                                aspect="auto", interpolation="nearest")
        self.ax_delta.set_facecolor("0.93")
        self.ax_delta.set_xticks(np.arange(T), [str(t + 1) for t in range(T)])
        self.ax_delta.set_xlabel(r"step $t$")
        self.ax_delta.set_ylabel("hidden unit")
        (self.cursor,) = self.ax_delta.plot([T - 1, T - 1], [-0.5, H - 0.5], color="k", lw=2)
        wlim = max(float(np.abs(self.full_W_hh).max()), 1e-12)
        self.w_image = self.ax_w.imshow(np.zeros((H, H)), cmap=style.DIVERGING, vmin=-wlim, vmax=wlim,
                                        interpolation="nearest")
        self.ax_w.set_title(r"running $dW_{hh} = \sum_{s \geq t} h_{s-1}^\top \delta_s$")
        self.ax_w.set_xticks([])
        self.ax_w.set_yticks([])
        self.fig.colorbar(self.w_image, ax=self.ax_w, shrink=0.8)
        self.readout = W.HTML()
        self.summary = W.HTML(layout=W.Layout(width="760px"))
        # a step changes only these: blit them over the saved background instead of a full redraw
        self.blit = Blit(self.fig, [self.delta_image, self.cursor, self.w_image, self.ax_delta.title])
        self.stepper = make_stepper(T, self.update, description="back", interval_ms=700)
        self.widget = W.VBox([self.stepper.widget, W.HBox([self.fig.canvas, self.readout]), self.summary])

    def update(self, i: int) -> dict:
        """Show the state after ``i + 1`` backward steps (``δ_T … δ_t`` with ``t = T − i``, 1-based)."""
        i = int(np.clip(i, 0, self.T - 1))
        t = self.T - 1 - i  # 0-based step just processed
        d = self.trace.deltas[:, self.example, :].T  # (H, T)
        shown = np.ma.masked_all(d.shape)
        shown[:, t:] = d[:, t:]
        self.delta_image.set_data(shown)
        self.cursor.set_xdata([t, t])
        running = self.trace.running_W_hh[i]
        self.w_image.set_data(running)
        self.ax_delta.set_title(rf"$\delta_t$ for $t \geq {t + 1}$ (example {self.example + 1})")
        info = {
            "t": t + 1,
            "delta_norm": float(np.linalg.norm(self.trace.deltas[t])),
            "future_norm": float(np.linalg.norm(self.trace.dh_next[t])),
            "rel_error": relative_error(running, self.full_W_hh),
        }
        self.blit.update()  # the image first: its message reaches the browser before the texts
        self.readout.value = (f"<b>t = {info['t']}</b><br>‖δ_t‖ = {info['delta_norm']:.4f}<br>"
                              f"‖δ_(t+1) W_hhᵀ‖ = {info['future_norm']:.4f}<br>"
                              f"running dW_hh vs full:<br>relative error {info['rel_error']:.2e}")
        H = self.trace.deltas.shape[2]
        shown = self.trace.deltas[t, self.example]
        self.summary.value = (summary_html(f"Backward step {i + 1} of {self.T}: left, δ_t of example {self.example + 1} "
                              f"as an image of {H} hidden units × {self.T} steps (blue negative, red positive), filled in "
                              f"for t = {t + 1} … {self.T}; δ_{t + 1} = ("
                              + ", ".join(f"{v:+.3f}" for v in shown)
                              + f"). Right: the running dW_hh ({H} × {H}), relative error to the full gradient "
                              f"{info['rel_error']:.2e}."))
        return info


def bptt_stepper(dhs, xs, hs, h0, W_xh, W_hh, activation: str = "tanh", example: int = 0) -> BPTTStepper:
    """Build lesson 5's :class:`BPTTStepper`; display ``stepper.widget``."""
    return BPTTStepper(dhs, xs, hs, h0, W_xh, W_hh, activation, example)


class ContributionExplorer:
    """Lesson 5: the ``(t, k)`` terms of the double sum and what truncation to τ steps keeps.

    The contributions (:func:`rnnedu.rnn.bptt_contributions`), their norms and the relative error of
    every BPTT(τ) gradient are computed once; ``update(tau, param)`` only masks the heatmap
    (``set_data``), moves the marker on the error curve and rewrites the readout.
    """

    PARAMS = ("W_hh", "W_xh", "b_h")
    LABELS = {"W_hh": "dW_{hh}", "W_xh": "dW_{xh}", "b_h": "db_h"}

    def __init__(self, dhs, xs, hs, h0, W_xh, W_hh, activation: str = "tanh", tau: int | None = None):
        contrib = bptt_contributions(dhs, xs, hs, h0, W_xh, W_hh, activation)
        self.T = T = contrib.T
        full = contrib.total()
        self.norms = {p: contrib.norms(p) for p in self.PARAMS}
        self.taus = np.arange(1, T + 1)
        self.errors = {p: np.array([relative_error(contrib.total(int(tau))[p], full[p]) for tau in self.taus])
                       for p in self.PARAMS}
        self.masks = [truncation_mask(T, int(tau)) for tau in self.taus]
        self.fig, (self.ax_map, self.ax_err) = live_figure(figsize=(7.6, 3.2), ncols=2)
        self.image = plot_contributions(self.ax_map, self.norms["W_hh"])  # no colorbar: it doubles the draw time
        self.err_line, self.marker = plot_truncation_error(self.ax_err, self.taus, self.errors["W_hh"])
        self._shown_param = None
        self.tau = W.IntSlider(value=T if tau is None else int(tau), min=1, max=T, description="τ",
                               continuous_update=False)
        self.param = W.ToggleButtons(options=list(self.PARAMS), value="W_hh", description="W",
                                     style={"button_width": "60px"})
        self.readout = W.HTML()
        self.summary = W.HTML(layout=W.Layout(width="760px"))
        self.tau.observe(self._on_change, names="value")
        self.param.observe(self._on_change, names="value")
        self.widget = W.VBox([W.HBox([self.tau, self.param]), self.fig.canvas, self.readout, self.summary])
        # One y-range for every parameter's error curve, so that neither τ nor the parameter moves an
        # axis: both only change the image, the curve, the marker and the title, blitted over the axes.
        top = max(1.0, max(float(np.max(e)) for e in self.errors.values()) * 2)
        self.ax_err.set_ylim(1e-17, top)
        self.blit = Blit(self.fig, [self.image, self.err_line, self.marker, self.ax_err.title])
        self.update(self.tau.value, "W_hh")

    def _on_change(self, _change=None) -> None:
        self.update(self.tau.value, self.param.value)

    def update(self, tau: int, param: str = "W_hh") -> float:
        """Show BPTT(τ) for ``param``; returns the relative error of its gradient against full BPTT."""
        if param not in self.norms:
            raise ValueError(f"unknown parameter {param!r}; choose one of {', '.join(self.PARAMS)}")
        tau = int(np.clip(tau, 1, self.T))
        norms = self.norms[param]
        self.image.set_data(contribution_image(norms, self.masks[tau - 1]))
        full = param != self._shown_param
        if full:  # a new parameter: rescale colours and the error curve once
            positive = norms[norms > 0]
            if positive.size:
                hi = float(positive.max())
                self.image.set_clim(max(float(positive.min()), hi * 1e-8), hi)
            errors = np.maximum(self.errors[param], 1e-17)
            self.err_line.set_ydata(errors)
            self.ax_err.set_title(rf"${self.LABELS[param]}$: BPTT($\tau$) vs full")
            self._shown_param = param
        err = float(self.errors[param][tau - 1])
        self.marker.set_data([tau], [max(err, 1e-17)])
        kept = int(self.masks[tau - 1].sum())
        # the image first: its message reaches the browser before the texts (a typeset formula or a
        # long text would otherwise hold it back)
        self.blit.update()
        self.readout.value = (f"τ = {tau}: keeps {kept} of {self.T * (self.T + 1) // 2} terms (t, k) with "
                              f"0 ≤ t − k &lt; τ; relative error of d{param}: {err:.2e}")
        kept_norm = float(np.sqrt((norms[self.masks[tau - 1]] ** 2).sum()))
        total_norm = float(np.sqrt((norms[np.tril(np.ones_like(norms, dtype=bool))] ** 2).sum()))
        self.summary.value = (
            summary_html(f"Left: heatmap of the norms of the (t, k) terms of d{param}, rows t = 1 … {self.T} (loss step), "
            f"columns k (step where the weight acts), log colour scale; the {kept} terms with t − k &lt; {tau} are "
            f"coloured, the rest grey (root of the summed squares kept: {kept_norm:.3g} of {total_norm:.3g}). "
            f"Right: relative error of BPTT(τ) against full BPTT for τ = 1 … {self.T} on a log axis, "
            f"marker at τ = {tau}: {err:.2e}."))
        return err



def contribution_explorer(dhs, xs, hs, h0, W_xh, W_hh, activation: str = "tanh", tau=None) -> ContributionExplorer:
    """Build lesson 5's :class:`ContributionExplorer`; display ``explorer.widget``."""
    return ContributionExplorer(dhs, xs, hs, h0, W_xh, W_hh, activation, tau)
