r"""Long-range synthetic tasks, their exact trivial baselines, loss heads and the remedy runner, lesson 7.

Two tasks whose difficulty is one knob, the lag (Hochreiter and Schmidhuber 1997; Arjovsky, Shah and
Bengio 2016), generated in numpy from a seeded ``Generator`` — nothing is downloaded:

* **adding problem** — ``xs (T, B, 2)``: channel 0 holds values uniform in [0, 1], channel 1 marks one
  step in each half of the sequence; the target is the sum of the two marked values. Predicting the
  constant ``c`` costs ``MSE = 1/6 + (1 − c)²`` (eq. (7.1)); the best constant, 1, gives 1/6 ≈ 0.167.
* **copy task** — token ids: 10 symbols drawn from 8, ``lag − 1`` blanks, a delimiter, 10 blanks
  (``lag + 20`` steps); the model must output blanks, then the 10 symbols after the delimiter. A
  memoryless model that knows the layout costs ``10 ln 8 / (lag + 20)`` nats per step (eq. (7.2)).

Loss heads compose the recurrent cells' own forward and backward passes (``rnn_forward`` /
``rnn_backward`` of lesson 5, ``gru_forward`` / ``gru_backward`` of this lesson): a head returns
``∂L/∂h_t`` as ``dhs``, zero at steps without a loss, and BPTT is never copied.

Models compared (:data:`MODELS`): ``"tanh"`` (Gaussian ``W_hh``, std ``1/√H``), ``"orthogonal"``
(tanh, orthogonal ``W_hh``), ``"irnn"`` (ReLU, ``W_hh = I``, Le, Jaitly and Hinton 2015), ``"gru"`` and
``"lstm"`` (:mod:`rnnedu.lstm`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from rnnedu._checks import as_float_array, check_rng, check_shape, finite_number
from rnnedu.decay import init_recurrent
from rnnedu.gated import GRU_KEYS, gru_backward, gru_forward, init_gru_params
from rnnedu.lstm import LSTM_KEYS, init_lstm_params, lstm_backward, lstm_forward
from rnnedu.rnn import init_rnn_params, rnn_backward, rnn_forward
from rnnedu.softmax import log_softmax
from rnnedu.train import SGD, Adam, History, fit

__all__ = [
    "ADDING_BASELINE_MSE",
    "MODELS",
    "TaskRun",
    "adding_baseline_mse",
    "adding_problem",
    "copy_baseline",
    "copy_memoryless_logits",
    "copy_task",
    "init_model",
    "last_step_mse",
    "model_loss_and_grads",
    "run_task",
    "sequence_cross_entropy",
]

#: Exact MSE of always predicting 1 on the adding problem: Var(u₁ + u₂) = 2 · 1/12 (eq. (7.1)).
ADDING_BASELINE_MSE = 1.0 / 6.0

#: Copy task vocabulary: 0 blank, 1 … n_symbols the symbols, n_symbols + 1 the delimiter.
BLANK = 0


def _count(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}, got {value!r}")
    return int(value)


def _rng(rng) -> np.random.Generator:
    return check_rng(rng, "rng")


# --- the tasks and their baselines ---------------------------------------------------------------

def adding_problem(n: int, lag: int, rng: np.random.Generator, *, dtype=np.float64):
    r"""A batch of the adding problem (Arjovsky et al. 2016 form), lesson 7, eq. (7.1).

    .. math:: y = \sum_t u_t m_t, \quad u_t \sim U[0, 1], \quad m_t = 1 \text{ at one step in each half}

    ``lag`` is the sequence length T (≥ 2: each half needs a step); the first marker may sit up to
    T − 1 steps before the output. Returns ``(xs, y)``: ``xs (T, n, 2)`` = ``[u_t, m_t]``, ``y (n,)``.
    """
    n = _count(n, "n (batch size)")
    T = _count(lag, "lag")
    if T < 2:
        raise ValueError(f"the adding problem needs lag ≥ 2 (one marker in each half), got lag={lag}")
    rng = _rng(rng)
    u = rng.uniform(0.0, 1.0, size=(T, n))
    half = T // 2
    first = rng.integers(0, half, size=n)                  # one marker in [0, T/2)
    second = rng.integers(half, T, size=n)                 # one in [T/2, T)
    marks = np.zeros((T, n))
    cols = np.arange(n)
    marks[first, cols] = 1.0
    marks[second, cols] = 1.0
    xs = np.stack([u, marks], axis=-1).astype(dtype)       # (T, n, 2)
    y = (u * marks).sum(axis=0).astype(dtype)              # (n,)
    return xs, y


def adding_baseline_mse(c: float = 1.0) -> float:
    r"""Exact MSE of the constant prediction ``c`` on the adding problem, lesson 7, eq. (7.1).

    .. math:: \mathbb E[(u_1 + u_2 − c)^2] = \mathrm{Var}(u_1 + u_2) + (1 − c)^2 = \tfrac16 + (1 − c)^2

    Minimal at ``c = 1`` (the mean of the target): 1/6 ≈ 0.1667, the number every model must beat.
    """
    c = float(c)
    if not np.isfinite(c):
        raise ValueError(f"c must be finite, got {c!r}")
    return ADDING_BASELINE_MSE + (1.0 - c) ** 2


def copy_task(n: int, lag: int, rng: np.random.Generator, *, n_symbols: int = 8, length: int = 10):
    r"""A batch of the copy (memory) task (Arjovsky et al. 2016), lesson 7, eq. (7.2).

    Input: ``length`` symbols drawn uniformly from ``1 … n_symbols``, ``lag − 1`` blanks (0), the
    delimiter ``n_symbols + 1``, ``length`` blanks: ``T = lag + 2·length`` steps. Target: blanks for
    the first ``lag + length`` steps, then the ``length`` symbols. Vocabulary ``V = n_symbols + 2``.

    Returns ``(X, Y)`` token ids, both ``(lag + 2·length, n)``.
    """
    n = _count(n, "n (batch size)")
    lag = _count(lag, "lag")
    n_symbols = _count(n_symbols, "n_symbols", 2)
    length = _count(length, "length")
    rng = _rng(rng)
    T = lag + 2 * length
    symbols = rng.integers(1, n_symbols + 1, size=(length, n))
    X = np.zeros((T, n), dtype=np.intp)
    Y = np.zeros((T, n), dtype=np.intp)
    X[:length] = symbols
    X[length + lag - 1] = n_symbols + 1                      # the delimiter
    Y[lag + length:] = symbols
    return X, Y


def copy_baseline(lag: int, *, n_symbols: int = 8, length: int = 10) -> float:
    r"""Cross-entropy per step of the best memoryless strategy on the copy task, lesson 7, eq. (7.2).

    .. math:: \frac{\text{length} \cdot \ln(\text{n\_symbols})}{\text{lag} + 2\,\text{length}}
              \qquad (= 10 \ln 8 / (T + 20) \text{ by default})

    It outputs blank with certainty for ``lag + length`` steps, then the uniform distribution over the
    symbols, paying ``ln 8`` nats at each of the ``length`` recall steps.
    """
    lag = _count(lag, "lag")
    n_symbols = _count(n_symbols, "n_symbols", 2)
    length = _count(length, "length")
    return length * float(np.log(n_symbols)) / (lag + 2 * length)


def copy_memoryless_logits(lag: int, n: int, *, n_symbols: int = 8, length: int = 10,
                           confidence: float = 50.0) -> np.ndarray:
    r"""Logits of the best memoryless strategy on the copy task, lesson 7, check of eq. (7.2).

    Blank with logit ``confidence`` (probability ``1 − O(e^{−confidence})``) for the first
    ``lag + length`` steps; afterwards equal logits on the ``n_symbols`` symbols and ``−confidence``
    on blank and delimiter. Its cross-entropy against :func:`copy_task` targets tends to
    :func:`copy_baseline` as ``confidence`` grows. Shapes: → ``(lag + 2·length, n, n_symbols + 2)``.
    """
    lag = _count(lag, "lag")
    n = _count(n, "n (batch size)")
    n_symbols = _count(n_symbols, "n_symbols", 2)
    length = _count(length, "length")
    T, V = lag + 2 * length, n_symbols + 2
    logits = np.zeros((T, n, V))
    logits[:lag + length, :, BLANK] = float(confidence)
    logits[lag + length:, :, BLANK] = -float(confidence)
    logits[lag + length:, :, n_symbols + 1] = -float(confidence)
    return logits


# --- loss heads ------------------------------------------------------------------------------------

def last_step_mse(h_last, W_hy, b_y, y) -> tuple[float, dict]:
    r"""Regression head on the last state and its gradients, lesson 7, eq. (7.3).

    .. math::
        \hat y = h_T W_{hy} + b_y, \quad L = \frac1B \sum_b (\hat y_b − y_b)^2, \quad
        \frac{∂L}{∂\hat y} = \frac{2}{B}(\hat y − y), \quad
        dW_{hy} = h_T^\top \frac{∂L}{∂\hat y}, \quad db_y = \mathbf 1^\top \frac{∂L}{∂\hat y}, \quad
        \frac{∂L}{∂h_T} = \frac{∂L}{∂\hat y} W_{hy}^\top

    Shapes: ``h_last (B, H)``, ``W_hy (H, 1)``, ``b_y (1,)``, ``y (B,)`` → ``(loss, grads)`` with
    ``grads["h_last"] (B, H)``, ``grads["W_hy"] (H, 1)``, ``grads["b_y"] (1,)``.
    """
    h = as_float_array(h_last, "h_last", min_ndim=2)
    B, H = h.shape
    W_hy = as_float_array(W_hy, "W_hy")
    check_shape(W_hy, "W_hy", (H, 1))
    b_y = as_float_array(b_y, "b_y")
    check_shape(b_y, "b_y", (1,))
    y = as_float_array(y, "y")
    check_shape(y, "y", (B,))
    err = (h @ W_hy)[:, 0] + b_y[0] - y                        # (B,)
    loss = float(np.mean(err * err))
    dyhat = (2.0 / B) * err[:, None]                           # (B, 1)
    return loss, {"h_last": dyhat @ W_hy.T, "W_hy": h.T @ dyhat, "b_y": dyhat.sum(axis=0)}


def sequence_cross_entropy(hs, W_hy, b_y, Y) -> tuple[float, dict]:
    r"""Softmax cross-entropy at every step, lesson 4, eqs. (4.3)–(4.4), as a reusable head.

    .. math:: L = −\frac{1}{TB}\sum_{t,b} \log\mathrm{softmax}(h_t W_{hy} + b_y)_{y_{t,b}}, \quad
              \frac{∂L}{∂o} = \frac{\hat y − \mathrm{onehot}(y)}{TB}, \quad \frac{∂L}{∂h_t} = \frac{∂L}{∂o_t} W_{hy}^\top

    Shapes: ``hs (T, B, H)``, ``W_hy (H, K)``, ``b_y (K,)``, ``Y (T, B)`` ids → ``(loss, grads)`` with
    ``grads["hs"] (T, B, H)``, ``grads["W_hy"]``, ``grads["b_y"]``.
    """
    hs = as_float_array(hs, "hs")
    check_shape(hs, "hs", (None, None, None))
    T, B, H = hs.shape
    W_hy = as_float_array(W_hy, "W_hy")
    check_shape(W_hy, "W_hy", (H, None))
    K = W_hy.shape[1]
    b_y = as_float_array(b_y, "b_y")
    check_shape(b_y, "b_y", (K,))
    Y = np.asarray(Y)
    if Y.shape != (T, B) or not np.issubdtype(Y.dtype, np.integer):
        raise ValueError(f"Y must be integer labels of shape (T, B) = {(T, B)}, got {Y.dtype} {Y.shape}")
    if Y.min() < 0 or Y.max() >= K:
        raise ValueError(f"Y labels must lie in [0, {K}); found {int(Y.min())} … {int(Y.max())}")
    N = T * B
    h2 = hs.reshape(N, H)
    logp = log_softmax(h2 @ W_hy + b_y)                        # (N, K)
    rows, yi = np.arange(N), Y.reshape(-1)
    loss = float(-logp[rows, yi].sum() / N)
    do = np.exp(logp)
    do[rows, yi] -= 1.0
    do /= N
    return loss, {"hs": (do @ W_hy.T).reshape(T, B, H), "W_hy": h2.T @ do, "b_y": do.sum(axis=0)}


# --- the models ------------------------------------------------------------------------------------

#: name → (cell, activation). The initialisation is part of the model (see :func:`init_model`).
MODELS = {
    "tanh": ("rnn", "tanh"),
    "orthogonal": ("rnn", "tanh"),
    "irnn": ("rnn", "relu"),
    "gru": ("gru", None),
    "lstm": ("lstm", None),
}


def _check_model(model: str) -> tuple[str, str | None]:
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    return MODELS[model]


def init_model(model: str, D: int, H: int, K: int, rng: np.random.Generator, *,
               recurrent_scale: float = 1.0) -> dict:
    r"""Parameters of one of :data:`MODELS`, lesson 7, section 3.

    * ``"tanh"``: :func:`rnnedu.rnn.init_rnn_params` (all weights ``N(0, 1/fan_in)``), ``W_hh`` times
      ``recurrent_scale`` (> 1 makes gradients explode, lesson 6);
    * ``"orthogonal"``: the same with ``W_hh`` orthogonal (all singular values 1) times ``recurrent_scale``;
    * ``"irnn"``: ReLU, ``W_hh = I``, ``b_h = 0``, ``W_xh ~ N(0, 0.001²)`` (Le, Jaitly and Hinton 2015);
    * ``"gru"``: :func:`rnnedu.gated.init_gru_params` (update-gate bias 1); ``recurrent_scale`` other
      than 1 raises ``ValueError`` rather than being ignored.
    * ``"lstm"``: :func:`rnnedu.lstm.init_lstm_params` (forget-gate bias 1); likewise.

    Every model has an output layer ``W_hy (H, K)``, ``b_y (K,)``.
    """
    cell, _ = _check_model(model)
    rng = _rng(rng)
    recurrent_scale = finite_number(recurrent_scale, "recurrent_scale", positive=True)
    if cell in ("gru", "lstm") and recurrent_scale != 1.0:
        raise ValueError(f"recurrent_scale={recurrent_scale!r} applies to the vanilla RNN models only; the "
                         f"{cell.upper()}'s recurrent weights come with gate biases (init_{cell}_params) — leave it at 1")
    base = init_rnn_params(D, H, K, rng)
    if cell == "gru":
        params = init_gru_params(D, H, rng)
        params["W_hy"], params["b_y"] = base["W_hy"], base["b_y"]
        return params
    if cell == "lstm":
        params = init_lstm_params(D, H, rng)                       # forget-gate bias 1 (lesson 7)
        params["W_hy"], params["b_y"] = base["W_hy"], base["b_y"]
        return params
    if model == "orthogonal":
        base["W_hh"] = init_recurrent(H, rng, "orthogonal")   # lesson 6, eq. (6.8)
    elif model == "irnn":
        base["W_hh"] = init_recurrent(H, rng, "identity")
        base["W_xh"] = rng.normal(0.0, 1e-3, (D, H))
    base["W_hh"] = base["W_hh"] * float(recurrent_scale)
    return base


def _cell_forward(model, params, xs, h0):
    cell, act = _check_model(model)
    if cell == "gru":
        hs, cache = gru_forward(xs, h0, {k: params[k] for k in GRU_KEYS})
        return hs, cache
    if cell == "lstm":
        return lstm_forward(xs, h0, None, {k: params[k] for k in LSTM_KEYS})
    return rnn_forward(xs, h0, params["W_xh"], params["W_hh"], params["b_h"], act), None


def _cell_backward(model, params, dhs, xs, hs, h0, cache, truncate):
    cell, act = _check_model(model)
    if cell == "gru":
        if truncate is not None:
            raise ValueError("truncate is implemented for the vanilla RNN models only, not for 'gru'")
        return gru_backward(dhs, cache)
    if cell == "lstm":
        if truncate is not None:
            raise ValueError("truncate is implemented for the vanilla RNN models only, not for 'lstm'")
        grads = lstm_backward(dhs, cache)
        grads.pop("c0")
        return grads
    return rnn_backward(dhs, xs, hs, h0, params["W_xh"], params["W_hh"], act, truncate)


def model_loss_and_grads(params: dict, batch, *, model: str, task: str, truncate: int | None = None):
    r"""Loss and gradients of ``model`` on one ``batch`` of ``task`` (``"adding"`` or ``"copy"``).

    Adding: ``last_step_mse`` on ``h_T`` (eq. (7.3)) with ``dhs`` zero except at the last step.
    Copy: ``sequence_cross_entropy`` at every step. Either way BPTT is the cell's own backward
    (``rnn_backward``, optionally truncated to ``truncate`` steps, ``gru_backward`` or ``lstm_backward``).
    ``h0 = 0``. Returns ``(loss, grads)`` with every key of ``params`` (plus ``"h0"``).
    """
    cell, _ = _check_model(model)
    if task not in ("adding", "copy"):
        raise ValueError(f"unknown task {task!r}; choose 'adding' or 'copy'")
    cell_keys = {"gru": GRU_KEYS, "lstm": LSTM_KEYS}.get(cell, ("W_xh", "W_hh", "b_h"))
    need = (*cell_keys, "W_hy", "b_y")
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict with keys {', '.join(need)}, got {type(params).__name__}")
    missing = [k for k in need if k not in params]
    if missing:
        raise ValueError(f"params lacks {', '.join(missing)} for model {model!r} (needs {', '.join(need)})")
    if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
        raise ValueError(f"batch must be a pair (xs, y) as adding_problem / copy_task return, got {type(batch).__name__}")
    xs, y = batch
    if np.ndim(xs) < 2:
        raise ValueError(f"batch inputs xs must be (T, B, D) or ids (T, B), got shape {np.shape(xs)}")
    B = np.shape(xs)[1]
    W_hy = as_float_array(params["W_hy"], "W_hy", min_ndim=2)
    check_shape(W_hy, "W_hy", (None, None))
    H = W_hy.shape[0]
    h0 = np.zeros((B, H))
    hs, cache = _cell_forward(model, params, xs, h0)
    if task == "adding":
        loss, head = last_step_mse(hs[-1], params["W_hy"], params["b_y"], y)
        dhs = np.zeros_like(hs)
        dhs[-1] = head["h_last"]
    elif task == "copy":
        loss, head = sequence_cross_entropy(hs, params["W_hy"], params["b_y"], y)
        dhs = head["hs"]
    else:
        raise ValueError(f"unknown task {task!r}; choose 'adding' or 'copy'")
    grads = _cell_backward(model, params, dhs, xs, hs, h0, cache, truncate)
    grads["W_hy"], grads["b_y"] = head["W_hy"], head["b_y"]
    return loss, grads


# --- the runner ------------------------------------------------------------------------------------

@dataclass
class TaskRun:
    """One training run: which model, task and lag; the :class:`~rnnedu.train.History`; the loss on a
    fresh test batch; the task's exact baseline. ``success = 1 − test_loss / baseline`` (0: no better
    than the baseline, 1: perfect), the quantity plotted against the lag."""

    model: str
    task: str
    lag: int
    history: History
    test_loss: float
    baseline: float
    params: dict

    @property
    def success(self) -> float:
        return 1.0 - self.test_loss / self.baseline

    def __repr__(self) -> str:
        return (f"{self.model:>10s} {self.task} lag {self.lag:3d}: test {self.test_loss:.4f} "
                f"vs baseline {self.baseline:.4f} (success {self.success:+.2f})")


def _make_batch(task: str, n: int, lag: int, rng):
    if task == "adding":
        return adding_problem(n, lag, rng)
    if task == "copy":
        return copy_task(n, lag, rng)
    raise ValueError(f"unknown task {task!r}; choose 'adding' or 'copy'")


def run_task(model: str, task: str, lag: int, *, hidden: int = 32, batch_size: int = 32,
             n_steps: int = 300, lr: float = 1e-2, optimizer: str = "adam", clip_norm: float | None = 1.0,
             clip_value: float | None = None, truncate: int | None = None, recurrent_scale: float = 1.0,
             n_test: int = 500, seed: int = 0, progress: bool = True, desc: str | None = None) -> TaskRun:
    r"""Train ``model`` on ``task`` at ``lag`` with :func:`rnnedu.train.fit` and test it on fresh data.

    Fresh training batches are drawn every step (``rng = default_rng(seed)``), the test batch from an
    independent stream (``default_rng(seed + 10_000)``), so all models see the same data for the same
    seed. ``optimizer`` is ``"adam"`` or ``"sgd"``; ``progress``/``desc`` control the progress bar. Baselines: :func:`adding_baseline_mse` (1/6) and
    :func:`copy_baseline`.
    """
    cell, _ = _check_model(model)
    lag = _count(lag, "lag")
    batch_size = _count(batch_size, "batch_size")
    n_test = _count(n_test, "n_test")
    seed = _count(seed, "seed", 0)
    if truncate is not None and cell == "gru":
        raise ValueError("truncate is implemented for the vanilla RNN models only, not for 'gru'")
    if task not in ("adding", "copy"):
        raise ValueError(f"unknown task {task!r}; choose 'adding' or 'copy'")
    if optimizer == "adam":
        opt = Adam(lr)
    elif optimizer == "sgd":
        opt = SGD(lr)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose 'adam' or 'sgd'")
    rng = np.random.default_rng(seed)
    D, K = (2, 1) if task == "adding" else (10, 10)
    params = init_model(model, D, _count(hidden, "hidden"), K, rng, recurrent_scale=recurrent_scale)
    loss_fn = partial(model_loss_and_grads, model=model, task=task, truncate=truncate)
    history = fit(params, loss_fn, lambda: _make_batch(task, batch_size, lag, rng), optimizer=opt,
                  n_steps=n_steps, clip_norm=clip_norm, clip_value=clip_value, progress=progress,
                  desc=desc or f"{model} lag {lag}")
    test = _make_batch(task, n_test, lag, np.random.default_rng(seed + 10_000))
    with np.errstate(all="ignore"):
        test_loss = model_loss_and_grads(params, test, model=model, task=task)[0] if not history.diverged \
            else float("nan")
    baseline = ADDING_BASELINE_MSE if task == "adding" else copy_baseline(lag)
    return TaskRun(model, task, lag, history, float(test_loss), baseline, params)
