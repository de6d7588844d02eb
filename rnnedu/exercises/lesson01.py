"""Exercise checkers for lesson 1 (softmax, its Jacobian, cross-entropy and ``a − y``)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from rnnedu.exercises._feedback import Feedback, close as _close, try_call
from rnnedu.softmax import cross_entropy_delta, softmax, softmax_jacobian




def check_softmax(fn: Callable[[np.ndarray], np.ndarray]) -> Feedback:
    """Exercise 1.1: ``fn(z)`` must return softmax over the last axis of ``z (..., K)`` for any finite z."""
    name = "Exercise 1.1 (stable softmax)"
    small = np.array([1.0, 2.0, 3.0])
    out, err = try_call(name, fn, small.copy())
    if err:
        return err
    if not _close(out, softmax(small)):
        if _close(np.asarray(out).sum(), 1.0):
            return Feedback(name, False, "your outputs sum to 1 but are not softmax(z): exponentiate each logit, then divide by the sum of the exponentials.")
        return Feedback(name, False, "softmax([1, 2, 3]) should be [0.090, 0.245, 0.665]: divide exp(z) by the sum of exp(z).")
    batch = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    out, err = try_call(name, fn, batch.copy())
    if err:
        return err
    if not _close(out, softmax(batch)):
        return Feedback(name, False, "for a batch (B, K) each row must sum to 1: sum over the last axis only, with keepdims=True so the division broadcasts.")
    big = np.array([1000.0, 999.0, -1000.0])
    out, err = try_call(name, fn, big.copy())
    if err:
        return err
    if not np.all(np.isfinite(np.asarray(out, dtype=float))):
        return Feedback(name, False, "your softmax overflows for large logits (exp(1000) = inf, inf/inf = nan): subtract the maximum logit first — softmax(z − max z) = softmax(z).")
    if not _close(out, softmax(big)):
        return Feedback(name, False, "finite but wrong for z = [1000, 999, −1000]: subtract the maximum of each row (keepdims=True), not of the whole array.")
    return Feedback(name, True, "stable for large logits, row-wise for batches.")


def check_softmax_jacobian(fn: Callable[[np.ndarray], np.ndarray]) -> Feedback:
    """Exercise 1.2: ``fn(z)`` for ``z (K,)`` must return the ``(K, K)`` Jacobian ``∂a_i/∂z_j``."""
    name = "Exercise 1.2 (softmax Jacobian)"
    z = np.array([0.5, -1.0, 2.0, 0.0])
    want = softmax_jacobian(z)
    out, err = try_call(name, fn, z.copy())
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != want.shape:
        return Feedback(name, False, f"expected a {want.shape} matrix, got shape {out.shape}.")
    a = softmax(z)
    if _close(out, np.diag(a * (1 - a))):
        return Feedback(name, False, "you kept only the diagonal a_i(1 − a_i), as the German note does; every a_i depends on every z_j through the sum, so add the off-diagonal terms −a_i a_j.")
    if _close(out, -want):
        return Feedback(name, False, "right magnitude, wrong sign: the diagonal a_i(1 − a_i) is positive, the cross terms −a_i a_j negative.")
    if _close(out, np.diag(a) - np.outer(a, a) + np.diag(a * a)):
        return Feedback(name, False, "the diagonal should be a_i − a_i² = a_i(1 − a_i): the outer product aᵀa already contributes −a_i² there.")
    if not _close(out, want):
        return Feedback(name, False, "not the Jacobian: J = diag(a) − aᵀa, i.e. J_ij = a_i(δ_ij − a_j). Compare a column with numerical_gradient.")
    return Feedback(name, True, "J = diag(a) − aᵀa, cross terms included.")


def check_cross_entropy_delta(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Exercise 1.3: ``fn(z, y)`` for logits ``z (N, K)`` and labels ``y (N,)`` must return ``∂E/∂z``
    of the *mean* cross-entropy."""
    name = "Exercise 1.3 (gradient of mean cross-entropy)"
    z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 3.0], [1.0, -1.0, 0.0]])
    y = np.array([0, 2, 2, 1])
    want = cross_entropy_delta(z, y)
    out, err = try_call(name, fn, z.copy(), y.copy())
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != want.shape:
        return Feedback(name, False, f"the gradient has z's shape {want.shape}; got {out.shape}.")
    n = z.shape[0]
    onehot = np.eye(3)[y]
    if _close(out, want * n):
        return Feedback(name, False, "this is the gradient of the summed loss: the loss is a mean over N examples, so divide a − y by N.")
    if _close(out, -want):
        return Feedback(name, False, "sign flipped: ∂E/∂z = (a − y)/N. Increasing the true class's logit must lower the loss.")
    if _close(out, (z - onehot) / n) or _close(out, z - onehot):
        return Feedback(name, False, "use the probabilities a = softmax(z), not the logits: ∂E/∂z = (softmax(z) − y)/N.")
    if not _close(out, want):
        return Feedback(name, False, "compare with numerical_gradient(lambda z: cross_entropy(z, y), z): the answer is (softmax(z) − onehot(y)) / N.")
    return Feedback(name, True, "(softmax(z) − y) / N, checked on a batch of 4.")
