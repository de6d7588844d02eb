"""Randomised truncation (rnnedu.truncation, lesson 5, eq. (5.7)–(5.8)): exact special cases, finite
differences of the surrogate loss, exact unbiasedness by enumerating every ξ, and a statistical test."""

import itertools

import numpy as np
import pytest

import rnnedu as rn


def _problem(T=5, B=2, V=4, H=3, seed=0, activation="tanh"):
    rng = np.random.default_rng(seed)
    params = rn.init_rnn_params(V, H, V, rng, scale=0.9)
    X = rng.integers(0, V, size=(T, B))
    Y = rng.integers(0, V, size=(T, B))
    h0 = rng.normal(scale=0.5, size=(B, H))
    hs = rn.rnn_forward(X, h0, params["W_xh"], params["W_hh"], params["b_h"], activation)
    _, dhs, _ = rn.cross_entropy_head(hs, params["W_hy"], params["b_y"], Y)
    return params, X, Y, h0, hs, dhs


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "identity"])
def test_ones_is_full_bptt_and_zeros_is_one_step(activation):
    params, X, Y, h0, hs, dhs = _problem(activation=activation)
    args = (dhs, X, hs, h0, params["W_xh"], params["W_hh"])
    full = rn.rnn_backward(*args, activation)
    one = rn.rnn_backward(*args, activation, truncate=1)
    g1 = rn.rnn_backward_weighted(*args, np.ones(len(X) - 1), activation)
    g0 = rn.rnn_backward_weighted(*args, np.zeros(len(X) - 1), activation)
    for k in full:
        assert rn.relative_error(g1[k], full[k]) < 1e-12
        assert rn.relative_error(g0[k], one[k]) < 1e-12


def test_dense_inputs_match_token_ids():
    params, X, Y, h0, hs, dhs = _problem()
    xi = np.array([2.0, 0.0, 2.0, 0.0])
    onehot = np.eye(params["W_xh"].shape[0])[X]
    a = rn.rnn_backward_weighted(dhs, X, hs, h0, params["W_xh"], params["W_hh"], xi)
    b = rn.rnn_backward_weighted(dhs, onehot, hs, h0, params["W_xh"], params["W_hh"], xi)
    for k in a:
        assert np.allclose(a[k], b[k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("xi", [[2.0, 0.0, 2.0, 2.0], [0.0, 1.25, 1.25, 0.0], [3.0, 3.0, 3.0, 3.0]])
def test_weighted_gradient_is_the_gradient_of_the_surrogate(xi):
    params, X, Y, h0, hs, dhs = _problem()
    xi = np.array(xi)
    g = rn.rnn_backward_weighted(dhs, X, hs, h0, params["W_xh"], params["W_hh"], xi)
    assert np.isclose(rn.scaled_path_loss(params, X, Y, h0, xi, hs), rn.rnn_loss_and_grads(params, X, Y, h0)[0], rtol=1e-14)
    for k in ("W_xh", "W_hh", "b_h"):
        check = rn.check_gradient(lambda w, k=k: rn.scaled_path_loss({**params, k: w}, X, Y, h0, xi, hs), params[k], g[k])
        assert check.ok, check
    check = rn.check_gradient(lambda h: rn.scaled_path_loss(params, X, Y, h, xi, hs), h0, g["h0"])
    assert check.ok, check


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.8])
def test_exact_expectation_over_every_xi_is_full_bptt(keep):
    params, X, Y, h0, hs, dhs = _problem(T=4)
    args = (dhs, X, hs, h0, params["W_xh"], params["W_hh"])
    full = rn.rnn_backward(*args)
    expected = {k: np.zeros_like(v) for k, v in full.items()}
    for pattern in itertools.product((0, 1), repeat=3):
        prob = np.prod([keep if s else 1 - keep for s in pattern])
        g = rn.rnn_backward_weighted(*args, np.array(pattern) / keep)
        for k in expected:
            expected[k] += prob * g[k]
    for k in full:
        assert rn.relative_error(expected[k], full[k]) < 1e-12
    fixed = rn.rnn_backward(*args, truncate=2)  # fixed truncation is biased on the same problem
    assert rn.relative_error(fixed["W_hh"], full["W_hh"]) > 1e-3


def test_mean_over_draws_is_within_its_standard_error_of_full_bptt():
    params, X, Y, h0, hs, dhs = _problem(T=8, seed=3)
    args = (dhs, X, hs, h0, params["W_xh"], params["W_hh"])
    full = rn.rnn_backward(*args)
    mean, se = rn.randomized_truncation_mean(*args, keep=0.5, n_draws=4000, rng=np.random.default_rng(7))
    for k in ("W_xh", "W_hh", "b_h", "h0"):
        z = np.abs(mean[k] - full[k]) / np.where(se[k] > 0, se[k], np.inf)
        # 4000 draws: each entry is ~N(0, 1) in units of its standard error; 5 SE fails by chance < 1e-5
        assert z.max() < 5.0, (k, z.max())
        assert np.all(se[k] <= np.abs(full[k]) + 1.0)  # finite and sensible
    # the same number of fixed-truncation gradients stays off by its bias, far outside the standard error
    bias = rn.truncation_bias(*args, taus=[2], name="W_hh")[0]
    assert bias > 10 * rn.relative_error(mean["W_hh"], full["W_hh"])


def test_draws_have_mean_one_and_two_values():
    xi = rn.draw_truncation_weights(20001, 0.25, np.random.default_rng(1))
    assert set(np.unique(xi)) == {0.0, 4.0}
    assert abs(xi.mean() - 1.0) < 5 * np.sqrt(3.0 / 20000)  # var(ξ) = 1/π − 1 = 3
    assert np.all(rn.draw_truncation_weights(5, 1.0, np.random.default_rng(0)) == 1.0)


def test_truncation_bias_is_zero_at_full_length_and_shrinks():
    params, X, Y, h0, hs, dhs = _problem(T=8, seed=2)
    bias = rn.truncation_bias(dhs, X, hs, h0, params["W_xh"], params["W_hh"], taus=[1, 2, 4, 8])
    assert bias[-1] < 1e-12 and bias[0] > bias[1] > bias[2] > bias[3]


@pytest.mark.parametrize("call, match", [
    (lambda: rn.draw_truncation_weights(5, 0.0, np.random.default_rng(0)), "keep"),
    (lambda: rn.draw_truncation_weights(5, 1.5, np.random.default_rng(0)), "keep"),
    (lambda: rn.draw_truncation_weights(0, 0.5, np.random.default_rng(0)), "T must"),
    (lambda: rn.draw_truncation_weights(5, 0.5, 3), "Generator"),
])
def test_bad_arguments_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_xi_and_shapes_are_refused():
    params, X, Y, h0, hs, dhs = _problem()
    args = (dhs, X, hs, h0, params["W_xh"], params["W_hh"])
    with pytest.raises(ValueError, match="one weight per backward step"):
        rn.rnn_backward_weighted(*args, np.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        rn.rnn_backward_weighted(*args, -np.ones(len(X) - 1))
    with pytest.raises(ValueError, match="dhs"):
        rn.rnn_backward_weighted(dhs[:-1], X, hs, h0, params["W_xh"], params["W_hh"], np.ones(len(X) - 1))
    with pytest.raises(ValueError, match="n_draws"):
        rn.randomized_truncation_mean(*args, keep=0.5, n_draws=1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="name"):
        rn.truncation_bias(*args, taus=[1], name="W_hy")
