r"""The vanilla RNN: forward pass (lesson 4) and backpropagation through time (lesson 5).

Lessons: ``notebooks/04_rnn_forward.ipynb`` and ``notebooks/05_bptt.ipynb``. Sources: the Chinese
note 001 (BPTT as sums over ``k ≤ t``, the batched character model's shapes), the Russian note 002
(``∂E_3/∂W = Σ_k ∂E_3/∂ŷ_3 · ∂ŷ_3/∂s_3 · ∂s_3/∂s_k · ∂s_k/∂W``), the Chinese note 004
(``h_t = tanh(W_ih [x_t, h_{t−1}] + b)``) and the German note 000 (the linear recurrence ``X + H``).

The one notation (``rnnedu/__init__.py``), row vectors, time-major::

    a_t = x_t W_xh + h_{t-1} W_hh + b_h      (B, H)   pre-activation
    h_t = φ(a_t)                              (B, H)
    o_t = h_t W_hy + b_y                      (B, K)
    L   = −1/(T·B) Σ_t Σ_b log softmax(o_t)[b, y_t[b]]

Inputs are either dense ``xs (T, B, D)`` or token ids ``(T, B)`` with one-hot implied: then
``x_t W_xh = W_xh[ids_t]`` (a row gather, no one-hot matrix is ever built) and ``dW_xh`` is a
scatter-add of the deltas into those rows.

BPTT comes in three forms that give the same number:

* :func:`rnn_backward` — the O(T) recursion ``δ_t = (∂L/∂h_t + δ_{t+1} W_hhᵀ) ⊙ φ'(a_t)``, run once
  backward; only the ``(B, H)·(H, H)`` product sits in the time loop, the weight gradients are one
  matmul over all steps afterwards;
* :func:`bptt_contributions` / :func:`bptt_double_sum` — the notes' double sum
  ``Σ_t Σ_{k≤t} ∂L_t/∂h_t · ∂h_t/∂h_k · ∂h_k/∂W`` with explicit Jacobian products, one term per
  ``(t, k)`` (for teaching and testing: O(T²) Jacobians);
* truncation to τ steps (``truncate=τ``) keeps the terms with ``0 ≤ t − k < τ`` (Williams & Peng's
  BPTT(τ), the band of the ``(t, k)`` matrix); ``truncate=1`` is the German note's one-step gradient.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from rnnedu._checks import ForwardOverflowWarning, as_float_array, check_shape
from rnnedu.activations import ACTIVATIONS, apply_activation, derivative_from_output
from rnnedu.softmax import log_softmax

PARAM_KEYS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
RECURRENT_KEYS = ("W_xh", "W_hh", "b_h", "h0")


# --- validation -----------------------------------------------------------------------------------


def _check_activation(activation) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return activation


def _check_truncate(truncate) -> int | None:
    if truncate is None:
        return None
    if isinstance(truncate, bool) or not isinstance(truncate, (int, np.integer)) or truncate < 1:
        raise ValueError(f"truncate must be None (full BPTT) or an integer ≥ 1, got {truncate!r}")
    return int(truncate)


def _recurrent_weights(W_xh, W_hh, b_h):
    """Validate ``W_xh (D, H)``, ``W_hh (H, H)``, ``b_h (H,)``; return them in one float dtype."""
    W_xh = as_float_array(W_xh, "W_xh")
    W_hh = as_float_array(W_hh, "W_hh")
    b_h = as_float_array(b_h, "b_h")
    check_shape(W_xh, "W_xh", (None, None))
    H = W_xh.shape[1]
    check_shape(W_hh, "W_hh", (H, H))
    check_shape(b_h, "b_h", (H,))
    dtype = np.result_type(W_xh, W_hh, b_h)
    return W_xh.astype(dtype, copy=False), W_hh.astype(dtype, copy=False), b_h.astype(dtype, copy=False)


def _is_ids(x) -> bool:
    arr = np.asarray(x)
    return arr.dtype != bool and np.issubdtype(arr.dtype, np.integer)


def _inputs(xs, D: int, dtype, *, ndim_ids: int, what: str) -> tuple[np.ndarray, bool]:
    """Validate inputs: token ids (``ndim_ids`` dims, values in ``[0, D)``) or dense floats (one more
    dim, last axis ``D``). Returns the array (ids as ``intp``, dense in ``dtype``) and ``is_ids``."""
    arr = np.asarray(xs)
    if _is_ids(arr):
        if arr.ndim != ndim_ids:
            raise ValueError(f"{what} token ids must have {ndim_ids} dimension(s), got shape {arr.shape}")
        if arr.size == 0:
            raise ValueError(f"{what} is empty (shape {arr.shape}); a sequence needs T ≥ 1 steps")
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= D:
            raise ValueError(
                f"{what} token id out of range: ids must lie in [0, {D}) (D = W_xh.shape[0]), "
                f"found ids from {lo} to {hi}"
            )
        return arr.astype(np.intp, copy=False), True
    if arr.ndim != ndim_ids + 1:
        raise ValueError(
            f"{what} must be token ids with {ndim_ids} dimension(s) or dense floats with "
            f"{ndim_ids + 1}, got shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{what} is empty (shape {arr.shape}); a sequence needs T ≥ 1 steps")
    arr = as_float_array(arr, what)
    if arr.shape[-1] != D:
        raise ValueError(f"{what} has {arr.shape[-1]} features on its last axis but W_xh expects D = {D}")
    return arr.astype(dtype, copy=False), False


def _initial_state(h0, B: int, H: int, dtype) -> np.ndarray:
    if h0 is None:
        return np.zeros((B, H), dtype=dtype)
    h0 = as_float_array(h0, "h0")
    check_shape(h0, "h0", (B, H))
    return h0.astype(dtype, copy=False)


def _input_projection(xs: np.ndarray, is_ids: bool, W_xh: np.ndarray, b_h: np.ndarray) -> np.ndarray:
    """``x_t W_xh + b_h`` for every step at once: a row gather for ids, one matmul for dense."""
    if is_ids:
        # one-hot rows sum to 1, so onehot(id) W_xh + b_h = (W_xh + b_h)[id]: one gather pass
        return (W_xh + b_h)[xs]  # (T, B, H), no one-hot matrix
    out = xs @ W_xh  # (T, B, H)
    out += b_h
    return out


def _scatter_rows(ids: np.ndarray, rows: np.ndarray, D: int) -> np.ndarray:
    """``Σ_n onehot(ids_n)ᵀ rows_n``: add each row of ``rows (N, H)`` into row ``ids_n`` of a ``(D, H)``
    zero matrix. One ``np.bincount`` over flattened (id, column) indices: faster than ``np.add.at``
    (measured in ``benchmarks/bench_bptt.py``)."""
    H = rows.shape[1]
    flat = (ids.reshape(-1, 1) * H + np.arange(H)).reshape(-1)
    out = np.bincount(flat, weights=rows.reshape(-1), minlength=D * H)
    return out.reshape(D, H).astype(rows.dtype, copy=False)


# --- forward (lesson 4) ---------------------------------------------------------------------------


def rnn_step(x_t, h_prev, W_xh, W_hh, b_h, activation: str = "tanh") -> np.ndarray:
    r"""One step of the RNN, lesson 4, eq. (4.1):

    .. math:: h_t = φ(a_t), \qquad a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h .

    Shapes: ``x_t (B, D)`` dense, or token ids ``(B,)`` (one-hot implied, ``x_t W_xh = W_xh[ids]``);
    ``h_prev (B, H)``; ``W_xh (D, H)``, ``W_hh (H, H)``, ``b_h (H,)`` → ``h_t (B, H)`` in the
    parameters' dtype. ``activation`` is one of ``tanh, sigmoid, relu, identity``.

    >>> import numpy as np
    >>> rnn_step(np.array([[1.0]]), np.array([[0.5]]), np.eye(1), np.eye(1), np.zeros(1), "identity")
    array([[1.5]])
    """
    _check_activation(activation)
    W_xh, W_hh, b_h = _recurrent_weights(W_xh, W_hh, b_h)
    D, H = W_xh.shape
    x, is_ids = _inputs(x_t, D, W_xh.dtype, ndim_ids=1, what="x_t")
    h_prev = as_float_array(h_prev, "h_prev")
    check_shape(h_prev, "h_prev", (x.shape[0], H))
    xw = W_xh[x] if is_ids else x @ W_xh  # (B, H)
    return apply_activation(xw + h_prev.astype(W_xh.dtype, copy=False) @ W_hh + b_h, activation)


def _forward(xw: np.ndarray, h0: np.ndarray, W_hh: np.ndarray, activation: str) -> np.ndarray:
    """The time loop of eq. (4.2) given ``xw = x_t W_xh + b_h`` for all steps: one matmul per step."""
    T = xw.shape[0]
    hs = np.empty_like(xw)  # (T, B, H)
    h = h0
    for t in range(T):
        a = np.matmul(h, W_hh, out=hs[t])  # (B, H): h_{t-1} W_hh, written straight into hs[t]
        a += xw[t]  # + x_t W_xh + b_h
        if activation == "tanh":
            np.tanh(a, out=a)  # φ in place: no temporary in the hot loop
        elif activation != "identity":
            a[...] = apply_activation(a, activation)
        h = a
    return hs


def _report_overflow(hs: np.ndarray, activation: str, where: str = "rnn_forward") -> None:
    """Item 9 of issue 12: a forward pass that leaves the float range says where, once, instead of
    numpy's anonymous RuntimeWarnings followed by thousands of silent NaN. Costs one pass over hs."""
    finite = np.isfinite(hs).reshape(hs.shape[0], -1).all(axis=1)  # (T,)
    if finite.all():
        return
    t = int(np.argmin(finite))
    warnings.warn(
        f"overflow: {where}'s hidden state left the {hs.dtype} range at step t = {t + 1} of T = {hs.shape[0]} "
        f"(activation {activation!r}); states from there on are inf or NaN ({int((~finite).sum())} of "
        f"{hs.shape[0]} steps). An unbounded activation with ‖W_hh‖ > 1 explodes (lesson 6); "
        "use tanh, a smaller W_hh, or fewer steps",
        ForwardOverflowWarning, stacklevel=3)


