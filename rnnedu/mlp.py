r"""A multilayer perceptron and its backward pass by the delta rule (lesson 2).

Lesson: ``notebooks/02_mlp_delta_rule.ipynb``. Source: the Russian note (seed 003), which writes
column vectors (``v = W a``, ``W`` of shape (outputs, inputs)); here everything is row vectors, batch
first, so its ``W^{(s)}`` is our ``W(s)ᵀ`` and its ``δ(s) a(s−1)ᵀ`` is our ``a(s−1)ᵀ δ(s)``.

Layers ``s = 1 … L``, sizes ``n_0 = D, n_1, …, n_L = K``; ``B`` examples per batch::

    a(0) = x                                   (B, D)
    v(s) = a(s−1) W(s) + b(s)                  (B, n_s)     W(s) (n_{s−1}, n_s), b(s) (n_s,)
    a(s) = φ_s(v(s))                           (B, n_s)     s < L, φ_s from rnnedu.activations
    output "softmax":   E = cross_entropy(v(L), y)                y: labels (B,)
    output φ (tanh, …): a(L) = φ(v(L)),  E = 1/(2B) Σ ‖a(L) − y‖²  y: targets (B, K)

Backward (δ(s) = ∂E/∂v(s), of the *mean* loss, so the 1/B of mini-batch averaging sits inside δ)::

    δ(L) = (softmax(v(L)) − y) / B     or   φ'(v(L)) ⊙ (a(L) − y) / B      (2.4)
    δ(s) = φ'(v(s)) ⊙ (δ(s+1) W(s+1)ᵀ)                                      (2.5)
    dW(s) = a(s−1)ᵀ δ(s),   db(s) = Σ_n δ(s)_n                              (2.6)

Left out on purpose: regularisation, dropout, any optimiser beyond (momentum) gradient descent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from rnnedu._checks import as_float_array, as_labels, check_rng, finite_number, positive_int
from rnnedu.activations import ACTIVATIONS, activation_derivative, apply_activation
from rnnedu.softmax import cross_entropy, cross_entropy_delta, softmax

OUTPUTS = ("softmax",) + ACTIVATIONS


def _frozen_copy(x, name: str) -> np.ndarray:
    arr = np.array(as_float_array(x, name), copy=True)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class MLP:
    """Parameters of an L-layer perceptron: ``weights[s-1] = W(s) (n_{s−1}, n_s)``, ``biases[s-1] = b(s)``.

    ``hidden`` names φ for layers 1 … L−1 (one name each); ``output`` is ``"softmax"`` (cross-entropy
    loss, integer labels) or an activation name (squared-error loss, real targets). Construction
    validates that consecutive layers fit together and raises ``ValueError`` otherwise.
    """

    weights: tuple
    biases: tuple
    hidden: tuple = ()
    output: str = "softmax"

    def __post_init__(self):
        for name in ("weights", "biases"):
            if isinstance(getattr(self, name), (np.ndarray, str)) or not hasattr(getattr(self, name), "__iter__"):
                raise ValueError(f"{name} must be a sequence of arrays, one per layer, got {type(getattr(self, name)).__name__}")
        # Own read-only copies: an MLP is a value, so later changes to the caller's arrays must not
        # change it (and nothing may change its arrays in place).
        ws = tuple(_frozen_copy(w, f"W({s + 1})") for s, w in enumerate(self.weights))
        bs = tuple(_frozen_copy(b, f"b({s + 1})") for s, b in enumerate(self.biases))
        if not ws:
            raise ValueError("an MLP needs at least one layer (got no weights)")
        if len(bs) != len(ws):
            raise ValueError(f"got {len(ws)} weight matrices but {len(bs)} bias vectors; one of each per layer")
        for s, (w, b) in enumerate(zip(ws, bs), start=1):
            if w.ndim != 2:
                raise ValueError(f"W({s}) must be a matrix (n_{s - 1}, n_{s}), got shape {w.shape}")
            if b.shape != (w.shape[1],):
                raise ValueError(f"b({s}) has shape {b.shape}, expected ({w.shape[1]},) to match W({s}) {w.shape}")
            if s > 1 and w.shape[0] != ws[s - 2].shape[1]:
                raise ValueError(f"layer shapes do not match: W({s - 1}) has shape {ws[s - 2].shape}, so W({s}) "
                                 f"needs {ws[s - 2].shape[1]} rows, but it has shape {w.shape}")
        if not isinstance(self.hidden, (str, tuple, list)):
            raise ValueError(f"hidden must be an activation name or one per hidden layer, got {self.hidden!r}")
        hidden = (self.hidden,) * (len(ws) - 1) if isinstance(self.hidden, str) else tuple(self.hidden)
        if len(hidden) != len(ws) - 1:
            raise ValueError(f"{len(ws)} layers need {len(ws) - 1} hidden activation(s), got {len(hidden)}: {hidden}")
        for name in hidden:
            if not isinstance(name, str) or name not in ACTIVATIONS:
                raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
        if not isinstance(self.output, str) or self.output not in OUTPUTS:
            raise ValueError(f"unknown output {self.output!r}; choose one of {', '.join(OUTPUTS)}")
        object.__setattr__(self, "weights", ws)
        object.__setattr__(self, "biases", bs)
        object.__setattr__(self, "hidden", hidden)

    @classmethod
    def _trusted(cls, weights: tuple, biases: tuple, hidden: tuple, output: str) -> "MLP":
        """Skip validation for parameters derived from an already validated MLP (the training loop)."""
        net = object.__new__(cls)
        for name, value in (("weights", weights), ("biases", biases), ("hidden", hidden), ("output", output)):
            object.__setattr__(net, name, value)
        return net

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths ``(n_0 = D, n_1, …, n_L = K)``."""
        return (self.weights[0].shape[0],) + tuple(w.shape[1] for w in self.weights)

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    def phi(self, s: int) -> str:
        """Name of layer ``s``'s activation (1-based); the output layer's is ``self.output``."""
        return self.hidden[s - 1] if s < self.n_layers else self.output


