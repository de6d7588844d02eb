"""Lesson 3: ordered systems, Werbos' backward rule, the note's example, the unrolled RNN, the exercises.

Ordered derivatives are checked against perturbing the whole system (central differences with every
later variable recomputed) and, for linear systems, against the closed form g = (I − Aᵀ)⁻¹ d.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnedu as rn
from rnnedu.exercises import lesson03
from rnnedu.ordered import (OrderedSystem, Variable, free, linear, note_cost, numerical_ordered_derivative,
                            numerical_partial, ordered_derivatives, scalar_rnn_system, werbos_example)


def test_note_example_gives_4_16_58_136():
    system = werbos_example()
    values = system.evaluate({"z1": 1.0})
    assert [values[n] for n in ("z1", "z2", "z3", "z4", "E")] == [1.0, 2.0, 7.0, 33.0, 136.0]
    res = ordered_derivatives(system, values)
    assert res.total == {"z1": 136.0, "z2": 58.0, "z3": 16.0, "z4": 4.0}
    assert res.partial == {"z1": 0.0, "z2": 2.0, "z3": 0.0, "z4": 4.0}
    assert [s.name for s in res.trace] == ["z4", "z3", "z2", "z1"]
    z2 = res.trace[2]
    assert z2.direct == 2.0 and [(t.later, t.total_later, t.local) for t in z2.terms] == [("z4", 4.0, 2.0), ("z3", 16.0, 3.0)]
    assert z2.latex(system).endswith(r"= 2 + 4 \cdot 2 + 16 \cdot 3 = 58")


@pytest.mark.parametrize("z1", [1.0, -2.5, 10.0])
def test_note_example_matches_perturbing_the_whole_system(z1):
    system = werbos_example()
    values = system.evaluate({"z1": z1})
    res = ordered_derivatives(system, values)
    for n in system.names:
        num = numerical_ordered_derivative(system, values, n)
        assert rn.relative_error(res.total[n], num) < 1e-7
        assert rn.relative_error(res.partial[n], numerical_partial(system, values, n)) < 1e-7
    # E is linear in z1 with slope 136: the total derivative is the whole-system sensitivity
    assert values["E"] == pytest.approx(136.0 * z1, rel=1e-15)


@st.composite
def linear_systems(draw):
    n = draw(st.integers(1, 6))
    coef = st.floats(-3, 3, allow_nan=False).filter(lambda c: abs(c) > 0.05)
    vs = [free("z1")]
    A = np.zeros((n, n))
    for j in range(1, n):
        reads = draw(st.lists(st.integers(0, j - 1), min_size=1, max_size=j, unique=True))
        cs = {f"z{i + 1}": draw(coef) for i in reads}
        for i in reads:
            A[j, i] = cs[f"z{i + 1}"]
        vs.append(linear(f"z{j + 1}", cs))
    target_reads = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    d = np.zeros(n)
    tc = {}
    for i in target_reads:
        tc[f"z{i + 1}"] = draw(coef)
        d[i] = tc[f"z{i + 1}"]
    return OrderedSystem(tuple(vs), linear("E", tc)), A, d


@settings(max_examples=40, deadline=None)
@given(linear_systems(), st.floats(-2, 2, allow_nan=False))
def test_linear_systems_match_closed_form_and_perturbation(case, z1):
    system, A, d = case
    values = system.evaluate({"z1": z1})
    res = ordered_derivatives(system, values)
    closed = np.linalg.solve(np.eye(len(d)) - A.T, d)  # g = d + Aᵀ g
    got = np.array([res.total[n] for n in system.names])
    np.testing.assert_allclose(got, closed, rtol=1e-10, atol=1e-10)
    num = numerical_ordered_derivative(system, values, "z1")
    assert abs(num - res.total["z1"]) <= 1e-6 * max(1.0, abs(num))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=5), st.integers(0, 1000))
def test_unrolled_rnn_weights_get_bptt_sums(xs, seed):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 2, size=len(xs)).astype(float)
    system = scalar_rnn_system(xs, targets)
    inputs = dict(zip(("u", "w", "v", "h0"), rng.normal(0, 0.8, size=4)))
    values = system.evaluate(inputs)
    res = ordered_derivatives(system, values)
    T = len(xs)
    # the note's final formulas: ∂⁺C/∂w = Σ_t ∂⁺C/∂z^h_t · h_{t−1}, ∂⁺C/∂v = Σ_t ∂⁺C/∂z^o_t · h_t
    bptt_w = sum(res.total[f"zh{t}"] * values[f"h{t - 1}"] for t in range(1, T + 1))
    bptt_v = sum(res.total[f"zo{t}"] * values[f"h{t}"] for t in range(1, T + 1))
    assert res.total["w"] == pytest.approx(bptt_w, rel=1e-12, abs=1e-14)
    assert res.total["v"] == pytest.approx(bptt_v, rel=1e-12, abs=1e-14)
    assert res.partial["w"] == 0.0 and res.partial["u"] == 0.0
    for n in ("u", "w", "v", "h0"):
        num = numerical_ordered_derivative(system, values, n)
        assert abs(num - res.total[n]) <= 1e-7 * max(1.0, abs(num))


def test_unrolled_rnn_cost_is_cross_entropy():
    system = scalar_rnn_system([1.0, -0.5], [1.0, 0.0])
    values = system.evaluate({"u": 0.3, "w": -0.7, "v": 1.1, "h0": 0.2})
    h1 = math.tanh(0.3 * 1.0 - 0.7 * 0.2)
    h2 = math.tanh(0.3 * -0.5 - 0.7 * h1)
    zo = np.array([[1.1 * h1, 0.0], [1.1 * h2, 0.0]])  # two-class logits (z, 0)
    assert values["C"] == pytest.approx(2 * rn.cross_entropy(zo, np.array([0, 1])), rel=1e-12)


def test_note_cost_pushes_probability_away_from_the_true_class():
    z, y_hat = np.array([0.2, 1.0, -0.4]), np.array([1.0, 0.0, 0.0])
    g = rn.numerical_gradient(lambda zz: note_cost(zz, y_hat), z)
    a = rn.softmax(z)
    np.testing.assert_allclose(g, 2 * a - (1 - y_hat), rtol=1e-7, atol=1e-9)  # (K−1)a − (1 − ŷ)
    assert rn.softmax(z - 0.5 * g)[0] < a[0]  # a descent step on it lowers the true class's probability
    good = rn.numerical_gradient(lambda zz: rn.cross_entropy(zz[None], y_hat[None]), z)
    assert rn.softmax(z - 0.5 * good)[0] > a[0]


def test_bad_systems_raise_value_error():
    z1 = free("z1")
    with pytest.raises(ValueError, match=r"cyclic: z2 → z3 → z2"):
        OrderedSystem((z1, linear("z2", {"z3": 1}), linear("z3", {"z2": 1})), linear("E", {"z3": 1}))
    with pytest.raises(ValueError, match="cyclic: z2 depends on itself"):
        OrderedSystem((z1, linear("z2", {"z2": 1})), linear("E", {"z2": 1}))
    with pytest.raises(ValueError, match="out of order: z3 reads z2, defined after it"):
        OrderedSystem((z1, linear("z3", {"z2": 1}), linear("z2", {"z1": 2})), linear("E", {"z3": 1}))
    with pytest.raises(ValueError, match="reads z9, which is not a variable"):
        OrderedSystem((z1, linear("z2", {"z9": 1})), linear("E", {"z2": 1}))
    with pytest.raises(ValueError, match="repeated: z1"):
        OrderedSystem((z1, free("z1")), linear("E", {"z1": 1}))
    with pytest.raises(ValueError, match="1 input\\(s\\) but 0 partial"):
        OrderedSystem((z1, Variable("z2", ("z1",), lambda a: a)), linear("E", {"z2": 1}))
    with pytest.raises(ValueError, match="at least one variable"):
        OrderedSystem((), linear("E", {"z1": 1}))
    with pytest.raises(ValueError, match="needs inputs and a function"):
        OrderedSystem((z1,), free("E"))
    with pytest.raises(ValueError, match="no value given for the free variable z1"):
        werbos_example().evaluate({})
    with pytest.raises(ValueError, match="values lack z3"):
        ordered_derivatives(werbos_example(), {"z1": 1.0, "z2": 2.0, "z4": 1.0})
    with pytest.raises(ValueError, match="one target per step"):
        scalar_rnn_system([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least one step"):
        scalar_rnn_system([], [])
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        scalar_rnn_system([1.0], [2.0])
    with pytest.raises(ValueError, match="same length"):
        note_cost(np.ones(3), np.ones(2))


# --- exercises -------------------------------------------------------------------------------------

def test_exercise_by_hand_hints():
    assert lesson03.check_by_hand({"z1": 23, "z2": 7, "z3": 1}).passed
    partial = lesson03.check_by_hand({"z1": 1, "z2": 5, "z3": 1})
    assert not partial.passed and "partial derivatives" in partial.message
    one = lesson03.check_by_hand({"z1": 17, "z2": 7, "z3": 1})
    assert not one.passed and "ordered derivative ∂⁺E/∂z_j" in one.message
    nodirect = lesson03.check_by_hand({"z1": 7, "z2": 2, "z3": 1})
    assert not nodirect.passed and "direct term" in nodirect.message
    missing = lesson03.check_by_hand({"z1": 23})
    assert not missing.passed and "one entry per variable" in missing.message


def rule(system, values):
    local, direct, total = system.local_partials(values), system.direct_partials(values), {}
    for i in reversed(system.names):
        total[i] = direct[i] + sum(total[j] * local[(j, i)] for j in system.names if (j, i) in local)
    return total


def test_exercise_backward_rule_hints():
    assert lesson03.check_backward_rule(rule).passed
    naive = lesson03.check_backward_rule(lambda s, v: s.direct_partials(v))
    assert not naive.passed and "partial derivatives" in naive.message

    def forward_order(system, values):
        local, direct, total = system.local_partials(values), system.direct_partials(values), {}
        for i in system.names:
            total[i] = direct[i] + sum(total[j] * local[(j, i)] for j in system.names if (j, i) in local)
        return total

    fwd = lesson03.check_backward_rule(forward_order)
    assert not fwd.passed and "Sweep backwards" in fwd.message


def test_exercise_cost_hints():
    ce = lambda z, y: float(-np.sum(y * rn.log_softmax(z)))  # noqa: E731
    assert lesson03.check_cost(ce).passed
    note = lesson03.check_cost(lambda z, y: float(-np.sum((1 - y) * rn.log_softmax(z))))
    assert not note.passed and "note's" in note.message
    sign = lesson03.check_cost(lambda z, y: -ce(z, y))
    assert not sign.passed and "sign" in sign.message