def rnn_forward(xs, h0, W_xh, W_hh, b_h, activation: str = "tanh") -> np.ndarray:
    r"""The forward pass over a sequence, lesson 4, eq. (4.2): eq. (4.1) for ``t = 1 … T``,

    .. math:: h_t = φ(x_t W_{xh} + h_{t-1} W_{hh} + b_h), \qquad t = 1, \dots, T .

    The input term ``x_t W_xh + b_h`` does not depend on ``h`` and is computed for all steps at once
    before the loop; inside it there is one ``(B, H)·(H, H)`` matmul per step.

    Shapes: ``xs (T, B, D)`` dense or token ids ``(T, B)`` with values in ``[0, D)``; ``h0 (B, H)``
    or ``None`` (zeros); ``W_xh (D, H)``, ``W_hh (H, H)``, ``b_h (H,)`` → ``hs (T, B, H)`` with
    ``hs[t]`` = ``h_{t+1}`` in the 1-based notation (``h0`` is not included). The dtype follows the
    parameters: float32 weights give a float32 ``hs``.

    If the states leave the floating-point range (relu or identity with a large ``W_hh``), one
    :class:`rnnedu._checks.ForwardOverflowWarning` (a ``RuntimeWarning``) names the first step that
    overflowed; :func:`rnnedu.train.fit` reports it as a divergence.
    """
    _check_activation(activation)
    W_xh, W_hh, b_h = _recurrent_weights(W_xh, W_hh, b_h)
    D, H = W_xh.shape
    xs, is_ids = _inputs(xs, D, W_xh.dtype, ndim_ids=2, what="xs")
    h0 = _initial_state(h0, xs.shape[1], H, W_xh.dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # reported once, with the step, just below
        hs = _forward(_input_projection(xs, is_ids, W_xh, b_h), h0, W_hh, activation)
    _report_overflow(hs, activation)
    return hs


# --- backward (lesson 5) --------------------------------------------------------------------------


def _backward_checks(dhs, xs, hs, h0, W_xh, W_hh, activation, truncate):
    _check_activation(activation)
    truncate = _check_truncate(truncate)
    W_xh = as_float_array(W_xh, "W_xh")
    W_hh = as_float_array(W_hh, "W_hh")
    check_shape(W_xh, "W_xh", (None, None))
    D, H = W_xh.shape
    check_shape(W_hh, "W_hh", (H, H))
    dtype = np.result_type(W_xh, W_hh)
    hs = as_float_array(hs, "hs")
    check_shape(hs, "hs", (None, None, H))
    T, B, _ = hs.shape
    dhs = as_float_array(dhs, "dhs")
    check_shape(dhs, "dhs", (T, B, H))
    xs, is_ids = _inputs(xs, D, dtype, ndim_ids=2, what="xs")
    if xs.shape[:2] != (T, B):
        raise ValueError(f"xs has shape {xs.shape} but hs has (T, B) = {(T, B)}")
    h0 = _initial_state(h0, B, H, dtype)
    cast = lambda a: a.astype(dtype, copy=False)  # noqa: E731
    return cast(dhs), xs, is_ids, cast(hs), h0, cast(W_xh), cast(W_hh), truncate


def _weight_grads(deltas, xs, is_ids, hs, h0, D):
    """Eq. (5.2), after the time loop: every weight gradient is one matmul over all T·B rows."""
    T, B, H = deltas.shape
    d2 = deltas.reshape(T * B, H)  # (T·B, H)
    if is_ids:
        dW_xh = _scatter_rows(xs.reshape(-1), d2, D)  # (D, H): Σ onehot(x)ᵀ δ without the one-hot
    else:
        dW_xh = xs.reshape(T * B, D).T @ d2  # (D, H)
    # Σ_t h_{t-1}ᵀ δ_t: h0 pairs with δ_1, hs[:-1] with δ_2 … δ_T (no concatenated copy of hs). One
    # GEMM over a stacked (h0, hs[:-1]) saves under 2 % (measured) and changes the last bit,
    # which lessons 7 and 8's long training runs amplify into different stored outputs.
    dW_hh = h0.T @ deltas[0]  # (H, H)
    if T > 1:
        dW_hh += hs[:-1].reshape(-1, H).T @ deltas[1:].reshape(-1, H)
    return {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": d2.sum(axis=0)}


def _derivative_from_output(hs, activation, out):
    """``φ'(a_t)`` from ``h_t = φ(a_t)`` for all steps, into the buffer ``out`` (tanh: ``1 − h²``)."""
    if activation == "tanh":
        np.multiply(hs, hs, out=out)
        return np.subtract(1, out, out=out)
    out[...] = derivative_from_output(hs, activation)
    return out


def _deltas_full(dhs, hs, activation, W_hhT):
    """Eq. (5.1), run once backward: ``δ_t = (∂L/∂h_t + δ_{t+1} W_hhᵀ) ⊙ φ'(a_t)``.

    ``φ'(a_t)`` is taken from the outputs ``h_t`` for all steps at once, into the buffer that then
    receives the deltas step by step (each ``φ'(a_t)`` is read once, just before ``δ_t`` replaces it).
    The loop allocates nothing. Returns ``deltas (T, B, H)`` and ``dh0 = δ_1 W_hhᵀ``."""
    T = dhs.shape[0]
    deltas = np.empty_like(dhs)  # (T, B, H)
    dphi = _derivative_from_output(hs, activation, out=deltas)  # φ'(a_t), overwritten by δ_t below
    dh = np.zeros_like(dhs[0])  # (B, H): δ_{t+1} W_hhᵀ, zero after the last step
    for t in range(T - 1, -1, -1):
        np.add(dhs[t], dh, out=dh)  # ∂L/∂h_t = direct from the loss + δ_{t+1} W_hhᵀ through h_{t+1}
        d = np.multiply(dh, dphi[t], out=deltas[t])  # δ_t = ∂L/∂h_t ⊙ φ'(a_t)
        np.matmul(d, W_hhT, out=dh)  # δ_t W_hhᵀ = ∂L/∂h_{t−1} through h_t: the only matmul in the loop
    return deltas, dh


def _deltas_truncated(dhs, dphi, W_hhT, truncate):
    """Eq. (5.5), BPTT(τ): the signal of loss ``t`` travels back at most ``τ − 1`` steps.

    The loop runs over the lag ``j = 0 … τ−1`` (not over time): ``g[t]`` carries the signal of loss ``t``
    as it arrives at step ``t − j``; one ``(T·B, H)·(H, H)`` matmul moves all of them one step back."""
    T, B, H = dhs.shape
    deltas = np.zeros_like(dhs)
    dh0 = np.zeros_like(dhs[0])
    g = dhs.copy()  # (T, B, H): g[t] = ∂L_t/∂h_{t−j}, restricted to the path through the window
    for j in range(min(truncate, T)):
        # losses t = j … T−1 arrive at steps k = t − j = 0 … T−1−j
        gd = g[j:] * dphi[: T - j]  # (T−j, B, H): contribution of loss t to δ_{t−j}
        deltas[: T - j] += gd
        dh0 += gd[0] @ W_hhT  # loss t = j reaches h0 through step k = 0
        g = np.concatenate([g[:j], (gd.reshape(-1, H) @ W_hhT).reshape(T - j, B, H)])
    return deltas, dh0


def rnn_backward(dhs, xs, hs, h0, W_xh, W_hh, activation: str = "tanh", truncate=None) -> dict:
    r"""Backpropagation through time, lesson 5, eqs. (5.1)–(5.2) (and (5.5) when truncated).

    .. math::
        δ_t = \Big(\frac{∂L}{∂h_t}\Big|_{\text{direct}} + δ_{t+1} W_{hh}^\top\Big) ⊙ φ'(a_t), \qquad δ_{T+1} = 0
        \qquad (5.1)

    .. math::
        dW_{xh} = \sum_t x_t^\top δ_t,\quad dW_{hh} = \sum_t h_{t-1}^\top δ_t,\quad
        db_h = \sum_t \mathbf{1}^\top δ_t,\quad dh_0 = δ_1 W_{hh}^\top \qquad (5.2)

    ``dhs[t]`` is ∂L/∂h_t arriving *directly* from the output layer at step t (zeros where a step has
    no loss), so any loss head reuses this function. Only the ``(B, H)·(H, H)`` product runs inside
    the time loop; the sums of (5.2) are one matmul over all ``T·B`` rows after it. ``φ'(a_t)`` is
    taken from ``h_t`` (:func:`rnnedu.activations.derivative_from_output`), never recomputed from ``a_t``.

    ``truncate=τ`` keeps only the terms of the double sum (5.3) with ``0 ≤ t − k < τ`` (eq. (5.5)):
    ``τ = 1`` is the one-step gradient, ``τ ≥ T`` equals the full gradient. Cost O(τ) big matmuls.

    Shapes: ``dhs (T, B, H)``; ``xs (T, B, D)`` or ids ``(T, B)``; ``hs (T, B, H)`` from
    :func:`rnn_forward`; ``h0 (B, H)`` or ``None``; ``W_xh (D, H)``, ``W_hh (H, H)`` → dict with
    ``"W_xh" (D, H)``, ``"W_hh" (H, H)``, ``"b_h" (H,)``, ``"h0" (B, H)``, in the parameters' dtype.
    """
    dhs, xs, is_ids, hs, h0, W_xh, W_hh, truncate = _backward_checks(
        dhs, xs, hs, h0, W_xh, W_hh, activation, truncate
    )
    return _backward(dhs, xs, is_ids, hs, h0, W_xh, W_hh, activation, truncate)


def _backward(dhs, xs, is_ids, hs, h0, W_xh, W_hh, activation, truncate) -> dict:
    """:func:`rnn_backward` on validated arrays of one dtype."""
    W_hhT = np.ascontiguousarray(W_hh.T)  # (H, H), contiguous for the loop's matmuls
    if truncate is None:
        deltas, dh0 = _deltas_full(dhs, hs, activation, W_hhT)
    else:
        dphi = derivative_from_output(hs, activation)  # (T, B, H): φ'(a_t), all steps at once
        deltas, dh0 = _deltas_truncated(dhs, dphi, W_hhT, truncate)
    grads = _weight_grads(deltas, xs, is_ids, hs, h0, W_xh.shape[0])
    grads["h0"] = dh0
    return grads


# --- the output layer and the loss (lesson 4) -----------------------------------------------------


def init_rnn_params(D: int, H: int, K: int, rng, *, scale=None, dtype=np.float64) -> dict:
    r"""Random parameters ``W_xh (D, H)``, ``W_hh (H, H)``, ``b_h (H,)``, ``W_hy (H, K)``, ``b_y (K,)``.

    Weights are normal with standard deviation ``scale`` (default ``1/√fan_in``: ``1/√D`` for
    ``W_xh``, ``1/√H`` for ``W_hh`` and ``W_hy``); biases are zero. ``rng`` is a
    ``numpy.random.Generator``; ``dtype`` float64 or float32.
    """
    for name, v in (("D", D), ("H", H), ("K", K)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (np.random.default_rng(seed))")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    if scale is not None and (isinstance(scale, (bool, np.bool_)) or not isinstance(scale, (int, float, np.integer, np.floating))
                              or not (np.isfinite(scale) and scale > 0)):
        raise ValueError(f"scale must be a positive number or None, got {scale!r}")

    def w(n_in, n_out):
        s = scale if scale is not None else 1.0 / np.sqrt(n_in)
        return (s * rng.standard_normal((n_in, n_out))).astype(dtype)

    return {
        "W_xh": w(D, H),
        "W_hh": w(H, H),
        "b_h": np.zeros(H, dtype=dtype),
        "W_hy": w(H, K),
        "b_y": np.zeros(K, dtype=dtype),
    }


def _check_params(params) -> dict:
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict with keys {', '.join(PARAM_KEYS)}")
    missing = [k for k in PARAM_KEYS if k not in params]
    if missing:
        raise ValueError(f"params is missing {', '.join(missing)} (needs {', '.join(PARAM_KEYS)})")
    W_xh, W_hh, b_h = _recurrent_weights(params["W_xh"], params["W_hh"], params["b_h"])
    H = W_xh.shape[1]
    W_hy = as_float_array(params["W_hy"], "W_hy")
    check_shape(W_hy, "W_hy", (H, None))
    b_y = as_float_array(params["b_y"], "b_y")
    check_shape(b_y, "b_y", (W_hy.shape[1],))
    dtype = np.result_type(W_xh, W_hy, b_y)
    return {k: v.astype(dtype, copy=False) for k, v in zip(PARAM_KEYS, (W_xh, W_hh, b_h, W_hy, b_y))}


def rnn_loss_and_grads(params, X, Y, h0=None, activation: str = "tanh", truncate=None):
    r"""Mean cross-entropy of a sequence model and its gradients, lesson 4, eqs. (4.3)–(4.4) with
    BPTT (lesson 5):

    .. math::
        o_t = h_t W_{hy} + b_y \quad (4.3), \qquad
        L = -\frac{1}{TB} \sum_{t=1}^{T} \sum_{b=1}^{B} \log \operatorname{softmax}(o_t)_{b,\,y_{t,b}} \quad (4.4)

    The output layer is applied to all steps at once (one ``(T·B, H)·(H, K)`` matmul); its delta is
    ``(softmax(o) − onehot(y)) / (T·B)`` (lesson 1, eq. (1.5)); ``dhs = δ^o W_hyᵀ`` feeds
    :func:`rnn_backward`.

    Shapes: ``params`` dict ``W_xh (D, H)``, ``W_hh (H, H)``, ``b_h (H,)``, ``W_hy (H, K)``, ``b_y (K,)``;
    ``X`` token ids ``(T, B)`` in ``[0, D)`` or dense ``(T, B, D)``; ``Y`` labels ``(T, B)`` in ``[0, K)``
    (time-major, like ``X``: labels stored ``(B, T)`` must be transposed first); ``h0 (B, H)`` or
    ``None``. Returns ``(loss, grads)``: a Python float and a dict with the five parameter keys plus
    ``"h0"``, each of that quantity's shape, in the parameters' dtype.
    """
    _check_activation(activation)
    truncate = _check_truncate(truncate)
    p = _check_params(params)
    D, H = p["W_xh"].shape
    K = p["W_hy"].shape[1]
    dtype = p["W_xh"].dtype
    X, is_ids = _inputs(X, D, dtype, ndim_ids=2, what="X")
    T, B = X.shape[:2]
    Yi = _labels(Y, T, B, K)
    h0 = _initial_state(h0, B, H, dtype)

    hs = _forward(_input_projection(X, is_ids, p["W_xh"], p["b_h"]), h0, p["W_hh"], activation)
    loss, dhs, head = _head(hs, p["W_hy"], p["b_y"], Yi)
    grads = _backward(dhs, X, is_ids, hs, h0, p["W_xh"], p["W_hh"], activation, truncate)
    grads.update(head)
    return loss, {k: grads[k] for k in (*PARAM_KEYS, "h0")}


def _head(hs, W_hy, b_y, y_flat):
    """Eqs. (4.3)–(4.4) and their gradients on validated arrays; ``y_flat (T·B,)`` time-major.

    Softmax and cross-entropy fused in one ``(T·B, K)`` buffer: the logits are shifted by their row
    maximum (softmax is shift invariant), exponentiated in place, and that buffer becomes
    ``δ^o = (softmax(o) − onehot(y)) / (T·B)``. The loss is ``log Σ_k e^{o_k} − o_y`` with
    ``log Σ = log1p(rest)``, ``rest`` the sum of the exponentials other than the largest (which is
    exactly 1): accurate when one class takes almost all the probability (as :func:`log_softmax`)."""
    T, B, H = hs.shape
    N = T * B
    h2 = hs.reshape(N, H)  # (T·B, H)
    rows = np.arange(N)
    o = np.matmul(h2, W_hy)  # (T·B, K): logits o_t = h_t W_hy + b_y, every step at once
    o += b_y
    top = o.argmax(axis=1)  # the largest logit of each row
    o -= o[rows, top][:, None]  # shifted logits: the largest is exactly 0
    o_y = o[rows, y_flat]  # the target's shifted logit
    e = np.exp(o, out=o)  # (T·B, K), in place; e[rows, top] == 1
    e[rows, top] = 0
    rest = e.sum(axis=1)  # Σ_k e^{o_k} − 1, without rounding the small terms away
    e[rows, top] = 1
    loss = float((np.log1p(rest) - o_y).sum() / N)  # −mean log softmax(o)_y
    e *= (1 / (N * (1 + rest)))[:, None]  # softmax(o) / N
    e[rows, y_flat] -= 1 / N
    do = e  # δ^o = (ŷ − y)/N
    dhs = (do @ W_hy.T).reshape(T, B, H)  # ∂L/∂h_t, direct
    return loss, dhs, {"W_hy": h2.T @ do, "b_y": do.sum(axis=0)}


def cross_entropy_head(hs, W_hy, b_y, Y):
    r"""The output layer and the mean cross-entropy over all steps, lesson 4, eqs. (4.3)–(4.4), with
    their gradients: ``o_t = h_t W_hy + b_y``, ``L = −1/(TB) Σ log softmax(o_t)[y_t]``,
    ``δ^o = (softmax(o) − onehot(y))/(TB)``, ``∂L/∂h_t = δ^o_t W_hyᵀ``.

    Returns ``(loss, dhs, grads)``: a float, ``dhs (T, B, H)`` (ready for :func:`rnn_backward`) and a
    dict ``{"W_hy": (H, K), "b_y": (K,)}``. Shapes: ``hs (T, B, H)``, ``W_hy (H, K)``, ``b_y (K,)``,
    ``Y (T, B)`` labels in ``[0, K)``.
    """
    hs = as_float_array(hs, "hs")
    check_shape(hs, "hs", (None, None, None))
    T, B, H = hs.shape
    W_hy = as_float_array(W_hy, "W_hy")
    check_shape(W_hy, "W_hy", (H, None))
    b_y = as_float_array(b_y, "b_y")
    check_shape(b_y, "b_y", (W_hy.shape[1],))
    Y = _labels(Y, T, B, W_hy.shape[1])
    dtype = np.result_type(hs, W_hy, b_y)
    return _head(hs.astype(dtype, copy=False), W_hy.astype(dtype, copy=False), b_y.astype(dtype, copy=False), Y)


def _labels(Y, T, B, K):
    Yarr = np.asarray(Y)
    if Yarr.shape != (T, B):
        hint = " (labels stored (B, T)? pass Y.T)" if Yarr.shape == (B, T) and T != B else ""
        raise ValueError(f"Y has shape {Yarr.shape} but X has (T, B) = {(T, B)}; they must match{hint}")
    if Yarr.dtype == bool or not np.issubdtype(Yarr.dtype, np.integer):
        raise ValueError(f"Y must hold integer class labels, got dtype {Yarr.dtype}")
    if Yarr.min() < 0 or Yarr.max() >= K:
        raise ValueError(
            f"Y label out of range: labels must lie in [0, {K}) (K = W_hy.shape[1]), "
            f"found labels from {int(Yarr.min())} to {int(Yarr.max())}"
        )
    return Yarr.astype(np.intp, copy=False).reshape(-1)


# --- the double sum behind BPTT (lesson 5) --------------------------------------------------------


def hidden_jacobians(hs, W_hh, activation: str = "tanh") -> np.ndarray:
    r"""The one-step Jacobians ``∂h_t/∂h_{t−1}``, lesson 5, eq. (5.4):

    .. math:: \frac{∂h_t}{∂h_{t-1}} = \operatorname{diag}(φ'(a_t))\, W_{hh}^\top ,
        \qquad \Big[\frac{∂h_t}{∂h_{t-1}}\Big]_{mi} = φ'(a_t)_m\, (W_{hh})_{im} .

    Rows index ``h_t``, columns ``h_{t−1}`` (the usual Jacobian layout), so a row gradient moves one
    step back as ``g_{t−1} = g_t · ∂h_t/∂h_{t−1}``. In the Chinese note's scalar form this is ``σ' w``;
    for vectors it is a different matrix at every step, not a power of one matrix.

    Shapes: ``hs (T, B, H)``, ``W_hh (H, H)`` → ``(T, B, H, H)``: one matrix per step and example.
    """
    _check_activation(activation)
    hs = as_float_array(hs, "hs")
    W_hh = as_float_array(W_hh, "W_hh")
    check_shape(hs, "hs", (None, None, None))
    H = hs.shape[2]
    check_shape(W_hh, "W_hh", (H, H))
    dphi = derivative_from_output(hs, activation)  # (T, B, H)
    return dphi[..., :, None] * W_hh.T  # (T, B, H, H)


def truncation_mask(T: int, truncate=None) -> np.ndarray:
    r"""Which ``(t, k)`` terms BPTT(τ) keeps, lesson 5, eq. (5.5): ``0 ≤ t − k < τ`` (all ``k ≤ t``
    when ``truncate`` is None). Shapes: → bool ``(T, T)``, rows ``t`` (loss step), columns ``k``."""
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be a positive integer, got {T!r}")
    truncate = _check_truncate(truncate)
    lag = np.arange(T)[:, None] - np.arange(T)[None, :]  # t − k
    return (lag >= 0) & (lag < (T if truncate is None else truncate))


@dataclass(frozen=True)
class BPTTContributions:
    r"""The terms of the double sum (5.3), one per loss step ``t`` and parameter step ``k ≤ t``.

    ``terms[name][t, k]`` is ``∂L_t/∂h_t · ∂h_t/∂h_k · ∂h_k/∂name`` (zero for ``k > t``), with
    ``name`` in ``W_xh (T, T, D, H)``, ``W_hh (T, T, H, H)``, ``b_h (T, T, H)``; ``h0_terms[t]`` is
    loss ``t``'s gradient for the initial state, ``(T, B, H)``.
    """

    terms: dict
    h0_terms: np.ndarray

    @property
    def T(self) -> int:
        return self.h0_terms.shape[0]

    def total(self, truncate=None) -> dict:
        r"""Sum the kept terms (eq. (5.3), or (5.5) with ``truncate``): a dict like :func:`rnn_backward`."""
        mask = truncation_mask(self.T, truncate)
        out = {name: np.tensordot(mask.astype(c.dtype), c, axes=([0, 1], [0, 1])) for name, c in self.terms.items()}
        out["h0"] = np.tensordot(mask[:, 0].astype(self.h0_terms.dtype), self.h0_terms, axes=(0, 0))
        return out

    def norms(self, name: str = "W_hh") -> np.ndarray:
        r"""Frobenius norm of each term: the ``(T, T)`` heatmap (rows ``t``, columns ``k``; 0 above the diagonal)."""
        if name not in self.terms:
            raise ValueError(f"unknown parameter {name!r}; choose one of {', '.join(self.terms)}")
        c = self.terms[name]
        return np.sqrt((c.reshape(self.T, self.T, -1) ** 2).sum(axis=2))


def bptt_contributions(dhs, xs, hs, h0, W_xh, W_hh, activation: str = "tanh") -> BPTTContributions:
    r"""Every term of the notes' double sum, lesson 5, eq. (5.3), with explicit Jacobian products:

    .. math::
        \frac{∂L}{∂W} = \sum_{t=1}^{T} \sum_{k=1}^{t}
        \frac{∂L_t}{∂h_t}\, \frac{∂h_t}{∂h_k}\, \frac{∂^{+} h_k}{∂W}, \qquad
        \frac{∂h_t}{∂h_k} = \prod_{j=t}^{k+1} \frac{∂h_j}{∂h_{j-1}} \quad \text{(eq. (5.4))}

    where ``∂⁺h_k/∂W`` is the *immediate* dependence of ``h_k`` on ``W`` (``h_{k−1}`` held fixed):
    for ``W_hh`` the term is ``h_{k−1}ᵀ (g_k ⊙ φ'(a_k))`` with ``g_k = ∂L_t/∂h_t · ∂h_t/∂h_k``. This
    is the Chinese note 001's and the Russian note 002's formula, written for vectors and a batch.
    It builds ``(B, H, H)`` Jacobian products for every ``(t, k)``: O(T² B H³), for small teaching
    sizes and for tests; :func:`rnn_backward` gives the same sum in O(T B H²).

    Shapes: as :func:`rnn_backward` → :class:`BPTTContributions` (``.total()`` sums it).
    """
    dhs, xs, is_ids, hs, h0, W_xh, W_hh, _ = _backward_checks(dhs, xs, hs, h0, W_xh, W_hh, activation, None)
    T, B, H = hs.shape
    D = W_xh.shape[0]
    J = hidden_jacobians(hs, W_hh, activation)  # (T, B, H, H): ∂h_j/∂h_{j−1}
    dphi = derivative_from_output(hs, activation)  # (T, B, H)
    h_prev = np.concatenate([h0[None], hs[:-1]])  # (T, B, H): h_{k−1}
    x_rows = (np.eye(D, dtype=hs.dtype)[xs] if is_ids else xs)  # (T, B, D): fine at teaching sizes
    c_xh = np.zeros((T, T, D, H), dtype=hs.dtype)
    c_hh = np.zeros((T, T, H, H), dtype=hs.dtype)
    c_b = np.zeros((T, T, H), dtype=hs.dtype)
    c_h0 = np.zeros((T, B, H), dtype=hs.dtype)
    eye = np.broadcast_to(np.eye(H, dtype=hs.dtype), (B, H, H))
    for t in range(T):
        P = eye  # ∂h_t/∂h_k, starting at k = t
        for k in range(t, -1, -1):
            g = np.einsum("bi,bij->bj", dhs[t], P)  # ∂L_t/∂h_t · ∂h_t/∂h_k   (B, H)
            local = g * dphi[k]  # through a_k                               (B, H)
            c_xh[t, k] = x_rows[k].T @ local  # ∂⁺a_k/∂W_xh
            c_hh[t, k] = h_prev[k].T @ local  # ∂⁺a_k/∂W_hh
            c_b[t, k] = local.sum(axis=0)  # ∂⁺a_k/∂b_h
            P = P @ J[k]  # ∂h_t/∂h_{k−1}
        c_h0[t] = np.einsum("bi,bij->bj", dhs[t], P)  # ∂L_t/∂h_t · ∂h_t/∂h_0
    return BPTTContributions({"W_xh": c_xh, "W_hh": c_hh, "b_h": c_b}, c_h0)


def bptt_double_sum(dhs, xs, hs, h0, W_xh, W_hh, activation: str = "tanh", truncate=None) -> dict:
    r"""BPTT as the explicit double sum, lesson 5, eq. (5.3) (eq. (5.5) with ``truncate``):
    ``Σ_t Σ_{k≤t} ∂L_t/∂h_t · ∂h_t/∂h_k · ∂⁺h_k/∂W``. Equal to :func:`rnn_backward` (the recursion)
    to rounding; O(T²) Jacobian products. Shapes and result as :func:`rnn_backward`."""
    return bptt_contributions(dhs, xs, hs, h0, W_xh, W_hh, activation).total(truncate)


# --- the notes' models as special cases (lessons 4–5) ---------------------------------------------


def split_concatenated_weights(w_ih, D: int):
    r"""The Chinese note 004's ``h_t = tanh(w_ih [x_t, h_{t−1}] + b_ih)`` in our notation, lesson 4,
    eq. (4.5):

    .. math:: w_{ih}\begin{bmatrix} x_t \\ h_{t-1}\end{bmatrix}
        = \big(x_t W_{xh} + h_{t-1} W_{hh}\big)^\top, \qquad
        w_{ih}^\top = \begin{bmatrix} W_{xh} \\ W_{hh} \end{bmatrix}

    (column vectors in the note, rows here). Shapes: ``w_ih (H, D + H)`` → ``W_xh (D, H)``,
    ``W_hh (H, H)``.
    """
    w_ih = as_float_array(w_ih, "w_ih")
    check_shape(w_ih, "w_ih", (None, None))
    H = w_ih.shape[0]
    if isinstance(D, bool) or not isinstance(D, (int, np.integer)) or D < 1:
        raise ValueError(f"D must be a positive integer, got {D!r}")
    if w_ih.shape[1] != D + H:
        raise ValueError(f"w_ih has shape {w_ih.shape}, expected (H, D + H) = ({H}, {D + H})")
    W = w_ih.T  # (D + H, H)
    return W[:D].copy(), W[D:].copy()


def concatenated_step(x_t, h_prev, w_ih, b_ih) -> np.ndarray:
    r"""The Chinese note 004's step as written, lesson 4, eq. (4.5): ``h_t = tanh(w_ih xc_t + b_ih)``
    with ``xc_t = [x_t, h_{t−1}]``, for a batch of row vectors: ``tanh([x_t, h_{t−1}] w_ihᵀ + b_ih)``.

    Shapes: ``x_t (B, D)``, ``h_prev (B, H)``, ``w_ih (H, D + H)``, ``b_ih (H,)`` → ``(B, H)``.
    """
    x_t = as_float_array(x_t, "x_t")
    h_prev = as_float_array(h_prev, "h_prev")
    w_ih = as_float_array(w_ih, "w_ih")
    check_shape(x_t, "x_t", (None, None))
    check_shape(h_prev, "h_prev", (x_t.shape[0], None))
    check_shape(w_ih, "w_ih", (h_prev.shape[1], x_t.shape[1] + h_prev.shape[1]))
    xc = np.concatenate([x_t, h_prev], axis=1)  # (B, D + H)
    return np.tanh(xc @ w_ih.T + b_ih)


def sum_recurrence_params(W2, B2) -> dict:
    r"""The German note 000's hidden update ``H = W_2 (X + H) + B_2`` in our notation, lesson 4,
    eq. (4.6): a *linear* RNN (``activation="identity"``) whose two weight matrices are tied,

    .. math:: h_t = (x_t + h_{t-1}) W_2^\top + B_2
        \;\Longrightarrow\; W_{xh} = W_{hh} = W_2^\top,\quad b_h = B_2 .

    ``X + H`` only makes sense when the input and the hidden state have the same length (D = H).
    Shapes: ``W2 (H, H)``, ``B2 (H,)`` → dict ``W_xh (H, H)``, ``W_hh (H, H)``, ``b_h (H,)``.
    """
    W2 = as_float_array(W2, "W2")
    B2 = as_float_array(B2, "B2")
    check_shape(W2, "W2", (None, None))
    if W2.shape[0] != W2.shape[1]:
        raise ValueError(f"W2 has shape {W2.shape}; X + H needs D = H, so W2 must be square")
    check_shape(B2, "B2", (W2.shape[0],))
    return {"W_xh": W2.T.copy(), "W_hh": W2.T.copy(), "b_h": B2.copy()}


def truncated_window_loss(params, X, Y, h0=None, activation: str = "tanh", truncate: int = 1, *, hs_frozen=None) -> float:
    r"""The function whose exact gradient BPTT(τ) computes, lesson 5, eq. (5.6):

    .. math:: \tilde L(θ) = \frac{1}{TB} \sum_{t} \ell_t\big(θ;\ \bar h_{t-τ}\big),

    where loss ``ℓ_t`` is computed from the state ``h̄_{t−τ}`` *frozen* at the value of the forward
    pass with the current parameters (``hs_frozen``), run forward τ steps with parameters θ. For
    ``t < τ`` the window starts at the (not frozen) ``h0``. At ``θ = θ₀`` it equals the loss; its
    gradient there is ``rnn_loss_and_grads(..., truncate=τ)`` — which is how the tests check
    truncation against finite differences. O(T·τ) steps: for teaching sizes.

    Shapes: as :func:`rnn_loss_and_grads`; ``hs_frozen (T, B, H)`` from :func:`rnn_forward` at θ₀.
    """
    _check_activation(activation)
    truncate = _check_truncate(truncate)
    if truncate is None:
        raise ValueError("truncate must be an integer ≥ 1 here (the full loss is rnn_loss_and_grads)")
    p = _check_params(params)
    D, H = p["W_xh"].shape
    X, is_ids = _inputs(X, D, p["W_xh"].dtype, ndim_ids=2, what="X")
    T, B = X.shape[:2]
    Y = _labels(Y, T, B, p["W_hy"].shape[1]).reshape(T, B)  # negative ids must not wrap to class K − 1
    h0 = _initial_state(h0, B, H, p["W_xh"].dtype)
    hs_frozen = as_float_array(hs_frozen, "hs_frozen")
    check_shape(hs_frozen, "hs_frozen", (T, B, H))
    xw = _input_projection(X, is_ids, p["W_xh"], p["b_h"])  # (T, B, H)
    total = 0.0
    for t in range(T):
        start = max(t - truncate + 1, 0)  # first step inside the window
        h_in = h0 if start == 0 else hs_frozen[start - 1]
        h_t = _forward(xw[start : t + 1], h_in, p["W_hh"], activation)[-1]  # (B, H)
        logp = log_softmax(h_t @ p["W_hy"] + p["b_y"])  # (B, K)
        total -= logp[np.arange(B), Y[t]].sum()
    return float(total / (T * B))


@dataclass(frozen=True)
class BPTTTrace:
    r"""A record of one backward pass for stepping through it (lesson 5's stepper).

    ``deltas[t]`` is ``δ_t`` (eq. (5.1)); ``running_W_hh[i]`` is ``Σ_{s ≥ T−1−i} h_{s−1}ᵀ δ_s``, the
    ``dW_hh`` accumulated after ``i + 1`` backward steps (``running_W_hh[-1]`` is the full ``dW_hh``);
    ``dh_next[t]`` is ``δ_{t+1} W_hhᵀ``, the part of ``∂L/∂h_t`` that arrives from the future.
    """

    deltas: np.ndarray  # (T, B, H)
    dh_next: np.ndarray  # (T, B, H)
    running_W_hh: np.ndarray  # (T, H, H), in backward order

    @property
    def T(self) -> int:
        return self.deltas.shape[0]


def bptt_trace(dhs, xs, hs, h0, W_xh, W_hh, activation: str = "tanh") -> BPTTTrace:
    r"""Run eq. (5.1) backward and keep every intermediate, lesson 5: ``δ_t``, ``δ_{t+1} W_hhᵀ`` and the
    running ``dW_hh = Σ_{s ≥ t} h_{s−1}ᵀ δ_s`` after each backward step (a cumulative sum of the
    per-step terms of eq. (5.2)). For display: :func:`rnn_backward` does not store these.

    Shapes: as :func:`rnn_backward` → :class:`BPTTTrace`.
    """
    dhs, xs, is_ids, hs, h0, W_xh, W_hh, _ = _backward_checks(dhs, xs, hs, h0, W_xh, W_hh, activation, None)
    deltas, _ = _deltas_full(dhs, hs, activation, np.ascontiguousarray(W_hh.T))
    dh_next = np.zeros_like(deltas)
    dh_next[:-1] = deltas[1:] @ W_hh.T  # (T−1, B, H)
    h_prev = np.concatenate([h0[None], hs[:-1]])  # (T, B, H)
    per_step = np.einsum("tbi,tbj->tij", h_prev, deltas)  # (T, H, H): h_{t−1}ᵀ δ_t
    return BPTTTrace(deltas, dh_next, np.cumsum(per_step[::-1], axis=0))
