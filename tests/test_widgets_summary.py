"""Every widget has a text summary under its figure (issue 15): what the figure shows, with the numbers a
screen reader needs, updated with the figure. Each test drives ``update`` and checks the summary states
the values the figure draws."""

import re

import numpy as np
import pytest

import rnnedu as rn
from rnnedu.data import Vocab
from rnnedu.widgets.bptt import bptt_stepper, contribution_explorer, forward_explorer
from rnnedu.widgets.charrnn import name_classifier_box, sampler_box
from rnnedu.widgets.mlp import delta_stepper
from rnnedu.widgets.ordered import ordered_stepper
from rnnedu.widgets.softmax import softmax_explorer
from rnnedu.widgets.training import clipping_explorer


def _below_figure(builder):
    """The summary is displayed, after the figure's canvas, in the widget's tree."""
    def flat(w):
        yield w
        for c in getattr(w, "children", ()):
            yield from flat(c)
    order = list(flat(builder.widget))
    assert builder.summary in order and builder.fig.canvas in order
    assert order.index(builder.summary) > order.index(builder.fig.canvas)


def test_softmax_summary_lists_the_probabilities():
    ex = softmax_explorer()
    a, jac = ex.update([0.0, 3.0, -1.0, 1.0], 0.7)
    _below_figure(ex)
    for i, p in enumerate(a):
        assert f"a{i + 1} = {p:.3f}" in ex.summary.value
    assert "largest a2" in ex.summary.value and "T = 0.70" in ex.summary.value


def test_forward_explorer_summary_states_the_largest_state():
    ex = forward_explorer(T=12, D=2, H=3, seed=1)
    hs = ex.update(1.2, 2.0, "tanh")
    _below_figure(ex)
    assert f"largest |h_t| is {float(np.abs(hs).max()):.3g}" in ex.summary.value
    assert "3 lines" in ex.summary.value and "ρ = 1.20" in ex.summary.value


def _bptt_inputs():
    rng = np.random.default_rng(5)
    T, B, D, H = 6, 2, 3, 4
    xs, h0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H))
    W_xh, W_hh, b_h = rng.normal(size=(D, H)), rng.normal(size=(H, H)) * 0.5, np.zeros(H)
    hs = rn.rnn_forward(xs, h0, W_xh, W_hh, b_h)
    return rng.normal(size=(T, B, H)), xs, hs, h0, W_xh, W_hh


def test_bptt_stepper_summary_gives_delta_and_the_error():
    st = bptt_stepper(*_bptt_inputs())
    info = st.update(2)
    _below_figure(st)
    assert "Backward step 3 of 6" in st.summary.value
    assert f"relative error to the full gradient {info['rel_error']:.2e}" in st.summary.value
    d = st.trace.deltas[info["t"] - 1, 0]
    assert f"δ_{info['t']} = (" + ", ".join(f"{v:+.3f}" for v in d) + ")" in st.summary.value


def test_contribution_summary_gives_the_truncation_error():
    ex = contribution_explorer(*_bptt_inputs(), tau=2)
    err = ex.update(3, "W_xh")
    _below_figure(ex)
    assert f"marker at τ = 3: {err:.2e}" in ex.summary.value and "dW_xh" in ex.summary.value


def test_delta_stepper_summary_names_the_step_and_the_deltas():
    net = rn.init_mlp((2, 3, 2), hidden="tanh", rng=np.random.default_rng(22))
    st = delta_stepper(net, np.array([[0.5, -1.0]]), np.array([1]))
    st.update(2)  # δ of layer 1
    _below_figure(st)
    assert "Step 3 of 4" in st.summary.value and "δ of layer 1" in st.summary.value
    assert "δ(1) = (" + ", ".join(f"{v:+.3f}" for v in st.grads.delta[1][0]) + ")" in st.summary.value


def test_ordered_stepper_summary_gives_the_ordered_derivative():
    st = ordered_stepper(rn.werbos_example(), {"z1": 1.0})
    step = st.update(1)
    _below_figure(st)
    assert f"Step 2 of {len(st.trace)}" in st.summary.value and step.name in st.summary.value
    assert re.search(r"= -?[0-9.]+, from its direct partial", st.summary.value)


def test_clipping_summary_gives_the_cut_fraction_and_cosine():
    rng = np.random.default_rng(7)
    ex = clipping_explorer({"W": rng.normal(size=(5, 5)) * 3, "b": rng.normal(size=5)}, c=1.0)
    out = ex.update(0.3)
    _below_figure(ex)
    assert f"{out['fraction_cut']:.0%} of the entries are cut" in ex.summary.value
    assert f"{out['cos_value']:.3f} element-wise" in ex.summary.value


def test_name_box_summary_gives_the_top_languages():
    vocab = Vocab.build("abcdefgh")
    params = rn.init_rnn_params(len(vocab), 6, 4, np.random.default_rng(0), scale=1.0)
    box = name_classifier_box(params, vocab, ["A", "B", "C", "D"], name="abc")
    best = box.update("fade")
    _below_figure(box)
    for lang, p in best:
        assert f"{lang} {p:.1%}" in box.summary.value
    box.update("")
    assert "no name typed" in box.summary.value


def test_sampler_summary_gives_the_likeliest_next_characters():
    vocab = Vocab.build("abcdefgh ")
    params = rn.init_rnn_params(len(vocab), 6, len(vocab), np.random.default_rng(1), scale=1.0)
    box = sampler_box(params, vocab, prefix="ab ", temperature=1.0, n_chars=40)
    box.update("cab", 0.5, 60)
    _below_figure(box)
    probs = rn.next_char_distribution(params, vocab, "cab", 0.5)
    top = int(np.argmax(probs))
    assert f"{probs[top]:.1%}" in box.summary.value and "60-character sample" in box.summary.value


def test_in_a_kernel_the_formula_follows_the_image(monkeypatch):
    # In a kernel, with its event loop running (as in a comm handler), the texts are set a moment after
    # the image, so the browser paints the image before it typesets the formula; elsewhere, at once.
    # The loop runs in a thread of its own: the browser tests leave playwright's loop in this one.
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import rnnedu.widgets

    st = ordered_stepper(rn.werbos_example(), {"z1": 1.0})
    first = st.formula.value

    async def press():
        st.update(1)
        assert st.formula.value == first  # not yet: the image went out alone
        await asyncio.sleep(0.2)
        return st.formula.value

    reference = ordered_stepper(rn.werbos_example(), {"z1": 1.0})
    reference.update(1)  # not in a kernel: at once
    assert reference.formula.value != first
    monkeypatch.setattr(rnnedu.widgets, "_in_kernel", lambda: True)
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, press()).result() == reference.formula.value
    assert st.summary.value == reference.summary.value and "Step 2 of" in st.summary.value
