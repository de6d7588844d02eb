r"""Softmax, its Jacobian, cross-entropy and the output delta ``a − y`` (lesson 1).

Lesson: ``notebooks/01_softmax_cross_entropy.ipynb``. Sources: the German note (seed 000, the
λ-derivation of the softmax derivative) and the Russian note (seed 003, cross-entropy from maximum
likelihood and ``∂E/∂u = a − y`` derived twice).

Shapes: logits ``z`` are ``(..., K)`` — any number of leading positions (a batch ``(B, K)``, a
sequence ``(T, B, K)``) and K classes on the last axis. ``N`` is the number of leading positions,
``N = z.size / K``; losses are means over those N positions.
"""

from __future__ import annotations

import numpy as np

from rnnedu._checks import as_float_array, as_labels


def _logits(z, axis: int = -1) -> np.ndarray:
    z = as_float_array(z, "logits z", min_ndim=1)
    if z.shape[axis] == 0:
        raise ValueError(f"logits z has no classes along axis {axis} (shape {z.shape})")
    return z


def softmax(z, axis: int = -1) -> np.ndarray:
    r"""Softmax, lesson 1, eq. (1.1):  :math:`a_i = e^{z_i} / \sum_k e^{z_k}`.

    Computed as ``exp(z − max z) / Σ exp(z − max z)`` (the same value: softmax is shift invariant),
    so it is finite for any finite logits, ±1e4 included.

    Shapes: ``z (..., K)`` → ``a (..., K)``, each row non-negative and summing to 1.

    >>> softmax([0.0, 0.0])
    array([0.5, 0.5])
    """
    z = _logits(z, axis)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _shifted_parts(z: np.ndarray):
    """``z − max z``, its exponentials ``e`` (the largest is exactly 1) and ``rest``, the sum of the
    others, so that ``Σ e = 1 + rest`` without rounding ``rest`` away."""
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    top = np.argmax(shifted, axis=-1)[..., None]
    others = e.copy()
    np.put_along_axis(others, top, 0.0, axis=-1)
    return shifted, e, top, others.sum(axis=-1, keepdims=True)


def log_softmax(z, axis: int = -1) -> np.ndarray:
    r"""Log-softmax, lesson 1, eq. (1.2):  :math:`\log a_i = z_i − \log \sum_k e^{z_k}`.

    This is the German note's σ (its ``Y`` is a log-probability). Computed with the log-sum-exp
    shift ``m = max z``: ``z − m − log Σ exp(z − m)``; finite for any finite logits. The largest
    shifted exponential is exactly 1, so ``log Σ exp(z − m) = log1p(rest)`` with ``rest`` the sum of the
    others: accurate to the last digit even when the top class takes almost all the probability
    (a loss of 1e-4 keeps 16 digits, not 12).

    Shapes: ``z (..., K)`` → ``(..., K)``, each entry ≤ 0.
    """
    z = _logits(z, axis)
    if axis not in (-1, z.ndim - 1):
        return np.moveaxis(log_softmax(np.moveaxis(z, axis, -1)), -1, axis)
    shifted, _, _, rest = _shifted_parts(z)
    return shifted - np.log1p(rest)


def _one_minus_softmax(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``1 − a`` without cancellation: where ``a_i`` is close to 1 (only the largest entry can be),
    ``1 − a_i`` is computed as the sum of the *other* exponentials over the total. Keeps the Jacobian
    diagonal and ``a − y`` accurate to ~1e-16 relative for confident predictions (logit gaps of 10+),
    where ``1 − a_i`` computed directly loses as many digits as ``1 − a_i`` has leading zeros."""
    _, e, top, rest = _shifted_parts(z)
    out = 1 - a
    np.put_along_axis(out, top, rest / (1 + rest), axis=-1)
    return out


def softmax_jacobian(z) -> np.ndarray:
    r"""Jacobian of softmax, lesson 1, eq. (1.3):  :math:`J = \operatorname{diag}(a) − a^\top a`.

    Entry by entry :math:`J_{ij} = ∂a_i/∂z_j = a_i(δ_{ij} − a_j)`: the diagonal ``a_i(1 − a_i)`` (the
    German note's ``σ_i − σ_i²``, the Russian note's ``α_i(1 − α_i)``) and the cross terms
    ``−a_i a_j`` that the German note drops. Symmetric, rows sum to 0.

    Shapes: ``z (..., K)`` → ``J (..., K, K)``, one matrix per leading position.
    """
    z = _logits(z)
    a = softmax(z)
    jac = -a[..., :, None] * a[..., None, :]
    idx = np.arange(a.shape[-1])
    jac[..., idx, idx] = a * _one_minus_softmax(z, a)  # a_i(1 − a_i), computed without cancellation
    return jac


def _targets(z: np.ndarray, y) -> np.ndarray:
    """Turn ``y`` into a target distribution of ``z``'s shape (labels become one-hot)."""
    K = z.shape[-1]
    y_arr = np.asarray(y)
    if y_arr.shape == z.shape and y_arr.ndim == z.ndim and not np.issubdtype(y_arr.dtype, np.integer):
        t = as_float_array(y_arr, "targets y")
        if (t < 0).any():
            raise ValueError("targets y hold negative probabilities; one-hot or probability rows expected")
        sums = t.sum(axis=-1)
        if not np.allclose(sums, 1.0, atol=1e-6):
            worst = float(sums.flat[np.argmax(np.abs(sums - 1.0))])
            raise ValueError(f"each row of targets y must sum to 1 (one-hot or probabilities); found a row summing to {worst:g}")
        return t
    labels = as_labels(y_arr, "labels y", z.shape[:-1], K)
    onehot = np.zeros(z.shape, dtype=z.dtype)
    np.put_along_axis(onehot, labels[..., None], 1.0, axis=-1)
    return onehot


def cross_entropy(z, y) -> float:
    r"""Mean cross-entropy, lesson 1, eq. (1.4):  :math:`E = −\frac{1}{N}\sum_n \sum_k y_{nk} \log a_{nk}`.

    The negative mean log-likelihood of the targets (Russian note, seed 003). With integer labels it
    is ``−mean(log_softmax(z)[y])``.

    Shapes: ``z (..., K)`` logits; ``y`` either integer labels of shape ``z.shape[:-1]`` with values in
    ``[0, K)``, or one-hot / probability rows of ``z``'s shape. Returns a Python float.
    """
    z = _logits(z)
    t = _targets(z, y)
    n = z.size // z.shape[-1]
    return float(-(t * log_softmax(z)).sum() / n)


def cross_entropy_delta(z, y) -> np.ndarray:
    r"""Gradient of :func:`cross_entropy` with respect to the logits, lesson 1, eq. (1.5):

    .. math:: \frac{∂E}{∂z} = \frac{1}{N}\,(a − y), \qquad a = \operatorname{softmax}(z).

    The Russian note's ``δ = a − y``, divided by N because :func:`cross_entropy` is a mean.

    Shapes: ``z (..., K)``, ``y`` as in :func:`cross_entropy` → ``dz (..., K)``; each row sums to 0.
    """
    z = _logits(z)
    t = _targets(z, y)
    n = z.size // z.shape[-1]
    a = softmax(z)
    delta = a - t
    # Where the target is 1, a_y − 1 = −(1 − a_y): take it from the other terms, not by cancellation.
    hit = t == 1
    delta[hit] = -_one_minus_softmax(z, a)[hit]
    return delta / n
