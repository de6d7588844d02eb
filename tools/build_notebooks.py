#!/usr/bin/env python3
"""Build the lessons: notebooks/src/NN_name.py (jupytext percent) -> notebooks/NN_name.ipynb, executed.

    python course.py execute                 # every lesson
    python course.py execute 01 03           # lessons whose file name starts with 01 or 03

The sources are plain Python (reviewable diffs); the .ipynb files are what learners open and what
nbval re-runs. Execution is deterministic: a fresh kernel per lesson, cells top to bottom, fixed hash
seed, seeded random generators inside the lessons. Afterwards the notebook is normalised so that two
builds of the same source give the same file: cell ids numbered, no timing metadata, and no stored
widget state (JupyterLab would show a dead snapshot of it; the widgets come alive when the cells run).
tests/test_notebooks_fresh.py fails if a .ipynb is older than its source.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "notebooks" / "src"
OUT = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# What a stored notebook shows in place of a widget until the learner runs the cell. nbval compares it
# with the live widget's repr through tests/nbval_sanitize.cfg, which maps both onto one token.
WIDGET_NOTE = "▶ Interactive: run the notebook (Run → Run All Cells) to move these controls. Above: the first state."
SNAPSHOT = "__import__('rnnedu.widgets._snapshot', fromlist=['_']).display_new_canvases() and None"


class SnapshotClient(NotebookClient):
    """Executes a lesson and, after each cell that displayed a widget, pictures the widget's live
    figures (in the same kernel, without history, so execution counts stay 1, 2, …). The pictures go
    into the widget's stored output in :func:`normalise`."""

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if cell.cell_type == "code" and any(WIDGET_VIEW in o.get("data", {}) for o in cell.get("outputs", [])):
            probe = nbformat.v4.new_code_cell(SNAPSHOT)
            await super().async_execute_cell(probe, cell_index, store_history=False)
            self.nb.cells[cell_index] = cell  # nbclient files the probe under this index: put the cell back
            pictures = [o["data"]["image/png"] for o in probe.outputs if "image/png" in o.get("data", {})]
            cell.metadata["rnnedu_snapshots"] = pictures
        return cell
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def read_source(path: Path) -> nbformat.NotebookNode:
    """Read a percent-format lesson source as a notebook with normalised metadata and cell ids."""
    nb = jupytext.read(path)
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i:03d}"
        cell.metadata = {k: v for k, v in cell.metadata.items() if k == "tags"}
    return nb


def normalise(nb: nbformat.NotebookNode) -> None:
    """Make the stored notebook a pure function of its source: no widget state, no timings, and no
    widget views. A stored view points at a model that exists only while the kernel runs: JupyterLab
    shows "Error displaying widget: model not found" for it in a trusted notebook (seen in the browser
    tests). Without it the output keeps its text form until the learner runs the cell, and a rebuild
    of an unchanged lesson is byte-identical (the model ids were random). nbval skips the view's
    MIME type, so it compares exactly what it compared before."""
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            # The snapshot probes run without history, but the kernel still counts them: renumber 1, 2, …
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = count
        cell.metadata.pop("execution", None)
        pictures = cell.metadata.pop("rnnedu_snapshots", [])
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if data.pop(WIDGET_VIEW, None) is not None and re.match(r"\w+\(children=\(", "".join(data.get("text/plain", ""))):
                # A box of controls: its text repr (`VBox(children=(HBox(…`) reads as garbage before
                # the cell runs, so store a picture of its figure and a note instead (issue 16).
                # Other widgets (a tqdm bar) keep their text, which reads fine.
                data["text/plain"] = WIDGET_NOTE
                if pictures:
                    data["image/png"] = pictures.pop(0)
        for extra in pictures:
            cell.outputs.append(nbformat.v4.new_output("display_data", data={"image/png": extra, "text/plain": WIDGET_NOTE}))


def build(path: Path) -> Path:
    nb = read_source(path)
    start = time.perf_counter()
    # Kernels talk over local IPC sockets where the OS has them: ipykernel warns at every start that
    # TCP without encryption can be read by others on the machine (issue 16), and IPC never leaves it.
    # The socket path must be absolute: the kernel runs in notebooks/, the client here.
    ipc = {"transport": "ipc", "ip": os.path.join(tempfile.mkdtemp(prefix="rnnedu-kernel-"), "k")} if os.name == "posix" else {}
    km = AsyncKernelManager(kernel_name="python3", **ipc)
    client = SnapshotClient(nb, km=km, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(OUT)}})
    client.execute()
    normalise(nb)
    target = OUT / (path.stem + ".ipynb")
    nbformat.write(nb, target)
    print(f"{target.relative_to(ROOT)}: {len(nb.cells)} cells in {time.perf_counter() - start:.1f} s", flush=True)
    return target


def main(argv: list[str]) -> int:
    os.environ["PYTHONHASHSEED"] = "0"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # same as `python course.py test`: same floating-point results
    sources = sorted(SRC.glob("[0-9][0-9]_*.py"))
    if argv:
        sources = [s for s in sources if any(s.name.startswith(a) for a in argv)]
        if not sources:
            print(f"no lesson source in {SRC} starts with {' or '.join(argv)}", file=sys.stderr)
            return 2
    for src in sources:
        build(src)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
