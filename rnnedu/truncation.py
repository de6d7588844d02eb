r"""Truncated BPTT completed: the bias of fixed truncation and randomised truncation (lesson 5, section 6).

Lesson: ``notebooks/05_bptt.ipynb``. Notation of lesson 5: ``a_t = x_t W_xh + h_{t-1} W_hh + b_h``,
``h_t = φ(a_t)``, ``δ_t = ∂L/∂a_t`` ``(B, H)``, time-major arrays, token ids ``(T, B)`` or inputs ``(T, B, D)``.

Fixed truncation, BPTT(τ) (eq. (5.5), ``rn.rnn_backward(..., truncate=τ)``), drops every term of the
double sum (5.3) whose lag ``t − k`` is ``τ`` or more. The dropped terms are always the same, so the
error is a **bias**: averaging many truncated gradients does not remove it. :func:`truncation_bias`
measures it against full BPTT.

Randomised truncation (Tallec and Ollivier, "Unbiasing truncated backpropagation through time", 2017;
d2l.ai, section "Backpropagation Through Time", *randomized truncation*) cuts the backward chain at
random places instead and scales what survives so that nothing is lost on average. Each backward step
``h_j → h_{j-1}`` gets a weight

.. math:: ξ_j = \begin{cases} 1/π & \text{with probability } π \\ 0 & \text{with probability } 1 − π \end{cases},
          \qquad E[ξ_j] = 1, \tag{5.7}

independently, and the recursion (5.1) becomes

.. math:: δ_t = \Big(\frac{∂L}{∂h_t}\Big|_\text{direct} + ξ_{t+1}\, δ_{t+1} W_{hh}^\top\Big) ⊙ φ'(a_t),
          \qquad t = T, …, 1,\quad ξ_{T+1} δ_{T+1} = 0,

with ``dh_0 = δ_1 W_hhᵀ`` unweighted: ``h_0`` acts at step 1 like a weight, its immediate effect is
always kept. There are ``T − 1`` weights ``ξ_2 … ξ_T``. Term ``(t, k)`` of (5.3) is then multiplied by :math:`\prod_{j=k+1}^{t} ξ_j`, whose expectation is 1:
the estimate is **unbiased**, :math:`E_ξ[g_ξ] = ∂L/∂θ`, at the price of variance. A chain survives
``m`` steps with probability :math:`π^m`, so on average it runs about :math:`π/(1−π)` steps back.

For one draw of ``ξ`` the estimate is the exact gradient of a surrogate loss (:func:`scaled_path_loss`,
eq. (5.8)), in which the state handed to step ``j`` is :math:`\bar h_{j-1} + ξ_j (h_{j-1}(θ) − \bar h_{j-1})`
with :math:`\bar h` frozen at the current parameters: the same value as ``h_{j-1}``, its derivative
scaled by ``ξ_j``. That makes the estimator checkable by finite differences.
"""

from __future__ import annotations

import numpy as np

from rnnedu.activations import ACTIVATIONS, derivative_from_output
from rnnedu.gradcheck import relative_error
from rnnedu.rnn import cross_entropy_head, rnn_backward, rnn_step

__all__ = [
    "draw_truncation_weights",
    "randomized_truncation_mean",
    "rnn_backward_weighted",
    "scaled_path_loss",
    "truncation_bias",
]


def _check_keep(keep) -> float:
    if isinstance(keep, bool) or not isinstance(keep, (int, float, np.floating, np.integer)):
        raise ValueError(f"keep must be a probability in (0, 1], got {keep!r}")
    keep = float(keep)
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep must be a probability in (0, 1] (the chance a backward step survives), got {keep!r}")
    return keep


