"""Lessons 4–5: the RNN forward pass, BPTT (recursion, double sum, truncation) and the notes' special cases.

References are independent of ``rnnedu.rnn``: central finite differences (``rn.numerical_gradient``),
a naive per-example loop written with HIPS autograd, and hand-computed values with ``math``.
"""

import math

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rnnedu as rn
from rnnedu.rnn import PARAM_KEYS

ACTS = ("tanh", "sigmoid", "relu", "identity")
NAIVE_PHI = {
    "tanh": anp.tanh,
    "sigmoid": lambda a: 1 / (1 + anp.exp(-a)),
    "relu": lambda a: anp.maximum(a, 0),
    "identity": lambda a: a,
}


def naive_loss(params, X, Y, h0, act):
    """Mean cross-entropy with a plain loop over time and over examples (dense X (T, B, D) only)."""
    phi = NAIVE_PHI[act]
    T, B = Y.shape
    total = 0.0
    for b in range(B):
        h = h0[b]
        for t in range(T):
            h = phi(anp.dot(X[t, b], params["W_xh"]) + anp.dot(h, params["W_hh"]) + params["b_h"])
            o = anp.dot(h, params["W_hy"]) + params["b_y"]
            total = total - (o[Y[t, b]] - anp.log(anp.sum(anp.exp(o))))
    return total / (T * B)


def pre_activations(params, X, h0, act):
    """All a_t, by a loop independent of rnn_forward (to keep ReLU away from its kink in FD tests)."""
    phi = NAIVE_PHI[act]
    Xd = np.eye(params["W_xh"].shape[0])[X] if X.ndim == 2 else X
    h, out = h0, []
    for t in range(Xd.shape[0]):
        a = Xd[t] @ params["W_xh"] + h @ params["W_hh"] + params["b_h"]
        out.append(a)
        h = phi(a)
    return np.array(out)


def problem(seed, T, B, D, H, K, ids, scale=0.6):
    rng = np.random.default_rng(seed)
    params = rn.init_rnn_params(D, H, K, rng, scale=scale)
    params["b_h"] = 0.3 * rng.standard_normal(H)
    params["b_y"] = 0.3 * rng.standard_normal(K)
    X = rng.integers(0, D, (T, B)) if ids else rng.standard_normal((T, B, D))
    Y = rng.integers(0, K, (T, B))
    h0 = 0.5 * rng.standard_normal((B, H))
    return params, X, Y, h0


def flat(grads, keys):
    return np.concatenate([np.ravel(grads[k]) for k in keys])


# --- forward -----------------------------------------------------------------------------------


def test_rnn_step_hand_computed():
    # 1 example, D = 2, H = 2: every entry written out with math.tanh
    x = np.array([[1.0, -2.0]])
    h = np.array([[0.5, 0.25]])
    W_xh = np.array([[0.1, 0.2], [0.3, -0.4]])
    W_hh = np.array([[1.0, -1.0], [2.0, 0.5]])
    b = np.array([0.05, -0.05])
    a0 = 1.0 * 0.1 + -2.0 * 0.3 + 0.5 * 1.0 + 0.25 * 2.0 + 0.05
    a1 = 1.0 * 0.2 + -2.0 * -0.4 + 0.5 * -1.0 + 0.25 * 0.5 - 0.05
    out = rn.rnn_step(x, h, W_xh, W_hh, b)
    np.testing.assert_allclose(out, [[math.tanh(a0), math.tanh(a1)]], rtol=1e-15)
    relu = rn.rnn_step(x, h, W_xh, W_hh, b, activation="relu")
    np.testing.assert_allclose(relu, [[max(a0, 0), max(a1, 0)]], rtol=1e-15)


def test_rnn_step_token_ids_gather_rows():
    rng = np.random.default_rng(1)
    W_xh, W_hh, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)
    h = rng.standard_normal((4, 3))
    ids = np.array([4, 0, 2, 2])
    np.testing.assert_allclose(rn.rnn_step(ids, h, W_xh, W_hh, b), np.tanh(W_xh[ids] + h @ W_hh + b), rtol=1e-15)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), T=st.integers(1, 6), B=st.integers(1, 4), act=st.sampled_from(ACTS))
