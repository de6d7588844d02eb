"""Exercise checkers for lesson 6 (vanishing and exploding gradients)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from rnnedu.activations import activation_derivative
from rnnedu.decay import OVERFLOW_LOG10, step_jacobian
from rnnedu.exercises._feedback import Feedback, close as _close, try_call




def check_step_jacobian(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Exercise 6.1: ``fn(W_hh, a_t)`` must return ``∂h_t/∂h_{t−1}`` of a tanh step, ``(H, H)``, with
    entry ``(i, j) = ∂h_{t,i}/∂h_{t−1,j}`` in the row notation ``h_t = tanh(x_t W_xh + h_{t−1} W_hh + b_h)``."""
    name = "Exercise 6.1 (one step's Jacobian)"
    rng = np.random.default_rng(61)
    W = rng.standard_normal((4, 4))
    a = np.array([0.3, -1.2, 2.0, 0.0])
    want = step_jacobian(W, a, "tanh")
    out, err = try_call(name, fn, W.copy(), a.copy())
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != want.shape:
        return Feedback(name, False, f"expected an (H, H) = {want.shape} matrix, got shape {out.shape}.")
    d = activation_derivative(a, "tanh")
    if _close(out, d[:, None] * W):
        return Feedback(name, False, "that is diag(φ') W_hh, the column-vector formula. In the row notation "
                        "h_t = φ(h_{t−1} W_hh + …) unit i receives h_{t−1,j} W_hh[j, i], so "
                        "∂h_{t,i}/∂h_{t−1,j} = φ'(a_i) W_hh[j, i]: use W_hh.T.")
    if _close(out, W.T * d[None, :]) or _close(out, W * d[None, :]):
        return Feedback(name, False, "φ' scales the wrong axis: it belongs to the *output* unit i, so it "
                        "multiplies rows — diag(φ'(a_t)) on the left, i.e. d[:, None] * W_hh.T.")
    if _close(out, W.T) or _close(out, W):
        return Feedback(name, False, "you left out φ'(a_t): the chain rule through tanh multiplies row i "
                        "by 1 − tanh²(a_i).")
    if _close(out, np.tanh(a)[:, None] * W.T):
        return Feedback(name, False, "use the derivative 1 − tanh²(a), not tanh(a) itself.")
    if not _close(out, want):
        return Feedback(name, False, "not the Jacobian: compare one column with rnnedu.numerical_gradient of "
                        "h_{t−1} ↦ tanh(h_{t−1} W_hh + c) at the same point.")
    return Feedback(name, True, "J_t = diag(1 − tanh² a_t) W_hhᵀ, rows scaled by φ'.")


def _log10_backprop(W: np.ndarray, delta: np.ndarray, T: int) -> np.ndarray:
    """Reference for exercise 6.2: log10 ‖δ_T (W_hhᵀ)^n‖ for n = 0 … T, renormalised by powers of two."""
    out = np.empty(T + 1)
    v, e2 = delta.astype(float), 0
    out[0] = np.log10(np.linalg.norm(v))
    for n in range(1, T + 1):
        v = v @ W.T  # δ_{k} = δ_{k+1} J_{k+1}, J = W_hhᵀ for the identity activation
        e = np.frexp(np.abs(v).max())[1]
        v = np.ldexp(v, -e)
        e2 += e
        out[n] = np.log10(np.linalg.norm(v)) + e2 * np.log10(2.0)
    return out


def check_log10_backprop(fn: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> Feedback:
    """Exercise 6.2: ``fn(W_hh, delta_T, T)`` must return ``log10 ‖δ_{T−n}‖`` for ``n = 0 … T``, where
    ``δ_{k} = δ_{k+1} ∂h_{k+1}/∂h_k`` is the gradient sent back ``n = T − k`` steps through an RNN with
    the identity activation (``∂h_{k+1}/∂h_k = W_hhᵀ``, row vectors), exact even past 1e308."""
    name = "Exercise 6.2 (log-scale backpropagation without overflow)"
    rng = np.random.default_rng(62)
    W = 1.6 * np.linalg.qr(rng.standard_normal((5, 5)))[0] + 0.4 * rng.standard_normal((5, 5))
    delta = rng.standard_normal(5)
    small = _log10_backprop(W, delta, 12)
    out, err = try_call(name, fn, W.copy(), delta.copy(), 12)
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != small.shape:
        return Feedback(name, False, f"expected T + 1 = 13 values (n = 0 … T, entry 0 is log10 ‖δ_T‖), "
                        f"got shape {out.shape}.")
    if _close(out, _log10_backprop(W.T, delta, 12), 1e-7):
        return Feedback(name, False, "you multiplied by W_hh; the chain rule in the row notation sends the "
                        "gradient back as δ_k = δ_{k+1} W_hhᵀ (each step's Jacobian is diag(φ') W_hhᵀ).")
    if _close(out, 10.0 ** small, 1e-7):
        return Feedback(name, False, "return log10 of the norms, not the norms.")
    if not _close(out, small, 1e-7):
        return Feedback(name, False, "wrong for T = 12: entry n should be log10 ‖δ_T (W_hhᵀ)^n‖.")
    T = 1500
    big = _log10_backprop(W, delta, T)
    out, err = try_call(name, fn, W.copy(), delta.copy(), T)
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != big.shape or not np.all(np.isfinite(out)):
        first = int(np.argmax(big > OVERFLOW_LOG10))
        return Feedback(name, False, f"at T = {T} the gradient reaches 10^{big[-1]:.0f}: from n = {first} on it "
                        f"is past the float64 range (10^{OVERFLOW_LOG10:.2f}), and your δ became inf. Divide "
                        "δ by its largest entry after every step and add log10 of that divisor to a running sum.")
    if not _close(out, big, 1e-7):
        return Feedback(name, False, f"finite at T = {T} but not exact: add every divisor's log10 to the "
                        "running sum, and take the norm of the rescaled δ.")
    return Feedback(name, True, f"exact to 10^{big[-1]:.1f}, far beyond 1.8e308.")


def check_orthogonal_init(fn: Callable[[int, np.random.Generator], np.ndarray]) -> Feedback:
    """Exercise 6.3: ``fn(H, rng)`` must return a uniformly (Haar) distributed orthogonal ``(H, H)`` matrix."""
    name = "Exercise 6.3 (orthogonal initialisation)"
    rng = np.random.default_rng(63)
    out, err = try_call(name, fn, 6, rng)
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != (6, 6):
        return Feedback(name, False, f"fn(6, rng) should be a (6, 6) matrix, got shape {out.shape}.")
    if not _close(out.T @ out, np.eye(6), 1e-8):
        sv = np.linalg.svd(out, compute_uv=False)
        return Feedback(name, False, f"not orthogonal: its singular values run from {sv.min():.2f} to "
                        f"{sv.max():.2f}, all must be 1. Take Q from np.linalg.qr of a gaussian matrix.")
    diag_means = np.zeros(6)
    draws = 400
    for _ in range(draws):
        Q, err = try_call(name, fn, 6, rng)
        if err:
            return err
        diag_means += np.diag(np.asarray(Q, dtype=float)) / draws
    if np.abs(diag_means).max() > 0.15:
        return Feedback(name, False, f"orthogonal, but not uniformly distributed: over {draws} draws the "
                        f"diagonal averages {np.round(diag_means, 2).tolist()} instead of about 0. QR fixes "
                        "the signs of R's diagonal; multiply Q's columns by np.sign(np.diag(R)).")
    return Feedback(name, True, "orthogonal and Haar distributed (signs fixed by sign(diag R)).")
