"""Every lesson, opened in JupyterLab in headless Chromium: it runs, its widgets render, its sliders redraw.

Lessons are discovered (``notebooks/NN_*.ipynb``), not listed. Per lesson: Run All after the kernel is
connected, then no error output, no "Error displaying widget" / "Loading widget…", and every slider's
key press changes the pixels of the figure in its box (or, with no figure, some other output of its
box), and typing into every text box (then Enter) changes its output. Latencies are measured and reported, never asserted. Screenshots go to build/browser/.
"""

from __future__ import annotations

import os

import pytest

import harness

LESSONS = harness.discover_lessons()
PRESSES = int(os.environ.get("RNNEDU_BROWSER_PRESSES", "2"))


@pytest.mark.parametrize("notebook", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_renders_and_responds(notebook, chromium_browser, lab_server, browser_results):
    shot = harness.BUILD / "screenshots" / f"lesson{harness.lesson_number(notebook.name)}.png"
    result = harness.check_lesson(chromium_browser, lab_server, notebook.name, presses=PRESSES, screenshot=shot)
    browser_results.append(result)
    problems = result.problems()
    assert not problems, f"{notebook.name} in JupyterLab:\n  " + "\n  ".join(problems)
    assert result.widget_outputs > 0, f"{notebook.name}: no widget output after Run All (every lesson has a widget)"


def test_lessons_exist():
    if not LESSONS:
        if harness.browser_required():
            pytest.fail(f"{harness.REQUIRE_ENV}=1 but no notebooks/NN_*.ipynb to open", pytrace=False)
        pytest.skip("no built lessons (notebooks/NN_*.ipynb) yet: nothing to open in the browser")