@dataclass(frozen=True)
class MLPCache:
    """What the forward pass keeps for the backward pass, by name.

    ``a[s]`` is a(s) for s = 0 … L (``a[0] = x``); ``v[s]`` is v(s) for s = 1 … L (``v[0]`` is None so
    that the index is the layer number). For a softmax output ``a[L] = softmax(v(L))``.
    """

    a: tuple
    v: tuple
    net: MLP = field(repr=False)


@dataclass(frozen=True)
class MLPGradients:
    """``dW[s-1] = ∂E/∂W(s)`` (W(s)'s shape), ``db[s-1] = ∂E/∂b(s)``, ``delta[s] = δ(s)`` (``delta[0]`` None)."""

    dW: tuple
    db: tuple
    delta: tuple


def init_mlp(sizes: Sequence[int], hidden="tanh", output: str = "softmax", *, rng=None,
             scale: float | None = None, bias_scale: float = 0.0) -> MLP:
    r"""Random MLP with layer widths ``sizes = (D, n_1, …, K)``: ``W(s) ~ N(0, scale²)``, ``b(s) ~ N(0, bias_scale²)``.

    ``scale`` defaults to Glorot's :math:`\sqrt{2/(n_{s−1} + n_s)}` per layer; biases default to 0.
    Random biases are useful for gradient checks of ReLU networks: with zero biases an input whose
    ReLUs are all off gives ``v = 0`` exactly in the next layer, on the kink. ``rng`` is a
    ``numpy.random.Generator`` (seed it for reproducible lessons).
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise ValueError(f"sizes must be a sequence of layer widths (D, n_1, …, K), got {sizes!r}")
    sizes = tuple(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, all ≥ 1; got {sizes}")
    sizes = tuple(positive_int(n, f"sizes[{i}]") for i, n in enumerate(sizes))  # 2.7 is not truncated to 2
    bias_scale = finite_number(bias_scale, "bias_scale", nonnegative=True)
    if scale is not None:
        scale = finite_number(scale, "scale", positive=True)
    rng = check_rng(rng, allow_none=True)
    ws, bs = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        sd = np.sqrt(2.0 / (n_in + n_out)) if scale is None else float(scale)
        ws.append(rng.normal(0.0, sd, size=(n_in, n_out)))
        bs.append(rng.normal(0.0, bias_scale, size=n_out) if bias_scale > 0 else np.zeros(n_out))
    return MLP(tuple(ws), tuple(bs), hidden, output)


def _check_net(net) -> MLP:
    if not isinstance(net, MLP):
        raise ValueError(f"net must be an rnnedu.MLP (see init_mlp), got {type(net).__name__}")
    return net


def _check_cache(cache) -> "MLPCache":
    if not isinstance(cache, MLPCache):
        raise ValueError(f"cache must be the MLPCache that mlp_forward returned, got {type(cache).__name__}")
    return cache


def _inputs(net: MLP, x) -> np.ndarray:
    _check_net(net)
    x = as_float_array(x, "x", min_ndim=2)
    if x.ndim != 2 or x.shape[1] != net.sizes[0]:
        raise ValueError(f"x has shape {x.shape}, expected (B, {net.sizes[0]}) for W(1) of shape {net.weights[0].shape}")
    return x


def _targets(net: MLP, y, batch: int) -> np.ndarray:
    if net.output == "softmax":
        return as_labels(y, "labels y", (batch,), net.sizes[-1])
    t = as_float_array(y, "targets y")
    if t.shape != (batch, net.sizes[-1]):
        raise ValueError(f"targets y have shape {t.shape}, expected ({batch}, {net.sizes[-1]}) for a {net.output!r} output")
    return t


def mlp_forward(net: MLP, x) -> MLPCache:
    r"""Forward pass, lesson 2, eqs. (2.1)–(2.2):

    .. math:: v^{(s)} = a^{(s-1)} W^{(s)} + b^{(s)}, \qquad a^{(s)} = \varphi_s(v^{(s)}), \qquad a^{(0)} = x.

    Shapes: ``x (B, D)`` → cache with ``a[s] (B, n_s)``, ``v[s] (B, n_s)``. A softmax output stores
    ``a[L] = softmax(v(L))`` (the probabilities); the loss takes the logits ``v[L]``.
    """
    x = _inputs(net, x)
    a, v = [x], [None]
    for s in range(1, net.n_layers + 1):
        vs = a[-1] @ net.weights[s - 1] + net.biases[s - 1]  # (B, n_s)
        name = net.phi(s)
        v.append(vs)
        a.append(softmax(vs) if name == "softmax" else apply_activation(vs, name))
    return MLPCache(tuple(a), tuple(v), net)


def mlp_loss(net: MLP, x, y) -> float:
    r"""Mean loss, lesson 2, eq. (2.3): cross-entropy :math:`E = -\frac1B \sum_n \ln a^{(L)}_{n, y_n}`
    for a softmax output (lesson 1's :func:`rnnedu.cross_entropy`), else
    :math:`E = \frac{1}{2B}\sum_n \lVert a^{(L)}_n - y_n \rVert^2`.

    Shapes: ``x (B, D)``; ``y`` labels ``(B,)`` (softmax) or targets ``(B, K)``. Returns a float.
    """
    cache = mlp_forward(net, x)
    return loss_from_cache(cache, y)


def loss_from_cache(cache: MLPCache, y) -> float:
    """:func:`mlp_loss` from an existing forward cache (eq. (2.3)), without a second forward pass."""
    _check_cache(cache)
    net = cache.net
    batch = cache.a[0].shape[0]
    t = _targets(net, y, batch)
    if net.output == "softmax":
        return cross_entropy(cache.v[-1], t)
    return float(0.5 * np.sum((cache.a[-1] - t) ** 2) / batch)


def output_delta(cache: MLPCache, y) -> np.ndarray:
    r"""Output delta, lesson 2, eq. (2.4):  :math:`\delta^{(L)} = \partial E / \partial v^{(L)}`,

    .. math:: \delta^{(L)} = \tfrac1B(\mathrm{softmax}(v^{(L)}) - y) \quad\text{or}\quad
              \delta^{(L)} = \tfrac1B\,\varphi'(v^{(L)}) \odot (a^{(L)} - y).

    The softmax case is lesson 1's :func:`rnnedu.cross_entropy_delta` (the note's ``a − y``).
    Shapes: ``δ(L) (B, K)``.
    """
    _check_cache(cache)
    net = cache.net
    batch = cache.a[0].shape[0]
    t = _targets(net, y, batch)
    if net.output == "softmax":
        return cross_entropy_delta(cache.v[-1], t)
    return activation_derivative(cache.v[-1], net.output) * (cache.a[-1] - t) / batch


def hidden_delta(delta_next, W_next, v, activation: str = "tanh") -> np.ndarray:
    r"""The delta rule in matrix form, lesson 2, eq. (2.5):

    .. math:: \delta^{(s)} = \varphi'(v^{(s)}) \odot \big(\delta^{(s+1)} W^{(s+1)\top}\big).

    (The note's column form :math:`\varphi'(v^{(s)}) \odot W^{(s+1)\top}\delta^{(s+1)}` transposed.)
    Shapes: ``delta_next (B, n_{s+1})``, ``W_next (n_s, n_{s+1})``, ``v (B, n_s)`` → ``δ(s) (B, n_s)``.
    """
    delta_next = as_float_array(delta_next, "delta_next", min_ndim=2)
    W_next = as_float_array(W_next, "W_next", min_ndim=2)
    v = as_float_array(v, "v", min_ndim=2)
    if W_next.shape[1] != delta_next.shape[1] or v.shape != (delta_next.shape[0], W_next.shape[0]):
        raise ValueError(f"shapes do not fit δ(s) = φ'(v) ⊙ (δ(s+1) W(s+1)ᵀ): delta_next {delta_next.shape}, "
                         f"W_next {W_next.shape}, v {v.shape}; expected (B, m), (n, m), (B, n)")
    return _delta_rule(delta_next, W_next, v, activation)


def _delta_rule(delta_next, W_next, v, activation):
    """Eq. (2.5) on arrays already validated (the one implementation; used inside the backward loop)."""
    return activation_derivative(v, activation) * (delta_next @ W_next.T)  # (B, n_s)


def weight_gradient(a_prev, delta) -> tuple[np.ndarray, np.ndarray]:
    r"""Weight and bias gradients, lesson 2, eq. (2.6):

    .. math:: \frac{\partial E}{\partial W^{(s)}} = a^{(s-1)\top}\delta^{(s)}, \qquad
              \frac{\partial E}{\partial b^{(s)}} = \textstyle\sum_n \delta^{(s)}_n .

    Because δ is the gradient of the *mean* loss, ``a(s−1)ᵀ δ(s)`` is already the mini-batch average
    :math:`\frac1B\sum_n a^{(s-1)\top}_n \delta^{(s,n)}` of the note's per-example gradients, eq. (2.7).
    Shapes: ``a_prev (B, n_{s−1})``, ``delta (B, n_s)`` → ``dW (n_{s−1}, n_s)``, ``db (n_s,)``.
    """
    a_prev = as_float_array(a_prev, "a_prev", min_ndim=2)
    delta = as_float_array(delta, "delta", min_ndim=2)
    if a_prev.ndim != 2 or delta.ndim != 2 or a_prev.shape[0] != delta.shape[0]:
        raise ValueError(f"a_prev {a_prev.shape} and delta {delta.shape} must be (B, n) and (B, m) with the same B")
    return _weight_grad(a_prev, delta)


def _weight_grad(a_prev, delta):
    """Eq. (2.6) on arrays already validated (the one implementation; used inside the backward loop)."""
    return a_prev.T @ delta, delta.sum(axis=0)  # (n_{s−1}, n_s), (n_s,)


def mlp_backward(cache: MLPCache, y) -> MLPGradients:
    r"""Backpropagation by the delta rule, lesson 2, eqs. (2.4)–(2.6): δ(L) from the loss, then
    ``δ(s) = φ'(v(s)) ⊙ (δ(s+1) W(s+1)ᵀ)`` for s = L−1 … 1, and ``dW(s) = a(s−1)ᵀ δ(s)``.

    Shapes: ``dW[s-1]`` like ``W(s)``, ``db[s-1]`` like ``b(s)``, ``delta[s] (B, n_s)``.
    """
    _check_cache(cache)
    net = cache.net
    L = net.n_layers
    delta = [None] * (L + 1)
    delta[L] = output_delta(cache, y)
    for s in range(L - 1, 0, -1):
        delta[s] = _delta_rule(delta[s + 1], net.weights[s], cache.v[s], net.hidden[s - 1])  # (B, n_s)
    dW, db = zip(*(_weight_grad(cache.a[s - 1], delta[s]) for s in range(1, L + 1)))
    return MLPGradients(tuple(dW), tuple(db), tuple(delta))


def loss_from_preactivation(net: MLP, s: int, v_s, y) -> float:
    r"""E as a function of ``v(s)`` alone: continue the forward pass from layer ``s``.

    Used to check the delta rule directly, lesson 2, eq. (2.5): :math:`\delta^{(s)} = \partial E/\partial v^{(s)}`
    is the gradient of this function. Shapes: ``v_s (B, n_s)``; ``y`` as in :func:`mlp_loss`.
    """
    _check_net(net)
    if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 1 <= s <= net.n_layers:
        raise ValueError(f"layer s must lie in 1…{net.n_layers} (an integer), got {s!r}")
    v = as_float_array(v_s, f"v({s})", min_ndim=2)
    if v.ndim != 2 or v.shape[1] != net.sizes[s]:
        raise ValueError(f"v({s}) has shape {v.shape}, expected (B, {net.sizes[s]})")
    t = _targets(net, y, v.shape[0])
    for r in range(s + 1, net.n_layers + 1):
        v = apply_activation(v, net.hidden[r - 2]) @ net.weights[r - 1] + net.biases[r - 1]
    if net.output == "softmax":
        return cross_entropy(v, t)
    return float(0.5 * np.sum((apply_activation(v, net.output) - t) ** 2) / v.shape[0])


def mlp_predict(net: MLP, x) -> np.ndarray:
    """Class labels ``(B,)`` (argmax of the logits) for a softmax output, else the outputs ``a(L) (B, K)``."""
    cache = mlp_forward(net, x)
    return cache.v[-1].argmax(axis=1) if net.output == "softmax" else cache.a[-1]


def with_parameter(net: MLP, kind: str, s: int, value) -> MLP:
    """A copy of ``net`` with ``W(s)`` (``kind="W"``) or ``b(s)`` (``kind="b"``) replaced: for gradient checks."""
    _check_net(net)
    if kind not in ("W", "b") or isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 1 <= s <= net.n_layers:
        raise ValueError(f"kind must be 'W' or 'b' and s in 1…{net.n_layers}; got {kind!r}, {s}")
    field_name = "weights" if kind == "W" else "biases"
    params = list(getattr(net, field_name))
    params[s - 1] = as_float_array(value, f"{kind}({s})").astype(np.float64)
    return replace(net, **{field_name: tuple(params)})


@dataclass(frozen=True)
class TrainingRun:
    """Result of :func:`train_mlp`: the trained net and the loss before each step (``losses (steps,)``)."""

    net: MLP
    losses: np.ndarray


def train_mlp(net: MLP, x, y, *, lr: float = 0.5, steps: int = 1000, momentum: float = 0.9) -> TrainingRun:
    r"""Full-batch gradient descent with heavy-ball momentum, lesson 2, eq. (2.8):

    .. math:: m \leftarrow \mu m - \eta\,\partial E/\partial W^{(s)}, \qquad W^{(s)} \leftarrow W^{(s)} + m,

    using :func:`mlp_forward` / :func:`mlp_backward` (the package's own backward pass). ``momentum=0``
    is plain gradient descent. Never mutates ``net``. Shapes as in :func:`mlp_loss`.
    """
    if not isinstance(net, MLP):
        raise ValueError(f"net must be an rnnedu.MLP (init_mlp), got {type(net).__name__}")
    lr = finite_number(lr, "learning rate lr", positive=True)
    momentum = finite_number(momentum, "momentum")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must lie in [0, 1), got {momentum!r}")
    steps = positive_int(steps, "steps")
    x = _inputs(net, x)
    y = _targets(net, y, x.shape[0])
    ws = [w.copy() for w in net.weights]
    bs = [b.copy() for b in net.biases]
    mw = [np.zeros_like(w) for w in ws]
    mb = [np.zeros_like(b) for b in bs]
    losses = np.empty(int(steps))
    for k in range(int(steps)):
        current = MLP._trusted(tuple(ws), tuple(bs), net.hidden, net.output)
        cache = mlp_forward(current, x)
        losses[k] = loss_from_cache(cache, y)
        grads = mlp_backward(cache, y)
        for s in range(net.n_layers):
            mw[s] *= momentum
            mw[s] -= lr * grads.dW[s]
            mb[s] *= momentum
            mb[s] -= lr * grads.db[s]
            ws[s] += mw[s]
            bs[s] += mb[s]
    return TrainingRun(MLP(tuple(ws), tuple(bs), net.hidden, net.output), losses)
