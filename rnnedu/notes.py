r"""The source notes' formulas *as written*, mistakes included, so the lessons can test them numerically.

Each function reproduces one line of one note (``../shared/seeds/``) in our row notation, names the
note and says what is wrong with it; the lessons put each beside the correct formula and a finite-
difference check. Nothing here is for use in a model. Lessons 1 and 2 use them; the note's
original lines are quoted in the lesson beside each check, because the notes are not in a clone.
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


# --- German note 000: the softmax derivative with a weight and a bias per class (lesson 1) ----------
# Model of the note's "Notizen": one scalar input s = x + h, class i has weight w_i and bias b_i,
# logits z_i = w_i s + b_i, a = softmax(z). Shapes: w (K,), b (K,), s a number.


def _per_class(w, s, b):
    w = as_float_array(w, "w", min_ndim=1)
    b = as_float_array(b, "b", min_ndim=1)
    if w.ndim != 1 or w.shape != b.shape:
        raise ValueError(f"w and b must be vectors of the same length K, got shapes {w.shape} and {b.shape}")
    s = float(s)
    if not np.isfinite(s):
        raise ValueError(f"the input s = x + h must be finite, got {s!r}")
    return w, s, b


def note000_du_dx_as_written(w, x, h, b) -> np.ndarray:
    r"""German note (seed 000): :math:`\frac{du}{dx_i} = e^{(w_i (x+h) + b_i)} \cdot (x+h)` for
    :math:`u = e^{(w_i (x+h) + b_i)}` — lesson 1.

    The factor :math:`(x+h)` is what differentiating by the *weight* :math:`w_i` gives; by :math:`x` the
    chain rule gives :math:`e^{(\dots)} \cdot w_i`. Shapes: ``w (K,)``, ``b (K,)``, ``x, h`` numbers → ``(K,)``.
    """
    w, s, b = _per_class(w, float(x) + float(h), b)
    return np.exp(w * s + b) * s


def note000_softmax_denominator_as_written(w, s, b) -> np.ndarray:
    r"""German note (seed 000): :math:`σ_i = \frac{e^{(w_i (x+h) + b_i)}}{\sum_{k=1}^K e^{(w_i (x+h) + b_i)}}` —
    lesson 1.

    The denominator's terms carry the index ``i`` of the numerator, not the summation index ``k``, so
    all K terms are equal and :math:`σ_i = 1/K` whatever the weights. Evaluated literally.
    Shapes: ``w (K,)``, ``b (K,)``, ``s = x + h`` a number → ``(K,)``.
    """
    w, s, b = _per_class(w, s, b)
    K = w.size
    num = np.exp(w * s + b)
    den = np.array([sum(np.exp(w[i] * s + b[i]) for _k in range(K)) for i in range(K)])
    return num / den


def note000_bias_derivative_box(w, s, b) -> np.ndarray:
    r"""German note (seed 000), the boxed :math:`\frac{∂Y}{∂B_i} = \frac{e^{(w_i (x+h) + B_i)}}{\sum_k e^{(w_k (x+h) + B_k)}}`
    (the middle of the box) — lesson 1.

    The line above it is :math:`σ_i − σ_i^2`; the box keeps only :math:`σ_i`, dropping :math:`−σ_i^2`.
    (Its right-hand side :math:`e^{(\dots)}λ` *is* :math:`σ_i − σ_i^2`, so the box contradicts itself.)
    Shapes: ``w (K,)``, ``b (K,)``, ``s`` a number → ``(K,)``.
    """
    w, s, b = _per_class(w, s, b)
    return softmax(w * s + b)


def note000_weight_derivative_boxes(w, s, b) -> tuple[np.ndarray, np.ndarray]:
    r"""German note (seed 000), its two boxed values of :math:`∂Y/∂w_i` — lesson 1.

    First box: :math:`e^{(w_i(x+h)+b_i)} \cdot (x+h) \cdot λ` (= :math:`σ_i(1 − σ_i)\,s`, the diagonal
    derivative). Later box: :math:`e^{(w_i(x+H)+b_i)} \cdot w_i \cdot λ \cdot (x+H)` — an extra factor
    :math:`w_i`, from multiplying :math:`∂Y/∂H_i` (which has it) by :math:`∂H_i/∂w_i`. They agree only where
    :math:`w_i = 1`. Returns ``(first, second)``. Shapes: ``w (K,)``, ``b (K,)``, ``s`` a number → two ``(K,)``.
    """
    w, s, b = _per_class(w, s, b)
    z = w * s + b
    lam = note000_lambda(z)
    return np.exp(z) * s * lam, np.exp(z) * w * lam * s


# --- Russian note 003: the softmax-with-cross-entropy delta (lesson 1) ------------------------------


def note003_single_example_loss_as_written(z, label: int) -> float:
    r"""Russian note (seed 003), "Очевидно при одном бинарном примере" (obviously, for one example):
    :math:`E(w) = \sum_j y_j \frac{e^{u_j}}{\sum_k e^{u_k}} = \sum_j y_j a_j` — lesson 1.

    Both the ``ln`` and the minus of the cross-entropy are gone: this is the *probability* of the true
    class, and minimising it pushes that probability down. Shapes: ``z (K,)``, ``label`` an int.
    """
    z = as_float_array(z, "logits z", min_ndim=1)
    if z.ndim != 1:
        raise ValueError(f"z must be one example's logits (K,), got shape {z.shape}")
    y = as_labels(np.array([label]), "label", (1,), z.size)
    return float(softmax(z)[y[0]])


def note003_delta_as_written(z, label: int) -> np.ndarray:
    r"""Russian note (seed 003): :math:`\frac{∂E}{∂u_i} = \sum_{j=1}^K \frac{y_j e^{u_j}}{\sum_k e^{u_k}} − y_i`,
    which it then equates to :math:`\frac{e^{u_i}}{\sum_k e^{u_k}} − y_i = α_i − y_i` — lesson 1.

    With :math:`e^{u_j}` in the numerator the sum is :math:`\sum_j y_j a_j = a_c` (c the true class) for
    every ``i``, so the vector is :math:`a_c − y_i`: equal to :math:`a_i − y_i` only at ``i = c``. The
    derivative of :math:`-\ln a_c` by :math:`u_i` does produce :math:`e^{u_i}` (the :math:`y_j` sum to 1).
    Shapes: ``z (K,)``, ``label`` an int → ``(K,)``.
    """
    z = as_float_array(z, "logits z", min_ndim=1)
    if z.ndim != 1:
        raise ValueError(f"z must be one example's logits (K,), got shape {z.shape}")
    y = np.eye(z.size)[as_labels(np.array([label]), "label", (1,), z.size)[0]]
    return np.sum(y * softmax(z)) - y