def test_forward_is_repeated_step_and_ids_equal_one_hot(seed, T, B, act):
    D, H = 5, 4
    params, X, _, h0 = problem(seed, T, B, D, H, 3, ids=True)
    w = (params["W_xh"], params["W_hh"], params["b_h"])
    hs = rn.rnn_forward(X, h0, *w, activation=act)
    assert hs.shape == (T, B, H)
    h = h0
    for t in range(T):
        h = rn.rnn_step(X[t], h, *w, activation=act)
        np.testing.assert_allclose(hs[t], h, rtol=1e-13, atol=1e-15)
    dense = rn.rnn_forward(np.eye(D)[X], h0, *w, activation=act)
    np.testing.assert_allclose(hs, dense, rtol=1e-13, atol=1e-15)


def test_forward_default_h0_is_zero():
    params, X, _, _ = problem(2, 4, 3, 5, 4, 3, ids=False)
    w = (params["W_xh"], params["W_hh"], params["b_h"])
    np.testing.assert_array_equal(rn.rnn_forward(X, None, *w), rn.rnn_forward(X, np.zeros((3, 4)), *w))


def test_float32_stays_float32_end_to_end():
    params, X, Y, h0 = problem(3, 5, 2, 6, 4, 6, ids=True)
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    hs = rn.rnn_forward(X, h0.astype(np.float32), p32["W_xh"], p32["W_hh"], p32["b_h"])
    assert hs.dtype == np.float32
    loss32, g32 = rn.rnn_loss_and_grads(p32, X, Y, h0.astype(np.float32))
    assert all(g.dtype == np.float32 for g in g32.values())
    Xd = np.eye(6, dtype=np.float32)[X]
    _, g32d = rn.rnn_loss_and_grads(p32, Xd, Y, h0.astype(np.float32), truncate=2)
    assert all(g.dtype == np.float32 for g in g32d.values())
    loss64, g64 = rn.rnn_loss_and_grads(params, X, Y, h0)
    assert abs(loss32 - loss64) < 1e-5
    for k in g64:
        assert rn.relative_error(g32[k], g64[k]) < 1e-4, k


def test_loss_hand_computed_single_step():
    # T = B = 1, D = H = 1, K = 2: h = tanh(0.5·1 + 0.2·0.3), o = (h·1, h·(−1)), label 1
    params = {"W_xh": np.array([[0.5]]), "W_hh": np.array([[0.3]]), "b_h": np.array([0.0]),
              "W_hy": np.array([[1.0, -1.0]]), "b_y": np.array([0.0, 0.0])}
    h = math.tanh(0.5 + 0.3 * 0.2)
    expected = -(-h - math.log(math.exp(h) + math.exp(-h)))
    loss, grads = rn.rnn_loss_and_grads(params, np.array([[0]]), np.array([[1]]), np.array([[0.2]]))
    assert loss == pytest.approx(expected, rel=1e-14)
    p1 = math.exp(-h) / (math.exp(h) + math.exp(-h))
    # dL/do = softmax − onehot = (1 − p1, p1 − 1); dL/dh = (1 − p1)·1 + (p1 − 1)·(−1) = 2(1 − p1)
    dh = 2 * (1 - p1)
    assert grads["b_h"][0] == pytest.approx(dh * (1 - h * h), rel=1e-13)
    assert grads["W_hh"][0, 0] == pytest.approx(dh * (1 - h * h) * 0.2, rel=1e-13)
    assert grads["h0"][0, 0] == pytest.approx(dh * (1 - h * h) * 0.3, rel=1e-13)


