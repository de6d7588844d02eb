"""Lesson 10 (the capstone): the reference loss against central differences, against lesson 9's loss
and against min-char-rnn itself; Adagrad, clipping and the training loop; and the checkers, which must
reject each typical wrong implementation with its own hint and accept right ones."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnedu as rn
from rnnedu.exercises import lesson10

KEYS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


def problem(seed=0, V=6, H=4, T=5, B=3):
    rng = np.random.default_rng(seed)
    p = rn.init_rnn_params(V, H, V, rng)
    p["b_h"] = 0.3 * rng.standard_normal(H)
    p["b_y"] = 0.3 * rng.standard_normal(V)
    X = rng.integers(0, V, (T, B))
    Y = rng.integers(0, V, (T, B))
    h0 = 0.6 * rng.standard_normal((B, H))
    return p, X, Y, h0


# --- the reference --------------------------------------------------------------------------------

@pytest.mark.parametrize("T,B", [(1, 1), (1, 3), (5, 1), (6, 2)])
def test_reference_matches_central_differences(T, B):
    p, X, Y, h0 = problem(T=T, B=B)
    loss, grads, h_T = rn.char_rnn_loss(p, X, Y, h0)
    for k in KEYS:
        check = rn.check_gradient(lambda v, k=k: rn.char_rnn_loss({**p, k: v}, X, Y, h0)[0], p[k], grads[k], name=k)
        assert check.ok, check
        assert grads[k].shape == p[k].shape and grads[k].dtype == np.float64


def test_reference_equals_lesson9_loss_and_state():
    p, X, Y, h0 = problem(1, V=9, H=7, T=8, B=4)
    loss, grads, h_T = rn.char_rnn_loss(p, X, Y, h0)
    ref_loss, ref, ref_h = rn.lm_loss_and_grads(p, X, Y, h0)
    assert abs(loss - ref_loss) < 1e-12
    assert all(np.allclose(grads[k], ref[k], rtol=1e-10, atol=1e-14) for k in KEYS)
    assert np.allclose(h_T, ref_h, rtol=0, atol=1e-14)
    assert rn.char_rnn_loss(p, X, Y)[0] == pytest.approx(rn.lm_loss_and_grads(p, X, Y)[0], rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), V=st.integers(2, 9), H=st.integers(1, 6), T=st.integers(1, 7),
       B=st.integers(1, 4), carried=st.booleans())
def test_reference_equals_lesson9_loss_over_random_shapes(seed, V, H, T, B, carried):
    p, X, Y, h0 = problem(seed, V=V, H=H, T=T, B=B)
    h0 = h0 if carried else None
    loss, grads, h_T = rn.char_rnn_loss(p, X, Y, h0)
    ref_loss, ref, ref_h = rn.lm_loss_and_grads(p, X, Y, h0)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    assert all(np.allclose(grads[k], ref[k], rtol=1e-9, atol=1e-13) for k in KEYS)
    assert np.allclose(h_T, ref_h, rtol=0, atol=1e-13)


def test_reference_is_min_char_rnn_transposed():
    p, X, Y, h0 = problem(2, V=8, H=5, T=7, B=1)
    loss, grads, h_T = rn.char_rnn_loss(p, X, Y, h0)
    out = rn.min_char_rnn_lossfun(list(X[:, 0]), list(Y[:, 0]), h0.T, **rn.to_min_char_rnn(p))
    g_mc = rn.from_min_char_rnn(dict(zip(("Wxh", "Whh", "Why", "bh", "by"), out[1:6])))
    T = X.shape[0]
    assert out[0] == pytest.approx(T * loss, rel=1e-12)  # min-char-rnn sums the loss over the T steps
    assert all(np.allclose(g_mc[k], T * grads[k], rtol=1e-10, atol=1e-13) for k in KEYS)
    assert np.allclose(out[6].T, h_T, atol=1e-14)
    back = rn.from_min_char_rnn(rn.to_min_char_rnn(p))
    assert all(np.array_equal(back[k], p[k]) for k in KEYS)


def test_min_char_rnn_clips_element_wise():
    p, X, Y, h0 = problem(3, V=5, H=4, T=6, B=1)
    p["W_hy"] *= 30.0
    out = rn.min_char_rnn_lossfun(list(X[:, 0]), list(Y[:, 0]), h0.T, **rn.to_min_char_rnn(p), clip=0.5)
    assert max(np.abs(g).max() for g in out[1:6]) == pytest.approx(0.5)


def test_reference_survives_huge_logits_and_leaves_inputs_alone():
    p, X, Y, h0 = problem(4)
    loss, grads, _ = rn.char_rnn_loss(p, X, Y, h0)
    shifted = {**p, "b_y": p["b_y"] + 5000.0}
    before = {k: v.copy() for k, v in shifted.items()}
    h_before = h0.copy()
    loss2, grads2, _ = rn.char_rnn_loss(shifted, X, Y, h0)
    assert loss2 == pytest.approx(loss, rel=1e-9)
    assert all(np.allclose(grads2[k], grads[k], atol=1e-9) for k in KEYS)
    assert all(np.array_equal(shifted[k], before[k]) for k in KEYS) and np.array_equal(h0, h_before)
    # a target with probability e^-800 gives a finite loss (log-softmax, not log of an underflowed 0)
    sharp = {**p, "W_hy": np.zeros_like(p["W_hy"]), "b_y": np.r_[800.0, np.zeros(p["b_y"].size - 1)]}
    ones = np.ones_like(Y)
    assert rn.char_rnn_loss(sharp, X, ones, h0)[0] == pytest.approx(800.0, rel=1e-12)


@pytest.mark.parametrize("bad, match", [
    (lambda p, X, Y, h: (p, X[:, :, None], Y, h), "X and Y"),
    (lambda p, X, Y, h: (p, X, Y + 100, h), r"Y ids must lie in \[0, 6\)"),
    (lambda p, X, Y, h: (p, X.astype(float), Y, h), "integer"),
    (lambda p, X, Y, h: (p, X, Y, h[:, :2]), "h0 has shape"),
    (lambda p, X, Y, h: ({k: v for k, v in p.items() if k != "W_hh"}, X, Y, h), "missing W_hh"),
    (lambda p, X, Y, h: ({**p, "b_y": np.full(6, np.nan)}, X, Y, h), "b_y contains NaN"),
    (lambda p, X, Y, h: (p, X[:0], Y[:0], h), "empty"),
])
def test_reference_rejects_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        rn.char_rnn_loss(*bad(*problem()))


def test_clip_by_global_norm():
    rng = np.random.default_rng(5)
    g = {"a": rng.standard_normal((3, 4)), "b": 10.0 * rng.standard_normal(3)}
    out = rn.clip_by_global_norm(g, 2.0)
    assert rn.global_norm(out) == pytest.approx(2.0, rel=1e-12)
    assert rn.gradient_cosine(out, g) == pytest.approx(1.0, abs=1e-12)
    small = rn.clip_by_global_norm(g, 1e6)
    assert all(np.array_equal(small[k], g[k]) for k in g)
    zero = rn.clip_by_global_norm({"a": np.zeros(3)}, 1.0)
    assert np.array_equal(zero["a"], np.zeros(3))
    with pytest.raises(ValueError, match="max_norm"):
        rn.clip_by_global_norm(g, 0.0)
    with pytest.raises(ValueError, match="non-empty"):
        rn.clip_by_global_norm({}, 1.0)


def test_adagrad_step_values_and_purity():
    p = {"w": np.array([1.0, -2.0]), "b": np.array([0.5])}
    g = {"w": np.array([0.3, -4.0]), "b": np.array([0.0])}
    m = {"w": np.array([0.16, 0.0]), "b": np.array([1.0])}
    new_p, new_m = rn.adagrad_step(p, g, m, 0.1)
    assert np.allclose(new_m["w"], [0.25, 16.0]) and np.allclose(new_m["b"], [1.0])
    assert np.allclose(new_p["w"], [1.0 - 0.1 * 0.3 / np.sqrt(0.25 + 1e-8), -2.0 + 0.1 * 4.0 / np.sqrt(16.0 + 1e-8)])
    assert np.array_equal(new_p["b"], p["b"])
    assert np.array_equal(p["w"], [1.0, -2.0]) and np.array_equal(m["w"], [0.16, 0.0])  # inputs untouched
    # the first step from zero memory moves every entry by lr (up to ε): Adagrad's η·sign(g)
    q, _ = rn.adagrad_step(p, g, {k: np.zeros_like(v) for k, v in p.items()}, 0.1)
    assert np.allclose(np.abs(q["w"] - p["w"]), 0.1, rtol=1e-6)
    with pytest.raises(ValueError, match="learning rate"):
        rn.adagrad_step(p, g, m, -1.0)
    with pytest.raises(ValueError, match="no gradient"):
        rn.adagrad_step(p, {"w": g["w"]}, m, 0.1)
    with pytest.raises(ValueError, match="must match"):
        rn.adagrad_step(p, {**g, "w": np.zeros(3)}, m, 0.1)


def test_train_char_rnn_learns_and_carries_the_state():
    text = "the cat sat on the mat and the dog sat on the log " * 40
    vocab = rn.Vocab.build(text)
    ids = vocab.encode(text)
    V = len(vocab)
    p0 = rn.init_rnn_params(V, 16, V, np.random.default_rng(0))
    seen = []

    def spy(params, X, Y, h):
        seen.append(np.array(h))
        return rn.char_rnn_loss(params, X, Y, h)

    run = rn.train_char_rnn(p0, ids, loss_fn=spy, batch_size=4, num_steps=10, n_steps=150, lr=0.1,
                            rng=np.random.default_rng(1), progress=False)
    assert len(run.losses) == len(run.smooth) == len(run.grad_norms) == 150
    assert run.mean_loss(20) < 0.5 * np.log(V)  # a repetitive text is learnt far below a uniform guess
    assert np.array_equal(p0["W_hh"], rn.init_rnn_params(V, 16, V, np.random.default_rng(0))["W_hh"])  # untouched
    assert np.all(seen[0] == 0) and np.any(seen[1] != 0)  # zeros at the start of a pass, then carried
    assert set(rn.sample(run.params, vocab, "the ", 50, 0.5, np.random.default_rng(0))) <= set(text)
    def in_place(params, g, m, lr):  # min-char-rnn's style: mutate and return the same dicts
        for k in params:
            m[k] += g[k] * g[k]
            params[k] -= lr * g[k] / np.sqrt(m[k] + 1e-8)
        return params, m

    run2 = rn.train_char_rnn(p0, ids, clip_fn=rn.clip_grad_norm, update_fn=in_place, batch_size=4, num_steps=10,
                             n_steps=150, lr=0.1, rng=np.random.default_rng(1), progress=False)
    assert np.array_equal(p0["W_hh"], rn.init_rnn_params(V, 16, V, np.random.default_rng(0))["W_hh"])
    assert run2.losses == pytest.approx(run.losses, rel=1e-9)  # the same run as with the pure reference
    with pytest.raises(ValueError, match="batch_size"):
        rn.train_char_rnn(p0, ids, batch_size=0, progress=False)
    with pytest.raises(ValueError, match="loss became"):
        rn.train_char_rnn(p0, ids, loss_fn=lambda p, X, Y, h: (np.nan, rn.char_rnn_loss(p, X, Y, h)[1], h),
                          n_steps=3, progress=False)


# --- the checkers: learner-style implementations, right and wrong ---------------------------------

def learner_loss(params, X, Y, h_prev, mistake=None):
    """A learner's min-char-rnn in row form, written independently of the reference and the checker,
    with typical mistakes switched on by name (one name or a tuple of names)."""
    mistakes = set(mistake) if isinstance(mistake, tuple) else {mistake}
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in KEYS)
    T, B = X.shape
    N = T * B
    h = np.zeros_like(h_prev) if "ignore_h_prev" in mistakes else h_prev.copy()
    hs, ps = [h], []
    loss = 0.0
    for t in range(T):
        rec = 0.0 if "forward_no_recurrence" in mistakes else hs[-1] @ W_hh
        h = np.tanh(W_xh[X[t]] + rec + b_h)
        hs.append(h)
        o = h @ W_hy + b_y
        if "overflow" not in mistakes:
            o = o - o.max(axis=1, keepdims=True)
        p = np.exp(o) / np.exp(o).sum(axis=1, keepdims=True)
        ps.append(p)
        loss -= np.log(p[np.arange(B), Y[t]]).sum()
    if "summed_loss" not in mistakes:
        loss /= N
    g = {k: np.zeros_like(v) for k, v in params.items()}
    dh_next = np.zeros_like(h_prev)
    for t in reversed(range(T)):
        dy = ps[t].copy()
        dy[np.arange(B), Y[t]] -= 1
        if "summed_loss" not in mistakes:
            dy /= N
        g["W_hy"] += hs[t + 1].T @ dy
        g["b_y"] += dy.sum(0)
        dh = dy @ W_hy.T + (0.0 if "no_dh_next" in mistakes else dh_next)
        dhraw = (1 - hs[t + 1] ** 2) * dh
        for b in range(B):
            g["W_xh"][X[t, b]] += dhraw[b]
        g["W_hh"] += dhraw.T @ hs[t] if "dWhh_transposed" in mistakes else hs[t].T @ dhraw
        g["b_h"] += dhraw.sum(0)
        dh_next = dhraw @ (W_hh if "back_not_transposed" in mistakes else W_hh.T)
    if "divide_twice" in mistakes:
        g = {k: v / N for k, v in g.items()}
    if "column_dWxh" in mistakes:
        g["W_xh"] = g["W_xh"].T
    return float(loss), g, (h_prev if "return_h_prev" in mistakes else hs[-1])


@pytest.mark.parametrize("mistake, hint", [
    ("no_dh_next", "h_{t−1} path is missing in BPTT"),
    ("back_not_transposed", "wrong transpose going back in time"),
    ("dWhh_transposed", "dW_hh is transposed"),
    ("overflow", "overflows. Subtract each row's maximum"),
    ("divide_twice", "divided by T·B twice"),
    ("summed_loss", "*sum* over the T·B characters"),
    ("forward_no_recurrence", "forward pass misses the h_{t−1} path"),
    ("ignore_h_prev", "carried across batches"),
    ("return_h_prev", "you return the h_prev you were given"),
    ("column_dWxh", "transposed: the gradient of W_xh has W_xh's shape"),
])
def test_loss_checker_rejects_each_mistake_with_its_hint(mistake, hint):
    fb = lesson10.check_loss(lambda p, X, Y, h: learner_loss(p, X, Y, h, mistake))
    assert not fb.passed
    assert hint in fb.message, fb.message


def test_loss_checker_hints_one_mistake_at_a_time_like_the_lessons_scaffold():
    # the lesson's first attempt has both: the forward pass is reported first, then BPTT once it is fixed
    both = lesson10.check_loss(lambda p, X, Y, h: learner_loss(p, X, Y, h, ("overflow", "no_dh_next")))
    assert "overflows" in both.message
    fixed = lesson10.check_loss(lambda p, X, Y, h: learner_loss(p, X, Y, h, ("no_dh_next",)))
    assert "h_{t−1} path is missing in BPTT" in fixed.message


def test_loss_checker_accepts_right_implementations():
    assert lesson10.check_loss(learner_loss).passed
    assert lesson10.check_loss(rn.char_rnn_loss).passed
    assert "central differences of your own loss (relative error < 1e-6)" in lesson10.check_loss(learner_loss).message


def test_loss_checker_reports_a_gradient_bug_it_has_no_name_for():
    def odd(p, X, Y, h):
        loss, g, h_T = learner_loss(p, X, Y, h)
        g["b_h"] = g["b_h"] + 0.01
        return loss, g, h_T

    fb = lesson10.check_loss(odd)
    assert not fb.passed and "db_h (relative error" in fb.message and "dW_xh" not in fb.message


def test_loss_checker_explains_bad_return_values_and_exceptions():
    assert "return three things" in lesson10.check_loss(lambda p, X, Y, h: 1.0).message
    assert "ZeroDivisionError" in lesson10.check_loss(lambda p, X, Y, h: 1 / 0).message

    def mutates(p, X, Y, h):
        out = rn.char_rnn_loss(p, X, Y, h)
        h += 1.0
        return out

    assert "in place" in lesson10.check_loss(mutates).message


def test_clip_checker():
    c = lesson10.check_clip
    fb = c(lambda g, m: {k: np.clip(v, -m, m) for k, v in g.items()})
    assert not fb.passed and "element-wise clipping" in fb.message
    assert "each array by its own norm" in c(
        lambda g, m: {k: v * min(1.0, m / np.linalg.norm(v)) if np.linalg.norm(v) else v for k, v in g.items()}).message

    def always(g, m):
        n = np.sqrt(sum((v ** 2).sum() for v in g.values()))
        return {k: v * m / n for k, v in g.items()}

    assert "never makes a gradient longer" in c(always).message

    def no_zero_guard(g, m):
        n = np.sqrt(sum((v ** 2).sum() for v in g.values()))
        return {k: v * (m / n if n > m else 1.0) for k, v in g.items()} if n > 0 else {k: v / n for k, v in g.items()}

    assert "zero gradient" in c(no_zero_guard).message
    assert c(rn.clip_by_global_norm).passed
    assert c(rn.clip_grad_norm).passed  # (clipped, norm) is accepted too

    def mine(g, m):
        n = np.sqrt(sum(np.sum(v * v) for v in g.values()))
        return {k: v * m / n for k, v in g.items()} if n > m else dict(g)

    assert c(mine).passed


def test_adagrad_checker():
    c = lesson10.check_adagrad

    def make(accumulate=True, square=True, sqrt=True, sign=-1, old_memory=False):
        def fn(p, g, m, lr):
            new_m = {k: (m[k] if accumulate else 0) + (g[k] ** 2 if square else g[k]) for k in p}
            G = m if old_memory else new_m
            return {k: p[k] + sign * lr * g[k] / (np.sqrt(G[k] + 1e-8) if sqrt else G[k] + 1e-8) for k in p}, new_m
        return fn

    assert "accumulate" in c(make(accumulate=False)).message
    assert "squared" in c(make(square=False)).message
    assert "square root" in c(make(sqrt=False)).message
    assert "the sign" in c(make(sign=+1)).message
    assert "old memory" in c(make(old_memory=True)).message
    assert "two dicts" in c(lambda p, g, m, lr: p).message
    assert c(make()).passed
    assert c(rn.adagrad_step).passed

    def in_place(p, g, m, lr):  # min-char-rnn's style: mutate and return the same dicts
        for k in p:
            m[k] += g[k] * g[k]
            p[k] -= lr * g[k] / np.sqrt(m[k] + 1e-8)
        return p, m

    assert c(in_place).passed


def test_choose_names_what_is_used():
    ok = lesson10.Feedback("x", True, "")
    no = lesson10.Feedback("x", False, "")
    mine = lambda: None  # noqa: E731
    assert lesson10.choose(ok, mine, rn.char_rnn_loss, "loss") == (mine, "loss: yours")
    fn, msg = lesson10.choose(no, mine, rn.char_rnn_loss, "loss")
    assert fn is rn.char_rnn_loss and "reference rn.char_rnn_loss" in msg
