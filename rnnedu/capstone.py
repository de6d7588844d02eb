r"""Lesson 10, the capstone: min-char-rnn's loss function written from scratch, in the course notation.

Lesson: ``notebooks/10_capstone_min_char_rnn.ipynb``. Source: Andrej Karpathy's *min-char-rnn.py*
(2015, BSD licence), a 112-line character language model: ``lossFun`` (forward, BPTT, clipping),
Adagrad, sampling. This module holds the **reference solution** the learner's code is checked
against; the lesson's scaffold is the learner's own attempt, never this code.

min-char-rnn works with column vectors and one sequence (B = 1); the course with row vectors, a batch
and time-major ids. The translation is a transposition (lesson 10's table)::

    min-char-rnn            this course                     shape here
    Wxh  (H, V)             W_xh = Wxhᵀ                     (V, H)
    Whh  (H, H)             W_hh = Whhᵀ                     (H, H)
    Why  (V, H)             W_hy = Whyᵀ                     (H, V)
    bh   (H, 1)             b_h  = bh[:, 0]                 (H,)
    by   (V, 1)             b_y  = by[:, 0]                 (V,)
    hs[t] (H, 1)            h_t  (one row per sequence)     (B, H)
    loss = Σ_t −log p       L = mean over T·B               (the sum is T·B·L)
    dy, dhraw, dhnext       δ^o_t·T·B, δ_t·T·B, δ_t W_hhᵀ   (B, V), (B, H), (B, H)
    np.clip(d, −5, 5)       clipping by the global norm     eq. (10.7)
    mem                     G (Adagrad's sum of squares)    each parameter's shape

Equations (lesson 10), row vectors, ``x_t`` the one-hot row of id ``X[t, b]``::

    a_t = x_t W_xh + h_{t-1} W_hh + b_h,   h_t = tanh(a_t)                    (10.1)
    o_t = h_t W_hy + b_y,                  p_t = softmax(o_t − max o_t)        (10.2)
    L   = −1/(T·B) Σ_t Σ_b log p_t[b, y_{t,b}]                                 (10.3)
    δ^o_t = (p_t − onehot(y_t)) / (T·B);  dW_hy = Σ_t h_tᵀ δ^o_t,  db_y = Σ_t 1ᵀ δ^o_t    (10.4)
    δ_t = (δ^o_t W_hyᵀ + δ_{t+1} W_hhᵀ) ⊙ (1 − h_t²),   δ_{T+1} = 0            (10.5)
    dW_xh = Σ_t x_tᵀ δ_t,  dW_hh = Σ_t h_{t−1}ᵀ δ_t,  db_h = Σ_t 1ᵀ δ_t         (10.6)
    g ← g · min(1, c / ‖g‖),  ‖g‖ over all five gradients together           (10.7)
    G ← G + g ⊙ g,   θ ← θ − η g / √(G + ε)                                     (10.8)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from rnnedu._checks import as_float_array, check_shape
from rnnedu.data import SequentialBatches
from rnnedu.train import clip_grad_norm, global_norm

PARAM_KEYS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
MIN_CHAR_RNN_KEYS = ("Wxh", "Whh", "Why", "bh", "by")

__all__ = [
    "CharRNNRun",
    "adagrad_step",
    "char_rnn_loss",
    "clip_by_global_norm",
    "from_min_char_rnn",
    "min_char_rnn_lossfun",
    "to_min_char_rnn",
    "train_char_rnn",
]


# --- validation -----------------------------------------------------------------------------------

def _check_params(params) -> dict:
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a dict with keys {', '.join(PARAM_KEYS)}")
    missing = [k for k in PARAM_KEYS if k not in params]
    if missing:
        raise ValueError(f"params is missing {', '.join(missing)} (needs {', '.join(PARAM_KEYS)})")
    p = {k: as_float_array(params[k], k) for k in PARAM_KEYS}
    check_shape(p["W_xh"], "W_xh", (None, None))
    V, H = p["W_xh"].shape
    check_shape(p["W_hh"], "W_hh", (H, H))
    check_shape(p["b_h"], "b_h", (H,))
    check_shape(p["W_hy"], "W_hy", (H, None))
    check_shape(p["b_y"], "b_y", (p["W_hy"].shape[1],))
    return {k: v.astype(np.float64, copy=False) for k, v in p.items()}


def _check_ids(X, Y, V: int, K: int) -> tuple[np.ndarray, np.ndarray]:
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim != 2 or X.shape != Y.shape:
        raise ValueError(f"X and Y must be (T, B) ids of one shape, got {X.shape} and {Y.shape}")
    if X.size == 0:
        raise ValueError(f"X is empty (shape {X.shape}); a sequence needs T ≥ 1 steps and B ≥ 1")
    for name, a, n in (("X", X, V), ("Y", Y, K)):
        if not np.issubdtype(a.dtype, np.integer) or a.dtype == bool:
            raise ValueError(f"{name} must hold integer character ids, got dtype {a.dtype}")
        if a.min() < 0 or a.max() >= n:
            raise ValueError(f"{name} ids must lie in [0, {n}); found {int(a.min())} to {int(a.max())}")
    return X.astype(np.intp), Y.astype(np.intp)


def _positive(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


# --- the loss function (min-char-rnn's lossFun) ---------------------------------------------------

def char_rnn_loss(params, X, Y, h0=None):
    r"""min-char-rnn's ``lossFun`` in the course notation: loss, BPTT gradients and the last state,
    lesson 10, eqs. (10.1)–(10.6).

    .. math::
        h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h) \quad (10.1), \qquad
        p_t = \operatorname{softmax}(h_t W_{hy} + b_y) \quad (10.2)

    .. math::
        L = -\frac{1}{TB}\sum_{t=1}^{T}\sum_{b=1}^{B} \log p_t[b, y_{t,b}] \quad (10.3), \qquad
        δ^o_t = \frac{p_t - \mathrm{onehot}(y_t)}{TB} \quad (10.4)

    .. math::
        δ_t = \big(δ^o_t W_{hy}^\top + δ_{t+1} W_{hh}^\top\big) ⊙ (1 - h_t^2) \quad (10.5), \qquad
        dW_{hh} = \sum_t h_{t-1}^\top δ_t \quad (10.6)

    The softmax subtracts each row's maximum first (``exp`` of a logit above ~709 overflows in
    float64); the log-probability is taken as ``o − max − log Σ exp(o − max)``, so a tiny probability
    never becomes ``log 0``. ``h0`` is the state carried over from the previous batch (min-char-rnn's
    ``hprev``); the returned ``h_T`` is the next batch's ``h0``. Written out, step by step, like
    min-char-rnn — not composed from :func:`rnnedu.rnn.rnn_backward` — and tested equal to
    :func:`rnnedu.charrnn.lm_loss_and_grads` and to central differences.

    Shapes: params ``W_xh (V, H)``, ``W_hh (H, H)``, ``b_h (H,)``, ``W_hy (H, V)``, ``b_y (V,)``;
    ``X, Y`` ids ``(T, B)`` (``Y[t] = X[t + 1]`` for a language model); ``h0 (B, H)`` or ``None``
    (zeros). Returns ``(loss, grads, h_T)``: a float, a dict with the five keys (each its
    parameter's shape), and ``h_T (B, H)``.
    """
    p = _check_params(params)
    W_xh, W_hh, b_h, W_hy, b_y = (p[k] for k in PARAM_KEYS)
    V, H = W_xh.shape
    X, Y = _check_ids(X, Y, V, W_hy.shape[1])
    T, B = X.shape
    N = T * B
    if h0 is None:
        h0 = np.zeros((B, H))
    else:
        h0 = as_float_array(h0, "h0").astype(np.float64, copy=False)
        check_shape(h0, "h0", (B, H))
    rows = np.arange(B)

    # forward, eqs. (10.1)–(10.3)
    hs = np.empty((T + 1, B, H))  # hs[0] = h0, hs[t] = h_t (1-based t, as in the equations)
    hs[0] = h0
    probs = np.empty((T, B, W_hy.shape[1]))
    loss = 0.0
    for t in range(T):
        hs[t + 1] = np.tanh(W_xh[X[t]] + hs[t] @ W_hh + b_h)  # x_t W_xh is row X[t] of W_xh
        o = hs[t + 1] @ W_hy + b_y  # (B, V)
        z = o - o.max(axis=1, keepdims=True)  # shifted logits: exp cannot overflow
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        probs[t] = e / s
        loss -= float(np.sum(z[rows, Y[t]] - np.log(s[:, 0])))
    loss /= N

    # backward, eqs. (10.4)–(10.6)
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dh_next = np.zeros((B, H))  # δ_{t+1} W_hhᵀ: the path through h_t → h_{t+1}
    for t in range(T - 1, -1, -1):
        do = probs[t].copy()
        do[rows, Y[t]] -= 1.0
        do /= N  # δ^o_t (B, V)
        grads["W_hy"] += hs[t + 1].T @ do  # (H, V)
        grads["b_y"] += do.sum(axis=0)
        delta = (do @ W_hy.T + dh_next) * (1.0 - hs[t + 1] ** 2)  # δ_t (B, H)
        np.add.at(grads["W_xh"], X[t], delta)  # x_tᵀ δ_t: row X[t, b] gets δ_t[b]
        grads["W_hh"] += hs[t].T @ delta  # h_{t−1}ᵀ δ_t
        grads["b_h"] += delta.sum(axis=0)
        dh_next = delta @ W_hh.T
    return loss, grads, hs[T].copy()


# --- clipping and Adagrad -------------------------------------------------------------------------

def clip_by_global_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> dict:
    r"""Clip by the global norm, lesson 10, eq. (10.7) (lesson 7, eq. (7.6)):

    .. math:: g ← g \cdot \min\!\Big(1, \frac{c}{‖g‖}\Big), \qquad ‖g‖ = \Big(\sum_k \sum_i g_{k,i}^2\Big)^{1/2}

    One factor for all gradients, so the direction is kept. min-char-rnn clips element-wise
    (``np.clip(dparam, -5, 5)``, :func:`rnnedu.train.clip_grad_value`), which changes the direction
    whenever some entries are cut and others not. Returns a new dict (same keys and shapes); a zero
    gradient is returned unchanged.
    """
    if not isinstance(grads, Mapping) or not grads:
        raise ValueError("grads must be a non-empty dict of arrays")
    return clip_grad_norm(grads, _positive(max_norm, "clip threshold max_norm"))[0]


def adagrad_step(params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray],
                 memory: Mapping[str, np.ndarray], lr: float, eps: float = 1e-8) -> tuple[dict, dict]:
    r"""One Adagrad step (Duchi, Hazan and Singer 2011), as in min-char-rnn, lesson 10, eq. (10.8):

    .. math:: G ← G + g ⊙ g, \qquad θ ← θ − η \frac{g}{\sqrt{G + ε}}

    ``G`` (min-char-rnn's ``mem``) sums the squared gradients of *all* past steps, so each entry's
    step size shrinks as ``1/√(Σ g²)``: large early steps, then smaller ones, never growing again.
    Pure: returns ``(new_params, new_memory)`` and leaves the inputs alone.

    Shapes: three dicts with the same keys, ``grads[k]`` and ``memory[k]`` of ``params[k]``'s shape.
    """
    lr = _positive(lr, "learning rate lr")
    eps = _positive(eps, "eps")
    new_params, new_memory = {}, {}
    for k, theta in params.items():
        if k not in grads or k not in memory:
            raise ValueError(f"parameter {k!r} has no gradient or no Adagrad memory")
        g = np.asarray(grads[k], dtype=np.float64)
        G = np.asarray(memory[k], dtype=np.float64)
        if g.shape != np.shape(theta) or G.shape != np.shape(theta):
            raise ValueError(f"{k}: parameter {np.shape(theta)}, gradient {g.shape} and memory {G.shape} must match")
        G = G + g * g
        new_memory[k] = G
        new_params[k] = theta - lr * g / np.sqrt(G + eps)
    return new_params, new_memory


# --- min-char-rnn itself, column form (for the translation check) ---------------------------------

def to_min_char_rnn(params) -> dict:
    """The course's parameters in min-char-rnn's column form: ``Wxh = W_xhᵀ (H, V)``, ``Whh = W_hhᵀ``,
    ``Why = W_hyᵀ (V, H)``, ``bh (H, 1)``, ``by (V, 1)`` (lesson 10's table)."""
    p = _check_params(params)
    return {"Wxh": p["W_xh"].T.copy(), "Whh": p["W_hh"].T.copy(), "Why": p["W_hy"].T.copy(),
            "bh": p["b_h"][:, None].copy(), "by": p["b_y"][:, None].copy()}


def from_min_char_rnn(mc) -> dict:
    """min-char-rnn's ``Wxh, Whh, Why, bh, by`` (or their gradients) in the course's row form:
    ``W_xh = Wxhᵀ``, ``W_hh = Whhᵀ``, ``W_hy = Whyᵀ``, ``b_h = bh[:, 0]``, ``b_y = by[:, 0]``."""
    if not isinstance(mc, Mapping) or any(k not in mc for k in MIN_CHAR_RNN_KEYS):
        raise ValueError(f"need a dict with min-char-rnn's keys {', '.join(MIN_CHAR_RNN_KEYS)}")
    a = {k: as_float_array(mc[k], k) for k in MIN_CHAR_RNN_KEYS}
    for k in ("bh", "by"):
        if a[k].ndim != 2 or a[k].shape[1] != 1:
            raise ValueError(f"{k} is a column (n, 1) in min-char-rnn, got shape {a[k].shape}")
    return {"W_xh": a["Wxh"].T.copy(), "W_hh": a["Whh"].T.copy(), "W_hy": a["Why"].T.copy(),
            "b_h": a["bh"][:, 0].copy(), "b_y": a["by"][:, 0].copy()}


def min_char_rnn_lossfun(inputs, targets, hprev, Wxh, Whh, Why, bh, by, clip: float | None = None):
    r"""Karpathy's ``lossFun`` as he wrote it (column vectors, one sequence, summed loss), lesson 10.

    .. math:: h_t = \tanh(W_{xh} x_t + W_{hh} h_{t-1} + b_h), \qquad
              \mathrm{loss} = -\sum_t \log p_t[y_t]

    Kept line for line (dicts of columns, ``dhnext``) except: no ``np.clip`` unless ``clip`` is given
    (min-char-rnn's is ``clip=5``, element-wise), and no ``xrange``. Its softmax has no max-subtraction,
    so logits above ~709 overflow — as in the original. Lesson 10 checks that
    :func:`char_rnn_loss` on ``B = 1`` is this loss divided by ``T`` and these gradients transposed
    and divided by ``T``.

    Shapes: ``inputs, targets`` lists of ``T`` ids; ``hprev (H, 1)``; ``Wxh (H, V)``, ``Whh (H, H)``,
    ``Why (V, H)``, ``bh (H, 1)``, ``by (V, 1)``. Returns ``(loss, dWxh, dWhh, dWhy, dbh, dby, h_T)``.
    """
    vocab_size = Wxh.shape[1]
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    if clip is not None:
        for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
            np.clip(dparam, -clip, clip, out=dparam)
    return float(loss), dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


# --- training -------------------------------------------------------------------------------------

@dataclass
class CharRNNRun:
    """What :func:`train_char_rnn` recorded, one entry per step: ``losses`` (the batch loss before the
    update), ``smooth`` (min-char-rnn's ``smooth_loss = β·smooth + (1 − β)·loss``, started at
    ``ln V``, the uniform guess), ``grad_norms`` (global norm before clipping); ``params`` the trained parameters."""

    params: dict
    losses: list = field(default_factory=list)
    smooth: list = field(default_factory=list)
    grad_norms: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def steps(self) -> np.ndarray:
        return np.arange(1, len(self.losses) + 1)

    def mean_loss(self, last: int = 100) -> float:
        """Mean batch loss over the last ``last`` steps."""
        if not self.losses:
            raise ValueError("the run has no steps")
        return float(np.mean(self.losses[-int(last):]))


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def train_char_rnn(params, ids, *, loss_fn: Callable = char_rnn_loss, clip_fn: Callable = clip_by_global_norm,
                   update_fn: Callable = adagrad_step, batch_size: int = 16, num_steps: int = 25,
                   n_steps: int = 1000, lr: float = 0.1, max_norm: float = 5.0, rng=None,
                   smoothing: float = 0.99, progress: bool = True, desc: str = "min-char-rnn") -> CharRNNRun:
    r"""min-char-rnn's main loop with pluggable pieces, lesson 10, eqs. (10.3), (10.7), (10.8).

    The corpus ``ids (N,)`` is laid out as ``batch_size`` parallel streams
    (:class:`rnnedu.data.SequentialBatches`, lesson 9); every step takes the next ``num_steps``
    characters of each stream and

    1. ``loss, grads, h = loss_fn(params, X, Y, h)`` — ``h`` is carried over from the previous
       batch (zeros at the start of each pass over the text, like min-char-rnn's ``hprev`` reset);
    2. ``grads = clip_fn(grads, max_norm)``;
    3. ``params, memory = update_fn(params, grads, memory, lr)``.

    The learner's functions plug in with the same signatures as :func:`char_rnn_loss`,
    :func:`clip_by_global_norm` and :func:`adagrad_step`. ``params`` is not modified. A non-finite loss
    raises ``ValueError`` naming the step. ``smoothing`` is β of the smoothed loss: min-char-rnn's
    0.999 suits its 100 000+ steps, the lesson's default 0.99 its 1000. Returns a :class:`CharRNNRun`.
    """
    p = {k: v.copy() for k, v in _check_params(params).items()}  # an in-place update_fn must not touch params
    B = _positive_int(batch_size, "batch_size")
    T = _positive_int(num_steps, "num_steps")
    n = _positive_int(n_steps, "n_steps")
    lr = _positive(lr, "learning rate lr")
    max_norm = _positive(max_norm, "clip threshold max_norm")
    if not 0.0 <= smoothing < 1.0:
        raise ValueError(f"smoothing must lie in [0, 1), got {smoothing!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    batches = SequentialBatches(ids, B, T, rng)
    V, H = p["W_xh"].shape
    memory = {k: np.zeros_like(v) for k, v in p.items()}
    run = CharRNNRun(params=p)
    smooth = math.log(p["W_hy"].shape[1])  # min-char-rnn: −log(1/V) (times T, for its summed loss)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc=desc, leave=True, mininterval=0.5)
    start = time.perf_counter()
    h = None
    step = 0
    try:
        while step < n:
            for batch in batches:
                if batch.new_epoch or h is None:
                    h = np.zeros((B, H))
                loss, grads, h = loss_fn(p, batch.X, batch.Y, h)
                loss = float(loss)
                if not math.isfinite(loss):
                    raise ValueError(f"the loss became {loss} at step {step + 1}; check the loss function "
                                     "(softmax overflow?) and the learning rate")
                grads = {k: np.asarray(grads[k], dtype=np.float64) for k in PARAM_KEYS}
                run.grad_norms.append(global_norm(grads))
                grads = clip_fn(grads, max_norm)
                if isinstance(grads, tuple):  # (clipped, norm), like rn.clip_grad_norm
                    grads = grads[0]
                p, memory = update_fn(p, grads, memory, lr)
                smooth = smoothing * smooth + (1.0 - smoothing) * loss
                run.losses.append(loss)
                run.smooth.append(smooth)
                step += 1
                if bar is not None:
                    bar.update(1)
                    if step % 50 == 0:
                        bar.set_postfix_str(f"smooth loss {smooth:.3f}", refresh=False)
                if step >= n:
                    break
    finally:
        run.seconds = time.perf_counter() - start
        if bar is not None:
            bar.close()
    run.params = {k: np.asarray(p[k], dtype=np.float64) for k in PARAM_KEYS}
    return run
