"""Static pictures of a lesson's live figures, for the stored notebook (used by the notebook builder).

A stored notebook cannot hold a live widget: before the learner runs it, JupyterLab can show only the
widget's text repr (``VBox(children=(HBox(…``), which reads as garbage. ``tools/build_notebooks.py``
calls :func:`display_new_canvases` right after a cell that displayed a widget and stores the picture it
displays in the widget's place, with a note to run the notebook. Not part of the lessons' API.
"""

from __future__ import annotations

import io

_seen: set[str] = set()


def display_new_canvases() -> int:
    """Display, as one PNG each, the ipympl figures created since the last call; return how many."""
    import sys

    backend = sys.modules.get("ipympl.backend_nbagg")
    if backend is None:
        # No live figure was made yet. Do not import ipympl here: importing it switches pyplot's
        # backend, and every later plt.show() of the lesson would become a live canvas too.
        return 0
    import ipywidgets
    from IPython.display import Image, display

    Canvas = backend.Canvas
    new = [w for mid, w in list(ipywidgets.Widget.widgets.items())
           if isinstance(w, Canvas) and mid not in _seen]
    for canvas in new:
        _seen.add(canvas.model_id)
        buf = io.BytesIO()
        canvas.figure.savefig(buf, format="png")
        display(Image(data=buf.getvalue(), format="png"))
    return len(new)
