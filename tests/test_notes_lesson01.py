"""The notes' formulas as written: the right parts agree with the truth, the wrong parts do not."""

import numpy as np
import pytest

import rnnedu as rn
from rnnedu import notes

Z = np.array([0.5, -1.0, 2.0, 0.0])


def numerical_jacobian(z):
    return np.stack([rn.numerical_gradient(lambda v, i=i: rn.softmax(v)[i], z) for i in range(z.size)])


def test_lambda_gives_the_diagonal():
    np.testing.assert_allclose(np.exp(Z) * notes.note000_lambda(Z), np.diag(rn.softmax_jacobian(Z)), rtol=1e-12)


def test_diagonal_only_jacobian_is_wrong():
    assert rn.relative_error(notes.note000_jacobian_diagonal_only(Z), numerical_jacobian(Z)) > 0.3
    assert np.abs(notes.note000_jacobian_diagonal_only(Z).sum(axis=1)).max() > 0.1  # rows no longer sum to 0


def test_bias_derivative_with_product_is_wrong_and_plus_is_right():
    w, s, b = np.array([0.8, -0.5, 1.5]), 0.7, np.array([0.3, 1.2, -0.4])
    num = np.array([rn.numerical_gradient(lambda bb, i=i: rn.softmax(w * s + bb)[i], b)[i] for i in range(3)])
    assert rn.relative_error(notes.note000_bias_derivative_as_written(w, s, b), num) > 0.1
    np.testing.assert_allclose(np.exp(w * s + b) * notes.note000_lambda(w * s + b), num, rtol=1e-8)


def test_german_loss_has_the_wrong_sign_and_scale():
    z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    y = np.array([0, 2])
    assert notes.note000_loss(z, y, n=2) == pytest.approx(-rn.cross_entropy(z, y))
    # divided by n instead of N: duplicating the batch doubles the note's loss, not the mean
    zz, yy = np.vstack([z, z]), np.concatenate([y, y])
    assert notes.note000_loss(zz, yy, n=57) == pytest.approx(2 * notes.note000_loss(z, y, n=57))
    assert rn.cross_entropy(zz, yy) == pytest.approx(rn.cross_entropy(z, y))


def test_loss_without_log_does_not_give_a_minus_y():
    z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    y = np.array([0, 2])
    grad_note = rn.numerical_gradient(lambda v: notes.note003_loss_without_log(v, y), z)
    assert rn.relative_error(grad_note, rn.cross_entropy_delta(z, y)) > 0.5


def test_dropped_minus_is_wrong():
    a = rn.softmax(Z)
    assert rn.relative_error(notes.note003_softmax_diagonal_as_written(Z), a * (1 - a)) > 0.5
