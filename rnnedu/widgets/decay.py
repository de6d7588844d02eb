"""Lesson 6's widget: weight scale, sequence length, hidden size, activation and initialisation driving
the decay profile ``‖∂h_T/∂h_k‖`` against the Pascanu bound, the regime, and the phase diagram.

The phase diagram (weight scale × sequence length) is computed once per (initialisation, activation,
hidden size) and cached; moving the scale or length slider only recomputes one decay profile (one
forward pass and one renormalised Jacobian product), moves the lines and the marker, and redraws.
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from rnnedu.activations import ACTIVATIONS
from rnnedu.decay import (
    INITIALISATIONS,
    OVERFLOW_LOG10,
    DecayProfile,
    decay_profile,
    driven_preactivations,
    init_recurrent,
    phase_diagram,
)
from rnnedu.plotting.decay import (
    decay_ylim,
    draw_phase_contours,
    finite_or_nan,
    plot_decay,
    plot_phase_diagram,
)
from rnnedu.widgets import Blit, live_figure

T_MAX = 1000       # longest sequence the sliders reach
N_INPUTS = 8       # D, the input features driving the network
SCALE_MIN, SCALE_MAX, SCALE_STEP = 0.1, 4.0, 0.05
PHASE_SCALES = np.linspace(0.2, 4.0, 20)                       # (S,) columns of the phase diagram
PHASE_LENGTHS = np.concatenate([[1], np.arange(25, T_MAX + 1, 25)])  # (L,) rows of the phase diagram
MAX_POINTS = 61    # spectral norms per profile (the product itself runs through every step)
_REGIME_COLOUR = {"vanishing": "#1f5fa8", "exploding": "#b3261e", "near the edge": "#1a7f37"}


class DecayExplorer:
    """Lesson 6's widget. ``update(scale, T, H, activation, init)`` recomputes and redraws; returns the
    :class:`~rnnedu.decay.DecayProfile` it drew. ``readout`` (HTML) names the regime and the numbers.

    Fixed, seeded data: inputs ``x_t (T_MAX, D)`` with ``D = 8``, ``W_xh ~ N(0, 1/D)`` per hidden size,
    ``b_h = 0``, ``h_0 = 0``; ``W_hh = scale · W_base`` with ``W_base`` from :func:`init_recurrent` at
    scale 1 (one per initialisation and hidden size).
    """

    def __init__(self, *, scale: float = 1.0, T: int = 200, H: int = 64, activation: str = "tanh",
                 init: str = "gaussian", seed: int = 6):
        self.seed = int(seed)
        self._xs = np.random.default_rng(self.seed).standard_normal((T_MAX, N_INPUTS))  # (T_MAX, D)
        self._base: dict = {}    # (init, H) -> (W_base, λ₁(W_base), ρ(W_base))
        self._inputs: dict = {}  # H -> c = x W_xh  (T_MAX, H)
        self._phase: dict = {}   # (init, activation, H) -> (S, L) log10 norms
        self._phase_key = None

        self.fig, (self.ax_decay, self.ax_phase) = live_figure(figsize=(8.8, 3.4), ncols=2,
                                                               width_ratios=[1.25, 1])
        empty = np.zeros(2)
        self.lines = plot_decay(self.ax_decay, [0, 1], empty, empty, empty)
        self.ax_decay.set_title("decay of the gradient with the lag")
        self.overflow_note = self.ax_decay.text(
            0.02, 0.97,
            "overflow: the norm passed the float64 range (≈1.8e308)\nabove the dash-dot line; drawn from its exact log",
            transform=self.ax_decay.transAxes, va="top", ha="left", fontsize="small", color="#b3261e",
            bbox={"facecolor": "white", "edgecolor": "#b3261e", "alpha": 0.9}, visible=False)
        first = self.phase(init, activation, H)
        art = plot_phase_diagram(self.ax_phase, PHASE_SCALES, PHASE_LENGTHS, first)
        self.mesh, self._contours = art["image"], art["contours"]
        self._phase_key = (init, activation, H)
        self.fig.colorbar(self.mesh, ax=self.ax_phase, shrink=0.85, extend="both",
                          label=r"$\log_{10}\|\partial h_T/\partial h_0\|$ (clipped)")
        (self.marker,) = self.ax_phase.plot([scale], [T], "o", ms=10, mfc="none", mec="k", mew=2)

        self.scale = W.FloatSlider(value=scale, min=SCALE_MIN, max=SCALE_MAX, step=SCALE_STEP,
                                   description="scale s", readout_format=".2f", continuous_update=False)
        self.length = W.IntSlider(value=T, min=1, max=T_MAX, description="length T", continuous_update=False)
        self.hidden = W.IntSlider(value=H, min=2, max=128, step=2, description="hidden H",
                                  continuous_update=False)
        self.activation = W.Dropdown(options=list(ACTIVATIONS), value=activation, description="φ")
        self.init = W.ToggleButtons(options=list(INITIALISATIONS), value=init, description="W_hh",
                                    style={"button_width": "82px"})
        self.readout = W.HTML(layout=W.Layout(min_height="7.5em"))
        for control in (self.scale, self.length, self.hidden, self.activation, self.init):
            control.observe(self._on_change, names="value")
        # Controls above the figure, in two columns: side by side they squeezed the sliders to nothing
        # in a notebook column narrower than the figure.
        controls = W.HBox([W.VBox([self.scale, self.length, self.hidden, self.activation]),
                           W.VBox([self.init, self.readout], layout=W.Layout(width="440px"))])
        self.widget = W.VBox([controls, self.fig.canvas])
        self.profile = self.update(scale, T, H, activation, init)
        # Lay the figure out once, then freeze it: the constrained-layout solver would otherwise run on
        # every redraw (about half of the draw time of this figure).
        self.fig.draw_without_rendering()
        self.fig.set_layout_engine("none")
        # The scale and length sliders change only the decay panel (its limits too) and the marker:
        # redraw that whole panel and the marker over a background holding the phase diagram, whose
        # mesh, contours and colour bar are most of a full draw. A new phase diagram (another
        # initialisation, activation or H) still gets a full redraw, which also saves a new background.
        self.blit = Blit(self.fig, [self.ax_decay, self.marker])

    # --- cached ingredients ---------------------------------------------------------------------------

    def base(self, init: str, H: int) -> tuple[np.ndarray, float, float]:
        """``(W_base, λ₁, ρ)`` for this initialisation and hidden size (seeded, cached)."""
        key = (init, int(H))
        if key not in self._base:
            Wb = init_recurrent(int(H), np.random.default_rng([self.seed, int(H)]), init)
            self._base[key] = (Wb, float(np.linalg.norm(Wb, 2)), float(np.max(np.abs(np.linalg.eigvals(Wb)))))
        return self._base[key]

    def inputs(self, H: int) -> np.ndarray:
        """The input term ``c_t = x_t W_xh`` (``b_h = 0``) for hidden size ``H``: ``(T_MAX, H)``."""
        if H not in self._inputs:
            W_xh = np.random.default_rng([self.seed, int(H), 1]).standard_normal((N_INPUTS, int(H)))
            self._inputs[H] = self._xs @ (W_xh / np.sqrt(N_INPUTS))
        return self._inputs[H]

    def phase(self, init: str, activation: str, H: int) -> np.ndarray:
        """The phase diagram ``(S, L)`` for this setting, computed on first use and cached."""
        key = (init, activation, int(H))
        if key not in self._phase:
            self._phase[key] = phase_diagram(self.base(init, H)[0], PHASE_SCALES, PHASE_LENGTHS,
                                             self.inputs(H), activation)
        return self._phase[key]

    # --- the update ---------------------------------------------------------------------------------

    def _on_change(self, _change=None) -> None:
        self.update(self.scale.value, self.length.value, self.hidden.value, self.activation.value,
                    self.init.value)

    def compute(self, scale: float, T: int, H: int, activation: str, init: str) -> DecayProfile:
        """The decay profile at one setting, without drawing."""
        Wb, lam, rho = self.base(init, H)
        a = driven_preactivations(self.inputs(H)[:T], Wb, activation, scale=scale)  # (T, H)
        return decay_profile(scale * Wb, a, activation, max_points=MAX_POINTS,
                             spectrum=(scale * lam, scale * rho))

    def update(self, scale: float, T: int, H: int, activation: str, init: str) -> DecayProfile:
        """Recompute the profile for this setting, move the lines and the marker, redraw; return it."""
        T, H, scale = int(T), int(H), float(scale)
        if not 1 <= T <= T_MAX:
            raise ValueError(f"sequence length T must lie in [1, {T_MAX}], got {T}")
        prof = self.compute(scale, T, H, activation, init)
        key = (init, activation, H)
        new_phase = key != self._phase_key
        if new_phase:
            self.mesh.set_array(np.clip(finite_or_nan(self.phase(*key)), -20, 20).T)
            for cs in self._contours:
                cs.remove()
            self._contours = draw_phase_contours(self.ax_phase, PHASE_SCALES, PHASE_LENGTHS, self.phase(*key))
            self._phase_key = key
        self.lines["observed"].set_data(prof.lags, finite_or_nan(prof.log10_norms))
        self.lines["bound"].set_data(prof.lags, finite_or_nan(prof.log10_bound))
        self.lines["radius"].set_data(prof.lags, finite_or_nan(prof.log10_radius))
        self.ax_decay.set_xlim(0, max(T, 1))
        self.ax_decay.set_ylim(*decay_ylim(prof.log10_norms, prof.log10_bound))
        self.marker.set_data([scale], [T])
        self.overflow_note.set_visible(prof.overflow)
        self.readout.value = self.describe(prof, scale)
        self.profile = prof
        if new_phase or not hasattr(self, "blit"):
            self.fig.canvas.draw_idle()
        else:
            self.blit.update()
        return prof

    @staticmethod
    def describe(prof: DecayProfile, scale: float) -> str:
        """The readout's HTML: regime, the norm over the whole sequence, λ₁, ρ, γ."""
        colour = _REGIME_COLOUR[prof.regime]
        value = html.escape(prof.summary().split(": ", 1)[1])  # starts with "overflow: …" on overflow
        lines = [f"<b style='color:{colour}'>{prof.regime}</b>",
                 f"<b>{value}</b>" if prof.overflow else value,
                 f"s = {scale:.2f}: λ₁ = {prof.lambda1:.3f}, ρ = {prof.radius:.3f}, γ = {prof.gamma:g}, "
                 f"λ₁γ = {prof.lambda1 * prof.gamma:.3f}"]
        if not prof.overflow and prof.log10_bound[-1] > OVERFLOW_LOG10:
            lines.append("the bound (λ₁γ)^T passes the float64 range; the observed norm does not")
        return "<br>".join(lines)


def decay_explorer(**kwargs) -> DecayExplorer:
    """Build lesson 6's :class:`DecayExplorer`; display ``explorer.widget``."""
    return DecayExplorer(**kwargs)