# --- gradients ---------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    act=st.sampled_from(ACTS),
    T=st.integers(1, 4),
    B=st.integers(1, 3),
    D=st.integers(1, 4),
    H=st.integers(1, 4),
    K=st.integers(2, 4),
    ids=st.booleans(),
    truncate=st.one_of(st.none(), st.integers(1, 5)),
)
def test_loss_gradients_match_finite_differences(seed, act, T, B, D, H, K, ids, truncate):
    params, X, Y, h0 = problem(seed, T, B, D, H, K, ids)
    if act == "relu":  # keep every pre-activation away from the kink, where FD is meaningless
        assume(np.abs(pre_activations(params, X, h0, act)).min() > 1e-4)
    loss, grads = rn.rnn_loss_and_grads(params, X, Y, h0, activation=act, truncate=truncate)
    if truncate is None:
        f = lambda q, h: rn.rnn_loss_and_grads(q, X, Y, h, activation=act)[0]  # noqa: E731
    else:
        # BPTT(τ) is the exact gradient of the loss with the state before each window frozen (eq. 5.6)
        hs0 = rn.rnn_forward(X, h0, params["W_xh"], params["W_hh"], params["b_h"], activation=act)
        f = lambda q, h: rn.truncated_window_loss(q, X, Y, h, act, truncate, hs_frozen=hs0)  # noqa: E731
        assert f(params, h0) == pytest.approx(loss, rel=1e-13)
    num = {}
    for k in PARAM_KEYS:
        num[k] = rn.numerical_gradient(lambda w: f({**params, k: w}, h0), params[k])
    num["h0"] = rn.numerical_gradient(lambda h: f(params, h), h0)
    keys = (*PARAM_KEYS, "h0")
    for k in keys:
        assert grads[k].shape == np.shape(params[k] if k != "h0" else h0)
    assert rn.relative_error(flat(grads, keys), flat(num, keys)) < 1e-7


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), act=st.sampled_from(("tanh", "sigmoid", "identity")),
       T=st.integers(1, 5), B=st.integers(1, 3))
def test_loss_gradients_match_naive_autograd(seed, act, T, B):
    params, X, Y, h0 = problem(seed, T, B, 3, 4, 3, ids=False)
    loss, grads = rn.rnn_loss_and_grads(params, X, Y, h0, activation=act)
    assert loss == pytest.approx(naive_loss(params, X, Y, h0, act), rel=1e-12)
    ref = grad(naive_loss)(params, X, Y, h0, act)
    for k in PARAM_KEYS:
        assert rn.relative_error(grads[k], ref[k]) < 1e-12, k
    ref_h0 = grad(lambda h: naive_loss(params, X, Y, h, act))(h0)
    assert rn.relative_error(grads["h0"], ref_h0) < 1e-12


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), act=st.sampled_from(("tanh", "sigmoid", "identity")),
       T=st.integers(1, 4), ids=st.booleans(), truncate=st.one_of(st.none(), st.integers(1, 4)))
def test_rnn_backward_any_head_matches_finite_differences(seed, act, T, ids, truncate):
    # a head with arbitrary ∂L/∂h_t (here L = Σ_t Σ c_t ⊙ h_t, zero on the first step): dhs = c
    params, X, _, h0 = problem(seed, T, 2, 3, 3, 2, ids)
    c = np.random.default_rng(seed + 1).standard_normal((T, 2, 3))
    c[0] = 0.0
    w = (params["W_xh"], params["W_hh"], params["b_h"])
    hs = rn.rnn_forward(X, h0, *w, activation=act)
    g = rn.rnn_backward(c, X, hs, h0, params["W_xh"], params["W_hh"], activation=act, truncate=truncate)
    assert set(g) == {"W_xh", "W_hh", "b_h", "h0"}
    if truncate is None:
        def f(W_xh, W_hh, b_h, h):
            return float((c * rn.rnn_forward(X, h, W_xh, W_hh, b_h, activation=act)).sum())
        names = ("W_xh", "W_hh", "b_h")
        for i, k in enumerate(names):
            num = rn.numerical_gradient(lambda v: f(*[v if j == i else w[j] for j in range(3)], h0), w[i])
            assert rn.relative_error(g[k], num) < 1e-7, k
        num = rn.numerical_gradient(lambda h: f(*w, h), h0)
        assert rn.relative_error(g["h0"], num) < 1e-7
    else:  # truncated: must equal the masked double sum
        ref = rn.bptt_double_sum(c, X, hs, h0, params["W_xh"], params["W_hh"], act, truncate)
        for k in g:
            assert rn.relative_error(g[k], ref[k]) < 1e-12, k


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), act=st.sampled_from(ACTS), T=st.integers(1, 7), B=st.integers(1, 3),
       D=st.integers(1, 4), H=st.integers(1, 4), ids=st.booleans(),
       truncate=st.one_of(st.none(), st.integers(1, 8)))
