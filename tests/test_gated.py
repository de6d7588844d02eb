"""Tests for rnnedu.gated: the GRU's hand-derived backward against central differences (float64,
< 1e-7) and against autograd, its Jacobians, its forward against the equations, and bad input."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as agrad
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnedu.gated import (
    GRU_KEYS,
    gru_backward,
    gru_forward,
    gru_jacobian_norms,
    gru_step_jacobians,
    init_gru_params,
)
from rnnedu.gradcheck import check_gradient, relative_error


def _problem(seed=0, T=5, B=3, D=4, H=6, ids=False):
    rng = np.random.default_rng(seed)
    params = init_gru_params(D, H, rng)
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}  # off the init
    xs = rng.integers(0, D, (T, B)) if ids else rng.standard_normal((T, B, D))
    h0 = 0.5 * rng.standard_normal((B, H))
    G = rng.standard_normal((T, B, H))  # L = Σ G ⊙ h: dhs = G
    return params, xs, h0, G


def _loss(params, xs, h0, G):
    hs, _ = gru_forward(xs, h0, params)
    return float(np.sum(hs * G))


@pytest.mark.parametrize("ids", [False, True])
@pytest.mark.parametrize("key", GRU_KEYS)
def test_gru_backward_matches_finite_differences(key, ids):
    params, xs, h0, G = _problem(ids=ids)
    _, cache = gru_forward(xs, h0, params)
    grads = gru_backward(G, cache)
    assert grads[key].shape == params[key].shape

    def f(v):
        return _loss({**params, key: v}, xs, h0, G)

    result = check_gradient(f, params[key], grads[key], name=key, tol=1e-7)
    assert result.ok, result


def test_gru_backward_h0_and_sparse_dhs():
    params, xs, h0, G = _problem(seed=1)
    G[:-1] = 0.0  # a loss on the last step only, as in the adding problem
    _, cache = gru_forward(xs, h0, params)
    grads = gru_backward(G, cache)
    result = check_gradient(lambda v: _loss(params, xs, v, G), h0, grads["h0"], name="h0")
    assert result.ok, result


def _autograd_loss(flat_params, xs, h0, G):
    p = dict(zip(GRU_KEYS, flat_params))
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        z = 1 / (1 + anp.exp(-(anp.dot(xs[t], p["W_xz"]) + anp.dot(h, p["W_hz"]) + p["b_z"])))
        r = 1 / (1 + anp.exp(-(anp.dot(xs[t], p["W_xr"]) + anp.dot(h, p["W_hr"]) + p["b_r"])))
        c = anp.tanh(anp.dot(xs[t], p["W_xh"]) + anp.dot(r * h, p["W_hh"]) + p["b_h"])
        h = z * h + (1 - z) * c
        total = total + anp.sum(h * G[t])
    return total


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), T=st.integers(1, 6), B=st.integers(1, 3), H=st.integers(1, 5))
def test_gru_backward_matches_autograd(seed, T, B, H):
    params, xs, h0, G = _problem(seed, T=T, B=B, D=3, H=H)
    _, cache = gru_forward(xs, h0, params)
    ours = gru_backward(G, cache)
    theirs = agrad(_autograd_loss)([params[k] for k in GRU_KEYS], xs, h0, G)
    for k, g in zip(GRU_KEYS, theirs):
        assert relative_error(ours[k], g) < 1e-10, k


def test_gru_forward_follows_equations_for_one_step():
    params, xs, h0, _ = _problem(seed=2, T=1)
    hs, cache = gru_forward(xs, h0, params)
    x = xs[0]
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    z = sig(x @ params["W_xz"] + h0 @ params["W_hz"] + params["b_z"])
    r = sig(x @ params["W_xr"] + h0 @ params["W_hr"] + params["b_r"])
    c = np.tanh(x @ params["W_xh"] + (r * h0) @ params["W_hh"] + params["b_h"])
    np.testing.assert_allclose(hs[0], z * h0 + (1 - z) * c, rtol=1e-12)
    np.testing.assert_allclose(cache.zs[0], z, rtol=1e-12)
    np.testing.assert_allclose(cache.rs[0], r, rtol=1e-12)


def test_gru_ids_equal_one_hot():
    params, ids, h0, G = _problem(seed=3, ids=True)
    onehot = np.eye(4)[ids]
    hs_ids, c_ids = gru_forward(ids, h0, params)
    hs_dense, c_dense = gru_forward(onehot, h0, params)
    np.testing.assert_allclose(hs_ids, hs_dense, rtol=1e-12)
    g_ids, g_dense = gru_backward(G, c_ids), gru_backward(G, c_dense)
    for k in g_ids:
        np.testing.assert_allclose(g_ids[k], g_dense[k], rtol=1e-10, atol=1e-14)


def test_gru_forward_does_not_mutate_inputs():
    params, xs, h0, G = _problem(seed=4)
    copies = {k: v.copy() for k, v in params.items()}
    xs0, h00 = xs.copy(), h0.copy()
    _, cache = gru_forward(xs, h0, params)
    gru_backward(G, cache)
    for k in params:
        np.testing.assert_array_equal(params[k], copies[k])
    np.testing.assert_array_equal(xs, xs0)
    np.testing.assert_array_equal(h0, h00)


def test_step_jacobians_match_finite_differences():
    params, xs, h0, _ = _problem(seed=5, T=4, B=2)
    _, cache = gru_forward(xs, h0, params)
    J = gru_step_jacobians(cache)
    assert J.shape == (4, 2, 6, 6)
    for t in (0, 3):
        for b in range(2):
            def step(h_prev, t=t, b=b):
                hs, _ = gru_forward(xs[t:t + 1, b:b + 1], h_prev[None], params)
                return hs[0, 0]

            hp = cache.h_prev[t, b]
            eps = 1e-6
            num = np.stack([(step(hp + eps * e) - step(hp - eps * e)) / (2 * eps) for e in np.eye(6)], axis=1)
            assert relative_error(J[t, b], num) < 1e-8


def test_jacobian_is_diag_z_when_candidate_path_is_closed():
    # With W_hz = W_hr = W_hh = 0 only the additive path is left: J_t = diag(z_t) exactly.
    params, xs, h0, _ = _problem(seed=6)
    for k in ("W_hz", "W_hr", "W_hh"):
        params[k] = np.zeros_like(params[k])
    _, cache = gru_forward(xs, h0, params)
    J = gru_step_jacobians(cache)
    expected = np.eye(6) * cache.zs[..., None, :]
    np.testing.assert_allclose(J, expected, atol=1e-15)
    norms = gru_jacobian_norms(cache, example=1)
    # ‖Π diag(z_j)‖₂ = max_i Π_j z_{j,i}
    prods = np.cumprod(cache.zs[::-1, 1], axis=0)[::-1].max(axis=1)
    np.testing.assert_allclose(norms, np.append(prods, 1.0), rtol=1e-12)


def test_jacobian_norms_equal_norms_of_explicit_products():
    params, xs, h0, _ = _problem(seed=7, T=6, B=1)
    _, cache = gru_forward(xs, h0, params)
    J = gru_step_jacobians(cache)[:, 0]
    norms = gru_jacobian_norms(cache)
    for k in range(7):
        P = np.eye(6)
        for j in range(5, k - 1, -1):  # J_T … J_{k+1}
            P = P @ J[j]
        assert norms[k] == pytest.approx(np.linalg.norm(P, 2), rel=1e-10)


def test_init_gru_params_shapes_and_gate_bias():
    params = init_gru_params(3, 5, np.random.default_rng(0), gate_bias=2.0)
    assert set(params) == set(GRU_KEYS)
    for k in ("W_xz", "W_xr", "W_xh"):
        assert params[k].shape == (3, 5)
    for k in ("W_hz", "W_hr", "W_hh"):
        np.testing.assert_allclose(params[k] @ params[k].T, np.eye(5), atol=1e-12)  # orthogonal
    np.testing.assert_array_equal(params["b_z"], np.full(5, 2.0))
    np.testing.assert_array_equal(params["b_r"], np.zeros(5))


@pytest.mark.parametrize("mutate, match", [
    (lambda p, xs, h0: ({k: v for k, v in p.items() if k != "W_hr"}, xs, h0), "lack W_hr"),
    (lambda p, xs, h0: ({**p, "W_hh": np.zeros((6, 5))}, xs, h0), "W_hh has shape"),
    (lambda p, xs, h0: ({**p, "b_z": np.zeros(4)}, xs, h0), "b_z has shape"),
    (lambda p, xs, h0: (p, xs[..., :3], h0), "xs has shape"),
    (lambda p, xs, h0: (p, xs[:0], h0), "non-empty"),
    (lambda p, xs, h0: (p, xs, h0[:, :2]), "h0 has shape"),
    (lambda p, xs, h0: (p, np.where(np.isfinite(xs), np.nan, 0.0), h0), "NaN"),
    (lambda p, xs, h0: (p, np.full((5, 3), 9), h0), "token ids"),
])
def test_gru_bad_input_raises(mutate, match):
    params, xs, h0, _ = _problem()
    p, x, h = mutate(params, xs, h0)
    with pytest.raises(ValueError, match=match):
        gru_forward(x, h, p)


def test_gru_backward_and_norms_bad_input():
    params, xs, h0, G = _problem()
    _, cache = gru_forward(xs, h0, params)
    with pytest.raises(ValueError, match="dhs has shape"):
        gru_backward(G[:, :, :2], cache)
    with pytest.raises(ValueError, match="example"):
        gru_jacobian_norms(cache, example=3)
    with pytest.raises(ValueError, match="rng"):
        init_gru_params(2, 3, 0)
    with pytest.raises(ValueError, match="at least 1"):
        init_gru_params(0, 3, np.random.default_rng(0))
