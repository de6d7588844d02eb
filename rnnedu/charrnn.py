r"""Character-level RNNs trained end to end: a name → language classifier (lesson 8) and a character
language model with sampling (lesson 9).

Lessons: ``notebooks/08_name_classifier.ipynb`` and ``notebooks/09_char_language_model.ipynb``.
Sources: the German note 000 (a character classifier ``Y = log_softmax(W_1(X + H) + B_1)``,
``H = W_2(X + H) + B_2``) and the Chinese note 001 (a batched character language model, vocabulary 28,
outputs ``(T, B, 28)``). Every loss head here is composed from :func:`rnnedu.rnn.rnn_forward` and
:func:`rnnedu.rnn.rnn_backward`: the head supplies ``dhs``, ∂L/∂h_t arriving directly at each step, and
BPTT does the rest.

Shapes (``rnnedu`` notation): ids ``(T, B)`` time-major, ``lengths (B,)`` with ``1 ≤ L_b ≤ T``,
labels ``(B,)`` in ``[0, K)``; ``V`` (= D) characters, ``H`` hidden units, ``K`` languages.

Padding policy (lesson 8): a batch of names is right-padded to its longest name and the classifier
reads each name's *own* last state ``h_{L_b}``. Steps after ``L_b`` are computed but never reach the
loss, and BPTT for name ``b`` starts at ``L_b``, so a name's loss and gradient do not depend on what it
is batched with (tested). Bucketing by length would save the padded steps' compute, at the price of
batches that are not uniformly random; the names are short (mean 7.4, max 28 characters), so padding
costs little.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from rnnedu._checks import as_float_array, check_rng, check_shape, finite_number, integer_array, positive_int
from rnnedu.data import LMBatch, NameBatch, Vocab, encode_names
from rnnedu.rnn import _check_params as _check_rnn_params
from rnnedu.rnn import init_rnn_params, rnn_backward, rnn_forward
from rnnedu.softmax import log_softmax, softmax

CLASSIFIER_KEYS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
NOTE_KEYS = ("W1", "b1", "W2", "b2")


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------

def _check_name_batch(batch, V: int, K: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    if not isinstance(batch, NameBatch):
        raise ValueError(f"batch must be a rnnedu.data.NameBatch (ids, lengths, labels), got {type(batch).__name__}")
    ids = np.asarray(batch.ids)
    lengths = np.asarray(batch.lengths)
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"batch ids must be (T, B) integers, got shape {ids.shape}, dtype {ids.dtype}")
    T, B = ids.shape
    if T == 0 or B == 0:
        raise ValueError(f"batch ids are empty (shape {ids.shape})")
    if ids.min() < 0 or ids.max() >= V:
        raise ValueError(f"character id out of range: ids must lie in [0, {V}), found {int(ids.min())} to {int(ids.max())}")
    if lengths.shape != (B,) or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be ({B},) integers, got shape {lengths.shape}")
    if lengths.min() < 1 or lengths.max() > T:
        raise ValueError(f"lengths must lie in [1, {T}] (T = ids.shape[0]); found {int(lengths.min())} to {int(lengths.max())}")
    labels = None
    if K is not None:
        labels = np.asarray(batch.labels)
        if labels.shape != (B,) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be ({B},) integers, got shape {labels.shape}")
        if labels.min() < 0 or labels.max() >= K:
            raise ValueError(f"label out of range: labels must lie in [0, {K}), found {int(labels.min())} to {int(labels.max())}")
    return ids.astype(np.intp), lengths.astype(np.intp), labels


def _check_keys(params, keys, what: str) -> dict:
    """Validate a parameter dict and return its arrays (lists become arrays; shapes fit; all finite)."""
    if not isinstance(params, dict) or any(k not in params for k in keys):
        raise ValueError(f"{what} params must be a dict with keys {', '.join(keys)}")
    if keys == CLASSIFIER_KEYS:
        # shapes W_xh (V, H), W_hh (H, H), b_h (H,), W_hy (H, K), b_y (K,); finite; one float dtype
        return _check_rnn_params(params)
    if keys == NOTE_KEYS:
        W2 = as_float_array(params["W2"], "W2")
        check_shape(W2, "W2", (None, None))
        V = W2.shape[0]
        check_shape(W2, "W2", (V, V))
        check_shape(as_float_array(params["b2"], "b2"), "b2", (V,))
        W1 = as_float_array(params["W1"], "W1")
        check_shape(W1, "W1", (V, None))
        check_shape(as_float_array(params["b1"], "b1"), "b1", (W1.shape[1],))
        return {k: as_float_array(params[k], k) for k in NOTE_KEYS}
    return params


def _check_vocab(vocab, params) -> Vocab:
    """The vocabulary must be the model's: ``len(vocab) = V`` rows of ``W_xh`` and columns of ``W_hy``."""
    if not isinstance(vocab, Vocab):
        raise ValueError(f"vocab must be an rnnedu.data.Vocab, got {type(vocab).__name__}")
    V_in, V_out = np.shape(params["W_xh"])[0], np.shape(params["W_hy"])[1]
    if len(vocab) != V_in or len(vocab) != V_out:
        raise ValueError(f"vocab has V = {len(vocab)} characters but the model has W_xh with {V_in} rows and "
                         f"W_hy with {V_out} columns; use the vocabulary the model was trained with")
    return vocab