def draw_truncation_weights(T: int, keep: float, rng) -> np.ndarray:
    r"""One draw of the weights ξ of eq. (5.7), lesson 5: ``xi[j]`` is :math:`ξ_{j+2}`, the weight of the
    backward step from ``h_{j+2}`` to ``h_{j+1}`` (1-based steps; ``T − 1`` of them).

    Each entry is ``1/keep`` with probability ``keep`` and 0 otherwise, so every entry has mean 1.
    ``keep = 1`` gives all ones (full BPTT). Shapes: → ``(T − 1,)`` float64.
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be a positive integer (the number of steps), got {T!r}")
    keep = _check_keep(keep)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    return np.where(rng.random(int(T) - 1) < keep, 1.0 / keep, 0.0)


def _arrays(dhs, xs, hs, h0, W_xh, W_hh, activation):
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    dhs = np.asarray(dhs, dtype=np.float64)
    hs = np.asarray(hs, dtype=np.float64)
    W_xh = np.asarray(W_xh, dtype=np.float64)
    W_hh = np.asarray(W_hh, dtype=np.float64)
    if hs.ndim != 3:
        raise ValueError(f"hs must be (T, B, H), got shape {hs.shape}")
    T, B, H = hs.shape
    if dhs.shape != hs.shape:
        raise ValueError(f"dhs has shape {dhs.shape} but hs has {hs.shape}; they must match")
    if W_hh.shape != (H, H) or W_xh.ndim != 2 or W_xh.shape[1] != H:
        raise ValueError(f"W_xh must be (D, {H}) and W_hh ({H}, {H}); got {W_xh.shape} and {W_hh.shape}")
    xs = np.asarray(xs)
    is_ids = np.issubdtype(xs.dtype, np.integer)
    if is_ids:
        if xs.shape != (T, B):
            raise ValueError(f"token ids must be (T, B) = ({T}, {B}), got {xs.shape}")
        if xs.min() < 0 or xs.max() >= W_xh.shape[0]:
            raise ValueError(f"token ids must lie in [0, {W_xh.shape[0]})")
    elif xs.shape != (T, B, W_xh.shape[0]):
        raise ValueError(f"inputs must be (T, B, D) = ({T}, {B}, {W_xh.shape[0]}), got {xs.shape}")
    h0 = np.zeros((B, H)) if h0 is None else np.asarray(h0, dtype=np.float64)
    if h0.shape != (B, H):
        raise ValueError(f"h0 must be (B, H) = ({B}, {H}), got {h0.shape}")
    return dhs, xs, is_ids, hs, h0, W_xh, W_hh


def _check_xi(xi, T: int) -> np.ndarray:
    xi = np.asarray(xi, dtype=np.float64)
    if xi.shape != (T - 1,):
        raise ValueError(f"xi must hold one weight per backward step h_t → h_(t-1), t = 2…T: shape ({T - 1},), got {xi.shape}")
    if not np.all(np.isfinite(xi)) or np.any(xi < 0):
        raise ValueError("xi must be finite and non-negative")
    return xi


def rnn_backward_weighted(dhs, xs, hs, h0, W_xh, W_hh, xi, activation: str = "tanh") -> dict:
    r"""BPTT with a weight on every backward step, lesson 5, eq. (5.7):

    .. math:: δ_t = \Big(\frac{∂L}{∂h_t}\Big|_\text{direct} + ξ_{t+1}\, δ_{t+1} W_{hh}^\top\Big) ⊙ φ'(a_t),
              \quad dh_0 = δ_1 W_{hh}^\top,

    then the sums (5.2) as in :func:`rnnedu.rnn_backward`. ``xi = ones`` is full BPTT, ``xi = zeros`` is
    BPTT(τ = 1); ``xi`` from :func:`draw_truncation_weights` is randomised truncation.

    Shapes: ``dhs, hs (T, B, H)``; ``xs`` ids ``(T, B)`` or ``(T, B, D)``; ``h0 (B, H)`` or ``None``;
    ``W_xh (D, H)``, ``W_hh (H, H)``; ``xi (T − 1,)`` (:math:`ξ_2 … ξ_T`) → dict ``"W_xh" (D, H)``, ``"W_hh" (H, H)``,
    ``"b_h" (H,)``, ``"h0" (B, H)``.
    """
    dhs, xs, is_ids, hs, h0, W_xh, W_hh = _arrays(dhs, xs, hs, h0, W_xh, W_hh, activation)
    T, B, H = hs.shape
    xi = _check_xi(xi, T)
    dphi = derivative_from_output(hs, activation)  # (T, B, H): φ'(a_t)
    deltas = np.empty_like(dhs)
    back = np.zeros((B, H))  # ξ_{t+1} δ_{t+1} W_hhᵀ, zero after the last step
    for t in range(T - 1, -1, -1):
        deltas[t] = (dhs[t] + back) * dphi[t]  # (B, H)
        back = deltas[t] @ W_hh.T  # (B, H): δ_t W_hhᵀ, arriving at h_{t-1}
        if t > 0:
            back *= xi[t - 1]  # weight ξ of the step h_t → h_{t-1} (h_0's immediate effect stays whole)
    d2 = deltas.reshape(T * B, H)
    if is_ids:
        dW_xh = np.zeros_like(W_xh)
        np.add.at(dW_xh, xs.reshape(-1), d2)  # Σ_t onehot(x_t)ᵀ δ_t
    else:
        dW_xh = xs.reshape(T * B, -1).T @ d2
    prev = np.concatenate([h0[None], hs[:-1]])  # (T, B, H): h_{t-1}
    return {"W_xh": dW_xh, "W_hh": prev.reshape(T * B, H).T @ d2, "b_h": d2.sum(axis=0), "h0": back}


def scaled_path_loss(params, X, Y, h0, xi, hs_frozen, activation: str = "tanh") -> float:
    r"""The loss whose exact gradient is :func:`rnn_backward_weighted` with weights ``xi``, lesson 5, eq. (5.8):

    .. math:: \tilde h_{j-1} = \bar h_{j-1} + ξ_j\,\big(h_{j-1}(θ) − \bar h_{j-1}\big)\ (j ≥ 2),\quad \tilde h_0 = h_0, \qquad
              h_j = φ(x_j W_{xh} + \tilde h_{j-1} W_{hh} + b_h), \qquad
              \tilde L(θ) = \text{mean cross-entropy of } h_j W_{hy} + b_y,

    with :math:`\bar h` the states ``hs_frozen`` computed at the current parameters.
    At those parameters :math:`\tilde L = L`; its gradient scales every path through step ``j`` by ``ξ_j``.
    Used to check eq. (5.7) by finite differences.

    Shapes: ``params`` as :func:`rnnedu.init_rnn_params`; ``X`` ids ``(T, B)`` or ``(T, B, D)``; ``Y (T, B)``;
    ``h0 (B, H)`` or ``None``; ``xi (T − 1,)``; ``hs_frozen (T, B, H)`` → float.
    """
    hs_frozen = np.asarray(hs_frozen, dtype=np.float64)
    if hs_frozen.ndim != 3:
        raise ValueError(f"hs_frozen must be (T, B, H), got shape {hs_frozen.shape}")
    T, B, H = hs_frozen.shape
    xi = _check_xi(xi, T)
    if len(X) != T:
        raise ValueError(f"X has {len(X)} steps but hs_frozen has {T}")
    h0 = np.zeros((B, H)) if h0 is None else np.asarray(h0, dtype=np.float64)
    h = h0
    hs = []
    for j in range(T):
        h_in = h if j == 0 else hs_frozen[j - 1] + xi[j - 1] * (h - hs_frozen[j - 1])  # h̃_{j-1}
        h = rnn_step(X[j], h_in, params["W_xh"], params["W_hh"], params["b_h"], activation)
        hs.append(h)
    loss, _, _ = cross_entropy_head(np.stack(hs), params["W_hy"], params["b_y"], Y)
    return float(loss)


def truncation_bias(dhs, xs, hs, h0, W_xh, W_hh, taus, name: str = "W_hh", activation: str = "tanh") -> np.ndarray:
    r"""Relative error of BPTT(τ) (eq. (5.5)) against full BPTT for each ``τ`` in ``taus``, lesson 5:
    :math:`‖g_τ − g‖ / \max(‖g_τ‖, ‖g‖)` for the gradient of ``name`` (``"W_xh"``, ``"W_hh"``, ``"b_h"``, ``"h0"``).

    Fixed truncation is deterministic, so this error is its bias: no averaging removes it.
    Shapes as :func:`rnnedu.rnn_backward`; ``taus`` positive integers → ``(len(taus),)``.
    """
    if name not in ("W_xh", "W_hh", "b_h", "h0"):
        raise ValueError(f"name must be one of W_xh, W_hh, b_h, h0; got {name!r}")
    full = rnn_backward(dhs, xs, hs, h0, W_xh, W_hh, activation)[name]
    return np.array([relative_error(rnn_backward(dhs, xs, hs, h0, W_xh, W_hh, activation, truncate=int(tau))[name], full)
                     for tau in taus])


def randomized_truncation_mean(dhs, xs, hs, h0, W_xh, W_hh, keep: float, n_draws: int, rng,
                               activation: str = "tanh") -> tuple[dict, dict]:
    r"""Mean and standard error of ``n_draws`` randomised-truncation gradients (eq. (5.7)), lesson 5.

    Returns ``(mean, stderr)``, two dicts keyed like :func:`rnn_backward_weighted`; ``stderr`` is the
    sample standard deviation over draws divided by :math:`\sqrt{n}` per entry. Because the estimator is
    unbiased, ``(mean − full) / stderr`` is approximately standard normal for each entry.
    Shapes as :func:`rnn_backward_weighted`.
    """
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 2:
        raise ValueError(f"n_draws must be an integer ≥ 2 (a standard error needs two draws), got {n_draws!r}")
    T = np.asarray(hs).shape[0]
    draws = [rnn_backward_weighted(dhs, xs, hs, h0, W_xh, W_hh, draw_truncation_weights(T, keep, rng), activation)
             for _ in range(int(n_draws))]
    mean = {k: np.mean([d[k] for d in draws], axis=0) for k in draws[0]}
    stderr = {k: np.std([d[k] for d in draws], axis=0, ddof=1) / np.sqrt(n_draws) for k in draws[0]}
    return mean, stderr
