"""Exercise checkers for lesson 7 (clipping by global norm, the update-gate gradient, the copy baseline,
the LSTM cell's carousel)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from rnnedu.exercises._feedback import Feedback, close as _close, try_call
from rnnedu.tasks import copy_baseline
from rnnedu.train import clip_grad_norm




def check_clip_by_global_norm(fn: Callable) -> Feedback:
    """Exercise 7.1: ``fn(grads, c)`` returns a new dict, every gradient scaled by ``min(1, c/‖g‖)``
    with ``‖g‖`` the norm of *all* gradients together (eq. (7.6))."""
    name = "Exercise 7.1 (clip by global norm)"
    grads = {"W_hh": np.array([[2.0, 0.5], [0.0, 0.0]]), "b_h": np.array([0.0, 4.0])}  # ‖g‖ = 4.5
    original = {k: v.copy() for k, v in grads.items()}
    out, err = try_call(name, fn, grads, 1.0)
    if err:
        return err
    if not isinstance(out, dict) or set(out) != set(grads):
        return Feedback(name, False, "return a dict with the same keys as grads (W_hh, b_h), one clipped array each.")
    if any(not np.array_equal(grads[k], original[k]) for k in grads):
        return Feedback(name, False, "you changed the input arrays in place: build new arrays (g * scale), the caller may still need the raw gradient.")
    want, _ = clip_grad_norm(grads, 1.0)
    per_array = {k: v * min(1.0, 1.0 / np.linalg.norm(v)) if np.linalg.norm(v) > 0 else v for k, v in grads.items()}
    element = {k: np.clip(v, -1.0, 1.0) for k, v in grads.items()}
    got = {k: np.asarray(v, dtype=float) for k, v in out.items()}
    if all(_close(got[k], per_array[k]) for k in grads):
        return Feedback(name, False, "you clipped each array by its own norm: W_hh and b_h now point in a new combined direction. Take ONE norm over all arrays, ‖g‖ = sqrt(Σ_k Σ_i g_ki²), and scale every array by the same min(1, c/‖g‖).")
    if all(_close(got[k], element[k]) for k in grads):
        return Feedback(name, False, "that is element-wise clipping (eq. 7.7): entries are cut at ±c and the direction changes. Scale the whole gradient by min(1, c/‖g‖) instead.")
    if all(_close(got[k], grads[k]) for k in grads):
        return Feedback(name, False, "nothing was clipped although ‖g‖ = 4.5 > c = 1: multiply by c/‖g‖ when the norm exceeds c.")
    if not all(_close(got[k], want[k]) for k in grads):
        return Feedback(name, False, "for ‖g‖ = 4.5 and c = 1 every entry should shrink by the same factor 1/4.5: W_hh[0,0] = 0.444 and b_h[1] = 0.889.")
    small, err = try_call(name, fn, {k: v * 0.1 for k, v in grads.items()}, 1.0)
    if err:
        return err
    if not all(_close(small[k], grads[k] * 0.1) for k in grads):
        return Feedback(name, False, "a gradient already inside the ball (‖g‖ = 0.45 < c = 1) must come back unchanged: the factor is min(1, c/‖g‖), never more than 1.")
    return Feedback(name, True, "one factor min(1, c/‖g‖) for all arrays: the direction is kept.")


def check_update_gate_grad(fn: Callable) -> Feedback:
    """Exercise 7.2: ``fn(dh, z, h_prev, cand)`` returns ``∂L/∂a_z``, the gradient at the update
    gate's *pre-activation*, for ``h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃`` and ``z = σ(a_z)`` (eqs. (7.15)–(7.16))."""
    name = "Exercise 7.2 (gradient through the update gate)"
    rng = np.random.default_rng(72)
    dh, hp, cand = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), np.tanh(rng.normal(size=(3, 4)))
    z = 1 / (1 + np.exp(-rng.normal(size=(3, 4))))
    want = dh * (hp - cand) * z * (1 - z)
    out, err = try_call(name, fn, dh.copy(), z.copy(), hp.copy(), cand.copy())
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != want.shape:
        return Feedback(name, False, f"∂L/∂a_z has the shape of z, {want.shape}; got {out.shape}.")
    if _close(out, dh * (hp - cand)):
        return Feedback(name, False, "that is ∂L/∂z, the gradient at the gate's output. The gate is z = σ(a_z): multiply by σ'(a_z) = z(1 − z).")
    if _close(out, -want):
        return Feedback(name, False, "sign flipped: ∂h_t/∂z = h_{t−1} − h̃ (z multiplies the OLD state in d2l's convention), not h̃ − h_{t−1}.")
    if _close(out, dh * (hp - cand) * (1 - z * z)):
        return Feedback(name, False, "z is a sigmoid, not a tanh: σ'(a) = z(1 − z), not 1 − z².")
    if _close(out, dh * z * (1 - z)):
        return Feedback(name, False, "you dropped ∂h_t/∂z = h_{t−1} − h̃: the gate mixes the old state and the candidate, so its effect is their difference.")
    if not _close(out, want):
        return Feedback(name, False, "expected δ ⊙ (h_{t−1} − h̃) ⊙ z ⊙ (1 − z); check it with numerical_gradient on a tiny example.")
    return Feedback(name, True, "δ ⊙ (h_{t−1} − h̃) ⊙ z(1 − z): the gate's gradient vanishes as it saturates.")


