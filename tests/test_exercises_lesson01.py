"""Lesson 1's exercise checkers: each typical mistake gets its own hint; correct code passes."""

import numpy as np

import rnnedu as rn
from rnnedu.exercises import lesson01 as ex


def test_softmax_checker():
    naive = lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)  # noqa: E731
    whole_sum = lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum()  # noqa: E731
    global_max = lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=-1, keepdims=True)  # noqa: E731
    assert "overflows" in ex.check_softmax(naive).message
    assert not ex.check_softmax(whole_sum).passed and "last axis" in ex.check_softmax(whole_sum).message
    assert ex.check_softmax(global_max).passed  # subtracting a global constant is also correct
    assert ex.check_softmax(rn.softmax).passed
    raising = ex.check_softmax(lambda z: z.nope)
    assert not raising.passed and "AttributeError" in raising.message


def test_jacobian_checker():
    diag_only = lambda z: np.diag(rn.softmax(z) * (1 - rn.softmax(z)))  # noqa: E731
    assert "diagonal" in ex.check_softmax_jacobian(diag_only).message
    assert "sign" in ex.check_softmax_jacobian(lambda z: -rn.softmax_jacobian(z)).message
    assert "shape" in ex.check_softmax_jacobian(lambda z: rn.softmax(z)).message
    assert ex.check_softmax_jacobian(rn.softmax_jacobian).passed


def test_delta_checker():
    onehot = lambda z, y: np.eye(z.shape[1])[y]  # noqa: E731
    summed = lambda z, y: rn.softmax(z) - onehot(z, y)  # noqa: E731
    logits_minus_y = lambda z, y: (z - onehot(z, y)) / len(y)  # noqa: E731
    assert "divide a − y by N" in ex.check_cross_entropy_delta(summed).message
    assert "sign" in ex.check_cross_entropy_delta(lambda z, y: -rn.cross_entropy_delta(z, y)).message
    assert "probabilities" in ex.check_cross_entropy_delta(logits_minus_y).message
    assert ex.check_cross_entropy_delta(rn.cross_entropy_delta).passed
    assert "✓" in repr(ex.check_cross_entropy_delta(rn.cross_entropy_delta))
