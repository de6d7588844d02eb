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


def format_power(x: float) -> str:
    """A tolerance or bound written the same way everywhere: ``1e-07 → "1e-7"``, ``2e-05 → "2e-5"``.

    Used for the thresholds lessons print, so that ``1e-7`` and ``1e-07`` never both appear.
    """
    x = float(x)
    if not (np.isfinite(x) and x > 0):
        raise ValueError(f"a tolerance must be a positive finite number, got {x!r}")
    mantissa, exponent = f"{x:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def below(err: float, tol: float) -> str:
    """Check ``err < tol`` and say so portably: ``below(3.7e-11, 1e-7) → "< 1e-7 ✓"``.

    This is what a lesson prints for an error at round-off level. The digits of such an error change
    with the order of floating-point operations, which differs between BLAS kernels (OpenBLAS picks
    one per CPU: ``Haswell``, ``SkylakeX``, ``Zen``, …) and between numpy's SIMD paths: two machines
    agree to about 1e-16 relative, not to the last bit (lesson 1 shows it). So the cell asserts the
    exact value against a fixed tolerance and prints the tolerance it met, which reads the same on
    every machine. Raises ``AssertionError`` naming both numbers when ``err`` is not below ``tol``
    (NaN included): a check that fails must fail loudly, not print a wrong line.
    """
    shown = format_power(tol)
    err = float(err)
    if not err < tol:
        raise AssertionError(f"error {err:.3g} is not below the tolerance {shown}")
    return f"< {shown} ✓"


def error_bound(err: float) -> str:
    """A relative error as the power of ten above it, e.g. ``7.3e-10 → "< 1e-9"``.

    Not portable for errors at round-off level: an error near a power of ten (``9.6e-10`` on one
    machine, ``1.04e-9`` on another) lands in different buckets. Lessons print :func:`below`, the
    tolerance that the error met, instead; this stays for errors far from round-off.
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
        # The tolerance met, not the digits: below it those are rounding noise that differs from one
        # machine's BLAS kernel to another's (see `below`). A mismatch shows the error itself.
        if self.ok:
            return f"{self.name}: relative error < {format_power(self.tol)} ✓ OK"
        return f"{self.name}: relative error = {self.rel_error:.2g}, not below {format_power(self.tol)} ✗ MISMATCH"


def check_gradient(f, x, analytic, *, name: str = "gradient", tol: float = 1e-7, eps: float = 1e-6) -> GradCheck:
    """Compare an analytic gradient with :func:`numerical_gradient` of ``f`` at ``x``.

    Returns a :class:`GradCheck`; its ``ok`` is ``rel_error < tol``. Lessons print it and assert ``ok``.
    """
    num = numerical_gradient(f, x, eps=eps)
    ana = np.asarray(analytic, dtype=np.float64)
    return GradCheck(name, ana, num, relative_error(ana, num), tol)
