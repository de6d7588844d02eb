"""twin_divergence (lesson 8): a well-conditioned run keeps a last-bit difference small, a chaotic one does not."""

import numpy as np
import pytest

import rnnedu as rn
from rnnedu.evaluation import twin_divergence


def quadratic(params, batch):
    # L = ½‖x − c‖², gradient x − c: gradient descent contracts every difference
    c = np.arange(params["x"].size, dtype=float)
    return 0.5 * float(np.sum((params["x"] - c) ** 2)), {"x": params["x"] - c}


def logistic(params, batch):
    # with SGD(lr=1) the step x ← x − g is the logistic map x ← 4x(1 − x): chaotic on (0, 1)
    x = params["x"]
    return 0.0, {"x": x - 4.0 * x * (1.0 - x)}


def test_well_conditioned_run_stays_at_round_off():
    p = {"x": np.array([0.3, -1.7, 2.5])}
    d = twin_divergence(p, quadratic, lambda: [None], lambda: rn.SGD(0.5), 200)
    assert d < 1e-14


def test_chaotic_run_is_amplified_to_order_one():
    p = {"x": np.array([0.2113, 0.7, 0.4])}
    d = twin_divergence(p, logistic, lambda: [None], lambda: rn.SGD(1.0), 120)
    assert d > 1e-2


def test_params_are_not_changed_and_runs_match_fit():
    p = {"x": np.array([0.3, -1.7])}
    before = p["x"].copy()
    twin_divergence(p, quadratic, lambda: [None], lambda: rn.SGD(0.5), 5)
    assert np.array_equal(p["x"], before)


def test_real_classifier_twins_agree():
    # the lesson's tanh RNN at a small size: a few Adam steps keep the twins at round-off
    rng = np.random.default_rng(0)
    names = ["Nagy", "Jansen", "Rossi", "Kovács", "Virtanen", "Müller"]
    labels = np.array([0, 1, 2, 0, 3, 4])
    vocab = rn.Vocab.build(names)
    batch = rn.NameBatch(*rn.encode_names(names, vocab), labels)
    p = rn.init_classifier_params(len(vocab), 8, 5, rng)
    d = twin_divergence(p, rn.rnn_classifier_loss, lambda: [batch], lambda: rn.Adam(1e-2), 30, clip_norm=5.0)
    assert 0 < d < 1e-10


@pytest.mark.parametrize("kw, match", [
    (dict(params={}), "non-empty dict"),
    (dict(make_batches=[None]), "zero-argument"),
    (dict(n_steps=0), "n_steps"),
])
def test_bad_input(kw, match):
    args = dict(params={"x": np.ones(2)}, loss_and_grads=quadratic, make_batches=lambda: [None],
                make_optimizer=lambda: rn.SGD(0.1), n_steps=3)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        twin_divergence(**args)


def test_diverging_run_is_reported():
    def explode(params, batch):
        return float(np.sum(params["x"] ** 2)), {"x": -1e300 * np.ones_like(params["x"])}
    with pytest.raises(ValueError, match="diverged"):
        twin_divergence({"x": np.ones(2)}, explode, lambda: [None], lambda: rn.SGD(1e10), 5)
