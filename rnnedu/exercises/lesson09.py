"""Exercise checkers for lesson 9 (the character language model)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from rnnedu.exercises._feedback import Feedback, try_call
from rnnedu.softmax import log_softmax, softmax


def _close(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all(np.isfinite(a))) and np.allclose(a, b, rtol=1e-8, atol=1e-10)


def check_temperature_softmax(fn: Callable[[np.ndarray, float], np.ndarray]) -> Feedback:
    """Exercise 9.1: ``fn(o, tau)`` for logits ``o (V,)`` must return ``softmax(o / tau)``, eq. (9.3)."""
    name = "Exercise 9.1 (softmax with temperature)"
    o = np.array([2.0, 1.0, 0.0, -1.0])
    for tau in (0.5, 2.0):
        want = softmax(o / tau)
        out, err = try_call(name, fn, o.copy(), tau)
        if err:
            return err
        if _close(out, softmax(o)):
            return Feedback(name, False, "the temperature has no effect: divide the logits by τ before the softmax.")
        if _close(out, softmax(o * tau)):
            return Feedback(name, False, "you multiplied by τ: a *high* temperature must flatten the distribution, so "
                                         "divide the logits by τ.")
        if _close(out, softmax(o) / tau) or _close(out, softmax(o) * tau):
            return Feedback(name, False, "scaling the probabilities breaks their sum to 1; scale the logits (o / τ) and "
                                         "then take the softmax.")
        if _close(out, softmax(o) ** (1 / tau)):
            return Feedback(name, False, "p^(1/τ) has the right shape but is not normalised: divide by its sum (that is "
                                         "exactly softmax(o / τ)).")
        if not _close(out, want):
            return Feedback(name, False, f"for τ = {tau} expected softmax(o / τ) = {np.round(want, 3)}.")
    big = np.array([800.0, 0.0])
    out, err = try_call(name, fn, big, 0.1)
    if err:
        return err
    if not np.all(np.isfinite(np.asarray(out, dtype=float))):
        return Feedback(name, False, "overflow for a small τ: o / τ = 8000 — subtract the maximum before exponentiating.")
    return Feedback(name, True, "softmax(o / τ): τ < 1 sharpens, τ > 1 flattens.")


def check_perplexity(fn: Callable[[np.ndarray, np.ndarray], float]) -> Feedback:
    """Exercise 9.2: ``fn(logits, targets)`` for ``logits (N, V)`` and ``targets (N,)`` must return the
    perplexity ``exp(mean cross-entropy)``, eq. (9.2)."""
    name = "Exercise 9.2 (perplexity)"
    rng = np.random.default_rng(9)
    logits = rng.standard_normal((12, 5))
    targets = rng.integers(0, 5, size=12)
    logp = log_softmax(logits)[np.arange(12), targets]
    want = float(np.exp(-logp.mean()))
    out, err = try_call(name, fn, logits.copy(), targets.copy())
    if err:
        return err
    try:
        value = float(out)
    except (TypeError, ValueError):
        return Feedback(name, False, f"return one number; got {type(out).__name__}.")
    if np.isclose(value, np.exp(-logp.sum())):
        return Feedback(name, False, "exp of the *summed* loss grows with the text's length: average over the N tokens first.")
    if np.isclose(value, np.mean(np.exp(-logp))):
        return Feedback(name, False, "you averaged 1/p per token; perplexity is the exponential of the average "
                                     "−log p (a geometric mean of 1/p).")
    if np.isclose(value, -logp.mean()):
        return Feedback(name, False, "that is the cross-entropy; the perplexity is its exponential.")
    if np.isclose(value, 2 ** (-logp.mean())):
        return Feedback(name, False, "the loss is in nats (natural log), so use e, not 2, as the base.")
    if np.isclose(value, np.exp(-np.log(softmax(logits)).mean())):
        return Feedback(name, False, "average log-probabilities of the *targets* only: index each row with its target.")
    if not np.isclose(value, want):
        return Feedback(name, False, f"expected {want:.4f} = exp(−mean log softmax(logits)[n, targets[n]]).")
    return Feedback(name, True, "exp(mean cross-entropy): a uniform guess scores V, a perfect model 1.")


def check_streams(fn: Callable[[np.ndarray, int], np.ndarray]) -> Feedback:
    """Exercise 9.3: ``fn(ids, B)`` for a corpus ``ids (N,)`` (``N`` a multiple of ``B``) must return the
    ``(N / B, B)`` time-major layout of sequential partitioning: column ``b`` is one contiguous stream."""
    name = "Exercise 9.3 (sequential streams)"
    ids = np.arange(12)
    want = ids.reshape(3, -1).T
    out, err = try_call(name, fn, ids.copy(), 3)
    if err:
        return err
    out = np.asarray(out)
    if out.shape == (4, 3) and np.array_equal(out, ids.reshape(-1, 3)):
        return Feedback(name, False, "reshape(-1, B) deals the tokens round-robin: tokens 0, 1, 2 land in different "
                                     "streams, so no column is a continuous text. Cut into B blocks first: "
                                     "reshape(B, -1), then transpose to time-major.")
    if out.shape == (3, 4) and np.array_equal(out, ids.reshape(3, -1)):
        return Feedback(name, False, "the streams are right but batch-first (B, L); the package is time-major: transpose.")
    if not np.array_equal(out, want):
        return Feedback(name, False, f"expected column b to hold tokens b·L … b·L + L − 1; got\n{out}.")
    return Feedback(name, True, "ids.reshape(B, -1).T: batch i + 1 continues every column of batch i, so the state carries.")