def test_double_sum_equals_recursion(seed, act, T, B, D, H, ids, truncate):
    params, X, _, h0 = problem(seed, T, B, D, H, 2, ids)
    dhs = np.random.default_rng(seed + 7).standard_normal((T, B, H))
    w = (params["W_xh"], params["W_hh"], params["b_h"])
    hs = rn.rnn_forward(X, h0, *w, activation=act)
    rec = rn.rnn_backward(dhs, X, hs, h0, w[0], w[1], act, truncate)
    dbl = rn.bptt_double_sum(dhs, X, hs, h0, w[0], w[1], act, truncate)
    for k in rec:
        assert rn.relative_error(rec[k], dbl[k]) < 1e-12, k


def test_contributions_structure_and_truncation():
    params, X, Y, h0 = problem(5, 6, 2, 3, 4, 3, ids=False)
    w = (params["W_xh"], params["W_hh"], params["b_h"])
    hs = rn.rnn_forward(X, h0, *w)
    dhs = np.random.default_rng(0).standard_normal(hs.shape)
    c = rn.bptt_contributions(dhs, X, hs, h0, w[0], w[1])
    n = c.norms("W_hh")
    assert n.shape == (6, 6)
    assert np.all(n[np.triu_indices(6, 1)] == 0) and np.all(np.diag(n) > 0)
    full = rn.rnn_backward(dhs, X, hs, h0, w[0], w[1])
    assert rn.relative_error(rn.rnn_backward(dhs, X, hs, h0, w[0], w[1], truncate=6)["W_hh"], full["W_hh"]) < 1e-13
    one = rn.rnn_backward(dhs, X, hs, h0, w[0], w[1], truncate=1)
    # τ = 1 keeps the diagonal only: dW_hh = Σ_t h_{t−1}ᵀ (∂L_t/∂h_t ⊙ φ'(a_t))
    h_prev = np.concatenate([h0[None], hs[:-1]])
    direct = sum(h_prev[t].T @ (dhs[t] * (1 - hs[t] ** 2)) for t in range(6))
    np.testing.assert_allclose(one["W_hh"], direct, rtol=1e-12, atol=1e-14)
    assert rn.relative_error(one["W_hh"], full["W_hh"]) > 1e-3
    mask = rn.truncation_mask(4, 2)
    np.testing.assert_array_equal(mask, [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]])
    with pytest.raises(ValueError, match="unknown parameter"):
        c.norms("W_hy")


def test_hidden_jacobians_match_finite_differences():
    params, X, _, h0 = problem(8, 3, 2, 3, 4, 2, ids=False)
    w = (params["W_xh"], params["W_hh"], params["b_h"])
    hs = rn.rnn_forward(X, h0, *w, activation="sigmoid")
    J = rn.hidden_jacobians(hs, params["W_hh"], "sigmoid")
    assert J.shape == (3, 2, 4, 4)
    t, b = 2, 1
    for i in range(4):  # column i of ∂h_t/∂h_{t−1}: FD of rnn_step in h_{t−1}[i]
        e = np.zeros((2, 4))
        e[b, i] = 1e-6
        fd = (rn.rnn_step(X[t], hs[t - 1] + e, *w, "sigmoid") - rn.rnn_step(X[t], hs[t - 1] - e, *w, "sigmoid")) / 2e-6
        np.testing.assert_allclose(J[t, b, :, i], fd[b], rtol=1e-7, atol=1e-10)


def test_token_id_gradient_scatter_adds_repeated_ids():
    # repeated ids in a batch must accumulate: compare with the dense one-hot route
    params, _, Y, h0 = problem(9, 4, 3, 5, 4, 3, ids=True)
    X = np.array([[1, 1, 1], [4, 1, 0], [0, 0, 0], [2, 4, 1]])
    _, g_ids = rn.rnn_loss_and_grads(params, X, Y, h0)
    _, g_dense = rn.rnn_loss_and_grads(params, np.eye(5)[X], Y, h0)
    for k in g_ids:
        assert rn.relative_error(g_ids[k], g_dense[k]) < 1e-13, k
    assert np.all(g_ids["W_xh"][3] == 0)  # id 3 never occurs


def test_inputs_not_mutated():
    params, X, Y, h0 = problem(10, 3, 2, 3, 4, 3, ids=False)
    copies = {k: v.copy() for k, v in params.items()}
    X0, h00 = X.copy(), h0.copy()
    rn.rnn_loss_and_grads(params, X, Y, h0, truncate=2)
    for k in params:
        np.testing.assert_array_equal(params[k], copies[k])
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(h0, h00)


