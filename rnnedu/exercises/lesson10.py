"""Exercise checkers for lesson 10 (the capstone: min-char-rnn's loss function, clipping, Adagrad).

Each checker runs the learner's code on a small problem, **gradient-checks it** (central differences
of the learner's own loss, float64) and compares it with the reference in :mod:`rnnedu.capstone`.
When something disagrees, it recomputes the answer under each typical mistake (a missing
``h_{t−1}`` path, a wrong transpose, a softmax that overflows, dividing by ``T·B`` twice, clipping
element-wise, …) and names the one that matches.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from rnnedu.capstone import PARAM_KEYS, adagrad_step, char_rnn_loss, clip_by_global_norm
from rnnedu.exercises._feedback import Feedback, close, quietly, try_call
from rnnedu.gradcheck import format_power, numerical_gradient, relative_error
from rnnedu.softmax import log_softmax, softmax
from rnnedu.train import clip_grad_value, global_norm, gradient_cosine

LOSS = "Exercise 10.1 (the loss function: forward and BPTT)"
CLIP = "Exercise 10.2 (clipping by the global norm)"
ADAGRAD = "Exercise 10.3 (Adagrad)"


# --- the problem every loss check uses -----------------------------------------------------------

def _problem(seed: int = 10, V: int = 7, H: int = 5, T: int = 4, B: int = 3):
    """A small language-model problem with V ≠ H (a transposed weight shows up as a wrong shape),
    nonzero biases and a nonzero carried state ``h0``."""
    rng = np.random.default_rng(seed)
    params = {"W_xh": 0.8 * rng.standard_normal((V, H)), "W_hh": 0.6 * rng.standard_normal((H, H)),
              "b_h": 0.2 * rng.standard_normal(H), "W_hy": 0.8 * rng.standard_normal((H, V)),
              "b_y": 0.2 * rng.standard_normal(V)}
    X = rng.integers(0, V, size=(T, B))
    Y = rng.integers(0, V, size=(T, B))
    h0 = 0.7 * rng.standard_normal((B, H))
    return params, X, Y, h0


def _copy(params):
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}


def _states(params, X, h0, *, recurrent=True, transpose=False):
    """``hs (T + 1, B, H)`` with ``hs[0] = h0``, eq. (10.1), or one of its typical corruptions."""
    W_hh = params["W_hh"].T if transpose else params["W_hh"]
    hs = [h0]
    for t in range(X.shape[0]):
        a = params["W_xh"][X[t]] + params["b_h"]
        if recurrent:
            a = a + hs[-1] @ W_hh
        hs.append(np.tanh(a))
    return np.stack(hs)


def _loss_from(hs_out, params, Y):
    """Mean cross-entropy of the logits read from ``hs_out (T, B, H)``, eq. (10.3)."""
    T, B = Y.shape
    logp = log_softmax(hs_out @ params["W_hy"] + params["b_y"])  # (T, B, V)
    return float(-np.take_along_axis(logp, Y[..., None], axis=2).sum() / (T * B))


def _grads(params, X, Y, h0, *, carry=True, transpose_back=False, tanh_prime=True, prime_on_direct=False,
           dWhh_transposed=False, pair_with_h_t=False, subtract_onehot=True):
    """BPTT, eqs. (10.4)–(10.6), with each typical mistake as a switch (all off: the right answer)."""
    hs = _states(params, X, h0)
    T, B = X.shape
    N = T * B
    W_hh, W_hy = params["W_hh"], params["W_hy"]
    back = W_hh if transpose_back else W_hh.T
    g = {k: np.zeros_like(v) for k, v in params.items()}
    dh_next = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        do = softmax(hs[t + 1] @ W_hy + params["b_y"])
        if subtract_onehot:
            do[np.arange(B), Y[t]] -= 1.0
        do /= N
        g["W_hy"] += hs[t + 1].T @ do
        g["b_y"] += do.sum(axis=0)
        direct = do @ W_hy.T
        prime = (1 - hs[t + 1] ** 2) if tanh_prime else 1.0
        delta = direct * prime + dh_next if prime_on_direct else (direct + dh_next) * prime
        np.add.at(g["W_xh"], X[t], delta)
        h_pair = hs[t + 1] if pair_with_h_t else hs[t]
        g["W_hh"] += delta.T @ h_pair if dWhh_transposed else h_pair.T @ delta
        g["b_h"] += delta.sum(axis=0)
        dh_next = delta @ back if carry else np.zeros_like(h0)
    return g


# --- Exercise 10.1: the loss function -------------------------------------------------------------

def _as_array(x):
    """``x`` as a float array, or an array holding one NaN when it is not an array of numbers."""
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return np.full(1, np.nan)


def _unpack(out):
    """``(loss, grads, h_T)`` from the learner's return value, or a hint."""
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        got = f"a {type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
        return None, ("return three things, like min-char-rnn's lossFun: loss (a number), grads (a dict "
                      f"with keys {', '.join(PARAM_KEYS)}) and h_T (the last state, (B, H)); got {got}.")
    loss, grads, h_T = out
    try:
        loss = float(loss)
    except (TypeError, ValueError):
        return None, f"the first thing returned must be the loss, one number; got {type(loss).__name__}."
    if not isinstance(grads, Mapping) or any(k not in grads for k in PARAM_KEYS):
        return None, f"the second thing returned must be a dict with the gradients {', '.join(PARAM_KEYS)}."
    return (loss, grads, h_T), None


