#!/usr/bin/env python3
"""Set up the course and run it — needs only Python >= 3.10 and pip.

    python course.py lab        # make .venv (once), install the course, open the lessons in JupyterLab
    python course.py test       # install the test tools (once), run every test: package, notebooks, browser
    python course.py execute    # re-execute every lesson from notebooks/src/ into notebooks/*.ipynb
    python course.py bench      # run the benchmark scripts in benchmarks/ (the hub's only if named: `bench hub`)
    python course.py hub        # a JupyterHub for a class on 127.0.0.1:8000 (tools/hub.py, docs/deploy.md)
    python course.py lite       # build a JupyterLite site of the course into build/lite/site (tools/lite.py)

Each command creates the virtual environment `.venv/` next to this file on first use and installs the
package into it (editable, with the versions pinned in constraints.txt). A second run skips the install
unless pyproject.toml or constraints.txt changed, so it starts in about a second. Extra arguments are
passed on: `python course.py test -k softmax`, `python course.py lab --no-browser --port 8890`.
Set RNNEDU_VENV to use another environment folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("RNNEDU_VENV", ROOT / ".venv"))
FIRST_LESSON = "notebooks/01_softmax_cross_entropy.ipynb"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(cmd: list[str], **kw) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], **kw)


def ensure_env(extras: str = "") -> Path:
    """Create .venv and install the course (plus ``extras``) unless already done for these inputs.

    The stamp records a hash of pyproject.toml and constraints.txt and the extras installed with them;
    an install with the ``test`` extra also satisfies a plain one, so `lab` after `test` starts at once.
    """
    if sys.version_info < (3, 10):
        sys.exit(f"rnnedu needs Python >= 3.10; this is {sys.version.split()[0]}")
    digest = hashlib.sha256(b"".join((ROOT / n).read_bytes() for n in ("pyproject.toml", "constraints.txt"))).hexdigest()
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    stamp = VENV / ".rnnedu-installed.json"
    py = venv_python()
    wanted = {e for e in extras.split(",") if e}
    try:
        done = json.loads(stamp.read_text())
        if py.exists() and done["digest"] == digest and wanted <= set(done["extras"]) and done.get("python") == python:
            return py
        if py.exists() and done.get("python", python) != python:
            # `python3.10 course.py test` after `python3.11 course.py test` must not quietly run 3.11.
            print(f"{VENV} was made with Python {done.get('python')}; remaking it for Python {python} "
                  f"(set RNNEDU_VENV to keep one environment per version) ...", flush=True)
            if run([sys.executable, "-m", "venv", "--clear", VENV]) != 0:
                sys.exit("could not re-create the virtual environment")
        elif py.exists():
            wanted |= set(done["extras"])  # keep what is installed installed
    except (OSError, ValueError, KeyError, TypeError):
        pass
    extras = ",".join(sorted(wanted))
    if not py.exists():
        print(f"Creating the virtual environment {VENV} ...", flush=True)
        if run([sys.executable, "-m", "venv", VENV]) != 0:
            sys.exit("could not create the virtual environment (on Debian/Ubuntu: apt install python3-venv)")
    target = f".[{extras}]" if extras else "."
    print(f"Installing rnnedu{('[' + extras + ']') if extras else ''} into {VENV} (first time: a minute or two) ...", flush=True)
    code = run([py, "-m", "pip", "install", "--disable-pip-version-check", "-q",
                "-c", ROOT / "constraints.txt", "-e", target], cwd=ROOT)
    if code != 0:
        sys.exit(f"pip install failed (exit {code}); see the messages above")
    stamp.write_text(json.dumps({"digest": digest, "extras": sorted(wanted), "python": python}))
    return py


def single_threaded_blas() -> dict:
    """Environment for tests, builds and benchmarks: one BLAS thread. The lessons' matrices are small,
    and a multi-threaded BLAS on a busy 2-core machine was measured 70x slower on one matmul; one
    thread also makes floating-point results independent of the machine's core count."""
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def cmd_lab(args: list[str]) -> int:
    py = ensure_env()
    extra = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    if os.name == "posix":
        # Kernels on local IPC sockets: never reachable from the network, and no "running over TCP
        # without encryption" warning at every kernel start.
        extra.append("--KernelManager.transport=ipc")
    return run([py, "-m", "jupyterlab", f"--ServerApp.root_dir={ROOT}", *extra, *args, ROOT / FIRST_LESSON], cwd=ROOT)


def cmd_test(args: list[str]) -> int:
    py = ensure_env("test")
    return run([py, "-m", "pytest", *args], cwd=ROOT, env=single_threaded_blas())


def cmd_execute(args: list[str]) -> int:
    py = ensure_env("test")
    return run([py, ROOT / "tools" / "build_notebooks.py", *args], cwd=ROOT, env=single_threaded_blas())


ON_REQUEST = ("bench_hub.py",)  # minutes long: run only when named (`python course.py bench hub`)


def cmd_bench(args: list[str]) -> int:
    scripts = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    names = [a for a in args if not a.startswith("-")]
    passed = [a for a in args if a.startswith("-")]
    chosen = [s for s in scripts if any(a in s.name for a in names)] if names else \
        [s for s in scripts if s.name not in ON_REQUEST]
    py = ensure_env("test,hub" if any(s.name in ON_REQUEST for s in chosen) else "test")
    worst = 0
    for script in chosen:
        worst = max(worst, run([py, script, *passed], cwd=ROOT, env=single_threaded_blas()))
    return worst


def cmd_hub(args: list[str]) -> int:
    py = ensure_env("hub")
    return run([py, ROOT / "tools" / "hub.py", *args], cwd=ROOT, env=single_threaded_blas())


def cmd_lite(args: list[str]) -> int:
    py = ensure_env("lite,test" if "--check" in args else "lite")
    return run([py, ROOT / "tools" / "lite.py", *args], cwd=ROOT)


COMMANDS = {"lab": cmd_lab, "test": cmd_test, "execute": cmd_execute, "bench": cmd_bench, "hub": cmd_hub,
            "lite": cmd_lite}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