# --- the notes as special cases ---------------------------------------------------------------


def test_concatenation_is_a_split_of_w_ih():
    rng = np.random.default_rng(11)
    D, H, B = 3, 4, 5
    w_ih, b = rng.standard_normal((H, D + H)), rng.standard_normal(H)
    x, h = rng.standard_normal((B, D)), rng.standard_normal((B, H))
    W_xh, W_hh = rn.split_concatenated_weights(w_ih, D)
    assert W_xh.shape == (D, H) and W_hh.shape == (H, H)
    # one example, written in the note's column form: tanh(w_ih @ [x; h] + b)
    col = np.tanh(w_ih @ np.concatenate([x[0], h[0]]) + b)
    np.testing.assert_allclose(rn.concatenated_step(x, h, w_ih, b)[0], col, rtol=1e-14)
    np.testing.assert_allclose(rn.rnn_step(x, h, W_xh, W_hh, b), rn.concatenated_step(x, h, w_ih, b), rtol=1e-13)
    with pytest.raises(ValueError, match=r"expected \(H, D \+ H\)"):
        rn.split_concatenated_weights(w_ih, D + 1)


def test_german_sum_recurrence_is_a_tied_linear_rnn():
    rng = np.random.default_rng(12)
    H, B = 4, 3
    W2, B2 = rng.standard_normal((H, H)), rng.standard_normal(H)
    x, h = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    p = rn.sum_recurrence_params(W2, B2)
    col = W2 @ (x[1] + h[1]) + B2  # the note: H = W2 (X + H) + B2, column vectors
    np.testing.assert_allclose(rn.rnn_step(x, h, activation="identity", **p)[1], col, rtol=1e-13)
    with pytest.raises(ValueError, match="must be square"):
        rn.sum_recurrence_params(rng.standard_normal((3, 4)), B2)


def test_init_rnn_params():
    p = rn.init_rnn_params(28, 64, 28, np.random.default_rng(0), dtype=np.float32)
    assert {k: v.shape for k, v in p.items()} == {"W_xh": (28, 64), "W_hh": (64, 64), "b_h": (64,),
                                                 "W_hy": (64, 28), "b_y": (28,)}
    assert all(v.dtype == np.float32 for v in p.values())
    assert abs(p["W_hh"].std() - 1 / 8) < 0.01  # 1/√H
    assert not p["b_h"].any()
    q = rn.init_rnn_params(2, 3, 4, np.random.default_rng(0), scale=0.01)
    assert np.abs(q["W_xh"]).max() < 0.05
    with pytest.raises(ValueError, match="H must be a positive integer"):
        rn.init_rnn_params(2, 0, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        rn.init_rnn_params(2, 3, 4, 0)
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        rn.init_rnn_params(2, 3, 4, np.random.default_rng(0), dtype=np.int64)


# --- bad input ---------------------------------------------------------------------------------


@pytest.fixture
def small():
    return problem(13, 3, 2, 4, 3, 5, ids=True)


def test_token_id_out_of_range(small):
    params, X, Y, h0 = small
    bad = X.copy()
    bad[1, 0] = 4
    with pytest.raises(ValueError, match=r"token id out of range: ids must lie in \[0, 4\)"):
        rn.rnn_loss_and_grads(params, bad, Y, h0)
    bad[1, 0] = -1
    with pytest.raises(ValueError, match="token id out of range"):
        rn.rnn_forward(bad, h0, params["W_xh"], params["W_hh"], params["b_h"])


def test_label_out_of_range(small):
    params, X, Y, h0 = small
    with pytest.raises(ValueError, match=r"Y label out of range.*\[0, 5\)"):
        rn.rnn_loss_and_grads(params, X, Y + 5, h0)
    with pytest.raises(ValueError, match="integer class labels"):
        rn.rnn_loss_and_grads(params, X, Y.astype(float), h0)


def test_shape_mismatch_between_X_and_Y(small):
    params, X, Y, h0 = small
    with pytest.raises(ValueError, match=r"Y has shape \(2, 3\) but X has \(T, B\) = \(3, 2\).*pass Y.T"):
        rn.rnn_loss_and_grads(params, X, Y.T, h0)
    with pytest.raises(ValueError, match="Y has shape"):
        rn.rnn_loss_and_grads(params, X, Y[:2], h0)


def test_empty_sequence(small):
    params, _, _, h0 = small
    with pytest.raises(ValueError, match="T ≥ 1"):
        rn.rnn_loss_and_grads(params, np.zeros((0, 2), dtype=int), np.zeros((0, 2), dtype=int), h0)
    with pytest.raises(ValueError, match="T ≥ 1"):
        rn.rnn_forward(np.zeros((0, 2, 4)), h0, params["W_xh"], params["W_hh"], params["b_h"])


def test_unknown_activation(small):
    params, X, Y, h0 = small
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        rn.rnn_loss_and_grads(params, X, Y, h0, activation="softplus")
    with pytest.raises(ValueError, match="unknown activation"):
        rn.rnn_step(X[0], h0, params["W_xh"], params["W_hh"], params["b_h"], activation="elu")


def test_bad_truncate(small):
    params, X, Y, h0 = small
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="truncate must be None"):
            rn.rnn_loss_and_grads(params, X, Y, h0, truncate=bad)