def _forward_hint(loss, params, X, Y, h0, want):
    """Name the forward-pass mistake whose loss equals the learner's, or None."""
    T, B = X.shape
    N = T * B
    hs = _states(params, X, h0)
    candidates = [
        (want * N, "your loss is the *sum* over the T·B characters (min-char-rnn sums over its 25 steps); "
                   "eq. (10.3) takes the mean: divide by T·B, and divide δ^o by T·B too."),
        (want * T, "divide by T·B, not by B: the loss is the mean over every character of every sequence."),
        (want * B, "divide by T·B, not by T: with a batch, the loss is the mean over every character of every sequence."),
        (want / N, "the loss is divided by T·B twice (once per character and once more at the end): divide once."),
        (-want, "the sign: L = −mean log p (a probability below 1 has a negative log, the loss must be positive)."),
        (_loss_from(_states(params, X, h0, recurrent=False)[1:], params, Y),
         "the forward pass misses the h_{t−1} path: h_t = tanh(x_t W_xh + h_{t−1} W_hh + b_h) — without "
         "h_{t−1} W_hh it is no recurrent network, each character is read alone."),
        (_loss_from(_states(params, X, h0, transpose=True)[1:], params, Y),
         "W_hh is transposed in the forward pass: in row form h_{t−1} W_hh (min-char-rnn's column form "
         "Whh·h is the same product with Whh = W_hhᵀ)."),
        (_loss_from(_states(params, X, np.zeros_like(h0))[1:], params, Y),
         "your loss ignores h_prev: the state must be carried across batches — start the recursion from "
         "the h_prev you are given (min-char-rnn's hprev), not from zeros."),
        (_loss_from(hs[:-1], params, Y),
         "the output at step t reads h_{t−1}: o_t = h_t W_hy + b_y uses the state *after* reading x_t "
         "(the German note makes the same slip)."),
    ]
    for value, hint in candidates:
        if np.isclose(loss, value, rtol=1e-9, atol=1e-12):
            return hint
    return None


