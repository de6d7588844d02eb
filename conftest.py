"""Loaded for every test run, notebooks included: the header says which BLAS kernel and CPU features
the run used, so that a failure report from a learner's machine says where it came from (issue 11)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

import platform_info  # noqa: E402


def pytest_report_header(config):
    return platform_info.describe()


def pytest_configure(config):
    config.addinivalue_line("markers", "portability: re-runs every lesson under other BLAS kernels and SIMD paths")
