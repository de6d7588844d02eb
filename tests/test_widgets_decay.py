"""Lesson 6's DecayExplorer, driven without a browser: what it draws equals what rnnedu.decay computes,
overflow is said in words, and the phase diagram is computed once per setting, not per slider move."""

import math

import numpy as np
import pytest

from rnnedu import decay as dc
from rnnedu.widgets import decay as wd


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    """Phase diagrams cached in a temporary folder, not the user's cache."""
    with pytest.MonkeyPatch.context() as mp:
        path = tmp_path_factory.mktemp("rnnedu-cache")
        mp.setenv("RNNEDU_CACHE_DIR", str(path))
        yield path


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
    x0, x1 = explorer.ax_decay.get_xlim()  # stepped limits: the axes move only now and then
    assert x0 == 0.0 and 120 <= x1 <= 1.5 * 120 and x1 == wd.nice_limit(x1)
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


def test_hidden_slider_reaches_a_fixed_set_of_sizes():
    ex = wd.DecayExplorer(H=10, T=50)
    assert list(ex.hidden.options) == sorted(set(wd.HIDDEN_SIZES) | {10})
    assert ex.hidden.value == 10


def test_nice_limit_steps():
    assert [wd.nice_limit(x) for x in (0.5, 1.0, 7.0, 120.0, 126.0, 201.0, 251.0, 999.0)] == \
        [1.0, 1.0, 8.0, 150.0, 150.0, 250.0, 300.0, 1000.0]
    assert wd.nice_limit(3.0, minimum=6.0) == 6.0


def test_a_new_phase_diagram_is_computed_in_the_background_and_cached_on_disk(private_cache):
    ex = wd.DecayExplorer(H=4, T=50, activation="tanh", init="gaussian")
    assert ex.cached_phase("gaussian", "sigmoid", 4) is None
    ex.activation.value = "sigmoid"   # a control: the diagram is computed off the main path
    assert ex.status.get_visible() == ex.computing or ex._phase_key == ("gaussian", "sigmoid", 4)
    assert ex.wait(120)
    assert ex._phase_key == ("gaussian", "sigmoid", 4) and not ex.status.get_visible()
    expected = dc.phase_diagram(ex.base("gaussian", 4)[0], wd.PHASE_SCALES, wd.PHASE_LENGTHS, ex.inputs(4),
                                "sigmoid")
    np.testing.assert_allclose(ex.phase("gaussian", "sigmoid", 4), expected, rtol=1e-12)
    shown = np.ma.getdata(ex.mesh.get_array()).reshape(wd.PHASE_LENGTHS.size, wd.PHASE_SCALES.size)
    np.testing.assert_allclose(shown, np.clip(expected, -20, 20).T, rtol=1e-12)
    files = list((private_cache / "phase").glob("*.npy"))
    assert files, "the diagram was not written to the disk cache"
    fresh = wd.DecayExplorer(H=4, T=50, activation="tanh", init="gaussian")  # a new session: read from disk
    np.testing.assert_array_equal(fresh.cached_phase("gaussian", "sigmoid", 4), expected)
    other = wd.DecayExplorer(H=4, T=50, activation="tanh", init="gaussian", seed=7)  # other inputs, other key
    assert other.cached_phase("gaussian", "sigmoid", 4) is None


def test_other_controls_answer_while_a_diagram_is_computed():
    ex = wd.DecayExplorer(H=4, T=50, activation="tanh", init="gaussian", cache=False)
    ex.hidden.value = 64           # ~a second of work in the background
    assert ex.computing and ex.status.get_visible()
    assert "computing" in ex.status.get_text() and "being computed" in ex.summary.value
    ex.scale.value = 1.5           # answered at once, from the main thread
    assert ex.profile.lambda1 == pytest.approx(1.5 * ex.base("gaussian", 64)[1])
    assert ex.wait(300) and ex._phase_key == ("gaussian", "tanh", 64)


def test_summary_states_both_panels_with_numbers(explorer):
    prof = explorer.update(1.0, 200, 8, "tanh", "gaussian")
    text = explorer.summary.value
    assert f"at lag 200 it is 10^{prof.log10_norms[-1]:.1f}" in text
    assert "H = 8" in text and "s = 1.00" in text and prof.regime in text
    assert "Right: phase diagram" in text and "T = 200" in text


def test_phase_contours_are_matplotlibs(explorer):
    from matplotlib.figure import Figure

    from rnnedu.plotting.decay import draw_phase_contours

    explorer.update(1.0, 200, 8, "identity", "orthogonal")
    phase = explorer.phase("orthogonal", "identity", 8)
    ax = Figure().subplots()
    sets = draw_phase_contours(ax, wd.PHASE_SCALES, wd.PHASE_LENGTHS, phase)
    theirs = np.concatenate([np.concatenate(segs) for cs in sets for segs in cs.allsegs if segs])
    ours = np.concatenate([s for coll in explorer._contours for s in coll.get_segments()])
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(np.sort(ours, axis=0), np.sort(theirs, axis=0), rtol=1e-12)
