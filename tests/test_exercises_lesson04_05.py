"""Lessons 4–5's exercise checkers: each typical mistake gets its own hint; correct code passes."""

import numpy as np

import rnnedu as rn
from rnnedu.exercises import lesson04, lesson05


def test_flatten_labels_checker():
    assert "batch-major" in lesson04.check_flatten_labels(lambda y: y.reshape(-1)).message
    assert "shape" in lesson04.check_flatten_labels(lambda y: y.T).message
    assert "wrong order" in lesson04.check_flatten_labels(lambda y: np.sort(y.reshape(-1))).message
    assert lesson04.check_flatten_labels(lambda y: y.T.reshape(-1)).passed
    assert lesson04.check_flatten_labels(lambda y: y.ravel(order="F")).passed  # the same order, another spelling
    assert "AttributeError" in lesson04.check_flatten_labels(lambda y: y.nope).message


def test_rnn_step_checker():
    c = lesson04.check_rnn_step
    assert "x_t @ W_xh" in c(lambda x, h, Wx, Wh, b: np.tanh(Wx @ x + Wh @ h + b)).message
    assert "no nonlinearity" in c(lambda x, h, Wx, Wh, b: x @ Wx + h @ Wh + b).message
    assert "h_{t-1} is missing" in c(lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + b)).message
    assert "transposed" in c(lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh.T + b)).message
    assert "inside φ" in c(lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh) + b).message
    assert c(lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh + b)).passed
    assert c(rn.rnn_step).passed


def test_split_checker():
    c = lesson04.check_split_concatenated
    assert "column-vector blocks" in c(lambda w, D: (w[:, :D], w[:, D:])).message
    assert "W_hh is transposed" in c(lambda w, D: (w[:, :D].T, w[:, D:])).message
    assert "first D columns" in c(lambda w, D: (w[:, w.shape[0]:].T, w[:, : w.shape[0]].T)).message
    assert "pair" in c(lambda w, D: w).message
    assert c(lambda w, D: (w[:, :D].T, w[:, D:].T)).passed
    assert c(rn.split_concatenated_weights).passed


def test_delta_step_checker():
    c = lesson05.check_delta_step
    assert "one-step" in c(lambda dh, dn, h, W: dh * (1 - h * h)).message
    assert "missing φ'" in c(lambda dh, dn, h, W: dh + dn @ W.T).message
    assert "not transposed" in c(lambda dh, dn, h, W: (dh + dn @ W) * (1 - h * h)).message
    assert "1 − h_t²" in c(lambda dh, dn, h, W: (dh + dn @ W.T) * (1 - h)).message
    assert "whole" in c(lambda dh, dn, h, W: dh * (1 - h * h) + dn @ W.T).message
    assert c(lambda dh, dn, h, W: (dh + dn @ W.T) * (1 - h * h)).passed


def test_bptt_W_hh_checker():
    c = lesson05.check_bptt_W_hh

    def one_step(dhs, hs, h0, W):
        h_prev = np.concatenate([h0[None], hs[:-1]])
        return np.einsum("tbi,tbj->ij", h_prev, dhs * (1 - hs**2))

    def full(dhs, hs, h0, W):
        xs = np.zeros(hs.shape[:2] + (1,))
        return rn.rnn_backward(dhs, xs, hs, h0, np.zeros((1, W.shape[0])), W)["W_hh"]

    def paired_with_h_t(dhs, hs, h0, W):
        deltas = lesson05._deltas(dhs, hs, W)
        return np.einsum("tbi,tbj->ij", hs, deltas)

    assert "truncated to one step" in c(one_step).message
    assert "transposed" in c(lambda *a: full(*a).T).message
    assert "pairs with h_{t−1}" in c(paired_with_h_t).message
    assert "shape" in c(lambda dhs, hs, h0, W: dhs).message
    assert c(full).passed


def test_jacobian_product_checker():
    c = lesson05.check_jacobian_product

    def steps(hs, W):
        return rn.hidden_jacobians(hs[:, None, :], W)[:, 0]

    def right(hs, W, t, k):
        J, P = steps(hs, W), np.eye(W.shape[0])
        for j in range(t, k, -1):
            P = P @ J[j]
        return P

    def reversed_order(hs, W, t, k):
        J, P = steps(hs, W), np.eye(W.shape[0])
        for j in range(k + 1, t + 1):
            P = P @ J[j]
        return P

    power = lambda hs, W, t, k: np.linalg.matrix_power(steps(hs, W)[t], t - k)  # noqa: E731
    assert "(σ'w)^(t−k)" in c(power).message
    assert "leaves out φ'" in c(lambda hs, W, t, k: np.linalg.matrix_power(W.T, t - k)).message
    assert "transposed" in c(lambda *a: right(*a).T).message
    assert "wrong order" in c(reversed_order).message
    assert c(right).passed
