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
import stat
import time
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import numpy as np

from rnnedu._checks import ForwardOverflowWarning, scaled_norm

__all__ = [
    "SGD",
    "Adam",
    "Divergence",
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


def _check_params_mapping(params) -> None:
    if not isinstance(params, Mapping) or not params:
        raise ValueError(f"params must be a non-empty dict of float arrays, got {type(params).__name__}")
    for k, p in params.items():
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            what = f"dtype {p.dtype}" if isinstance(p, np.ndarray) else type(p).__name__
            raise ValueError(f"params[{k!r}] must be a float numpy array (it is updated in place), got {what}")
        if not p.flags.writeable:
            raise ValueError(f"params[{k!r}] is read-only; the optimiser updates parameters in place")


def _check_grads(params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
    _check_params_mapping(params)
    if not isinstance(grads, Mapping):
        raise ValueError(f"grads must be a dict with the keys of params, got {type(grads).__name__}")
    missing = [k for k in params if k not in grads]
    if missing:
        raise ValueError(f"grads has no entry for parameter(s) {', '.join(missing)}")
    for k, p in params.items():
        g = np.asarray(grads[k])
        if g.dtype.kind not in "biuf":
            raise ValueError(f"grads[{k!r}] must be a real numeric array, got dtype {g.dtype}")
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

def _check_grad_dict(grads, if_empty: str, if_nan: str) -> None:
    """A non-empty dict of real arrays without NaN, or a ValueError naming the entry at fault."""
    if not isinstance(grads, Mapping) or not grads:
        raise ValueError(f"grads must be a non-empty dict of arrays; {if_empty}")
    for k, g in grads.items():
        if np.asarray(g).dtype.kind not in "biuf":
            raise ValueError(f"grads[{k!r}] must be a real numeric array, got dtype {np.asarray(g).dtype}")
        if np.isnan(np.asarray(g, dtype=np.float64)).any():
            raise ValueError(f"grads[{k!r}] contains NaN; {if_nan}")


def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    r"""‖g‖ = sqrt(Σ_k Σ_i g_{k,i}²): the Frobenius norm of all gradients taken as one vector."""
    _check_grad_dict(grads, "there is no gradient to measure", "its norm is undefined")
    # scaled: |g| above ~1e154 would overflow a plain sum of squares (and below 1e-162 underflow to 0).
    # An infinite entry gives inf, a clear answer.
    return scaled_norm(grads.values())


def clip_grad_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> tuple[dict, float]:
    r"""Clip by global norm (Pascanu, Mikolov and Bengio 2013), lesson 7, eq. (7.6).

    .. math:: g ← g \cdot \min\!\left(1, \frac{c}{‖g‖}\right)

    Returns ``(clipped, norm_before)``; ``clipped`` is a new dict (inputs are not mutated) with the
    same keys and shapes. Every array is scaled by the *same* factor, so the update keeps its direction.
    """
    c = _positive(max_norm, "clip threshold max_norm")
    norm = global_norm(grads)
    if not math.isfinite(norm):
        bad = next(k for k, g in grads.items() if not np.all(np.isfinite(np.asarray(g, dtype=np.float64))))
        raise ValueError(f"grads[{bad!r}] contains NaN or infinity, so ‖g‖ = {norm} and clipping cannot "
                         "rescale it; the run has diverged (lower the learning rate)")
    scale = min(1.0, c / norm) if norm > 0 else 1.0
    return {k: np.asarray(g) * scale for k, g in grads.items()}, norm


def gradient_cosine(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> float:
    r"""Cosine of the angle between two gradients taken as single vectors, lesson 7, eq. (7.6)–(7.7):
    :math:`\cos∠(a, b) = \langle a, b\rangle / (‖a‖\,‖b‖)`. 1 means the same direction (norm clipping
    always gives 1); element-wise clipping gives less whenever it cuts some entries and not others.
    Both dicts must have the same keys and shapes; raises ``ValueError`` if either is zero.
    """
    if not isinstance(a, Mapping) or not isinstance(b, Mapping):
        raise ValueError("a and b must be dicts of gradient arrays")
    if set(a) != set(b):
        raise ValueError(f"the gradients have different keys: {sorted(a)} vs {sorted(b)}")
    for k in a:
        if np.shape(a[k]) != np.shape(b[k]):
            raise ValueError(f"{k!r} has shape {np.shape(a[k])} in one gradient and {np.shape(b[k])} in the other")
    for name, g in (("a", a), ("b", b)):
        for k, v in g.items():
            if np.asarray(v).dtype.kind not in "biuf" or not np.all(np.isfinite(np.asarray(v, dtype=np.float64))):
                raise ValueError(f"{name}[{k!r}] must be a finite real array; the cosine needs finite gradients")
    na, nb = global_norm(a), global_norm(b)
    if na == 0 or nb == 0:
        raise ValueError("the cosine of a zero gradient is undefined")
    # each divided by its norm first: the plain dot product overflows for entries above ~1e154
    dot = sum(float(np.sum((np.asarray(a[k], dtype=np.float64) / na) * (np.asarray(b[k], dtype=np.float64) / nb)))
              for k in a)
    return dot


def clip_grad_value(grads: Mapping[str, np.ndarray], limit: float) -> dict:
    r"""Element-wise clipping (min-char-rnn's ``np.clip(dparam, -5, 5)``), lesson 7, eq. (7.7).

    .. math:: g_i ← \min(\max(g_i, −c), c)

    Returns a new dict with the same keys and shapes. Entries larger than ``c`` are cut and the
    others kept, so the direction of the update changes whenever clipping acts.
    """
    c = _positive(limit, "clip threshold limit")
    _check_grad_dict(grads, "there is nothing to clip", "there is no value to clip it to")
    return {k: np.clip(np.asarray(g), -c, c) for k, g in grads.items()}


# --- the loop -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Divergence:
    """Why and where :func:`fit` stopped a run that diverged: ``step`` (1-based, the last entry of
    ``history.steps``) and ``reason`` (what became non-finite). Truthy, so ``if history.diverged:``
    reads as before; ``str()`` gives ``"step 206: the loss became inf"``."""

    step: int
    reason: str

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        return f"step {self.step}: {self.reason}"


@dataclass
class History:
    """What :func:`fit` recorded, one entry per optimisation step.

    ``steps`` (1-based step numbers), ``losses`` (the mini-batch loss *before* the update),
    ``grad_norms`` (global gradient norm before clipping), ``clipped`` (whether clipping changed the
    gradient), ``seconds`` (wall time of the whole fit), ``diverged`` (``False``, or a truthy
    :class:`Divergence` with the ``step`` and the ``reason`` when a loss, a gradient, a hidden state or
    a parameter became non-finite and training stopped), ``meta`` (anything the callback stores).
    """

    steps: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    grad_norms: list = field(default_factory=list)
    clipped: list = field(default_factory=list)
    seconds: float = 0.0
    diverged: "bool | Divergence" = False
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


def _loss_step(loss_and_grads, params, batch, step):
    """``loss_and_grads(params, batch)`` with overflow watched: returns ``(loss, grads, None)``, or
    ``(None, None, reason)`` when the computation overflowed and then failed (a recurrent forward
    pass leaving the float range, or a head refusing the non-finite states it produced). Errors
    without an overflow are the caller's mistakes and propagate unchanged."""
    overflowed = []
    with warnings.catch_warnings(), np.errstate(over="call", invalid="ignore", call=lambda *_: overflowed.append(1)):
        warnings.simplefilter("error", ForwardOverflowWarning)
        try:
            out = loss_and_grads(params, batch)
        except ForwardOverflowWarning as w:
            return None, None, str(w)
        except ValueError as exc:
            if not overflowed:
                raise
            return None, None, f"a computation overflowed and then failed: {exc}"
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise ValueError("loss_and_grads must return (loss, grads), got "
                             f"{type(out).__name__}{f' of length {len(out)}' if isinstance(out, tuple) else ''}")
        loss, grads = out
        try:
            loss = float(loss)
        except (TypeError, ValueError):
            raise ValueError(f"loss_and_grads must return a scalar loss, got {type(loss).__name__} "
                             f"of shape {np.shape(loss)}") from None
    if not isinstance(grads, Mapping):
        raise ValueError(f"loss_and_grads must return a dict of gradients, got {type(grads).__name__}")
    missing = [k for k in params if k not in grads]
    if missing:
        raise ValueError(f"loss_and_grads returned no gradient for parameter(s) {', '.join(map(repr, missing))}; "
                         f"it returned the keys {', '.join(map(repr, grads)) or '(none)'} (a misspelled key?)")
    grads = {k: grads[k] for k in params}
    for k, g in grads.items():
        if np.shape(g) != np.shape(params[k]):
            raise ValueError(f"grads[{k!r}] has shape {np.shape(g)}, but params[{k!r}] has shape {np.shape(params[k])}")
    return loss, grads, None


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
    norm is taken; a parameter with no gradient is a ``ValueError`` naming it (a misspelled key is a
    bug, not a divergence). Divergence stops training and is reported, never raised:
    ``history.diverged`` becomes a :class:`Divergence` with the step and the reason when the loss or
    the gradient is non-finite, when a recurrent forward pass overflows
    (:class:`rnnedu._checks.ForwardOverflowWarning`, recorded as loss ``inf``), when a loss fails on
    values that overflowed inside it, or when an update makes a parameter non-finite. numpy's overflow
    warnings inside a step are silenced: the report is ``history.diverged``.
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
    _check_params_mapping(params)
    if not callable(loss_and_grads):
        raise ValueError(f"loss_and_grads must be a function (params, batch) -> (loss, grads), got {loss_and_grads!r}")
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be a function (step, params, loss, history) or None, got {callback!r}")

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
            loss, grads, reason = _loss_step(loss_and_grads, params, batch, step)
            if reason is not None:  # the forward pass or the loss overflowed before a loss existed
                history.steps.append(step)
                history.losses.append(float("inf"))
                history.grad_norms.append(float("inf"))
                history.clipped.append(False)
                history.diverged = Divergence(step, reason)
                break
            norm = scaled_norm(grads.values())  # NaN for NaN gradients: reported as a divergence below
            history.steps.append(step)
            history.losses.append(loss)
            history.grad_norms.append(norm)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                history.clipped.append(False)
                if not math.isfinite(loss):
                    reason = f"the loss became {loss}"
                else:
                    bad = next(k for k, g in grads.items() if not np.all(np.isfinite(np.asarray(g, dtype=float))))
                    reason = f"the gradient became non-finite (grads[{bad!r}], ‖g‖ = {norm})"
                history.diverged = Divergence(step, reason)
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
            with np.errstate(over="ignore", invalid="ignore"):  # checked, and reported, just below
                optimizer.step(params, grads)
            bad = [k for k, p in params.items() if not np.all(np.isfinite(p))]
            if bad:  # a finite but huge gradient times the learning rate overflowed a parameter
                history.diverged = Divergence(step, f"the update made params[{bad[0]!r}] non-finite")
                break
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


#: The largest checkpoint :func:`load_checkpoint` reads unless told otherwise (uncompressed bytes).
MAX_CHECKPOINT_BYTES = 1 << 30


def _member_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: str):
    """Read and check one ``.npy`` member's header without allocating its data: returns
    ``(shape, dtype, fortran_order, header_bytes)``. Object dtypes (pickles) are refused here."""
    fmt = np.lib.format
    with zf.open(info) as f:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
        offset = f.tell()
    allowed = "U" if info.filename == _META + ".npy" else "biuf"
    if dtype.hasobject or dtype.kind not in allowed:
        raise ValueError(f"member {info.filename!r} of {path} has dtype {dtype}; a checkpoint holds real numeric "
                         "arrays and one JSON string (rnnedu never loads pickled objects)")
    return shape, dtype, fortran, offset


def load_checkpoint(path, *, max_bytes: int = MAX_CHECKPOINT_BYTES) -> tuple[dict, dict]:
    """Load a checkpoint written by :func:`save_checkpoint`: ``(params, meta)``. Never uses pickle.

    The archive is read member by member with :mod:`zipfile`: every member must be a ``.npy`` array of
    a numeric dtype whose header-declared size matches the member's size, and all of them together at
    most ``max_bytes`` (checked *before* anything is allocated, so a crafted header cannot make it
    allocate terabytes); the metadata must be a JSON object. Raises ``FileNotFoundError`` if ``path``
    does not exist and ``ValueError`` naming the file for anything else: a directory, FIFO or device,
    a file that is not a zip archive, a truncated or corrupted one (bad CRC), a member that is not an
    array, an object (pickle) array, or a file that is not an rnnedu checkpoint. A missing file is a ``ValueError`` too.
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}")
    try:
        path = os.fspath(path)
    except TypeError:
        raise ValueError(f"path must be a file path (str or os.PathLike), got {type(path).__name__}") from None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ValueError(f"cannot read checkpoint {path}: it does not exist") from None
    except OSError as exc:
        raise ValueError(f"cannot read checkpoint {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file (a FIFO, socket or device)"
        raise ValueError(f"cannot read checkpoint {path}: it is {kind}")
    with open(path, "rb") as f:
        if f.read(6) == b"\x93NUMPY":
            raise ValueError(f"cannot read checkpoint {path}: it holds a single array, not a checkpoint archive")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"cannot read checkpoint {path}: not a zip (.npz) archive or a truncated one ({exc})") from None
    params: dict = {}
    meta = None
    try:
        with zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            if len(set(names)) != len(names):
                raise ValueError(f"{path} lists a member twice; not a checkpoint written by save_checkpoint")
            if _META + ".npy" not in names:
                raise ValueError(f"{path} is not an rnnedu checkpoint (no {_META} entry)")
            plan, total = [], 0
            for info in infos:
                if not info.filename.endswith(".npy"):
                    raise ValueError(f"member {info.filename!r} of {path} is not a .npy array")
                key = info.filename[:-4]
                if key != _META and not key.startswith(_PARAM):
                    raise ValueError(f"member {info.filename!r} of {path} is neither a parameter nor the metadata")
                shape, dtype, fortran, offset = _member_header(zf, info, path)
                nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
                if nbytes != info.file_size - offset:
                    raise ValueError(f"member {info.filename!r} of {path} declares shape {shape} of {dtype} "
                                     f"({nbytes} bytes) but holds {info.file_size - offset} bytes")
                total += nbytes
                if total > max_bytes:
                    raise ValueError(f"{path} holds more than max_bytes={max_bytes} bytes of arrays; "
                                     "pass a larger max_bytes if you trust the file")
                plan.append((info, key, dtype))
            for info, key, dtype in plan:
                with zf.open(info) as f:
                    arr = np.lib.format.read_array(f, allow_pickle=False)
                if key == _META:
                    if arr.shape != () or arr.dtype.kind != "U":
                        raise ValueError(f"the metadata of {path} is not a JSON string")
                    meta = json.loads(str(arr))
                else:
                    params[key[len(_PARAM):]] = arr
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise ValueError(f"cannot read checkpoint {path}: the archive is corrupted or truncated ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"cannot read checkpoint {path}: its metadata is not valid JSON ({exc})") from None
    except ValueError as exc:
        raise ValueError(f"cannot read checkpoint {path}: {exc}".replace(f" of {path}", "")) from None
    if not isinstance(meta, dict):
        raise ValueError(f"cannot read checkpoint {path}: its metadata is not a JSON object "
                         f"(got {type(meta).__name__})")
    return params, meta
