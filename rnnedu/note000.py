r"""The German note 000's classifier read line by line: the readings and boxed results lesson 8 tests.

Lesson: ``notebooks/08_name_classifier.ipynb`` (section 3). The note defines, in column vectors,
``Y = σ(W_1(X + H) + B_1)`` and ``H = W_2(X + H) + B_2``; in our rows, with ``z = x + h``:
``o = z W_1 + b_1`` (``W_1 (V, K)``), ``h = z W_2 + b_2`` (``W_2 (V, V)``). Each function returns what a
line of the note says, so that the lesson can put it beside a finite-difference derivative or beside
the recurrence (:func:`rnnedu.charrnn.note_classifier_loss` is the corrected model).
"""

from __future__ import annotations

import numpy as np

from rnnedu._checks import as_float_array, check_shape
from rnnedu.gradcheck import numerical_gradient
from rnnedu.softmax import softmax


def fixed_point_state(W2, b2, char_id: int) -> np.ndarray:
    r"""The note's ``H = W_2(X + H) + B_2`` read literally, without a time index, lesson 8, eq. (8.8):
    one ``H`` on both sides is an equation for ``H``,

    .. math:: h = (x + h) W_2 + b_2 \iff h\,(I - W_2) = x W_2 + b_2
        \iff h = (x W_2 + b_2)(I - W_2)^{-1},

    whose solution depends on the current character ``x`` (one-hot, id ``char_id``) alone: under this
    reading the state cannot remember earlier letters. Shapes: ``W2 (V, V)``, ``b2 (V,)`` → ``h (V,)``.
    Raises ``ValueError`` when ``I − W_2`` is singular (no unique fixed point).
    """
    W2 = as_float_array(W2, "W2")
    b2 = as_float_array(b2, "b2")
    check_shape(W2, "W2", (None, None))
    V = W2.shape[0]
    if W2.shape != (V, V):
        raise ValueError(f"W2 must be square (X + H needs as many state entries as characters), got {W2.shape}")
    check_shape(b2, "b2", (V,))
    if isinstance(char_id, bool) or not isinstance(char_id, (int, np.integer)) or not 0 <= char_id < V:
        raise ValueError(f"char_id must be an integer in [0, {V}), got {char_id!r}")
    A = np.eye(V) - W2
    if np.linalg.cond(A) > 1e12:
        raise ValueError("I − W2 is (nearly) singular: H = W2(X + H) + B2 has no unique solution")
    rhs = W2[char_id] + b2  # x W2 + b2 for a one-hot x
    return np.linalg.solve(A.T, rhs)  # h A = rhs  ⇔  Aᵀ hᵀ = rhsᵀ


def _head_inputs(W1, b1, z):
    W1 = as_float_array(W1, "W1")
    b1 = as_float_array(b1, "b1")
    z = as_float_array(z, "z")
    check_shape(W1, "W1", (None, None))
    V, K = W1.shape
    check_shape(b1, "b1", (K,))
    check_shape(z, "z", (V,))
    return W1, b1, z


def box_dY_dB(W1, b1, z) -> np.ndarray:
    r"""The note's boxed ``∂Y/∂B_i = e^{u_i} / Σ_k e^{u_k}`` for every class, lesson 8, eq. (8.9):
    ``σ_i`` alone — the line above it had ``σ_i − σ_i²`` and the box drops the ``−σ_i²``.

    Here ``u = z W_1 + b_1`` and ``Y_i = softmax(u)_i`` (the note differentiates softmax, not the
    log-softmax it defined). Shapes: ``W1 (V, K)``, ``b1 (K,)``, ``z (V,)`` → ``(K,)``.
    """
    W1, b1, z = _head_inputs(W1, b1, z)
    return softmax(z @ W1 + b1)


def box_dY_dw_first(W1, b1, z) -> np.ndarray:
    r"""The note's first box ``∂Y/∂w_i = e^{u_i}(x + h)\,λ`` with ``λ = 1/S − e^{u_i}/S²``, lesson 8,
    eq. (8.10): row ``i`` is ``(σ_i − σ_i²)\,z``, the derivative of ``σ_i`` by the weights of class
    ``i`` (``W_1[:, i]`` in our rows). Shapes: ``W1 (V, K)``, ``b1 (K,)``, ``z (V,)`` → ``(K, V)``.
    """
    W1, b1, z = _head_inputs(W1, b1, z)
    s = softmax(z @ W1 + b1)
    return (s - s**2)[:, None] * z[None, :]


def box_dY_dw_second(W1, b1, z) -> np.ndarray:
    r"""The note's second box ``∂Y/∂w_i = e^{u_i} · w_i · λ · (x + H)``, lesson 8, eq. (8.10): reached
    through ``∂Y/∂H_i · ∂H_i/∂w_i``, it carries an extra factor ``w_i`` (read element-wise, the only
    reading that gives a vector of ``w_i``'s shape): row ``i`` is ``(σ_i − σ_i²)\, W_1[:, i] ⊙ z``.
    It contradicts the first box unless every weight is 1. Shapes as :func:`box_dY_dw_first`.
    """
    W1, b1, z = _head_inputs(W1, b1, z)
    return box_dY_dw_first(W1, b1, z) * W1.T


def numerical_own_class_derivatives(W1, b1, z, eps: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    r"""Central differences of each class's softmax output by its *own* parameters, lesson 8: the
    quantities the note's boxes claim,

    .. math:: \frac{∂σ_i}{∂b_{1,i}} \quad (K,), \qquad \frac{∂σ_i}{∂W_1[:, i]} \quad (K, V),

    with ``σ = softmax(z W_1 + b_1)``. Costs ``2K(V + 1)`` softmax evaluations.
    Shapes: ``W1 (V, K)``, ``b1 (K,)``, ``z (V,)`` → ``((K,), (K, V))``.
    """
    W1, b1, z = _head_inputs(W1, b1, z)
    K = W1.shape[1]
    d_b = np.empty(K)
    d_w = np.empty((K, W1.shape[0]))
    for i in range(K):
        def by_bias(bi, i=i):
            b = b1.copy()
            b[i] = bi[0]
            return softmax(z @ W1 + b)[i]

        def by_weights(wi, i=i):
            W = W1.copy()
            W[:, i] = wi
            return softmax(z @ W + b1)[i]

        d_b[i] = numerical_gradient(by_bias, b1[i:i + 1], eps=eps)[0]
        d_w[i] = numerical_gradient(by_weights, W1[:, i], eps=eps)
    return d_b, d_w
