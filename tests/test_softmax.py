"""Lesson 1: softmax, log-softmax, the Jacobian, cross-entropy and its delta.

References come from HIPS autograd applied to a separate, naive implementation, so the analytic
formulas are checked against an independent automatic differentiation, not against themselves.
"""

from decimal import Decimal, getcontext

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, jacobian
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import rnnedu as rn


def naive_softmax(z):
    e = anp.exp(z)
    return e / anp.sum(e, axis=-1, keepdims=True)


def naive_cross_entropy(z, onehot):
    return -anp.sum(onehot * anp.log(naive_softmax(z))) / (z.size // z.shape[-1])


typical = st.floats(-5, 5, allow_nan=False)  # logit gaps up to 10: where naive formulas are still exact to 1e-12
moderate = st.floats(-30, 30, allow_nan=False)


def exact_softmax(z):
    """Softmax and its Jacobian in 40-digit decimal arithmetic: a reference with no rounding to speak of."""
    getcontext().prec = 40
    e = [Decimal(float(v)).exp() for v in z]
    s = sum(e)
    a = [v / s for v in e]
    jac = [[(ai * ((1 if i == j else 0) - aj)) for j, aj in enumerate(a)] for i, ai in enumerate(a)]
    return np.array([float(v) for v in a]), np.array([[float(v) for v in row] for row in jac])
shapes = st.tuples(st.integers(1, 4), st.integers(2, 6))


def logits(shape_strategy=shapes):
    return shape_strategy.flatmap(lambda s: arrays(np.float64, s, elements=moderate))


# --- agreement with an independent autodiff, to 1e-12 relative -------------------------------

@settings(max_examples=40, deadline=None)
@given(z=arrays(np.float64, st.integers(2, 7), elements=typical))
def test_jacobian_matches_autograd(z):
    ref = jacobian(naive_softmax)(z)
    assert rn.relative_error(rn.softmax_jacobian(z), ref) < 1e-12


@settings(max_examples=40, deadline=None)
@given(z=arrays(np.float64, st.integers(2, 7), elements=moderate))
def test_jacobian_and_delta_exact_even_for_confident_logits(z):
    # With logit gaps up to 60, 1 − a_max has up to 26 leading zeros: computed naively it would lose
    # them all. The package takes it from the other terms, so it matches 40-digit arithmetic.
    a_ref, jac_ref = exact_softmax(z)
    assert rn.relative_error(rn.softmax(z), a_ref) < 1e-14
    assert rn.relative_error(rn.softmax_jacobian(z), jac_ref) < 1e-13
    y = int(np.argmax(z))  # the confident, correct case
    e = [Decimal(float(v)).exp() for v in z]
    delta_ref = a_ref.copy()
    delta_ref[y] = -float(sum(v for i, v in enumerate(e) if i != y) / sum(e))
    assert rn.relative_error(rn.cross_entropy_delta(z[None], [y])[0], delta_ref) < 1e-13


@settings(max_examples=40, deadline=None)
@given(z=shapes.flatmap(lambda s: arrays(np.float64, s, elements=typical)), data=st.data())
def test_cross_entropy_delta_matches_autograd(z, data):
    labels = np.array(data.draw(st.lists(st.integers(0, z.shape[1] - 1), min_size=z.shape[0], max_size=z.shape[0])))
    onehot = np.eye(z.shape[1])[labels]
    ref = grad(naive_cross_entropy)(z, onehot)
    assert rn.relative_error(rn.cross_entropy_delta(z, labels), ref) < 1e-12
    assert abs(rn.cross_entropy(z, labels) - naive_cross_entropy(z, onehot)) <= 1e-12 * max(1.0, abs(rn.cross_entropy(z, labels)))


@settings(max_examples=40, deadline=None)
@given(z=logits())
def test_softmax_and_log_softmax_match_naive(z):
    assert rn.relative_error(rn.softmax(z), naive_softmax(z)) < 1e-14
    assert rn.relative_error(rn.log_softmax(z), np.log(naive_softmax(z))) < 1e-12


# --- properties --------------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(z=logits(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(2, 5))))
def test_jacobian_rows_sum_to_zero_and_symmetric(z):
    jac = rn.softmax_jacobian(z)
    assert jac.shape == z.shape + (z.shape[-1],)
    np.testing.assert_allclose(jac.sum(axis=-1), 0.0, atol=1e-15)
    np.testing.assert_allclose(jac, np.swapaxes(jac, -1, -2), atol=0)


@settings(max_examples=50, deadline=None)
@given(z=logits(), c=st.floats(-1e3, 1e3))
def test_softmax_shift_invariant(z, c):
    np.testing.assert_allclose(rn.softmax(z + c), rn.softmax(z), rtol=1e-9, atol=1e-15)


@settings(max_examples=50, deadline=None)
@given(z=logits(), data=st.data())
def test_delta_rows_sum_to_zero(z, data):
    labels = np.array(data.draw(st.lists(st.integers(0, z.shape[1] - 1), min_size=z.shape[0], max_size=z.shape[0])))
    np.testing.assert_allclose(rn.cross_entropy_delta(z, labels).sum(axis=-1), 0.0, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(z=logits(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(2, 5))), data=st.data())
def test_delta_matches_finite_differences(z, data):
    y = data.draw(arrays(np.int64, z.shape[:-1], elements=st.integers(0, z.shape[-1] - 1)))
    res = rn.check_gradient(lambda zz: rn.cross_entropy(zz, y), z, rn.cross_entropy_delta(z, y))
    assert res.ok, res


def test_jacobian_matches_finite_differences():
    z = np.array([0.3, -1.2, 2.0, 0.7])
    num = np.stack([rn.numerical_gradient(lambda zz, i=i: rn.softmax(zz)[i], z) for i in range(4)])
    assert rn.relative_error(rn.softmax_jacobian(z), num) < 1e-9


# --- values ------------------------------------------------------------------------------------

def test_extreme_logits_are_finite_and_exact():
    z = np.array([1e4, -1e4, 0.0])
    np.testing.assert_array_equal(rn.softmax(z), [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(rn.log_softmax(z), [0.0, -2e4, -1e4])
    assert rn.cross_entropy(z, 1) == pytest.approx(2e4)
    assert np.all(np.isfinite(rn.softmax_jacobian(z)))
    np.testing.assert_array_equal(rn.cross_entropy_delta(z[None], [1]), [[1.0, -1.0, 0.0]])


def test_uniform_logits_give_log_k():
    for k in (2, 5, 28):
        assert rn.cross_entropy(np.zeros((3, k)), [0, 1, 1]) == pytest.approx(np.log(k), rel=1e-15)


def test_one_hot_and_probability_targets():
    z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    y = np.array([0, 2])
    onehot = np.eye(3)[y]
    assert rn.cross_entropy(z, onehot) == pytest.approx(rn.cross_entropy(z, y), rel=1e-15)
    np.testing.assert_allclose(rn.cross_entropy_delta(z, onehot), rn.cross_entropy_delta(z, y), rtol=0, atol=1e-17)
    soft = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    expected = -(soft * np.log(naive_softmax(z))).sum() / 2
    assert rn.cross_entropy(z, soft) == pytest.approx(expected, rel=1e-14)


def test_sequence_shapes_mean_over_all_positions():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 3, 7))  # (T, B, K)
    y = rng.integers(0, 7, size=(5, 3))
    per_position = -np.take_along_axis(rn.log_softmax(z), y[..., None], axis=-1)[..., 0]
    assert rn.cross_entropy(z, y) == pytest.approx(per_position.mean(), rel=1e-14)
    assert rn.cross_entropy_delta(z, y).shape == (5, 3, 7)


def test_float32_stays_float32():
    z = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    assert rn.softmax(z).dtype == np.float32
    assert rn.cross_entropy_delta(z, [1]).dtype == np.float32


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "z, y, match",
    [
        (np.zeros((2, 3)), np.array([0, 3]), r"must lie in \[0, 3\).*0 to 3"),
        (np.zeros((2, 3)), np.array([-1, 0]), r"must lie in \[0, 3\)"),
        (np.zeros((2, 3)), np.array([0, 1, 2]), r"labels y has shape \(3,\), expected \(2,\)"),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), r"integer class labels"),
        (np.array([[0.0, np.nan, 1.0]]), np.array([0]), r"contains NaN"),
        (np.array([[0.0, np.inf, 1.0]]), np.array([0]), r"contains infinity"),
        (np.zeros((0, 3)), np.zeros(0, dtype=int), r"is empty"),
        (np.zeros((2, 3)), np.array([[0.5, 0.6, 0.0], [1.0, 0.0, 0.0]]), r"sum to 1"),
        (np.zeros((1, 3)), np.array([[1.5, -0.5, 0.0]]), r"negative"),
    ],
)
def test_bad_input_raises_clear_value_error(z, y, match):
    with pytest.raises(ValueError, match=match):
        rn.cross_entropy(z, y)
    with pytest.raises(ValueError, match=match):
        rn.cross_entropy_delta(z, y)


@pytest.mark.parametrize("fn", [rn.softmax, rn.log_softmax, rn.softmax_jacobian])
@pytest.mark.parametrize("z, match", [([], "empty"), ([1.0, np.nan], "NaN"), ([np.inf, 0.0], "infinity"),
                                      (3.0, "at least 1 dimension"), (["a", "b"], "numeric")])
def test_softmax_family_rejects_bad_logits(fn, z, match):
    with pytest.raises(ValueError, match=match):
        fn(z)
