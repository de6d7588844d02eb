"""Plot helpers for lesson 6 (vanishing and exploding gradients). Axes first; each returns its artists.

Norms are drawn as ``log10`` values on a linear axis labelled in powers of ten, so a norm past the
float64 range (≈1.8e308) is still a finite number to plot; exactly-zero norms (dead ReLUs, ``-inf``) are
left out of the line and the caller states them in text.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator

from rnnedu.decay import OVERFLOW_LOG10
from rnnedu.plotting import style

__all__ = ["decay_ylim", "draw_phase_contours", "finite_or_nan", "plot_decay", "plot_phase_diagram",
           "power_of_ten_axis"]


def finite_or_nan(values) -> np.ndarray:
    """``values`` as float with ``±inf`` replaced by NaN (matplotlib leaves a gap there)."""
    out = np.array(values, dtype=float)
    out[~np.isfinite(out)] = np.nan
    return out


def power_of_ten_axis(axis) -> None:
    """Label a linear axis holding log10 values as ``10^n`` (integer ticks only)."""
    axis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"$10^{{{int(round(v))}}}$"))


def plot_decay(ax, lags, log10_norms, log10_bound=None, log10_radius=None, *, label="observed"):
    """Lesson 6, Fig. 6.1: ``log10 ‖∂h_T/∂h_k‖`` against the lag ``T − k``, with the Pascanu bound
    ``(λ₁γ)^lag`` (dashed), the eigenvalue guess ``(ργ)^lag`` (dotted, not a bound) and the float64
    limit. Returns ``{"observed", "bound", "radius", "overflow"}`` → artists (``None`` if not drawn)."""
    artists = {}
    (artists["observed"],) = ax.plot(lags, finite_or_nan(log10_norms), color=style.BLUE, ls="-", lw=2, label=label)
    artists["bound"] = None
    artists["radius"] = None
    if log10_bound is not None:
        (artists["bound"],) = ax.plot(lags, finite_or_nan(log10_bound), color=style.RED, ls="--", lw=1.5,
                                      label=r"bound $(\lambda_1\gamma)^{T-k}$")
    if log10_radius is not None:
        (artists["radius"],) = ax.plot(lags, finite_or_nan(log10_radius), color="0.45", ls=":", lw=1.5,
                                       label=r"$(\rho\gamma)^{T-k}$ (not a bound)")
    # no legend entry: the line is usually far outside the axes (the overflow note names it when it matters)
    artists["overflow"] = ax.axhline(OVERFLOW_LOG10, color="k", lw=1, ls="-.")
    ax.set_xlabel("lag $T-k$")
    ax.set_ylabel(r"$\|\partial h_T / \partial h_k\|_2$")
    power_of_ten_axis(ax.yaxis)
    ax.legend(loc="best", fontsize="small")
    return artists


def decay_ylim(*curves, floor: float = -6.0, ceiling: float = 6.0) -> tuple[float, float]:
    """y-limits covering the finite values of ``curves`` (log10) and at least ``[floor, ceiling]``."""
    vals = np.concatenate([np.ravel(c) for c in curves]) if curves else np.zeros(1)
    vals = vals[np.isfinite(vals)]
    lo = min(floor, float(vals.min()) if vals.size else floor)
    hi = max(ceiling, float(vals.max()) if vals.size else ceiling)
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def plot_phase_diagram(ax, scales, lengths, log10_norms, *, limit: float = 20.0, edge: float = 2.0):
    """Lesson 6, Fig. 6.2: the phase diagram ``log10 ‖∂h_T/∂h_0‖`` over weight scale × sequence length.

    Colours clipped to ``±limit`` decades (blue vanishing, red exploding); solid contours at ``±edge``
    decades bound the band called "near the edge"; a black contour marks the float64 overflow.
    ``log10_norms`` is ``(S, L)`` for ``scales (S,)`` and ``lengths (L,)``. Returns
    ``{"image", "contours"}`` (contours: a list of ``ContourSet``, replace them when the data change).
    """
    z = np.clip(finite_or_nan(log10_norms), -limit, limit)
    z[np.isnan(z) & np.isneginf(np.asarray(log10_norms, dtype=float))] = -limit
    scales = np.asarray(scales, dtype=float)
    lengths = np.asarray(lengths, dtype=float)
    image = ax.pcolormesh(scales, lengths, z.T, cmap=style.DIVERGING, vmin=-limit, vmax=limit, shading="nearest")
    contours = draw_phase_contours(ax, scales, lengths, log10_norms, edge=edge)
    ax.set_xlabel("weight scale $s$")
    ax.set_ylabel("sequence length $T$")
    ax.set_title(r"$\|\partial h_T / \partial h_0\|_2$")
    return {"image": image, "contours": contours}


def draw_phase_contours(ax, scales, lengths, log10_norms, *, edge: float = 2.0) -> list:
    """The ``±edge`` contours and the float64-overflow contour of a phase diagram; returns them."""
    z = np.nan_to_num(np.asarray(log10_norms, dtype=float), neginf=-1e4, posinf=1e4).T
    out = []
    levels = [lv for lv in (-edge, edge) if z.min() < lv < z.max()]
    if levels:
        out.append(ax.contour(scales, lengths, z, levels=levels, colors="k", linewidths=0.8))
    if z.min() < OVERFLOW_LOG10 < z.max():
        out.append(ax.contour(scales, lengths, z, levels=[OVERFLOW_LOG10], colors="k", linewidths=1.5,
                              linestyles="-."))
    return out
