"""Lesson 6's widget: weight scale, sequence length, hidden size, activation and initialisation driving
the decay profile ``‖∂h_T/∂h_k‖`` against the Pascanu bound, the regime, and the phase diagram.

A phase diagram (weight scale × sequence length) costs from a few ms (H = 2) to seconds (H = 64), so it
never runs on a control's path: the hidden-size slider reaches a fixed set of sizes
(:data:`HIDDEN_SIZES`), each diagram is computed once per (initialisation, activation, H), kept in
memory and on disk (:func:`rnnedu.widgets.cache_dir`, keyed by a hash of its inputs and the package
version), and a diagram not yet computed is computed in a background thread while the panel says
"computing…" and every other control keeps answering. Scale and length recompute one decay profile
(a forward pass and one renormalised Jacobian product). Axis limits move in steps (:func:`nice_limit`),
so most presses only blit the lines, the legend and the marker over a saved background.
"""

from __future__ import annotations

import hashlib
import html
import threading

import contourpy
import ipywidgets as W
import numpy as np
from matplotlib.collections import LineCollection

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
from rnnedu.plotting import style
from rnnedu.plotting.decay import (
    decay_ylim,
    finite_or_nan,
    plot_decay,
    plot_phase_diagram,
)
from rnnedu.widgets import Blit, cache_dir, live_figure, nice_limit, summary_html

T_MAX = 1000       # longest sequence the sliders reach
N_INPUTS = 8       # D, the input features driving the network
SCALE_MIN, SCALE_MAX, SCALE_STEP = 0.1, 4.0, 0.05
HIDDEN_SIZES = (2, 4, 8, 16, 32, 48, 64)                      # what the hidden-size slider reaches
PHASE_SCALES = np.linspace(0.2, 4.0, 20)                       # (S,) columns of the phase diagram
PHASE_LENGTHS = np.concatenate([[1], np.arange(25, T_MAX + 1, 25)])  # (L,) rows of the phase diagram
MAX_POINTS = 61    # spectral norms per profile (the product itself runs through every step)
_REGIME_COLOUR = {"vanishing": style.BLUE, "exploding": style.RED, "near the edge": style.PURPLE}
def _phase_summary(phase: np.ndarray, scale: float, T: int) -> str:
    """Words for the phase diagram at the marker: the nearest grid cell's log10 norm."""
    i = int(np.argmin(np.abs(PHASE_SCALES - scale)))
    j = int(np.argmin(np.abs(PHASE_LENGTHS - T)))
    v = float(phase[i, j])
    if not np.isfinite(v):
        where = "exactly zero" if v < 0 else "past the float64 range"
    else:
        where = f"10^{v:.1f}"
    edge = [float(s) for s, row in zip(PHASE_SCALES, phase) if np.isfinite(row[j]) and abs(row[j]) <= 2.0]
    band = (f"the band within a factor 100 of 1 spans s = {min(edge):.1f}–{max(edge):.1f}" if edge
            else "no scale keeps the norm within a factor 100 of 1")
    return (f"nearest grid point s = {PHASE_SCALES[i]:.1f}, T = {PHASE_LENGTHS[j]}: ‖∂h_T/∂h_0‖ ≈ {where}; "
            f"at this length {band}")


