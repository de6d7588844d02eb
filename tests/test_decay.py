"""Lesson 6: the decay product ∂h_T/∂h_k, its norms, the Pascanu bound, initialisations, phase diagram.

References are independent: Jacobians by central finite differences of ``rnnedu.rnn`` forward passes,
norms of explicit plain-float products (``jacobian_product``) through numpy's SVD, closed forms for
orthogonal and identity matrices (every singular value of ``(sQ)^n`` is ``s^n``).
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnedu._checks import ForwardOverflowWarning
import rnnedu as rn
from rnnedu import decay as dc
from rnnedu.rnn import rnn_forward, rnn_step

ACTS = ["tanh", "sigmoid", "relu", "identity"]


def setting(seed, H=4, T=6, D=3, scale=1.2, kind="gaussian"):
    rng = np.random.default_rng(seed)
    W_hh = dc.init_recurrent(H, rng, kind, scale=scale)
    W_xh = rng.standard_normal((D, H))
    b_h = 0.1 * rng.standard_normal(H)
    xs = rng.standard_normal((T, 1, D))
    h0 = rng.standard_normal((1, H))
    return xs, h0, W_xh, W_hh, b_h


def away_from_relu_kinks(a, act):
    return act != "relu" or np.abs(a).min() > 1e-3


# --- eq. (6.1)–(6.3) against finite differences ------------------------------------------------------

@pytest.mark.parametrize("act", ACTS)
def test_step_jacobian_matches_finite_differences(act):
    xs, h0, W_xh, W_hh, b_h = setting(1)
    a = dc.preactivations(xs[:1], h0, W_xh, W_hh, b_h, act)[0, 0]
    assert away_from_relu_kinks(a, act)
    J = dc.step_jacobian(W_hh, a, act)
    for i in range(4):  # row i of J is the gradient of h_{1,i} with respect to h_0
        f = lambda h: rnn_step(xs[0], h.reshape(1, 4), W_xh, W_hh, b_h, act)[0, i]
        chk = rn.check_gradient(f, h0[0], J[i], name=f"row {i}")
        assert chk.ok, chk


@pytest.mark.parametrize("act", ACTS)
def test_jacobian_product_matches_finite_differences_of_the_forward_pass(act):
    xs, h0, W_xh, W_hh, b_h = setting(2, T=5)
    a = dc.preactivations(xs, h0, W_xh, W_hh, b_h, act)[:, 0]
    assert away_from_relu_kinks(a, act)
    k = 1  # ∂h_5/∂h_1: run the last four steps from h_1
    hs = rnn_forward(xs, h0, W_xh, W_hh, b_h, act)
    P = dc.jacobian_product(W_hh, a, k, act)
    for i in range(4):
        f = lambda h: rnn_forward(xs[k:], h.reshape(1, 4), W_xh, W_hh, b_h, act)[-1, 0, i]
        chk = rn.check_gradient(f, hs[k - 1, 0], P[i], name=f"row {i}")
        assert chk.ok, chk


def test_preactivations_recover_the_forward_pass():
    xs, h0, W_xh, W_hh, b_h = setting(3, T=7)
    a = dc.preactivations(xs, h0, W_xh, W_hh, b_h, "tanh")
    hs = rnn_forward(xs, h0, W_xh, W_hh, b_h, "tanh")
    np.testing.assert_allclose(np.tanh(a), hs, rtol=0, atol=1e-14)
    np.testing.assert_allclose(a[0], xs[0] @ W_xh + h0 @ W_hh + b_h, rtol=1e-14)


def test_preactivations_accept_token_ids():
    rng = np.random.default_rng(4)
    W_xh, W_hh, b_h = rng.standard_normal((5, 3)), 0.5 * rng.standard_normal((3, 3)), np.zeros(3)
    ids = np.array([[1], [4], [0]])
    dense = np.eye(5)[ids]  # (T, B, D) one-hot
    np.testing.assert_allclose(dc.preactivations(ids, None, W_xh, W_hh, b_h),
                               dc.preactivations(dense, None, W_xh, W_hh, b_h), rtol=1e-14)


@pytest.mark.parametrize("act", ACTS)
def test_driven_preactivations_agree_with_rnn_forward(act):
    xs, _, W_xh, W_hh, b_h = setting(5, T=20)
    c = xs[:, 0] @ W_xh + b_h
    np.testing.assert_allclose(dc.driven_preactivations(c, W_hh, act),
                               dc.preactivations(xs, None, W_xh, W_hh, b_h, act)[:, 0], rtol=1e-12, atol=1e-12)


def test_driven_preactivations_never_overflow_and_keep_the_relu_pattern():
    rng = np.random.default_rng(6)
    H, T = 8, 1500
    W = dc.init_recurrent(H, rng, "orthogonal", scale=3.0)
    c = rng.standard_normal((T, H))
    with pytest.warns(ForwardOverflowWarning, match=r"overflow: .* at step t = \d+ of T = 1500"):
        plain = dc.preactivations(c[:, None, :], None, np.eye(H), W, np.zeros(H), "identity")
    assert not np.all(np.isfinite(plain))  # 3^1500 overflows the plain forward pass, which says where
    a = dc.driven_preactivations(c, W, "identity")
    assert np.all(np.isfinite(a))
    plain = plain[:, 0]
    early = np.abs(plain).max(axis=1) < 2.0**250
    np.testing.assert_allclose(a[early], plain[early], rtol=1e-9)  # untouched until the state passes 2^256
    later = np.all(np.isfinite(plain), axis=1) & ~early
    ratio = plain[later] / a[later]  # afterwards divided by one power of two per step
    assert later.sum() > 50
    np.testing.assert_allclose(ratio, ratio[:, :1] * np.ones_like(ratio), rtol=1e-6)
    np.testing.assert_array_equal(np.log2(ratio[:, 0]), np.round(np.log2(ratio[:, 0])))
    r = dc.driven_preactivations(c, W, "relu")
    with pytest.warns(ForwardOverflowWarning):
        r_plain = dc.preactivations(c[:, None, :], None, np.eye(H), W, np.zeros(H), "relu")[:, 0]
    fin = np.all(np.isfinite(r_plain), axis=1)
    assert np.array_equal(r[fin] > 0, r_plain[fin] > 0)


# --- eq. (6.4): the norms --------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), H=st.integers(1, 6), T=st.integers(1, 12),
       scale=st.floats(0.2, 2.5), act=st.sampled_from(ACTS))
def test_jacobian_norms_equal_the_explicit_product(seed, H, T, scale, act):
    rng = np.random.default_rng(seed)
    W = dc.init_recurrent(H, rng, "gaussian", scale=scale)
    a = 2 * rng.standard_normal((T, H))
    norms = dc.jacobian_norms(W, a, act)
    want = np.array([np.linalg.svd(dc.jacobian_product(W, a, k, act), compute_uv=False)[0] for k in range(T + 1)])
    assert norms.shape == (T + 1,)
    assert norms[T] == 1.0
    np.testing.assert_allclose(norms, want, rtol=1e-10, atol=1e-300)


def test_jacobian_norms_subset_matches_full():
    rng = np.random.default_rng(7)
    W, a = dc.init_recurrent(6, rng, "gaussian", scale=1.5), rng.standard_normal((30, 6))
    full = dc.jacobian_norms(W, a, "tanh", log10=True)
    ks = np.array([0, 3, 17, 30])
    np.testing.assert_array_equal(dc.jacobian_norms(W, a, "tanh", log10=True, ks=ks), full[ks])


def test_log10_norms_are_exact_past_the_float64_range():
    rng = np.random.default_rng(8)
    H, T, s = 16, 1000, 3.0
    W = dc.init_recurrent(H, rng, "orthogonal", scale=s)  # every singular value of (W^T)^n is 3^n
    a = np.zeros((T, H))
    logs = dc.jacobian_norms(W, a, "identity", log10=True)
    want = (T - np.arange(T + 1)) * math.log10(s)
    np.testing.assert_allclose(logs, want, rtol=1e-12, atol=1e-10)
    assert logs[0] > dc.OVERFLOW_LOG10  # 10^477
    with pytest.warns(RuntimeWarning, match="overflow: the norm passed the float64 range"):
        plain = dc.jacobian_norms(W, a, "identity")
    over = want > dc.OVERFLOW_LOG10
    assert np.all(np.isinf(plain[over])) and np.all(np.isfinite(plain[~over]))
    np.testing.assert_allclose(plain[~over], 10.0 ** want[~over], rtol=1e-9)


def test_no_warning_when_in_range():
    rng = np.random.default_rng(9)
    W, a = dc.init_recurrent(5, rng, "orthogonal", scale=2.0), np.zeros((100, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        n = dc.jacobian_norms(W, a, "identity")
    np.testing.assert_allclose(n[0], 2.0 ** 100, rtol=1e-12)


def test_dead_relu_units_zero_rows_and_the_product():
    rng = np.random.default_rng(10)
    W = rng.standard_normal((4, 4))
    a_t = np.array([-1.0, 0.5, -0.2, 2.0])  # units 0 and 2 dead: the note's diag(0, 1, 0, 1)
    J = dc.step_jacobian(W, a_t, "relu")
    np.testing.assert_array_equal(J[[0, 2]], 0.0)
    np.testing.assert_array_equal(J[[1, 3]], W.T[[1, 3]])
    a = rng.standard_normal((6, 4))
    a[2] = -1.0  # every unit dead at step 3: nothing flows back past it
    n = dc.jacobian_norms(W, a, "relu")
    assert np.all(n[:3] == 0.0) and np.all(n[3:] > 0)
    prof = dc.decay_profile(W, a, "relu")
    assert prof.zero_from_lag == 4 and "exactly 0 from lag 4" in prof.summary()


# --- eq. (6.5), (6.6) ------------------------------------------------------------------------------

def test_scalar_form_is_exact_for_one_unit_with_constant_slope():
    w, a0 = 1.7, 0.8  # H = 1, sigmoid at a constant operating point: σ' the same at every step
    sp = float(rn.activation_derivative(np.array(a0), "sigmoid"))
    T = 40
    norms = dc.jacobian_norms(np.array([[w]]), np.full((T, 1), a0), "sigmoid")
    np.testing.assert_allclose(norms, dc.scalar_decay(sp, w, T - np.arange(T + 1)), rtol=1e-12)
    assert dc.scalar_decay(sp, w, 3) == pytest.approx((sp * w) ** 3, rel=1e-15)


def test_scalar_form_misses_varying_slopes():
    rng = np.random.default_rng(11)
    a = 2 * rng.standard_normal((30, 1))
    w = 1.3
    exact = dc.jacobian_norms(np.array([[w]]), a, "tanh")[0]
    sp = 1 - np.tanh(a[:, 0]) ** 2
    np.testing.assert_allclose(exact, np.prod(sp * w), rtol=1e-12)  # the product of the slopes …
    assert abs(math.log10(exact) - math.log10(dc.scalar_decay(sp.mean(), w, 30))) > 1  # … not a power


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), H=st.integers(1, 8), T=st.integers(1, 40), scale=st.floats(0.1, 3.0),
       act=st.sampled_from(ACTS), kind=st.sampled_from(dc.INITIALISATIONS))
def test_pascanu_bound_holds(seed, H, T, scale, act, kind):
    rng = np.random.default_rng(seed)
    W = dc.init_recurrent(H, rng, kind, scale=scale)
    a = 3 * rng.standard_normal((T, H))
    logs = dc.jacobian_norms(W, a, act, log10=True)
    bound = dc.pascanu_bound(W, T - np.arange(T + 1), act, log10=True)
    assert np.all(logs <= bound + 1e-9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), H=st.integers(1, 8), T=st.integers(1, 60), scale=st.floats(0.3, 3.0))
def test_orthogonal_with_identity_activation_attains_the_bound(seed, H, T, scale):
    W = dc.init_recurrent(H, np.random.default_rng(seed), "orthogonal", scale=scale)
    logs = dc.jacobian_norms(W, np.zeros((T, H)), "identity", log10=True)
    bound = dc.pascanu_bound(W, T - np.arange(T + 1), "identity", log10=True)
    np.testing.assert_allclose(logs, bound, rtol=1e-10, atol=1e-10)


def test_sigmoid_bound_uses_a_quarter():
    W = 3.0 * np.eye(2)
    np.testing.assert_allclose(dc.pascanu_bound(W, [0, 1, 2], "sigmoid"), [1.0, 0.75, 0.5625], rtol=1e-14)


def test_non_normal_matrix_grows_although_its_eigenvalues_are_below_one():
    W = dc.non_normal_matrix(6, radius=0.9, coupling=1.0)
    assert np.max(np.abs(np.linalg.eigvals(W))) == pytest.approx(0.9)
    T = 120
    logs = dc.jacobian_norms(W, np.zeros((T, 6)), "identity", log10=True)[::-1]  # by lag
    lags = np.arange(T + 1)
    direct = [math.log10(np.linalg.norm(np.linalg.matrix_power(W.T, n), 2)) for n in (10, 30)]
    np.testing.assert_allclose(logs[[10, 30]], direct, rtol=1e-10)
    assert logs.max() > 2  # grows by more than 100× …
    assert logs[-1] < logs.max() - 1  # … before it decays
    assert np.any(logs > lags * math.log10(0.9) + 1)  # the "eigenvalue bound" 0.9^n is violated
    assert np.all(logs <= dc.pascanu_bound(W, lags, "identity", log10=True) + 1e-9)  # the real one holds


# --- eq. (6.8): initialisations ----------------------------------------------------------------------

def test_orthogonal_init_is_orthogonal_and_scaled():
    W = dc.init_recurrent(7, np.random.default_rng(12), "orthogonal", scale=1.5)
    np.testing.assert_allclose(W.T @ W, 2.25 * np.eye(7), atol=1e-12)


def test_orthogonal_init_is_haar_distributed():
    rng = np.random.default_rng(13)
    diag = np.mean([np.diag(dc.init_recurrent(5, rng, "orthogonal")) for _ in range(600)], axis=0)
    assert np.abs(diag).max() < 0.1  # without the sign fix each mean is about ±0.3


def test_gaussian_init_has_variance_scale_squared_over_H():
    W = dc.init_recurrent(400, np.random.default_rng(14), "gaussian", scale=2.0)
    assert W.std() == pytest.approx(2.0 / 20.0, rel=0.02)
    assert np.max(np.abs(np.linalg.eigvals(W))) == pytest.approx(2.0, rel=0.1)  # circular law


def test_identity_init():
    np.testing.assert_array_equal(dc.init_recurrent(3, None, "identity", scale=0.5), 0.5 * np.eye(3))


def test_init_dtype():
    assert dc.init_recurrent(3, np.random.default_rng(0), "orthogonal", dtype=np.float32).dtype == np.float32


# --- eq. (6.7): the phase diagram -------------------------------------------------------------------

@pytest.mark.parametrize("act,scale", [("tanh", 0.8), ("tanh", 1.3), ("sigmoid", 2.0), ("relu", 1.1),
                                       ("identity", 1.6)])
def test_phase_diagram_points_equal_jacobian_norms(act, scale):
    rng = np.random.default_rng(15)
    H, T = 8, 60
    Wb = dc.init_recurrent(H, rng, "gaussian")
    c = rng.standard_normal((T, H))
    scales = np.array([0.5, scale, 2.5])
    lengths = np.array([1, 10, 35, 60])
    P = dc.phase_diagram(Wb, scales, lengths, c, act)
    for j, L in enumerate(lengths):
        a = dc.driven_preactivations(c[:L], Wb, act, scale=scale)
        assert P[1, j] == pytest.approx(dc.jacobian_norms(scale * Wb, a, act, log10=True)[0], abs=1e-8)


def test_phase_diagram_with_probes_is_a_lower_bound():
    rng = np.random.default_rng(16)
    Wb, c = dc.init_recurrent(12, rng, "gaussian"), rng.standard_normal((80, 12))
    scales, lengths = np.array([0.7, 1.2, 2.0]), np.array([5, 40, 80])
    exact = dc.phase_diagram(Wb, scales, lengths, c, "tanh")
    est = dc.phase_diagram(Wb, scales, lengths, c, "tanh", probes=4)
    assert np.all(est <= exact + 1e-9)
    assert np.all(est >= exact - 1.0)  # within a decade here; about log10 √(H/p) ≈ 0.24 typical


def test_phase_diagram_beyond_float64():
    Wb = dc.init_recurrent(4, np.random.default_rng(17), "orthogonal")
    P = dc.phase_diagram(Wb, np.array([3.0]), np.array([1000]), np.zeros((1000, 4)), "identity")
    assert P[0, 0] == pytest.approx(1000 * math.log10(3.0), rel=1e-12)


# --- summaries -------------------------------------------------------------------------------------

def test_classify_regime():
    assert dc.classify_regime(-2.5) == "vanishing"
    assert dc.classify_regime(2.5) == "exploding"
    assert dc.classify_regime(1.9) == "near the edge"
    assert dc.classify_regime(-np.inf) == "vanishing"
    assert dc.classify_regime(-0.5, decades=0.25) == "vanishing"


def test_decay_profile_subsamples_exactly_and_flags_overflow():
    rng = np.random.default_rng(18)
    W = dc.init_recurrent(6, rng, "orthogonal", scale=2.5)
    a = np.zeros((900, 6))
    prof = dc.decay_profile(W, a, "identity", max_points=50)
    assert prof.lags[0] == 0 and prof.lags[-1] == 900 and 45 <= prof.lags.size <= 50
    np.testing.assert_allclose(prof.log10_norms, prof.lags * math.log10(2.5), rtol=1e-10, atol=1e-10)
    assert prof.overflow and prof.regime == "exploding"
    assert prof.summary().startswith("exploding (T = 900): overflow: the norm passed the float64 range (≈1.8e308)")
    assert prof.lambda1 == pytest.approx(2.5) and prof.radius == pytest.approx(2.5)
    small = dc.decay_profile(W, a[:100], "identity")
    assert not small.overflow and "10^39.8" in small.summary()


# --- bad input ---------------------------------------------------------------------------------------

def test_bad_input_raises_clear_errors():
    W, a = np.eye(3), np.zeros((4, 3))
    with pytest.raises(ValueError, match="square"):
        dc.jacobian_norms(np.ones((3, 2)), a)
    with pytest.raises(ValueError, match=r"pre-activations a has shape \(4, 2\)"):
        dc.jacobian_norms(W, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="NaN"):
        dc.jacobian_norms(W, np.full((4, 3), np.nan))
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        dc.jacobian_norms(W, a, "gelu")
    with pytest.raises(ValueError, match=r"k must be an integer step in \[0, 4\]"):
        dc.jacobian_product(W, a, 5)
    with pytest.raises(ValueError, match="ks must be strictly increasing"):
        dc.jacobian_norms(W, a, ks=np.array([3, 1]))
    with pytest.raises(ValueError, match="empty"):
        dc.jacobian_norms(W, np.zeros((0, 3)))
    with pytest.raises(ValueError, match="unknown initialisation 'xavier'"):
        dc.init_recurrent(3, np.random.default_rng(0), "xavier")
    with pytest.raises(ValueError, match="scale must be a finite non-negative number"):
        dc.init_recurrent(3, np.random.default_rng(0), scale=-1.0)
    with pytest.raises(ValueError, match="hidden size H must be a positive integer"):
        dc.init_recurrent(0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="lags must be non-negative"):
        dc.pascanu_bound(W, [-1, 2])
    with pytest.raises(ValueError, match="lengths must be strictly increasing integers"):
        dc.phase_diagram(W, [1.0], np.array([3, 9]), a)
    with pytest.raises(ValueError, match="probes must be an integer"):
        dc.phase_diagram(W, [1.0], np.array([2]), a, probes=7)
    with pytest.raises(ValueError, match="decades must be positive"):
        dc.classify_regime(0.0, decades=0)
    with pytest.raises(ValueError, match="max_points must be an integer"):
        dc.decay_profile(W, a, max_points=1)
    with pytest.raises(ValueError, match="non-normal example needs H ≥ 2"):
        dc.non_normal_matrix(1)


def test_inputs_are_not_mutated():
    rng = np.random.default_rng(19)
    W, a = rng.standard_normal((3, 3)), rng.standard_normal((5, 3))
    W0, a0 = W.copy(), a.copy()
    dc.jacobian_norms(W, a)
    dc.decay_profile(W, a)
    dc.phase_diagram(W, [1.0], np.array([5]), a)
    np.testing.assert_array_equal(W, W0)
    np.testing.assert_array_equal(a, a0)


# --- exercises -----------------------------------------------------------------------------------------

def test_exercise_hints():
    from rnnedu.exercises import lesson06 as ex

    fb = ex.check_step_jacobian(lambda W, a: np.diag(1 - np.tanh(a) ** 2) @ W)
    assert not fb.passed and "W_hh.T" in fb.message
    fb = ex.check_step_jacobian(lambda W, a: W.T)
    assert not fb.passed and "φ'" in fb.message
    assert ex.check_step_jacobian(lambda W, a: (1 - np.tanh(a) ** 2)[:, None] * W.T).passed

    def naive(W, d, T):
        out = [np.log10(np.linalg.norm(d))]
        for _ in range(T):
            d = d @ W.T
            out.append(np.log10(np.linalg.norm(d)))
        return np.array(out)

    fb = ex.check_log10_backprop(naive)
    assert not fb.passed and "float64 range" in fb.message

    def good(W, d, T):
        s, out = 0.0, [np.log10(np.linalg.norm(d))]
        for _ in range(T):
            d = d @ W.T
            m = np.abs(d).max()
            d, s = d / m, s + np.log10(m)
            out.append(np.log10(np.linalg.norm(d)) + s)
        return np.array(out)

    assert ex.check_log10_backprop(good).passed
    fb = ex.check_orthogonal_init(lambda H, rng: np.linalg.qr(rng.standard_normal((H, H)))[0])
    assert not fb.passed and "sign(np.diag(R))" in fb.message
    fb = ex.check_orthogonal_init(lambda H, rng: rng.standard_normal((H, H)) / np.sqrt(H))
    assert not fb.passed and "not orthogonal" in fb.message
    assert ex.check_orthogonal_init(lambda H, rng: dc.init_recurrent(H, rng, "orthogonal")).passed
