"""Exercise checkers for lesson 4 (the RNN forward pass, its shapes, the notes' special cases)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from rnnedu.exercises._feedback import Feedback, close as _close, try_call
from rnnedu.rnn import rnn_step, split_concatenated_weights




def check_flatten_labels(fn: Callable[[np.ndarray], np.ndarray]) -> Feedback:
    """Exercise 4.1: the model's logits are ``(T, B, V)`` and flattened with ``reshape(-1, V)``
    (row ``t·B + b``); ``fn(y)`` gets labels stored ``(B, T)`` and must return the ``(T·B,)`` labels
    in the same order."""
    name = "Exercise 4.1 (labels in the logits' order)"
    B, T = 3, 4
    y = np.arange(B * T).reshape(B, T) % 7  # (B, T), distinct enough to tell orders apart
    y[1, 2] = 6
    want = y.T.reshape(-1)
    out, err = try_call(name, fn, y.copy())
    if err:
        return err
    out = np.asarray(out)
    if out.shape != want.shape:
        return Feedback(name, False, f"expected a flat vector of T·B = {want.size} labels, got shape {out.shape}.")
    if np.array_equal(out, y.reshape(-1)):
        return Feedback(name, False, "y.reshape(-1) runs batch-major (b·T + t) but the logits are time-major "
                                     "(t·B + b): the shapes agree and the loss is silently wrong. Transpose first: y.T.reshape(-1).")
    if np.array_equal(out, want):
        return Feedback(name, True, "y.T.reshape(-1): time-major, like the logits.")
    if np.array_equal(np.sort(out), np.sort(want)):
        return Feedback(name, False, "right labels, wrong order: row t·B + b of the logits must meet y[b, t].")
    if not np.array_equal(out, want):
        return Feedback(name, False, "row t·B + b of logits.reshape(-1, V) is step t of example b, so it needs y[b, t]: y.T.reshape(-1).")
    return Feedback(name, True, "y.T.reshape(-1): time-major, like the logits.")


def check_rnn_step(fn: Callable) -> Feedback:
    """Exercise 4.2: ``fn(x_t, h_prev, W_xh, W_hh, b_h)`` must return ``tanh(x_t W_xh + h_prev W_hh + b_h)``
    for a batch of rows ``x_t (B, D)``, ``h_prev (B, H)``."""
    name = "Exercise 4.2 (one RNN step, row vectors)"
    rng = np.random.default_rng(42)
    B, D, H = 3, 4, 5  # all different, so a transposed product fails loudly
    x, h = rng.standard_normal((B, D)), rng.standard_normal((B, H))
    W_xh, W_hh, b = rng.standard_normal((D, H)), rng.standard_normal((H, H)), rng.standard_normal(H)
    want = rnn_step(x, h, W_xh, W_hh, b)
    out, err = try_call(name, fn, x.copy(), h.copy(), W_xh.copy(), W_hh.copy(), b.copy())
    if err:
        if "matmul" in err.message or "shapes" in err.message or "aligned" in err.message:
            return Feedback(name, False, "a shape mismatch: with row vectors the input comes first, x_t @ W_xh "
                                         "((B, D)·(D, H)), not W_xh @ x_t as in the notes' column vectors.")
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != want.shape:
        return Feedback(name, False, f"h_t has shape (B, H) = {want.shape}; got {out.shape}.")
    if _close(out, x @ W_xh + h @ W_hh + b):
        return Feedback(name, False, "no nonlinearity: apply φ = tanh to the whole pre-activation a_t.")
    if _close(out, np.tanh(x @ W_xh + b)):
        return Feedback(name, False, "h_{t-1} is missing: without h_{t-1} W_hh there is no recurrence.")
    if _close(out, np.tanh(x @ W_xh + h @ W_hh.T + b)):
        return Feedback(name, False, "W_hh is transposed: in row notation it is h_{t-1} @ W_hh (the notes' "
                                     "column-vector w_hh h_{t-1} is our h_{t-1} W_hh with W_hh = w_hhᵀ).")
    if _close(out, np.tanh(x @ W_xh + h @ W_hh) + b):
        return Feedback(name, False, "the bias goes inside φ: tanh(x W_xh + h W_hh + b_h).")
    if not _close(out, want):
        return Feedback(name, False, "compare with rn.rnn_step on the same arrays: h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h).")
    return Feedback(name, True, "h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h) for a whole batch.")


def check_split_concatenated(fn: Callable) -> Feedback:
    """Exercise 4.3: ``fn(w_ih, D)`` with the Chinese note's ``w_ih (H, D + H)`` must return
    ``(W_xh (D, H), W_hh (H, H))`` in our row notation."""
    name = "Exercise 4.3 (the note's w_ih in our notation)"
    rng = np.random.default_rng(7)
    D, H = 3, 4
    w_ih = rng.standard_normal((H, D + H))
    want = split_concatenated_weights(w_ih, D)
    out, err = try_call(name, fn, w_ih.copy(), D)
    if err:
        return err
    if not (isinstance(out, tuple) and len(out) == 2):
        return Feedback(name, False, "return a pair (W_xh, W_hh).")
    W_xh, W_hh = (np.asarray(o, dtype=float) for o in out)
    if W_xh.shape == (H, D) and _close(W_xh, w_ih[:, :D]):
        return Feedback(name, False, "these are the note's column-vector blocks w_ih[:, :D] (H, D): our row "
                                     "notation needs their transposes, W_xh = w_ih[:, :D].T of shape (D, H).")
    if W_xh.shape != (D, H) or W_hh.shape != (H, H):
        return Feedback(name, False, f"W_xh must be (D, H) = {(D, H)} and W_hh (H, H) = {(H, H)}; got {W_xh.shape} and {W_hh.shape}.")
    if _close(W_hh, want[1].T):
        return Feedback(name, False, "W_xh is right; W_hh is transposed — take w_ih[:, D:].T.")
    if not (_close(W_xh, want[0]) and _close(W_hh, want[1])):
        return Feedback(name, False, "[x_t, h_{t-1}] puts the D input entries first: the first D columns of w_ih act on x_t.")
    return Feedback(name, True, "w_ihᵀ = [W_xh; W_hh]: the concatenation is the same RNN.")
