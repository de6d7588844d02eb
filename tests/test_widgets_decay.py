"""Lesson 6's DecayExplorer, driven without a browser: what it draws equals what rnnedu.decay computes,
overflow is said in words, and the phase diagram is computed once per setting, not per slider move."""

import math

import numpy as np
import pytest

from rnnedu import decay as dc
from rnnedu.widgets import decay as wd


@pytest.fixture(scope="module")
def explorer():
    return wd.DecayExplorer(H=8, T=50, scale=1.0, activation="tanh", init="gaussian")


def test_drawn_lines_are_the_computed_profile(explorer):
    prof = explorer.update(1.3, 120, 8, "tanh", "orthogonal")
    Wb, lam, rho = explorer.base("orthogonal", 8)
    a = dc.driven_preactivations(explorer.inputs(8)[:120], Wb, "tanh", scale=1.3)
    full = dc.jacobian_norms(1.3 * Wb, a, "tanh", log10=True)[::-1]  # by lag
    x, y = explorer.lines["observed"].get_data()
    np.testing.assert_array_equal(x, prof.lags)
    np.testing.assert_allclose(y, full[prof.lags.astype(int)], rtol=1e-12)
    xb, yb = explorer.lines["bound"].get_data()
    np.testing.assert_allclose(yb, prof.lags * math.log10(1.3 * lam), rtol=1e-12)
    assert lam == pytest.approx(1.0)  # orthogonal base: every singular value 1
    assert explorer.ax_decay.get_xlim() == (0.0, 120.0)
    mx, my = explorer.marker.get_data()
    assert (mx[0], my[0]) == (1.3, 120)
    assert prof.regime in explorer.readout.value


def test_overflow_is_said_and_nothing_infinite_is_drawn(explorer):
    prof = explorer.update(3.0, 1000, 8, "identity", "orthogonal")
    assert prof.overflow
    assert "overflow: the norm passed the float64 range (≈1.8e308)" in explorer.readout.value
    assert explorer.overflow_note.get_visible()  # the plot says it too
    assert explorer.overflow_note.get_text().startswith("overflow: the norm passed the float64 range")
    assert prof.log10_total == pytest.approx(1000 * math.log10(3.0), rel=1e-10)
    for line in explorer.lines.values():
        assert np.all(np.isfinite(np.asarray(line.get_ydata(), dtype=float)))
    lo, hi = explorer.ax_decay.get_ylim()
    assert hi > dc.OVERFLOW_LOG10 > lo  # the float64 line is in view


def test_in_range_norm_is_not_called_overflow(explorer):
    prof = explorer.update(3.0, 300, 8, "identity", "orthogonal")
    assert not prof.overflow and "overflow" not in explorer.readout.value.split("<br>")[1]
    assert "10^143.1" in explorer.readout.value  # 3^300 ≈ 1.4e143 fits in float64
    assert not explorer.overflow_note.get_visible()


def test_dead_relus_are_stated_not_plotted_as_minus_infinity(explorer):
    prof = explorer.update(1.0, 400, 8, "relu", "identity")  # IRNN: every unit dies at least once
    assert prof.zero_from_lag is not None and np.isneginf(prof.log10_total)
    assert f"exactly 0 from lag {prof.zero_from_lag}" in explorer.readout.value
    y = np.asarray(explorer.lines["observed"].get_ydata(), dtype=float)
    assert not np.any(np.isinf(y)) and np.isnan(y[-1]) and np.isfinite(y[0])  # a gap, not −inf
    assert prof.regime == "vanishing"


def test_phase_diagram_is_cached(explorer, monkeypatch):
    calls = []
    real = wd.phase_diagram
    monkeypatch.setattr(wd, "phase_diagram", lambda *a, **k: calls.append(a[-1]) or real(*a, **k))
    explorer.update(1.0, 50, 8, "sigmoid", "identity")
    assert len(calls) == 1
    for s in (0.5, 1.5, 2.0):
        for T in (10, 200):
            explorer.update(s, T, 8, "sigmoid", "identity")
    assert len(calls) == 1  # moving scale and length never recomputes it
    explorer.update(1.0, 50, 8, "tanh", "gaussian")
    explorer.update(1.0, 50, 8, "sigmoid", "identity")
    assert len(calls) == 1  # both settings were cached already
    np.testing.assert_allclose(np.asarray(explorer.mesh.get_array()).reshape(wd.PHASE_LENGTHS.size, -1),
                               np.clip(explorer.phase("identity", "sigmoid", 8), -20, 20).T)


def test_phase_diagram_point_matches_the_profile(explorer):
    j = int(np.flatnonzero(wd.PHASE_LENGTHS == 100)[0])
    s = float(wd.PHASE_SCALES[6])
    prof = explorer.update(s, 100, 8, "tanh", "gaussian")
    assert explorer.phase("gaussian", "tanh", 8)[6, j] == pytest.approx(prof.log10_total, abs=1e-8)


def test_sliders_drive_update(explorer):
    explorer.update(1.0, 50, 8, "tanh", "gaussian")
    explorer.hidden.value = 8
    explorer.activation.value = "tanh"
    explorer.init.value = "gaussian"
    explorer.scale.value = 2.0
    assert explorer.profile.lambda1 == pytest.approx(2.0 * explorer.base("gaussian", 8)[1])
    explorer.length.value = 77
    assert explorer.profile.lags[-1] == 77


def test_bad_length_raises(explorer):
    with pytest.raises(ValueError, match=r"sequence length T must lie in \[1, 1000\]"):
        explorer.update(1.0, 0, 8, "tanh", "gaussian")


def test_unscaled_randn_weights_overflow_at_scale_3_and_length_300():
    # The example: weight scale 3, T = 300. With randn(H, H)·s (no 1/√H) at H = 64 the norm
    # passes the float64 range; the readout and the plot say so, and no infinite value is drawn.
    ex = wd.decay_explorer(scale=3.0, T=300, H=64, activation="identity", init="randn")
    assert ex.compute(3.0, 300, 64, "identity", "randn").overflow
    assert "overflow" in ex.readout.value.lower()
    assert ex.overflow_note.get_visible() and "overflow" in ex.overflow_note.get_text().lower()
    for line in ex.ax_decay.get_lines():
        assert not np.isinf(np.asarray(line.get_ydata(), dtype=float)).any()
    # tanh on the same weights: saturation (φ' < 1) pulls the norm back into range, though it still explodes
    assert not ex.compute(3.0, 300, 64, "tanh", "randn").overflow
