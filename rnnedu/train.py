r"""Training loop shared by lessons 7–9: optimisers, gradient clipping, ``fit`` and checkpoints.

Everything works on a *parameter dict* (``{"W_xh": …, "W_hh": …}``) and a same-keyed *gradient dict*,
so a vanilla RNN (lesson 5), a regression head (lesson 7), a gated cell (lesson 7) or a language model
(lessons 8–9) all train through the same :func:`fit`.

=====================  ================================================================  ==========
what                   update                                                            equation
=====================  ================================================================  ==========
SGD                    :math:`v ← μ v − η g,\; θ ← θ + v`  (μ = 0: :math:`θ ← θ − η g`)     (7.8)
Adam                   :math:`m ← β_1 m + (1−β_1) g,\; s ← β_2 s + (1−β_2) g^2,`           (7.9)
                       :math:`θ ← θ − η\,\hat m / (\sqrt{\hat s} + ε)`, bias-corrected
norm clipping          :math:`g ← g · \min(1, c / ‖g‖)`, ‖g‖ over *all* parameters            (7.6)
element-wise clipping  :math:`g_i ← \min(\max(g_i, −c), c)`  (min-char-rnn)                 (7.7)
=====================  ================================================================  ==========

Norm clipping (Pascanu, Mikolov and Bengio 2013) rescales the whole gradient and keeps its direction;
element-wise clipping changes the direction whenever some entries are clipped and others not.
Truncated BPTT is a property of the loss function (``rnn_backward(..., truncate=k)``), passed to
:func:`fit` inside ``loss_and_grads``.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import numpy as np

__all__ = [
    "SGD",
    "Adam",
    "History",
    "clip_grad_norm",
    "clip_grad_value",
    "fit",
    "global_norm",
    "gradient_cosine",
    "load_checkpoint",
    "save_checkpoint",
]


# --- validation ---------------------------------------------------------------------------------

def _positive(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def _unit_interval(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    value = float(value)
    if not (0.0 <= value < 1.0):
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}")
    return value


def _check_grads(params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
    missing = [k for k in params if k not in grads]
    if missing:
        raise ValueError(f"grads has no entry for parameter(s) {', '.join(missing)}")
    for k, p in params.items():
        g = np.asarray(grads[k])
        if g.shape != np.shape(p):
            raise ValueError(f"grads[{k!r}] has shape {g.shape}, but params[{k!r}] has shape {np.shape(p)}")
        if not np.all(np.isfinite(g)):
            raise ValueError(f"grads[{k!r}] contains NaN or infinity; clip or lower the learning rate")


# --- optimisers ---------------------------------------------------------------------------------

class SGD:
    r"""Mini-batch SGD with optional heavy-ball momentum, lesson 7, eq. (7.8).

    .. math:: v ← μ v − η\,∂L/∂θ, \qquad θ ← θ + v

    ``step(params, grads)`` updates every array of ``params`` **in place** (so views held elsewhere
    see the change) from the same-keyed ``grads``; keys of ``grads`` that are not parameters (such as
    ``"h0"``) are ignored. Shapes: each ``grads[k]`` has ``params[k]``'s shape.
    """

    def __init__(self, lr: float, momentum: float = 0.0):
        self.lr = _positive(lr, "learning rate lr")
        self.momentum = _unit_interval(momentum, "momentum")
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: dict, grads: Mapping) -> None:
        _check_grads(params, grads)
        for k, p in params.items():
            g = np.asarray(grads[k], dtype=p.dtype)
            if self.momentum:
                v = self.velocity.setdefault(k, np.zeros_like(p))
                v *= self.momentum
                v -= self.lr * g
                p += v
            else:
                p -= self.lr * g

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g})"


class Adam:
    r"""Adam (Kingma and Ba 2015), lesson 7, eq. (7.9).

    .. math::
        m ← β_1 m + (1 − β_1) g, \quad s ← β_2 s + (1 − β_2) g^{2}, \quad
        θ ← θ − η \frac{m / (1 − β_1^{n})}{\sqrt{s / (1 − β_2^{n})} + ε}

    with ``n`` the number of steps taken. In-place on ``params`` as :class:`SGD`.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr = _positive(lr, "learning rate lr")
        self.beta1 = _unit_interval(beta1, "beta1")
        self.beta2 = _unit_interval(beta2, "beta2")
        self.eps = _positive(eps, "eps")
        self.m: dict[str, np.ndarray] = {}
        self.s: dict[str, np.ndarray] = {}
        self.n = 0

    def step(self, params: dict, grads: Mapping) -> None:
        _check_grads(params, grads)
        self.n += 1
        c1 = 1.0 - self.beta1 ** self.n
        c2 = 1.0 - self.beta2 ** self.n
        for k, p in params.items():
            g = np.asarray(grads[k], dtype=p.dtype)
            m = self.m.setdefault(k, np.zeros_like(p))
            s = self.s.setdefault(k, np.zeros_like(p))
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            s *= self.beta2
            s += (1.0 - self.beta2) * g * g
            p -= self.lr * (m / c1) / (np.sqrt(s / c2) + self.eps)

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr:g}, beta1={self.beta1:g}, beta2={self.beta2:g})"


