"""Shared widget machinery and lesson 1's explorer, driven without a browser."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import rnnedu as rn
from rnnedu.widgets import live_figure, make_stepper
from rnnedu.widgets.softmax import softmax_explorer


def test_live_figure_leaves_pyplot_backend_alone():
    before = matplotlib.get_backend()
    fig, ax = live_figure(figsize=(3, 2))
    assert matplotlib.get_backend() == before
    assert type(fig.canvas).__name__ == "Canvas" and fig.canvas.toolbar_visible is False
    assert plt.get_fignums() == []  # not registered with pyplot, so never shown twice


def test_stepper_calls_back_and_clamps():
    seen = []
    stepper = make_stepper(4, seen.append)
    assert seen == [0]
    stepper.next_button.click()
    stepper.next_button.click()
    assert stepper.step == 2 and seen == [0, 1, 2]
    stepper.step = 3
    stepper.next_button.click()  # already at the last step
    assert stepper.step == 3
    for _ in range(5):
        stepper.prev_button.click()
    assert stepper.step == 0 and seen[-1] == 0
    assert stepper.play.max == 3 and stepper.slider.max == 3


def test_stepper_needs_a_step():
    with pytest.raises(ValueError, match="at least one step"):
        make_stepper(0, print)


def test_softmax_explorer_update_moves_artists():
    ex = softmax_explorer(logits=(2.0, 1.0, 0.1, -1.0))
    heights = np.array([b.get_height() for b in ex.bars])
    np.testing.assert_allclose(heights, rn.softmax([2.0, 1.0, 0.1, -1.0]))
    a, jac = ex.update([0.0, 0.0, 0.0, 3.0], temperature=0.5)
    np.testing.assert_allclose(a, rn.softmax(np.array([0.0, 0.0, 0.0, 3.0]) / 0.5))
    np.testing.assert_allclose([b.get_height() for b in ex.bars], a)
    np.testing.assert_allclose(ex.image.get_array(), jac)
    assert "a = [" in ex.readout.value


def test_softmax_explorer_sliders_drive_update():
    ex = softmax_explorer()
    ex.sliders[3].value = 5.0
    ex.temperature.value = 10.0
    z = np.array([s.value for s in ex.sliders]) / 10.0
    np.testing.assert_allclose([b.get_height() for b in ex.bars], rn.softmax(z))
    # high temperature flattens the distribution
    assert max(b.get_height() for b in ex.bars) < 0.4


def test_softmax_explorer_blits_after_the_first_draw():
    ex = softmax_explorer()
    draws = []
    ex.fig.canvas.mpl_connect("draw_event", lambda e: draws.append(e))
    ex.fig.canvas.draw()  # the first full draw saves the background
    assert len(draws) == 1 and ex.blit.background is not None
    blits = []
    original = ex.fig.canvas.blit
    ex.fig.canvas.blit = lambda bbox=None: (blits.append(bbox), original(bbox))
    a, _ = ex.update([3.0, 0.0, 0.0, 0.0], 1.0)
    assert len(draws) == 1 and len(blits) == 1  # no full redraw, one blit
    # the blitted pixels are what a full draw gives
    blitted = np.asarray(ex.fig.canvas.buffer_rgba()).copy()
    ex.fig.canvas.draw()
    np.testing.assert_array_equal(blitted, np.asarray(ex.fig.canvas.buffer_rgba()))
    assert ex.image.get_clim() == (-0.25, 0.25)
