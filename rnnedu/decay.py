r"""Vanishing and exploding gradients: the decay product ``∂h_T/∂h_k`` and its bounds (lesson 6).

Lesson: ``notebooks/06_vanishing_exploding.ipynb``. Source: the Chinese note (seed 001), which ends
its BPTT derivation with ``∂h_t/∂h_k = (σ'w)^{t−k}`` and the two cases ``σ'w < 1`` (vanishing) and
``σ'w > 1`` (exploding), and remarks that ReLU's Jacobian ``diag(0, 1, …)`` zeroes rows of ``w``.

Row notation (``rnnedu/__init__.py``): ``h_t = φ(a_t)``, ``a_t = x_t W_xh + h_{t−1} W_hh + b_h``, so
one step's Jacobian is ``∂h_t/∂h_{t−1} = diag(φ'(a_t)) W_hhᵀ`` (entry ``(i, j)`` = ``∂h_{t,i}/∂h_{t−1,j}``)
and the lag-``(T − k)`` Jacobian is the ordered product of eq. (6.3).

=================================  ==========================================================  ======
what                               formula                                                     eq.
=================================  ==========================================================  ======
one step                           :math:`J_t = \operatorname{diag}(φ'(a_t))\,W_{hh}^\top`      (6.2)
lag T − k                          :math:`∂h_T/∂h_k = J_T J_{T−1} \cdots J_{k+1}`               (6.3)
decay profile                      :math:`n_k = ‖∂h_T/∂h_k‖_2`, ``n_T = 1``                     (6.4)
the note's scalar form             :math:`(σ' w)^{T−k}`                                         (6.5)
Pascanu–Mikolov–Bengio bound       :math:`n_k ≤ (λ_1 γ)^{T−k}`, λ₁ = σ_max(W_hh), γ = sup φ'      (6.6)
phase diagram                      :math:`\log_{10} ‖∂h_T/∂h_0‖` over (weight scale, T)          (6.7)
initialisations                    gaussian ``N(0, s²/H)``, orthogonal ``s·Q``, identity ``s·I``  (6.8)
=================================  ==========================================================  ======

Shapes: ``W_hh (H, H)``; pre-activations ``a (T, H)`` of one sequence, ``a[t−1]`` belonging to step
``t = 1 … T``; decay profiles ``(T + 1,)`` indexed by ``k = 0 … T`` (the lag is ``T − k``).

Overflow: the product is carried renormalised by powers of two (exact in floating point), so
``log10 ‖∂h_T/∂h_k‖`` is exact far beyond the float64 range (≈1.8e308). Plain norms past that range
are returned as ``inf`` *with* a :class:`RuntimeWarning` saying so; ask for ``log10=True`` instead.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from rnnedu._checks import as_float_array, check_rng, check_shape
from rnnedu.activations import ACTIVATIONS, DERIVATIVE_BOUND, activation_derivative, apply_activation

__all__ = [
    "INITIALISATIONS",
    "OVERFLOW_LOG10",
    "DecayProfile",
    "classify_regime",
    "decay_profile",
    "init_recurrent",
    "jacobian_norms",
    "jacobian_product",
    "non_normal_matrix",
    "overflow_message",
    "pascanu_bound",
    "phase_diagram",
    "preactivations",
    "driven_preactivations",
    "scalar_decay",
    "step_jacobian",
]

#: log10 of the largest float64 (≈ 308.25): a norm whose log10 exceeds this is not representable.
OVERFLOW_LOG10 = float(np.log10(np.finfo(np.float64).max))
#: log10 of the smallest positive (subnormal) float64 (≈ −323.3): a norm below it rounds to 0.0.
UNDERFLOW_LOG10 = float(np.log10(np.finfo(np.float64).smallest_subnormal))
_LOG10_2 = math.log10(2.0)

INITIALISATIONS = ("gaussian", "orthogonal", "identity", "randn")


# --- validation -------------------------------------------------------------------------------------

def _activation(name) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return name


def _square(W_hh) -> np.ndarray:
    W = as_float_array(W_hh, "W_hh", min_ndim=2).astype(np.float64, copy=False)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W_hh must be a square (H, H) matrix, got shape {W.shape}")
    return W


def _preacts(a, H: int) -> np.ndarray:
    a = as_float_array(a, "pre-activations a", min_ndim=2).astype(np.float64, copy=False)
    check_shape(a, "pre-activations a", (None, H))
    return a


def _lags(lags) -> np.ndarray:
    arr = np.asarray(lags)
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise ValueError(f"lags must be whole numbers of steps, got dtype {arr.dtype}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError("lags must be finite whole numbers of steps")
    if arr.size and not (np.issubdtype(arr.dtype, np.integer) or np.all(np.mod(arr, 1) == 0)):
        raise ValueError(f"lags must be whole numbers of steps, got {arr!r}")
    if arr.size and np.any(arr < 0):
        raise ValueError(f"lags must be non-negative, got minimum {arr.min()}")
    return arr.astype(np.float64)


def _lag_powers(lags: np.ndarray, rate: float) -> np.ndarray:
    """log10 rate^lags with rate^0 = 1 even for rate = 0 (then −inf for lags > 0)."""
    lags = np.asarray(lags, dtype=np.float64)
    if rate > 0:
        return lags * math.log10(rate)
    return np.where(lags == 0, 0.0, -np.inf)


def overflow_message(log10_norm: float) -> str:
    """The sentence every lesson and widget prints when a norm leaves the float64 range."""
    return (f"overflow: the norm passed the float64 range (≈1.8e308); "
            f"exact value 10^{log10_norm:.1f} (kept as a logarithm)")


# --- eq. (6.2), (6.3): the Jacobians ----------------------------------------------------------------

def step_jacobian(W_hh, a_t, activation: str = "tanh") -> np.ndarray:
    r"""One step's Jacobian, lesson 6, eq. (6.2):  :math:`∂h_t/∂h_{t−1} = \operatorname{diag}(φ'(a_t))\,W_{hh}^\top`.

    Entry ``(i, j)`` is ``∂h_{t,i}/∂h_{t−1,j} = φ'(a_{t,i}) W_hh[j, i]``. A dead ReLU unit
    (``φ'(a_{t,i}) = 0``, the note's ``diag(0, 1, …)``) zeroes row ``i``.

    Shapes: ``W_hh (H, H)``, ``a_t (H,)`` → ``(H, H)``.
    """
    W = _square(W_hh)
    a_t = as_float_array(a_t, "pre-activation a_t", min_ndim=1)
    check_shape(a_t, "pre-activation a_t", (W.shape[0],))
    return activation_derivative(a_t, _activation(activation))[:, None] * W.T


def jacobian_product(W_hh, a, k: int, activation: str = "tanh") -> np.ndarray:
    r"""The lag-``(T − k)`` Jacobian as an explicit product, lesson 6, eq. (6.3):

    .. math:: \frac{∂h_T}{∂h_k} = \prod_{j=T}^{k+1} \operatorname{diag}(φ'(a_j))\,W_{hh}^\top
              = J_T J_{T−1} \cdots J_{k+1}  \qquad (\text{the identity for } k = T).

    The plain float product, with no protection against overflow: the reference that
    :func:`jacobian_norms` is tested against.

    Shapes: ``W_hh (H, H)``, ``a (T, H)``, ``0 ≤ k ≤ T`` → ``(H, H)``.
    """
    W = _square(W_hh)
    a = _preacts(a, W.shape[0])
    T = a.shape[0]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= T:
        raise ValueError(f"k must be an integer step in [0, {T}], got {k!r}")
    d = activation_derivative(a, _activation(activation))  # (T, H)
    P = np.eye(W.shape[0])
    for j in range(T, k, -1):  # P ← P J_j, j = T … k+1
        P = (P * d[j - 1]) @ W.T
    return P


# --- eq. (6.4): the decay profile -----------------------------------------------------------------

def _log10_norms(W: np.ndarray, d: np.ndarray, ks: np.ndarray | None, block: int = 128) -> np.ndarray:
    """log10 ‖J_T ⋯ J_{k+1}‖₂ for k = 0 … T (or for the sorted indices ``ks``), overflow-free.

    The renormalised products wanted are stacked ``block`` at a time and their spectral norms taken in
    one batched call per block (memory stays at ``block · H²`` floats for any T).
    """
    T, H = d.shape
    WT = W.T
    want = np.ones(T + 1, dtype=bool) if ks is None else np.isin(np.arange(T + 1), ks)
    out = np.full(T + 1, -np.inf)  # stays −inf where the product is exactly zero
    mats = np.empty((min(block, int(want.sum())), H, H))
    exps = np.empty(len(mats))
    idx = np.empty(len(mats), dtype=np.intp)
    n = 0

    def flush(n: int) -> None:
        sv = np.linalg.norm(mats[:n], 2, axis=(1, 2))  # (n,) batched spectral norms
        with np.errstate(divide="ignore"):
            out[idx[:n]] = np.log10(sv) + exps[:n] * _LOG10_2

    P = np.eye(H)
    e2 = 0  # the true product is P · 2**e2, exactly
    for k in range(T, -1, -1):
        if k < T:
            P = (P * d[k]) @ WT  # P_k = P_{k+1} J_{k+1}: columns scaled by φ'(a_{k+1}), then W_hhᵀ
            m = np.abs(P).max()
            if m == 0.0:
                break  # every path crosses a dead unit: zero for this k and all earlier ones
            e = math.frexp(m)[1]
            P *= math.ldexp(1.0, -e)  # exact rescaling by a power of two
            e2 += e
        if want[k]:
            mats[n], exps[n], idx[n] = P, e2, k
            n += 1
            if n == len(mats):
                flush(n)
                n = 0
    if n:
        flush(n)
    return out if ks is None else out[np.asarray(ks)]


def jacobian_norms(W_hh, a, activation: str = "tanh", *, log10: bool = False, ks=None) -> np.ndarray:
    r"""The decay profile, lesson 6, eq. (6.4):  :math:`n_k = ‖∂h_T/∂h_k‖_2` for ``k = 0 … T``.

    ``∂h_T/∂h_k`` is the product (6.3) of the step Jacobians (6.2); ``n_T = 1`` (empty product),
    ``n_0`` is the norm over the whole sequence. The product is accumulated from ``k = T`` down with
    one ``(H, H)`` matmul per step and renormalised by a power of two after each (exact), so
    ``log10=True`` returns ``log10 n_k`` exactly even far past 1e308; the spectral norms are taken in
    batched calls (``np.linalg.norm(stack, 2, axis=(1, 2))``, 128 products at a time), which
    ``benchmarks/bench_decay.py`` times against a Python loop of SVDs. A product that is exactly zero (every path
    passes a dead ReLU unit) gives ``n_k = 0`` (``-inf`` with ``log10=True``).

    With ``log10=False`` a norm beyond the float64 range comes back as ``inf`` together with a
    ``RuntimeWarning`` starting "overflow: the norm passed the float64 range"; a non-zero norm below
    it comes back as 0.0 with a ``RuntimeWarning`` starting "underflow:", so that it is never
    mistaken for an exact zero (those are silent, and ``-inf`` with ``log10=True``).

    ``ks`` (optional, sorted integers in ``[0, T]``) evaluates the norm only at those ``k``; the
    product is still carried through every step.

    Shapes: ``W_hh (H, H)``, ``a (T, H)`` with ``a[t−1]`` the pre-activation of step ``t`` →
    ``(T + 1,)`` (or ``(len(ks),)``).
    """
    W = _square(W_hh)
    a = _preacts(a, W.shape[0])
    d = activation_derivative(a, _activation(activation))
    if ks is not None:
        ks = np.asarray(ks)
        T = a.shape[0]
        if ks.ndim != 1 or ks.size == 0 or not np.issubdtype(ks.dtype, np.integer):
            raise ValueError(f"ks must be a non-empty 1-D array of integer steps, got {ks!r}")
        if ks.min() < 0 or ks.max() > T or np.any(np.diff(ks) <= 0):
            raise ValueError(f"ks must be strictly increasing integers in [0, {T}]")
    logs = _log10_norms(W, d, ks)
    if log10:
        return logs
    over = logs > OVERFLOW_LOG10
    if over.any():
        warnings.warn(overflow_message(float(logs.max())) + "; use jacobian_norms(..., log10=True)",
                      RuntimeWarning, stacklevel=2)
    # A positive norm below the float64 range rounds to 0.0, which would look like an exact zero (a
    # product through dead ReLUs, log10 = −inf): say so, as for overflow.
    under = np.isfinite(logs) & (logs < UNDERFLOW_LOG10)
    if under.any():
        k = int(np.flatnonzero(under)[-1]) if ks is None else int(np.asarray(ks)[np.flatnonzero(under)[-1]])
        warnings.warn(f"underflow: the norm at k = {k} is 10^{float(logs[under].max()):.1f}, below the float64 range "
                      "(≈4.9e-324), and is returned as 0.0 although it is not zero; exact zeros (dead ReLUs) are "
                      "-inf with log10=True. Use jacobian_norms(..., log10=True)", RuntimeWarning, stacklevel=2)
    with np.errstate(over="ignore", under="ignore"):
        return np.where(over, np.inf, 10.0 ** np.minimum(logs, OVERFLOW_LOG10))


# --- eq. (6.5), (6.6): the note's scalar form and the bound -----------------------------------------

def scalar_decay(sigma_prime, w, lags) -> np.ndarray:
    r"""The Chinese note's scalar decay factor, lesson 6, eq. (6.5):  :math:`(σ' w)^{t−k}`.

    Exact for a one-unit RNN (``H = 1``) whose ``σ'`` is the same at every step (identity activation,
    or a constant operating point); for a vector state the factor is the matrix product (6.3).

    Shapes: scalars ``sigma_prime``, ``w``; ``lags (...)`` → ``(...)``.
    """
    s = float(sigma_prime) * float(w)
    if not math.isfinite(s):
        raise ValueError(f"σ'·w must be finite, got {s}")
    with np.errstate(over="ignore"):
        return s ** _lags(lags)


def pascanu_bound(W_hh, lags, activation: str = "tanh", *, log10: bool = False) -> np.ndarray:
    r"""Pascanu, Mikolov and Bengio (2013), lesson 6, eq. (6.6):

    .. math:: ‖∂h_T/∂h_k‖_2 ≤ \prod_{j=k+1}^{T} ‖\operatorname{diag}(φ'(a_j))‖\,‖W_{hh}^\top‖
              ≤ (λ_1 γ)^{T−k},

    with ``λ₁`` the largest **singular value** of ``W_hh`` (not the spectral radius: eigenvalues do
    not bound a non-normal product) and ``γ = sup |φ'|`` (1 for tanh, relu, identity; 1/4 for
    sigmoid). So ``λ₁ < 1/γ`` is sufficient for vanishing, ``λ₁ > 1/γ`` necessary for exploding.

    Shapes: ``W_hh (H, H)``, ``lags (...)`` of ``T − k`` → ``(...)`` (log10 of it with ``log10=True``).
    """
    W = _square(W_hh)
    lags = _lags(lags)
    rate = float(np.linalg.norm(W, 2)) * DERIVATIVE_BOUND[_activation(activation)]
    logs = _lag_powers(lags, rate)
    if log10:
        return logs
    with np.errstate(over="ignore"):
        return 10.0 ** logs


# --- eq. (6.8): initialisations ---------------------------------------------------------------------

def init_recurrent(H: int, rng, kind: str = "orthogonal", *, scale: float = 1.0, dtype=np.float64) -> np.ndarray:
    r"""A recurrent matrix ``W_hh``, lesson 6, eq. (6.8) (reused by lesson 7):

    * ``"gaussian"``: entries ``N(0, scale²/H)`` — spectral radius ≈ ``scale`` (circular law),
      largest singular value ≈ ``2·scale``;
    * ``"orthogonal"``: ``scale·Q`` with ``Q`` from the QR factorisation of a gaussian matrix, the
      columns' signs fixed by ``sign(diag R)`` so that ``Q`` is uniformly (Haar) distributed; all
      singular values equal ``scale``;
    * ``"identity"``: ``scale·I`` (Le, Jaitly and Hinton 2015, for ReLU RNNs);
    * ``"randn"``: entries ``N(0, scale²)`` with no ``1/√H`` — what ``np.random.randn(H, H) * scale``
      gives (min-char-rnn uses ``scale = 0.01``); spectral radius ≈ ``scale·√H``, so at ``H = 64`` the
      same slider value means an 8× larger matrix than ``"gaussian"``.

    Shapes: → ``(H, H)``.
    """
    if isinstance(H, bool) or not isinstance(H, (int, np.integer)) or H < 1:
        raise ValueError(f"hidden size H must be a positive integer, got {H!r}")
    if kind not in INITIALISATIONS:
        raise ValueError(f"unknown initialisation {kind!r}; choose one of {', '.join(INITIALISATIONS)}")
    if not (isinstance(scale, (int, float, np.integer, np.floating)) and math.isfinite(scale) and scale >= 0):
        raise ValueError(f"scale must be a finite non-negative number, got {scale!r}")
    if kind == "identity":
        return (scale * np.eye(H)).astype(dtype)
    rng = check_rng(rng)
    G = rng.standard_normal((H, H))
    if kind == "randn":
        return (G * scale).astype(dtype)
    if kind == "gaussian":
        return (G * (scale / math.sqrt(H))).astype(dtype)
    Q, R = np.linalg.qr(G)
    signs = np.sign(np.diag(R))
    signs[signs == 0] = 1.0
    return (scale * Q * signs).astype(dtype)


def non_normal_matrix(H: int, radius: float = 0.9, coupling: float = 1.0) -> np.ndarray:
    r"""A non-normal ``W_hh = radius·I + coupling·N`` (``N`` the shift with ones above the diagonal).

    Its only eigenvalue is ``radius`` (spectral radius ``radius < 1`` possible) while its largest
    singular value is about ``radius + coupling``: with the identity activation ``‖(W_hhᵀ)^n‖``
    first *grows* (like ``C(n, H−1)·coupling^{H−1}·radius^{n−H+1}``) and only later decays — the
    lesson 6 counterexample to "eigenvalues below 1 mean vanishing".

    Shapes: → ``(H, H)``.
    """
    if isinstance(H, bool) or not isinstance(H, (int, np.integer)) or H < 2:
        raise ValueError(f"a non-normal example needs H ≥ 2, got {H!r}")
    if not (math.isfinite(radius) and math.isfinite(coupling)):
        raise ValueError("radius and coupling must be finite")
    return radius * np.eye(H) + coupling * np.eye(H, k=1)


# --- the forward pass that feeds the profile -------------------------------------------------------

def preactivations(xs, h0, W_xh, W_hh, b_h, activation: str = "tanh") -> np.ndarray:
    r"""Pre-activations ``a_t = x_t W_xh + h_{t−1} W_hh + b_h`` (lesson 6, eq. (6.1)) of a forward pass.

    Runs :func:`rnnedu.rnn.rnn_forward` and recovers all ``a_t`` in one vectorised line from
    ``hs`` (``h_{t−1}`` for ``t = 1`` is ``h0``).

    Shapes: ``xs (T, B, D)`` (or ids ``(T, B)``), ``h0 (B, H)`` or ``None`` → ``a (T, B, H)``.
    """
    from rnnedu.rnn import rnn_forward

    hs = rnn_forward(xs, h0, W_xh, W_hh, b_h, activation)  # (T, B, H)
    h0 = np.zeros_like(hs[0]) if h0 is None else np.broadcast_to(np.asarray(h0, dtype=hs.dtype), hs[0].shape)
    h_prev = np.concatenate([h0[None], hs[:-1]])  # (T, B, H)
    xw = np.asarray(W_xh)[xs] if np.issubdtype(np.asarray(xs).dtype, np.integer) else np.asarray(xs) @ W_xh
    with np.errstate(over="ignore", invalid="ignore"):  # rnn_forward has already said where it overflowed
        return xw + h_prev @ np.asarray(W_hh) + np.asarray(b_h)


# --- summaries for the lesson and the widget --------------------------------------------------------

def classify_regime(log10_norm: float, *, decades: float = 2.0) -> str:
    """Name the regime of ``‖∂h_T/∂h_0‖``: "vanishing" below ``10^−decades``, "exploding" above
    ``10^decades``, "near the edge" in between (the gradient from the first step survives)."""
    if not decades > 0:
        raise ValueError(f"decades must be positive, got {decades!r}")
    if np.isnan(log10_norm):
        raise ValueError("log10_norm is NaN")
    if log10_norm < -decades:
        return "vanishing"
    if log10_norm > decades:
        return "exploding"
    return "near the edge"


@dataclass(frozen=True)
class DecayProfile:
    """What the lesson-6 widget shows for one setting: exact log10 norms, the bound and the verdict."""

    lags: np.ndarray          # (n,) lags T − k, increasing from 0
    log10_norms: np.ndarray   # (n,) log10 ‖∂h_T/∂h_k‖ (−inf where exactly zero)
    log10_bound: np.ndarray   # (n,) log10 (λ₁γ)^lag
    log10_radius: np.ndarray  # (n,) log10 (ργ)^lag — the eigenvalue "bound", which is not one
    lambda1: float            # largest singular value of W_hh
    radius: float             # spectral radius of W_hh
    gamma: float              # sup φ'
    regime: str
    overflow: bool            # the plain float norm would be inf somewhere
    zero_from_lag: int | None  # first lag at which the product is exactly zero (dead ReLUs), if any

    @property
    def log10_total(self) -> float:
        """log10 ‖∂h_T/∂h_0‖, the norm over the whole sequence."""
        return float(self.log10_norms[-1])

    def summary(self) -> str:
        """One line: the regime and the norm over the whole sequence (overflow stated as such)."""
        T = int(self.lags[-1])
        total = self.log10_total
        if self.overflow:
            value = overflow_message(float(np.max(self.log10_norms)))
        elif self.zero_from_lag is not None:
            value = f"exactly 0 from lag {self.zero_from_lag} (every path crosses a dead ReLU unit)"
        else:
            value = f"‖∂h_T/∂h_0‖ = 10^{total:.1f}"  # not 1e+103.2: the exponent is not an integer
        return f"{self.regime} (T = {T}): {value}"


def decay_profile(W_hh, a, activation: str = "tanh", *, max_points: int | None = None,
                  spectrum: tuple[float, float] | None = None) -> DecayProfile:
    """Everything lesson 6 plots for one sequence: eq. (6.4) against the bound (6.6), and the regime.

    ``max_points`` evaluates the spectral norm at about that many evenly spaced lags (always including
    0 and T); the product itself still runs through every step, so the values are exact.
    ``spectrum = (λ₁, ρ)`` skips the SVD and eigenvalues of ``W_hh`` when the caller knows them (the
    widget scales one base matrix: both are linear in the scale).

    Shapes: ``W_hh (H, H)``, ``a (T, H)`` → a :class:`DecayProfile` with arrays of length ≤ ``T + 1``.
    """
    W = _square(W_hh)
    a = _preacts(a, W.shape[0])
    T = a.shape[0]
    if max_points is not None and (not isinstance(max_points, (int, np.integer)) or max_points < 2):
        raise ValueError(f"max_points must be an integer ≥ 2, got {max_points!r}")
    if max_points is None or max_points >= T + 1:
        ks = np.arange(T + 1)
    else:
        ks = np.unique(np.round(np.linspace(0, T, max_points)).astype(np.intp))
    logs = jacobian_norms(W, a, activation, log10=True, ks=ks)[::-1]  # by increasing lag
    lags = (T - ks)[::-1].astype(np.float64)
    if spectrum is None:
        lam = float(np.linalg.norm(W, 2))
        rho = float(np.max(np.abs(np.linalg.eigvals(W))))
    else:
        lam, rho = (float(v) for v in spectrum)
    gamma = DERIVATIVE_BOUND[_activation(activation)]
    log_rho = _lag_powers(lags, rho * gamma)
    zero = np.flatnonzero(np.isneginf(logs))
    return DecayProfile(
        lags=lags,
        log10_norms=logs,
        log10_bound=_lag_powers(lags, lam * gamma),
        log10_radius=log_rho,
        lambda1=lam,
        radius=rho,
        gamma=gamma,
        regime=classify_regime(float(logs[-1])),
        overflow=bool(np.any(logs > OVERFLOW_LOG10)),
        zero_from_lag=int(lags[zero[0]]) if zero.size else None,
    )


# --- eq. (6.7): the phase diagram -------------------------------------------------------------------

_HOMOGENEOUS = ("relu", "identity")  # φ(2^e a) = 2^e φ(a): states may be rescaled without changing φ'


def _forward_over_scales(c: np.ndarray, W: np.ndarray, scales: np.ndarray, act: str, h0) -> np.ndarray:
    """Pre-activations of ``h_t = φ(c_t + h_{t−1}·s·W)`` for every scale ``s`` at once → ``(T, S, H)``.

    For relu and identity the state can grow without limit; once a state passes 2^256 it is divided
    by a power of two, and every later input with it (exact; the same φ' pattern as exact arithmetic).
    """
    T, H = c.shape
    S = scales.size
    h = np.zeros((S, H)) if h0 is None else np.broadcast_to(as_float_array(h0, "h0"), (S, H)).copy()
    inv = np.ones(S)  # 2^−E per scale: the factor by which state and inputs have been divided
    out = np.empty((T, S, H))
    grow = act in _HOMOGENEOUS
    for t in range(T):
        a = np.multiply(scales[:, None], h @ W, out=out[t])  # (S, H): h_{t−1} · s W
        a += c[t] * inv[:, None]
        h = apply_activation(a, act)
        if grow:
            m = np.abs(h).max(axis=1)
            big = m > 2.0**256
            if big.any():
                e = np.frexp(m[big])[1]
                h[big] = np.ldexp(h[big], -e[:, None])
                inv[big] = np.ldexp(inv[big], -e)
    return out


def driven_preactivations(c, W_hh, activation: str = "tanh", h0=None, *, scale: float = 1.0) -> np.ndarray:
    r"""Pre-activations ``a_t = c_t + s·(h_{t−1} W_hh)`` with ``h_t = φ(a_t)``, lesson 6, eq. (6.1), with
    the input term ``c_t = x_t W_xh + b_h`` given: the forward pass that feeds :func:`jacobian_norms`.

    Unlike :func:`preactivations` it never overflows: for relu and identity (``φ(2^e a) = 2^e φ(a)``)
    a state past 2^256 is divided by a power of two, together with every later input — exact, and
    ``φ'(a_t)``, all that the Jacobians use, is unchanged. For tanh and sigmoid nothing is rescaled
    and the values are the true ``a_t``. ``scale`` multiplies ``W_hh`` exactly as in
    :func:`phase_diagram`, so a point of the diagram and this forward pass do the same arithmetic.

    Shapes: ``c (T, H)``, ``W_hh (H, H)``, ``h0 (H,)`` or ``None`` → ``a (T, H)``.
    """
    W = _square(W_hh)
    c = _preacts(c, W.shape[0])
    if not (isinstance(scale, (int, float, np.integer, np.floating)) and math.isfinite(scale) and scale >= 0):
        raise ValueError(f"scale must be a finite non-negative number, got {scale!r}")
    return _forward_over_scales(c, W, np.array([float(scale)]), _activation(activation), h0)[:, 0]


def phase_diagram(W_base, scales, lengths, c, activation: str = "tanh", h0=None, *, probes: int | None = None,
                  rng=None) -> np.ndarray:
    r"""The phase diagram, lesson 6, eq. (6.7):  :math:`\log_{10} ‖∂h_T/∂h_0‖_2` for ``W_hh = s·W_base``.

    For every weight scale ``s`` and sequence length ``T`` in ``lengths``: the norm of the Jacobian of
    the last state with respect to the first, driven by the same inputs ``c_t = x_t W_xh + b_h``
    (``driven_preactivations``). All scales run at once: the forward pass is one ``(S, H)·(H, H)``
    matmul per step, the products ``J_t ⋯ J_1`` one stacked ``(H, H)·(S, H, H)`` matmul per step,
    renormalised by powers of two (exact: values past 1e308 are fine). Spectral norms are taken only at
    ``lengths``. A product that is exactly zero (dead ReLUs, ``s = 0``) gives ``-inf``.

    ``probes=None`` (default) carries the full ``(H, H)`` products: exact, ``H³`` per step and scale.
    ``probes=p`` carries ``J_t ⋯ J_1 V`` for a random ``(H, p)`` matrix ``V`` with orthonormal columns
    (``rng``, default seed 0) at ``H/p`` times less work: a lower bound, ``‖J_t ⋯ J_1 V‖ ≤ ‖J_t ⋯ J_1‖``,
    typically low by about ``log10 √(H/p)`` decades (the top right singular vector's share of ``V``) —
    good enough for the colours of a large-H diagram, not for numbers.

    Shapes: ``W_base (H, H)``, ``scales (S,)``, ``lengths (L,)`` increasing in ``[1, T]``, ``c (T, H)``,
    ``h0 (H,)`` or ``None`` → ``(S, L)``.
    """
    W = _square(W_base)
    H = W.shape[0]
    c = _preacts(c, H)
    act = _activation(activation)
    scales = as_float_array(scales, "scales", min_ndim=1).astype(np.float64)
    if scales.ndim != 1 or np.any(scales < 0):
        raise ValueError("scales must be a 1-D array of non-negative weight scales")
    lengths = np.asarray(lengths)
    T = c.shape[0]
    if lengths.ndim != 1 or lengths.size == 0 or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError("lengths must be a non-empty 1-D array of integer sequence lengths")
    if lengths.min() < 1 or lengths.max() > T or np.any(np.diff(lengths) <= 0):
        raise ValueError(f"lengths must be strictly increasing integers in [1, {T}] (T = len(c))")
    T = int(lengths.max())
    if act == "identity" and probes is None and np.all(scales > 0) and not np.array_equal(scales, [1.0]):
        # φ' = 1: ∂h_T/∂h_0 = s^T (W_baseᵀ)^T, one product serves every scale
        base = phase_diagram(W, np.ones(1), lengths, c, act, h0)  # (1, L)
        return base + lengths[None, :] * np.log10(scales)[:, None]
    S = scales.size
    d = activation_derivative(_forward_over_scales(c[:T], W, scales, act, h0), act)  # (T, S, H)
    d *= scales[None, :, None]  # J_t = diag(d_t) · s W_baseᵀ
    if probes is None:
        V = np.eye(H)
    else:
        if isinstance(probes, bool) or not isinstance(probes, (int, np.integer)) or not 1 <= probes <= H:
            raise ValueError(f"probes must be an integer in [1, H = {H}] or None, got {probes!r}")
        rng = check_rng(rng, allow_none=True)
        V = np.linalg.qr(rng.standard_normal((H, int(probes))))[0]  # (H, p), orthonormal columns
    p = V.shape[1]
    Q = np.broadcast_to(V, (S, H, p)).copy()  # Q[s] = J_t ⋯ J_1 V for scale s
    e2 = np.zeros(S)
    out = np.empty((S, lengths.size))
    want = dict(zip(lengths.tolist(), range(lengths.size)))
    WT = W.T
    for t in range(1, T + 1):
        # One (H, H)·(H, p) product per scale (a stacked matmul: each BLAS call small enough to stay
        # single-threaded, which matters on a shared machine), then the rows scaled by s·φ'(a_t).
        Q = np.matmul(WT, Q)  # (S, H, p)
        Q *= d[t - 1][:, :, None]
        m = np.abs(Q).max(axis=(1, 2))  # (S,)
        e = np.frexp(np.where(m > 0, m, 1.0))[1]
        Q *= np.ldexp(1.0, -e)[:, None, None]  # exact rescaling by powers of two
        e2 += e
        if t in want:
            sv = np.linalg.norm(Q, 2, axis=(1, 2))  # (S,) spectral norms
            with np.errstate(divide="ignore"):
                out[:, want[t]] = np.log10(sv) + e2 * _LOG10_2
    return out