def test_bad_shapes(small):
    params, X, Y, h0 = small
    with pytest.raises(ValueError, match=r"W_hh has shape \(3, 4\), expected \(3, 3\)"):
        rn.rnn_forward(X, h0, params["W_xh"], np.zeros((3, 4)), params["b_h"])
    with pytest.raises(ValueError, match=r"h0 has shape \(3, 3\), expected \(2, 3\)"):
        rn.rnn_loss_and_grads(params, X, Y, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="W_xh expects D = 4"):
        rn.rnn_forward(np.zeros((3, 2, 5)), h0, params["W_xh"], params["W_hh"], params["b_h"])
    with pytest.raises(ValueError, match="params is missing W_hy"):
        rn.rnn_loss_and_grads({k: v for k, v in params.items() if k != "W_hy"}, X, Y, h0)
    hs = rn.rnn_forward(X, h0, params["W_xh"], params["W_hh"], params["b_h"])
    with pytest.raises(ValueError, match=r"dhs has shape"):
        rn.rnn_backward(hs[:2], X, hs, h0, params["W_xh"], params["W_hh"])
    with pytest.raises(ValueError, match=r"xs has shape .* but hs has"):
        rn.rnn_backward(hs, X[:2], hs, h0, params["W_xh"], params["W_hh"])
    with pytest.raises(ValueError, match="contains NaN"):
        rn.rnn_forward(np.full((3, 2, 4), np.nan), h0, params["W_xh"], params["W_hh"], params["b_h"])


def test_cross_entropy_head_matches_lesson1_and_finite_differences():
    params, X, Y, h0 = problem(14, 4, 3, 3, 5, 4, ids=True)
    hs = rn.rnn_forward(X, h0, params["W_xh"], params["W_hh"], params["b_h"])
    loss, dhs, g = rn.cross_entropy_head(hs, params["W_hy"], params["b_y"], Y)
    assert loss == pytest.approx(rn.cross_entropy(hs @ params["W_hy"] + params["b_y"], Y), rel=1e-14)
    f = lambda h: rn.cross_entropy_head(h, params["W_hy"], params["b_y"], Y)[0]  # noqa: E731
    assert rn.relative_error(dhs, rn.numerical_gradient(f, hs)) < 1e-7
    fW = lambda w: rn.cross_entropy_head(hs, w, params["b_y"], Y)[0]  # noqa: E731
    assert rn.relative_error(g["W_hy"], rn.numerical_gradient(fW, params["W_hy"])) < 1e-7
    with pytest.raises(ValueError, match=r"Y label out of range"):
        rn.cross_entropy_head(hs, params["W_hy"], params["b_y"], Y + 4)


