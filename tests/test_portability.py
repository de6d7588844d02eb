"""The lessons' stored outputs hold on other machines, not only on the one that built them (issue 11).

The main nbval run re-executes every lesson with this machine's own BLAS kernel and numpy SIMD paths.
A learner's laptop, a JupyterHub node or Binder has others, and floating-point results then differ in
the last bits. This test re-runs nbval over every lesson under two further configurations that this
CPU supports — another OpenBLAS kernel, and a third kernel with numpy's AVX-512 loops switched off —
and asserts that every stored output still matches. The two runs go in parallel, one BLAS thread each.

Choice of kernels (``platform_info.KERNEL_NEEDS``): only kernels whose instructions the CPU has, never
the one the main run already uses. Skipped, with the reason, where the BLAS is not OpenBLAS or the
CPU is not x86-64 (there is nothing to switch). Deselect with ``-m "not portability"``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import platform_info

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TIMEOUT_S = 900

pytestmark = pytest.mark.portability


def choose_configurations() -> list[tuple[str, dict[str, str]]]:
    """Two (name, environment) pairs that differ from the main run's kernel and from each other."""
    current = platform_info.openblas_kernel()
    if current is None:
        return []
    flags = platform_info.cpu_flags()
    supported = [k for k, needs in platform_info.KERNEL_NEEDS.items() if needs <= flags and k.lower() != current.lower()]
    configs = [(f"OPENBLAS_CORETYPE={k}", {"OPENBLAS_CORETYPE": k}) for k in supported[:2]]
    no_avx512 = platform_info.avx512_dispatch_targets()
    if configs and no_avx512:
        name, env = configs[-1]
        value = ",".join(no_avx512)
        configs[-1] = (f"{name} NPY_DISABLE_CPU_FEATURES={value}", {**env, "NPY_DISABLE_CPU_FEATURES": value})
    return configs


CONFIGS = choose_configurations()


@pytest.fixture(scope="module")
def runs():
    """Start every configuration's nbval run at once; each test waits for its own."""
    started = {}
    log_dir = ROOT / "build" / "portability"
    log_dir.mkdir(parents=True, exist_ok=True)
    for name, extra in CONFIGS:
        env = {**os.environ, **extra, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
        env.pop("PYTEST_ADDOPTS", None)
        log = (log_dir / (name.split()[0].replace("=", "-") + ".log")).open("w")
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
               "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
               "--nbval-cell-timeout=300", *map(str, NOTEBOOKS)]
        started[name] = (subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log, time.monotonic())
    yield started
    for proc, log, _ in started.values():
        if proc.poll() is None:
            proc.kill()
        log.close()


def test_there_is_something_to_compare_with():
    if platform_info.openblas_kernel() is None:
        pytest.skip(f"BLAS is not OpenBLAS ({platform_info.blas_info() or 'unknown'}): no kernel to switch")
    if not platform_info.cpu_flags():
        pytest.skip("no /proc/cpuinfo: cannot tell which OpenBLAS kernels this CPU supports")
    assert len(CONFIGS) >= 2 or not {"avx", "avx2"} <= platform_info.cpu_flags(), (
        f"an x86-64 CPU with AVX2 supports at least two other kernels; chose only {CONFIGS}")


@pytest.mark.parametrize("name", [n for n, _ in CONFIGS] or ["none"])
def test_every_lesson_reproduces_its_outputs_under(name, runs):
    if name == "none":
        pytest.skip("no other kernel to compare with on this machine (see test_there_is_something_to_compare_with)")
    proc, log, start = runs[name]
    try:
        proc.wait(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"nbval under {name} did not finish in {TIMEOUT_S} s")
    log.flush()
    text = Path(log.name).read_text()
    tail = "\n".join(text.splitlines()[-60:])
    assert proc.returncode == 0, (
        f"stored lesson outputs differ under {name} (log: {log.name}). An output that prints round-off "
        f"digits or a chaotic training figure is not portable: print the tolerance met (rn.below) or a "
        f"coarser figure. Last lines:\n{tail}")
    assert re.search(r"\b\d+ passed", text), f"nbval under {name} ran no cell:\n{tail}"
    print(f"{name}: {text.strip().splitlines()[-1]} in {time.monotonic() - start:.0f} s")
