r"""Small generated 2-D classification problems (lesson 2's training demo). Nothing is downloaded.

Each generator takes a ``numpy.random.Generator`` and returns ``(x, y)``: points ``x (N, 2)`` in
float64 and integer labels ``y (N,)``.
"""

from __future__ import annotations

import numpy as np

from rnnedu._checks import check_rng, finite_number, positive_int


def two_spirals(n_per_class: int = 100, *, turns: float = 1.5, noise: float = 0.05, rng=None):
    r"""Two interleaved spirals, class 0 and class 1 (class 1 is class 0 rotated by π):

    .. math:: r = t, \quad θ = 2π · \text{turns} · t + πk, \quad x = r(\cos θ, \sin θ) + \text{noise},
              \quad t \in [0.05, 1].

    Shapes: returns ``x (2·n_per_class, 2)`` within about [−1.1, 1.1]², ``y (2·n_per_class,)``.
    """
    n = positive_int(n_per_class, "n_per_class")
    finite_number(turns, "turns", positive=True)
    finite_number(noise, "noise", nonnegative=True)
    rng = check_rng(rng, allow_none=True)
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
    from rnnedu._checks import as_float_array

    x = as_float_array(x, "x")
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must be points of shape (N, 2), got {x.shape}")
    steps = positive_int(steps, "steps", 2)
    margin = finite_number(margin, "margin", nonnegative=True)
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    return xx, yy, np.stack([xx.ravel(), yy.ravel()], axis=1)
