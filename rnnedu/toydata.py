r"""Small generated 2-D classification problems (lesson 2's training demo). Nothing is downloaded.

Each generator takes a ``numpy.random.Generator`` and returns ``(x, y)``: points ``x (N, 2)`` in
float64 and integer labels ``y (N,)``.
"""

from __future__ import annotations

import numpy as np


def two_spirals(n_per_class: int = 100, *, turns: float = 1.5, noise: float = 0.05, rng=None):
    r"""Two interleaved spirals, class 0 and class 1 (class 1 is class 0 rotated by π):

    .. math:: r = t, \quad θ = 2π · \text{turns} · t + πk, \quad x = r(\cos θ, \sin θ) + \text{noise},
              \quad t \in [0.05, 1].

    Shapes: returns ``x (2·n_per_class, 2)`` within about [−1.1, 1.1]², ``y (2·n_per_class,)``.
    """
    n = int(n_per_class)
    if n < 1:
        raise ValueError(f"n_per_class must be at least 1, got {n_per_class!r}")
    if not turns > 0:
        raise ValueError(f"turns must be positive, got {turns!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be non-negative, got {noise!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    t = np.linspace(0.05, 1.0, n)
    xs, ys = [], []
    for k in (0, 1):
        theta = 2 * np.pi * turns * t + np.pi * k
        pts = t[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
        xs.append(pts + noise * rng.standard_normal(pts.shape))
        ys.append(np.full(n, k, dtype=np.intp))
    return np.concatenate(xs), np.concatenate(ys)


def grid(x, steps: int = 200, margin: float = 0.2):
    """A square grid covering the points ``x (N, 2)`` plus ``margin``: returns ``(xx, yy, points)`` with
    ``xx, yy (steps, steps)`` for ``contourf`` and ``points (steps², 2)`` to classify."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must be points of shape (N, 2), got {x.shape}")
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    return xx, yy, np.stack([xx.ravel(), yy.ravel()], axis=1)