def _grad_hint(grads, params, X, Y, h0):
    """Name the BPTT mistake whose gradients equal the learner's, or None."""
    T, B = X.shape
    N = T * B
    ref = _grads(params, X, Y, h0)
    variants = [
        ({k: v / N for k, v in ref.items()},
         "every gradient is T·B times too small: you divided by T·B twice (δ^o already carries the 1/(T·B) "
         "of the mean; do not divide the gradients again)."),
        ({k: v * N for k, v in ref.items()},
         "every gradient is T·B times too large: the loss is the mean, so δ^o = (p − onehot(y)) / (T·B)."),
        (_grads(params, X, Y, h0, carry=False),
         "the h_{t−1} path is missing in BPTT: h_t also feeds h_{t+1}, so δ_t needs δ_{t+1} W_hhᵀ besides "
         "the direct δ^o_t W_hyᵀ (min-char-rnn's dhnext). What you have is BPTT truncated to one step."),
        (_grads(params, X, Y, h0, transpose_back=True),
         "wrong transpose going back in time: a_{t+1} = … + h_t W_hh, so ∂L/∂h_t gets δ_{t+1} W_hhᵀ, "
         "not δ_{t+1} W_hh (min-char-rnn: dhnext = Whh.T @ dhraw)."),
        (_grads(params, X, Y, h0, dWhh_transposed=True),
         "dW_hh is transposed: a_t = … + h_{t−1} W_hh, so dW_hh = Σ_t h_{t−1}ᵀ δ_t — (H, B)·(B, H) with h_{t−1} "
         "on the left. With H × H you get no shape error to warn you."),
        (_grads(params, X, Y, h0, pair_with_h_t=True),
         "dW_hh pairs δ_t with h_t; W_hh multiplies h_{t−1} to make a_t, so dW_hh = Σ_t h_{t−1}ᵀ δ_t "
         "(h_prev at the first step)."),
        (_grads(params, X, Y, h0, tanh_prime=False),
         "φ'(a_t) is missing: h_t = tanh(a_t), so δ_t = ∂L/∂h_t ⊙ (1 − h_t²)."),
        (_grads(params, X, Y, h0, prime_on_direct=True),
         "(1 − h_t²) must multiply the whole ∂L/∂h_t: (δ^o_t W_hyᵀ + δ_{t+1} W_hhᵀ) ⊙ (1 − h_t²), "
         "not only the direct part."),
        (_grads(params, X, Y, h0, subtract_onehot=False),
         "δ^o = p − onehot(y): subtract 1 at the target character (min-char-rnn: dy[targets[t]] -= 1)."),
    ]
    for want, hint in variants:
        if all(close(grads[k], want[k], 1e-8) for k in PARAM_KEYS):
            return hint
    return None


