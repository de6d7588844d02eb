r"""Why long-range gradients are hard, measured: lessons 6 and 7.

* :func:`bit_latch` — Bengio, Simard and Frasconi (1994): a one-unit RNN stores a bit robustly only where
  its dynamics *contract*, and contraction is what makes ``∂h_T/∂h_0`` vanish (lesson 6, eqs. (6.9)–(6.10)).
* :func:`pascanu_cliff`, :func:`cliff_edge` — Pascanu, Mikolov and Bengio (2013): the one-unit loss surface
  with a "cliff", where the gradient is huge and a plain gradient step is thrown far away; norm clipping
  keeps the step's direction and caps its length (lesson 6, eq. (6.11)).
* :func:`gradient_anatomy`, :func:`track_gradient_anatomy` — during training on the adding problem:
  the gradient at the first marker and the share of ``dW_hh`` that comes from long lags (lesson 7,
  eqs. (7.31)–(7.32)).

Row vectors and time-major sequences as everywhere in rnnedu.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from rnnedu._checks import as_float_array, check_shape
from rnnedu.activations import apply_activation
from rnnedu.rnn import rnn_forward
from rnnedu.tasks import adding_problem, init_model, last_step_mse, model_loss_and_grads
from rnnedu.train import SGD, Adam, fit

__all__ = ["GradientAnatomy", "LatchResult", "bit_latch", "cliff_edge", "gradient_anatomy", "pascanu_cliff",
           "track_gradient_anatomy"]


def _positive_int(v, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name} must be an integer ≥ 1, got {v!r}")
    return int(v)


def _finite(v, name: str) -> float:
    v = float(v)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v!r}")
    return v


# --- Bengio, Simard and Frasconi (1994): storing a bit needs contraction ---------------------------

@dataclass(frozen=True)
class LatchResult:
    """One weight ``w`` of :func:`bit_latch`: the share of stored bits that survive, the typical
    ``log10 |∂h_T/∂h_0|`` (median over sequences) and the mean per-step ``log10 |w(1 − h_t²)|``."""

    w: float
    retained: float
    log10_gradient: float
    log10_slope: float


def bit_latch(w: float, *, T: int = 100, noise: float = 0.2, n: int = 2000, rng=None) -> LatchResult:
    r"""Store a bit in a one-unit tanh RNN and measure how well it survives and how the gradient fares,
    lesson 6, eqs. (6.9)–(6.10) (Bengio, Simard and Frasconi 1994):

    .. math::
        h_t = \tanh(w\,h_{t-1} + ε_t), \quad ε_t \sim \mathcal N(0, \text{noise}^2), \quad h_0 = 1
        \qquad (6.9)\\
        \frac{∂h_T}{∂h_0} = \prod_{t=1}^{T} w\,(1 − h_t^2) \qquad (6.10)

    The bit is the sign of ``h``; ``retained`` is the share of the ``n`` sequences with ``h_T > 0``.
    For ``w > 1`` the map ``tanh(w h)`` has two attracting fixed points ``±h*`` where
    ``|w(1 − h*²)| < 1``: noise is pushed back (robust storage) *and* every factor of (6.10) is below 1
    (the gradient vanishes). For ``w ≤ 1`` nothing pushes back: noise accumulates and the bit is lost.
    Shapes: scalars in, a :class:`LatchResult` out.
    """
    w = _finite(w, "w")
    T = _positive_int(T, "T")
    n = _positive_int(n, "n")
    noise = _finite(noise, "noise")
    if noise < 0:
        raise ValueError(f"noise must be ≥ 0, got {noise}")
    rng = np.random.default_rng(0) if rng is None else rng
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy Generator (np.random.default_rng(seed))")
    h = np.ones(n)
    log_grad = np.zeros(n)
    for _ in range(T):
        h = np.tanh(w * h + noise * rng.standard_normal(n))
        with np.errstate(divide="ignore"):
            log_grad += np.log10(np.abs(w * (1.0 - h * h)))
    return LatchResult(w=w, retained=float(np.mean(h > 0)), log10_gradient=float(np.median(log_grad)),
                       log10_slope=float(np.median(log_grad) / T))


# --- Pascanu, Mikolov and Bengio (2013): the cliff ---------------------------------------------------

def pascanu_cliff(w, b, *, T: int = 50, x0: float = 0.5, target: float = 0.7):
    r"""The one-unit RNN of Pascanu et al. (2013, section 3) and its loss, with exact gradients,
    lesson 6, eq. (6.11):

    .. math::
        x_t = w\,σ(x_{t-1}) + b, \qquad L(w, b) = (x_T − \text{target})^2,\\
        \frac{∂x_t}{∂w} = σ(x_{t-1}) + w\,σ'(x_{t-1})\frac{∂x_{t-1}}{∂w}, \qquad
        \frac{∂x_t}{∂b} = 1 + w\,σ'(x_{t-1})\frac{∂x_{t-1}}{∂b}

    (forward-mode: the derivatives ride along the recurrence, exact to rounding). ``w`` and ``b``
    broadcast against each other (a grid gives the loss surface). Returns ``(L, dL/dw, dL/db)``, each
    of the broadcast shape.
    """
    w = as_float_array(w, "w")
    b = as_float_array(b, "b")
    T = _positive_int(T, "T")
    shape = np.broadcast_shapes(w.shape, b.shape)
    x = np.full(shape, _finite(x0, "x0"))
    dx_dw = np.zeros(shape)
    dx_db = np.zeros(shape)
    for _ in range(T):
        s = apply_activation(x, "sigmoid")
        slope = w * s * (1.0 - s)
        dx_dw = s + slope * dx_dw
        dx_db = 1.0 + slope * dx_db
        x = w * s + b
    err = x - _finite(target, "target")
    return err * err, 2.0 * err * dx_dw, 2.0 * err * dx_db


def cliff_edge(w: float, b_lo: float, b_hi: float, *, T: int = 50, x0: float = 0.5, target: float = 0.7,
               iterations: int = 60) -> float:
    r"""Where the cliff of :func:`pascanu_cliff` crosses the segment ``b ∈ [b_lo, b_hi]`` at fixed ``w``,
    by bisection on which side of the jump ``L`` lies (lesson 6, eq. (6.11)). The two ends must lie on
    different sides of a jump (a ValueError says so if the loss is smooth there); returns ``b`` at the wall to about ``2^-iterations``.
    """
    lo, hi = _finite(b_lo, "b_lo"), _finite(b_hi, "b_hi")
    L_lo = float(pascanu_cliff(w, lo, T=T, x0=x0, target=target)[0])
    L_hi = float(pascanu_cliff(w, hi, T=T, x0=x0, target=target)[0])
    if not abs(L_lo - L_hi) > 1e-3 * max(L_lo, L_hi, 1e-12):
        raise ValueError(f"b_lo and b_hi must lie on different sides of a cliff; losses {L_lo:.4g} and {L_hi:.4g}")
    mid_loss = 0.5 * (L_lo + L_hi)
    narrow = 1e-3 * (hi - lo)
    bracket = None                                                            # (lo, hi) once it is narrow
    for _ in range(_positive_int(iterations, "iterations")):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):                                                   # no float left between them
            break
        if (float(pascanu_cliff(w, mid, T=T, x0=x0, target=target)[0]) > mid_loss) == (L_lo > mid_loss):
            lo = mid
        else:
            hi = mid
        if bracket is None and abs(hi - lo) < abs(narrow):
            bracket = (lo, hi)
    bracket = bracket or (lo, hi)
    jump = abs(float(pascanu_cliff(w, bracket[0], T=T, x0=x0, target=target)[0])
               - float(pascanu_cliff(w, bracket[1], T=T, x0=x0, target=target)[0]))
    if not jump > 0.5 * abs(L_lo - L_hi):                                     # a smooth slope changes ~1e-3 of it
        raise ValueError("no cliff between b_lo and b_hi: the loss changes smoothly there (b_lo and b_hi must "
                         "lie on different sides of a jump)")
    return 0.5 * (lo + hi)


# --- the gradient on the adding problem, taken apart by lag -----------------------------------------

@dataclass(frozen=True)
class GradientAnatomy:
    r"""What :func:`gradient_anatomy` measured on one batch (all per-example norms averaged over it).

    ``delta_norms (T + 1,)`` — ``‖∂L/∂h_k‖`` for ``k = 0 … T``; ``first_marker`` — ``‖∂L/∂h_k‖`` at the
    state that first holds the first marked value; ``output`` — ``‖∂L/∂h_T‖``; ``contributions
    (T, H, H)`` — the term of ``dW_hh`` from step ``k = 1 … T``; ``dW_hh`` — their sum; ``long_share`` —
    the part of ``dW_hh`` from steps at lag ``T − k ≥ T/2`` (where the first marker lives), eq. (7.32).
    """

    delta_norms: np.ndarray
    first_marker: float
    output: float
    contributions: np.ndarray
    dW_hh: np.ndarray
    long_share: float


def gradient_anatomy(params: dict, batch) -> GradientAnatomy:
    r"""Take the adding-problem gradient of a tanh RNN apart by lag, lesson 7, eqs. (7.31)–(7.32).

    With the loss on the last step only (eq. (7.3)), BPTT (lesson 5) gives for ``k = T … 1``

    .. math::
        δ_T = \frac{∂L}{∂h_T}, \quad g_k = δ_k ⊙ (1 − h_k^2), \quad δ_{k-1} = g_k W_{hh}^⊤ \qquad (7.31)\\
        dW_{hh} = \sum_{k=1}^{T} C_k, \quad C_k = h_{k-1}^⊤ g_k, \qquad
        \text{long share} = \frac{\|\sum_{T-k ≥ T/2} C_k\|_F}{\|\sum_{T-k ≥ T/2} C_k\|_F + \|\sum_{T-k < T/2} C_k\|_F} \qquad (7.32)

    ``δ_k`` is the *total* gradient at ``h_k``; its size at the first marker says whether the loss can
    still "see" that input. ``params`` is a ``"tanh"`` model of :func:`rnnedu.tasks.init_model`;
    ``batch = (xs (T, B, 2), y (B,))`` from :func:`rnnedu.tasks.adding_problem`.
    Returns a :class:`GradientAnatomy`.
    """
    xs, y = batch
    xs = as_float_array(xs, "xs")
    check_shape(xs, "xs", (None, None, 2))
    T, B, _ = xs.shape
    W_hh = as_float_array(params["W_hh"], "W_hh")
    H = W_hh.shape[0]
    h0 = np.zeros((B, H))
    hs = rnn_forward(xs, h0, params["W_xh"], W_hh, params["b_h"], "tanh")    # (T, B, H): h_1 … h_T
    _, head = last_step_mse(hs[-1], params["W_hy"], params["b_y"], y)
    h_prev = np.concatenate([h0[None], hs[:-1]])                             # (T, B, H): h_0 … h_{T-1}
    deltas = np.empty((T + 1, B, H))                                         # δ_0 … δ_T
    deltas[T] = head["h_last"]
    contributions = np.empty((T, H, H))
    for k in range(T, 0, -1):                                                # (7.31)
        g = deltas[k] * (1.0 - hs[k - 1] ** 2)                               # (B, H)
        contributions[k - 1] = h_prev[k - 1].T @ g                           # C_k (H, H)
        deltas[k - 1] = g @ W_hh.T
    norms = np.linalg.norm(deltas, axis=2)                                   # (T + 1, B)
    first = np.argmax(xs[:, :, 1] > 0, axis=0)                               # input step of the first marker
    at_marker = norms[first + 1, np.arange(B)]                               # h_{m+1} first holds u_m
    lags = T - np.arange(1, T + 1)                                           # lag of C_k, k = 1 … T
    long = np.linalg.norm(contributions[lags >= T / 2].sum(axis=0))
    short = np.linalg.norm(contributions[lags < T / 2].sum(axis=0))
    return GradientAnatomy(delta_norms=norms.mean(axis=1), first_marker=float(at_marker.mean()),
                           output=float(norms[T].mean()), contributions=contributions,
                           dW_hh=contributions.sum(axis=0), long_share=float(long / (long + short)))


@dataclass
class AnatomyTrace:
    """:func:`track_gradient_anatomy`'s record: one entry per measurement."""

    steps: list = field(default_factory=list)
    first_marker: list = field(default_factory=list)
    output: list = field(default_factory=list)
    long_share: list = field(default_factory=list)
    losses: list = field(default_factory=list)


