"""What floating-point machinery a run uses: the BLAS library and kernel, numpy's SIMD paths, the CPU.

Two machines agree on the lessons' numbers to about 1e-16 relative, not to the last bit: OpenBLAS picks
a kernel per CPU (``Haswell``, ``SkylakeX``, ``Zen``, …, or the one ``OPENBLAS_CORETYPE`` names) and
numpy dispatches its element-wise loops to the widest SIMD the CPU has (AVX-512, AVX2, …), and each
sums in its own order. The test run prints this in its header (so a learner's failure report says
where it came from), and ``tests/test_portability.py`` uses it to choose the other configurations it
re-runs the lessons under — only kernels that this CPU supports.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np

# OpenBLAS x86-64 kernels the portability test may choose, with the CPU flags each one needs
# (/proc/cpuinfo names). Never a kernel the CPU lacks: it would die with SIGILL, or worse.
KERNEL_NEEDS = {
    "SkylakeX": {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"},
    "Haswell": {"avx2", "fma"},
    "Sandybridge": {"avx"},
}


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (Linux); empty where that file does not exist."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def blas_info() -> list[dict]:
    """threadpoolctl's view of the BLAS libraries numpy loaded (library, version, kernel, threads)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [i for i in threadpool_info() if i.get("user_api") == "blas"]


def openblas_kernel() -> str | None:
    """The OpenBLAS kernel this process runs (``"Haswell"``), or None for another BLAS."""
    for info in blas_info():
        if info.get("internal_api") == "openblas":
            return info.get("architecture")
    return None


def numpy_simd() -> tuple[list[str], list[str]]:
    """numpy's dispatch targets that are active here, and those the CPU or the environment rules out."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    active = [t for t in __cpu_dispatch__ if __cpu_features__.get(t)]
    return active, [t for t in __cpu_dispatch__ if t not in active]


def avx512_dispatch_targets() -> list[str]:
    """numpy's dispatch targets that use AVX-512 and are active here (to switch off for a re-run)."""
    active, _ = numpy_simd()
    return [t for t in active if t == "X86_V4" or t.startswith("AVX512")]


def describe() -> list[str]:
    """Lines for the test header: where this run's floating-point results come from."""
    active, off = numpy_simd()
    blas = [f"{i.get('internal_api')} {i.get('version')}, kernel {i.get('architecture')}, "
            f"{i.get('num_threads')} thread(s)" for i in blas_info()] or ["unknown (threadpoolctl not installed)"]
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "OPENBLAS_NUM_THREADS")
           if k in os.environ}
    return [
        f"floating point: numpy {np.__version__}, BLAS {'; '.join(blas)}",
        f"numpy SIMD: baseline {'+'.join(np._core._multiarray_umath.__cpu_baseline__)}, "
        f"dispatch {', '.join(active) or 'none'}" + (f" (not used: {', '.join(off)})" if off else ""),
        f"CPU: {platform.machine()} {platform.processor() or ''}".rstrip()
        + (f", {len(cpu_flags())} flags, AVX-512 {'yes' if 'avx512f' in cpu_flags() else 'no'}" if cpu_flags() else "")
        + f"; environment {env or 'sets no kernel'}",
    ]
