"""Tests for rnnedu.longrange: Bengio et al.'s latch (robust storage ⇒ vanishing gradient), Pascanu et
al.'s cliff (exact gradients against finite differences; a wall where the gradient is huge), and the
adding-problem gradient taken apart by lag (against BPTT and finite differences)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnedu.gradcheck import check_gradient, relative_error
from rnnedu.longrange import bit_latch, cliff_edge, gradient_anatomy, pascanu_cliff, track_gradient_anatomy
from rnnedu.rnn import rnn_forward
from rnnedu.tasks import adding_problem, init_model, last_step_mse, model_loss_and_grads


def test_latch_robust_storage_comes_with_a_vanishing_gradient():
    results = [bit_latch(w, T=60, noise=0.2, n=500, rng=np.random.default_rng(1)) for w in (0.5, 1.0, 2.0, 3.0)]
    weak, unit, strong, stronger = results
    assert strong.retained > 0.99 and stronger.retained > 0.99
    assert strong.log10_gradient < -20 and stronger.log10_gradient < strong.log10_gradient
    assert abs(weak.retained - 0.5) < 0.1 and abs(unit.retained - 0.5) < 0.1
    assert unit.log10_gradient > strong.log10_gradient


def test_latch_without_noise_has_the_exact_gradient():
    r = bit_latch(0.5, T=10, noise=0.0, n=3)
    h, expected = 1.0, 0.0
    for _ in range(10):
        h = np.tanh(0.5 * h)
        expected += np.log10(0.5 * (1 - h * h))
    assert r.log10_gradient == pytest.approx(expected, rel=1e-12) and r.retained == 1.0


@pytest.mark.parametrize("w, b", [(4.7, -2.9), (1.3, 0.2), (-2.0, 1.0)])
def test_cliff_gradients_match_finite_differences(w, b):
    _, gw, gb = pascanu_cliff(w, b, T=20)
    r = check_gradient(lambda v: float(pascanu_cliff(v[0], v[1], T=20)[0]), np.array([w, b]),
                       np.array([float(gw), float(gb)]), tol=1e-7)
    assert r.ok, r


def test_cliff_has_a_wall_with_a_huge_gradient():
    wall = cliff_edge(5.0, -2.7, -2.5)
    L_left, _, g_left = pascanu_cliff(5.0, wall - 1e-3)
    L_right, _, g_right = pascanu_cliff(5.0, wall + 1e-3)
    assert L_left > 10 * L_right                                  # a jump across the wall
    _, _, g_at = pascanu_cliff(5.0, wall - 1e-6)
    assert abs(g_at) > 1e3 * abs(g_right)
    with pytest.raises(ValueError, match="different sides"):
        cliff_edge(5.0, -3.2, -3.1)


def _tanh_problem(seed=0, T=12, B=4, H=5):
    rng = np.random.default_rng(seed)
    params = init_model("tanh", 2, H, 1, rng)
    params = {k: v + 0.2 * rng.standard_normal(v.shape) for k, v in params.items()}
    return params, adding_problem(B, T, rng)


def test_anatomy_sums_to_the_bptt_gradient():
    params, batch = _tanh_problem()
    a = gradient_anatomy(params, batch)
    _, grads = model_loss_and_grads(params, batch, model="tanh", task="adding")
    assert relative_error(a.dW_hh, grads["W_hh"]) < 1e-12
    assert a.contributions.shape == (12, 5, 5) and 0 <= a.long_share <= 1


def test_anatomy_delta_is_the_gradient_at_each_state():
    params, batch = _tanh_problem(seed=1, T=8, B=1)
    xs, y = batch
    a = gradient_anatomy(params, batch)
    hs = rnn_forward(xs, np.zeros((1, 5)), params["W_xh"], params["W_hh"], params["b_h"], "tanh")
    for k in (2, 5, 8):                                           # ‖∂L/∂h_k‖ by finite differences

        def loss_from(h, k=k):
            rest = rnn_forward(xs[k:], h.reshape(1, 5), params["W_xh"], params["W_hh"], params["b_h"], "tanh") \
                if k < 8 else h.reshape(1, 1, 5)
            return last_step_mse(rest[-1], params["W_hy"], params["b_y"], y)[0]

        from rnnedu.gradcheck import numerical_gradient
        num = numerical_gradient(loss_from, hs[k - 1, 0])
        assert a.delta_norms[k] == pytest.approx(np.linalg.norm(num), rel=1e-6)
    first = int(np.argmax(xs[:, 0, 1] > 0))
    assert a.first_marker == pytest.approx(a.delta_norms[first + 1]) and a.output == pytest.approx(a.delta_norms[8])


def test_track_follows_run_task_data_and_refuses_bad_optimizer():
    from rnnedu.tasks import run_task

    params, history, trace = track_gradient_anatomy(8, hidden=4, n_steps=6, lr=1e-2, every=2)
    run = run_task("tanh", "adding", 8, hidden=4, n_steps=6, lr=1e-2, progress=False)
    assert history.losses == run.history.losses and trace.steps == [1, 2, 4, 6]
    assert all(0 <= s <= 1 for s in trace.long_share)
    with pytest.raises(ValueError, match="optimizer"):
        track_gradient_anatomy(8, optimizer="rmsprop")
