"""Lesson 2: the MLP forward pass, the delta rule backward pass, training, the toy data and the exercises.

Every gradient is compared with central finite differences in float64 (relative error < 1e-7) and,
independently, with HIPS autograd applied to a separate, naive forward pass written here.
"""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnedu as rn
from rnnedu.exercises import lesson02
from rnnedu.mlp import (MLP, hidden_delta, init_mlp, loss_from_cache, loss_from_preactivation, mlp_backward, mlp_forward, mlp_loss,
                        mlp_predict, output_delta, train_mlp, weight_gradient, with_parameter)
from rnnedu.toydata import grid, two_spirals

ACTS = ("tanh", "sigmoid", "relu", "identity")


def make_problem(sizes, hidden, output, batch, seed):
    rng = np.random.default_rng(seed)
    net = init_mlp(sizes, hidden, output, rng=rng, scale=0.8)
    net = MLP(net.weights, tuple(rng.normal(0, 0.3, size=b.shape) for b in net.biases), net.hidden, net.output)
    x = rng.normal(size=(batch, sizes[0]))
    if output == "softmax":
        y = rng.integers(0, sizes[-1], size=batch)
    else:
        y = rng.normal(size=(batch, sizes[-1]))
    return net, x, y


def fd_check(net, x, y):
    """Finite-difference check of every dW(s) and db(s); returns the worst relative error."""
    grads = mlp_backward(mlp_forward(net, x), y)
    worst = 0.0
    for s in range(1, net.n_layers + 1):
        for kind, param, analytic in (("W", net.weights[s - 1], grads.dW[s - 1]), ("b", net.biases[s - 1], grads.db[s - 1])):
            assert analytic.shape == param.shape
            res = rn.check_gradient(lambda p: mlp_loss(with_parameter(net, kind, s, p), x, y), param, analytic,
                                    name=f"d{kind}({s})")
            assert res.ok, res
            worst = max(worst, res.rel_error)
    return worst


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("sizes", [(3, 4), (3, 5, 4), (2, 4, 3, 3)], ids=["1-layer", "2-layer", "3-layer"])
@pytest.mark.parametrize("batch", [1, 6], ids=["B=1", "B=6"])
def test_gradients_match_finite_differences_softmax_output(act, sizes, batch):
    net, x, y = make_problem(sizes, act, "softmax", batch, seed=len(sizes) * 10 + batch)
    assert fd_check(net, x, y) < 1e-7


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("sizes", [(3, 2), (3, 4, 2)], ids=["1-layer", "2-layer"])
@pytest.mark.parametrize("batch", [1, 5], ids=["B=1", "B=5"])
def test_gradients_match_finite_differences_activation_output(act, sizes, batch):
    # A one-layer net with an activation output: here the activation itself is exercised.
    net, x, y = make_problem(sizes, "tanh", act, batch, seed=7 + batch)
    assert fd_check(net, x, y) < 1e-7


