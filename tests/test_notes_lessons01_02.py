"""The note formulas as written (rnnedu/notes.py) against finite differences: each must be wrong
exactly where the lesson says, and right where it says it is right."""

import numpy as np
import pytest

import rnnedu as rn
from rnnedu import notes

W = np.array([0.8, -0.5, 1.5])
B = np.array([0.3, 1.2, -0.4])
S = 0.7


def _diag_numerical(fn, v):
    """∂ fn(v)_i / ∂ v_i for every i, by central differences."""
    return np.array([rn.numerical_gradient(lambda u, i=i: fn(u)[i], v)[i] for i in range(v.size)])


def test_du_dx_as_written_is_the_weight_derivative():
    x, h = 0.4, 0.3
    as_written = notes.note000_du_dx_as_written(W, x, h, B)
    u = lambda ww, xx: np.exp(ww * (xx + h) + B)  # noqa: E731
    du_dw = _diag_numerical(lambda ww: u(ww, x), W)
    du_dx = rn.numerical_gradient(lambda xx: u(W, xx[0]).sum(), np.array([x]))  # Σ_i w_i e^{…}
    assert rn.relative_error(as_written, du_dw) < 1e-8
    assert not np.isclose(as_written.sum(), du_dx[0], rtol=1e-2)


def test_denominator_indexed_by_i_gives_one_over_K():
    for K in (2, 3, 7):
        r = np.random.default_rng(K)
        w, b = r.normal(size=K), r.normal(size=K)
        got = notes.note000_softmax_denominator_as_written(w, 1.3, b)
        assert np.allclose(got, 1.0 / K)
        assert rn.relative_error(got, rn.softmax(w * 1.3 + b)) > 0.05


def test_bias_box_drops_minus_sigma_squared():
    num = _diag_numerical(lambda bb: rn.softmax(W * S + bb), B)
    box = notes.note000_bias_derivative_box(W, S, B)
    a = rn.softmax(W * S + B)
    assert rn.relative_error(box - a**2, num) < 1e-8
    assert rn.relative_error(box, num) > 0.3


def test_weight_boxes_first_right_second_has_extra_w():
    first, second = notes.note000_weight_derivative_boxes(W, S, B)
    num = _diag_numerical(lambda ww: rn.softmax(ww * S + B), W)
    assert rn.relative_error(first, num) < 1e-8
    assert rn.relative_error(second, num) > 0.3
    assert np.allclose(second, first * W)
    f1, s1 = notes.note000_weight_derivative_boxes(np.ones(3), S, B)  # agree only at w_i = 1
    assert np.allclose(f1, s1)


def test_single_example_loss_as_written_is_probability_without_minus():
    z, c = np.array([0.2, 1.0, -0.4]), 0
    assert np.isclose(notes.note003_single_example_loss_as_written(z, c), rn.softmax(z)[c])
    g = rn.numerical_gradient(lambda v: notes.note003_single_example_loss_as_written(v, c), z)
    assert rn.softmax(z - 0.5 * g)[c] < rn.softmax(z)[c]  # descent lowers the true class


def test_delta_as_written_right_only_at_true_class():
    z = np.array([0.2, 1.0, -0.4, 0.5])
    for c in range(4):
        got = notes.note003_delta_as_written(z, c)
        true = rn.numerical_gradient(lambda v: rn.cross_entropy(v[None], np.array([c])), z)
        assert np.isclose(got[c], true[c])
        others = [i for i in range(4) if i != c]
        assert not np.allclose(got[others], true[others])


@pytest.mark.parametrize("call", [
    lambda: notes.note000_softmax_denominator_as_written([1.0, 2.0], 0.5, [1.0]),
    lambda: notes.note000_bias_derivative_box([1.0, 2.0], float("nan"), [0.0, 0.0]),
    lambda: notes.note003_delta_as_written([0.0, 1.0], 2),
    lambda: notes.note003_single_example_loss_as_written(np.zeros((2, 3)), 0),
])
def test_bad_input_is_refused(call):
    with pytest.raises(ValueError):
        call()