def check_loss(fn: Callable, *, tol: float = 1e-6) -> Feedback:
    """Exercise 10.1: ``fn(params, X, Y, h_prev)`` → ``(loss, grads, h_T)``, eqs. (10.1)–(10.6).

    ``params`` has ``W_xh (V, H)``, ``W_hh (H, H)``, ``b_h (H,)``, ``W_hy (H, V)``, ``b_y (V,)``;
    ``X, Y`` ids ``(T, B)``; ``h_prev (B, H)``. Checked: the loss against eq. (10.3), ``h_T``, the
    inputs left unchanged, no overflow for large logits, the gradients' shapes, and the gradients
    against central differences of ``fn``'s own loss (float64, relative error below ``tol``).
    """
    params, X, Y, h0 = _problem()
    T, B = X.shape
    want_loss, want_grads, want_h = char_rnn_loss(params, X, Y, h0)
    given = (_copy(params), X.copy(), Y.copy(), h0.copy())
    out, err = try_call(LOSS, fn, *given)
    if err:
        return err
    got, hint = _unpack(out)
    if hint:
        return Feedback(LOSS, False, hint)
    loss, grads, h_T = got
    if not np.isfinite(loss):
        return Feedback(LOSS, False, f"the loss is {loss}: check the softmax and the log (are the ids used as indices?).")
    if not np.isclose(loss, want_loss, rtol=1e-9, atol=1e-12):
        hint = _forward_hint(loss, params, X, Y, h0, want_loss)
        return Feedback(LOSS, False, hint or f"the loss is {loss:.6f}, eq. (10.3) gives {want_loss:.6f}: check "
                                             "eqs. (10.1)–(10.3) step by step (x_t W_xh is the row W_xh[X[t]]).")
    if any(not np.array_equal(a, b) for a, b in zip(given, (params, X, Y, h0)) if isinstance(b, np.ndarray)) or \
            any(not np.array_equal(given[0][k], params[k]) for k in PARAM_KEYS):
        return Feedback(LOSS, False, "your function changes its inputs (params, X, Y or h_prev) in place; "
                                     "work on copies — the training loop reuses them.")
    h_T = _as_array(h_T)
    if h_T.shape != want_h.shape:
        return Feedback(LOSS, False, f"h_T is the last hidden state, shape (B, H) = {want_h.shape}; got {h_T.shape}.")
    if not close(h_T, want_h, 1e-9):
        if close(h_T, h0):
            return Feedback(LOSS, False, "you return the h_prev you were given: return the state after the last "
                                         "character, h_T, so that the next batch continues from it.")
        hs = _states(params, X, h0)
        if T > 1 and close(h_T, hs[1]):
            return Feedback(LOSS, False, "you return h_1, the first state; the next batch continues from h_T, the last.")
        return Feedback(LOSS, False, "h_T is not the state after the last character (eq. (10.1) at t = T).")

    # large logits: exp(o) overflows unless the maximum is subtracted first
    big = _copy(params)
    big["b_y"] = big["b_y"] + 1000.0
    out, err = try_call(LOSS, fn, big, X.copy(), Y.copy(), h0.copy())
    if err:
        return err
    got, hint = _unpack(out)
    if hint:
        return Feedback(LOSS, False, hint)
    big_finite = np.isfinite(got[0]) and all(np.all(np.isfinite(_as_array(got[1][k]))) for k in PARAM_KEYS)
    if not big_finite:
        return Feedback(LOSS, False, "with logits near 1000 your loss or gradients are NaN or inf: exp(1000) "
                                     "overflows. Subtract each row's maximum before exp — softmax(o − max o) = "
                                     "softmax(o) (min-char-rnn itself skips this).")
    if not np.isclose(got[0], want_loss, rtol=1e-9, atol=1e-12):
        return Feedback(LOSS, False, "adding the same constant to every logit must not change the loss (softmax is "
                                     "shift-invariant); with logits near 1000 yours changed — take log p from the "
                                     "shifted logits: (o − max) − log Σ exp(o − max).")

    # gradients: shapes, then central differences of the learner's own loss
    for k in PARAM_KEYS:
        g = _as_array(grads[k])
        shape = np.shape(params[k])
        if g.shape != shape:
            if g.shape == shape[::-1]:
                return Feedback(LOSS, False, f"d{k} has shape {g.shape}, transposed: the gradient of {k} has {k}'s "
                                             f"shape {shape}. In row form dW = (input row)ᵀ δ; min-char-rnn's "
                                             "column form δ·xᵀ is its transpose.")
            if len(shape) == 1 and g.size == shape[0]:
                return Feedback(LOSS, False, f"d{k} must have shape {shape} like {k}; yours is {g.shape} (a column?).")
            return Feedback(LOSS, False, f"d{k} must have {k}'s shape {shape}; got {g.shape} (sum over the batch and the steps).")
    errors = {}
    for k in PARAM_KEYS:
        def f(v, k=k):
            return float(quietly(fn, {**_copy(params), k: v}, X.copy(), Y.copy(), h0.copy())[0])
        try:
            num = numerical_gradient(f, params[k])
        except Exception as exc:  # the learner's code may raise anything
            return Feedback(LOSS, False, f"your function raised {type(exc).__name__} during the gradient check: {exc}")
        errors[k] = relative_error(_as_array(grads[k]), num)
    bad = [k for k in PARAM_KEYS if not errors[k] < tol]
    if bad:
        hint = _grad_hint(grads, params, X, Y, h0)
        if hint:
            return Feedback(LOSS, False, hint)
        listed = ", ".join(f"d{k} (relative error {errors[k]:.0e})" for k in bad)
        return Feedback(LOSS, False, f"your loss is right but {listed} disagree with central differences of it. "
                                     "Walk eqs. (10.4)–(10.6) backwards one step at a time and compare with "
                                     "rn.char_rnn_loss on the same input.")
    if not all(close(grads[k], want_grads[k], 1e-7) for k in PARAM_KEYS):  # cannot happen if fn is smooth
        return Feedback(LOSS, False, "your gradients match your loss's central differences but not the reference: "
                                     "is your loss smooth near this point?")
    return Feedback(LOSS, True, f"loss, h_T and all five gradients agree with central differences of your own "
                                f"loss (relative error < {format_power(tol)}) and with the reference; logits near 1000 "
                                "do not overflow.")


# --- Exercise 10.2: clipping by the global norm ---------------------------------------------------

def _clip_problem():
    rng = np.random.default_rng(102)
    g = {"W_xh": 3.0 * rng.standard_normal((4, 3)), "W_hh": rng.standard_normal((3, 3)),
         "b_h": np.array([12.0, -0.5, 0.25]), "W_hy": 0.5 * rng.standard_normal((3, 4)), "b_y": np.zeros(4)}
    return g


