"""Every lesson, opened in JupyterLab in headless Chromium: it runs, its widgets render, its sliders redraw.

Lessons are discovered (``notebooks/NN_*.ipynb``), not listed. Per lesson: Run All after the kernel is
connected, then no error output, no "Error displaying widget" / "Loading widget…", and every slider's
key press changes the pixels of the figure in its box (or, with no figure, some other output of its
box), and every other control — dropdown, toggle buttons, a stepper's ◀ prev / next ▶ and Play, text
box — changes it when used by keyboard alone. Latencies are reported; a loose regression guard fails a
control whose median key-press-to-image time exceeds ``harness.LATENCY_GUARD_MS`` (400 ms, four times
the 100 ms target: a control that became slow fails, load on a CI machine does not). The real figures
come from ``python course.py bench slider``. Screenshots go to build/browser/.
"""

from __future__ import annotations

import os

import pytest

import harness

LESSONS = harness.discover_lessons()
PRESSES = int(os.environ.get("RNNEDU_BROWSER_PRESSES", "3"))


@pytest.mark.parametrize("notebook", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_renders_and_responds(notebook, chromium_browser, lab_server, browser_results):
    shot = harness.BUILD / "screenshots" / f"lesson{harness.lesson_number(notebook.name)}.png"
    result = harness.check_lesson(chromium_browser, lab_server, notebook.name, presses=PRESSES, screenshot=shot)
    browser_results.append(result)
    problems = result.problems()
    assert not problems, f"{notebook.name} in JupyterLab:\n  " + "\n  ".join(problems)
    assert result.widget_outputs > 0, f"{notebook.name}: no widget output after Run All (every lesson has a widget)"
    slow = [f"{c.name}: median {c.median_ms:.0f} ms ({', '.join('—' if x is None else f'{x:.0f}' for x in c.latencies_ms)})"
            for c in result.sliders if c.median_ms is not None and c.median_ms > harness.LATENCY_GUARD_MS]
    assert not slow, (f"{notebook.name}: key press -> image slower than {harness.LATENCY_GUARD_MS:.0f} ms "
                      "(regression guard; target 100 ms):\n  " + "\n  ".join(slow))


def test_lessons_exist():
    if not LESSONS:
        if harness.browser_required():
            pytest.fail(f"{harness.REQUIRE_ENV}=1 but no notebooks/NN_*.ipynb to open", pytrace=False)
        pytest.skip("no built lessons (notebooks/NN_*.ipynb) yet: nothing to open in the browser")
