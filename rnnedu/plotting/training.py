"""Plots for lesson 7 (and the training lessons 8–9): loss curves with the task's baseline, gradient
norms with the clip threshold, success against lag, and decay profiles of several models.

Each helper takes the ``Axes`` first, draws, and returns the artists it made; none creates a figure.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from rnnedu.plotting.decay import finite_or_nan, power_of_ten_axis


def plot_loss_curve(ax, history, *, baseline: float | None = None, window: int = 20, label: str | None = None,
                    **line_kw):
    """Running-mean loss of a :class:`~rnnedu.train.History` against the step, and (optionally) the
    task's trivial baseline as a dashed grey line. Non-finite values (a diverged run) are not drawn.
    Returns ``[line]`` or ``[line, baseline_line]``."""
    steps = np.asarray(history.steps)
    with np.errstate(invalid="ignore", over="ignore"):
        smooth = history.smoothed(window)
    smooth = np.where(np.isfinite(smooth), smooth, np.nan)  # a diverged run ends in inf: leave a gap
    (line,) = ax.plot(steps, smooth, label=label, **line_kw)
    artists = [line]
    if baseline is not None:
        artists.append(ax.axhline(baseline, color="0.45", ls="--", lw=1, label="baseline" if label else None))
    ax.set_xlabel("step")
    ax.set_ylabel(f"loss (mean of last {window})")
    return artists


def plot_grad_norms(ax, history, *, clip: float | None = None, label: str | None = None, **line_kw):
    """Global gradient norm before clipping, log scale (non-finite values not drawn); the clip
    threshold as a dotted line."""
    norms = np.asarray(history.grad_norms, dtype=float)
    norms = np.where(np.isfinite(norms), norms, np.nan)
    (line,) = ax.semilogy(history.steps, norms, label=label, lw=line_kw.pop("lw", 0.8), **line_kw)
    artists = [line]
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
