"""Lesson 3's step-through widget: Werbos' backward sweep over an ordered system, one variable per step.

At step k the graph highlights the variable whose ordered derivative is being computed (orange), the
edges to the later variables whose totals it collects (thick orange), the variables already finished
(green), and the panel shows eq. (3.2) with the numbers substituted. Lesson 5 reuses it for BPTT on an
unrolled network (``rnnedu.ordered.scalar_rnn_system`` with ``rnnedu.plotting.graph.unrolled_layout``).
"""

from __future__ import annotations

import html
import re

from typing import Mapping

import ipywidgets as W

from rnnedu.ordered import OrderedStep, OrderedSystem, ordered_derivatives
from rnnedu.plotting import graph
from rnnedu.widgets import Blit, after_image, live_figure, make_stepper, summary_html


def _num(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() and abs(x) < 1e6 else f"{x:.3f}"



def _tex_to_html(tex: str) -> str:
    """``z^h_{3}`` → ``z<sup>h</sup><sub>3</sub>``: table cells in HTML, which JupyterLab shows without
    waiting for a math typesetter (the browser tests saw raw ``$z_{4}$`` in the table)."""
    out = re.sub(r"_\{([^}]*)\}", r"<sub>\1</sub>", tex)
    out = re.sub(r"\^\{([^}]*)\}", r"<sup>\1</sup>", out)
    out = re.sub(r"_([A-Za-z0-9])", r"<sub>\1</sub>", out)
    out = re.sub(r"\^([A-Za-z0-9])", r"<sup>\1</sup>", out)
    return f"<i>{out}</i>"

class OrderedStepper:
    """Step through ``ordered_derivatives(system, system.evaluate(inputs))`` from the last variable back.

    ``update(step)`` highlights trace step ``step`` and writes its formula; it returns that
    :class:`~rnnedu.ordered.OrderedStep`. The stepper's Play / Prev / Next / slider call it.
    """

    def __init__(self, system: OrderedSystem, inputs: Mapping[str, float], *, positions: Mapping | None = None,
                 width: float = 7.6, edge_labels: bool = True, values_at: str = "below", interval_ms: int = 1200):
        self.system = system
        self.values = system.evaluate(inputs)
        self.result = ordered_derivatives(system, self.values)
        self.trace = self.result.trace
        names = [*system.names, system.target.name]
        positions = dict(positions) if positions is not None else graph.chain_layout(names)
        missing = [n for n in names if n not in positions]
        if missing:
            raise ValueError(f"positions lack {', '.join(missing)}")
        edges = [(i, v.name) for v in (*system.variables, system.target) for i in v.inputs]
        local = {**system.local_partials(self.values),
                 **{(system.target.name, i): d for i, d in system.direct_partials(self.values).items()}}
        labels = {(i, j): _num(local[(j, i)]) for i, j in edges} if edge_labels else None
        (x0, x1), (y0, y1) = graph.graph_limits(positions, edges, values_at=values_at)
        self.fig, self.ax = live_figure(figsize=(width, min(max(width * (y1 - y0) / (x1 - x0), 1.5), 6.0)))
        self.artists = graph.draw_graph(self.ax, positions, edges,
                                        labels={n: f"${system[n].tex}$" for n in names}, edge_labels=labels,
                                        values_at=values_at)
        graph.freeze_layout(self.fig, self.ax)
        self.blit = Blit(self.fig, graph.moving_artists(self.artists))  # a step changes only the graph
        self.formula = W.HTMLMath(layout=W.Layout(min_height="70px"))
        self.table = W.HTML()
        self.summary = W.HTML(layout=W.Layout(max_width=f"{int(width * 100) + 40}px"))
        self._live = False  # texts at once while building (and in tests); a moment after the image later
        self.stepper = make_stepper(len(self.trace), self.update, interval_ms=interval_ms,
                                    description="step")
        self.widget = W.VBox([self.stepper.widget, self.fig.canvas, self.summary, self.formula, self.table])
        self._live = True

    def update(self, step: int) -> OrderedStep:
        """Show trace step ``step`` (0 = the last variable)."""
        if not 0 <= step < len(self.trace):
            raise ValueError(f"step must lie in [0, {len(self.trace) - 1}], got {step}")
        st = self.trace[step]
        finished = [s.name for s in self.trace[:step]]
        shown = {s.name: f"∂⁺={_num(s.total)}" for s in self.trace[:step + 1]}
        graph.highlight(self.artists, current=[st.name], done=finished, target=[self.system.target.name],
                        active_edges=[(st.name, t.later) for t in st.terms]
                        + ([(st.name, self.system.target.name)] if st.direct else []),
                        values=shown)
        self.blit.update()  # the image first; the formula (typeset by MathJax) and texts a moment later

        def texts():
            self.formula.value = f"$${st.latex(self.system)}$$"
            rows = "".join(f"<tr><td>{_tex_to_html(self.system[s.name].tex)}</td><td style='text-align:right'>"
                           f"{_num(s.direct)}</td><td style='text-align:right'><b>{_num(s.total)}</b></td></tr>"
                           for s in self.trace[:step + 1])
            self.table.value = ("<table style='border-collapse:separate;border-spacing:14px 2px'>"
                                "<tr><th style='text-align:left'>variable</th><th style='text-align:right'>partial ∂</th>"
                                f"<th style='text-align:right'>ordered ∂⁺</th></tr>{rows}</table>")
            later = ", ".join(t.later for t in st.terms)
            self.summary.value = (summary_html(f"Step {step + 1} of {len(self.trace)}: the ordered derivative of "
                                  f"{html.escape(st.name)} (orange, thick outline) = {_num(st.total)}, from its direct "
                                  f"partial {_num(st.direct)}" + (f" and the later variables {html.escape(later)}" if later else "")
                                  + f"; {len(finished)} variable(s) finished (cyan), the target "
                                  f"{html.escape(self.system.target.name)} in khaki."))

        after_image(texts) if self._live else texts()
        return st


def ordered_stepper(system: OrderedSystem, inputs: Mapping[str, float], **kw) -> OrderedStepper:
    """Build lesson 3's :class:`OrderedStepper`; display ``stepper.widget``."""
    return OrderedStepper(system, inputs, **kw)
