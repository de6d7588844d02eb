"""Lesson 2's plots: the training loss curve and a classifier's decision regions over 2-D data."""

from __future__ import annotations

import numpy as np

from rnnedu.mlp import MLP, mlp_forward
from rnnedu.plotting import style
from rnnedu.toydata import grid


def plot_loss_curve(ax, losses, **line_kw):
    """Loss per gradient step on a log scale; returns the ``Line2D``."""
    losses = np.asarray(losses, dtype=float)
    (line,) = ax.plot(np.arange(losses.size), losses, **line_kw)
    ax.set_yscale("log")
    ax.set_xlabel("gradient step")
    ax.set_ylabel("mean cross-entropy $E$")
    return line


def plot_decision_boundary(ax, net: MLP, x, y, *, steps: int = 200, cmap: str = style.DIVERGING):
    """Filled contours of P(class 1) of a two-class softmax ``net`` over a grid around ``x (N, 2)``,
    the 0.5 contour, and the points coloured by label ``y (N,)``; returns ``(contourf, contour, scatter)``."""
    x = np.asarray(x, dtype=float)
    if net.sizes[0] != 2 or net.sizes[-1] != 2 or net.output != "softmax":
        raise ValueError(f"plot_decision_boundary needs a 2-input, 2-class softmax net; got sizes {net.sizes}, "
                         f"output {net.output!r}")
    xx, yy, pts = grid(x, steps=steps)
    p1 = mlp_forward(net, pts).a[-1][:, 1].reshape(xx.shape)  # (steps, steps)
    filled = ax.contourf(xx, yy, p1, levels=np.linspace(0, 1, 11), cmap=cmap, alpha=0.6)
    line = ax.contour(xx, yy, p1, levels=[0.5], colors="k", linewidths=1.2)
    pts_artist = ax.scatter(x[:, 0], x[:, 1], c=np.asarray(y), cmap=cmap, edgecolors="k", linewidths=0.4, s=14)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return filled, line, pts_artist
