"""Every lesson's .ipynb is the executed build of its source in notebooks/src/ (python course.py execute)."""

import json
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_every_notebook_has_a_source_and_vice_versa():
    assert SOURCES, "no lesson sources found"
    assert [p.stem for p in SOURCES] == [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_notebook_is_built_from_current_source(src):
    built = json.loads((ROOT / "notebooks" / f"{src.stem}.ipynb").read_text(encoding="utf-8"))
    expected = jupytext.read(src)
    got = [(c["cell_type"], "".join(c["source"])) for c in built["cells"]]
    want = [(c.cell_type, c.source) for c in expected.cells]
    assert got == want, f"{src.name} changed since its notebook was built: run `python course.py execute {src.stem[:2]}`"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executed_in_order_without_widget_state_or_errors(nb_path):
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    assert "widgets" not in nb["metadata"], "stored widget state: JupyterLab would show a dead snapshot"
    views = [o for c in nb["cells"] for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert not views, "stored widget views show 'model not found' in JupyterLab: rebuild with course.py execute"
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "cells must be executed once each, top to bottom"
    for cell in code:
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        if "raises-exception" in cell["metadata"].get("tags", []):
            assert errors, "a cell tagged raises-exception should show its error"
        else:
            assert not errors, f"unexpected error output in {nb_path.name}: {errors[0]['ename']}"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_stored_output_shows_a_widget_repr(nb_path):
    """Before a learner runs a lesson, a widget's text repr (`VBox(children=(HBox(…`) reads as garbage:
    the builder stores a picture of the widget's first state and a note instead (issue 16)."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            text = "".join(output.get("data", {}).get("text/plain", ""))
            assert "(children=(" not in text, f"cell {i} stores a widget repr: rebuild with course.py execute"
            if text.startswith("▶ Interactive"):
                assert "image/png" in output["data"], f"cell {i}: the widget note has no picture of the first state"
