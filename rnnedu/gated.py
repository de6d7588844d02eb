r"""A gated recurrent unit (GRU, Cho et al. 2014) with a hand-derived backward pass, lesson 7.

Row vectors as everywhere in rnnedu (``x_t (B, D)``, ``h_t (B, H)``), d2l's gate convention
(``z_t`` close to 1 *keeps* the old state):

.. math::
    z_t &= σ(x_t W_{xz} + h_{t-1} W_{hz} + b_z)                       && \text{update gate (7.10)}\\
    r_t &= σ(x_t W_{xr} + h_{t-1} W_{hr} + b_r)                       && \text{reset gate (7.11)}\\
    \tilde h_t &= \tanh(x_t W_{xh} + (r_t ⊙ h_{t-1}) W_{hh} + b_h)    && \text{candidate (7.12)}\\
    h_t &= z_t ⊙ h_{t-1} + (1 − z_t) ⊙ \tilde h_t                     && \text{new state (7.13)}

Why it helps (lesson 7, eq. (7.14)): the Jacobian of one step contains the *additive* term
``diag(z_t)``, so ``∂h_t/∂h_{t-1}`` stays close to the identity wherever the gate is near 1 — no
product of ``tanh'`` factors and ``W_hh`` has to survive the trip back in time.

Parameters ``W_xz, W_xr, W_xh (D, H)``; ``W_hz, W_hr, W_hh (H, H)``; ``b_z, b_r, b_h (H,)``.
Inputs are dense ``xs (T, B, D)`` or token ids ``(T, B)`` (one-hot implied, ``x_t W = W[ids]``).
What is left out: an output layer (the loss heads in :mod:`rnnedu.tasks` add one), dropout, layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from rnnedu._checks import as_float_array, check_rng, check_shape, finite_number, positive_int
from rnnedu.activations import apply_activation
from rnnedu.decay import init_recurrent

GRU_KEYS = ("W_xz", "W_xr", "W_xh", "W_hz", "W_hr", "W_hh", "b_z", "b_r", "b_h")

__all__ = ["GRU_KEYS", "GRUCache", "gru_backward", "gru_forward", "gru_jacobian_norms", "gru_step_jacobians",
           "init_gru_params"]


@dataclass(frozen=True)
class GRUCache:
    """Everything :func:`gru_backward` needs, by name. All sequences are time-major ``(T, B, H)``.

    ``xs`` the input as given (dense ``(T, B, D)`` or ids ``(T, B)``), ``h0 (B, H)``, ``hs`` the states
    ``h_1 … h_T``, ``zs``, ``rs`` the gates, ``cands`` the candidates :math:`\\tilde h_t`, ``params``
    the parameters used: a read-only mapping of read-only *copies*, so an optimiser step on the
    caller's arrays between forward and backward does not change the gradient :func:`gru_backward`
    computes (the backward pass belongs to the forward pass that made the cache). ``xs`` and ``h0``
    are copies too.
    """

    xs: np.ndarray
    h0: np.ndarray
    hs: np.ndarray
    zs: np.ndarray
    rs: np.ndarray
    cands: np.ndarray
    params: dict

    @property
    def h_prev(self) -> np.ndarray:
        """``h_0 … h_{T-1}`` stacked, ``(T, B, H)``."""
        return np.concatenate([self.h0[None], self.hs[:-1]], axis=0)


def _check_params(params) -> tuple[int, int]:
    if not hasattr(params, "keys") or not hasattr(params, "__getitem__"):
        raise ValueError(f"GRU params must be a dict with keys {', '.join(GRU_KEYS)}, got {type(params).__name__}")
    missing = [k for k in GRU_KEYS if k not in params]
    if missing:
        raise ValueError(f"GRU params lack {', '.join(missing)} (need {', '.join(GRU_KEYS)})")
    W_xz = as_float_array(params["W_xz"], "W_xz", min_ndim=2)
    check_shape(W_xz, "W_xz", (None, None))
    D, H = W_xz.shape
    for k in ("W_xr", "W_xh"):
        check_shape(as_float_array(params[k], k), k, (D, H))
    for k in ("W_hz", "W_hr", "W_hh"):
        check_shape(as_float_array(params[k], k), k, (H, H))
    for k in ("b_z", "b_r", "b_h"):
        check_shape(as_float_array(params[k], k), k, (H,))
    return D, H


def _input_projection(xs, W: np.ndarray) -> np.ndarray:
    """``x_t W`` for every step at once: ``(T, B, D) @ (D, n)`` or ``W[ids]`` for ids ``(T, B)``."""
    if np.issubdtype(xs.dtype, np.integer):
        return W[xs]
    return xs @ W


def _check_inputs(xs, D: int):
    xs = np.asarray(xs)
    if xs.dtype == bool or xs.dtype.kind not in "iuf":
        raise ValueError(f"xs must be dense floats (T, B, D) or integer ids (T, B), got dtype {xs.dtype}")
    if xs.size == 0 or xs.ndim < 2 or xs.shape[0] == 0:
        raise ValueError(f"xs must be a non-empty sequence (T, B, D) or ids (T, B), got shape {xs.shape}")
    if np.issubdtype(xs.dtype, np.integer):
        if xs.ndim != 2:
            raise ValueError(f"xs: token ids must have shape (T, B), got {xs.shape} (dense inputs must be floats)")
        if xs.min() < 0 or xs.max() >= D:
            raise ValueError(f"xs: token ids must lie in [0, {D}); found {int(xs.min())} … {int(xs.max())}")
        return xs
    xs = as_float_array(xs, "xs")
    check_shape(xs, "xs", (None, None, D))
    return xs


def gru_forward(xs, h0, params) -> tuple[np.ndarray, GRUCache]:
    r"""Run the GRU over a sequence, lesson 7, eqs. (7.10)–(7.13).

    .. math:: h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ \tanh(x_t W_{xh} + (r_t ⊙ h_{t-1}) W_{hh} + b_h)

    Shapes: ``xs (T, B, D)`` or ids ``(T, B)``, ``h0 (B, H)`` → ``hs (T, B, H)`` (``h_1 … h_T``) and a
    :class:`GRUCache`. The input projections of all steps are computed before the time loop.
    """
    D, H = _check_params(params)
    xs = _check_inputs(xs, D)
    T, B = xs.shape[:2]
    h0 = as_float_array(h0, "h0")
    check_shape(h0, "h0", (B, H))
    p = {}
    for k in GRU_KEYS:  # private read-only copies (see GRUCache)
        p[k] = np.array(as_float_array(params[k], k), copy=True)
        p[k].flags.writeable = False
    xs = np.array(xs, copy=True)
    xs.flags.writeable = False
    h0 = np.array(h0, copy=True)
    h0.flags.writeable = False
    W_x = np.concatenate([p["W_xz"], p["W_xr"], p["W_xh"]], axis=1)           # (D, 3H)
    b = np.concatenate([p["b_z"], p["b_r"], p["b_h"]])                         # (3H,)
    W_gates = np.concatenate([p["W_hz"], p["W_hr"]], axis=1)                   # (H, 2H)
    W_hh = p["W_hh"]
    ax = _input_projection(xs, W_x) + b                                        # (T, B, 3H)
    dtype = np.result_type(ax.dtype, h0.dtype)
    hs = np.empty((T, B, H), dtype=dtype)
    zs = np.empty_like(hs)
    rs = np.empty_like(hs)
    cands = np.empty_like(hs)
    h = h0
    for t in range(T):
        g = apply_activation(ax[t, :, :2 * H] + h @ W_gates, "sigmoid")      # (B, 2H)
        z, r = g[:, :H], g[:, H:]
        c = np.tanh(ax[t, :, 2 * H:] + (r * h) @ W_hh)                       # (B, H)
        h = z * h + (1.0 - z) * c                                              # (B, H)
        hs[t], zs[t], rs[t], cands[t] = h, z, r, c
    return hs, GRUCache(xs=xs, h0=h0, hs=hs, zs=zs, rs=rs, cands=cands, params=MappingProxyType(p))


def _check_cache(cache) -> GRUCache:
    if not isinstance(cache, GRUCache):
        raise ValueError(f"cache must be the GRUCache that gru_forward returned, got {type(cache).__name__}")
    return cache


def gru_backward(dhs, cache: GRUCache) -> dict:
    r"""Backpropagation through time for the GRU, lesson 7, eqs. (7.15)–(7.18), derived by hand.

    With :math:`δ_t = ∂L/∂h_t` (the direct term ``dhs[t]`` plus what flows back from step t+1):

    .. math::
        \frac{∂L}{∂\tilde h_t} &= δ_t ⊙ (1 − z_t), \qquad
        \frac{∂L}{∂z_t} = δ_t ⊙ (h_{t-1} − \tilde h_t) && (7.15)\\
        g^{h}_t &= \frac{∂L}{∂\tilde h_t} ⊙ (1 − \tilde h_t^{2}), \quad
        g^{z}_t = \frac{∂L}{∂z_t} ⊙ z_t(1 − z_t) && (7.16)\\
        g^{r}_t &= \big[(g^{h}_t W_{hh}^{⊤}) ⊙ h_{t-1}\big] ⊙ r_t(1 − r_t) && (7.17)\\
        δ_{t-1} &\mathrel{+}= δ_t ⊙ z_t + (g^{h}_t W_{hh}^{⊤}) ⊙ r_t + g^{z}_t W_{hz}^{⊤} + g^{r}_t W_{hr}^{⊤} && (7.18)

    and, summed over all steps after the loop, ``dW_xz = Σ_t x_tᵀ g^z_t``, ``dW_hz = Σ_t h_{t-1}ᵀ g^z_t``,
    ``dW_hh = Σ_t (r_t ⊙ h_{t-1})ᵀ g^h_t``, ``db_z = Σ_t Σ_b g^z_t`` (likewise for r and h).

    Shapes: ``dhs (T, B, H)``, ∂L/∂h_t arriving directly from the loss (zeros where a step has none).
    Returns a dict with the keys of :data:`GRU_KEYS` plus ``"h0"``, each of that array's shape.
    """
    hs, zs, rs, cands = _check_cache(cache).hs, cache.zs, cache.rs, cache.cands
    T, B, H = hs.shape
    dhs = as_float_array(dhs, "dhs")
    check_shape(dhs, "dhs", (T, B, H))
    p = cache.params
    h_prev = cache.h_prev                                                       # (T, B, H)
    W_gates_T = np.concatenate([p["W_hz"], p["W_hr"]], axis=1).T               # (2H, H)
    W_hh_T = p["W_hh"].T
    g_all = np.empty((T, B, 3 * H), dtype=np.result_type(dhs.dtype, hs.dtype))  # [g^z, g^r, g^h]
    dh = np.zeros((B, H), dtype=g_all.dtype)
    for t in range(T - 1, -1, -1):
        dh = dh + dhs[t]                                                        # δ_t
        z, r, c, hp = zs[t], rs[t], cands[t], h_prev[t]
        gh = dh * (1.0 - z) * (1.0 - c * c)                                     # (7.15)–(7.16)
        gz = dh * (hp - c) * z * (1.0 - z)
        drh = gh @ W_hh_T                                                       # ∂L/∂(r ⊙ h_{t-1})
        gr = drh * hp * r * (1.0 - r)                                           # (7.17)
        g_all[t, :, :H], g_all[t, :, H:2 * H], g_all[t, :, 2 * H:] = gz, gr, gh
        dh = dh * z + drh * r + g_all[t, :, :2 * H] @ W_gates_T                 # (7.18) → δ_{t-1}
    # The sums over all T·B rows, one contraction each. einsum rather than `A.T @ B`: these are thin
    # matrices with a long inner dimension, for which OpenBLAS wakes its worker threads; on a busy
    # machine that wake-up cost ~90 ms per call against ~0.4 ms for einsum's single-threaded loop.
    flat = g_all.reshape(T * B, 3 * H)
    xs = cache.xs
    D = p["W_xz"].shape[0]
    if np.issubdtype(xs.dtype, np.integer):
        dW_x = np.zeros((D, 3 * H), dtype=flat.dtype)
        np.add.at(dW_x, xs.reshape(-1), flat)
    else:
        dW_x = np.einsum("ni,nj->ij", xs.reshape(T * B, -1), flat)               # (D, 3H)
    dW_gates = np.einsum("ni,nj->ij", h_prev.reshape(T * B, H), flat[:, :2 * H])  # (H, 2H)
    dW_hh = np.einsum("ni,nj->ij", (rs * h_prev).reshape(T * B, H), flat[:, 2 * H:])  # (H, H)
    db = flat.sum(axis=0)
    return {
        "W_xz": dW_x[:, :H], "W_xr": dW_x[:, H:2 * H], "W_xh": dW_x[:, 2 * H:],
        "W_hz": dW_gates[:, :H], "W_hr": dW_gates[:, H:], "W_hh": dW_hh,
        "b_z": db[:H], "b_r": db[H:2 * H], "b_h": db[2 * H:],
        "h0": dh,
    }


def gru_step_jacobians(cache: GRUCache) -> np.ndarray:
    r"""The one-step Jacobians :math:`J_t = ∂h_t/∂h_{t-1}` of a GRU run, lesson 7, eq. (7.14).

    Entry ``(i, j)`` is ``∂h_{t,i}/∂h_{t−1,j}``, the orientation of lesson 6's eq. (6.2)
    (``diag(φ'(a_t)) W_hhᵀ`` for the vanilla RNN), so ``∂h_T/∂h_k = J_T ⋯ J_{k+1}`` as in eq. (6.3):

    .. math::
        J_t = \underbrace{\mathrm{diag}(z_t)}_{\text{additive path}}
            + \mathrm{diag}\big(z_t(1 − z_t)(h_{t-1} − \tilde h_t)\big) W_{hz}^{\top}
            + \mathrm{diag}\big((1 − z_t)(1 − \tilde h_t^{2})\big) W_{hh}^{\top}
              \big[\mathrm{diag}(r_t) + \mathrm{diag}\big(r_t(1 − r_t)\,h_{t-1}\big) W_{hr}^{\top}\big]

    With ``z_t ≈ 1`` the first term dominates and ``J_t ≈ I``: the gradient passes unchanged.
    Shapes: → ``(T, B, H, H)``; ``J[t, b]`` belongs to step ``t + 1`` of example ``b``.
    """
    zs, rs, cands = _check_cache(cache).zs, cache.rs, cache.cands              # (T, B, H)
    p = cache.params
    hp = cache.h_prev
    H = zs.shape[-1]
    eye = np.eye(H)
    row = lambda v: v[..., :, None]                                             # diag(v) @ M  # noqa: E731
    keep = eye * row(zs)                                                        # diag(z_t)
    via_z = row(zs * (1.0 - zs) * (hp - cands)) * p["W_hz"].T
    into_cand = eye * row(rs) + row(rs * (1.0 - rs) * hp) * p["W_hr"].T        # ∂(r ⊙ h_{t-1})/∂h_{t-1}
    via_cand = row((1.0 - zs) * (1.0 - cands * cands)) * (p["W_hh"].T @ into_cand)
    return keep + via_z + via_cand


def gru_jacobian_norms(cache: GRUCache, example: int = 0) -> np.ndarray:
    r"""The GRU's decay profile, lesson 7, eq. (7.14) put into lesson 6's eq. (6.4):
    :math:`n_k = ‖∂h_T/∂h_k‖_2 = ‖J_T ⋯ J_{k+1}‖_2` for ``k = 0 … T`` (``n_T = 1``), for one example.

    Plain float products (a GRU's Jacobians are bounded, nothing overflows at lesson sizes); the
    spectral norms of all ``T + 1`` products in one batched call. Shapes: → ``(T + 1,)``.
    """
    T, B, H = _check_cache(cache).hs.shape
    if isinstance(example, bool) or not isinstance(example, (int, np.integer)) or not 0 <= example < B:
        raise ValueError(f"example must be an index in [0, {B}), got {example!r}")
    J = gru_step_jacobians(cache)[:, example]                                    # (T, H, H)
    prods = np.empty((T + 1, H, H))
    prods[T] = np.eye(H)
    for k in range(T - 1, -1, -1):                                               # ∂h_T/∂h_k = ∂h_T/∂h_{k+1} J_{k+1}
        prods[k] = prods[k + 1] @ J[k]
    return np.linalg.norm(prods, ord=2, axis=(1, 2))


def init_gru_params(D: int, H: int, rng: np.random.Generator, *, scale: float | None = None,
                    gate_bias: float = 1.0, dtype=np.float64) -> dict:
    """GRU parameters: input weights ``N(0, scale²)`` with ``scale = 1/√D``, recurrent weights
    orthogonal, ``b_z = gate_bias`` (start by *keeping* the state: ``z ≈ σ(1) ≈ 0.73``), other biases 0.
    """
    D = positive_int(D, "D")
    H = positive_int(H, "H")
    rng = check_rng(rng)
    s = 1.0 / np.sqrt(D) if scale is None else finite_number(scale, "scale", positive=True)
    gate_bias = finite_number(gate_bias, "gate_bias")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")

    def orth():
        return init_recurrent(H, rng, "orthogonal")                            # lesson 6, eq. (6.8)

    params = {
        "W_xz": rng.normal(0.0, s, (D, H)), "W_xr": rng.normal(0.0, s, (D, H)),
        "W_xh": rng.normal(0.0, s, (D, H)),
        "W_hz": orth(), "W_hr": orth(), "W_hh": orth(),
        "b_z": np.full(H, float(gate_bias)), "b_r": np.zeros(H), "b_h": np.zeros(H),
    }
    return {k: v.astype(dtype) for k, v in params.items()}
