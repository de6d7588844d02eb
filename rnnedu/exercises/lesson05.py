"""Exercise checkers for lesson 5 (BPTT: the delta recursion, dW_hh, the Jacobian product)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from rnnedu.exercises._feedback import Feedback, close as _close, try_call
from rnnedu.rnn import hidden_jacobians, rnn_backward, rnn_forward




def _problem(seed=5, T=5, B=2, D=3, H=4):
    rng = np.random.default_rng(seed)
    W_xh = rng.standard_normal((D, H)) * 0.8
    W_hh = rng.standard_normal((H, H)) * 0.6
    b = rng.standard_normal(H) * 0.2
    xs = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((B, H)) * 0.5
    hs = rnn_forward(xs, h0, W_xh, W_hh, b)
    dhs = rng.standard_normal((T, B, H))
    return dhs, xs, hs, h0, W_xh, W_hh


def check_delta_step(fn: Callable) -> Feedback:
    """Exercise 5.1: ``fn(dh_direct, delta_next, h_t, W_hh)`` must return one step of eq. (5.1) for
    tanh: ``δ_t = (dh_direct + δ_{t+1} W_hhᵀ) ⊙ (1 − h_t²)``; all arrays ``(B, H)``, ``W_hh (H, H)``."""
    name = "Exercise 5.1 (one step of the delta recursion)"
    rng = np.random.default_rng(51)
    B, H = 2, 4
    dh, dn = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    h = np.tanh(rng.standard_normal((B, H)))
    W_hh = rng.standard_normal((H, H))
    phi = 1 - h * h
    want = (dh + dn @ W_hh.T) * phi
    out, err = try_call(name, fn, dh.copy(), dn.copy(), h.copy(), W_hh.copy())
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != want.shape:
        return Feedback(name, False, f"δ_t has shape (B, H) = {want.shape}; got {out.shape}.")
    if _close(out, dh * phi):
        return Feedback(name, False, "only the direct gradient: this is the German note's one-step gradient "
                                     "(BPTT truncated to τ = 1). h_t also feeds h_{t+1}, so add δ_{t+1} W_hhᵀ.")
    if _close(out, dh + dn @ W_hh.T):
        return Feedback(name, False, "missing φ'(a_t): the gradient reaches a_t through h_t = tanh(a_t), so "
                                     "multiply element-wise by 1 − h_t².")
    if _close(out, (dh + dn @ W_hh) * phi):
        return Feedback(name, False, "W_hh is not transposed: a_{t+1} = … + h_t W_hh, so going back multiplies by W_hhᵀ.")
    if _close(out, (dh + dn @ W_hh.T) * (1 - h)) or _close(out, (dh + dn @ W_hh.T) * (1 - np.tanh(h) ** 2)):
        return Feedback(name, False, "tanh'(a) = 1 − tanh²(a) = 1 − h_t², computed from h_t itself.")
    if _close(out, dh + (dn @ W_hh.T) * phi) or _close(out, dh * phi + dn @ W_hh.T):
        return Feedback(name, False, "φ'(a_t) multiplies the whole ∂L/∂h_t — the direct part and the part from the future.")
    if not _close(out, want):
        return Feedback(name, False, "δ_t = (∂L/∂h_t|direct + δ_{t+1} W_hhᵀ) ⊙ (1 − h_t²).")
    return Feedback(name, True, "δ_t = (∂L/∂h_t + δ_{t+1} W_hhᵀ) ⊙ φ'(a_t).")


def check_bptt_W_hh(fn: Callable) -> Feedback:
    """Exercise 5.2: ``fn(dhs, hs, h0, W_hh)`` (tanh, shapes ``(T, B, H)``, ``(T, B, H)``, ``(B, H)``,
    ``(H, H)``) must return the full BPTT ``dW_hh (H, H)`` of eqs. (5.1)–(5.2)."""
    name = "Exercise 5.2 (dW_hh by BPTT)"
    dhs, xs, hs, h0, W_xh, W_hh = _problem()
    want = rnn_backward(dhs, xs, hs, h0, W_xh, W_hh)["W_hh"]
    out, err = try_call(name, fn, dhs.copy(), hs.copy(), h0.copy(), W_hh.copy())
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != want.shape:
        return Feedback(name, False, f"dW_hh has W_hh's shape {want.shape}; got {out.shape}.")
    one_step = rnn_backward(dhs, xs, hs, h0, W_xh, W_hh, truncate=1)["W_hh"]
    if _close(out, one_step):
        return Feedback(name, False, "this is BPTT truncated to one step (the German note's gradient): every "
                                     "δ_t must include δ_{t+1} W_hhᵀ, so run the recursion from t = T down to 1 first.")
    if _close(out, want.T):
        return Feedback(name, False, "transposed: dW_hh = Σ_t h_{t-1}ᵀ δ_t, i.e. (H, B)·(B, H) with h_{t−1} on the left.")
    if _close(out, np.einsum("tbi,tbj->ij", hs, _deltas(dhs, hs, W_hh))):
        return Feedback(name, False, "δ_t pairs with h_{t−1} (the state W_hh multiplied to make a_t), not with h_t: "
                                     "use h0 for the first step and hs[t−1] after.")
    if not _close(out, want):
        return Feedback(name, False, "check each δ_t against Exercise 5.1 and sum h_{t−1}ᵀ δ_t after the loop "
                                     "(compare with rn.rnn_backward(...)['W_hh']).")
    return Feedback(name, True, "dW_hh = Σ_t h_{t−1}ᵀ δ_t with the full recursion.")


def _deltas(dhs, hs, W_hh):
    """Eq. (5.1) for tanh, spelled out: the reference for the 'paired with h_t' hint."""
    T = dhs.shape[0]
    deltas = np.zeros_like(dhs)
    nxt = np.zeros_like(dhs[0])
    for t in range(T - 1, -1, -1):
        deltas[t] = (dhs[t] + nxt) * (1 - hs[t] ** 2)
        nxt = deltas[t] @ W_hh.T
    return deltas


def check_jacobian_product(fn: Callable) -> Feedback:
    """Exercise 5.3: ``fn(hs, W_hh, t, k)`` for one example's states ``hs (T, H)`` (tanh, 0-based
    ``t ≥ k``) must return ``∂h_t/∂h_k (H, H)`` (rows ``h_t``, columns ``h_k``), eq. (5.4)."""
    name = "Exercise 5.3 (∂h_t/∂h_k as a product)"
    _, _, hs3, _, _, W_hh = _problem(seed=53, T=6, B=1, H=4)
    hs = hs3[:, 0, :]
    J = hidden_jacobians(hs3, W_hh)[:, 0]  # (T, H, H)
    t, k = 5, 1
    want = np.eye(4)
    for j in range(t, k, -1):
        want = want @ J[j]
    out, err = try_call(name, fn, hs.copy(), W_hh.copy(), t, k)
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != want.shape:
        return Feedback(name, False, f"∂h_t/∂h_k is an (H, H) matrix; got shape {out.shape}.")
    for j in (t, k, k + 1):
        if _close(out, np.linalg.matrix_power(J[j], t - k)):
            return Feedback(name, False, "a power of one step's Jacobian: that is the Chinese note's (σ'w)^(t−k), "
                                         "true only for a scalar with constant σ'. φ'(a_j) changes with j: "
                                         "multiply the different matrices diag(φ'(a_j)) W_hhᵀ for j = t … k+1.")
    if _close(out, np.linalg.matrix_power(W_hh.T, t - k)):
        return Feedback(name, False, "W_hhᵀ to the power t − k leaves out φ'(a_j): each step contributes diag(1 − h_j²) W_hhᵀ.")
    if _close(out, want.T):
        return Feedback(name, False, "transposed: rows should index h_t and columns h_k.")
    rev = np.eye(4)
    for j in range(k + 1, t + 1):
        rev = rev @ J[j]
    if _close(out, rev):
        return Feedback(name, False, "the factors are in the wrong order: ∂h_t/∂h_k = J_t J_{t−1} ⋯ J_{k+1} (latest step on the left).")
    if not _close(out, want):
        return Feedback(name, False, "∂h_t/∂h_k = Π_{j=t}^{k+1} diag(1 − h_j²) W_hhᵀ, latest step first; compare with rn.hidden_jacobians.")
    return Feedback(name, True, "a product of different matrices, one per step — not a power.")