def _call_clip(fn, grads, c):
    out, err = try_call(CLIP, fn, {k: v.copy() for k, v in grads.items()}, c)
    if err:
        return None, err
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], Mapping):
        out = out[0]  # (clipped, norm), like rn.clip_grad_norm: accept it
    if not isinstance(out, Mapping) or set(PARAM_KEYS) - set(out):
        return None, Feedback(CLIP, False, "return a dict with the same keys as grads (the clipped gradients).")
    return out, None


def _same(out, want) -> bool:
    return all(close(out[k], want[k], 1e-9) for k in want)


def check_clip(fn: Callable) -> Feedback:
    """Exercise 10.2: ``fn(grads, max_norm)`` → the clipped gradients (a dict), eq. (10.7):
    ``g ← g · min(1, c / ‖g‖)`` with ‖g‖ taken over all arrays of ``grads`` together."""
    grads = _clip_problem()
    c = 5.0
    norm = global_norm(grads)
    out, err = _call_clip(fn, grads, c)
    if err:
        return err
    want = clip_by_global_norm(grads, c)
    if not _same(out, want):
        elementwise = clip_grad_value(grads, c)
        if _same(out, elementwise):
            cos = gradient_cosine(elementwise, grads)
            return Feedback(CLIP, False, "that is element-wise clipping, min-char-rnn's np.clip(dparam, -5, 5): it "
                                         f"cuts the large entries and keeps the rest, which turns the gradient (here "
                                         f"cos = {cos:.2f} with the original). Scale *all* gradients by one "
                                         "factor c / ‖g‖ instead, so the direction is kept.")
        per_array = {k: v * min(1.0, c / np.linalg.norm(v)) if np.linalg.norm(v) > 0 else v for k, v in grads.items()}
        if _same(out, per_array):
            return Feedback(CLIP, False, "you clipped each array by its own norm; eq. (10.7) takes one norm over "
                                         "all five gradients together (‖g‖² = Σ_k Σ_i g_{k,i}²) and one factor for all.")
        if _same(out, {k: v * (c / norm ** 2) for k, v in grads.items()}) or \
                _same(out, {k: v * min(1.0, c / norm ** 2) for k, v in grads.items()}):
            return Feedback(CLIP, False, "‖g‖ is the square root of the sum of squares; you divided by its square.")
        if _same(out, {k: v / norm for k, v in grads.items()}):
            return Feedback(CLIP, False, "dividing by ‖g‖ gives norm 1; multiply by c / ‖g‖ to get norm c.")
        if _same(out, {k: v * c * norm for k, v in grads.items()}):
            return Feedback(CLIP, False, "the factor is c / ‖g‖, not c · ‖g‖.")
        got = np.sqrt(sum(float(np.sum(np.square(np.asarray(out[k], dtype=float)))) for k in PARAM_KEYS))
        return Feedback(CLIP, False, f"‖g‖ = {norm:.3f} > c = {c:g}, so the clipped gradient should have norm "
                                     f"{c:g} and g's direction; yours has norm {got:.3f}.")
    small = {k: v * (0.5 * c / norm) for k, v in grads.items()}  # norm c / 2: nothing to clip
    out, err = _call_clip(fn, small, c)
    if err:
        return err
    if not _same(out, small):
        return Feedback(CLIP, False, "a gradient whose norm is already below c must stay as it is: the factor is "
                                     "min(1, c / ‖g‖), so clipping never makes a gradient longer.")
    zero = {k: np.zeros_like(v) for k, v in grads.items()}
    out, err = _call_clip(fn, zero, c)
    if err:
        return err
    if not _same(out, zero):
        return Feedback(CLIP, False, "a zero gradient gives c / ‖g‖ = c / 0: return it unchanged (there is nothing to clip).")
    return Feedback(CLIP, True, "one factor min(1, c/‖g‖) for all gradients: the length is capped, the direction kept.")


# --- Exercise 10.3: Adagrad -----------------------------------------------------------------------