class DecayExplorer:
    """Lesson 6's widget. ``update(scale, T, H, activation, init)`` recomputes and redraws; returns the
    :class:`~rnnedu.decay.DecayProfile` it drew. ``readout`` (HTML) names the regime and the numbers;
    ``summary`` (HTML, under the figure) says in words what both panels show.

    Fixed, seeded data: inputs ``x_t (T_MAX, D)`` with ``D = 8``, ``W_xh ~ N(0, 1/D)`` per hidden size,
    ``b_h = 0``, ``h_0 = 0``; ``W_hh = scale · W_base`` with ``W_base`` from :func:`init_recurrent` at
    scale 1 (one per initialisation and hidden size). ``H`` outside :data:`HIDDEN_SIZES` is added to the
    slider's sizes. ``cache`` (default true) keeps phase diagrams on disk between sessions.
    """

    def __init__(self, *, scale: float = 1.0, T: int = 200, H: int = 64, activation: str = "tanh",
                 init: str = "gaussian", seed: int = 6, cache: bool = True):
        self.seed = int(seed)
        self.cache = bool(cache)
        self._xs = np.random.default_rng(self.seed).standard_normal((T_MAX, N_INPUTS))  # (T_MAX, D)
        self._base: dict = {}    # (init, H) -> (W_base, λ₁(W_base), ρ(W_base))
        self._inputs: dict = {}  # H -> c = x W_xh  (T_MAX, H)
        self._phase: dict = {}   # (init, activation, H) -> (S, L) log10 norms
        self._phase_key = None   # the diagram on screen
        self._limits = None      # the decay panel's (xlim, ylim) on screen
        self._lock = threading.RLock()           # figure changes and draws: main thread or worker
        self._wanted = None                      # the diagram the controls ask for
        self._worker: threading.Thread | None = None
        self.sizes = tuple(sorted(set(HIDDEN_SIZES) | {int(H)}))

        self.fig, (self.ax_decay, self.ax_phase) = live_figure(figsize=(8.8, 3.4), ncols=2,
                                                               width_ratios=[1.25, 1])
        empty = np.zeros(2)
        self.lines = plot_decay(self.ax_decay, [0, 1], empty, empty, empty)
        # The legend sits above the panels (a figure legend), out of the lines' way and in the saved
        # background: drawn with the decay panel it cost more than everything else a press redraws.
        self.ax_decay.get_legend().remove()
        self.legend = self.fig.legend(handles=[self.lines["observed"], self.lines["bound"], self.lines["radius"]],
                                      loc="outside upper left", ncols=3, fontsize="small", frameon=False,
                                      handlelength=2.4, columnspacing=1.5)
        self.overflow_note = self.ax_decay.text(
            0.98, 0.03,
            "overflow: the norm passed the float64 range (≈1.8e308)\nabove the dash-dot line; drawn from its exact log",
            transform=self.ax_decay.transAxes, va="bottom", ha="right", fontsize="small", color=style.RED,
            bbox={"facecolor": "white", "edgecolor": style.RED, "alpha": 0.9}, visible=False, zorder=6)
        first = self.phase(init, activation, H)
        art = plot_phase_diagram(self.ax_phase, PHASE_SCALES, PHASE_LENGTHS, first)
        self.mesh = art["image"]
        for cs in art["contours"]:  # replaced by two line collections whose segments are cached per diagram
            cs.remove()
        self._segments: dict = {}
        self._edges = LineCollection([], colors="k", linewidths=0.8, zorder=2)
        self._overflow_edge = LineCollection([], colors="k", linewidths=1.5, linestyles="-.", zorder=2)
        self.ax_phase.add_collection(self._edges, autolim=False)
        self.ax_phase.add_collection(self._overflow_edge, autolim=False)
        self._contours = [self._edges, self._overflow_edge]
        self._set_contours((init, activation, int(H)), first)
        self._phase_key = (init, activation, int(H))
        self.fig.colorbar(self.mesh, ax=self.ax_phase, shrink=0.85, extend="both",
                          label=r"$\log_{10}\|\partial h_T/\partial h_0\|$ (clipped)")
        (self.marker,) = self.ax_phase.plot([scale], [T], "o", ms=10, mfc="none", mec="k", mew=2)
        self.status = self.ax_phase.text(0.5, 0.5, "", transform=self.ax_phase.transAxes, ha="center",
                                         va="center", fontsize="small", visible=False, zorder=6,
                                         bbox={"facecolor": "white", "edgecolor": "0.3", "alpha": 0.95})

        self.scale = W.FloatSlider(value=scale, min=SCALE_MIN, max=SCALE_MAX, step=SCALE_STEP,
                                   description="scale s", readout_format=".2f", continuous_update=False)
        self.length = W.IntSlider(value=T, min=1, max=T_MAX, description="length T", continuous_update=False)
        self.hidden = W.SelectionSlider(options=list(self.sizes), value=int(H), description="hidden H",
                                        continuous_update=False)
        self.activation = W.Dropdown(options=list(ACTIVATIONS), value=activation, description="φ")
        self.init = W.ToggleButtons(options=list(INITIALISATIONS), value=init, description="W_hh",
                                    style={"button_width": "92px"})  # "orthogonal" whole
        self.readout = W.HTML(layout=W.Layout(min_height="7.5em"))
        self.summary = W.HTML(layout=W.Layout(width="880px"))
        for control in (self.scale, self.length, self.hidden, self.activation, self.init):
            control.observe(self._on_change, names="value")
        # Controls above the figure, in two columns: side by side they squeezed the sliders to nothing
        # in a notebook column narrower than the figure.
        controls = W.HBox([W.VBox([self.scale, self.length, self.hidden, self.activation]),
                           W.VBox([self.init, self.readout], layout=W.Layout(width="480px"))])
        self.widget = W.VBox([controls, self.fig.canvas, self.summary])
        self.profile = self.update(scale, T, H, activation, init)
        # Lay the figure out once, then freeze it: the constrained-layout solver would otherwise run on
        # every redraw (about half of the draw time of this figure).
        self.fig.draw_without_rendering()
        self.fig.set_layout_engine("none")
        # What a control moves: the decay lines, legend and note, the marker, the phase diagram's mesh,
        # contours and status. They are drawn over a saved background (axes, ticks, colour bar); only a
        # change of the decay panel's (stepped) limits needs a full draw.
        self.blit = Blit(self.fig, self._moving_artists(), panels=[self.ax_decay])

    def _moving_artists(self) -> list:
        return [self.lines["observed"], self.lines["bound"], self.lines["radius"], self.overflow_note, self.mesh, *self._contours, self.marker, self.status]

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

    def _cache_file(self, init: str, activation: str, H: int):
        """The disk cache file of one diagram: named by a hash of its inputs and the package version."""
        import rnnedu

        h = hashlib.sha256()
        for part in (rnnedu.__version__, np.__version__.split(".")[0], activation, init, str(int(H))):
            h.update(part.encode() + b"|")
        for array in (self.base(init, H)[0], self.inputs(H), PHASE_SCALES, PHASE_LENGTHS):
            h.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        return cache_dir() / "phase" / f"{h.hexdigest()[:32]}.npy"

    def cached_phase(self, init: str, activation: str, H: int) -> np.ndarray | None:
        """The diagram if it is in memory or on disk (then kept in memory), else ``None``; never computes."""
        key = (init, activation, int(H))
        if key not in self._phase and self.cache:
            try:
                arr = np.load(self._cache_file(*key), allow_pickle=False)
                if arr.shape == (PHASE_SCALES.size, PHASE_LENGTHS.size):
                    self._phase[key] = arr
            except (OSError, ValueError):
                pass
        return self._phase.get(key)

    def phase(self, init: str, activation: str, H: int) -> np.ndarray:
        """The phase diagram ``(S, L)`` for this setting: from memory, the disk cache, or computed now."""
        key = (init, activation, int(H))
        found = self.cached_phase(*key)
        if found is not None:
            return found
        arr = phase_diagram(self.base(init, H)[0], PHASE_SCALES, PHASE_LENGTHS, self.inputs(H), activation)
        self._phase[key] = arr
        if self.cache:
            path = self._cache_file(*key)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{threading.get_ident()}.tmp.npy")
                np.save(tmp, arr)
                tmp.replace(path)
            except OSError:
                pass  # a read-only home: the diagram stays in memory only
        return arr

    # --- background computation ---------------------------------------------------------------------

    def _want(self, key) -> None:
        """Ask the worker thread for ``key``'s diagram (it computes only the latest wish)."""
        with self._lock:
            self._wanted = key
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="rnnedu-phase-diagram", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                key = self._wanted
                if key is None or key in self._phase:
                    self._worker = None
                    if key is not None and key != self._phase_key:
                        self._show_phase(key)
                        self._redraw(limits_changed=False)
                    return
            self.phase(*key)  # outside the lock: the controls keep answering meanwhile

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the background diagram (if any) is computed and shown; True when nothing is pending."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        return self._worker is None or not self._worker.is_alive()

    @property
    def computing(self) -> bool:
        """Whether a phase diagram is being computed in the background."""
        return self._worker is not None and self._worker.is_alive()

    # --- the update ---------------------------------------------------------------------------------

    def _on_change(self, _change=None) -> None:
        self.update(self.scale.value, self.length.value, self.hidden.value, self.activation.value,
                    self.init.value, background=True)

    def compute(self, scale: float, T: int, H: int, activation: str, init: str) -> DecayProfile:
        """The decay profile at one setting, without drawing."""
        Wb, lam, rho = self.base(init, H)
        a = driven_preactivations(self.inputs(H)[:T], Wb, activation, scale=scale)  # (T, H)
        return decay_profile(scale * Wb, a, activation, max_points=MAX_POINTS,
                             spectrum=(scale * lam, scale * rho))

    def _show_phase(self, key) -> None:
        """Put ``key``'s (computed) diagram on the phase panel."""
        phase = self._phase[key]
        self.mesh.set_array(np.clip(finite_or_nan(phase), -20, 20).T)
        self.mesh.set_alpha(None)
        self._set_contours(key, phase)
        self._phase_key = key
        self.status.set_visible(False)
        self.summary.value = self._summary()

    def _set_contours(self, key, phase) -> None:
        """The ±2-decade contours and the float64-overflow contour of ``phase`` (as in
        :func:`rnnedu.plotting.decay.draw_phase_contours`), as segments cached per diagram."""
        if key not in self._segments:
            z = np.nan_to_num(np.asarray(phase, dtype=float), neginf=-1e4, posinf=1e4).T  # (L, S)
            gen = contourpy.contour_generator(PHASE_SCALES, PHASE_LENGTHS, z, line_type="Separate")
            edges = [seg for lv in (-2.0, 2.0) if z.min() < lv < z.max() for seg in gen.lines(lv)]
            over = list(gen.lines(OVERFLOW_LOG10)) if z.min() < OVERFLOW_LOG10 < z.max() else []
            self._segments[key] = (edges, over)
        edges, over = self._segments[key]
        self._edges.set_segments(edges)
        self._overflow_edge.set_segments(over)

    def _redraw(self, limits_changed: bool) -> None:
        if not hasattr(self, "blit"):
            self.fig.canvas.draw_idle()
        else:  # new limits: redraw the decay panel (ticks and all), never the whole figure
            self.blit.update(panels=limits_changed)

    def update(self, scale: float, T: int, H: int, activation: str, init: str, *,
               background: bool = False) -> DecayProfile:
        """Recompute the profile for this setting, move the lines and the marker, redraw; return it.

        A phase diagram not computed yet is computed here, or with ``background=True`` (what the controls
        use) in a worker thread while the panel says "computing…"; :meth:`wait` waits for it."""
        T, H, scale = int(T), int(H), float(scale)
        if not 1 <= T <= T_MAX:
            raise ValueError(f"sequence length T must lie in [1, {T_MAX}], got {T}")
        prof = self.compute(scale, T, H, activation, init)
        key = (init, activation, H)
        with self._lock:
            self._wanted = key
            if key != self._phase_key:
                if self.cached_phase(*key) is None and background:
                    self.mesh.set_alpha(0.25)
                    self.status.set_text(f"computing the phase diagram\nfor {activation}, {init}, H = {H} …")
                    self.status.set_visible(True)
                    self._want(key)
                else:
                    self.phase(*key)
                    self._show_phase(key)
            self.lines["observed"].set_data(prof.lags, finite_or_nan(prof.log10_norms))
            self.lines["bound"].set_data(prof.lags, finite_or_nan(prof.log10_bound))
            self.lines["radius"].set_data(prof.lags, finite_or_nan(prof.log10_radius))
            lo, hi = decay_ylim(prof.log10_norms, prof.log10_bound)
            limits = ((0.0, min(nice_limit(1.05 * T), float(T_MAX)) if T < T_MAX else float(T_MAX)),
                      (-nice_limit(-lo, minimum=6.0), nice_limit(hi, minimum=6.0)))
            full = limits != self._limits
            if full:
                self.ax_decay.set_xlim(*limits[0])
                self.ax_decay.set_ylim(*limits[1])
                self._limits = limits
            self.marker.set_data([scale], [T])
            self.overflow_note.set_visible(prof.overflow)
            self.profile = prof
            self._scale, self._T = scale, T
            self._redraw(full)  # the image first: its message reaches the browser before the texts
            self.readout.value = self.describe(prof, scale)
            self.summary.value = self._summary()
        return prof

    def _summary(self) -> str:
        """The text under the figure: what both panels show, with the numbers (for a screen reader)."""
        prof = getattr(self, "profile", None)
        if prof is None:
            return ""
        init, activation, H = self._wanted or self._phase_key
        last = float(prof.log10_norms[-1]) if len(prof.log10_norms) else float("nan")
        bound = float(prof.log10_bound[-1]) if len(prof.log10_bound) else float("nan")
        norm = "exactly zero" if last == -np.inf else (f"10^{last:.1f}" if np.isfinite(last) else "infinite")
        left = (f"Left: log-scale gradient norm ‖∂h_T/∂h_k‖ against the lag T − k for {activation}, {init} W_hh, "
                f"H = {H}, s = {self._scale:.2f}, T = {self._T} ({prof.regime}): at lag {self._T} it is {norm}, "
                f"the bound (λ₁γ)^T is 10^{bound:.1f}.")
        if self._phase_key == (init, activation, H):
            right = "Right: phase diagram over scale s and length T; " + _phase_summary(
                self._phase[self._phase_key], self._scale, self._T) + "."
        else:
            right = f"Right: phase diagram for H = {H} is being computed (the old one is shown faded)."
        return summary_html(f"{html.escape(left)} {html.escape(right)}")

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
