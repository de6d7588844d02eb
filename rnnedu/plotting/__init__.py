"""Plot helpers shared by the lessons (topic-specific ones live in sibling modules, e.g.
``rnnedu.plotting.decay``). Each takes the ``Axes`` first, draws, and returns the artists it made.

None of them creates a figure, calls ``plt.show`` or saves: the caller owns the figure (matplotlib's
own advice). Widgets keep the returned artists and update their data in place.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from rnnedu.plotting import style

style.use()  # the colour-blind-safe palette for every lesson plot and widget (rnnedu.plotting.style)


def plot_probabilities(ax, a, labels: Sequence[str] | None = None, **bar_kw):
    """Bar chart of a probability vector ``a (K,)`` on ``[0, 1]``; returns the ``BarContainer``."""
    a = np.asarray(a, dtype=float)
    labels = list(labels) if labels is not None else [f"$a_{{{i + 1}}}$" for i in range(a.size)]
    bars = ax.bar(np.arange(a.size), a, color=bar_kw.pop("color", "C0"), **bar_kw)
    ax.set_xticks(np.arange(a.size), labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    ax.set_title(r"$a = \mathrm{softmax}(z / T)$")
    return bars


def plot_jacobian(ax, jac, **imshow_kw):
    """Heatmap of a Jacobian ``J (K, K)`` with a diverging colour map centred on 0; returns the image."""
    jac = np.asarray(jac, dtype=float)
    lim = max(float(np.abs(jac).max()), 1e-3)
    image = ax.imshow(jac, cmap=imshow_kw.pop("cmap", style.DIVERGING), vmin=-lim, vmax=lim, **imshow_kw)
    k = jac.shape[0]
    ticks = np.arange(k)
    ax.set_xticks(ticks, [f"$z_{{{j + 1}}}$" for j in ticks])
    ax.set_yticks(ticks, [f"$a_{{{i + 1}}}$" for i in ticks])
    ax.set_title(r"$J_{ij} = \partial a_i / \partial z_j$")
    return image


def plot_gradient_comparison(ax, analytic, numerical, **scatter_kw):
    """Scatter of analytic against numerical gradient entries with the line y = x; returns the artists."""
    analytic = np.ravel(analytic)
    numerical = np.ravel(numerical)
    lo = float(min(analytic.min(), numerical.min()))
    hi = float(max(analytic.max(), numerical.max()))
    (line,) = ax.plot([lo, hi], [lo, hi], color="0.6", lw=1, zorder=0)
    points = ax.scatter(numerical, analytic, s=scatter_kw.pop("s", 18), **scatter_kw)
    ax.set_xlabel("numerical (central differences)")
    ax.set_ylabel("analytic")
    return [line, points]
