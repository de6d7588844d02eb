"""Issue 12, acceptance: hypothesis drives the public functions with bad input.

Every array argument (and every entry of a parameter dict) is replaced, one at a time, by a wrong
shape, a wrong dtype (int, bool, object, complex, str), NaN or infinity, an empty or 0-d array, None,
or a same-valued list / Fortran-ordered / strided / reversed view; integer ids get negative,
too-large, fractional and boolean values; scalar settings get 0, −1, 2.5, NaN, ±inf, True, "3",
None, lists and bad ``rng`` objects. Each call must end in either

* a result without NaN (for a same-valued view or list: the *same* result as the clean call), or
* a ``ValueError`` / ``TypeError`` / ``FileNotFoundError`` whose message names the argument
  (for a changed shape: one of the function's arguments, since a mismatch involves two of them),

and never in a bare ``IndexError``, ``KeyError``, ``AttributeError`` or a numpy ``RuntimeWarning``
(warnings are errors here). ``max_examples`` is bounded so the whole file runs in seconds.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnnedu as rn
from rnnedu.charrnn import init_note_params, note_classifier_logits
from rnnedu.data import RandomBatches, SequentialBatches, Vocab
from rnnedu.gated import gru_backward, gru_forward, init_gru_params
from rnnedu.rnn import truncated_window_loss
from rnnedu.tasks import last_step_mse, sequence_cross_entropy
from rnnedu.train import SGD, Adam, clip_grad_norm, clip_grad_value, global_norm, gradient_cosine

T, B, D, H, K = 3, 2, 4, 3, 5
OK_ERRORS = (ValueError, TypeError, FileNotFoundError)


def _rng(seed=0):
    return np.random.default_rng(seed)


@dataclass
class Spec:
    """``fn(**make())``; ``floats``/``ids`` name the array arguments (``"params.W_hy"`` for a dict entry);
    ``scalars`` the scalar settings; ``nan_passes``: NaN in, NaN out at the same place is correct."""

    name: str
    fn: Callable
    make: Callable
    floats: tuple = ()
    ids: dict = field(default_factory=dict)  # name -> (low, high) valid range
    scalars: tuple = ()
    nan_passes: bool = False


def _rnn_params(V_in=D, V_out=K, seed=0):
    return rn.init_rnn_params(V_in, H, V_out, _rng(seed))


def _ids(shape, high, seed=1):
    return _rng(seed).integers(0, high, size=shape)


def _gru_problem():
    p = init_gru_params(D, H, _rng(2))
    xs = _rng(3).standard_normal((T, B, D))
    hs, cache = gru_forward(xs, np.zeros((B, H)), p)
    return p, xs, hs, cache


_P = _rnn_params()
_HS = rn.rnn_forward(_ids((T, B), D), None, _P["W_xh"], _P["W_hh"], _P["b_h"])
_VOCAB = Vocab.build("abcd")  # V = 5 with the unknown character
_LM = rn.init_rnn_params(len(_VOCAB), H, len(_VOCAB), _rng(4))
_NET = rn.init_mlp((D, H, K), rng=_rng(5))
_GRU_P, _GRU_XS, _GRU_HS, _GRU_CACHE = _gru_problem()
_NOTE = init_note_params(D, 2, _rng(6))

P_KEYS = tuple(f"params.{k}" for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y"))

SPECS = [
    Spec("softmax", rn.softmax, lambda: {"z": _rng().standard_normal((B, K))}, floats=("z",)),
    Spec("log_softmax", rn.log_softmax, lambda: {"z": _rng().standard_normal((B, K))}, floats=("z",)),
    Spec("softmax_jacobian", rn.softmax_jacobian, lambda: {"z": _rng().standard_normal((B, K))}, floats=("z",)),
    Spec("cross_entropy", rn.cross_entropy, lambda: {"z": _rng().standard_normal((B, K)), "y": _ids((B,), K)},
         floats=("z",), ids={"y": (0, K)}),
    Spec("cross_entropy_delta", rn.cross_entropy_delta,
         lambda: {"z": _rng().standard_normal((B, K)), "y": _ids((B,), K)}, floats=("z",), ids={"y": (0, K)}),
    Spec("numerical_gradient", rn.numerical_gradient,
         lambda: {"f": lambda v: float(np.sum(v ** 2)), "x": _rng().standard_normal((2, 3))},
         floats=("x",), scalars=("eps",)),
    Spec("relative_error", rn.relative_error,
         lambda: {"a": _rng().standard_normal(3), "b": _rng(1).standard_normal(3)}, floats=("a", "b")),
    Spec("check_gradient", lambda **kw: rn.check_gradient(**kw).rel_error,
         lambda: {"f": lambda v: float(np.sum(v ** 2)), "x": np.arange(1.0, 4.0), "analytic": 2 * np.arange(1.0, 4.0)},
         floats=("x", "analytic"), scalars=("tol", "eps")),
    Spec("apply_activation", rn.apply_activation, lambda: {"a": _rng().standard_normal((B, H)), "name": "tanh"},
         floats=("a",), nan_passes=True),
    Spec("activation_derivative", rn.activation_derivative,
         lambda: {"a": _rng().standard_normal((B, H)), "name": "sigmoid"}, floats=("a",), nan_passes=True),
    Spec("rnn_step", rn.rnn_step, lambda: {"x_t": _rng().standard_normal((B, D)), "h_prev": np.zeros((B, H)),
                                           "W_xh": _P["W_xh"], "W_hh": _P["W_hh"], "b_h": _P["b_h"]},
         floats=("x_t", "h_prev", "W_xh", "W_hh", "b_h")),
    Spec("rnn_forward", rn.rnn_forward, lambda: {"xs": _rng().standard_normal((T, B, D)), "h0": np.zeros((B, H)),
                                                 "W_xh": _P["W_xh"], "W_hh": _P["W_hh"], "b_h": _P["b_h"]},
         floats=("xs", "h0", "W_xh", "W_hh", "b_h")),
    Spec("rnn_forward(ids)", rn.rnn_forward, lambda: {"xs": _ids((T, B), D), "h0": None, "W_xh": _P["W_xh"],
                                                      "W_hh": _P["W_hh"], "b_h": _P["b_h"]}, ids={"xs": (0, D)}),
    Spec("rnn_backward", rn.rnn_backward,
         lambda: {"dhs": np.ones((T, B, H)), "xs": _ids((T, B), D), "hs": _HS, "h0": None,
                  "W_xh": _P["W_xh"], "W_hh": _P["W_hh"]},
         floats=("dhs", "hs", "W_xh", "W_hh"), ids={"xs": (0, D)}, scalars=("truncate",)),
    Spec("cross_entropy_head", rn.cross_entropy_head,
         lambda: {"hs": _HS, "W_hy": _P["W_hy"], "b_y": _P["b_y"], "Y": _ids((T, B), K)},
         floats=("hs", "W_hy", "b_y"), ids={"Y": (0, K)}),
    Spec("rnn_loss_and_grads", rn.rnn_loss_and_grads,
         lambda: {"params": dict(_P), "X": _ids((T, B), D), "Y": _ids((T, B), K, 2), "h0": np.zeros((B, H))},
         floats=(*P_KEYS, "h0"), ids={"X": (0, D), "Y": (0, K)}, scalars=("truncate",)),
    Spec("truncated_window_loss", truncated_window_loss,
         lambda: {"params": dict(_P), "X": _ids((T, B), D), "Y": _ids((T, B), K, 2), "hs_frozen": _HS, "truncate": 1},
         floats=(*P_KEYS, "hs_frozen"), ids={"X": (0, D), "Y": (0, K)}, scalars=("truncate",)),
    Spec("hidden_jacobians", rn.hidden_jacobians, lambda: {"hs": _HS, "W_hh": _P["W_hh"]}, floats=("hs", "W_hh")),
    Spec("gru_forward", lambda **kw: gru_forward(**kw)[0],
         lambda: {"xs": _GRU_XS, "h0": np.zeros((B, H)), "params": dict(_GRU_P)},
         floats=("xs", "h0", "params.W_xz", "params.W_hh", "params.b_r")),
    Spec("gru_backward", gru_backward, lambda: {"dhs": np.ones((T, B, H)), "cache": _GRU_CACHE}, floats=("dhs",)),
    Spec("last_step_mse", last_step_mse, lambda: {"h_last": _HS[-1], "W_hy": np.ones((H, 1)), "b_y": np.zeros(1),
                                                  "y": np.ones(B)}, floats=("h_last", "W_hy", "b_y", "y")),
    Spec("sequence_cross_entropy", sequence_cross_entropy,
         lambda: {"hs": _HS, "W_hy": _P["W_hy"], "b_y": _P["b_y"], "Y": _ids((T, B), K)},
         floats=("hs", "W_hy", "b_y"), ids={"Y": (0, K)}),
    Spec("step_jacobian", rn.step_jacobian, lambda: {"W_hh": _P["W_hh"], "a_t": np.ones(H)}, floats=("W_hh", "a_t")),
    Spec("jacobian_norms", rn.jacobian_norms, lambda: {"W_hh": _P["W_hh"], "a": _rng().standard_normal((T, H))},
         floats=("W_hh", "a")),
    Spec("jacobian_product", rn.jacobian_product,
         lambda: {"W_hh": _P["W_hh"], "a": _rng().standard_normal((T, H)), "k": 1}, floats=("W_hh", "a"), scalars=("k",)),
    Spec("pascanu_bound", rn.pascanu_bound, lambda: {"W_hh": _P["W_hh"], "lags": np.arange(4)},
         floats=("W_hh",), ids={"lags": (0, 10**6)}),
    Spec("hidden_delta", rn.hidden_delta,
         lambda: {"delta_next": np.ones((B, K)), "W_next": np.ones((H, K)), "v": np.ones((B, H))},
         floats=("delta_next", "W_next", "v")),
    Spec("weight_gradient", rn.weight_gradient, lambda: {"a_prev": np.ones((B, H)), "delta": np.ones((B, K))},
         floats=("a_prev", "delta")),
    Spec("mlp_loss", rn.mlp_loss, lambda: {"net": _NET, "x": np.ones((B, D)), "y": _ids((B,), K)},
         floats=("x",), ids={"y": (0, K)}),
    Spec("global_norm", global_norm, lambda: {"grads": {"a": np.ones(3), "b": np.ones((2, 2))}},
         floats=("grads.a", "grads.b")),
    Spec("clip_grad_norm", clip_grad_norm, lambda: {"grads": {"a": np.ones(3) * 3}, "max_norm": 1.0},
         floats=("grads.a",), scalars=("max_norm",)),
    Spec("clip_grad_value", clip_grad_value, lambda: {"grads": {"a": np.arange(3.0)}, "limit": 1.0},
         floats=("grads.a",), scalars=("limit",)),
    Spec("gradient_cosine", gradient_cosine, lambda: {"a": {"w": np.arange(1.0, 4.0)}, "b": {"w": np.ones(3)}},
         floats=("a.w", "b.w")),
    Spec("SGD.step", lambda grads, lr: SGD(lr).step({"w": np.ones(3)}, grads),
         lambda: {"grads": {"w": np.ones(3)}, "lr": 0.1}, floats=("grads.w",), scalars=("lr",)),
    Spec("Adam.step", lambda grads, lr: Adam(lr).step({"w": np.ones(3)}, grads),
         lambda: {"grads": {"w": np.ones(3)}, "lr": 0.1}, floats=("grads.w",), scalars=("lr",)),
    Spec("one_hot", rn.one_hot, lambda: {"ids": _ids((T, B), K), "V": K}, ids={"ids": (0, K)}, scalars=("V",)),
    Spec("last_states", rn.last_states, lambda: {"hs": _HS, "lengths": np.array([3, 1])},
         floats=("hs",), ids={"lengths": (1, T + 1)}),
    Spec("rnn_classifier_logits", rn.rnn_classifier_logits,
         lambda: {"params": dict(_P), "ids": _ids((T, B), D), "lengths": np.array([3, 2])},
         floats=P_KEYS, ids={"ids": (0, D), "lengths": (1, T + 1)}),
    Spec("note_classifier_logits", note_classifier_logits,
         lambda: {"params": dict(_NOTE), "ids": _ids((T, B), D), "lengths": np.array([3, 2])},
         floats=("params.W1", "params.b1", "params.W2", "params.b2"), ids={"ids": (0, D), "lengths": (1, T + 1)}),
    Spec("lm_loss_and_grads", lambda **kw: rn.lm_loss_and_grads(**kw)[:2],
         lambda: {"params": dict(_LM), "X": _ids((T, B), 5), "Y": _ids((T, B), 5, 2), "h0": np.zeros((B, H))},
         floats=(*P_KEYS, "h0"), ids={"X": (0, 5), "Y": (0, 5)}),
    Spec("perplexity", rn.perplexity, lambda: {"params": dict(_LM), "ids": _ids(20, 5), "n_streams": 2},
         floats=P_KEYS, ids={"ids": (0, 5)}, scalars=("n_streams",)),
    Spec("sample", rn.sample, lambda: {"params": dict(_LM), "vocab": _VOCAB, "prefix": "ab", "n_chars": 5,
                                       "temperature": 1.0, "rng": _rng()},
         floats=P_KEYS, scalars=("n_chars", "temperature", "rng")),
    Spec("next_char_distribution", rn.next_char_distribution,
         lambda: {"params": dict(_LM), "vocab": _VOCAB, "prefix": "ab", "temperature": 1.0},
         floats=P_KEYS, scalars=("temperature",)),
    Spec("Vocab.decode", lambda ids: _VOCAB.decode(ids), lambda: {"ids": np.array([1, 2, 3])}, ids={"ids": (0, 5)}),
    Spec("accuracy", rn.accuracy, lambda: {"pred": np.array([0, 1, 2]), "labels": np.array([0, 1, 1])},
         ids={"pred": (0, 3), "labels": (0, 3)}),
    Spec("confusion_matrix", rn.confusion_matrix, lambda: {"labels": np.array([0, 1, 2]), "pred": np.array([0, 1, 1]),
                                                          "K": 3}, ids={"labels": (0, 3), "pred": (0, 3)}, scalars=("K",)),
    Spec("majority_baseline", rn.majority_baseline,
         lambda: {"train_labels": np.array([0, 1, 1]), "test_labels": np.array([1, 0])},
         ids={"train_labels": (0, 3)}),
    Spec("top_k", rn.top_k, lambda: {"probs": np.array([0.2, 0.5, 0.3]), "labels": ["a", "b", "c"], "k": 2},
         floats=("probs",), scalars=("k",)),
    Spec("train_test_split", rn.train_test_split,
         lambda: {"labels": np.array([0, 0, 1, 1, 1]), "test_fraction": 0.4, "rng": _rng()},
         ids={"labels": (0, 2)}, scalars=("test_fraction", "rng")),
    Spec("init_rnn_params", rn.init_rnn_params, lambda: {"D": 2, "H": 3, "K": 2, "rng": _rng()},
         scalars=("D", "H", "K", "rng", "scale")),
    Spec("init_gru_params", init_gru_params, lambda: {"D": 2, "H": 3, "rng": _rng()},
         scalars=("D", "H", "rng", "scale", "gate_bias")),
    Spec("init_model", rn.init_model, lambda: {"model": "tanh", "D": 2, "H": 3, "K": 1, "rng": _rng()},
         scalars=("D", "H", "K", "rng", "recurrent_scale")),
    Spec("init_recurrent", rn.init_recurrent, lambda: {"H": 3, "rng": _rng(), "kind": "gaussian"},
         scalars=("H", "rng", "scale")),
    Spec("init_mlp", rn.init_mlp, lambda: {"sizes": (2, 3), "rng": _rng()}, scalars=("rng", "scale", "bias_scale")),
    Spec("adding_problem", rn.adding_problem, lambda: {"n": 2, "lag": 4, "rng": _rng()}, scalars=("n", "lag", "rng")),
    Spec("copy_task", rn.copy_task, lambda: {"n": 2, "lag": 4, "rng": _rng()},
         scalars=("n", "lag", "rng", "n_symbols", "length")),
    Spec("two_spirals", rn.two_spirals, lambda: {"n_per_class": 3, "rng": _rng()},
         scalars=("n_per_class", "turns", "noise", "rng")),
    Spec("RandomBatches", lambda **kw: list(RandomBatches(**kw)),
         lambda: {"ids": np.arange(30) % 5, "batch_size": 2, "num_steps": 3, "rng": _rng()},
         ids={"ids": (0, 5)}, scalars=("batch_size", "num_steps", "rng")),
    Spec("SequentialBatches", lambda **kw: list(SequentialBatches(**kw)),
         lambda: {"ids": np.arange(30) % 5, "batch_size": 2, "num_steps": 3, "rng": _rng()},
         ids={"ids": (0, 5)}, scalars=("batch_size", "num_steps", "rng")),
    Spec("truncation_mask", rn.truncation_mask, lambda: {"T": 4, "truncate": 2}, scalars=("T", "truncate")),
    Spec("error_bound", rn.error_bound, lambda: {"err": 3e-9}, scalars=("err",)),
    Spec("format_power", rn.format_power, lambda: {"x": 1e-7}, scalars=("x",)),
    Spec("load_corpus", rn.load_corpus, lambda: {"n_chars": 50}, scalars=("n_chars",)),
    Spec("Vocab.build", Vocab.build, lambda: {"texts": "aab", "min_freq": 1}, scalars=("min_freq",)),
]


# --- the corruptions ----------------------------------------------------------------------------------------

def _same_values(v: np.ndarray, how: str):
    if how == "list":
        return v.tolist()
    if how == "fortran":
        return np.asfortranarray(v)
    if how == "strided":
        big = np.zeros((2,) + v.shape, dtype=v.dtype)
        big[1] = v
        return np.moveaxis(np.stack([v, v], axis=-1), -1, 0)[1] if v.ndim else v
    if how == "reversed":
        flat = np.ascontiguousarray(v.reshape(-1)[::-1])
        return flat[::-1].reshape(v.shape) if v.ndim else v
    raise AssertionError(how)


def _bad_float(v: np.ndarray, how: str, pos: int):
    w = np.array(v, dtype=np.float64, copy=True)
    if how in ("nan", "inf", "-inf") and w.size:
        w.reshape(-1)[pos % w.size] = float(how)
        return w
    return {
        "int": np.round(w).astype(np.int64), "bool": w > 0, "object": w.astype(object), "complex": w.astype(complex),
        "str": w.astype(str), "empty": np.empty((0,) * max(w.ndim, 1)), "0-d": np.float64(0.5),
        "extra axis": w[..., None], "dropped axis": w.reshape(-1)[:1] if w.ndim <= 1 else w[..., 0],
        "transposed shape": w.T.copy() if w.ndim >= 2 and w.shape != w.shape[::-1] else w[..., None],
        "None": None, "string": "abc",
    }.get(how, w)


def _bad_ids(v: np.ndarray, how: str, pos: int, low: int, high: int):
    w = np.array(v, copy=True)
    i = pos % max(w.size, 1)
    if how == "negative":
        w.reshape(-1)[i] = low - 1
        return w
    if how == "too large":
        w.reshape(-1)[i] = high
        return w
    return {
        "fractional": w + 0.5, "float with nan": np.where(np.arange(w.size).reshape(w.shape) == i, np.nan, w * 1.0),
        "bool": w > 0, "empty": np.empty((0,) * max(w.ndim, 1), dtype=np.int64), "extra axis": w[..., None],
        "object": w.astype(object), "str": w.astype(str), "None": None,
    }[how]


SAME = ("list", "fortran", "strided", "reversed")
FLOAT_BAD = ("nan", "inf", "-inf", "int", "bool", "object", "complex", "str", "empty", "0-d", "extra axis",
             "dropped axis", "transposed shape", "None", "string")
SHAPE_BAD = ("empty", "0-d", "extra axis", "dropped axis", "transposed shape")
IDS_BAD = ("negative", "too large", "fractional", "float with nan", "bool", "empty", "extra axis", "object", "str", "None")
SCALAR_BAD = (0, -1, 2.5, float("nan"), float("inf"), -float("inf"), True, "3", None, [3], {}, np.random.RandomState(0),
              np.float64(-2.0))


def _get(kwargs, name):
    if "." in name:
        outer, key = name.split(".", 1)
        return kwargs[outer][key]
    return kwargs[name]


def _set(kwargs, name, value):
    kwargs = dict(kwargs)
    if "." in name:
        outer, key = name.split(".", 1)
        kwargs[outer] = dict(kwargs[outer])
        kwargs[outer][key] = value
    else:
        kwargs[name] = value
    return kwargs


def _flatten(out):
    if isinstance(out, dict):
        for v in out.values():
            yield from _flatten(v)
    elif isinstance(out, (tuple, list)):
        for v in out:
            yield from _flatten(v)
    elif isinstance(out, np.ndarray) and out.dtype.kind in "fc":
        yield out
    elif isinstance(out, (float, np.floating)):
        yield np.asarray(out)
    elif hasattr(out, "X") and hasattr(out, "Y"):  # LMBatch
        yield out.X.astype(float)


def _call(spec: Spec, kwargs, arg: str, allowed: tuple, nan_in=False):
    """Run once; return ``("result", out)`` or ``("error", message)``; fail on anything else.
    ``arg`` is the label for messages; the names looked for are ``allowed``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            out = spec.fn(**kwargs)
        except OK_ERRORS as exc:
            msg = str(exc)
            assert any(a in msg for a in allowed), f"{spec.name}({arg}): message does not name {allowed}: {msg!r}"
            return "error", msg
        except Exception as exc:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{spec.name} with bad {arg}: {type(exc).__name__}: {exc}")
    for arr in _flatten(out):
        if not (spec.nan_passes and nan_in):
            assert not np.isnan(arr).any(), f"{spec.name} with bad {arg} returned NaN silently"
    return "result", out


