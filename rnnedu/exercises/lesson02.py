"""Exercise checkers for lesson 2 (the delta rule in matrix form, mini-batch weight gradients)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from rnnedu.activations import activation_derivative, apply_activation
from rnnedu.exercises._feedback import Feedback, close as _close, try_call




def check_hidden_delta(fn: Callable) -> Feedback:
    """Exercise 2.1: ``fn(delta_next, W_next, v, activation)`` must return
    ``δ(s) = φ'(v(s)) ⊙ (δ(s+1) W(s+1)ᵀ)`` for ``delta_next (B, m)``, ``W_next (n, m)``, ``v (B, n)``."""
    name = "Exercise 2.1 (the delta rule, row form)"
    rng = np.random.default_rng(21)
    B, n, m = 4, 3, 5
    delta_next = rng.normal(size=(B, m))
    W_next = rng.normal(size=(n, m))
    v = rng.normal(size=(B, n))
    for act in ("tanh", "sigmoid", "relu"):
        out, err = try_call(name, fn, delta_next.copy(), W_next.copy(), v.copy(), act)
        if err:
            if "matmul" in str(err.message) or "shapes" in str(err.message) or "broadcast" in str(err.message):
                return Feedback(name, False, f"{err.message}. In row form δ(s+1) is (B, m) and W(s+1) is (n, m): "
                                             "multiply by the transpose, delta_next @ W_next.T, giving (B, n).")
            return err
        back = delta_next @ W_next.T
        want = activation_derivative(v, act) * back
        out = np.asarray(out, dtype=float)
        if out.shape != want.shape:
            return Feedback(name, False, f"δ(s) has v's shape {want.shape}; got {out.shape}. "
                                         "In row form: delta_next @ W_next.T, not W_next.T @ delta_next (the note's columns).")
        if _close(out, back):
            return Feedback(name, False, "you passed δ back through the weights but forgot the activation: "
                                         "multiply element-wise by φ'(v(s)) (activation_derivative(v, activation)).")
        if _close(out, apply_activation(v, act) * back):
            return Feedback(name, False, "you multiplied by φ(v), the activation itself; the chain rule needs its "
                                         "derivative φ'(v(s)) = activation_derivative(v, activation).")
        if not _close(out, want):
            return Feedback(name, False, f"wrong for activation {act!r}: δ(s) = φ'(v) ⊙ (δ(s+1) W(s+1)ᵀ). "
                                         "Compare with numerical_gradient of the loss with respect to v(s).")
    return Feedback(name, True, "δ(s) = φ'(v(s)) ⊙ (δ(s+1) W(s+1)ᵀ), for tanh, sigmoid and relu.")


def check_weight_gradient(fn: Callable) -> Feedback:
    """Exercise 2.2: ``fn(a_prev, deltas)`` gets ``a(s−1) (B, n)`` and the note's *per-example* deltas
    ``δ(s, n)`` stacked as ``(B, m)`` and must return the mini-batch gradient
    ``(1/B) Σ_n a(s−1, n)ᵀ δ(s, n)`` of shape ``(n, m)``."""
    name = "Exercise 2.2 (mini-batch weight gradient)"
    rng = np.random.default_rng(22)
    B, n, m = 5, 3, 2
    a_prev = rng.normal(size=(B, n))
    deltas = rng.normal(size=(B, m))
    want = a_prev.T @ deltas / B
    out, err = try_call(name, fn, a_prev.copy(), deltas.copy())
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape == (m, n) and (_close(out, want.T) or _close(out, want.T * B)):
        return Feedback(name, False, f"shape {out.shape} is the note's column form δ aᵀ (W is outputs × inputs there); "
                                     f"in our row form W(s) is ({n}, {m}), so the gradient is a(s−1)ᵀ δ(s).")
    if out.shape != want.shape:
        return Feedback(name, False, f"the gradient has W(s)'s shape {want.shape}; got {out.shape}.")
    if _close(out, want * B):
        return Feedback(name, False, "this is the sum over the batch; the note averages: divide by B "
                                     "(E_N = (1/N) Σ_n E_n, so its gradient is the mean of the per-example ones).")
    if _close(out, np.outer(a_prev.mean(axis=0), deltas.mean(axis=0))):
        return Feedback(name, False, "the mean of the products is not the product of the means: "
                                     "compute a(s−1)ᵀ δ(s) (which sums a_nᵀ δ_n over n) and then divide by B.")
    if not _close(out, want):
        return Feedback(name, False, "expected (1/B) · a_prev.T @ deltas: each example contributes the outer "
                                     "product a(s−1, n)ᵀ δ(s, n).")
    return Feedback(name, True, "a(s−1)ᵀ δ(s) / B: the average of the per-example outer products.")
