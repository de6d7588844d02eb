import numpy as np
import pytest

import rnnedu as rn


def test_numerical_gradient_of_a_cubic_is_accurate():
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    num = rn.numerical_gradient(lambda v: float((v ** 3).sum() + 2 * v[0, 1] * v[1, 0]), x)
    exact = 3 * x ** 2
    exact[0, 1] += 2 * x[1, 0]
    exact[1, 0] += 2 * x[0, 1]
    np.testing.assert_allclose(num, exact, rtol=1e-8)


def test_numerical_gradient_never_mutates_input():
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    seen = []
    rn.numerical_gradient(lambda v: seen.append(v) or float(v.sum()), x)
    np.testing.assert_array_equal(x, before)
    assert all(v is not x for v in seen)


def test_numerical_gradient_rejects_bad_eps_and_empty():
    with pytest.raises(ValueError, match="eps must be a positive"):
        rn.numerical_gradient(np.sum, np.ones(2), eps=0)
    with pytest.raises(ValueError, match="empty"):
        rn.numerical_gradient(np.sum, np.ones(0))


def test_relative_error_properties():
    a = np.array([1.0, 2.0, 2.0])
    assert rn.relative_error(a, a) == 0.0
    assert rn.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rn.relative_error(a, 2 * a) == pytest.approx(0.5)
    assert rn.relative_error(a, -a) == pytest.approx(2.0)
    assert rn.relative_error(a, a + [0, 0, 3e-9]) == pytest.approx(1e-9, rel=1e-6)
    with pytest.raises(ValueError, match="cannot compare shapes"):
        rn.relative_error(np.ones(2), np.ones(3))


def test_check_gradient_tells_right_from_wrong():
    x = np.array([0.3, -0.7, 1.1])
    f = lambda v: float(np.sin(v).sum())  # noqa: E731
    good = rn.check_gradient(f, x, np.cos(x), name="d sin")
    bad = rn.check_gradient(f, x, np.cos(x) * 1.001, name="d sin (scaled)")
    assert good.ok and good.rel_error < 1e-9
    assert not bad.ok and bad.rel_error == pytest.approx(1e-3, rel=1e-3)
    assert "OK" in repr(good) and "MISMATCH" in repr(bad)


def test_error_bound_is_the_power_of_ten_above():
    assert rn.error_bound(7.3e-10) == "< 1e-9"
    assert rn.error_bound(2e-16) == "< 1e-15"
    assert rn.error_bound(0.6) == "< 1e0"
    assert rn.error_bound(0.0) == "= 0"
    bad = rn.check_gradient(lambda v: float(v.sum()), np.ones(2), np.array([2.0, 2.0]))
    assert "= 0.5" in repr(bad) and "MISMATCH" in repr(bad)


def test_below_prints_the_tolerance_met_and_refuses_an_error_above_it():
    assert rn.below(3.7e-11, 1e-7) == "< 1e-7 ✓"
    assert rn.below(0.0, 1e-12) == "< 1e-12 ✓"
    assert rn.below(0.04, 0.05) == "< 5e-2 ✓"
    for err in (1e-7, 2e-7, float("nan"), float("inf")):
        with pytest.raises(AssertionError, match="not below the tolerance 1e-7"):
            rn.below(err, 1e-7)


def test_format_power_writes_every_tolerance_one_way():
    assert [rn.format_power(t) for t in (1e-7, 1e-07, 1e-12, 2e-5, 1.0, 1e3)] == ["1e-7", "1e-7", "1e-12", "2e-5", "1e0", "1e3"]
    for bad in (0.0, -1e-3, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="tolerance"):
            rn.format_power(bad)


def test_grad_check_repr_does_not_depend_on_round_off_digits():
    x = np.array([0.3, -0.7, 1.1])
    f = lambda v: float(np.sin(v).sum())  # noqa: E731
    a = rn.check_gradient(f, x, np.cos(x), name="d sin")
    b = rn.check_gradient(f, x, np.cos(x) * (1 + 1e-12), name="d sin")  # another machine's last bits
    assert a.rel_error != b.rel_error
    assert repr(a) == repr(b) == "d sin: relative error < 1e-7 ✓ OK"
