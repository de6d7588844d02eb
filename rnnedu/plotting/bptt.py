"""Plot helpers for lessons 4–5 (the forward pass and BPTT). Axes first, artists returned, no figures made."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import MaxNLocator

from rnnedu.plotting import style


def contribution_image(norms, mask=None) -> np.ma.MaskedArray:
    """The array a contribution heatmap shows: ``norms (T, T)`` with the terms outside ``mask`` and
    above the diagonal masked out (drawn as the background)."""
    norms = np.asarray(norms, dtype=float)
    T = norms.shape[0]
    keep = np.tril(np.ones((T, T), dtype=bool)) if mask is None else np.asarray(mask, dtype=bool)
    return np.ma.masked_where(~keep | (norms <= 0), norms)


def plot_contributions(ax, norms, mask=None, *, vmin=None, vmax=None, **imshow_kw):
    r"""Heatmap of the ``(t, k)`` terms of the double sum (lesson 5, eq. (5.3)) on a log colour scale.

    ``norms (T, T)``: rows ``t`` (the loss step), columns ``k`` (the step where the parameter acts);
    ``mask (T, T)`` bool: which terms are kept (truncation); the rest is left blank. Returns the image
    (update it with ``image.set_data(contribution_image(norms, mask))``).
    """
    norms = np.asarray(norms, dtype=float)
    positive = norms[norms > 0]
    hi = vmax if vmax is not None else (float(positive.max()) if positive.size else 1.0)
    lo = vmin if vmin is not None else (max(float(positive.min()), hi * 1e-8) if positive.size else hi * 1e-8)
    image = ax.imshow(contribution_image(norms, mask), cmap=imshow_kw.pop("cmap", style.SEQUENTIAL),
                      norm=LogNorm(vmin=lo, vmax=hi), origin="upper", interpolation="nearest", **imshow_kw)
    ax.set_facecolor("0.93")
    T = norms.shape[0]
    ticks = np.arange(0, T, max(1, T // 6))
    ax.set_xticks(ticks, [str(k + 1) for k in ticks])
    ax.set_yticks(ticks, [str(t + 1) for t in ticks])
    ax.set_xlabel(r"$k$ (step where $W$ acts)")
    ax.set_ylabel(r"$t$ (loss step)")
    ax.set_title(r"$\|\partial L_t/\partial h_t \cdot \partial h_t/\partial h_k \cdot \partial^+ h_k/\partial W\|$")
    return image


def plot_hidden_states(ax, hs_example, **imshow_kw):
    """Heatmap of one example's hidden states ``(T, H)`` over time (lesson 4): rows units, columns steps."""
    hs_example = np.asarray(hs_example, dtype=float)
    lim = max(float(np.abs(hs_example).max()), 1e-3)
    image = ax.imshow(hs_example.T, cmap=imshow_kw.pop("cmap", style.DIVERGING), vmin=-lim, vmax=lim,
                      aspect="auto", interpolation="nearest", **imshow_kw)
    H = hs_example.shape[1]
    ax.set_yticks(np.arange(0, H, max(1, H // 8)))
    ax.set_xlabel(r"step $t$")
    ax.set_ylabel("hidden unit")
    ax.set_title(r"$h_t$ of one example")
    return image


def plot_unit_traces(ax, hs_example, **line_kw):
    """One line per hidden unit of one example's states ``(T, H)`` against the step; returns the lines."""
    hs_example = np.asarray(hs_example, dtype=float)
    t = np.arange(1, hs_example.shape[0] + 1)
    lines = ax.plot(t, hs_example, **line_kw)
    ax.set_xlabel(r"step $t$")
    ax.set_ylabel(r"$h_t$")
    return lines


def plot_truncation_error(ax, taus, errors, *, show_marker: bool = True, **line_kw):
    """Relative error of the BPTT(τ) gradient against the full one, per τ (lesson 5), on a log axis
    (zeros drawn at 1e-17). Returns the line and a marker at the first τ (move it with
    ``marker.set_data([τ], [err])``), or ``None`` for the marker when ``show_marker`` is false."""
    taus = np.asarray(taus)
    errors = np.asarray(errors, dtype=float)
    (line,) = ax.plot(taus, np.maximum(errors, 1e-17), marker=".", **line_kw)
    marker = None
    if show_marker:
        (marker,) = ax.plot(taus[:1], np.maximum(errors[:1], 1e-17), "o", color=style.RED, ms=9, mfc="none", mew=2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yscale("log")
    ax.set_xlabel(r"truncation $\tau$")
    ax.set_ylabel("relative error vs full BPTT")
    return line, marker