def track_gradient_anatomy(lag: int, *, hidden: int = 16, n_steps: int = 400, lr: float = 1e-2,
                           optimizer: str = "adam", every: int = 20, clip_norm: float | None = 1.0,
                           seed: int = 0, probe_size: int = 256):
    r"""Train the tanh RNN on the adding problem exactly as :func:`rnnedu.tasks.run_task` does (same
    data stream for the same ``seed``) and, every ``every`` steps, measure :func:`gradient_anatomy` on a
    fixed probe batch, lesson 7, eqs. (7.31)–(7.32). ``optimizer`` is ``"adam"`` or ``"sgd"``.

    Returns ``(params, history, trace)``: the trained parameters, :func:`rnnedu.train.fit`'s
    ``History`` and an :class:`AnatomyTrace`.
    """
    lag = _positive_int(lag, "lag")
    every = _positive_int(every, "every")
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"unknown optimizer {optimizer!r}; choose 'adam' or 'sgd'")
    opt = Adam(lr) if optimizer == "adam" else SGD(lr)
    rng = np.random.default_rng(seed)
    params = init_model("tanh", 2, _positive_int(hidden, "hidden"), 1, rng)
    probe = adding_problem(_positive_int(probe_size, "probe_size"), lag, np.random.default_rng(seed + 20_000))
    trace = AnatomyTrace()

    def measure(step, p, loss, history):
        if step == 1 or step % every == 0:
            a = gradient_anatomy(p, probe)
            trace.steps.append(step)
            trace.first_marker.append(a.first_marker)
            trace.output.append(a.output)
            trace.long_share.append(a.long_share)
            trace.losses.append(loss)
        return False

    loss_fn = partial(model_loss_and_grads, model="tanh", task="adding")
    history = fit(params, loss_fn, lambda: adding_problem(32, lag, rng), optimizer=opt, n_steps=n_steps,
                  clip_norm=clip_norm, callback=measure, progress=False)
    return params, history, trace
