"""Lesson 3's plot: each variable's partial derivative beside its ordered (total) derivative."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def plot_partial_vs_total(ax, names: Sequence[str], partial: Mapping[str, float], total: Mapping[str, float],
                          *, labels: Sequence[str] | None = None):
    """Paired bars ``∂E/∂z_i`` and ``∂⁺E/∂z_i`` per variable, values written on top; returns both containers."""
    k = np.arange(len(names))
    p = [partial[n] for n in names]
    t = [total[n] for n in names]
    bars_p = ax.bar(k - 0.2, p, width=0.4, label=r"partial $\partial E/\partial z_i$", color="0.65")
    bars_t = ax.bar(k + 0.2, t, width=0.4, label=r"ordered $\partial^+ E/\partial z_i$", color="C1")
    for bars in (bars_p, bars_t):
        ax.bar_label(bars, fmt="%.0f", fontsize=9)
    ax.set_xticks(k, labels if labels is not None else [f"${n[0]}_{{{n[1:]}}}$" for n in names])
    ax.margins(y=0.15)
    ax.set_ylabel("derivative of $E$")
    ax.legend(loc="upper right", frameon=False)
    return bars_p, bars_t
