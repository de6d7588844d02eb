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

from rnnedu._checks import scaled_norm


def numerical_gradient(f: Callable[[np.ndarray], float], x, eps: float = 1e-6) -> np.ndarray:
    r"""Central-difference gradient of a scalar function, lesson 1, eq. (1.6).

    ``f`` takes an array of ``x``'s shape and returns a scalar. ``x`` is copied to float64 and never
    mutated; ``f`` sees a fresh perturbed copy at every call. Costs ``2 · x.size`` calls of ``f``.

    Shapes: ``x (...)`` → gradient of ``x``'s shape, float64.
    """
    eps = _positive_finite(eps, "eps")
    if not callable(f):
        raise ValueError(f"f must be a function of x returning a scalar, got {type(f).__name__}")
    x0 = _as_real_array(x, "x")
    # order="C": the flat index i must address x0's own memory. For a transposed or strided x the
    # default order="K" keeps x's layout, reshape(-1) of it is a *copy*, and the perturbation would
    # be written into that copy and lost (the checker would then report a correct gradient as wrong).
    x0 = np.array(x0, dtype=np.float64, order="C", copy=True)
    if x0.size == 0:
        raise ValueError("x is empty; there is nothing to differentiate")
    grad = np.empty(x0.shape, dtype=np.float64)
    g = grad.reshape(-1)  # a view: grad is C-contiguous
    for i in range(x0.size):
        xp = x0.copy()
        xp.reshape(-1)[i] += eps  # a view of xp's memory, so the write lands in xp
        fp = _scalar(f(xp), i, "+")
        xm = x0.copy()
        xm.reshape(-1)[i] -= eps
        fm = _scalar(f(xm), i, "−")
        g[i] = (fp - fm) / (2 * eps)
    return grad


def _positive_finite(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _as_real_array(x, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real, got dtype {arr.dtype}")
    return arr


def _scalar(value, i: int, sign: str) -> float:
    try:
        v = float(np.asarray(value).item()) if np.size(value) == 1 else None
    except (TypeError, ValueError):
        v = None
    if v is None:
        raise ValueError(f"f must return a scalar, got {type(value).__name__} of shape {np.shape(value)}")
    if not np.isfinite(v):
        raise ValueError(f"f returned {v} at x {sign} eps·e_{i} (flat index {i}); the numerical gradient "
                         "needs a finite f near x")
    return v


def relative_error(a, b) -> float:
    r"""Relative error of two arrays:  :math:`‖a − b‖ / \max(‖a‖, ‖b‖)` (Frobenius norms).

    0 when both are zero. Unlike an element-wise ratio it does not blow up on entries that are
    (nearly) zero in both. Shapes must match.
    """
    a = _as_real_array(a, "a").astype(np.float64)
    b = _as_real_array(b, "b").astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    for name, arr in (("a", a), ("b", b)):
        if not np.all(np.isfinite(arr)):
            bad = "NaN" if np.isnan(arr).any() else "infinity"
            raise ValueError(f"{name} contains {bad}; a relative error needs finite arrays")
    # ‖a − b‖ and max(‖a‖, ‖b‖) by np.linalg.norm, except where its squares overflow (|x| past ~1e154)
    # or underflow: there the scaled norm (relative_error([1e200, 0], [2e200, 0]) is 0.5, not NaN).
    scale = max(_norm(a), _norm(b))
    if scale == 0.0:
        return 0.0
    with np.errstate(over="ignore"):
        diff = a - b
    if not np.all(np.isfinite(diff)):  # 1e308 − (−1e308) overflows: halve both, the ratio is unchanged
        return float(scaled_norm([a / 2 - b / 2]) / (scale / 2))
    return float(_norm(diff) / scale)


def _norm(x: np.ndarray) -> float:
    with np.errstate(over="ignore", under="ignore"):
        n = float(np.linalg.norm(x))
    if np.isfinite(n) and n > 1e-140:
        return n
    return scaled_norm([x])


def format_power(x: float) -> str:
    """A tolerance or bound written the same way everywhere: ``1e-07 → "1e-7"``, ``2e-05 → "2e-5"``.

    Used for the thresholds lessons print, so that ``1e-7`` and ``1e-07`` never both appear.
    """
    return _format_power(x, "x")


def _format_power(x, name: str) -> str:
    x = _positive_finite(x, f"{name} (a tolerance)")
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
    shown = _format_power(tol, "tol")
    if isinstance(err, (bool, np.bool_)) or not isinstance(err, (int, float, np.integer, np.floating)):
        raise ValueError(f"err must be a number, got {err!r}")
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
    if isinstance(err, (bool, np.bool_)) or not isinstance(err, (int, float, np.integer, np.floating)):
        raise ValueError(f"err must be a non-negative number, got {err!r}")
    if err < 0:
        raise ValueError(f"err must be a non-negative error, got {err!r}")
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
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, got {name!r}")
    tol = _positive_finite(tol, "tol")
    num = numerical_gradient(f, x, eps=eps)
    ana = _as_real_array(analytic, "analytic").astype(np.float64)
    if ana.shape != num.shape:
        raise ValueError(f"analytic has shape {ana.shape} but x has shape {num.shape}; a gradient has x's shape")
    if not np.all(np.isfinite(ana)):
        bad = "NaN" if np.isnan(ana).any() else "infinity"
        raise ValueError(f"analytic contains {bad}; the analytic gradient must be finite")
    return GradCheck(name, ana, num, relative_error(ana, num), tol)
