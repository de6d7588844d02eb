"""The German note 000's readings and boxes (lesson 8), each against the model or finite differences."""

import numpy as np
import pytest

import rnnedu as rn
from rnnedu import note000


@pytest.fixture
def head():
    rng = np.random.default_rng(3)
    V, K = 6, 4
    return 0.7 * rng.standard_normal((V, K)), 0.3 * rng.standard_normal(K), rng.standard_normal(V)


def test_fixed_point_solves_the_literal_equation_and_forgets_the_past():
    rng = np.random.default_rng(1)
    V = 5
    W2, b2 = 0.3 * rng.standard_normal((V, V)), rng.standard_normal(V)
    h = note000.fixed_point_state(W2, b2, 2)
    x = np.eye(V)[2]
    assert np.allclose(h, (x + h) @ W2 + b2, rtol=0, atol=1e-12)
    # the recurrence remembers: two different prefixes before the same letter give different states
    hs = rn.rnn_forward(np.array([[0, 1], [2, 2]]), None, W2, W2, b2, "identity")
    assert not np.allclose(hs[1, 0], hs[1, 1])


def test_fixed_point_bad_input():
    with pytest.raises(ValueError, match="singular"):
        note000.fixed_point_state(np.eye(3), np.zeros(3), 0)
    with pytest.raises(ValueError, match="square"):
        note000.fixed_point_state(np.zeros((3, 2)), np.zeros(3), 0)
    with pytest.raises(ValueError, match="char_id"):
        note000.fixed_point_state(np.zeros((3, 3)), np.zeros(3), 3)


def test_boxes_against_finite_differences(head):
    W1, b1, z = head
    d_b, d_w = note000.numerical_own_class_derivatives(W1, b1, z)
    s = rn.softmax(z @ W1 + b1)
    # the correct diagonal σ − σ² matches; the boxed σ alone does not
    assert rn.relative_error(s - s**2, d_b) < 1e-8
    assert rn.relative_error(note000.box_dY_dB(W1, b1, z), d_b) > 0.1
    # the first ∂Y/∂w box is right, the second (extra factor w_i) is not
    assert rn.relative_error(note000.box_dY_dw_first(W1, b1, z), d_w) < 1e-8
    assert rn.relative_error(note000.box_dY_dw_second(W1, b1, z), d_w) > 0.1


def test_second_box_agrees_only_when_weights_are_one(head):
    _, b1, z = head
    W1 = np.ones((z.size, b1.size))
    assert np.allclose(note000.box_dY_dw_second(W1, b1, z), note000.box_dY_dw_first(W1, b1, z))


def test_head_shapes_are_checked(head):
    W1, b1, z = head
    with pytest.raises(ValueError):
        note000.box_dY_dB(W1, b1, z[:-1])
    with pytest.raises(ValueError):
        note000.box_dY_dw_first(W1, b1[:-1], z)