def _ce_head(o: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of logits ``o (B, K)`` and its delta ``(softmax(o) − onehot(y)) / B`` (eq. (1.5))."""
    B = o.shape[0]
    logp = log_softmax(o)  # (B, K)
    rows = np.arange(B)
    loss = float(-logp[rows, labels].mean())
    do = np.exp(logp)
    do[rows, labels] -= 1.0
    return loss, do / B


# --------------------------------------------------------------------------------------------------
# Lesson 8: a tanh RNN classifier that reads each name's own last state
# --------------------------------------------------------------------------------------------------

def last_states(hs, lengths) -> np.ndarray:
    r"""Each sequence's own last hidden state, lesson 8, eq. (8.1):  :math:`h^{(b)}_{L_b} = hs[L_b − 1, b]`.

    Shapes: ``hs (T, B, H)``, ``lengths (B,)`` in ``[1, T]`` → ``(B, H)``. With right padding,
    ``hs[-1]`` would be the state after the padding, not after the name.
    """
    hs = as_float_array(hs, "hs")
    lengths = integer_array(lengths, "lengths", ndim=1)
    if hs.ndim != 3 or lengths.shape != (hs.shape[1],):
        raise ValueError(f"need hs (T, B, H) and lengths (B,), got {hs.shape} and {lengths.shape}")
    if lengths.min() < 1 or lengths.max() > hs.shape[0]:
        raise ValueError(f"lengths must lie in [1, {hs.shape[0]}], found {int(lengths.min())} to {int(lengths.max())}")
    return hs[lengths - 1, np.arange(hs.shape[1])]


def init_classifier_params(V: int, H: int, K: int, rng, *, scale=None) -> dict:
    """``W_xh (V, H)``, ``W_hh (H, H)``, ``b_h (H,)``, ``W_hy (H, K)``, ``b_y (K,)`` for
    :func:`rnn_classifier_loss` (:func:`rnnedu.rnn.init_rnn_params` with ``D = V``)."""
    return init_rnn_params(V, H, K, rng, scale=scale)


def rnn_classifier_logits(params, ids, lengths, activation: str = "tanh") -> np.ndarray:
    r"""Logits of the RNN classifier, lesson 8, eq. (8.2):  :math:`o = h_{L} W_{hy} + b_y`.

    Shapes: ids ``(T, B)``, lengths ``(B,)`` → ``o (B, K)``.
    """
    params = _check_keys(params, CLASSIFIER_KEYS, "classifier")
    ids, lengths, _ = _check_name_batch(NameBatch(ids, lengths, None), params["W_xh"].shape[0], None)
    hs = rnn_forward(ids, None, params["W_xh"], params["W_hh"], params["b_h"], activation)
    return last_states(hs, lengths) @ params["W_hy"] + params["b_y"]


def rnn_classifier_loss(params, batch: NameBatch, activation: str = "tanh", truncate=None):
    r"""Loss and gradients of the RNN name classifier, lesson 8, eqs. (8.2)–(8.4):

    .. math::
        L = -\frac{1}{B}\sum_b \log\operatorname{softmax}(h^{(b)}_{L_b} W_{hy} + b_y)_{y_b} \quad (8.3),
        \qquad
        \frac{∂L}{∂h_t^{(b)}}\Big|_{\text{direct}} = [t = L_b]\;δ^o_b W_{hy}^\top \quad (8.4)

    with ``δ^o = (softmax(o) − onehot(y)) / B``. ``dhs`` is zero except at each name's last step, and
    :func:`rnnedu.rnn.rnn_backward` carries it back through the name.

    Shapes: params ``W_xh (V, H)``, ``W_hh (H, H)``, ``b_h (H,)``, ``W_hy (H, K)``, ``b_y (K,)``;
    ``batch`` a :class:`rnnedu.data.NameBatch` (ids ``(T, B)``, lengths ``(B,)``, labels ``(B,)``).
    Returns ``(loss, grads)``, grads with the five parameter keys, each of its parameter's shape.
    """
    params = _check_keys(params, CLASSIFIER_KEYS, "classifier")
    V, H = np.shape(params["W_xh"])
    ids, lengths, labels = _check_name_batch(batch, V, np.shape(params["W_hy"])[1])
    T, B = ids.shape
    hs = rnn_forward(ids, None, params["W_xh"], params["W_hh"], params["b_h"], activation)  # (T, B, H)
    h_last = last_states(hs, lengths)  # (B, H)
    loss, do = _ce_head(h_last @ params["W_hy"] + params["b_y"], labels)  # do (B, K)
    dhs = np.zeros_like(hs)
    dhs[lengths - 1, np.arange(B)] = do @ params["W_hy"].T  # eq. (8.4): the loss touches step L_b only
    g = rnn_backward(dhs, ids, hs, None, params["W_xh"], params["W_hh"], activation, truncate)
    return loss, {"W_xh": g["W_xh"], "W_hh": g["W_hh"], "b_h": g["b_h"],
                  "W_hy": h_last.T @ do, "b_y": do.sum(axis=0)}


# --------------------------------------------------------------------------------------------------
# Lesson 8: the German note's model, corrected
# --------------------------------------------------------------------------------------------------

def init_note_params(V: int, K: int, rng, *, scale: float = 0.1) -> dict:
    """The German note's parameters: ``W1 (V, K)``, ``b1 (K,)``, ``W2 (V, V)``, ``b2 (V,)`` (the
    hidden state has as many entries as the input: ``X + H`` must be defined). Normal with std ``scale``."""
    if isinstance(V, bool) or isinstance(K, bool) or not (isinstance(V, (int, np.integer)) and V >= 1
                                                           and isinstance(K, (int, np.integer)) and K >= 2):
        raise ValueError(f"need V ≥ 1 characters and K ≥ 2 classes, got V={V!r}, K={K!r}")
    scale = finite_number(scale, "scale", positive=True)
    rng = check_rng(rng)
    return {"W1": scale * rng.standard_normal((V, K)), "b1": np.zeros(K),
            "W2": scale * rng.standard_normal((V, V)), "b2": np.zeros(V)}


def _note_forward(params, ids, lengths):
    V = params["W2"].shape[0]
    hs = rnn_forward(ids, None, params["W2"], params["W2"], params["b2"], "identity")  # (T, B, V)
    B = ids.shape[1]
    cols = np.arange(B)
    h_prev = np.zeros((B, V))
    has_prev = lengths >= 2
    h_prev[has_prev] = hs[lengths[has_prev] - 2, cols[has_prev]]  # h_{L−1} (h_0 = 0 for one letter)
    z = h_prev.copy()
    z[cols, ids[lengths - 1, cols]] += 1.0  # z_L = x_L + h_{L−1}, x_L one-hot
    return hs, z, has_prev


def note_classifier_logits(params, ids, lengths) -> np.ndarray:
    r"""Logits of the German note's model, lesson 8, eq. (8.6):  :math:`o = (x_L + h_{L-1}) W_1 + b_1`.

    Shapes: ids ``(T, B)``, lengths ``(B,)`` → ``o (B, K)``.
    """
    params = _check_keys(params, NOTE_KEYS, "note model")
    ids, lengths, _ = _check_name_batch(NameBatch(ids, lengths, None), params["W2"].shape[0], None)
    _, z, _ = _note_forward(params, ids, lengths)
    return z @ params["W1"] + params["b1"]


def note_classifier_loss(params, batch: NameBatch, truncate=None):
    r"""The German note's classifier with its errors corrected, lesson 8, eqs. (8.5)–(8.7):

    .. math::
        h_t = (x_t + h_{t-1}) W_2 + b_2 \quad (8.5), \qquad
        o = (x_L + h_{L-1}) W_1 + b_1 \quad (8.6), \qquad
        L = -\frac{1}{B} \sum_b \log\operatorname{softmax}(o_b)_{y_b} \quad (8.7)

    Corrections: two matrices ``W_1, W_2`` (the note's first line uses one ``W_i``); the loss is the
    *negative* mean log-probability, divided by the number of examples ``B`` (not characters); the
    logit delta is ``softmax(o) − onehot(y)`` (the note keeps the diagonal ``σ_i − σ_i²`` only); and
    the gradient of ``W_2, b_2`` is the full BPTT sum — ``truncate=1`` reproduces the note's one-step
    gradient. Eq. (8.5) is :func:`rnnedu.rnn.rnn_forward` with ``W_xh = W_hh = W_2`` and the identity
    activation, so ``dW_2 = dW_xh + dW_hh``.

    Shapes: params ``W1 (V, K)``, ``b1 (K,)``, ``W2 (V, V)``, ``b2 (V,)``; ``batch`` a
    :class:`rnnedu.data.NameBatch`. Returns ``(loss, grads)`` with the four keys.
    """
    params = _check_keys(params, NOTE_KEYS, "note model")
    V = params["W2"].shape[0]
    ids, lengths, labels = _check_name_batch(batch, V, np.shape(params["W1"])[1])
    B = ids.shape[1]
    hs, z, has_prev = _note_forward(params, ids, lengths)
    loss, do = _ce_head(z @ params["W1"] + params["b1"], labels)  # (B, K)
    dz = do @ params["W1"].T  # (B, V): ∂L/∂z_L = ∂L/∂h_{L−1}
    dhs = np.zeros_like(hs)
    cols = np.arange(B)[has_prev]
    dhs[lengths[has_prev] - 2, cols] = dz[has_prev]
    g = rnn_backward(dhs, ids, hs, None, params["W2"], params["W2"], "identity", truncate)
    return loss, {"W1": z.T @ do, "b1": do.sum(axis=0), "W2": g["W_xh"] + g["W_hh"], "b2": g["b_h"]}


def note_objective_as_written(params, batch: NameBatch) -> float:
    r"""The note's objective *as written*, for comparison: :math:`J = \frac{1}{n}\sum_i σ_{y_i}`,
    the mean log-probability of the true class divided by the number of characters ``n``.

    Minimising it by gradient descent, as the note does, *lowers* the probability of the true class;
    lesson 8 shows it numerically. Returns ``J`` (a float, ≤ 0).
    """
    params = _check_keys(params, NOTE_KEYS, "note model")
    ids, lengths, labels = _check_name_batch(batch, params["W2"].shape[0], np.shape(params["W1"])[1])
    _, z, _ = _note_forward(params, ids, lengths)
    logp = log_softmax(z @ params["W1"] + params["b1"])
    return float(logp[np.arange(ids.shape[1]), labels].sum() / lengths.sum())


# --------------------------------------------------------------------------------------------------
# Evaluation helpers shared by both classifiers
# --------------------------------------------------------------------------------------------------

def predict_proba(params, names: Sequence[str], vocab: Vocab) -> np.ndarray:
    """Class probabilities ``(B, K)`` for a list of names, with either model (chosen by the keys)."""
    if isinstance(names, str):
        raise ValueError(f"names must be a list of names, not the single string {names!r}")
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict of a classifier's parameters, got {type(params).__name__}")
    ids, lengths = encode_names(list(names), vocab)
    if "W1" in params:
        return softmax(note_classifier_logits(params, ids, lengths))
    return softmax(rnn_classifier_logits(params, ids, lengths))


def top_k(probs, labels: Sequence[str], k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` most probable labels of one probability vector ``(K,)``: ``[(label, p), …]``, best first."""
    probs = as_float_array(probs, "probs")
    if isinstance(labels, str) or not hasattr(labels, "__len__"):
        raise ValueError(f"labels must be a sequence of class names, got {type(labels).__name__}")
    if probs.ndim != 1 or probs.size != len(labels):
        raise ValueError(f"need one probability vector with {len(labels)} entries, got shape {probs.shape}")
    if isinstance(k, bool) or not (isinstance(k, (int, np.integer)) and 1 <= k <= probs.size):
        raise ValueError(f"k must be an integer in [1, {probs.size}], got {k!r}")
    order = np.argsort(-probs, kind="stable")[:k]
    return [(labels[i], float(probs[i])) for i in order]


def accuracy(pred, labels) -> float:
    """Fraction of ``pred == labels`` (both ``(N,)`` integers)."""
    pred, labels = np.asarray(pred), np.asarray(labels)
    if pred.shape != labels.shape or pred.ndim != 1 or pred.size == 0:
        raise ValueError(f"pred and labels must be non-empty (N,) arrays of one shape, got {pred.shape} and {labels.shape}")
    return float(np.mean(pred == labels))


def majority_baseline(train_labels, test_labels) -> float:
    """Accuracy on ``test_labels`` of always predicting the most frequent class of ``train_labels``."""
    train_labels = integer_array(train_labels, "train_labels", ndim=1, low=0)
    majority = int(np.argmax(np.bincount(train_labels)))
    return accuracy(np.full(np.shape(test_labels), majority), test_labels)


def confusion_matrix(labels, pred, K: int) -> np.ndarray:
    """``C[i, j]`` = number of examples of true class ``i`` predicted as ``j``; ``(K, K)`` ints."""
    K = positive_int(K, "K")
    labels = integer_array(labels, "labels", ndim=1, low=0, high=K, allow_empty=True)
    pred = integer_array(pred, "pred", ndim=1, low=0, high=K, allow_empty=True)
    if labels.shape != pred.shape:
        raise ValueError(f"labels and pred must be (N,) arrays of one shape, got {labels.shape} and {pred.shape}")
    if labels.size and (min(labels.min(), pred.min()) < 0 or max(labels.max(), pred.max()) >= K):
        raise ValueError(f"classes must lie in [0, {K})")
    return np.bincount(labels * K + pred, minlength=K * K).reshape(K, K)


# --------------------------------------------------------------------------------------------------
# Lesson 9: the character language model
# --------------------------------------------------------------------------------------------------

def lm_loss_and_grads(params, X, Y, h0=None, truncate=None):
    r"""Language-model loss with the final hidden state, lesson 9, eq. (9.1):

    .. math:: L = -\frac{1}{TB}\sum_{t,b} \log \operatorname{softmax}(h_t W_{hy} + b_y)_{b,\,y_{t,b}},
              \qquad y_t = x_{t+1}

    The same number and gradients as :func:`rnnedu.rnn.rnn_loss_and_grads` (tested), plus ``h_T``,
    which the next batch of a sequential partition starts from. Returning it as a plain array is the
    "detach": the next batch's gradient stops at its own ``h0``.

    Shapes: params ``W_xh (V, H)``, ``W_hh (H, H)``, ``b_h (H,)``, ``W_hy (H, V)``, ``b_y (V,)``;
    ``X, Y`` ids ``(T, B)``; ``h0 (B, H)`` or None → ``(loss, grads, h_T (B, H))``.
    """
    params = _check_keys(params, CLASSIFIER_KEYS, "language model")
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim != 2 or Y.shape != X.shape:
        raise ValueError(f"X and Y must be (T, B) ids of one shape, got {X.shape} and {Y.shape}")
    K = params["W_hy"].shape[1]
    Y = integer_array(Y, "Y (targets)", ndim=2, low=0, high=K)
    integer_array(X, "X (input ids)", ndim=2, low=0, high=np.shape(params["W_xh"])[0])
    hs = rnn_forward(X, h0, params["W_xh"], params["W_hh"], params["b_h"])  # (T, B, H)
    T, B, H = hs.shape
    h2 = hs.reshape(T * B, H)
    loss, do = _ce_head(h2 @ params["W_hy"] + params["b_y"], Y.reshape(-1))  # do (T·B, V)
    dhs = (do @ params["W_hy"].T).reshape(T, B, H)
    g = rnn_backward(dhs, X, hs, h0, params["W_xh"], params["W_hh"], "tanh", truncate)
    grads = {"W_xh": g["W_xh"], "W_hh": g["W_hh"], "b_h": g["b_h"], "W_hy": h2.T @ do, "b_y": do.sum(axis=0)}
    return loss, grads, hs[-1].copy()


@dataclass
class LanguageModelLoss:
    """``loss_and_grads(params, batch)`` for :func:`rnnedu.train.fit`, optionally carrying the state.

    With ``carry=True`` (sequential partitioning) the final hidden state of a batch becomes the next
    batch's ``h0`` — detached, so BPTT stops at the batch boundary (truncated BPTT with window
    ``num_steps``) — and is reset to zero at the first batch of each pass. With ``carry=False`` (random
    partitioning) every batch starts from zero. ``truncate`` is passed to BPTT.
    """

    carry: bool = True
    truncate: int | None = None
    h: np.ndarray | None = None

    def __call__(self, params, batch: LMBatch):
        if not isinstance(batch, LMBatch):
            raise ValueError(f"batch must be a rnnedu.data.LMBatch, got {type(batch).__name__}")
        h0 = self.h
        if not self.carry or batch.new_epoch or h0 is None or h0.shape[0] != batch.X.shape[1]:
            h0 = None
        loss, grads, h_last = lm_loss_and_grads(params, batch.X, batch.Y, h0, self.truncate)
        self.h = h_last if self.carry else None
        return loss, grads


def perplexity(params, ids, *, n_streams: int = 16) -> float:
    r"""Perplexity of the language model on a token sequence, lesson 9, eq. (9.2):

    .. math:: \mathrm{PP} = \exp\Big(-\frac{1}{N}\sum_{n=1}^{N} \log p(x_{n+1} \mid x_{\le n})\Big)

    The sequence is cut into ``n_streams`` contiguous streams, each read from a zero state in one
    forward pass (no truncation: the state runs through the whole stream). A uniform guess over ``V``
    characters has perplexity ``V``. Shapes: ``ids (N + 1,)`` → float.
    """
    params = _check_keys(params, CLASSIFIER_KEYS, "language model")
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype == bool or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be a 1-D integer array, got shape {ids.shape}")
    n_streams = positive_int(n_streams, "n_streams")
    # negative ids would wrap to the last class and too-large ones raise a bare IndexError
    V, K = np.shape(params["W_xh"])[0], np.shape(params["W_hy"])[1]
    if ids.size:
        integer_array(ids[:-1], "ids (inputs)", low=0, high=V, allow_empty=True)
        integer_array(ids[1:], "ids (targets)", low=0, high=K, allow_empty=True)
    L = (ids.size - 1) // n_streams
    if L < 1:
        raise ValueError(f"ids has {ids.size} tokens, too few for n_streams={n_streams} streams")
    n = L * n_streams
    X = ids[:n].reshape(n_streams, L).T  # (L, S)
    Y = ids[1:n + 1].reshape(n_streams, L).T
    hs = rnn_forward(X, None, params["W_xh"], params["W_hh"], params["b_h"])
    logp = log_softmax(hs.reshape(n, -1) @ params["W_hy"] + params["b_y"])
    return float(np.exp(-logp[np.arange(n), Y.reshape(-1)].mean()))


def _warm_state(params, vocab: Vocab, prefix: str) -> np.ndarray:
    """The hidden state ``(1, H)`` after reading ``prefix`` (an empty prefix reads one space)."""
    if not isinstance(prefix, str):
        raise ValueError(f"prefix must be a string, got {type(prefix).__name__}")
    if prefix == "":
        if " " not in vocab:
            raise ValueError("the prefix is empty and the vocabulary has no space to start from; type a few characters")
        prefix = " "
    ids = vocab.encode(prefix)
    return rnn_forward(ids[:, None], None, params["W_xh"], params["W_hh"], params["b_h"])[-1]  # (1, H)


def _check_temperature(temperature) -> float:
    if isinstance(temperature, bool) or not (isinstance(temperature, (int, float, np.floating, np.integer))
                                             and np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    return float(temperature)


def next_char_distribution(params, vocab: Vocab, prefix: str, temperature: float = 1.0) -> np.ndarray:
    r"""The model's distribution of the character after ``prefix`` at temperature τ, lesson 9, eq. (9.3):

    .. math:: p_\tau(c \mid \text{prefix}) = \operatorname{softmax}(o / τ)_c, \qquad o = h W_{hy} + b_y

    ``τ → 0`` approaches the arg-max, ``τ = 1`` the model, ``τ → ∞`` the uniform distribution.
    Shapes: → ``(V,)``, summing to 1.
    """
    params = _check_keys(params, CLASSIFIER_KEYS, "language model")
    _check_vocab(vocab, params)
    tau = _check_temperature(temperature)
    h = _warm_state(params, vocab, prefix)  # (1, H)
    return softmax((h @ params["W_hy"] + params["b_y"])[0] / tau)


def sample(params, vocab: Vocab, prefix: str, n_chars: int, temperature: float = 1.0, rng=None) -> str:
    r"""Continue ``prefix`` by ``n_chars`` characters drawn from eq. (9.3), lesson 9.

    The prefix is read first (its unknown characters map to the unknown token); then each drawn
    character is fed back as the next input. ``rng`` (``numpy.random.Generator``, default seed 0)
    makes a sample reproducible. Returns the ``n_chars`` new characters (without the prefix).
    """
    params = _check_keys(params, CLASSIFIER_KEYS, "language model")  # shapes and finiteness: no NaN logits
    _check_vocab(vocab, params)
    tau = _check_temperature(temperature)
    n_chars = positive_int(n_chars, "n_chars", 0)
    rng = check_rng(rng, allow_none=True)
    h = _warm_state(params, vocab, prefix)  # (1, H)
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    W_hy, b_y = params["W_hy"] / tau, params["b_y"] / tau  # hoisted: o/τ = h (W_hy/τ) + b_y/τ
    u = rng.random(int(n_chars))  # (n,): one uniform draw per character, inverse-CDF sampling
    out = np.empty(int(n_chars), dtype=np.intp)
    for i in range(int(n_chars)):
        o = (h @ W_hy + b_y)[0]  # (V,): logits / τ
        c = np.cumsum(np.exp(o - o.max()))  # unnormalised CDF
        x = out[i] = min(int(np.searchsorted(c, u[i] * c[-1], side="right")), c.size - 1)
        h = np.tanh(W_xh[x] + h @ W_hh + b_h)  # (1, H): feed the drawn character back
    return vocab.decode(out)


@dataclass
class PerplexityMonitor:
    """A :func:`rnnedu.train.fit` callback recording the held-out perplexity (eq. (9.2)) every
    ``every`` steps: ``steps`` and ``values`` start with step 0 once :meth:`start` has been called."""

    valid_ids: np.ndarray
    every: int = 100
    steps: list = field(default_factory=list, init=False)
    values: list = field(default_factory=list, init=False)

    def __post_init__(self):
        if not (isinstance(self.every, (int, np.integer)) and self.every >= 1):
            raise ValueError(f"every must be a positive integer, got {self.every!r}")

    def start(self, params) -> "PerplexityMonitor":
        """Record the perplexity before training (step 0); returns ``self``."""
        self.steps.append(0)
        self.values.append(perplexity(params, self.valid_ids))
        return self

    def __call__(self, step, params, loss, history) -> bool:
        if step % self.every == 0:
            self.steps.append(int(step))
            self.values.append(perplexity(params, self.valid_ids))
        return False  # never stop training early