def naive_forward_loss(params, x, y_onehot, acts):
    a = x
    n = len(params) // 2
    f = {"tanh": anp.tanh, "sigmoid": lambda v: 1 / (1 + anp.exp(-v)), "relu": lambda v: anp.maximum(v, 0),
         "identity": lambda v: v}
    for s in range(n):
        v = anp.dot(a, params[2 * s]) + params[2 * s + 1]
        a = f[acts[s]](v) if s < n - 1 else v
    logp = a - anp.log(anp.sum(anp.exp(a), axis=1, keepdims=True))
    return -anp.sum(y_onehot * logp) / x.shape[0]


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(ACTS), st.integers(1, 4), st.integers(1, 3), st.integers(0, 10_000))
def test_backward_agrees_with_autograd(act, batch, depth, seed):
    rng = np.random.default_rng(seed)
    sizes = tuple(int(n) for n in rng.integers(1, 5, size=depth + 1))
    sizes = sizes[:-1] + (max(sizes[-1], 2),)
    net, x, y = make_problem(sizes, act, "softmax", batch, seed)
    grads = mlp_backward(mlp_forward(net, x), y)
    params = [p for wb in zip(net.weights, net.biases) for p in wb]
    ref = grad(naive_forward_loss)(params, x, np.eye(sizes[-1])[y], net.hidden + ("softmax",))
    for s in range(net.n_layers):
        np.testing.assert_allclose(grads.dW[s], ref[2 * s], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(grads.db[s], ref[2 * s + 1], rtol=1e-9, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(ACTS), st.integers(2, 6), st.integers(0, 10_000))
def test_batch_gradient_is_mean_of_per_example_gradients(act, batch, seed):
    net, x, y = make_problem((3, 4, 3), act, "softmax", batch, seed)
    full = mlp_backward(mlp_forward(net, x), y)
    per = [mlp_backward(mlp_forward(net, x[n:n + 1]), y[n:n + 1]) for n in range(batch)]
    for s in range(net.n_layers):
        np.testing.assert_allclose(full.dW[s], np.mean([g.dW[s] for g in per], axis=0), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(full.db[s], np.mean([g.db[s] for g in per], axis=0), rtol=1e-10, atol=1e-13)


def test_hand_computed_one_layer_squared_error():
    # v = 1·0.5 + 2·(−1) + 0.25 = −1.25; E = ½·1.25² = 0.78125; δ = −1.25; dW = xᵀδ = [[−1.25], [−2.5]].
    net = MLP((np.array([[0.5], [-1.0]]),), (np.array([0.25]),), (), "identity")
    x, y = np.array([[1.0, 2.0]]), np.array([[0.0]])
    cache = mlp_forward(net, x)
    assert cache.v[1][0, 0] == -1.25
    assert loss_from_cache(cache, y) == 0.78125
    g = mlp_backward(cache, y)
    np.testing.assert_array_equal(g.delta[1], [[-1.25]])
    np.testing.assert_array_equal(g.dW[0], [[-1.25], [-2.5]])
    np.testing.assert_array_equal(g.db[0], [-1.25])


def test_hand_computed_two_layer_chain():
    # x = 1, W1 = 2, W2 = 3, identity hidden and output, y = 1: v1 = 2, v2 = 6, E = ½·5² = 12.5,
    # δ2 = 5, δ1 = 1·(5·3) = 15, dW2 = a1·δ2 = 10, dW1 = x·δ1 = 15.
    net = MLP((np.array([[2.0]]), np.array([[3.0]])), (np.zeros(1), np.zeros(1)), ("identity",), "identity")
    x, y = np.array([[1.0]]), np.array([[1.0]])
    g = mlp_backward(mlp_forward(net, x), y)
    assert mlp_loss(net, x, y) == 12.5
    assert (g.delta[2][0, 0], g.delta[1][0, 0]) == (5.0, 15.0)
    assert (g.dW[1][0, 0], g.dW[0][0, 0]) == (10.0, 15.0)


def test_hand_computed_tanh_delta():
    # δ(1) = (1 − tanh²(0.5)) · (δ(2) W(2)ᵀ) with δ(2) = [1, −2], W(2) = [[3, 1]]: 1·3 + (−2)·1 = 1.
    v = np.array([[0.5]])
    out = hidden_delta(np.array([[1.0, -2.0]]), np.array([[3.0, 1.0]]), v, "tanh")
    assert out.shape == (1, 1)
    assert out[0, 0] == pytest.approx(1 - np.tanh(0.5) ** 2, rel=1e-15)


def test_softmax_output_reuses_lesson_one():
    net, x, y = make_problem((3, 4, 5), "tanh", "softmax", 4, seed=3)
    cache = mlp_forward(net, x)
    np.testing.assert_allclose(cache.a[-1].sum(axis=1), 1.0, rtol=1e-12)
    assert loss_from_cache(cache, y) == pytest.approx(-np.mean(np.log(cache.a[-1][np.arange(4), y])), rel=1e-12)
    onehot = np.eye(5)[y]
    np.testing.assert_allclose(output_delta(cache, y), (cache.a[-1] - onehot) / 4, rtol=1e-12, atol=1e-15)


def test_weight_gradient_is_batch_sum_of_outer_products():
    rng = np.random.default_rng(0)
    a, d = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    dW, db = weight_gradient(a, d)
    np.testing.assert_allclose(dW, sum(np.outer(a[n], d[n]) for n in range(4)), rtol=1e-12)
    np.testing.assert_allclose(db, d.sum(axis=0), rtol=1e-12)


def test_forward_cache_is_named_and_inputs_untouched():
    net, x, y = make_problem((3, 4, 2), "relu", "softmax", 3, seed=1)
    x0, w0 = x.copy(), net.weights[0].copy()
    cache = mlp_forward(net, x)
    mlp_backward(cache, y)
    assert cache.v[0] is None and len(cache.a) == 3 and len(cache.v) == 3
    np.testing.assert_array_equal(cache.a[1], np.maximum(cache.v[1], 0))
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(net.weights[0], w0)
    assert net.sizes == (3, 4, 2)
    assert mlp_predict(net, x).shape == (3,)


def test_training_separates_two_spirals_quickly():
    x, y = two_spirals(100, rng=np.random.default_rng(2))
    net = init_mlp((2, 24, 24, 2), "tanh", rng=np.random.default_rng(2))
    w0 = net.weights[0].copy()
    run = train_mlp(net, x, y, lr=0.5, steps=1500, momentum=0.9)
    assert run.losses.shape == (1500,)
    assert run.losses[0] > 0.6 and run.losses[-1] < 0.05
    assert np.mean(mlp_predict(run.net, x) == y) > 0.97
    np.testing.assert_array_equal(net.weights[0], w0)  # the input net is not mutated


def test_plain_gradient_descent_step_is_minus_lr_times_gradient():
    net, x, y = make_problem((2, 3, 2), "sigmoid", "softmax", 5, seed=4)
    run = train_mlp(net, x, y, lr=0.1, steps=1, momentum=0.0)
    g = mlp_backward(mlp_forward(net, x), y)
    np.testing.assert_allclose(run.net.weights[1], net.weights[1] - 0.1 * g.dW[1], rtol=1e-13)
    assert run.losses[0] == pytest.approx(mlp_loss(net, x, y), rel=1e-13)


def test_two_spirals_and_grid():
    x, y = two_spirals(50, noise=0.0, rng=np.random.default_rng(0))
    assert x.shape == (100, 2) and y.shape == (100,)
    assert np.bincount(y).tolist() == [50, 50]
    np.testing.assert_allclose(x[50:], -x[:50], atol=1e-12)  # class 1 is class 0 rotated by π
    a, _ = two_spirals(30, rng=np.random.default_rng(5))
    b, _ = two_spirals(30, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    xx, yy, pts = grid(x, steps=11)
    assert xx.shape == (11, 11) and pts.shape == (121, 2)
    assert pts[:, 0].min() < x[:, 0].min() and pts[:, 1].max() > x[:, 1].max()


def test_bad_input_raises_value_error():
    w1, w2 = np.ones((2, 3)), np.ones((4, 2))
    with pytest.raises(ValueError, match=r"layer shapes do not match: W\(1\) has shape \(2, 3\)"):
        MLP((w1, w2), (np.zeros(3), np.zeros(2)), ("tanh",))
    with pytest.raises(ValueError, match=r"b\(1\) has shape \(2,\), expected \(3,\)"):
        MLP((w1,), (np.zeros(2),))
    with pytest.raises(ValueError, match="2 weight matrices but 1 bias"):
        MLP((w1, np.ones((3, 2))), (np.zeros(3),), ("tanh",))
    with pytest.raises(ValueError, match="need 1 hidden activation"):
        MLP((w1, np.ones((3, 2))), (np.zeros(3), np.zeros(2)), ("tanh", "relu"))
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        init_mlp((2, 3, 2), "softplus")
    with pytest.raises(ValueError, match="unknown output 'linear'"):
        init_mlp((2, 3), output="linear")
    with pytest.raises(ValueError, match="at least one layer"):
        MLP((), ())
    with pytest.raises(ValueError, match="bias_scale must be non-negative"):
        init_mlp((2, 3), bias_scale=-0.1)
    assert np.all(init_mlp((2, 3)).biases[0] == 0) and np.all(init_mlp((2, 3), bias_scale=0.5).biases[0] != 0)
    with pytest.raises(ValueError, match="sizes must list"):
        init_mlp((3,))
    net = init_mlp((2, 3, 2))
    with pytest.raises(ValueError, match=r"x has shape \(4, 3\), expected \(B, 2\)"):
        mlp_forward(net, np.ones((4, 3)))
    with pytest.raises(ValueError, match="x contains NaN"):
        mlp_forward(net, np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match=r"must lie in \[0, 2\)"):
        mlp_loss(net, np.ones((2, 2)), np.array([0, 2]))
    with pytest.raises(ValueError, match=r"targets y have shape \(2, 3\), expected \(2, 2\)"):
        mlp_loss(init_mlp((2, 2), output="tanh"), np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="shapes do not fit"):
        hidden_delta(np.ones((2, 3)), np.ones((3, 4)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="same B"):
        weight_gradient(np.ones((2, 3)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="learning rate"):
        train_mlp(net, np.ones((2, 2)), np.array([0, 1]), lr=0.0)
    with pytest.raises(ValueError, match="momentum"):
        train_mlp(net, np.ones((2, 2)), np.array([0, 1]), momentum=1.0)
    with pytest.raises(ValueError, match="steps"):
        train_mlp(net, np.ones((2, 2)), np.array([0, 1]), steps=0)
    with pytest.raises(ValueError, match="kind must be"):
        with_parameter(net, "V", 1, np.ones((2, 3)))
    with pytest.raises(ValueError, match="n_per_class"):
        two_spirals(0)
    with pytest.raises(ValueError, match="noise"):
        two_spirals(5, noise=-1.0)
    with pytest.raises(ValueError, match=r"points of shape \(N, 2\)"):
        grid(np.ones((3, 3)))


# --- exercises -------------------------------------------------------------------------------------

def test_exercise_hidden_delta_hints():
    good = lambda d, W, v, act: rn.activation_derivative(v, act) * (d @ W.T)  # noqa: E731
    assert lesson02.check_hidden_delta(good).passed
    no_phi = lesson02.check_hidden_delta(lambda d, W, v, act: d @ W.T)
    assert not no_phi.passed and "forgot the activation" in no_phi.message
    phi = lesson02.check_hidden_delta(lambda d, W, v, act: rn.apply_activation(v, act) * (d @ W.T))
    assert not phi.passed and "derivative" in phi.message
    col = lesson02.check_hidden_delta(lambda d, W, v, act: rn.activation_derivative(v, act) * (d @ W))
    assert not col.passed and "delta_next @ W_next.T" in col.message


def test_exercise_weight_gradient_hints():
    assert lesson02.check_weight_gradient(lambda a, d: a.T @ d / a.shape[0]).passed
    column = lesson02.check_weight_gradient(lambda a, d: d.T @ a)
    assert not column.passed and "column form" in column.message
    summed = lesson02.check_weight_gradient(lambda a, d: a.T @ d)
    assert not summed.passed and "divide by B" in summed.message
    means = lesson02.check_weight_gradient(lambda a, d: np.outer(a.mean(0), d.mean(0)))
    assert not means.passed and "product of the means" in means.message


@pytest.mark.parametrize("act", ACTS)
def test_every_delta_is_the_gradient_of_the_loss_in_its_preactivation(act):
    net, x, y = make_problem((3, 4, 4, 3), act, "softmax", 3, seed=11)
    cache = mlp_forward(net, x)
    g = mlp_backward(cache, y)
    for s in (1, 2, 3):
        assert loss_from_preactivation(net, s, cache.v[s], y) == pytest.approx(loss_from_cache(cache, y), rel=1e-14)
        res = rn.check_gradient(lambda v: loss_from_preactivation(net, s, v, y), cache.v[s], g.delta[s])
        assert res.ok, res
    with pytest.raises(ValueError, match=r"layer s must lie in 1…3"):
        loss_from_preactivation(net, 0, cache.v[1], y)
    with pytest.raises(ValueError, match=r"v\(2\) has shape \(3, 5\), expected \(B, 4\)"):
        loss_from_preactivation(net, 2, np.ones((3, 5)), y)


def test_plots_return_their_artists():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rnnedu.plotting.mlp import plot_decision_boundary, plot_loss_curve

    x, y = two_spirals(20, rng=np.random.default_rng(0))
    net = init_mlp((2, 4, 2), rng=np.random.default_rng(0))
    fig, (ax1, ax2) = plt.subplots(1, 2)
    line = plot_loss_curve(ax1, [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 0.5, 0.25])
    _, _, pts = plot_decision_boundary(ax2, net, x, y, steps=20)
    assert pts.get_offsets().shape == (40, 2)
    with pytest.raises(ValueError, match="2-input, 2-class softmax"):
        plot_decision_boundary(ax2, init_mlp((3, 2)), x, y)
    plt.close(fig)
