"""scalar_rnn_system(output_feedback=True): outputs that feed the next step make ordered and partial
derivatives of an output differ (lesson 3); without feedback they agree, measured both ways."""

import numpy as np

import rnnedu as rn

XS, YS = [0.5, -1.0, 0.8], [1.0, 0.0, 1.0]
WEIGHTS = {"u": 0.7, "w": 0.9, "v": -1.2, "h0": 0.0}


def test_without_feedback_output_total_equals_partial_measured():
    system = rn.scalar_rnn_system(XS, YS)
    values = system.evaluate(WEIGHTS)
    for t in (1, 2, 3):
        total = rn.numerical_ordered_derivative(system, values, f"zo{t}")
        partial = rn.numerical_partial(system, values, f"zo{t}")
        assert abs(total - partial) < 1e-8


def test_with_feedback_earlier_outputs_differ_last_agrees():
    system = rn.scalar_rnn_system(XS, YS, output_feedback=True)
    values = system.evaluate({**WEIGHTS, "r": 0.5})
    result = rn.ordered_derivatives(system, values)
    for t in (1, 2):
        total = rn.numerical_ordered_derivative(system, values, f"zo{t}")
        partial = rn.numerical_partial(system, values, f"zo{t}")
        assert abs(total - partial) > 1e-2
        assert abs(result.total[f"zo{t}"] - total) < 1e-7 * max(1.0, abs(total))
        assert abs(result.partial[f"zo{t}"] - partial) < 1e-7
    assert abs(rn.numerical_ordered_derivative(system, values, "zo3") - rn.numerical_partial(system, values, "zo3")) < 1e-8
    for name in ("u", "w", "v", "r"):
        num = rn.numerical_ordered_derivative(system, values, name)
        assert rn.relative_error(result.total[name], num) < 1e-7


def test_feedback_with_r_zero_is_the_plain_system():
    plain = rn.scalar_rnn_system(XS, YS)
    fed = rn.scalar_rnn_system(XS, YS, output_feedback=True)
    assert np.isclose(plain.evaluate(WEIGHTS)["C"], fed.evaluate({**WEIGHTS, "r": 0.0})["C"])
