import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import rnnedu as rn
from rnnedu.activations import DERIVATIVE_BOUND, derivative_from_output

# Keep ReLU's kink away from the sample points so central differences are valid there.
points = arrays(np.float64, st.integers(1, 8), elements=st.floats(-4, 4).filter(lambda v: abs(v) > 1e-3))


@pytest.mark.parametrize("name", rn.ACTIVATIONS)
@settings(max_examples=30, deadline=None)
@given(a=points)
def test_derivative_matches_finite_differences(name, a):
    num = rn.numerical_gradient(lambda v: float(rn.apply_activation(v, name).sum()), a)
    np.testing.assert_allclose(rn.activation_derivative(a, name), num, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(derivative_from_output(rn.apply_activation(a, name), name),
                               rn.activation_derivative(a, name), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", rn.ACTIVATIONS)
def test_derivative_bound_is_the_supremum(name):
    a = np.linspace(-10, 10, 20001)
    assert rn.activation_derivative(a, name).max() == pytest.approx(DERIVATIVE_BOUND[name], rel=1e-6)


def test_values_and_stability():
    a = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    np.testing.assert_allclose(rn.apply_activation(a, "sigmoid"), [0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1.0])
    np.testing.assert_array_equal(rn.apply_activation(a, "relu"), [0, 0, 0, 1, 1000])
    np.testing.assert_array_equal(rn.activation_derivative(a, "relu"), [0, 0, 0, 1, 1])
    assert rn.apply_activation(a.astype(np.float32), "sigmoid").dtype == np.float32


def test_unknown_activation():
    with pytest.raises(ValueError, match="unknown activation 'softplus'; choose one of tanh, sigmoid, relu, identity"):
        rn.apply_activation(np.zeros(2), "softplus")
