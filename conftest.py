"""Loaded for every test run, notebooks included: the header says which BLAS kernel and CPU features
the run used, so that a failure report from a learner's machine says where it came from (issue 11)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

import platform_info  # noqa: E402

try:
    from hypothesis import settings
except ImportError:  # the test extra is not installed
    settings = None
else:
    # The same examples on every run and every machine, so a red suite is reproducible and never
    # flaky; RNNEDU_HYPOTHESIS=explore draws new examples (and keeps a database of failures).
    settings.register_profile("course", derandomize=True, database=None, print_blob=True)
    settings.register_profile("explore", print_blob=True)
    settings.load_profile("explore" if os.environ.get("RNNEDU_HYPOTHESIS") == "explore" else "course")


def pytest_report_header(config):
    return platform_info.describe()


def pytest_configure(config):
    config.addinivalue_line("markers", "portability: re-runs every lesson under other BLAS kernels and SIMD paths")
