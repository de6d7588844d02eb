"""Tests for rnnedu.lstm: the LSTM's hand-derived backward against central differences (float64, < 1e-7)
for every parameter and both initial states over random shapes (T = 1 included), its forward against the
equations written out, its state Jacobians, the constant error carousel, the forget-gate bias, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnedu.gradcheck import check_gradient, numerical_gradient, relative_error
from rnnedu.lstm import (
    LSTM_KEYS,
    carousel_product,
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_jacobian_norms,
    lstm_step_jacobians,
)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _problem(seed=0, T=5, B=3, D=4, H=6, ids=False):
    rng = np.random.default_rng(seed)
    params = init_lstm_params(D, H, rng)
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}  # off the init
    xs = rng.integers(0, D, (T, B)) if ids else rng.standard_normal((T, B, D))
    h0 = 0.5 * rng.standard_normal((B, H))
    c0 = 0.5 * rng.standard_normal((B, H))
    G = rng.standard_normal((T, B, H))   # L = Σ G ⊙ h_t + Σ K ⊙ c_t: dhs = G, dcs = K
    K = rng.standard_normal((T, B, H))
    return params, xs, h0, c0, G, K


def _loss(params, xs, h0, c0, G, K=None):
    hs, cache = lstm_forward(xs, h0, c0, params)
    out = float(np.sum(hs * G))
    return out if K is None else out + float(np.sum(cache.cs * K))


@pytest.mark.parametrize("ids", [False, True])
@pytest.mark.parametrize("key", LSTM_KEYS)
def test_lstm_backward_matches_finite_differences(key, ids):
    params, xs, h0, c0, G, _ = _problem(ids=ids)
    _, cache = lstm_forward(xs, h0, c0, params)
    grads = lstm_backward(G, cache)
    assert grads[key].shape == params[key].shape
    result = check_gradient(lambda v: _loss({**params, key: v}, xs, h0, c0, G), params[key], grads[key],
                            name=key, tol=1e-7)
    assert result.ok, result


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), T=st.integers(1, 5), B=st.integers(1, 3), D=st.integers(1, 4),
       H=st.integers(1, 4), with_dcs=st.booleans())
def test_lstm_backward_random_shapes_every_parameter(seed, T, B, D, H, with_dcs):
    params, xs, h0, c0, G, K = _problem(seed=seed, T=T, B=B, D=D, H=H)
    K = K if with_dcs else None
    _, cache = lstm_forward(xs, h0, c0, params)
    grads = lstm_backward(G, cache, K)
    for key in LSTM_KEYS:
        r = check_gradient(lambda v, key=key: _loss({**params, key: v}, xs, h0, c0, G, K), params[key],
                           grads[key], name=key, tol=1e-7)
        # A saturated gate can make a whole (tiny, H = 1) gradient ~1e-6, below what central differences
        # resolve relatively; then its absolute error must be at round-off level instead.
        assert r.ok or np.max(np.abs(r.analytic - r.numerical)) < 1e-9, (T, B, D, H, r)
    r = check_gradient(lambda v: _loss(params, xs, v, c0, G, K), h0, grads["h0"], name="h0", tol=1e-7)
    assert r.ok or np.max(np.abs(r.analytic - r.numerical)) < 1e-9, (T, B, D, H, r)   # same reason as above
    r = check_gradient(lambda v: _loss(params, xs, h0, v, G, K), c0, grads["c0"], name="c0", tol=1e-7)
    assert r.ok or np.max(np.abs(r.analytic - r.numerical)) < 1e-9, (T, B, D, H, r)


def test_lstm_forward_matches_the_equations_written_out():
    params, xs, h0, c0, _, _ = _problem(seed=3, T=4, B=2, D=3, H=5)
    hs, cache = lstm_forward(xs, h0, c0, params)
    p = params
    h, c = h0, c0
    for t in range(xs.shape[0]):
        i = _sigmoid(xs[t] @ p["W_xi"] + h @ p["W_hi"] + p["b_i"])
        f = _sigmoid(xs[t] @ p["W_xf"] + h @ p["W_hf"] + p["b_f"])
        g = np.tanh(xs[t] @ p["W_xg"] + h @ p["W_hg"] + p["b_g"])
        o = _sigmoid(xs[t] @ p["W_xo"] + h @ p["W_ho"] + p["b_o"])
        c = f * c + i * g
        h = o * np.tanh(c)
        assert np.allclose(hs[t], h, rtol=1e-13, atol=1e-15)
        assert np.allclose(cache.cs[t], c, rtol=1e-13, atol=1e-15)
        assert np.allclose(cache.f[t], f, rtol=1e-13) and np.allclose(cache.g[t], g, rtol=1e-13)


def test_token_ids_equal_one_hot_inputs():
    params, ids, h0, c0, G, _ = _problem(seed=4, ids=True)
    onehot = np.eye(4)[ids]                                   # (T, B, D)
    hs_ids, cache_ids = lstm_forward(ids, h0, c0, params)
    hs_dense, cache_dense = lstm_forward(onehot, h0, c0, params)
    assert np.allclose(hs_ids, hs_dense, rtol=1e-13, atol=1e-15)
    g_ids, g_dense = lstm_backward(G, cache_ids), lstm_backward(G, cache_dense)
    for key in LSTM_KEYS:
        assert relative_error(g_ids[key], g_dense[key]) < 1e-12


def test_step_jacobians_match_finite_differences_of_one_step():
    params, xs, h0, c0, _, _ = _problem(seed=5, T=3, B=2, D=3, H=4)
    _, cache = lstm_forward(xs, h0, c0, params)
    J = lstm_step_jacobians(cache)                             # (T, B, 2H, 2H)
    H = 4
    for t in range(3):
        for b in range(2):
            s_prev = np.concatenate([cache.h_prev[t, b], cache.c_prev[t, b]])

            def step(s, t=t, b=b):
                hs, c1 = lstm_forward(xs[t:t + 1, b:b + 1], s[None, :H], s[None, H:], params)
                return np.concatenate([hs[0, 0], c1.cs[0, 0]])

            J_num = np.stack([numerical_gradient(lambda s, i=i: step(s)[i], s_prev) for i in range(2 * H)])
            assert relative_error(J[t, b], J_num) < 1e-7


def test_jacobian_norms_equal_the_explicit_product():
    params, xs, h0, c0, _, _ = _problem(seed=6, T=6, B=2, D=3, H=3)
    _, cache = lstm_forward(xs, h0, c0, params)
    n = lstm_jacobian_norms(cache, example=1)
    J = lstm_step_jacobians(cache)[:, 1]
    assert n.shape == (7,) and n[-1] == pytest.approx(1.0)
    P = np.eye(6)
    for k in range(5, -1, -1):
        P = P @ J[k]
        assert n[k] == pytest.approx(np.linalg.norm(P, 2), rel=1e-12)


def test_carousel_is_the_whole_of_dc_dc_when_gates_ignore_h():
    """With W_h* = 0 the gates do not see h, and ∂c_T/∂c_k = Π f_j exactly (eq. (7.29))."""
    params, xs, h0, c0, _, _ = _problem(seed=7, T=6, B=1, D=3, H=3)
    params = {k: (0.0 * v if k.startswith("W_h") else v) for k, v in params.items()}
    _, cache = lstm_forward(xs, h0, c0, params)
    carousel = carousel_product(cache)[:, 0]                   # (T + 1, H)
    for k in range(6):
        hs_k, cache_k = lstm_forward(xs[:k], h0, c0, params) if k else (h0[None], None)
        h_k, c_k = hs_k[-1], (cache_k.cs[-1] if k else c0)         # (1, H) each

        def c_T(c, k=k, h_k=h_k):
            return lstm_forward(xs[k:], h_k, c.reshape(1, 3), params)[1].cs[-1, 0]

        D_num = np.stack([numerical_gradient(lambda c, i=i: c_T(c)[i], c_k[0]) for i in range(3)])
        assert relative_error(D_num, np.diag(carousel[k])) < 1e-7
    assert np.all(carousel[0] < carousel[-2])                   # a longer lag multiplies in more f < 1


def test_forget_bias_sets_the_carousel_at_initialisation():
    rng = np.random.default_rng(8)
    for bf in (0.0, 1.0, 3.0):
        p = init_lstm_params(2, 8, rng, forget_bias=bf, scale=1e-3)
        xs = rng.uniform(0, 1, (40, 1, 2))
        _, cache = lstm_forward(xs, None, None, {**p, "W_hf": 0.0 * p["W_hf"]})
        prod = carousel_product(cache)[0, 0]                   # lag 40
        assert np.allclose(np.log(prod), 40 * np.log(_sigmoid(bf)), atol=0.05)   # σ(b_f)^40, eq. (7.30)


def test_bad_input_is_refused_with_a_clear_message():
    params, xs, h0, c0, G, _ = _problem()
    with pytest.raises(ValueError, match="lack W_hf"):
        lstm_forward(xs, h0, c0, {k: v for k, v in params.items() if k != "W_hf"})
    with pytest.raises(ValueError, match="W_hg has shape"):
        lstm_forward(xs, h0, c0, {**params, "W_hg": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="c0 has shape"):
        lstm_forward(xs, h0, np.zeros((2, 6)), params)
    with pytest.raises(ValueError, match="token ids must lie"):
        lstm_forward(np.full((3, 2), 9), h0[:2], None, params)
    with pytest.raises(ValueError, match="NaN"):
        lstm_forward(xs * np.nan, h0, c0, params)
    _, cache = lstm_forward(xs, h0, c0, params)
    with pytest.raises(ValueError, match="dhs has shape"):
        lstm_backward(G[:-1], cache)
    with pytest.raises(ValueError, match="example must be"):
        lstm_jacobian_norms(cache, example=3)
    with pytest.raises(ValueError, match="H must be"):
        init_lstm_params(2, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="Generator"):
        init_lstm_params(2, 3, 0)


@pytest.mark.parametrize("task", ["adding", "copy"])
def test_lstm_model_on_the_tasks_matches_finite_differences(task):
    from rnnedu.tasks import adding_problem, copy_task, init_model, model_loss_and_grads

    rng = np.random.default_rng(9)
    D, K = (2, 1) if task == "adding" else (10, 10)
    params = init_model("lstm", D, 3, K, rng)
    params = {k: v + 0.5 * rng.standard_normal(v.shape) for k, v in params.items()}
    batch = adding_problem(3, 6, rng) if task == "adding" else copy_task(2, 2, rng, length=2)
    loss, grads = model_loss_and_grads(params, batch, model="lstm", task=task)
    assert set(params) <= set(grads) and "c0" not in grads
    for key in params:
        r = check_gradient(lambda v, key=key: model_loss_and_grads({**params, key: v}, batch, model="lstm",
                                                                   task=task)[0], params[key], grads[key], name=key,
                           eps=1e-5)   # the copy loss is ~2 and these gradients ~1e-3: a larger step beats round-off
        assert r.ok, r


def test_run_task_lstm_learns_adding_problem_and_refuses_truncation():
    from rnnedu.tasks import run_task

    run = run_task("lstm", "adding", 10, hidden=8, n_steps=150, lr=2e-2, progress=False)
    assert run.test_loss < 0.5 * run.baseline and "lstm" in repr(run)
    with pytest.raises(ValueError, match="truncate"):
        run_task("lstm", "adding", 10, truncate=3, n_steps=1, progress=False)


def test_exercise_7_4_checker_accepts_the_carousel_and_rejects_typical_slips():
    from rnnedu.exercises.lesson07 import check_cell_carry

    right = check_cell_carry(lambda dh, dcn, o, c, f: (dcn + dh * o * (1 - np.tanh(c) ** 2)) * f)
    assert right.passed, right
    wrong = {
        "only carried": lambda dh, dcn, o, c, f: dcn * f,
        "δ^c_t, the gradient AT c_t": lambda dh, dcn, o, c, f: dcn + dh * o * (1 - np.tanh(c) ** 2),
        "not 1 − c²": lambda dh, dcn, o, c, f: (dcn + dh * o * (1 - c ** 2)) * f,
        "You dropped o": lambda dh, dcn, o, c, f: (dcn + dh * (1 - np.tanh(c) ** 2)) * f,
    }
    for hint, fn in wrong.items():
        fb = check_cell_carry(fn)
        assert not fb.passed and hint in fb.message, fb
