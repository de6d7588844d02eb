r"""The long short-term memory cell (LSTM, Hochreiter and Schmidhuber 1997, with the forget gate of Gers,
Schmidhuber and Cummins 2000) and its hand-derived backward pass, lesson 7.

Row vectors as everywhere in rnnedu (``x_t (B, D)``, ``h_t, c_t (B, H)``), gates ``i, f, g, o``:

.. math::
    i_t &= σ(x_t W_{xi} + h_{t-1} W_{hi} + b_i)          && \text{input gate (7.19)}\\
    f_t &= σ(x_t W_{xf} + h_{t-1} W_{hf} + b_f)          && \text{forget gate (7.20)}\\
    g_t &= \tanh(x_t W_{xg} + h_{t-1} W_{hg} + b_g)      && \text{candidate (7.21)}\\
    o_t &= σ(x_t W_{xo} + h_{t-1} W_{ho} + b_o)          && \text{output gate (7.22)}\\
    c_t &= f_t ⊙ c_{t-1} + i_t ⊙ g_t                     && \text{cell (7.23)}\\
    h_t &= o_t ⊙ \tanh(c_t)                               && \text{output (7.24)}

Why it helps (lesson 7, eq. (7.29)): along the cell, ``∂c_t/∂c_{t-1} = diag(f_t)`` — no weight matrix,
no ``tanh'`` — so the part of the gradient that travels on the cell is ``Π_j f_j``, the *constant error
carousel*: it stays near 1 as long as the forget gates stay open. A forget-gate bias ``b_f > 0`` opens
them at initialisation (:func:`init_lstm_params`).

Parameters ``W_xi, W_xf, W_xg, W_xo (D, H)``; ``W_hi, W_hf, W_hg, W_ho (H, H)``; ``b_i, b_f, b_g, b_o (H,)``.
Inputs are dense ``xs (T, B, D)`` or token ids ``(T, B)`` (one-hot implied, ``x_t W = W[ids]``).
The state is the pair ``(h_t, c_t)``; lesson 6's decay profile for the LSTM is taken over that pair,
a ``2H``-vector ``s_t = [h_t, c_t]`` (:func:`lstm_step_jacobians`).
Left out: peepholes, an output layer (the loss heads in :mod:`rnnedu.tasks` add one), layers, dropout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnedu._checks import as_float_array, check_shape
from rnnedu.gated import _check_inputs  # the same xs rules as the GRU: dtype, ids, shape
from rnnedu.activations import apply_activation
from rnnedu.decay import init_recurrent

GATES = ("i", "f", "g", "o")
LSTM_KEYS = tuple(f"W_x{q}" for q in GATES) + tuple(f"W_h{q}" for q in GATES) + tuple(f"b_{q}" for q in GATES)

__all__ = ["GATES", "LSTMCache", "LSTM_KEYS", "carousel_product", "init_lstm_params", "lstm_backward",
           "lstm_forward", "lstm_jacobian_norms", "lstm_step_jacobians"]


@dataclass(frozen=True)
class LSTMCache:
    """Everything :func:`lstm_backward` needs, by name. Sequences are time-major ``(T, B, H)``.

    ``xs`` the input as given (dense ``(T, B, D)`` or ids ``(T, B)``), ``h0, c0 (B, H)``, ``hs``, ``cs``
    the states ``h_1 … h_T``, ``c_1 … c_T``, ``i, f, g, o`` the gate values, ``params`` the parameters used.
    """

    xs: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    hs: np.ndarray
    cs: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    params: dict

    @property
    def h_prev(self) -> np.ndarray:
        """``h_0 … h_{T-1}`` stacked, ``(T, B, H)``."""
        return np.concatenate([self.h0[None], self.hs[:-1]], axis=0)

    @property
    def c_prev(self) -> np.ndarray:
        """``c_0 … c_{T-1}`` stacked, ``(T, B, H)``."""
        return np.concatenate([self.c0[None], self.cs[:-1]], axis=0)


def _check_params(params) -> tuple[int, int]:
    if not isinstance(params, dict):
        raise ValueError(f"LSTM params must be a dict with the keys {', '.join(LSTM_KEYS)}")
    missing = [k for k in LSTM_KEYS if k not in params]
    if missing:
        raise ValueError(f"LSTM params lack {', '.join(missing)} (need {', '.join(LSTM_KEYS)})")
    W_xi = as_float_array(params["W_xi"], "W_xi", min_ndim=2)
    if W_xi.ndim != 2:
        raise ValueError(f"W_xi must be a (D, H) matrix, got shape {W_xi.shape}")
    D, H = W_xi.shape
    for q in GATES:
        check_shape(as_float_array(params[f"W_x{q}"], f"W_x{q}"), f"W_x{q}", (D, H))
        check_shape(as_float_array(params[f"W_h{q}"], f"W_h{q}"), f"W_h{q}", (H, H))
        check_shape(as_float_array(params[f"b_{q}"], f"b_{q}"), f"b_{q}", (H,))
    return D, H


def _state(v, name: str, B: int, H: int) -> np.ndarray:
    if v is None:
        return np.zeros((B, H))
    v = as_float_array(v, name)
    check_shape(v, name, (B, H))
    return v


def lstm_forward(xs, h0, c0, params) -> tuple[np.ndarray, LSTMCache]:
    r"""Run the LSTM over a sequence, lesson 7, eqs. (7.19)–(7.24).

    .. math::
        [a^i_t, a^f_t, a^g_t, a^o_t] = x_t [W_{xi}, W_{xf}, W_{xg}, W_{xo}] + h_{t-1}[W_{hi}, W_{hf}, W_{hg}, W_{ho}] + b,\\
        c_t = σ(a^f_t) ⊙ c_{t-1} + σ(a^i_t) ⊙ \tanh(a^g_t), \qquad h_t = σ(a^o_t) ⊙ \tanh(c_t)

    Shapes: ``xs (T, B, D)`` or ids ``(T, B)``; ``h0, c0 (B, H)`` (``None`` means zeros) →
    ``hs (T, B, H)`` (``h_1 … h_T``) and an :class:`LSTMCache` (which holds ``cs``). The input
    projections of all steps are one matmul before the time loop.
    """
    D, H = _check_params(params)
    xs = _check_inputs(xs, D)
    T, B = xs.shape[:2]
    h0 = _state(h0, "h0", B, H)
    c0 = _state(c0, "c0", B, H)
    p = {k: np.asarray(params[k]) for k in LSTM_KEYS}
    W_x = np.concatenate([p[f"W_x{q}"] for q in GATES], axis=1)               # (D, 4H)
    W_h = np.concatenate([p[f"W_h{q}"] for q in GATES], axis=1)               # (H, 4H)
    b = np.concatenate([p[f"b_{q}"] for q in GATES])                           # (4H,)
    ax = (W_x[xs] if np.issubdtype(xs.dtype, np.integer) else xs @ W_x) + b   # (T, B, 4H)
    dtype = np.result_type(ax.dtype, h0.dtype, c0.dtype)
    hs, cs = np.empty((T, B, H), dtype=dtype), np.empty((T, B, H), dtype=dtype)
    gi, gf, gg, go = (np.empty((T, B, H), dtype=dtype) for _ in GATES)
    h, c = h0, c0
    for t in range(T):
        a = ax[t] + h @ W_h                                                    # (B, 4H)
        sig = apply_activation(a, "sigmoid")                                  # (7.19), (7.20), (7.22)
        i, f, o = sig[:, :H], sig[:, H:2 * H], sig[:, 3 * H:]
        g = np.tanh(a[:, 2 * H:3 * H])                                         # (7.21)
        c = f * c + i * g                                                      # (7.23)
        h = o * np.tanh(c)                                                     # (7.24)
        hs[t], cs[t], gi[t], gf[t], gg[t], go[t] = h, c, i, f, g, o
    return hs, LSTMCache(xs=xs, h0=h0, c0=c0, hs=hs, cs=cs, i=gi, f=gf, g=gg, o=go, params=p)


def lstm_backward(dhs, cache: LSTMCache, dcs=None) -> dict:
    r"""Backpropagation through time for the LSTM, lesson 7, eqs. (7.25)–(7.28), derived by hand.

    With :math:`δ^h_t = ∂L/∂h_t` (``dhs[t]`` plus what flows back from step t+1) and :math:`δ^c_t` the
    gradient that reaches :math:`c_t` (``dcs[t]``, usually 0, plus the carousel from step t+1):

    .. math::
        δ^c_t &\mathrel{+}= δ^h_t ⊙ o_t ⊙ (1 − \tanh^2 c_t) && (7.25)\\
        g^o_t &= δ^h_t ⊙ \tanh c_t ⊙ o_t(1 − o_t),\quad g^i_t = δ^c_t ⊙ g_t ⊙ i_t(1 − i_t),\\
        g^f_t &= δ^c_t ⊙ c_{t-1} ⊙ f_t(1 − f_t),\quad g^g_t = δ^c_t ⊙ i_t ⊙ (1 − g_t^2) && (7.26)\\
        δ^h_{t-1} &\mathrel{+}= g^i_t W_{hi}^⊤ + g^f_t W_{hf}^⊤ + g^g_t W_{hg}^⊤ + g^o_t W_{ho}^⊤ && (7.27)\\
        δ^c_{t-1} &\mathrel{+}= δ^c_t ⊙ f_t \quad\text{(the constant error carousel)} && (7.28)

    and, summed over all steps after the loop, ``dW_xq = Σ_t x_tᵀ g^q_t``, ``dW_hq = Σ_t h_{t-1}ᵀ g^q_t``,
    ``db_q = Σ_t Σ_b g^q_t`` for each gate ``q ∈ {i, f, g, o}``.

    Shapes: ``dhs (T, B, H)``, ∂L/∂h_t arriving directly from the loss (zeros where a step has none);
    ``dcs (T, B, H)`` or ``None``, ∂L/∂c_t arriving directly. Returns a dict with every key of
    :data:`LSTM_KEYS` plus ``"h0"`` and ``"c0"``, each of that array's shape.
    """
    hs, cs = cache.hs, cache.cs
    T, B, H = hs.shape
    dhs = as_float_array(dhs, "dhs")
    check_shape(dhs, "dhs", (T, B, H))
    if dcs is not None:
        dcs = as_float_array(dcs, "dcs")
        check_shape(dcs, "dcs", (T, B, H))
    p = cache.params
    W_h_T = np.concatenate([p[f"W_h{q}"] for q in GATES], axis=1).T          # (4H, H)
    h_prev, c_prev = cache.h_prev, cache.c_prev                                # (T, B, H)
    tanh_c = np.tanh(cs)
    dtype = np.result_type(dhs.dtype, hs.dtype)
    g_all = np.empty((T, B, 4 * H), dtype=dtype)                               # [g^i, g^f, g^g, g^o]
    dh = np.zeros((B, H), dtype=dtype)
    dc = np.zeros((B, H), dtype=dtype)
    for t in range(T - 1, -1, -1):
        dh = dh + dhs[t]                                                       # δ^h_t
        i, f, g, o = cache.i[t], cache.f[t], cache.g[t], cache.o[t]
        dc = dc + dh * o * (1.0 - tanh_c[t] ** 2)                              # (7.25)
        if dcs is not None:
            dc = dc + dcs[t]
        g_all[t, :, :H] = dc * g * i * (1.0 - i)                               # (7.26)
        g_all[t, :, H:2 * H] = dc * c_prev[t] * f * (1.0 - f)
        g_all[t, :, 2 * H:3 * H] = dc * i * (1.0 - g * g)
        g_all[t, :, 3 * H:] = dh * tanh_c[t] * o * (1.0 - o)
        dh = g_all[t] @ W_h_T                                                  # (7.27) → δ^h_{t-1}
        dc = dc * f                                                            # (7.28) → δ^c_{t-1}
    flat = g_all.reshape(T * B, 4 * H)
    xs = cache.xs
    D = p["W_xi"].shape[0]
    if np.issubdtype(xs.dtype, np.integer):
        dW_x = np.zeros((D, 4 * H), dtype=dtype)
        np.add.at(dW_x, xs.reshape(-1), flat)
    else:
        dW_x = np.einsum("ni,nj->ij", xs.reshape(T * B, -1), flat)             # (D, 4H)
    dW_h = np.einsum("ni,nj->ij", h_prev.reshape(T * B, H), flat)              # (H, 4H)
    db = flat.sum(axis=0)                                                      # (4H,)
    grads = {}
    for n, q in enumerate(GATES):
        cols = slice(n * H, (n + 1) * H)
        grads[f"W_x{q}"], grads[f"W_h{q}"], grads[f"b_{q}"] = dW_x[:, cols], dW_h[:, cols], db[cols]
    grads["h0"], grads["c0"] = dh, dc
    return grads


def lstm_step_jacobians(cache: LSTMCache) -> np.ndarray:
    r"""The one-step Jacobians of the LSTM's state :math:`s_t = [h_t, c_t]`, lesson 7, eq. (7.29).

    Entry ``(i, j)`` is ``∂s_{t,i}/∂s_{t−1,j}`` (lesson 6's orientation, eq. (6.2)), in ``H × H`` blocks:

    .. math::
        \frac{∂c_t}{∂c_{t-1}} &= \mathrm{diag}(f_t) \quad\text{(the carousel: no } W\text{, no } \tanh'\text{)}\\
        \frac{∂c_t}{∂h_{t-1}} &= \mathrm{diag}(c_{t-1} f_t(1−f_t)) W_{hf}^⊤ + \mathrm{diag}(g_t i_t(1−i_t)) W_{hi}^⊤
                                + \mathrm{diag}(i_t(1−g_t^2)) W_{hg}^⊤\\
        \frac{∂h_t}{∂c_{t-1}} &= \mathrm{diag}(o_t(1−\tanh^2 c_t))\,\mathrm{diag}(f_t)\\
        \frac{∂h_t}{∂h_{t-1}} &= \mathrm{diag}(\tanh c_t\, o_t(1−o_t)) W_{ho}^⊤ + \mathrm{diag}(o_t(1−\tanh^2 c_t))\frac{∂c_t}{∂h_{t-1}}

    Shapes: → ``(T, B, 2H, 2H)``; ``J[t, b]`` belongs to step ``t + 1`` of example ``b``; rows and
    columns ``0 … H−1`` are ``h``, ``H … 2H−1`` are ``c``.
    """
    p = cache.params
    T, B, H = cache.hs.shape
    i, f, g, o = cache.i, cache.f, cache.g, cache.o
    tc = np.tanh(cache.cs)
    row = lambda v: v[..., :, None]                                            # diag(v) @ M  # noqa: E731
    dc_dh = (row(cache.c_prev * f * (1 - f)) * p["W_hf"].T + row(g * i * (1 - i)) * p["W_hi"].T
             + row(i * (1 - g * g)) * p["W_hg"].T)                             # (T, B, H, H)
    dc_dc = np.eye(H) * row(f)
    out = row(o * (1 - tc * tc))                                               # ∂h_t/∂c_t as a row scale
    J = np.empty((T, B, 2 * H, 2 * H), dtype=np.result_type(cache.hs.dtype, np.float64))
    J[:, :, :H, :H] = row(tc * o * (1 - o)) * p["W_ho"].T + out * dc_dh
    J[:, :, :H, H:] = out * dc_dc
    J[:, :, H:, :H] = dc_dh
    J[:, :, H:, H:] = dc_dc
    return J


def lstm_jacobian_norms(cache: LSTMCache, example: int = 0) -> np.ndarray:
    r"""The LSTM's decay profile over its whole state, lesson 6, eq. (6.4) with :math:`s_t = [h_t, c_t]`:
    :math:`n_k = ‖∂s_T/∂s_k‖_2 = ‖J_T ⋯ J_{k+1}‖_2` for ``k = 0 … T`` (``n_T = 1``), one example.

    Plain float products (the LSTM's Jacobians are bounded; nothing overflows at lesson sizes), the
    ``T + 1`` spectral norms in one batched call. Shapes: → ``(T + 1,)``.
    """
    T, B, H = cache.hs.shape
    if isinstance(example, bool) or not isinstance(example, (int, np.integer)) or not 0 <= example < B:
        raise ValueError(f"example must be an index in [0, {B}), got {example!r}")
    J = lstm_step_jacobians(cache)[:, example]                                  # (T, 2H, 2H)
    prods = np.empty((T + 1, 2 * H, 2 * H))
    prods[T] = np.eye(2 * H)
    for k in range(T - 1, -1, -1):                                              # ∂s_T/∂s_k = ∂s_T/∂s_{k+1} J_{k+1}
        prods[k] = prods[k + 1] @ J[k]
    return np.linalg.norm(prods, ord=2, axis=(1, 2))


def carousel_product(cache: LSTMCache) -> np.ndarray:
    r"""The constant error carousel, lesson 7, eq. (7.29): the cell-to-cell part of ``∂c_T/∂c_k``,

    .. math:: \Big(\frac{∂c_T}{∂c_k}\Big)_{\text{cell path}} = \prod_{j=k+1}^{T} \mathrm{diag}(f_j),

    exact when the gates do not see ``h`` (``W_h* = 0``), and otherwise the path that needs no weight
    matrix. Shapes: → ``(T + 1, B, H)``, entry ``[k, b]`` the diagonal for lag ``T − k`` (``[T] = 1``).
    """
    f = cache.f                                                                 # (T, B, H)
    T = f.shape[0]
    out = np.ones((T + 1,) + f.shape[1:])
    for k in range(T - 1, -1, -1):
        out[k] = out[k + 1] * f[k]
    return out


def init_lstm_params(D: int, H: int, rng: np.random.Generator, *, scale: float | None = None,
                     forget_bias: float = 1.0, dtype=np.float64) -> dict:
    r"""LSTM parameters, lesson 7: input weights ``N(0, scale²)`` with ``scale = 1/√D``, recurrent
    weights orthogonal (lesson 6, eq. (6.8)), ``b_f = forget_bias``, other biases 0.

    The forget-gate bias (Gers et al. 2000; Jozefowicz, Zaremba and Sutskever 2015) opens the carousel
    at initialisation: ``f ≈ σ(b_f)``, so ``Π f_j ≈ σ(b_f)^{T−k}`` (eq. (7.30)); ``b_f = 1`` gives
    ``0.73`` per step, ``b_f = 3`` gives ``0.95``. Shapes: ``W_x* (D, H)``, ``W_h* (H, H)``, ``b_* (H,)``.
    """
    for name, v in (("D", D), ("H", H)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be an integer ≥ 1, got {v!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy Generator (np.random.default_rng(seed))")
    s = 1.0 / np.sqrt(D) if scale is None else float(scale)
    if not (np.isfinite(s) and s > 0):
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    if not np.isfinite(float(forget_bias)):
        raise ValueError(f"forget_bias must be finite, got {forget_bias!r}")
    params = {}
    for q in GATES:
        params[f"W_x{q}"] = rng.normal(0.0, s, (D, H))
    for q in GATES:
        params[f"W_h{q}"] = init_recurrent(int(H), rng, "orthogonal")
    for q in GATES:
        params[f"b_{q}"] = np.full(H, float(forget_bias)) if q == "f" else np.zeros(H)
    return {k: v.astype(dtype) for k, v in params.items()}