def _names(arg: str) -> tuple:
    base = arg.split(".", 1)[-1]
    alias = {"z": ("logits z",), "x": ("x",), "Y": ("Y", "labels"), "ids": ("ids", "id"), "y": ("y",)}
    return (base,) + alias.get(base, ())


def _all_names(spec: Spec) -> tuple:
    names = set()
    for a in (*spec.floats, *spec.ids, *spec.scalars):
        names.update(_names(a))
    names.update(k.split(".", 1)[-1] for k in spec.make())
    return tuple(names) + ("shape", "dimension")


def _assert_same(a, b):
    if isinstance(a, dict):
        assert set(a) == set(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, (np.ndarray, float, int, np.floating)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


ARRAY_CASES = [(s, a) for s in SPECS for a in (*s.floats, *s.ids)]
SCALAR_CASES = [(s, a) for s in SPECS for a in s.scalars]


@pytest.mark.parametrize("spec, arg", ARRAY_CASES, ids=[f"{s.name}-{a}" for s, a in ARRAY_CASES])
@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(pos=st.integers(0, 10**6))
def test_bad_arrays(spec, arg, pos):
    """Every corruption of ``arg`` (all of them, each example); hypothesis picks where NaN, inf or a bad id goes."""
    clean = spec.make()
    v = np.asarray(_get(clean, arg))
    expected = spec.fn(**spec.make())
    for how in SAME:
        kind, out = _call(spec, _set(spec.make(), arg, _same_values(v, how)), arg, _names(arg))
        assert kind == "result", f"{spec.name}: a {how} of valid {arg} was refused: {out}"
        _assert_same(out, expected)
    for how in (IDS_BAD if arg in spec.ids else FLOAT_BAD):
        bad = _bad_ids(v, how, pos, *spec.ids[arg]) if arg in spec.ids else _bad_float(v, how, pos)
        allowed = _all_names(spec) if how in SHAPE_BAD or how == "None" else _names(arg)
        _call(spec, _set(spec.make(), arg, bad), f"{arg} ({how})", allowed, nan_in=how == "nan")


@pytest.mark.parametrize("spec, arg", SCALAR_CASES, ids=[f"{s.name}-{a}" for s, a in SCALAR_CASES])
def test_bad_scalars(spec, arg):
    for bad in SCALAR_BAD:
        _call(spec, _set(spec.make(), arg, bad), f"{arg} = {bad!r}", _names(arg))
