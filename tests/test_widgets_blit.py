"""Widgets that blit (redraw only the artists a control moves) must show exactly what a full draw shows.

For each such builder: draw once (saving the background), change the control's value through
``update``, and compare the blitted pixels with a full redraw of the same state. A moving artist left
out of the blit list, or a changed axis, would make them differ.
"""

import numpy as np
import pytest

import rnnedu as rn
from rnnedu.data import Vocab
from rnnedu.widgets.bptt import bptt_stepper
from rnnedu.widgets.charrnn import name_classifier_box, sampler_box
from rnnedu.widgets.softmax import softmax_explorer
from rnnedu.widgets.training import clipping_explorer


def _bptt():
    rng = np.random.default_rng(5)
    T, B, D, H = 6, 2, 3, 4
    xs, h0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H))
    W_xh, W_hh, b_h = rng.normal(size=(D, H)), rng.normal(size=(H, H)) * 0.5, np.zeros(H)
    hs = rn.rnn_forward(xs, h0, W_xh, W_hh, b_h)
    st = bptt_stepper(rng.normal(size=(T, B, H)), xs, hs, h0, W_xh, W_hh)
    return st, lambda: st.update(3)


def _clipping():
    rng = np.random.default_rng(7)
    ex = clipping_explorer({"W": rng.normal(size=(5, 5)) * 3, "b": rng.normal(size=5)}, c=1.0)
    return ex, lambda: ex.update(0.3)


def _name_box():
    vocab = Vocab.build("abcdefgh")
    params = rn.init_rnn_params(len(vocab), 6, 4, np.random.default_rng(0), scale=1.0)
    box = name_classifier_box(params, vocab, ["A", "B", "C", "D"], name="abc")
    return box, lambda: box.update("fade")


def _sampler():
    vocab = Vocab.build("abcdefgh ")
    params = rn.init_rnn_params(len(vocab), 6, len(vocab), np.random.default_rng(1), scale=1.0)
    box = sampler_box(params, vocab, prefix="ab ", temperature=1.0, n_chars=40)
    return box, lambda: box.update("cab", 0.5, 60)


def _contributions():
    from rnnedu.widgets.bptt import contribution_explorer
    rng = np.random.default_rng(5)
    T, B, D, H = 6, 2, 3, 4
    xs, h0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H))
    W_xh, W_hh = rng.normal(size=(D, H)), rng.normal(size=(H, H)) * 0.5
    hs = rn.rnn_forward(xs, h0, W_xh, W_hh, np.zeros(H))
    ex = contribution_explorer(rng.normal(size=(T, B, H)), xs, hs, h0, W_xh, W_hh, tau=2)
    return ex, lambda: (ex.update(4, "W_hh"), ex.update(3, "b_h"))  # τ and the parameter: both blitted


def _forward():
    from rnnedu.widgets.bptt import forward_explorer
    ex = forward_explorer(T=20, D=2, H=3, seed=1)
    # a small move (the stepped y-limit stays), then another φ (the axes are redrawn as a panel)
    return ex, lambda: (ex.update(0.95, 1.0, "tanh"), ex.update(0.9, 1.0, "relu"))


def _delta():
    from rnnedu.widgets.mlp import delta_stepper
    net = rn.init_mlp((2, 3, 2), hidden="tanh", rng=np.random.default_rng(22))
    st = delta_stepper(net, np.array([[0.5, -1.0]]), np.array([1]))
    return st, lambda: st.update(2)


def _ordered():
    from rnnedu.widgets.ordered import ordered_stepper
    st = ordered_stepper(rn.werbos_example(), {"z1": 1.0})
    return st, lambda: st.update(2)


def _softmax():
    ex = softmax_explorer()
    return ex, lambda: ex.update([0.0, 3.0, -1.0, 1.0], 0.7)


@pytest.mark.parametrize("build", [_bptt, _clipping, _name_box, _sampler, _softmax, _contributions, _forward,
                                   _delta, _ordered],
                         ids=["bptt_stepper", "clipping", "name_box", "sampler", "softmax", "contributions",
                              "forward", "delta_stepper", "ordered_stepper"])
def test_blitted_update_equals_a_full_redraw(build):
    builder, change = build()
    canvas = builder.fig.canvas
    canvas.draw()
    before = np.asarray(canvas.buffer_rgba()).copy()
    full_draws = []
    canvas.mpl_connect("draw_event", full_draws.append)
    change()
    assert full_draws == [], "the update should blit, not redraw the whole figure"
    blitted = np.asarray(canvas.buffer_rgba()).copy()
    assert not np.array_equal(blitted, before), "the update changed nothing on the canvas"
    canvas.draw()
    np.testing.assert_array_equal(blitted, np.asarray(canvas.buffer_rgba()))


def test_decay_explorer_blits_and_redraws_fully_only_when_its_limits_step(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNEDU_CACHE_DIR", str(tmp_path))
    from rnnedu.widgets.decay import decay_explorer

    ex = decay_explorer(scale=1.0, T=200, H=16, activation="tanh", init="gaussian")
    canvas = ex.fig.canvas
    canvas.draw()
    full_draws = []
    canvas.mpl_connect("draw_event", full_draws.append)
    ex.update(1.05, 201, 16, "tanh", "gaussian")  # a small move: stepped limits stay, the lines are blitted
    assert full_draws == []
    blitted = np.asarray(canvas.buffer_rgba()).copy()
    canvas.draw()
    np.testing.assert_array_equal(blitted, np.asarray(canvas.buffer_rgba()))
    ex.phase("gaussian", "relu", 16)
    full_draws.clear()
    ex.update(1.05, 201, 16, "relu", "gaussian")  # another activation: a new diagram, blitted too
    assert full_draws == []
    blitted = np.asarray(canvas.buffer_rgba()).copy()
    canvas.draw()
    np.testing.assert_array_equal(blitted, np.asarray(canvas.buffer_rgba()))
    full_draws.clear()
    ex.update(3.5, 900, 16, "relu", "gaussian")  # far away: the limits step; the decay panel is redrawn
    assert full_draws == [] and ex._limits[0] == (0.0, 1000.0)
    assert ex.ax_decay.get_xlim() == (0.0, 1000.0)
    blitted = np.asarray(canvas.buffer_rgba()).copy()
    canvas.draw()
    np.testing.assert_array_equal(blitted, np.asarray(canvas.buffer_rgba()))


def test_the_fast_diff_image_decodes_to_the_figure():
    import io

    from PIL import Image

    ex = softmax_explorer()
    canvas = ex.fig.canvas
    canvas.draw()
    canvas._png_is_old = True
    canvas._force_full = True
    png = canvas.get_diff_image()
    decoded = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    np.testing.assert_array_equal(decoded, np.asarray(canvas.buffer_rgba()))
    before = canvas._last_buff.copy()
    canvas.manager.web_sockets = []  # keep the blit from sending (and consuming) the diff itself
    ex.update([0.0, 3.0, -1.0, 1.0], 0.7)  # blit: a diff image holding exactly the changed pixels
    diff = np.asarray(Image.open(io.BytesIO(canvas.get_diff_image())).convert("RGBA")).view(np.uint32).squeeze(2)
    now = np.asarray(canvas.buffer_rgba()).view(np.uint32).squeeze(2)
    changed = now != before
    assert changed.any()
    np.testing.assert_array_equal(diff[changed], now[changed])
    assert not diff[~changed].any()