def test_bptt_trace_records_the_recursion():
    params, X, _, h0 = problem(15, 5, 2, 3, 4, 2, ids=False)
    hs = rn.rnn_forward(X, h0, params["W_xh"], params["W_hh"], params["b_h"], "sigmoid")
    dhs = np.random.default_rng(3).standard_normal(hs.shape)
    tr = rn.bptt_trace(dhs, X, hs, h0, params["W_xh"], params["W_hh"], "sigmoid")
    full = rn.rnn_backward(dhs, X, hs, h0, params["W_xh"], params["W_hh"], "sigmoid")
    assert tr.T == 5
    np.testing.assert_allclose(tr.running_W_hh[-1], full["W_hh"], rtol=1e-13)
    # after one backward step only the last term h_{T-1}ᵀ δ_T is in
    np.testing.assert_allclose(tr.running_W_hh[0], hs[-2].T @ tr.deltas[-1], rtol=1e-13)
    # δ_t = (∂L/∂h_t + δ_{t+1} W_hhᵀ) ⊙ σ'(a_t), with σ' = h(1 − h)
    np.testing.assert_allclose(tr.deltas[2], (dhs[2] + tr.dh_next[2]) * hs[2] * (1 - hs[2]), rtol=1e-13)
    assert not tr.dh_next[-1].any()


def test_truncation_edge_cases():
    # T = 1: every truncation is the full gradient; τ ≥ T too
    params, X, Y, h0 = problem(16, 1, 2, 3, 4, 3, ids=True)
    _, full = rn.rnn_loss_and_grads(params, X, Y, h0)
    _, one = rn.rnn_loss_and_grads(params, X, Y, h0, truncate=1)
    for k in full:
        np.testing.assert_allclose(one[k], full[k], rtol=1e-14)
    np.testing.assert_array_equal(rn.truncation_mask(3), np.tril(np.ones((3, 3), dtype=bool)))
    with pytest.raises(ValueError, match="T must be a positive integer"):
        rn.truncation_mask(0)
    with pytest.raises(ValueError, match="truncate must be an integer ≥ 1 here"):
        rn.truncated_window_loss(params, X, Y, h0, truncate=None, hs_frozen=np.zeros((1, 2, 4)))


def test_cross_entropy_head_keeps_digits_for_confident_predictions():
    # the fused head: a loss near 1e-10 (the label takes almost all the probability) must keep its
    # digits, like lesson 1's cross_entropy (log1p of the other exponentials, not log of 1 + tiny);
    # with W_hy = I and b_y = 0 the "states" are the logits themselves
    rng = np.random.default_rng(16)
    T, B, K = 3, 4, 4
    Y = rng.integers(0, K, (T, B))
    logits = rng.standard_normal((T, B, K))
    logits[np.arange(T)[:, None], np.arange(B), Y] += 25.0
    W_id, b_y = np.eye(K), np.zeros(K)
    loss, dhs, _ = rn.cross_entropy_head(logits, W_id, b_y, Y)
    assert 1e-12 < loss < 1e-8
    assert loss == pytest.approx(rn.cross_entropy(logits, Y), rel=1e-13)
    f = lambda z: rn.cross_entropy_head(z, W_id, b_y, Y)[0]  # noqa: E731
    assert rn.relative_error(dhs, rn.numerical_gradient(f, logits)) < 1e-5


@pytest.mark.parametrize("D", [3, 40])  # vocabulary smaller and larger than H
def test_token_ids_equal_one_hot_input_for_small_and_large_vocabularies(D):
    params, X, Y, h0 = problem(17, 6, 3, D, 8, 5, ids=True)
    loss_ids, g_ids = rn.rnn_loss_and_grads(params, X, Y, h0)
    loss_dense, g_dense = rn.rnn_loss_and_grads(params, np.eye(D)[X], Y, h0)
    assert loss_ids == pytest.approx(loss_dense, rel=1e-14)
    for k in g_dense:
        assert rn.relative_error(g_ids[k], g_dense[k]) < 1e-13, k
    assert not g_ids["W_xh"][np.setdiff1d(np.arange(D), X)].any()  # unseen tokens get no gradient
    for dtype in (np.float32, np.float64):
        dhs = np.ones((6, 3, 8), dtype)
        hs = rn.rnn_forward(X, h0.astype(dtype), *(params[k].astype(dtype) for k in ("W_xh", "W_hh", "b_h")))
        g = rn.rnn_backward(dhs, X, hs, h0.astype(dtype), params["W_xh"].astype(dtype), params["W_hh"].astype(dtype))
        assert {k: v.dtype for k, v in g.items()} == dict.fromkeys(("W_xh", "W_hh", "b_h", "h0"), np.dtype(dtype))
