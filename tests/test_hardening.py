"""Issue 12: one regression test per numbered item (each failed before its fix), plus issue 16.5.

The gradient checker is never wrong (any memory layout), training reports divergence instead of
crashing, and bad input gets a ValueError that names the argument. Loaders and crafted files are in
``tests/test_loaders.py``; the hypothesis sweep over every public function in
``tests/test_bad_input_properties.py``.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnedu as rn
from rnnedu._checks import ForwardOverflowWarning
from rnnedu.charrnn import init_note_params
from rnnedu.data import RandomBatches, SequentialBatches, Vocab
from rnnedu.gated import gru_backward, gru_forward, init_gru_params
from rnnedu.rnn import truncated_window_loss
from rnnedu.train import SGD, Divergence, clip_grad_norm, fit, global_norm, gradient_cosine


# --- 1. the gradient checker on any memory layout -----------------------------------------------------

def _layouts(base: np.ndarray):
    """The same values in several memory layouts: C, Fortran, transposed, strided views, negative strides."""
    yield "C", np.ascontiguousarray(base)
    yield "F", np.asfortranarray(base)
    if base.ndim == 2:
        yield "transposed", np.ascontiguousarray(base.T).T
    big = np.zeros((2 * base.size + 1,))
    big[1::2] = base.reshape(-1)
    yield "strided", big[1::2].reshape(base.shape) if base.ndim <= 1 else big[1::2][: base.size].reshape(base.shape)
    yield "reversed", np.ascontiguousarray(base.reshape(-1)[::-1])[::-1].reshape(base.shape)


def test_item1_transposed_weight_from_the_issue():
    x = np.arange(6.0).reshape(2, 3).T  # F-ordered: the issue's example
    w = np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 2.0]])
    f = lambda v: float(np.sum(w * v ** 2))  # noqa: E731
    num = rn.numerical_gradient(f, x)
    np.testing.assert_allclose(num, 2 * w * x, rtol=1e-7, atol=1e-8)
    check = rn.check_gradient(f, x, 2 * w * x)
    assert check.ok, check


@settings(max_examples=40, deadline=None)
@given(shape=st.sampled_from([(), (1,), (1, 1), (3,), (2, 3), (3, 2), (2, 2, 2)]),
       seed=st.integers(0, 2**31 - 1))
def test_item1_numerical_gradient_is_right_for_every_memory_layout(shape, seed):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal(shape)
    w = rng.standard_normal(shape)
    f = lambda v: float(np.sum(w * v ** 3))  # noqa: E731
    exact = 3 * w * base ** 2
    if base.ndim == 0:
        layouts = [("0-d", base), ("0-d array", np.array(base))]
    else:
        layouts = list(_layouts(base))
        layouts.append(("view of a bigger array", np.pad(base, 1)[(slice(1, -1),) * base.ndim]))
    for name, x in layouts:
        np.testing.assert_array_equal(x, base)
        num = rn.numerical_gradient(f, x)
        assert num.shape == base.shape, name
        np.testing.assert_allclose(num, exact, rtol=1e-6, atol=1e-7, err_msg=name)
        assert rn.check_gradient(f, x, exact).ok, name


# --- 2. fit reports divergence ------------------------------------------------------------------------

def test_item2_exploding_irnn_runs_report_divergence_instead_of_raising():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no raw numpy RuntimeWarning may escape either
        run = rn.run_task("irnn", "adding", 100, hidden=8, batch_size=8, n_steps=30, optimizer="sgd",
                          clip_norm=None, recurrent_scale=3.0, n_test=8, progress=False)
        h = run.history
        assert isinstance(h.diverged, Divergence) and h.diverged
        assert h.diverged.step == h.steps[-1] and h.steps == list(range(1, h.steps[-1] + 1))
        assert "overflow" in h.diverged.reason and "step t =" in h.diverged.reason
        assert math.isinf(h.losses[-1]) and math.isnan(run.test_loss)
        big = rn.run_task("irnn", "adding", 1000, hidden=4, batch_size=2, n_steps=5, optimizer="sgd",
                          clip_norm=None, recurrent_scale=10.0, n_test=2, progress=False)
        assert big.history.diverged.step == 1 and "overflow" in str(big.history.diverged)


def test_item2_an_update_that_overflows_a_parameter_is_a_divergence():
    def huge(params, batch):
        return 1.0, {"w": np.full(2, 1e308)}

    h = fit({"w": np.zeros(2)}, huge, [0], optimizer=SGD(10.0), n_steps=5, progress=False)
    assert h.diverged.step == 1 and "params['w'] non-finite" in h.diverged.reason


def test_item2_a_loss_that_overflows_and_then_refuses_its_values_is_a_divergence():
    def overflowing_head(params, batch):
        logits = np.array([[1.0, 2.0]]) * np.exp(params["w"][0])  # exp(1000) = inf: an overflow
        return rn.cross_entropy(logits, [0]), {"w": np.ones(1)}  # which then refuses infinite logits

    h = fit({"w": np.array([1000.0])}, overflowing_head, [0], optimizer=SGD(0.1), n_steps=3, progress=False)
    assert h.diverged.step == 1 and "overflowed" in h.diverged.reason and "logits z contains" in h.diverged.reason


def test_item2_misspelled_gradient_keys_are_an_error_not_a_divergence():
    def misspelled(params, batch):
        return 1.0, {"W_hx": np.zeros(2)}

    with pytest.raises(ValueError, match=r"no gradient for parameter\(s\) 'W_xh'.*'W_hx'"):
        fit({"W_xh": np.zeros(2)}, misspelled, [0], optimizer=SGD(0.1), n_steps=3, progress=False)


def test_item2_a_user_error_inside_the_loss_still_raises():
    def bad(params, batch):
        return rn.cross_entropy(np.array([[np.nan, 0.0]]), [0]), {"w": np.zeros(1)}

    with pytest.raises(ValueError, match="logits z contains NaN"):
        fit({"w": np.zeros(1)}, bad, [0], optimizer=SGD(0.1), n_steps=2, progress=False)


# --- 3. silent wrong results --------------------------------------------------------------------------

def test_item3_activations_of_integer_input_are_not_truncated():
    np.testing.assert_allclose(rn.apply_activation(np.array([0, 1, 2]), "sigmoid"), 1 / (1 + np.exp(-np.arange(3.0))))
    np.testing.assert_allclose(rn.activation_derivative(np.array([0, 1]), "tanh"), 1 - np.tanh([0.0, 1.0]) ** 2)
    with pytest.raises(ValueError, match="a must be a real numeric array"):
        rn.apply_activation(np.array(["1"]), "tanh")


def _lm(V=5, H=3, seed=0):
    return rn.init_rnn_params(V, H, V, np.random.default_rng(seed))


def test_item3_negative_or_too_large_ids_never_wrap_to_another_class():
    params = _lm()
    with pytest.raises(ValueError, match=r"ids \(targets\) must lie in \[0, 5\)"):
        rn.perplexity(params, np.array([0, 1, 2, 3, -1]), n_streams=1)
    with pytest.raises(ValueError, match=r"ids \(inputs\) must lie in \[0, 5\)"):
        rn.perplexity(params, np.array([0, 7, 2, 1, 3]), n_streams=1)
    X = np.array([[0, 1], [2, 3]])
    hs = rn.rnn_forward(X, None, params["W_xh"], params["W_hh"], params["b_h"])
    for Y in (np.array([[0, -1], [1, 2]]), np.array([[0, 5], [1, 2]])):
        with pytest.raises(ValueError, match="Y label out of range"):
            truncated_window_loss(params, X, Y, truncate=1, hs_frozen=hs)


def test_item3_duplicate_languages_float_sizes_labels_ids_and_nan_settings_are_refused():
    with pytest.raises(ValueError, match="English more than once"):
        rn.load_names(["English", "English"])
    with pytest.raises(ValueError, match=r"sizes\[0\] must be an integer"):
        rn.init_mlp((2.7, 4, 3))
    vocab = Vocab.build("abc")
    with pytest.raises(ValueError, match="labels must hold integers"):
        rn.NameBatches(["ab", "c"], [0.0, 1.5], vocab, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="ids must hold integers"):
        vocab.decode([1.9])
    with pytest.raises(ValueError, match="eps must be a positive finite"):
        rn.numerical_gradient(np.sum, np.ones(2), eps=float("inf"))
    with pytest.raises(ValueError, match="min_freq must be an integer"):
        Vocab.build("aab", min_freq=float("nan"))
    assert vocab.decode([1, 2]) == "".join(vocab.itos[1:3]) and vocab.decode([]) == ""


# --- 4. no empty epochs -------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [RandomBatches, SequentialBatches])
def test_item4_every_accepted_corpus_yields_a_batch_in_every_epoch(cls):
    B, T = 3, 4
    for n in range(B * T + 1, B * T + T + 1):  # B·T + 1 … B·T + T: before the fix, empty epochs
        ids = np.arange(n)  # distinct ids: position = value
        for seed in range(12):
            batches = cls(ids, B, T, np.random.default_rng(seed))
            for _ in range(3):
                got = list(batches)
                assert got and got[0].new_epoch, (n, seed)
                for b in got:
                    assert b.X.shape == b.Y.shape == (T, B)
                    np.testing.assert_array_equal(b.Y, b.X + 1)  # the next token
    params = _lm()
    h = fit(params, rn.LanguageModelLoss(carry=cls is SequentialBatches),
            cls(np.arange(B * T + 1) % 5, B, T, np.random.default_rng(1)), optimizer=SGD(0.1), n_steps=4,
            progress=False)
    assert len(h.losses) == 4 and not h.diverged


def test_item4_large_corpora_draw_the_same_offsets_as_before():
    ids = np.arange(10_000)
    T = 5
    offset = int(np.random.default_rng(3).integers(T))  # the draw before the fix: rng.integers(T)
    X = next(iter(RandomBatches(ids, 4, T, np.random.default_rng(3)))).X
    assert np.all(X[0] % T == offset)
    first = next(iter(SequentialBatches(ids, 4, T, np.random.default_rng(3)))).X
    assert first[0, 0] == offset


# --- 5. norms without overflow ------------------------------------------------------------------------

def test_item5_relative_error_and_norms_of_huge_and_tiny_numbers():
    assert rn.relative_error([1e200, 0], [2e200, 0]) == pytest.approx(0.5)
    assert rn.relative_error([1e-200, 0], [2e-200, 0]) == pytest.approx(0.5)
    assert rn.relative_error([1e308, 0], [-1e308, 0]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="a contains infinity"):
        rn.relative_error([np.inf, 0], [1.0, 0])
    g = {"a": np.array([3e200, 0.0]), "b": np.array([[4e200]])}
    assert global_norm(g) == pytest.approx(5e200)
    clipped, norm = clip_grad_norm(g, 1.0)
    assert norm == pytest.approx(5e200) and global_norm(clipped) == pytest.approx(1.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    assert global_norm({"a": np.array([3e-170, 4e-170])}) == pytest.approx(5e-170)
    assert gradient_cosine(g, {"a": -g["a"], "b": -g["b"]}) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match=r"grads\['a'\] contains NaN or infinity"):
        clip_grad_norm({"a": np.array([np.inf, 0.0])}, 1.0)
    assert global_norm({"a": np.array([np.inf, 0.0])}) == math.inf


# --- 6. heads validate their parameters ---------------------------------------------------------------

def test_item6_heads_refuse_nan_and_misshaped_parameters():
    rng = np.random.default_rng(0)
    p = rn.init_classifier_params(4, 3, 2, rng)
    ids, lengths = np.array([[1, 2], [3, 0]]), np.array([2, 1])
    bad = dict(p, W_hy=np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="W_hy contains NaN"):
        rn.rnn_classifier_logits(bad, ids, lengths)
    with pytest.raises(ValueError, match=r"b_y has shape \(3,\)"):
        rn.rnn_classifier_logits(dict(p, b_y=np.zeros(3)), ids, lengths)
    note = init_note_params(4, 2, rng)
    with pytest.raises(ValueError, match="W1 contains infinity"):
        rn.note_classifier_logits(dict(note, W1=np.full((4, 2), np.inf)), ids, lengths)
    with pytest.raises(ValueError, match=r"b1 has shape"):
        rn.note_classifier_logits(dict(note, b1=np.zeros(5)), ids, lengths)
    vocab = Vocab.build("abcd")
    lm = rn.init_rnn_params(len(vocab), 3, len(vocab), rng)
    with pytest.raises(ValueError, match="W_hy contains NaN"):
        rn.sample(dict(lm, W_hy=np.full_like(lm["W_hy"], np.nan)), vocab, "ab", 8)
    with pytest.raises(ValueError, match="vocab has V = 5 characters"):
        rn.sample(rn.init_rnn_params(7, 3, 7, rng), vocab, "ab", 8)
    assert len(rn.sample(lm, vocab, "ab", 8)) == 8


# --- 7. files that are not regular files (more in test_loaders.py) -------------------------------------

@pytest.mark.parametrize("n_chars", [0, -3, 2.5, "10", True])
def test_item7_load_corpus_refuses_bad_n_chars(n_chars):
    with pytest.raises(ValueError, match="n_chars must be an integer"):
        rn.load_corpus(n_chars=n_chars)


# --- 8. consistent argument checks --------------------------------------------------------------------

def test_item8_gru_init_checks_like_the_rnn_init():
    rng = np.random.default_rng(0)
    for kw, match in [({"scale": np.inf}, "scale must be finite"), ({"D": 2.5}, "D must be an integer"),
                      ({"gate_bias": np.nan}, "gate_bias must be finite")]:
        args = {"D": 2, "H": 3, "rng": rng, **kw}
        with pytest.raises(ValueError, match=match):
            init_gru_params(args.pop("D"), args.pop("H"), args.pop("rng"), **args)
    with pytest.raises(ValueError, match="recurrent_scale=3.0 applies to the vanilla RNN models only"):
        rn.init_model("gru", 2, 3, 1, rng, recurrent_scale=3.0)


@pytest.mark.parametrize("call", [
    lambda r: rn.init_rnn_params(2, 3, 2, r),
    lambda r: init_gru_params(2, 3, r),
    lambda r: rn.init_model("tanh", 2, 3, 1, r),
    lambda r: rn.adding_problem(2, 4, r),
    lambda r: rn.copy_task(2, 4, r),
    lambda r: rn.init_recurrent(3, r, "gaussian"),
    lambda r: rn.init_mlp((2, 3), rng=r),
    lambda r: rn.two_spirals(3, rng=r),
    lambda r: rn.train_test_split(np.array([0, 0, 1, 1]), 0.5, r),
    lambda r: rn.NameBatches(["ab"], [0], Vocab.build("ab"), 1, r),
    lambda r: RandomBatches(np.arange(20), 2, 3, r),
    lambda r: SequentialBatches(np.arange(20), 2, 3, r),
    lambda r: rn.sample(rn.init_rnn_params(3, 2, 3, np.random.default_rng(0)), Vocab.build("ab"), "a", 2, 1.0, r),
    lambda r: init_note_params(3, 2, r),
])
@pytest.mark.parametrize("bad", [0, np.random.RandomState(0), np.random, "seed"])
def test_item8_a_bad_rng_is_a_value_error_naming_rng(call, bad):
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        call(bad)


def test_item8_missing_keys_integer_params_error_bound_and_empty_arrays():
    rng = np.random.default_rng(0)
    params = rn.init_model("tanh", 2, 3, 1, rng)
    batch = rn.adding_problem(2, 4, rng)
    with pytest.raises(ValueError, match="params lacks W_hy"):
        rn.model_loss_and_grads({k: v for k, v in params.items() if k != "W_hy"}, batch, model="tanh", task="adding")
    with pytest.raises(ValueError, match=r"params\['w'\] must be a float numpy array.*int64"):
        SGD(0.1).step({"w": np.zeros(2, dtype=np.int64)}, {"w": np.ones(2)})
    with pytest.raises(ValueError, match="err must be a non-negative"):
        rn.error_bound(-1e-3)
    lm = _lm()
    with pytest.raises(ValueError, match="empty"):
        rn.lm_loss_and_grads(lm, np.zeros((0, 2), dtype=int), np.zeros((0, 2), dtype=int))


# --- 9. exploding forward passes say where ------------------------------------------------------------

def test_item9_rnn_forward_names_the_step_where_it_overflowed():
    rng = np.random.default_rng(9)
    H, T = 8, 1000
    W = rn.init_recurrent(H, rng, "orthogonal", scale=10.0)
    xs = rng.standard_normal((T, 2, 3))
    for act in ("relu", "identity"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hs = rn.rnn_forward(xs, None, rng.standard_normal((3, H)), W, np.zeros(H), act)
        assert len(caught) == 1 and caught[0].category is ForwardOverflowWarning  # no raw numpy warnings
        first_bad = int(np.argmin(np.isfinite(hs).reshape(T, -1).all(axis=1)))
        assert f"at step t = {first_bad + 1} of T = {T}" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rn.rnn_forward(xs, None, rng.standard_normal((3, H)), W, np.zeros(H), "tanh")  # bounded: silent


def test_item9_an_underflowing_norm_is_told_apart_from_an_exact_zero():
    H, T = 2, 400
    W = 0.1 * np.eye(H)
    a = np.ones((T, H))
    with pytest.warns(RuntimeWarning, match=r"underflow: the norm at k = \d+ is 10\^-3\d\d\.\d"):
        n = rn.jacobian_norms(W, a, "identity")
    assert n[0] == 0.0 and rn.jacobian_norms(W, a, "identity", log10=True)[0] == pytest.approx(-400.0)
    dead = -np.ones((T, H))  # every ReLU off: the product is exactly zero, which is not a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rn.jacobian_norms(np.eye(H), dead, "relu")[0] == 0.0


# --- 10. no aliasing ----------------------------------------------------------------------------------

def test_item10_gru_cache_owns_read_only_copies():
    rng = np.random.default_rng(10)
    p = init_gru_params(2, 3, rng)
    xs, h0 = rng.standard_normal((4, 2, 2)), rng.standard_normal((2, 3))
    hs, cache = gru_forward(xs, h0, p)
    dhs = rng.standard_normal(hs.shape)
    before = gru_backward(dhs, cache)
    with pytest.raises(ValueError, match="read-only"):
        cache.params["W_hh"][0, 0] = 5.0
    with pytest.raises(TypeError):
        cache.params["W_hh"] = np.zeros((3, 3))
    SGD(0.5).step(p, {k: np.ones_like(v) for k, v in p.items()})  # an optimiser step in between
    h0 += 1.0
    xs *= 2.0
    after = gru_backward(dhs, cache)
    for k in before:
        np.testing.assert_array_equal(before[k], after[k])


def test_item10_mlp_owns_read_only_copies():
    w, b = np.ones((2, 2)), np.zeros(2)
    net = rn.MLP((w,), (b,))
    w[0, 0] = 7.0
    assert net.weights[0][0, 0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        net.weights[0][0, 0] = 3.0


# --- issue 16.5: the corpus ships with the package ------------------------------------------------------

def test_corpus_ships_with_the_package_and_needs_no_pydoc_data(monkeypatch):
    import hashlib
    import importlib.resources
    import sys

    monkeypatch.setitem(sys.modules, "pydoc_data", None)  # Pyodide has no pydoc_data
    monkeypatch.setitem(sys.modules, "pydoc_data.topics", None)
    text = rn.load_corpus(n_chars=None)
    raw = importlib.resources.files("rnnedu").joinpath("corpus/python_reference.txt").read_bytes()
    # the frozen bytes (a checkout that converted line endings would change lesson 9: .gitattributes -text)
    assert hashlib.sha1(raw).hexdigest() == "4c105a1c0165690685f1706c9c88f7ee9c41153d"
    assert len(text) == 375_756 and set(text) <= set("abcdefghijklmnopqrstuvwxyz ")
    assert rn.load_corpus()[:200] == text[:200] and len(rn.load_corpus()) == 200_000
    notice = importlib.resources.files("rnnedu").joinpath("corpus/README.txt").read_text(encoding="utf-8")
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in notice and "3.11.7" in notice


def test_corpus_is_package_data_in_pyproject():
    """A non-editable ``pip install .`` must carry the corpus: the glob in pyproject matches the file."""
    import fnmatch
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1]
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    globs = re.findall(r'"([^"]+)"', re.search(r"^rnnedu\s*=\s*\[(.*?)\]", section, re.M | re.S).group(1))
    for name in ("corpus/python_reference.txt", "corpus/README.txt"):
        assert (root / "rnnedu" / name).is_file()
        assert any(fnmatch.fnmatch(name, g) for g in globs), (name, globs)
