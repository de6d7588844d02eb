"""Fixtures for the browser tests: one JupyterLab server and one headless Chromium for the whole run.

Without Chromium (or the ``playwright`` package) the browser tests skip with a loud reason; with
``RNNEDU_REQUIRE_BROWSER=1`` (set by ``.ci/run``) that is a failure instead. Results (latencies
included) are written to ``build/browser/results.json`` and summarised at the end of the run.
Marker: ``browser`` (deselect with ``-m "not browser"``).
"""

from __future__ import annotations

import os

import pytest

import harness

RESULTS_KEY = pytest.StashKey[list]()


def unavailable(reason: str):
    """Skip loudly, or fail when the environment says the browser tests must run."""
    if harness.browser_required():
        pytest.fail(f"{harness.REQUIRE_ENV}=1 but {reason}", pytrace=False)
    pytest.skip(f"BROWSER TESTS NOT RUN: {reason} — install Debian's chromium "
                "(apt-get install chromium) to check the lessons in JupyterLab")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: opens lessons in JupyterLab in headless Chromium")
    config.stash[RESULTS_KEY] = []


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_browser():
    path = harness.find_chromium()
    if path is None:
        unavailable("no chromium executable on PATH")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("the playwright Python package is not installed")
    with harness.chromium(path) as browser:
        yield browser


@pytest.fixture(scope="session")
def lab_server(chromium_browser):
    with harness.LabServer(harness.discover_lessons()) as lab:
        yield lab


@pytest.fixture(scope="session")
def browser_results(request):
    """Every LessonResult of the run, in order; written to build/browser/results.json at the end."""
    return request.config.stash[RESULTS_KEY]


def pytest_sessionfinish(session, exitstatus):
    results = session.config.stash.get(RESULTS_KEY, [])
    lessons = [r for r in results if r.notebook[:2].isdigit()]
    if lessons:
        harness.write_results(lessons, harness.BUILD / "results.json")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    results = [r for r in config.stash.get(RESULTS_KEY, []) if r.notebook[:2].isdigit()]
    if not results:
        return
    tr = terminalreporter
    tr.section("lessons in JupyterLab (headless Chromium): key press -> new image, per control")
    for r in results:
        tr.write_line(f"{r.notebook}: load {r.load_s:.1f} s, run all {r.run_s:.1f} s, total {r.total_s:.1f} s, "
                      f"{r.widget_outputs} widget outputs, {len(r.sliders)} controls")
    tr.write_line(harness.latency_table(results))
    tr.write_line(f"(guard: median <= {harness.LATENCY_GUARD_MS:.0f} ms per control; target {harness.LATENCY_TARGET_MS:.0f} ms median; "
                  f"details in {harness.BUILD / 'results.json'})")
