r"""The source notes' formulas *as written*, mistakes included, so the lessons can test them numerically.

Each function reproduces one line of one note (``../shared/seeds/``) in our row notation, names the
note and says what is wrong with it; the lessons put each beside the correct formula and a finite-
difference check. Nothing here is for use in a model. Lesson 1 uses the first five.
"""

from __future__ import annotations

import numpy as np

from rnnedu._checks import as_float_array, as_labels
from rnnedu.softmax import log_softmax, softmax


def note000_lambda(z) -> np.ndarray:
    r"""German note (seed 000), its helper :math:`λ_i = \frac{1}{S} − \frac{e^{z_i}}{S^2}`, :math:`S = \sum_k e^{z_k}`.

    Correct as far as it goes: :math:`e^{z_i} λ_i = a_i − a_i^2 = a_i(1 − a_i)`, the *diagonal* of the
    softmax Jacobian. Computed with raw exponentials, as written. Shapes: ``z (K,)`` → ``(K,)``.
    """
    z = as_float_array(z, "logits z", min_ndim=1)
    e = np.exp(z)
    s = e.sum(axis=-1, keepdims=True)
    return 1 / s - e / s**2


def note000_jacobian_diagonal_only(z) -> np.ndarray:
    r"""German note (seed 000): the softmax derivative as ``diag(σ_i − σ_i²)`` — the cross terms
    :math:`∂σ_i/∂z_j = −σ_i σ_j` (``i ≠ j``) are never written. Shapes: ``z (K,)`` → ``(K, K)``."""
    a = softmax(z)
    return np.diag(a * (1 - a))


def note000_bias_derivative_as_written(w, s, b) -> np.ndarray:
    r"""German note (seed 000), boxed :math:`∂Y/∂B_i = e^{(W_i (x+H) \cdot B_i)} \cdot λ` — with ``·`` where
    ``+`` is meant in the exponent. Scalar input ``s = x + H``, per-class weights ``w (K,)`` and
    biases ``b (K,)``; logits :math:`z_i = w_i s + b_i`. The correct value is :math:`a_i(1 − a_i)`.
    """
    w = as_float_array(w, "w", min_ndim=1)
    b = as_float_array(b, "b", min_ndim=1)
    z = w * float(s) + b
    return np.exp(w * float(s) * b) * note000_lambda(z)


def note000_loss(z, y, n: int) -> float:
    r"""German note (seed 000): :math:`J = \big(\sum_{i=1}^{N} σ_{y_i}\big) / n` with σ the log-softmax and
    ``n`` the number of characters (or categories), minimised by gradient descent.

    Two mistakes: it is the mean log-*likelihood* (maximise it, or minimise its negative), and it is
    divided by ``n`` instead of the number of examples N, so its size — and the effective learning
    rate — changes with the batch size. Shapes: ``z (N, K)``, ``y (N,)``.
    """
    z = as_float_array(z, "logits z", min_ndim=2)
    y = as_labels(y, "labels y", z.shape[:-1], z.shape[-1])
    return float(np.take_along_axis(log_softmax(z), y[:, None], axis=-1).sum() / n)


def note003_loss_without_log(z, y) -> float:
    r"""Russian note (seed 003), two lines of the cross-entropy with the ``ln`` dropped:
    :math:`E = −\frac{1}{N}\sum_n \sum_j y_j^{(n)} a_j^{(n)}` — minus the mean *probability* of the true
    class, not of its log. Shapes: ``z (N, K)``, ``y (N,)`` labels."""
    z = as_float_array(z, "logits z", min_ndim=2)
    y = as_labels(y, "labels y", z.shape[:-1], z.shape[-1])
    return float(-np.take_along_axis(softmax(z), y[:, None], axis=-1).mean())


def note003_softmax_diagonal_as_written(z) -> np.ndarray:
    r"""Russian note (seed 003): :math:`∂α_i/∂u_i = \frac{e^{u_i} \sum_k e^{u_k} (e^{u_i})^2}{(\sum_k e^{u_k})^2}`
    — the minus between the two products is missing (it should read
    :math:`e^{u_i}\sum_k e^{u_k} − (e^{u_i})^2`, giving :math:`α_i(1 − α_i)`). Evaluated literally with raw
    exponentials. Shapes: ``z (K,)`` → ``(K,)``."""
    z = as_float_array(z, "logits z", min_ndim=1)
    e = np.exp(z)
    s = e.sum(axis=-1, keepdims=True)
    return e * s * e**2 / s**2
