"""Kernel-side cost of every lesson control, without a browser (used by ``bench_slider_latency.py --kernel``).

Each lesson's widget is built as the lesson builds it (same builder, same sizes; lessons 8–9 with
untrained parameters of the lesson's shapes, which cost the same per update). A "press" sets the
control's value (or clicks the button) exactly as the front end would, and then does what the kernel
does before the new image leaves it: when the update asked for a full draw (``draw_idle``), render the
figure (``canvas.draw()``) as ipympl does on the front end's request; then encode the diff image
(``get_diff_image``: the PNG that is sent). The time of that is what a key press costs the kernel; the
browser adds the round trips and painting (~20–40 ms on an idle machine). CPU time is the main thread's
(``time.thread_time``): a phase diagram computed in lesson 6's background thread is not a press's cost
(it is waited for, untimed, between presses).
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class Control:
    lesson: str
    name: str
    press: Callable[[int], None]  # press k (alternating directions / cycling options)
    canvas: object


def _slider(widget, lesson, name, obj_canvas):
    if hasattr(widget, "options"):  # SelectionSlider: one option to the right (left at the end)
        return _options(widget, lesson, name, obj_canvas, neighbour=True)
    lo, hi, step = widget.min, widget.max, getattr(widget, "step", 1)
    start = widget.value

    def press(k):
        if k % 2 == 0:
            widget.value = min(hi, start + step) if start + step <= hi else max(lo, start - step)
        else:
            widget.value = start
    return Control(lesson, name, press, obj_canvas)


def _log_slider(widget, lesson, name, obj_canvas):
    start = widget.value

    def press(k):
        widget.value = start * widget.base ** widget.step if k % 2 == 0 else start
    return Control(lesson, name, press, obj_canvas)


def _options(widget, lesson, name, obj_canvas, neighbour=False):
    opts = list(widget.options)
    labels = [o[0] if isinstance(o, tuple) else o for o in opts]
    values = [o[1] if isinstance(o, tuple) else o for o in opts]
    i0 = values.index(widget.value)
    if neighbour:
        j = i0 + 1 if i0 + 1 < len(values) else i0 - 1

        def press(k):
            widget.value = values[j] if k % 2 == 0 else values[i0]
        return Control(lesson, name, press, obj_canvas)

    def press(k):
        # even presses: the next option (cycling through all), odd presses: back to the first
        widget.value = values[(i0 + 1 + (k // 2) % (len(values) - 1)) % len(values)] if k % 2 == 0 else values[i0]
    return Control(lesson, name, press, obj_canvas)


def _button(button, lesson, name, obj_canvas, other=None):
    def press(k):
        (button if k % 2 == 0 or other is None else other).click()
    return Control(lesson, name, press, obj_canvas)


def _text(widget, lesson, name, obj_canvas, samples=("mariano", "Virtanen")):
    def press(k):
        widget.value = samples[k % len(samples)]
    return Control(lesson, name, press, obj_canvas)


def _stepper_controls(stepper, lesson, prefix, canvas):
    s = stepper.slider
    out = [_slider(s, lesson, f"{prefix} step slider", canvas),
           _button(stepper.next_button, lesson, f"{prefix} next ▶ / ◀ prev", canvas, other=stepper.prev_button)]
    return out


def build_controls(lessons=None) -> list[Control]:
    """Every control of every lesson (or of the lessons numbered in ``lessons``), built fresh."""
    import rnnedu as rn
    want = set(lessons or [])
    pick = lambda n: not want or n in want  # noqa: E731
    out: list[Control] = []
    if pick("01"):
        from rnnedu.widgets.softmax import softmax_explorer
        e = softmax_explorer(logits=np.array([2.0, 1.0, 0.1, -1.0]), temperature=1.0)
        out += [_slider(e.sliders[0], "01", "z1", e.fig.canvas),
                _log_slider(e.temperature, "01", "T", e.fig.canvas)]
    if pick("02"):
        from rnnedu.widgets.mlp import delta_stepper
        small = rn.init_mlp((2, 3, 3, 2), hidden="tanh", rng=np.random.default_rng(22))
        st = delta_stepper(small, np.array([[0.5, -1.0]]), np.array([1]))
        out += _stepper_controls(st.stepper, "02", "delta", st.fig.canvas)
    if pick("03"):
        from rnnedu.widgets.ordered import ordered_stepper
        from rnnedu.plotting.graph import unrolled_layout
        w = ordered_stepper(rn.werbos_example(), {"z1": 1.0})
        out += _stepper_controls(w.stepper, "03", "Werbos", w.fig.canvas)
        rnn_system = rn.scalar_rnn_system([0.5, -1.0, 0.8], [1.0, 0.0, 1.0])
        r = ordered_stepper(rnn_system, {"u": 0.7, "w": 0.9, "v": -1.2, "h0": 0.0}, positions=unrolled_layout(3),
                            edge_labels=False, values_at="right", width=6.0)
        out += _stepper_controls(r.stepper, "03", "unrolled RNN", r.fig.canvas)
    if pick("04"):
        from rnnedu.widgets.bptt import forward_explorer
        e = forward_explorer(T=40, D=3, H=5, seed=4)
        out += [_slider(e.rho, "04", "ρ", e.fig.canvas), _slider(e.scale, "04", "input ×", e.fig.canvas),
                _options(e.activation, "04", "φ dropdown", e.fig.canvas)]
    if pick("05"):
        from rnnedu.widgets.bptt import bptt_stepper, contribution_explorer
        rng = np.random.default_rng(5)
        V, H, T, B = 6, 5, 8, 3
        params = rn.init_rnn_params(V, H, V, rng, scale=0.8)
        X = rng.integers(0, V, size=(T, B))
        Y = rng.integers(0, V, size=(T, B))
        h0 = rng.normal(scale=0.5, size=(B, H))
        hs = rn.rnn_forward(X, h0, params["W_xh"], params["W_hh"], params["b_h"])
        _, dhs, _ = rn.cross_entropy_head(hs, params["W_hy"], params["b_y"], Y)
        st = bptt_stepper(dhs, X, hs, h0, params["W_xh"], params["W_hh"])
        out += _stepper_controls(st.stepper, "05", "backward", st.fig.canvas)
        T2, B2, H2 = 20, 2, 8
        p2 = rn.init_rnn_params(V, H2, V, rng, scale=0.3)
        X2 = rng.integers(0, V, size=(T2, B2))
        Y2 = rng.integers(0, V, size=(T2, B2))
        hs2 = rn.rnn_forward(X2, None, p2["W_xh"], p2["W_hh"], p2["b_h"])
        _, dhs2, _ = rn.cross_entropy_head(hs2, p2["W_hy"], p2["b_y"], Y2)
        e = contribution_explorer(dhs2, X2, hs2, np.zeros((B2, H2)), p2["W_xh"], p2["W_hh"], tau=5)
        out += [_slider(e.tau, "05", "τ", e.fig.canvas), _options(e.param, "05", "W toggle", e.fig.canvas)]
    if pick("06"):
        from rnnedu.widgets.decay import decay_explorer
        e = decay_explorer(scale=1.0, T=200, H=64, activation="tanh", init="gaussian")
        out += [_slider(e.scale, "06", "scale s", e.fig.canvas), _slider(e.length, "06", "length T", e.fig.canvas),
                _slider(e.hidden, "06", "hidden H", e.fig.canvas),
                _options(e.activation, "06", "φ dropdown", e.fig.canvas),
                _options(e.init, "06", "W_hh toggle", e.fig.canvas)]
    if pick("07"):
        from rnnedu.widgets.training import clipping_explorer
        boom = rn.init_model("orthogonal", 2, 32, 1, np.random.default_rng(71), recurrent_scale=2.0)
        _, g = rn.model_loss_and_grads(boom, rn.adding_problem(32, 30, np.random.default_rng(72)),
                                       model="orthogonal", task="adding")
        e = clipping_explorer({k: g[k] for k in boom}, c=1.0)
        out += [_log_slider(e.slider, "07", "c", e.fig.canvas)]
    if pick("08"):
        from rnnedu.widgets.charrnn import name_classifier_box
        vocab = rn.Vocab.build(["abcdefghijklmnopqrstuvwxyz' -"])
        langs = ["Arabic", "Chinese", "Czech", "Dutch", "English", "French", "German", "Greek", "Irish",
                 "Italian", "Japanese", "Korean", "Polish", "Portuguese", "Russian", "Scottish", "Spanish",
                 "Vietnamese"]
        p = rn.init_classifier_params(len(vocab), 128, len(langs), np.random.default_rng(8))
        b = name_classifier_box(p, vocab, langs, name="Virtanen")
        out += [_text(b.text, "08", "name text box", b.fig.canvas)]
    if pick("09"):
        from rnnedu.widgets.charrnn import sampler_box
        text = "the object of this module is to provide a simple interface " * 20
        vocab = rn.Vocab.build(text)
        p = rn.init_rnn_params(len(vocab), 256, len(vocab), np.random.default_rng(9))
        s = sampler_box(p, vocab, prefix="the object ", temperature=0.7, n_chars=200, reference=text)
        out += [_text(s.text, "09", "prefix text box", s.fig.canvas, samples=("mariano", "the object ")),
                _log_slider(s.temperature, "09", "τ", s.fig.canvas), _slider(s.length, "09", "length", s.fig.canvas)]
    return out


def _instrument(canvas):
    """Make the canvas behave as if a front end were attached: draw requests are answered at once."""
    canvas.syncing_data_url = False
    state = {"draw": False}
    original = canvas.send_event

    def send_event(event_type, **kw):
        if event_type == "draw":
            state["draw"] = True
            return None
        return original(event_type, **kw)
    canvas.send_event = send_event
    canvas.send_binary = lambda data: None
    canvas.send = lambda *a, **k: None
    return state


def measure(controls: list[Control], presses: int = 8, warmup: int = 2) -> list[dict]:
    """Per control: median / min kernel ms per press, and how many presses asked for a full draw."""
    rows = []
    prepared = set()
    for c in controls:
        if id(c.canvas) not in prepared:
            c._state = _instrument(c.canvas)
            c.canvas._full_draws = 0
            c.canvas.mpl_connect("draw_event", lambda _e, cv=c.canvas: setattr(cv, "_full_draws", cv._full_draws + 1))
            c.canvas.draw()               # the first full draw (freezes layouts, saves blit backgrounds)
            c.canvas.get_diff_image()
            prepared.add(id(c.canvas))
            c.canvas._state = c._state
        state = c.canvas._state
        times, cpu, full = [], [], 0
        for k in range(warmup + presses):
            state["draw"] = False
            drawn = c.canvas._full_draws
            t0, c0 = time.perf_counter(), time.thread_time()
            c.press(k)
            if state["draw"]:
                c.canvas.draw()
            c.canvas.get_diff_image()
            dt, dc = (time.perf_counter() - t0) * 1000, (time.thread_time() - c0) * 1000
            for worker in threading.enumerate():  # a background phase diagram: let it finish, untimed,
                if worker.name == "rnnedu-phase-diagram":  # as a learner's pause between presses would
                    worker.join()
            if k >= warmup:
                times.append(dt)
                cpu.append(dc)
                full += c.canvas._full_draws > drawn
        rows.append({"lesson": c.lesson, "control": c.name, "median_ms": statistics.median(times),
                     "cpu_ms": statistics.median(cpu), "min_ms": min(times), "full_draws": full,
                     "presses": presses})
    return rows


def table(rows) -> str:
    out = [f"{'lesson':6} {'control':30} {'wall median':>11} {'CPU median':>10} {'wall min':>8} {'full draws':>10}"]
    for r in rows:
        out.append(f"{r['lesson']:6} {r['control']:30} {r['median_ms']:8.1f} ms {r['cpu_ms']:7.1f} ms "
                   f"{r['min_ms']:5.1f} ms {r['full_draws']:>6}/{r['presses']}")
    return "\n".join(out)


if __name__ == "__main__":
    import sys
    rows = measure(build_controls(sys.argv[1:]))
    print(table(rows))
