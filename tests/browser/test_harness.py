"""The browser harness itself: it passes a working widget and catches each kind of broken one.

Two small throwaway notebooks, written to a temp folder and served by the session's Lab server:
``good`` has a slider that moves an ipympl line, a stepper that writes into an HTML box, and a cell
tagged ``raises-exception`` followed by slow cells (which must all have run before outputs are read); ``bad``
has a slider wired to nothing next to a live figure, a widget view whose model does not exist (what
a learner sees as "Error displaying widget"), a callback that raises, and a cell that raises.
"""

from __future__ import annotations

import nbformat
import pytest

import harness

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

GOOD = [
    "import numpy as np\nimport ipywidgets as W\nimport rnnedu.widgets as rw\n"
    "fig, ax = rw.live_figure(figsize=(4, 2))\nxs = np.linspace(0, 1, 50)\nline, = ax.plot(xs, xs)\n"
    "ax.set_ylim(-1, 2)\nslope = W.FloatSlider(value=1.0, min=-1.0, max=2.0, step=0.1, description='slope')\n"
    "slope.observe(lambda ch: (line.set_ydata(ch['new'] * xs), fig.canvas.draw_idle()), names='value')\n"
    "W.HBox([slope, fig.canvas])",
    "box = W.HTML('step 0')\n"
    "stepper = rw.make_stepper(4, lambda i: setattr(box, 'value', f'step {i}'))\n"
    "W.VBox([stepper.widget, box])",
    # Run All's promise settles at this expected failure; the slow cells after it must still be waited for
    ("raise ValueError('an expected failure')", ["raises-exception"]),
    "import time\ntime.sleep(1.5)",
    "print('last cell')",
]
BAD = [
    "import ipywidgets as W\nimport rnnedu.widgets as rw\nfig, ax = rw.live_figure(figsize=(4, 2))\n"
    "_ = ax.plot([0, 1], [0, 1])\ndead = W.FloatSlider(description='dead')\nW.HBox([dead, fig.canvas])",
    "display({'application/vnd.jupyter.widget-view+json': {'model_id': '0123456789abcdef',\n"
    "         'version_major': 2, 'version_minor': 0}, 'text/plain': 'a widget'}, raw=True)",
    "boom = W.IntSlider(description='boom')\nlabel = W.Label('unchanged')\n"
    "boom.observe(lambda ch: 1 / 0, names='value')\nW.VBox([boom, label])",
    "raise RuntimeError('a cell that fails')",
    "after = 'never reached: Run All stops at the failing cell'",
]


def _notebook(tmp_path, name, sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC)}
    nb.cells = []
    for src in sources:
        src, tags = (src, []) if isinstance(src, str) else src
        nb.cells.append(nbformat.v4.new_code_cell(src, metadata={"tags": tags} if tags else {}))
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def checked(chromium_browser, lab_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("selftest")
    out = {}
    for name, cells in (("selftest_good.ipynb", GOOD), ("selftest_bad.ipynb", BAD)):
        lab_server.add_notebook(_notebook(folder, name, cells))
        out[name] = harness.check_lesson(chromium_browser, lab_server, name, presses=1, press_timeout_ms=2000)
    return out


def test_working_widgets_pass(checked):
    good = checked["selftest_good.ipynb"]
    assert good.problems() == []
    assert good.errors == [] and good.not_run == [] and good.widget_outputs == 2
    assert not good.run_ok  # the tagged cell failed, as intended, and Run All says so
    by_label = {s.label: s for s in good.sliders}
    assert set(by_label) == {"slope", "step", "prev/next", "play"}  # every control of the stepper too
    assert by_label["prev/next"].kind == "buttons" and by_label["play"].kind == "play"
    assert by_label["slope"].judged_by == "canvas"      # its figure sits in the same HBox
    assert by_label["step"].judged_by == "box"          # no figure: the HTML next to it must change
    for s in good.sliders:
        assert len(s.latencies_ms) == 1 and s.latencies_ms[0] is not None
        # a Play is timed from its step (its slider's readout changing); judged by its box, which holds
        # that readout, the step and the change are the same frame
        assert s.latencies_ms[0] > 0 or (s.kind == "play" and s.judged_by == "box")


def test_each_broken_widget_is_caught(checked):
    bad = checked["selftest_bad.ipynb"]
    problems = "\n".join(bad.problems())
    by_label = {s.label: s for s in bad.sliders}
    # the slider wired to nothing: it moves, the figure beside it does not change
    assert "did not change its figure" in by_label["dead"].problem
    assert "the slider moved" in by_label["dead"].problem
    # the widget whose model is missing
    assert any(w["cell"] == 1 and "Error displaying widget" in w["text"] for w in bad.widget_problems)
    # the callback that raises: nothing in its box changes, and the kernel logs the exception
    assert "did not change any other output in its box" in by_label["boom"].problem
    assert "ZeroDivisionError: division by zero" in bad.callback_messages
    assert any("widget callback" in p and "ZeroDivisionError" in p for p in bad.problems())
    # the failing cell
    assert {"cell": 3, "ename": "RuntimeError", "evalue": "a cell that fails"} in bad.errors
    assert not bad.run_ok
    assert bad.not_run == [4]
    assert len(bad.problems()) == 5, problems
