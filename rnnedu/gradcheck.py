r"""Gradient checking by central finite differences (used by every lesson and every test).

.. math:: \frac{∂f}{∂x_i} ≈ \frac{f(x + ε e_i) − f(x − ε e_i)}{2ε}

The truncation error is O(ε²) and the rounding error O(u/ε) with u ≈ 1.1e-16 in float64, so
ε ≈ 1e-5 … 1e-6 gives about 10 correct digits: a correct analytic gradient agrees to ~1e-9
relative, a wrong one is off by far more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x, eps: float = 1e-6) -> np.ndarray:
    r"""Central-difference gradient of a scalar function, lesson 1, eq. (1.6).

    ``f`` takes an array of ``x``'s shape and returns a scalar. ``x`` is copied to float64 and never
    mutated; ``f`` sees a fresh perturbed copy at every call. Costs ``2 · x.size`` calls of ``f``.

    Shapes: ``x (...)`` → gradient of ``x``'s shape, float64.
    """
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    x0 = np.array(x, dtype=np.float64, copy=True)
    if x0.size == 0:
        raise ValueError("x is empty; there is nothing to differentiate")
    grad = np.empty_like(x0)
    flat = x0.reshape(-1)
    for i in range(flat.size):
        xp = x0.copy()
        xp.reshape(-1)[i] += eps
        fp = float(f(xp))
        xm = x0.copy()
        xm.reshape(-1)[i] -= eps
        fm = float(f(xm))
        grad.reshape(-1)[i] = (fp - fm) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    r"""Relative error of two arrays:  :math:`‖a − b‖ / \max(‖a‖, ‖b‖)` (Frobenius norms).

    0 when both are zero. Unlike an element-wise ratio it does not blow up on entries that are
    (nearly) zero in both. Shapes must match.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b) / scale)


def error_bound(err: float) -> str:
    """A relative error as the power of ten above it, e.g. ``7.3e-10 → "< 1e-9"``.

    Lessons print this, not the error itself: the digits of an error at the level of float64
    rounding change with the order of floating-point operations, so printing them would make the
    stored notebook output differ from run to run (and machine to machine).
    """
    if err == 0.0:
        return "= 0"
    if not np.isfinite(err):
        return f"= {err}"
    return f"< 1e{int(np.ceil(np.log10(err) + 1e-12))}"


@dataclass(frozen=True)
class GradCheck:
    """Result of :func:`check_gradient`: the two gradients, their relative error and the verdict."""

    name: str
    analytic: np.ndarray
    numerical: np.ndarray
    rel_error: float
    tol: float

    @property
    def ok(self) -> bool:
        return self.rel_error < self.tol

    def __repr__(self) -> str:
        # A bound, not the digits: below the tolerance those are rounding noise (see error_bound).
        verdict = "OK" if self.ok else "MISMATCH"
        shown = error_bound(self.rel_error) if self.ok else f"= {self.rel_error:.2g}"
        return f"{self.name}: relative error {shown} (tolerance {self.tol:.0e}) {verdict}"


def check_gradient(f, x, analytic, *, name: str = "gradient", tol: float = 1e-7, eps: float = 1e-6) -> GradCheck:
    """Compare an analytic gradient with :func:`numerical_gradient` of ``f`` at ``x``.

    Returns a :class:`GradCheck`; its ``ok`` is ``rel_error < tol``. Lessons print it and assert ``ok``.
    """
    num = numerical_gradient(f, x, eps=eps)
    ana = np.asarray(analytic, dtype=np.float64)
    return GradCheck(name, ana, num, relative_error(ana, num), tol)
