"""Lessons 4–5's widgets, driven without a browser: controls call update, update moves the artists."""

import time

import numpy as np
import pytest

import rnnedu as rn
from rnnedu.widgets.bptt import bptt_stepper, contribution_explorer, forward_explorer


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(5)
    T, B, D, H, K = 6, 2, 3, 4, 3
    p = rn.init_rnn_params(D, H, K, rng, scale=0.8)
    X = rng.integers(0, D, (T, B))
    Y = rng.integers(0, K, (T, B))
    h0 = np.zeros((B, H))
    hs = rn.rnn_forward(X, h0, p["W_xh"], p["W_hh"], p["b_h"])
    _, dhs, _ = rn.cross_entropy_head(hs, p["W_hy"], p["b_y"], Y)
    return dhs, X, hs, h0, p["W_xh"], p["W_hh"]


def test_forward_explorer_update_matches_rnn_forward():
    ex = forward_explorer(T=12, D=3, H=4, seed=0)
    hs = ex.update(0.5, 2.0, "sigmoid")
    ref = rn.rnn_forward(ex.xs, ex.h0, 2.0 * ex.W_in, 0.5 * ex.Q, np.zeros(4), "sigmoid")[:, 0, :]
    np.testing.assert_allclose(hs, ref, rtol=1e-14)
    for line, unit in zip(ex.lines, ref.T):
        np.testing.assert_allclose(line.get_ydata(), unit)
    # W_hh = ρ Q has every singular value equal to ρ
    np.testing.assert_allclose(np.linalg.svd(0.5 * ex.Q, compute_uv=False), 0.5, rtol=1e-12)


def test_forward_explorer_controls_drive_update():
    ex = forward_explorer(T=12, D=3, H=4, seed=0)
    ex.activation.value = "identity"
    ex.rho.value = 1.5
    ex.scale.value = 0.0  # no input, zero start: the state stays exactly zero
    assert all(np.all(line.get_ydata() == 0) for line in ex.lines)
    ex.scale.value = 1.0
    ys = np.array([line.get_ydata() for line in ex.lines])
    assert np.abs(ys[:, -1]).max() > 10 * np.abs(ys[:, 0]).max()  # ρ > 1, linear: the state grows
    assert "‖h_T‖" in ex.readout.value


def test_bptt_stepper_walks_backward_and_accumulates(problem):
    dhs, X, hs, h0, W_xh, W_hh = problem
    st = bptt_stepper(dhs, X, hs, h0, W_xh, W_hh)
    full = rn.rnn_backward(dhs, X, hs, h0, W_xh, W_hh)
    T = dhs.shape[0]
    first = st.update(0)
    assert first["t"] == T
    assert st.delta_image.get_array().mask[:, : T - 1].all() and not st.delta_image.get_array().mask[:, T - 1].any()
    st.stepper.step = T - 1  # the slider drives update
    assert st.readout.value.startswith("<b>t = 1</b>")
    np.testing.assert_allclose(st.w_image.get_array(), full["W_hh"], rtol=1e-12)
    info = st.update(T - 1)
    assert info["rel_error"] < 1e-14 and first["rel_error"] > 1e-3
    np.testing.assert_allclose(st.delta_image.get_array(), st.trace.deltas[:, 0, :].T)
    # the recorded deltas are the recursion's: δ_T = ∂L/∂h_T ⊙ φ'(a_T)
    np.testing.assert_allclose(st.trace.deltas[-1], dhs[-1] * (1 - hs[-1] ** 2), rtol=1e-13)
    with pytest.raises(ValueError, match="example must lie"):
        bptt_stepper(dhs, X, hs, h0, W_xh, W_hh, example=5)


def test_contribution_explorer_truncation(problem):
    dhs, X, hs, h0, W_xh, W_hh = problem
    ex = contribution_explorer(dhs, X, hs, h0, W_xh, W_hh)
    T = dhs.shape[0]
    full = rn.rnn_backward(dhs, X, hs, h0, W_xh, W_hh)
    for tau in (1, 3):
        err = ex.update(tau, "W_xh")
        trunc = rn.rnn_backward(dhs, X, hs, h0, W_xh, W_hh, truncate=tau)
        assert err == pytest.approx(rn.relative_error(trunc["W_xh"], full["W_xh"]), rel=1e-9)
        shown = ex.image.get_array()
        assert int((~shown.mask).sum()) <= int(rn.truncation_mask(T, tau).sum())
        assert shown.mask[np.triu_indices(T, 1)].all()
        assert tuple(ex.marker.get_xdata()) == (tau,)
    assert ex.update(T, "W_hh") < 1e-13
    ex.tau.value = 2
    ex.param.value = "b_h"
    assert "τ = 2" in ex.readout.value and "db_h" in ex.readout.value
    with pytest.raises(ValueError, match="unknown parameter"):
        ex.update(2, "W_hy")


def test_contribution_update_is_fast(problem):
    ex = contribution_explorer(*problem)
    start = time.perf_counter()
    for tau in range(1, 7):
        ex.update(tau, "W_hh")
    per_update = (time.perf_counter() - start) / 6
    assert per_update < 0.05  # artist updates only (draw_idle defers the draw): a few ms