# --- clipping -----------------------------------------------------------------------------------

def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    r"""‖g‖ = sqrt(Σ_k Σ_i g_{k,i}²): the Frobenius norm of all gradients taken as one vector."""
    if not grads:
        raise ValueError("grads is empty; there is no gradient to measure")
    return float(math.sqrt(sum(float(np.sum(np.square(np.asarray(g, dtype=np.float64)))) for g in grads.values())))


def clip_grad_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> tuple[dict, float]:
    r"""Clip by global norm (Pascanu, Mikolov and Bengio 2013), lesson 7, eq. (7.6).

    .. math:: g ← g \cdot \min\!\left(1, \frac{c}{‖g‖}\right)

    Returns ``(clipped, norm_before)``; ``clipped`` is a new dict (inputs are not mutated) with the
    same keys and shapes. Every array is scaled by the *same* factor, so the update keeps its direction.
    """
    c = _positive(max_norm, "clip threshold max_norm")
    norm = global_norm(grads)
    scale = min(1.0, c / norm) if norm > 0 else 1.0
    return {k: np.asarray(g) * scale for k, g in grads.items()}, norm


def gradient_cosine(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> float:
    r"""Cosine of the angle between two gradients taken as single vectors, lesson 7, eq. (7.6)–(7.7):
    :math:`\cos∠(a, b) = \langle a, b\rangle / (‖a‖\,‖b‖)`. 1 means the same direction (norm clipping
    always gives 1); element-wise clipping gives less whenever it cuts some entries and not others.
    Both dicts must have the same keys and shapes; raises ``ValueError`` if either is zero.
    """
    if set(a) != set(b):
        raise ValueError(f"the gradients have different keys: {sorted(a)} vs {sorted(b)}")
    dot = 0.0
    for k in a:
        x, y = np.asarray(a[k], dtype=np.float64), np.asarray(b[k], dtype=np.float64)
        if x.shape != y.shape:
            raise ValueError(f"{k!r} has shape {x.shape} in one gradient and {y.shape} in the other")
        dot += float(np.sum(x * y))
    na, nb = global_norm(a), global_norm(b)
    if na == 0 or nb == 0:
        raise ValueError("the cosine of a zero gradient is undefined")
    return dot / (na * nb)


def clip_grad_value(grads: Mapping[str, np.ndarray], limit: float) -> dict:
    r"""Element-wise clipping (min-char-rnn's ``np.clip(dparam, -5, 5)``), lesson 7, eq. (7.7).

    .. math:: g_i ← \min(\max(g_i, −c), c)

    Returns a new dict with the same keys and shapes. Entries larger than ``c`` are cut and the
    others kept, so the direction of the update changes whenever clipping acts.
    """
    c = _positive(limit, "clip threshold limit")
    if not grads:
        raise ValueError("grads is empty; there is nothing to clip")
    return {k: np.clip(np.asarray(g), -c, c) for k, g in grads.items()}


# --- the loop -----------------------------------------------------------------------------------

@dataclass
class History:
    """What :func:`fit` recorded, one entry per optimisation step.

    ``steps`` (1-based step numbers), ``losses`` (the mini-batch loss *before* the update),
    ``grad_norms`` (global gradient norm before clipping), ``clipped`` (whether clipping changed the
    gradient), ``seconds`` (wall time of the whole fit), ``diverged`` (a loss or gradient became
    non-finite and training stopped), ``meta`` (anything the callback stores).
    """

    steps: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    grad_norms: list = field(default_factory=list)
    clipped: list = field(default_factory=list)
    seconds: float = 0.0
    diverged: bool = False
    meta: dict = field(default_factory=dict)

    def smoothed(self, window: int = 20) -> np.ndarray:
        """Running mean of ``losses`` over the last ``window`` steps (shorter at the start)."""
        if int(window) < 1:
            raise ValueError(f"window must be at least 1, got {window!r}")
        x = np.asarray(self.losses, dtype=np.float64)
        if x.size == 0:
            return x
        c = np.concatenate([[0.0], np.cumsum(x)])
        idx = np.arange(1, x.size + 1)
        lo = np.maximum(0, idx - int(window))
        return (c[idx] - c[lo]) / (idx - lo)

    def final_loss(self, last: int = 50) -> float:
        """Mean loss over the last ``last`` steps (the figure a lesson quotes)."""
        if not self.losses:
            raise ValueError("history is empty: fit ran no steps")
        return float(np.mean(self.losses[-int(last):]))


def _batches_forever(batches):
    if callable(batches):  # a factory: draw a fresh batch every step
        while True:
            yield batches()
    # A re-iterable (list, dataset object): restart it when exhausted. A one-shot iterator cannot be
    # restarted; when it runs dry fit stops (checked below).
    while True:
        it = iter(batches)
        got = False
        for b in it:
            got = True
            yield b
        if not got or it is batches:
            return


def fit(params: dict, loss_and_grads: Callable, batches, *, optimizer, n_steps: int,
        clip_norm: float | None = None, clip_value: float | None = None,
        callback: Callable | None = None, progress: bool = True, desc: str | None = None) -> History:
    r"""Train ``params`` in place for ``n_steps`` optimisation steps; lesson 7, eqs. (7.6)–(7.9).

    Each step: ``loss, grads = loss_and_grads(params, batch)``; record ``loss`` and the global norm
    of the parameters' gradients; clip (``clip_norm``: eq. (7.6), ``clip_value``: eq. (7.7), both may
    be given: norm first); ``optimizer.step(params, grads)``; ``callback(step, params, loss, history)``
    if given (return ``True`` from it to stop early).

    ``batches`` is an iterable of batches (restarted when exhausted) or a zero-argument function that
    returns a fresh batch. Gradient keys that are not parameters (``"h0"``) are dropped before the
    norm is taken. A non-finite loss or gradient stops training with ``history.diverged = True``
    (numpy's overflow warnings inside that step are silenced: the flag is the report).
    Progress: a ``tqdm.auto`` bar (disabled with ``progress=False``) showing the smoothed loss.
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")
    if clip_norm is not None:
        _positive(clip_norm, "clip threshold clip_norm")
    if clip_value is not None:
        _positive(clip_value, "clip threshold clip_value")
    if not hasattr(optimizer, "step"):
        raise ValueError(f"optimizer must have a step(params, grads) method, got {optimizer!r}")
    if not params:
        raise ValueError("params is empty; there is nothing to train")

    history = History()
    source = _batches_forever(batches)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=int(n_steps), desc=desc or "training", leave=True, mininterval=0.5)
    start = time.perf_counter()
    try:
        for step in range(1, int(n_steps) + 1):
            try:
                batch = next(source)
            except StopIteration:
                raise ValueError(f"batches ran out after {step - 1} step(s); pass a list, a re-iterable "
                                 "or a function returning a batch") from None
            # A diverging run overflows somewhere in the loss; numpy's warnings about it are silenced
            # here because the divergence is detected just below and reported in history.diverged.
            with np.errstate(over="ignore", invalid="ignore"):
                loss, grads = loss_and_grads(params, batch)
                loss = float(loss)
                grads = {k: grads[k] for k in params if k in grads}
                norm = global_norm(grads) if grads else float("nan")
            history.steps.append(step)
            history.losses.append(loss)
            history.grad_norms.append(norm)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                history.clipped.append(False)
                history.diverged = True
                break
            clipped = False
            if clip_norm is not None and norm > clip_norm:
                grads, _ = clip_grad_norm(grads, clip_norm)
                clipped = True
            if clip_value is not None:
                before = grads
                grads = clip_grad_value(grads, clip_value)
                clipped = clipped or any(np.any(np.abs(before[k]) > clip_value) for k in before)
            history.clipped.append(clipped)
            optimizer.step(params, grads)
            if bar is not None:
                bar.update(1)
                if step % 10 == 0 or step == n_steps:
                    bar.set_postfix_str(f"loss {np.mean(history.losses[-20:]):.4f}", refresh=False)
            if callback is not None and callback(step, params, loss, history):
                break
    finally:
        history.seconds = time.perf_counter() - start
        if bar is not None:
            bar.close()
    return history


# --- checkpoints --------------------------------------------------------------------------------

_PARAM = "param."
_META = "__meta__"


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"checkpoint metadata must be JSON-serialisable; {type(obj).__name__} is not")


def save_checkpoint(path, params: Mapping[str, np.ndarray], **meta) -> str:
    """Save ``params`` (arrays) and ``meta`` (JSON-serialisable values) with ``numpy.savez``.

    The metadata is stored as one JSON string, so :func:`load_checkpoint` never needs pickle.
    Returns the path written (``numpy.savez`` appends ``.npz`` when it is missing).
    """
    if not params:
        raise ValueError("params is empty; there is nothing to save")
    arrays = {}
    for k, v in params.items():
        a = np.asarray(v)
        if a.dtype == object:
            raise ValueError(f"params[{k!r}] is not a numeric array (dtype object)")
        arrays[_PARAM + str(k)] = a
    try:
        text = json.dumps(meta, default=_json_default, sort_keys=True)
    except TypeError as exc:
        raise ValueError(str(exc)) from None
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    np.savez(path, **arrays, **{_META: np.array(text)})
    return path


def load_checkpoint(path) -> tuple[dict, dict]:
    """Load a checkpoint written by :func:`save_checkpoint`: ``(params, meta)``, with ``allow_pickle=False``.

    Raises ``ValueError`` naming the file if it is missing, not an ``.npz`` archive, or not a checkpoint.
    """
    path = os.fspath(path)
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError) as exc:
        raise ValueError(f"cannot read checkpoint {path}: {exc}") from exc
    if not hasattr(data, "files"):
        raise ValueError(f"cannot read checkpoint {path}: it holds a single array, not a checkpoint archive")
    with data:
        if _META not in data.files:
            raise ValueError(f"{path} is not an rnnedu checkpoint (no {_META} entry)")
        try:
            params = {k[len(_PARAM):]: data[k] for k in data.files if k.startswith(_PARAM)}
            meta = json.loads(str(data[_META]))
        except (OSError, EOFError, ValueError) as exc:
            raise ValueError(f"cannot read checkpoint {path}: {exc}") from exc
    return params, meta
