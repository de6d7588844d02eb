"""Tests for rnnedu.charrnn: the classifier heads (lesson 8) and the language model (lesson 9)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from rnnedu import charrnn as C
from rnnedu.data import LMBatch, NameBatch, Vocab, encode_names
from rnnedu.gradcheck import check_gradient, numerical_gradient
from rnnedu.rnn import init_rnn_params, rnn_loss_and_grads
from rnnedu.softmax import log_softmax, softmax

V, H, K = 6, 5, 3


def _batch(rng, B=4, T=5):
    lengths = rng.integers(1, T + 1, size=B)
    lengths[0] = T
    ids = rng.integers(0, V, size=(T, B))
    ids[np.arange(T)[:, None] >= lengths[None, :]] = 0
    return NameBatch(ids, lengths, rng.integers(0, K, size=B))


def _gradcheck_all(loss_fn, params, grads):
    for key in params:
        def f(x, key=key):
            p = dict(params)
            p[key] = x
            return loss_fn(p)
        chk = check_gradient(f, params[key], grads[key], name=key, tol=1e-7)
        assert chk.ok, chk


# --- the RNN classifier ----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rnn_classifier_gradient_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    params = init_rnn_params(V, H, K, rng)
    batch = _batch(rng)
    loss, grads = C.rnn_classifier_loss(params, batch)
    assert set(grads) == set(C.CLASSIFIER_KEYS)
    _gradcheck_all(lambda p: C.rnn_classifier_loss(p, batch)[0], params, grads)


def test_rnn_classifier_loss_value_by_hand():
    rng = np.random.default_rng(3)
    params = init_rnn_params(V, H, K, rng)
    batch = _batch(rng, B=3)
    loss, _ = C.rnn_classifier_loss(params, batch)
    total = 0.0
    for b in range(3):  # one name at a time, step by step, no padding at all
        h = np.zeros(H)
        for t in range(batch.lengths[b]):
            h = np.tanh(params["W_xh"][batch.ids[t, b]] + h @ params["W_hh"] + params["b_h"])
        o = h @ params["W_hy"] + params["b_y"]
        total -= o[batch.labels[b]] - np.log(np.exp(o).sum())
    assert loss == pytest.approx(total / 3, rel=1e-12)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_padding_does_not_change_a_names_loss_or_gradient(seed):
    rng = np.random.default_rng(seed)
    params = init_rnn_params(V, H, K, rng)
    batch = _batch(rng, B=3, T=6)
    b = int(np.argmin(batch.lengths))
    L = int(batch.lengths[b])
    alone = NameBatch(batch.ids[:L, [b]], batch.lengths[[b]], batch.labels[[b]])
    padded_more = NameBatch(np.vstack([alone.ids, rng.integers(0, V, size=(4, 1))]), alone.lengths, alone.labels)
    l1, g1 = C.rnn_classifier_loss(params, alone)
    l2, g2 = C.rnn_classifier_loss(params, padded_more)  # garbage after the end of the name
    assert l1 == pytest.approx(l2, rel=1e-12)
    for k in g1:
        np.testing.assert_allclose(g1[k], g2[k], rtol=1e-12, atol=1e-15)


def test_last_states_picks_each_own_last_step():
    hs = np.arange(4 * 3 * 2, dtype=float).reshape(4, 3, 2)
    out = C.last_states(hs, np.array([1, 4, 2]))
    assert np.array_equal(out, np.stack([hs[0, 0], hs[3, 1], hs[1, 2]]))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 4\]"):
        C.last_states(hs, np.array([0, 1, 1]))


def test_classifier_input_errors():
    rng = np.random.default_rng(0)
    params = init_rnn_params(V, H, K, rng)
    ids = np.zeros((3, 2), dtype=int)
    with pytest.raises(ValueError, match="label out of range"):
        C.rnn_classifier_loss(params, NameBatch(ids, np.array([3, 1]), np.array([0, K])))
    with pytest.raises(ValueError, match="character id out of range"):
        C.rnn_classifier_loss(params, NameBatch(ids + V, np.array([3, 1]), np.array([0, 1])))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 3\]"):
        C.rnn_classifier_loss(params, NameBatch(ids, np.array([4, 1]), np.array([0, 1])))
    with pytest.raises(ValueError, match="NameBatch"):
        C.rnn_classifier_loss(params, (ids, np.array([3, 1]), np.array([0, 1])))
    with pytest.raises(ValueError, match="keys"):
        C.rnn_classifier_loss({"W_xh": params["W_xh"]}, NameBatch(ids, np.array([3, 1]), np.array([0, 1])))


# --- the German note's model -----------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1])
def test_note_model_gradient_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    params = C.init_note_params(V, K, rng, scale=0.3)
    batch = _batch(rng)
    loss, grads = C.note_classifier_loss(params, batch)
    _gradcheck_all(lambda p: C.note_classifier_loss(p, batch)[0], params, grads)


def test_note_model_forward_by_hand():
    rng = np.random.default_rng(5)
    p = C.init_note_params(V, K, rng, scale=0.3)
    batch = _batch(rng, B=3)
    o = C.note_classifier_logits(p, batch.ids, batch.lengths)
    for b in range(3):
        h = np.zeros(V)
        for t in range(batch.lengths[b]):
            z = np.eye(V)[batch.ids[t, b]] + h  # X + H
            o_b = z @ p["W1"] + p["b1"]  # Y = W1 (X + H) + B1 at the last step
            h = z @ p["W2"] + p["b2"]  # H = W2 (X + H) + B2
        np.testing.assert_allclose(o[b], o_b, rtol=1e-12)


def test_note_one_step_gradient_is_truncate_1_and_differs_from_bptt():
    rng = np.random.default_rng(7)
    p = C.init_note_params(V, K, rng, scale=0.3)
    ids = rng.integers(0, V, size=(5, 1))
    batch = NameBatch(ids, np.array([5]), np.array([1]))
    _, full = C.note_classifier_loss(p, batch)
    _, one = C.note_classifier_loss(p, batch, truncate=1)
    # the note's formula: ∇W2 = (x_{L−1} + h_{L−2})ᵀ ∂L/∂h_{L−1}, with h_{L−2} held constant
    h = np.zeros(V)
    hist = [h]
    for t in range(5):
        h = (np.eye(V)[ids[t, 0]] + h) @ p["W2"] + p["b2"]
        hist.append(h)
    z_L = np.eye(V)[ids[4, 0]] + hist[4]
    do = softmax(z_L @ p["W1"] + p["b1"]) - np.eye(K)[1]
    dh = do @ p["W1"].T
    np.testing.assert_allclose(one["W2"], np.outer(np.eye(V)[ids[3, 0]] + hist[3], dh), rtol=1e-10, atol=1e-14)
    num = numerical_gradient(lambda w: C.note_classifier_loss({**p, "W2": w}, batch)[0], p["W2"])
    assert np.linalg.norm(full["W2"] - num) / np.linalg.norm(num) < 1e-7
    assert np.linalg.norm(one["W2"] - num) / np.linalg.norm(num) > 1e-2


def test_note_objective_as_written_has_the_wrong_sign():
    rng = np.random.default_rng(8)
    p = C.init_note_params(V, K, rng, scale=0.3)
    batch = _batch(rng)
    J = C.note_objective_as_written(p, batch)
    loss, _ = C.note_classifier_loss(p, batch)
    assert J < 0
    assert J == pytest.approx(-loss * batch.ids.shape[1] / batch.lengths.sum(), rel=1e-12)
    # a descent step on J makes the true classes *less* likely: the loss goes up
    g = numerical_gradient(lambda b1: C.note_objective_as_written({**p, "b1": b1}, batch), p["b1"])
    worse = C.note_classifier_loss({**p, "b1": p["b1"] - 0.5 * g}, batch)[0]
    assert worse > loss


# --- evaluation helpers ----------------------------------------------------------------------------

def test_predict_top_k_accuracy_baseline_confusion():
    rng = np.random.default_rng(0)
    v = Vocab.build("abcde")
    params = init_rnn_params(len(v), H, K, rng)
    probs = C.predict_proba(params, ["abc", "e"], v)
    ids, lengths = encode_names(["abc", "e"], v)
    np.testing.assert_allclose(probs, softmax(C.rnn_classifier_logits(params, ids, lengths)))
    np.testing.assert_allclose(probs.sum(1), 1.0)
    note = C.init_note_params(len(v), K, rng)
    np.testing.assert_allclose(C.predict_proba(note, ["abc"], v)[0],
                               softmax(C.note_classifier_logits(note, ids[:, :1], lengths[:1]))[0])
    assert C.top_k(np.array([0.2, 0.5, 0.3]), ["x", "y", "z"], 2) == [("y", 0.5), ("z", 0.3)]
    with pytest.raises(ValueError, match="k must be an integer"):
        C.top_k(np.array([0.2, 0.8]), ["x", "y"], 3)
    assert C.accuracy(np.array([1, 2, 2]), np.array([1, 2, 0])) == pytest.approx(2 / 3)
    assert C.majority_baseline(np.array([2, 2, 1]), np.array([2, 0, 0, 2])) == 0.5
    cm = C.confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1]), 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [0, 1, 0]]
    with pytest.raises(ValueError, match="same shape|one shape"):
        C.accuracy(np.array([1]), np.array([1, 2]))


def test_training_separates_two_toy_languages():
    from rnnedu.data import NameBatches
    from rnnedu.train import Adam, fit

    rng = np.random.default_rng(0)
    names = ["ab" * (i % 3 + 1) for i in range(30)] + ["cd" * (i % 3 + 1) + "a" for i in range(30)]
    labels = np.array([0] * 30 + [1] * 30)
    v = Vocab.build(names)
    params = init_rnn_params(len(v), 8, 2, rng)
    hist = fit(params, C.rnn_classifier_loss, NameBatches(names, labels, v, 10, rng),
               optimizer=Adam(0.05), n_steps=60, progress=False)
    assert hist.losses[-1] < 0.1 < hist.losses[0]
    assert C.accuracy(C.predict_proba(params, names, v).argmax(1), labels) == 1.0


# --- the language model ----------------------------------------------------------------------------

@pytest.mark.parametrize("truncate", [None, 2])
def test_lm_loss_agrees_with_rnn_loss_and_finite_differences(truncate):
    rng = np.random.default_rng(1)
    params = init_rnn_params(V, H, V, rng)
    X = rng.integers(0, V, size=(4, 3))
    Y = rng.integers(0, V, size=(4, 3))
    h0 = 0.5 * rng.standard_normal((3, H))
    loss, grads, h_last = C.lm_loss_and_grads(params, X, Y, h0, truncate)
    ref_loss, ref = rnn_loss_and_grads(params, X, Y, h0, truncate=truncate)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for k in C.CLASSIFIER_KEYS:
        np.testing.assert_allclose(grads[k], ref[k], rtol=1e-10, atol=1e-14)
    if truncate is None:
        _gradcheck_all(lambda p: C.lm_loss_and_grads(p, X, Y, h0)[0], params, grads)
    h = h0
    for t in range(4):
        h = np.tanh(params["W_xh"][X[t]] + h @ params["W_hh"] + params["b_h"])
    np.testing.assert_allclose(h_last, h, rtol=1e-12)


def test_carried_state_continues_the_sequence():
    rng = np.random.default_rng(2)
    params = init_rnn_params(V, H, V, rng)
    X = rng.integers(0, V, size=(8, 2))
    Y = rng.integers(0, V, size=(8, 2))
    whole, _, _ = C.lm_loss_and_grads(params, X, Y)
    obj = C.LanguageModelLoss(carry=True)
    l1, _ = obj(params, LMBatch(X[:4], Y[:4], new_epoch=True))
    l2, _ = obj(params, LMBatch(X[4:], Y[4:]))
    assert (l1 + l2) / 2 == pytest.approx(whole, rel=1e-12)  # carrying the state reproduces one long pass
    fresh = C.LanguageModelLoss(carry=False)
    l2_reset, _ = fresh(params, LMBatch(X[4:], Y[4:]))
    assert l2_reset != pytest.approx(l2, rel=1e-6)
    l1_again, _ = obj(params, LMBatch(X[:4], Y[:4], new_epoch=True))  # new pass resets the state
    assert l1_again == pytest.approx(l1, rel=1e-12)
    with pytest.raises(ValueError, match="LMBatch"):
        obj(params, (X, Y))


def test_perplexity_is_exp_of_mean_cross_entropy():
    rng = np.random.default_rng(4)
    params = init_rnn_params(V, H, V, rng)
    ids = rng.integers(0, V, size=41)
    pp = C.perplexity(params, ids, n_streams=4)
    total = 0.0
    for s in range(4):
        seg = ids[s * 10: s * 10 + 11]
        h = np.zeros(H)
        for t in range(10):
            h = np.tanh(params["W_xh"][seg[t]] + h @ params["W_hh"] + params["b_h"])
            total -= log_softmax(h @ params["W_hy"] + params["b_y"])[seg[t + 1]]
    assert pp == pytest.approx(np.exp(total / 40), rel=1e-12)
    zero = {k: np.zeros_like(v) for k, v in params.items()}
    assert C.perplexity(zero, ids) == pytest.approx(V)  # a uniform model has perplexity V
    with pytest.raises(ValueError, match="too few"):
        C.perplexity(params, ids[:3], n_streams=4)


def test_sampling_temperature_and_reproducibility():
    rng = np.random.default_rng(6)
    v = Vocab.build("ab cd")
    params = init_rnn_params(len(v), H, len(v), rng, scale=1.0)
    s1 = C.sample(params, v, "ab", 30, 0.8, np.random.default_rng(1))
    s2 = C.sample(params, v, "ab", 30, 0.8, np.random.default_rng(1))
    assert s1 == s2 and len(s1) == 30 and set(s1) <= set(v.itos)
    p1 = C.next_char_distribution(params, v, "ab", 1.0)
    np.testing.assert_allclose(p1.sum(), 1.0)
    assert np.abs(C.next_char_distribution(params, v, "ab", 1e3) - 1 / len(v)).max() < 1e-2
    cold = C.next_char_distribution(params, v, "ab", 1e-3)
    assert cold.argmax() == p1.argmax() and cold.max() > 0.99
    greedy = C.sample(params, v, "ab", 1, 1e-4, np.random.default_rng(0))
    assert greedy == v.itos[int(p1.argmax())]
    # the first sampled character's frequencies follow eq. (9.3)
    counts = np.zeros(len(v))
    draws = np.random.default_rng(9)
    for _ in range(2000):
        counts[v.stoi.get(C.sample(params, v, "ab", 1, 1.0, draws), 0)] += 1
    assert np.abs(counts / 2000 - p1).max() < 0.05


def test_sampling_errors():
    rng = np.random.default_rng(6)
    v = Vocab.build("abc")
    params = init_rnn_params(len(v), H, len(v), rng)
    with pytest.raises(ValueError, match="temperature must be a positive number"):
        C.sample(params, v, "a", 5, 0.0)
    with pytest.raises(ValueError, match="prefix is empty"):
        C.sample(params, v, "", 5, 1.0)
    with pytest.raises(ValueError, match="n_chars"):
        C.sample(params, v, "a", -1, 1.0)


def test_perplexity_monitor_records_every_k_steps():
    from rnnedu.data import SequentialBatches
    from rnnedu.train import Adam, fit

    rng = np.random.default_rng(3)
    ids = np.tile(np.arange(V), 40)
    params = init_rnn_params(V, H, V, rng)
    monitor = C.PerplexityMonitor(ids[:60], every=5).start(params)
    fit(params, C.LanguageModelLoss(), SequentialBatches(ids, 4, 6, rng), optimizer=Adam(0.05), n_steps=20,
        callback=monitor, progress=False)
    assert monitor.steps == [0, 5, 10, 15, 20]
    assert monitor.values[-1] == pytest.approx(C.perplexity(params, ids[:60]))
    assert monitor.values[-1] < monitor.values[0] / 2  # a periodic sequence is easy to learn
    with pytest.raises(ValueError, match="every must be"):
        C.PerplexityMonitor(ids, every=0)


# --- the exercise checkers accept the right answer and name the naive mistake ------------------

def test_lesson08_checkers():
    from rnnedu.exercises import lesson08 as E

    assert E.check_last_states(lambda hs, L: hs[L - 1, np.arange(hs.shape[1])]).passed
    fb = E.check_last_states(lambda hs, L: hs[-1])
    assert not fb.passed and "padding" in fb.message
    assert "off by one" in E.check_last_states(lambda hs, L: hs[np.minimum(L, hs.shape[0] - 1), np.arange(hs.shape[1])]).message
    assert E.check_majority_baseline(lambda tr, te: np.mean(te == np.bincount(tr).argmax())).passed
    assert "test" in E.check_majority_baseline(lambda tr, te: np.mean(te == np.bincount(te).argmax())).message
    assert "id" in E.check_majority_baseline(lambda tr, te: np.bincount(tr).argmax()).message
    assert E.check_top_k(lambda p, k: np.argsort(-p)[:k]).passed
    assert "wrong order" in E.check_top_k(lambda p, k: np.argsort(p)[-k:]).message
    assert "least" in E.check_top_k(lambda p, k: np.argsort(p)[:k]).message
    assert "raised" in E.check_top_k(lambda p, k: 1 / 0).message


def test_lesson09_checkers():
    from rnnedu.exercises import lesson09 as E

    assert E.check_temperature_softmax(lambda o, t: softmax(o / t)).passed
    assert "no effect" in E.check_temperature_softmax(lambda o, t: softmax(o)).message
    assert "multiplied" in E.check_temperature_softmax(lambda o, t: softmax(o * t)).message
    naive = lambda o, t: np.exp(o / t) / np.exp(o / t).sum()  # noqa: E731
    assert "overflow" in E.check_temperature_softmax(naive).message
    good = lambda z, y: np.exp(-log_softmax(z)[np.arange(len(y)), y].mean())  # noqa: E731
    assert E.check_perplexity(good).passed
    assert "summed" in E.check_perplexity(lambda z, y: np.exp(-log_softmax(z)[np.arange(len(y)), y].sum())).message
    assert "exponential" in E.check_perplexity(lambda z, y: -log_softmax(z)[np.arange(len(y)), y].mean()).message
    assert E.check_streams(lambda ids, B: ids.reshape(B, -1).T).passed
    assert "round-robin" in E.check_streams(lambda ids, B: ids.reshape(-1, B)).message
    assert "transpose" in E.check_streams(lambda ids, B: ids.reshape(B, -1)).message
