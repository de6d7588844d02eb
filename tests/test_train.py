"""Tests for rnnedu.train: optimiser updates against hand-computed values, clipping properties,
fit's bookkeeping, checkpoints without pickle, and every bad hyperparameter."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rnnedu.train import (
    SGD,
    Adam,
    History,
    clip_grad_norm,
    clip_grad_value,
    fit,
    global_norm,
    load_checkpoint,
    save_checkpoint,
)

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
grad_dicts = st.fixed_dictionaries({
    "W": arrays(np.float64, (3, 2), elements=finite),
    "b": arrays(np.float64, (2,), elements=finite),
})


# --- optimisers --------------------------------------------------------------------------------

def test_sgd_step_is_theta_minus_lr_grad_in_place():
    w = np.array([1.0, -2.0, 0.5])
    params = {"w": w}
    SGD(0.1).step(params, {"w": np.array([1.0, 1.0, -4.0]), "h0": np.ones(7)})  # extra key ignored
    np.testing.assert_allclose(w, [0.9, -2.1, 0.9])
    assert params["w"] is w


def test_sgd_momentum_matches_two_hand_steps():
    params = {"w": np.array([0.0])}
    opt = SGD(0.5, momentum=0.9)
    opt.step(params, {"w": np.array([1.0])})   # v = -0.5, w = -0.5
    opt.step(params, {"w": np.array([1.0])})   # v = 0.9·(-0.5) - 0.5 = -0.95, w = -1.45
    np.testing.assert_allclose(params["w"], [-1.45])


def test_adam_first_step_moves_each_entry_by_lr_times_sign():
    # Bias correction makes m̂ = g and ŝ = g², so the first step is -lr·g/(|g| + eps).
    g = np.array([3.0, -0.02, 1e-3])
    params = {"w": np.zeros(3)}
    Adam(0.01, eps=1e-12).step(params, {"w": g})
    np.testing.assert_allclose(params["w"], -0.01 * np.sign(g), rtol=1e-8)


def test_adam_second_step_matches_formula():
    g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 4.0])
    params = {"w": np.zeros(2)}
    opt = Adam(0.1, beta1=0.8, beta2=0.9, eps=1e-8)
    opt.step(params, {"w": g1})
    opt.step(params, {"w": g2})
    m = 0.8 * 0.2 * g1 + 0.2 * g2
    s = 0.9 * 0.1 * g1 ** 2 + 0.1 * g2 ** 2
    step2 = 0.1 * (m / (1 - 0.8 ** 2)) / (np.sqrt(s / (1 - 0.9 ** 2)) + 1e-8)
    np.testing.assert_allclose(params["w"], -0.1 * np.sign(g1) - step2, rtol=1e-6)


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: SGD(0.05, momentum=0.5), lambda: Adam(0.05)])
def test_optimisers_minimise_a_quadratic(make):
    rng = np.random.default_rng(0)
    target = rng.normal(size=(4, 3))
    params = {"W": np.zeros((4, 3))}
    opt = make()
    for _ in range(800):
        opt.step(params, {"W": params["W"] - target})
    np.testing.assert_allclose(params["W"], target, atol=1e-3)


@pytest.mark.parametrize("bad, match", [
    (lambda: SGD(-0.1), "learning rate"),
    (lambda: SGD(0.0), "learning rate"),
    (lambda: SGD(float("nan")), "learning rate"),
    (lambda: SGD(0.1, momentum=1.0), "momentum"),
    (lambda: SGD(0.1, momentum=-0.1), "momentum"),
    (lambda: Adam(-1e-3), "learning rate"),
    (lambda: Adam(1e-3, beta1=1.0), "beta1"),
    (lambda: Adam(1e-3, beta2=-0.5), "beta2"),
    (lambda: Adam(1e-3, eps=0.0), "eps"),
    (lambda: SGD("0.1"), "learning rate"),
])
def test_bad_optimiser_hyperparameters_raise(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_step_with_missing_or_misshaped_grad_raises():
    params = {"W": np.zeros((2, 2)), "b": np.zeros(2)}
    with pytest.raises(ValueError, match="no entry for parameter"):
        SGD(0.1).step(params, {"W": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="has shape"):
        Adam().step(params, {"W": np.zeros((2, 3)), "b": np.zeros(2)})
    with pytest.raises(ValueError, match="NaN or infinity"):
        SGD(0.1).step(params, {"W": np.full((2, 2), np.inf), "b": np.zeros(2)})


# --- clipping ------------------------------------------------------------------------------------

def test_global_norm_is_norm_of_concatenation():
    g = {"a": np.array([[3.0, 0.0]]), "b": np.array([4.0])}
    assert global_norm(g) == pytest.approx(5.0)


def test_clip_grad_norm_exact_values():
    g = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    clipped, norm = clip_grad_norm(g, 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    np.testing.assert_allclose(clipped["b"], [[0.8]])
    np.testing.assert_array_equal(g["a"], [3.0, 0.0])  # input untouched
    same, _ = clip_grad_norm(g, 10.0)
    np.testing.assert_array_equal(same["b"], g["b"])


def test_clip_grad_value_exact_values_change_direction():
    g = {"a": np.array([10.0, 0.5, -7.0])}
    np.testing.assert_array_equal(clip_grad_value(g, 1.0)["a"], [1.0, 0.5, -1.0])


@settings(max_examples=60, deadline=None)
@given(grad_dicts, st.floats(1e-3, 1e3))
def test_norm_clipping_keeps_direction_and_bounds_norm(g, c):
    clipped, norm = clip_grad_norm(g, c)
    assert norm == pytest.approx(math.sqrt(sum(float((v ** 2).sum()) for v in g.values())))
    assert global_norm(clipped) <= min(norm, c) * (1 + 1e-9) + 1e-300
    if norm > 0:
        scale = global_norm(clipped) / norm
        for k in g:
            np.testing.assert_allclose(clipped[k], scale * g[k], rtol=1e-9, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(grad_dicts, st.floats(1e-3, 1e3))
def test_value_clipping_bounds_every_entry_and_keeps_small_ones(g, c):
    clipped = clip_grad_value(g, c)
    for k in g:
        assert np.all(np.abs(clipped[k]) <= c)
        small = np.abs(g[k]) <= c
        np.testing.assert_array_equal(clipped[k][small], g[k][small])
        assert np.all(np.sign(clipped[k]) == np.sign(g[k]))


@pytest.mark.parametrize("c", [0.0, -1.0, float("inf"), None])
def test_bad_clip_thresholds_raise(c):
    g = {"a": np.ones(2)}
    with pytest.raises(ValueError, match="clip threshold"):
        clip_grad_norm(g, c)
    with pytest.raises(ValueError, match="clip threshold"):
        clip_grad_value(g, c)


# --- fit --------------------------------------------------------------------------------------------

def _quadratic(target):
    def loss_and_grads(params, batch):
        r = params["w"] - target * batch
        return 0.5 * float(r @ r), {"w": r, "h0": np.full(5, 100.0)}
    return loss_and_grads


def test_fit_records_every_step_and_converges():
    target = np.array([1.0, -2.0, 3.0])
    params = {"w": np.zeros(3)}
    h = fit(params, _quadratic(target), [1.0], optimizer=SGD(0.5), n_steps=40, progress=False)
    assert h.steps == list(range(1, 41))
    assert len(h.losses) == len(h.grad_norms) == len(h.clipped) == 40
    assert h.losses[0] == pytest.approx(7.0)                 # 0.5·(1 + 4 + 9)
    assert h.grad_norms[0] == pytest.approx(math.sqrt(14.0))  # "h0" is not a parameter: not counted
    np.testing.assert_allclose(params["w"], target, atol=1e-9)
    assert not h.diverged and h.seconds >= 0


def test_fit_norm_clipping_caps_each_update():
    params = {"w": np.zeros(2)}
    target = np.array([30.0, 40.0])
    h = fit(params, _quadratic(target), [1.0], optimizer=SGD(1.0), n_steps=1, clip_norm=5.0, progress=False)
    np.testing.assert_allclose(params["w"], [3.0, 4.0])       # moved by exactly 5 along the gradient
    assert h.grad_norms == [pytest.approx(50.0)] and h.clipped == [True]


def test_fit_value_clipping_changes_direction():
    params = {"w": np.zeros(2)}
    fit(params, _quadratic(np.array([30.0, 0.5])), [1.0], optimizer=SGD(1.0), n_steps=1, clip_value=1.0,
        progress=False)
    np.testing.assert_allclose(params["w"], [1.0, 0.5])


def test_fit_restarts_iterable_and_accepts_factory():
    seen = []

    def lg(params, batch):
        seen.append(batch)
        return 0.0, {"w": np.zeros(1)}

    fit({"w": np.zeros(1)}, lg, [1, 2, 3], optimizer=SGD(0.1), n_steps=7, progress=False)
    assert seen == [1, 2, 3, 1, 2, 3, 1]
    counter = iter(range(100))
    seen.clear()
    fit({"w": np.zeros(1)}, lg, lambda: next(counter), optimizer=SGD(0.1), n_steps=4, progress=False)
    assert seen == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="ran out"):
        fit({"w": np.zeros(1)}, lg, iter([1, 2]), optimizer=SGD(0.1), n_steps=3, progress=False)


def test_fit_stops_on_divergence_and_on_callback():
    def blow_up(params, batch):
        return float("inf"), {"w": np.ones(1)}

    h = fit({"w": np.zeros(1)}, blow_up, [0], optimizer=SGD(0.1), n_steps=10, progress=False)
    assert h.diverged and len(h.losses) == 1
    h = fit({"w": np.zeros(1)}, _quadratic(np.ones(1)), [1.0], optimizer=SGD(0.1), n_steps=10,
            callback=lambda step, p, loss, hist: step == 3, progress=False)
    assert h.steps == [1, 2, 3]


def test_fit_progress_bar_runs():
    h = fit({"w": np.zeros(1)}, _quadratic(np.ones(1)), [1.0], optimizer=SGD(0.1), n_steps=12,
            progress=True, desc="test")
    assert len(h.losses) == 12


@pytest.mark.parametrize("kw, match", [
    ({"n_steps": 0}, "n_steps"),
    ({"n_steps": 2.5}, "n_steps"),
    ({"n_steps": 5, "clip_norm": 0.0}, "clip threshold"),
    ({"n_steps": 5, "clip_value": -1.0}, "clip threshold"),
    ({"n_steps": 5, "optimizer": "adam"}, "optimizer"),
])
def test_fit_bad_arguments_raise(kw, match):
    kw = {"optimizer": SGD(0.1), **kw}
    with pytest.raises(ValueError, match=match):
        fit({"w": np.zeros(1)}, _quadratic(np.ones(1)), [1.0], progress=False, **kw)


def test_history_smoothed_and_final_loss():
    h = History(steps=[1, 2, 3, 4], losses=[4.0, 2.0, 0.0, 2.0])
    np.testing.assert_allclose(h.smoothed(2), [4.0, 3.0, 1.0, 1.0])
    assert h.final_loss(2) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="window"):
        h.smoothed(0)
    with pytest.raises(ValueError, match="empty"):
        History().final_loss()


# --- checkpoints ------------------------------------------------------------------------------------

def test_checkpoint_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    params = {"W_xh": rng.normal(size=(3, 4)), "b_h": rng.normal(size=4).astype(np.float32)}
    path = save_checkpoint(tmp_path / "ckpt", params, step=np.int64(12), lr=1e-3, model="gru",
                           losses=np.array([0.5, 0.25]))
    assert path.endswith(".npz")
    loaded, meta = load_checkpoint(path)
    assert set(loaded) == set(params)
    for k in params:
        np.testing.assert_array_equal(loaded[k], params[k])
        assert loaded[k].dtype == params[k].dtype
    assert meta == {"step": 12, "lr": 1e-3, "model": "gru", "losses": [0.5, 0.25]}


def test_load_checkpoint_rejects_bad_files(tmp_path):
    with pytest.raises(ValueError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "missing.npz")
    (tmp_path / "text.npz").write_text("not a zip file")
    with pytest.raises(ValueError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "text.npz")
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(ValueError, match="single array"):
        load_checkpoint(tmp_path / "single.npy")
    np.savez(tmp_path / "other.npz", a=np.ones(2))
    with pytest.raises(ValueError, match="not an rnnedu checkpoint"):
        load_checkpoint(tmp_path / "other.npz")
    np.savez(tmp_path / "pickled.npz", __meta__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "pickled.npz")


def test_save_checkpoint_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        save_checkpoint(tmp_path / "a", {})
    with pytest.raises(ValueError, match="JSON"):
        save_checkpoint(tmp_path / "a", {"w": np.ones(1)}, bad=object())


# --- lesson 7's clipping widget (driven without a browser) -------------------------------------------

def test_gradient_cosine_values_and_errors():
    from rnnedu.train import gradient_cosine

    a = {"x": np.array([1.0, 0.0]), "y": np.array([0.0])}
    b = {"x": np.array([1.0, 1.0]), "y": np.array([0.0])}
    assert gradient_cosine(a, b) == pytest.approx(1 / np.sqrt(2))
    assert gradient_cosine(a, {k: -3 * v for k, v in a.items()}) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="different keys"):
        gradient_cosine(a, {"x": np.ones(2)})
    with pytest.raises(ValueError, match="zero gradient"):
        gradient_cosine(a, {"x": np.zeros(2), "y": np.zeros(1)})


def test_clipping_explorer_update():
    from rnnedu.widgets.training import ClippingExplorer

    g = {"W": np.array([[10.0, 0.5], [-0.2, 0.0]]), "b": np.array([3.0])}
    ex = ClippingExplorer(g, c=1.0)
    out = ex.update(1.0)
    assert out["cos_norm"] == pytest.approx(1.0)
    clipped = np.array([1.0, 0.5, -0.2, 0.0, 1.0])
    raw = np.array([10.0, 0.5, -0.2, 0.0, 3.0])
    assert out["cos_value"] == pytest.approx(clipped @ raw / (np.linalg.norm(clipped) * np.linalg.norm(raw)))
    assert out["norm_after_norm_clip"] == pytest.approx(1.0)
    assert out["fraction_cut"] == pytest.approx(2 / 5)
    np.testing.assert_allclose(ex.pts_value.get_ydata(), clipped)
    np.testing.assert_allclose(ex.pts_norm.get_ydata(), raw / np.linalg.norm(raw))
    np.testing.assert_allclose(ex.pts_norm.get_xdata(), raw)
    big = ex.update(100.0)  # above ‖g‖: nothing changes either way
    assert big["cos_value"] == pytest.approx(1.0) and big["fraction_cut"] == 0.0
    ex.slider.value = 10 ** ex.slider.max  # the slider drives update (a log slider: max is an exponent)
    assert "cos element-wise = 1.000" in ex.readout.value
    assert list(ex.marker.get_xdata()) == [pytest.approx(ex.slider.value)] * 2
    with pytest.raises(ValueError, match="zero"):
        ClippingExplorer({"W": np.zeros(3)})
