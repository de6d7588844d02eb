"""Tests for rnnedu.tasks: the tasks' structure, their exact baselines, the loss heads' gradients
(finite differences), the composed model losses, the runner, the plots and the lesson 7 checkers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rnnedu.gradcheck import check_gradient  # noqa: E402
from rnnedu.rnn import rnn_loss_and_grads  # noqa: E402
from rnnedu.softmax import cross_entropy  # noqa: E402
from rnnedu.tasks import (  # noqa: E402
    ADDING_BASELINE_MSE,
    MODELS,
    adding_baseline_mse,
    adding_problem,
    copy_baseline,
    copy_memoryless_logits,
    copy_task,
    init_model,
    last_step_mse,
    model_loss_and_grads,
    run_task,
    sequence_cross_entropy,
)


# --- the tasks ---------------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 20), lag=st.integers(2, 60), seed=st.integers(0, 10_000))
def test_adding_problem_structure(n, lag, seed):
    xs, y = adding_problem(n, lag, np.random.default_rng(seed))
    assert xs.shape == (lag, n, 2) and y.shape == (n,)
    u, m = xs[..., 0], xs[..., 1]
    assert np.all((u >= 0) & (u <= 1))
    half = lag // 2
    np.testing.assert_array_equal(m[:half].sum(axis=0), np.ones(n))   # one marker in the first half
    np.testing.assert_array_equal(m[half:].sum(axis=0), np.ones(n))   # and one in the second
    np.testing.assert_allclose(y, (u * m).sum(axis=0))


def test_adding_problem_is_seeded():
    a = adding_problem(4, 10, np.random.default_rng(5))
    b = adding_problem(4, 10, np.random.default_rng(5))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_adding_baseline_is_one_sixth_and_matches_sampling():
    assert ADDING_BASELINE_MSE == pytest.approx(1 / 6)
    assert adding_baseline_mse(1.0) == pytest.approx(1 / 6)
    assert adding_baseline_mse(0.5) == pytest.approx(1 / 6 + 0.25)
    _, y = adding_problem(200_000, 20, np.random.default_rng(0))
    sq = (y - 1.0) ** 2
    se = sq.std() / np.sqrt(sq.size)
    assert abs(sq.mean() - 1 / 6) < 5 * se
    assert abs(np.mean((y - 0.7) ** 2) - adding_baseline_mse(0.7)) < 5 * ((y - 0.7) ** 2).std() / np.sqrt(y.size)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 10), lag=st.integers(1, 40), k=st.integers(2, 9), length=st.integers(1, 12),
       seed=st.integers(0, 10_000))
def test_copy_task_structure(n, lag, k, length, seed):
    X, Y = copy_task(n, lag, np.random.default_rng(seed), n_symbols=k, length=length)
    T = lag + 2 * length
    assert X.shape == Y.shape == (T, n)
    symbols = X[:length]
    assert np.all((symbols >= 1) & (symbols <= k))
    np.testing.assert_array_equal(X[length:length + lag - 1], 0)               # lag − 1 blanks
    np.testing.assert_array_equal(X[length + lag - 1], k + 1)                  # the delimiter
    np.testing.assert_array_equal(X[length + lag:], 0)
    np.testing.assert_array_equal(Y[:lag + length], 0)
    np.testing.assert_array_equal(Y[lag + length:], symbols)                   # the copy


@pytest.mark.parametrize("lag", [1, 10, 100])
def test_copy_baseline_formula_and_memoryless_logits(lag):
    assert copy_baseline(lag) == pytest.approx(10 * np.log(8) / (lag + 20))
    _, Y = copy_task(16, lag, np.random.default_rng(lag))
    ce = cross_entropy(copy_memoryless_logits(lag, 16), Y)
    assert ce == pytest.approx(copy_baseline(lag), rel=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: adding_problem(4, 0, np.random.default_rng(0)), "lag"),
    (lambda: adding_problem(4, 1, np.random.default_rng(0)), "lag ≥ 2"),
    (lambda: adding_problem(4, -3, np.random.default_rng(0)), "lag"),
    (lambda: adding_problem(0, 10, np.random.default_rng(0)), "batch size"),
    (lambda: adding_problem(4, 10, 0), "rng"),
    (lambda: copy_task(4, 0, np.random.default_rng(0)), "lag"),
    (lambda: copy_task(4, 5, np.random.default_rng(0), n_symbols=1), "n_symbols"),
    (lambda: copy_baseline(0), "lag"),
    (lambda: copy_baseline(2.5), "lag"),
    (lambda: adding_baseline_mse(float("nan")), "finite"),
])
def test_task_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- the heads -----------------------------------------------------------------------------------------

def test_last_step_mse_value_and_gradients():
    rng = np.random.default_rng(1)
    h, W, b, y = rng.normal(size=(5, 4)), rng.normal(size=(4, 1)), rng.normal(size=1), rng.normal(size=5)
    loss, g = last_step_mse(h, W, b, y)
    assert loss == pytest.approx(np.mean(((h @ W)[:, 0] + b[0] - y) ** 2))
    for name, x, f in [
        ("h_last", h, lambda v: last_step_mse(v, W, b, y)[0]),
        ("W_hy", W, lambda v: last_step_mse(h, v, b, y)[0]),
        ("b_y", b, lambda v: last_step_mse(h, W, v, y)[0]),
    ]:
        res = check_gradient(f, x, g[name], name=name)
        assert res.ok, res


def test_sequence_cross_entropy_gradients_and_agreement_with_rnn_loss():
    rng = np.random.default_rng(2)
    T, B, H, K = 4, 3, 5, 6
    hs, W, b = rng.normal(size=(T, B, H)), rng.normal(size=(H, K)), rng.normal(size=K)
    Y = rng.integers(0, K, (T, B))
    loss, g = sequence_cross_entropy(hs, W, b, Y)
    assert loss == pytest.approx(cross_entropy(hs @ W + b, Y))
    for name, x, f in [
        ("hs", hs, lambda v: sequence_cross_entropy(v, W, b, Y)[0]),
        ("W_hy", W, lambda v: sequence_cross_entropy(hs, v, b, Y)[0]),
        ("b_y", b, lambda v: sequence_cross_entropy(hs, W, v, Y)[0]),
    ]:
        res = check_gradient(f, x, g[name], name=name)
        assert res.ok, res
    # composed with rnn_forward/rnn_backward it is lesson 4's loss: compare with rnn_loss_and_grads
    params = init_model("tanh", 10, H, 10, np.random.default_rng(3))
    X, Yc = copy_task(3, 4, np.random.default_rng(4))
    ours, g_ours = model_loss_and_grads(params, (X, Yc), model="tanh", task="copy")
    ref, g_ref = rnn_loss_and_grads(params, X, Yc)
    assert ours == pytest.approx(ref, rel=1e-12)
    for k in params:
        np.testing.assert_allclose(g_ours[k], g_ref[k], rtol=1e-10, atol=1e-14)


def test_heads_bad_input_raises():
    with pytest.raises(ValueError, match="W_hy has shape"):
        last_step_mse(np.ones((2, 3)), np.ones((3, 2)), np.ones(1), np.ones(2))
    with pytest.raises(ValueError, match="y has shape"):
        last_step_mse(np.ones((2, 3)), np.ones((3, 1)), np.ones(1), np.ones(3))
    with pytest.raises(ValueError, match="Y must be integer"):
        sequence_cross_entropy(np.ones((2, 2, 3)), np.ones((3, 4)), np.ones(4), np.ones((2, 2)))
    with pytest.raises(ValueError, match="lie in"):
        sequence_cross_entropy(np.ones((2, 2, 3)), np.ones((3, 4)), np.ones(4), np.full((2, 2), 4))


# --- the composed model losses -----------------------------------------------------------------------

@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("task", ["adding", "copy"])
def test_model_loss_and_grads_match_finite_differences(model, task):
    rng = np.random.default_rng(5)
    D, K = (2, 1) if task == "adding" else (10, 10)
    params = init_model(model, D, 4, K, rng)
    params = {k: v + 0.2 * rng.standard_normal(v.shape) for k, v in params.items()}  # leave the init
    batch = adding_problem(3, 6, rng) if task == "adding" else copy_task(2, 2, rng, length=2)
    loss, grads = model_loss_and_grads(params, batch, model=model, task=task)
    for key in params:
        def f(v, key=key):
            return model_loss_and_grads({**params, key: v}, batch, model=model, task=task)[0]

        # eps = 1e-5: some gradients here are ~1e-3 against a loss ~2, where eps = 1e-6 leaves
        # rounding noise of u·L/(eps·‖g‖) ≈ 1e-7 in the difference quotient.
        res = check_gradient(f, params[key], grads[key], name=f"{model}/{task}/{key}", eps=1e-5)
        assert res.ok, res


def test_truncated_loss_differs_from_full_and_matches_full_when_wide():
    rng = np.random.default_rng(6)
    params = init_model("tanh", 2, 5, 1, rng)
    batch = adding_problem(4, 12, rng)
    _, full = model_loss_and_grads(params, batch, model="tanh", task="adding")
    _, one = model_loss_and_grads(params, batch, model="tanh", task="adding", truncate=1)
    _, wide = model_loss_and_grads(params, batch, model="tanh", task="adding", truncate=12)
    np.testing.assert_allclose(wide["W_hh"], full["W_hh"], rtol=1e-12)
    assert np.linalg.norm(one["W_xh"] - full["W_xh"]) > 1e-3 * np.linalg.norm(full["W_xh"])


def test_init_model_properties():
    rng = np.random.default_rng(7)
    orth = init_model("orthogonal", 2, 6, 1, rng)
    np.testing.assert_allclose(orth["W_hh"] @ orth["W_hh"].T, np.eye(6), atol=1e-12)
    irnn = init_model("irnn", 2, 6, 1, rng)
    np.testing.assert_array_equal(irnn["W_hh"], np.eye(6))
    assert np.abs(irnn["W_xh"]).max() < 0.01
    scaled = init_model("orthogonal", 2, 6, 1, np.random.default_rng(8), recurrent_scale=2.0)
    np.testing.assert_allclose(np.linalg.svd(scaled["W_hh"], compute_uv=False), 2.0)
    gru = init_model("gru", 2, 6, 1, rng)
    assert gru["W_hy"].shape == (6, 1) and gru["b_z"].shape == (6,)


@pytest.mark.parametrize("call, match", [
    (lambda: init_model("transformer", 2, 4, 1, np.random.default_rng(0)), "unknown model"),
    (lambda: init_model("tanh", 2, 4, 1, np.random.default_rng(0), recurrent_scale=0.0), "recurrent_scale"),
    (lambda: run_task("tanh", "adding", 0, progress=False), "lag"),
    (lambda: run_task("tanh", "adding", 10, lr=-0.1, progress=False), "learning rate"),
    (lambda: run_task("tanh", "adding", 10, clip_norm=0.0, progress=False), "clip threshold"),
    (lambda: run_task("tanh", "adding", 10, clip_norm=None, clip_value=-1.0, progress=False), "clip threshold"),
    (lambda: run_task("tanh", "sorting", 10, progress=False), "unknown task"),
    (lambda: run_task("tanh", "adding", 10, optimizer="rmsprop", progress=False), "unknown optimizer"),
    (lambda: run_task("gru", "adding", 10, truncate=3, n_steps=1, progress=False), "truncate"),
])
def test_runner_bad_hyperparameters_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_run_task_gru_learns_adding_problem_quickly():
    run = run_task("gru", "adding", 10, hidden=8, n_steps=150, lr=2e-2, progress=False)
    assert run.baseline == pytest.approx(1 / 6)
    assert run.test_loss < 0.5 * run.baseline
    assert run.success == pytest.approx(1 - run.test_loss / run.baseline)
    assert len(run.history.losses) == 150 and "gru" in repr(run)


def test_run_task_is_deterministic():
    a = run_task("tanh", "copy", 3, hidden=6, n_steps=5, progress=False, seed=3)
    b = run_task("tanh", "copy", 3, hidden=6, n_steps=5, progress=False, seed=3)
    assert a.history.losses == b.history.losses and a.test_loss == b.test_loss
    assert a.baseline == pytest.approx(copy_baseline(3))


# --- plots ------------------------------------------------------------------------------------------

def test_training_plots_return_their_artists():
    from rnnedu.plotting.training import plot_decay_profiles, plot_grad_norms, plot_loss_curve, plot_success_vs_lag

    runs = [run_task(m, "adding", lag, hidden=4, n_steps=3, progress=False) for m in ("tanh", "gru") for lag in (4, 6)]
    fig, axes = plt.subplots(1, 4)
    arts = plot_loss_curve(axes[0], runs[0].history, baseline=1 / 6, label="tanh")
    assert len(arts) == 2 and arts[1].get_ydata()[0] == pytest.approx(1 / 6)
    np.testing.assert_allclose(arts[0].get_ydata(), runs[0].history.smoothed(20))
    assert len(plot_grad_norms(axes[1], runs[0].history, clip=1.0)) == 2
    lines = plot_success_vs_lag(axes[2], runs)
    np.testing.assert_allclose(lines[0].get_xdata(), [4, 6])
    np.testing.assert_allclose(lines[1].get_ydata(), [runs[2].success, runs[3].success])
    line, bound = plot_decay_profiles(axes[3], {"a": np.array([0.0, 0.01, 1.0])}, bounds={"b": np.array([1.0, 0.5, 0.0])})
    np.testing.assert_allclose(line.get_xdata(), [2, 1, 0])
    np.testing.assert_allclose(line.get_ydata(), [np.nan, -2.0, 0.0])  # log10; a zero norm is left out
    np.testing.assert_allclose(bound.get_ydata(), [1.0, 0.5, 0.0])
    plt.close(fig)


# --- exercise checkers --------------------------------------------------------------------------------

def test_lesson07_clip_checker_hints():
    from rnnedu.exercises.lesson07 import check_clip_by_global_norm
    from rnnedu.train import clip_grad_norm

    assert check_clip_by_global_norm(lambda g, c: clip_grad_norm(g, c)[0]).passed
    per_array = check_clip_by_global_norm(
        lambda g, c: {k: v * min(1.0, c / np.linalg.norm(v)) for k, v in g.items()})
    assert not per_array.passed and "its own norm" in per_array.message
    element = check_clip_by_global_norm(lambda g, c: {k: np.clip(v, -c, c) for k, v in g.items()})
    assert not element.passed and "element-wise" in element.message

    def in_place(g, c):
        n = np.sqrt(sum((v ** 2).sum() for v in g.values()))
        for v in g.values():
            v *= c / n
        return g

    assert "in place" in check_clip_by_global_norm(in_place).message
    always = check_clip_by_global_norm(lambda g, c: {k: v * c / np.sqrt(sum((w ** 2).sum() for w in g.values()))
                                                     for k, v in g.items()})
    assert not always.passed and "never more than 1" in always.message


def test_lesson07_gate_checker_hints():
    from rnnedu.exercises.lesson07 import check_update_gate_grad

    assert check_update_gate_grad(lambda dh, z, hp, c: dh * (hp - c) * z * (1 - z)).passed
    assert "σ'(a_z)" in check_update_gate_grad(lambda dh, z, hp, c: dh * (hp - c)).message
    assert "sign" in check_update_gate_grad(lambda dh, z, hp, c: dh * (c - hp) * z * (1 - z)).message
    assert "tanh" in check_update_gate_grad(lambda dh, z, hp, c: dh * (hp - c) * (1 - z * z)).message


def test_lesson07_copy_checker_hints():
    from rnnedu.exercises.lesson07 import check_copy_baseline

    assert check_copy_baseline(lambda lag, k, n: n * np.log(k) / (lag + 2 * n)).passed
    assert "ONE recall step" in check_copy_baseline(lambda lag, k, n: np.log(k)).message
    assert "wrong length" in check_copy_baseline(lambda lag, k, n: n * np.log(k) / lag).message
    assert "mean per step" in check_copy_baseline(lambda lag, k, n: n * np.log(k)).message
    assert "WHEN" in check_copy_baseline(lambda lag, k, n: np.log(k + 2)).message


def test_a_diverged_run_is_drawn_as_overflow_not_as_a_warning_or_silent_gap():
    import warnings

    from rnnedu.plotting.training import plot_grad_norms, plot_loss_curve
    from rnnedu.train import History

    h = History(steps=[1, 2, 3, 4], losses=[1.0, 5.0, 1e250, float("inf")], grad_norms=[1.0, 10.0, 1e200, float("inf")],
                clipped=[False] * 4, diverged=True)
    fig, (a1, a2) = plt.subplots(1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "overflow encountered in exp" would fail here
        loss_arts = plot_loss_curve(a1, h, window=1)
        a1.set_yscale("log")
        norm_arts = plot_grad_norms(a2, h)
        fig.canvas.draw()
    np.testing.assert_array_equal(np.isnan(loss_arts[0].get_ydata()), [False, False, True, True])
    np.testing.assert_array_equal(np.isnan(norm_arts[0].get_ydata()), [False, False, True, True])
    for arts in (loss_arts, norm_arts):
        labels = [a.get_text() for a in arts if hasattr(a, "get_text")]
        assert labels == ["diverged: above 1e+100\nfrom step 3"]
    h_inf = History(steps=[1, 2], losses=[1.0, float("inf")], grad_norms=[1.0, float("inf")], clipped=[False] * 2)
    arts = plot_grad_norms(a2, h_inf)
    assert [a.get_text() for a in arts if hasattr(a, "get_text")] == ["diverged: overflow (inf)\nfrom step 2"]
    plt.close(fig)