def check_copy_baseline(fn: Callable) -> Feedback:
    """Exercise 7.3: ``fn(lag, n_symbols, length)`` returns the memoryless cross-entropy per step of
    the copy task (eq. (7.2))."""
    name = "Exercise 7.3 (the copy task's baseline)"
    cases = [(30, 8, 10), (100, 8, 10), (5, 4, 3)]
    for lag, k, n in cases:
        out, err = try_call(name, fn, lag, k, n)
        if err:
            return err
        try:
            got = float(out)
        except (TypeError, ValueError):
            return Feedback(name, False, f"return one number (nats per step); got {type(out).__name__}.")
        want = copy_baseline(lag, n_symbols=k, length=n)
        T = lag + 2 * n
        if np.isclose(got, np.log(k)):
            return Feedback(name, False, "ln(n_symbols) is the cost of ONE recall step. Most steps have a blank target that a memoryless model predicts for free: average over all T = lag + 2·length steps.")
        if np.isclose(got, np.log(k + 2)):
            return Feedback(name, False, "a uniform guess over the whole vocabulary at every step ignores the layout: the baseline knows WHEN symbols are due, just not WHICH.")
        if np.isclose(got, n * np.log(k) / lag) or np.isclose(got, n * np.log(k) / (lag + n)):
            return Feedback(name, False, f"right numerator, wrong length: the sequence has lag + 2·length = {T} steps (symbols, lag, recall).")
        if np.isclose(got, n * np.log(k)):
            return Feedback(name, False, "that is the total over the sequence: the loss is a mean per step, so divide by T = lag + 2·length.")
        if not np.isclose(got, want, rtol=1e-9):
            return Feedback(name, False, f"for lag {lag}, {k} symbols, length {n} expected {want:.4f} nats per step.")
    return Feedback(name, True, "length · ln(n_symbols) / (lag + 2·length): 10 ln 8 / (T + 20) by default.")


def check_cell_carry(fn: Callable) -> Feedback:
    """Exercise 7.4: ``fn(dh, dc_next, o, c, f)`` returns ``δ^c_{t−1}``, the gradient the LSTM's cell passes
    back one step: ``δ^c_t = dc_next + dh ⊙ o ⊙ (1 − tanh² c_t)`` (eq. (7.25)), then ``δ^c_{t−1} = δ^c_t ⊙ f_t``
    (eq. (7.28), the carousel). ``dh = δ^h_t``, ``dc_next`` the part arriving from step t+1, ``c = c_t``."""
    name = "Exercise 7.4 (the carousel, one step back)"
    rng = np.random.default_rng(74)
    dh, dc_next, c = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), 1.5 * rng.normal(size=(3, 4))
    o, f = 1 / (1 + np.exp(-rng.normal(size=(3, 4)))), 1 / (1 + np.exp(-rng.normal(size=(3, 4))))
    dc_t = dc_next + dh * o * (1 - np.tanh(c) ** 2)
    want = dc_t * f
    out, err = try_call(name, fn, dh.copy(), dc_next.copy(), o.copy(), c.copy(), f.copy())
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != want.shape:
        return Feedback(name, False, f"δ^c_(t−1) has the shape of c, {want.shape}; got {out.shape}.")
    if _close(out, dc_next * f):
        return Feedback(name, False, "you only carried dc_next along the cell: h_t = o ⊙ tanh(c_t) also sends δ^h_t into c_t. Add dh ⊙ o ⊙ (1 − tanh² c_t) before multiplying by f.")
    if _close(out, dc_t):
        return Feedback(name, False, "that is δ^c_t, the gradient AT c_t. One step back, c_t = f_t ⊙ c_(t−1) + …, so multiply by f_t.")
    if _close(out, (dc_next + dh * o * (1 - c ** 2)) * f):
        return Feedback(name, False, "the derivative of tanh(c) is 1 − tanh²(c), not 1 − c²: c is the cell, not tanh of it.")
    if _close(out, (dc_next + dh * (1 - np.tanh(c) ** 2)) * f):
        return Feedback(name, False, "the output gate multiplies tanh(c_t): ∂h_t/∂c_t = o_t ⊙ (1 − tanh² c_t). You dropped o.")
    if not _close(out, want):
        return Feedback(name, False, "expected (dc_next + dh ⊙ o ⊙ (1 − tanh² c)) ⊙ f; check it with numerical_gradient on a tiny example.")
    return Feedback(name, True, "(dc_next + dh ⊙ o ⊙ (1 − tanh² c_t)) ⊙ f_t: along the cell the only factor is the forget gate.")