def check_adagrad(fn: Callable) -> Feedback:
    """Exercise 10.3: ``fn(params, grads, memory, lr)`` → ``(new_params, new_memory)``, eq. (10.8):
    ``G ← G + g ⊙ g``, ``θ ← θ − η g / √(G + ε)`` with ε = 1e-8 (min-char-rnn's update)."""
    rng = np.random.default_rng(103)
    shapes = {"W_xh": (4, 3), "W_hh": (3, 3), "b_h": (3,), "W_hy": (3, 4), "b_y": (4,)}
    params = {k: rng.standard_normal(s) for k, s in shapes.items()}
    grads = {k: rng.standard_normal(s) for k, s in shapes.items()}
    memory = {k: rng.uniform(0.5, 2.0, s) for k, s in shapes.items()}  # some history already
    lr = 0.1
    want_p, want_m = adagrad_step(params, grads, memory, lr)
    out, err = try_call(ADAGRAD, fn, _copy(params), _copy(grads), _copy(memory), lr)
    if err:
        return err
    if not (isinstance(out, (tuple, list)) and len(out) == 2 and all(isinstance(o, Mapping) for o in out)):
        return Feedback(ADAGRAD, False, "return two dicts: (new_params, new_memory).")
    new_p, new_m = out
    if set(PARAM_KEYS) - set(new_p) or set(PARAM_KEYS) - set(new_m):
        return Feedback(ADAGRAD, False, f"both dicts need the keys {', '.join(PARAM_KEYS)}.")

    def same(a, b, tol=1e-7):
        return all(close(a[k], b[k], tol) for k in PARAM_KEYS)

    def step(G):
        return {k: params[k] - lr * grads[k] / np.sqrt(G[k] + 1e-8) for k in PARAM_KEYS}

    if not same(new_m, want_m):
        if same(new_m, {k: grads[k] ** 2 for k in PARAM_KEYS}):
            return Feedback(ADAGRAD, False, "the memory must *accumulate*: G ← G + g², the sum over all steps so "
                                            "far (min-char-rnn: mem += dparam * dparam). G = g² alone makes every "
                                            "step η·sign(g).")
        if same(new_m, memory):
            return Feedback(ADAGRAD, False, "the memory is returned unchanged: add g² to it and return the new memory.")
        if same(new_m, {k: memory[k] + grads[k] for k in PARAM_KEYS}) or \
                same(new_m, {k: memory[k] + np.abs(grads[k]) for k in PARAM_KEYS}):
            return Feedback(ADAGRAD, False, "G sums the *squared* gradients: G ← G + g ⊙ g.")
        return Feedback(ADAGRAD, False, "new memory should be G + g ⊙ g, entry by entry.")
    if not same(new_p, want_p):
        if same(new_p, step(memory)):
            return Feedback(ADAGRAD, False, "you stepped with the old memory: add g² first, then divide by √(G + ε) "
                                            "(min-char-rnn's order; otherwise the first step divides by √ε).")
        if same(new_p, {k: params[k] + lr * grads[k] / np.sqrt(want_m[k] + 1e-8) for k in PARAM_KEYS}):
            return Feedback(ADAGRAD, False, "the sign: θ ← θ − η g / √(G + ε) goes *down* the gradient.")
        if same(new_p, {k: params[k] - lr * grads[k] / (want_m[k] + 1e-8) for k in PARAM_KEYS}):
            return Feedback(ADAGRAD, False, "divide by the *square root* √(G + ε), not by G: the step has the units of θ.")
        if same(new_p, {k: params[k] - lr * grads[k] for k in PARAM_KEYS}):
            return Feedback(ADAGRAD, False, "that is plain SGD: divide each entry's step by √(G + ε).")
        return Feedback(ADAGRAD, False, "new params should be θ − η g / √(G + ε) with the updated G.")
    return Feedback(ADAGRAD, True, "G ← G + g², θ ← θ − η g/√(G + ε): each entry's step shrinks as its gradients add up.")


# --- the training cell ----------------------------------------------------------------------------

def choose(feedback: Feedback, mine: Callable, reference: Callable, what: str):
    """``mine`` if its checker passed, else ``reference``; with one line saying which is used."""
    if feedback.passed:
        return mine, f"{what}: yours"
    return reference, f"{what}: the reference rn.{reference.__name__} (yours has not passed its checker yet)"
