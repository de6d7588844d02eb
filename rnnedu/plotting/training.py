"""Plots for lesson 7 (and the training lessons 8–9): loss curves with the task's baseline, gradient
norms with the clip threshold, success against lag, and decay profiles of several models.

Each helper takes the ``Axes`` first, draws, and returns the artists it made; none creates a figure.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from rnnedu.plotting.decay import finite_or_nan, power_of_ten_axis

#: Values above this are drawn as "off the scale" rather than plotted: a log axis holding numbers near
#: 1e308 overflows inside matplotlib (its margins are computed as 10**(log10 x ± pad)).
OFF_SCALE = 1e100


def _on_scale(values) -> tuple[np.ndarray, int | None, str]:
    """``values`` with non-finite and off-scale entries replaced by NaN (a gap in the line), the index
    of the first such entry (``None`` if there is none) and what happened there."""
    v = np.asarray(values, dtype=float)
    bad = ~np.isfinite(v) | (np.abs(v) > OFF_SCALE)
    if not bad.any():
        return v, None, ""
    first = int(np.argmax(bad))
    what = "overflow (inf)" if not np.isfinite(v[first]) else f"above {OFF_SCALE:.0e}"
    return np.where(bad, np.nan, v), first, what


def _mark_divergence(ax, step, what, line) -> list:
    """A dotted vertical line and a label where a run left the scale or the float range: overflow is
    shown as overflow, never as a silently missing stretch of curve."""
    colour = line.get_color()
    return [ax.axvline(step, color=colour, ls=":", lw=1),
            ax.annotate(f"diverged: {what}\nfrom step {step}", xy=(step, 0.97), xycoords=("data", "axes fraction"),
                        ha="right", va="top", fontsize="x-small", color=colour)]


def plot_loss_curve(ax, history, *, baseline: float | None = None, window: int = 20, label: str | None = None,
                    **line_kw):
    """Running-mean loss of a :class:`~rnnedu.train.History` against the step, and (optionally) the
    task's trivial baseline as a dashed grey line. Non-finite or off-scale values (a diverged run) are
    not drawn; where they start, a dotted line and a label say so ("diverged: overflow (inf)" or
    "diverged: above 1e+100").
    Returns ``[line]`` or ``[line, baseline_line]``."""
    steps = np.asarray(history.steps)
    with np.errstate(invalid="ignore", over="ignore"):
        smooth = history.smoothed(window)
    smooth, first_bad, what = _on_scale(smooth)  # a diverged run ends in inf or 1e300: a marked gap
    (line,) = ax.plot(steps, smooth, label=label, **line_kw)
    artists = [line]
    if first_bad is not None:
        artists += _mark_divergence(ax, int(steps[first_bad]), what, line)
    if baseline is not None:
        artists.append(ax.axhline(baseline, color="0.45", ls="--", lw=1, label="baseline" if label else None))
    ax.set_xlabel("step")
    ax.set_ylabel(f"loss (mean of last {window})")
    return artists


def plot_grad_norms(ax, history, *, clip: float | None = None, label: str | None = None, **line_kw):
    """Global gradient norm before clipping, log scale (non-finite values not drawn); the clip
    threshold as a dotted line."""
    norms, first_bad, what = _on_scale(history.grad_norms)
    (line,) = ax.semilogy(history.steps, norms, label=label, lw=line_kw.pop("lw", 0.8), **line_kw)
    artists = [line]
    if first_bad is not None:
        artists += _mark_divergence(ax, int(np.asarray(history.steps)[first_bad]), what, line)
    if clip is not None:
        artists.append(ax.axhline(clip, color="k", ls=":", lw=1))
    ax.set_xlabel("step")
    ax.set_ylabel(r"$\|g\|$ before clipping")
    return artists


def plot_success_vs_lag(ax, runs: Sequence, *, markers: str = "osD^v<>"):
    """Success ``1 − test loss / baseline`` against lag, one line per model (runs are
    :class:`~rnnedu.tasks.TaskRun`), with the baseline at 0 and a perfect model at 1."""
    models = list(dict.fromkeys(r.model for r in runs))
    artists = []
    for i, model in enumerate(models):
        mine = sorted((r for r in runs if r.model == model), key=lambda r: r.lag)
        (line,) = ax.plot([r.lag for r in mine], [r.success for r in mine], marker=markers[i % len(markers)],
                          label=model)
        artists.append(line)
    artists.append(ax.axhline(0.0, color="0.45", ls="--", lw=1, label="trivial baseline"))
    artists.append(ax.axhline(1.0, color="0.75", ls=":", lw=1))
    ax.set_xlabel("lag T")
    ax.set_ylabel("success = 1 − loss / baseline")
    lo = min([0.0] + [r.success for r in runs if np.isfinite(r.success)])
    ax.set_ylim(max(lo, -1.0) - 0.05, 1.05)
    return artists


def plot_decay_profiles(ax, profiles: Mapping[str, np.ndarray], *, bounds: Mapping[str, np.ndarray] | None = None,
                        **line_kw):
    """Lesson 6's Fig. 6.1 for several models at once: ``log10 ‖∂h_T/∂h_k‖₂`` against the lag ``T − k``,
    on a linear axis labelled in powers of ten (lesson 6's convention, :mod:`rnnedu.plotting.decay`).

    ``profiles`` maps a label to a decay profile ``(T + 1,)`` of plain norms indexed by ``k = 0 … T``
    (as :func:`rnnedu.decay.jacobian_norms` and :func:`rnnedu.gru_jacobian_norms` return them); zero
    norms are left out. ``bounds`` (optional) maps a label to a log10 bound over the same lags, drawn
    dashed (e.g. :func:`rnnedu.decay.pascanu_bound` with ``log10=True``). Returns the lines.
    """
    artists = []
    for name, n in profiles.items():
        n = np.asarray(n, dtype=float)
        lags = (n.size - 1) - np.arange(n.size)
        with np.errstate(divide="ignore"):
            logs = np.log10(n)
        (line,) = ax.plot(lags, finite_or_nan(logs), label=name, **line_kw)
        artists.append(line)
    for name, logs in (bounds or {}).items():
        logs = np.asarray(logs, dtype=float)
        lags = (logs.size - 1) - np.arange(logs.size)
        (line,) = ax.plot(lags, finite_or_nan(logs), ls="--", lw=1, color="0.35", label=name)
        artists.append(line)
    ax.set_xlabel("lag $T-k$")
    ax.set_ylabel(r"$\|\partial h_T / \partial h_k\|_2$")
    power_of_ten_axis(ax.yaxis)
    return artists
