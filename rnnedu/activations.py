r"""Element-wise activations φ and their derivatives φ', as used by lessons 2–7.

Every derivative is written in terms of the *pre-activation* ``a`` (``h = φ(a)``), so that the
Jacobian of one step is ``diag(φ'(a))`` — the factor that appears in the delta rule (lesson 2), in
BPTT (lesson 5) and in the decay product ``Π diag(φ'(a_j)) W_hhᵀ`` (lesson 6).

========  =================  ===================  ========================
name      φ(a)               φ'(a)                sup φ' (γ, lesson 6)
========  =================  ===================  ========================
tanh      tanh a             1 − tanh² a          1
sigmoid   1 / (1 + e^{−a})   σ(a)(1 − σ(a))       1/4
relu      max(a, 0)          1[a > 0]             1
identity  a                  1                    1
========  =================  ===================  ========================
"""

from __future__ import annotations

import numpy as np

ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")

#: Supremum of |φ'| for each activation: the γ of Pascanu, Mikolov and Bengio (2013).
DERIVATIVE_BOUND = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "identity": 1.0}


def _check_name(name: str) -> None:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


def _real(a, what: str = "a") -> np.ndarray:
    """``a`` as a floating array: integer and bool input becomes float64 (``σ([0, 1, 2])`` is not
    ``[0, 0, 0]``); object, string and complex input raises ``ValueError``. Floats pass unchanged (no
    copy, no scan), so this costs nothing inside a time loop. NaN entries stay NaN, in place."""
    arr = np.asarray(a)
    if arr.dtype.kind == "f":
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    raise ValueError(f"{what} must be a real numeric array, got dtype {arr.dtype}")


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # Stable for large |a|: exp only ever sees non-positive arguments.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def apply_activation(a, name: str = "tanh") -> np.ndarray:
    r"""φ(a), element-wise. ``a`` any shape; the result has ``a``'s shape and its float dtype
    (integer input is computed in float64). NaN entries give NaN at the same places."""
    _check_name(name)
    a = _real(a)
    if name == "tanh":
        return np.tanh(a)
    if name == "sigmoid":
        return _sigmoid(a).astype(a.dtype, copy=False)
    if name == "relu":
        return np.maximum(a, 0)
    return a.copy()


def activation_derivative(a, name: str = "tanh") -> np.ndarray:
    r"""φ'(a), element-wise, from the pre-activation ``a`` (any shape). ReLU uses φ'(0) = 0."""
    _check_name(name)
    a = _real(a)
    if name == "tanh":
        t = np.tanh(a)
        return 1 - t * t
    if name == "sigmoid":
        s = _sigmoid(a).astype(a.dtype, copy=False)
        return s * (1 - s)
    if name == "relu":
        return (a > 0).astype(a.dtype if np.issubdtype(a.dtype, np.floating) else np.float64)
    return np.ones_like(a, dtype=a.dtype if np.issubdtype(a.dtype, np.floating) else np.float64)


def derivative_from_output(h, name: str = "tanh") -> np.ndarray:
    r"""φ'(a) computed from the *output* ``h = φ(a)``, which the forward pass already holds.

    tanh: ``1 − h²``; sigmoid: ``h(1 − h)``; relu: ``1[h > 0]``; identity: 1. Saves recomputing φ
    inside a backward loop (lessons 2 and 5).
    """
    _check_name(name)
    h = _real(h, "h")
    if name == "tanh":
        return 1 - h * h
    if name == "sigmoid":
        return h * (1 - h)
    if name == "relu":
        return (h > 0).astype(h.dtype)
    return np.ones_like(h)
