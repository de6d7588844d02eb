"""Drawing computation graphs with a highlighted node (lessons 2, 3 and 5's step-through widgets).

:func:`draw_graph` draws nodes and directed edges once and returns a :class:`GraphArtists`;
:func:`highlight` recolours those artists in place (no new artists), so a widget can call it at every
step and then ``canvas.draw_idle()``. Layouts: :func:`chain_layout` (an ordered system in a row, arcs
above), :func:`unrolled_layout` (an RNN unrolled in time), :func:`layer_layout` (an MLP's layers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.patches import Circle, FancyArrowPatch

from rnnedu.plotting import style

#: Colours of the node states.
#: Colours of the node states, from the palette (:mod:`rnnedu.plotting.style`); the current node also
#: gets a thick outline and active edges a thick line, so colour is never the only cue.
COLORS = {"idle": "#e8e8e8", "done": style.CYAN, "current": style.ORANGE, "target": style.KHAKI, "edge": "0.7",
          "active_edge": style.DARK_ORANGE}


@dataclass
class GraphArtists:
    """What :func:`draw_graph` made: ``nodes`` (one scatter), ``order`` (node names in scatter order),
    ``labels`` / ``values`` (text per node), ``edges`` and ``edge_labels`` keyed by ``(src, dst)``."""

    nodes: object
    order: list
    labels: dict
    values: dict
    edges: dict
    edge_labels: dict


def chain_layout(names: Sequence[str]) -> dict:
    """Nodes left to right at ``(k, 0)``, in the given order."""
    return {n: (float(k), 0.0) for k, n in enumerate(names)}


def unrolled_layout(steps: int) -> dict:
    """An RNN unrolled over ``steps``: column t holds ``zh{t}``, ``h{t}``, ``zo{t}`` (bottom to top),
    ``h0`` starts the hidden row, ``u`` and ``w`` sit below the columns, ``v`` above, ``C`` at the right."""
    pos = {}
    for t in range(1, steps + 1):
        pos[f"zh{t}"] = (1.5 * t, 0.0)
        pos[f"h{t}"] = (1.5 * t, 1.0)
        pos[f"zo{t}"] = (1.5 * t, 2.0)
    mid = 0.75 * (steps + 1)
    pos["h0"] = (0.0, 1.0)
    pos["u"] = (mid - 0.75, -1.3)
    pos["w"] = (mid + 0.75, -1.3)
    pos["v"] = (mid, 3.3)
    pos["C"] = (1.5 * steps + 1.5, 2.0)
    return pos


def layer_layout(sizes: Sequence[int]) -> dict:
    """MLP neurons: layer s at x = s, its ``n_s`` units centred vertically; names ``"s:i"``."""
    pos = {}
    for s, n in enumerate(sizes):
        for i in range(n):
            pos[f"{s}:{i}"] = (float(s), (n - 1) / 2.0 - i)
    return pos


def _shrunk_ends(p0, p2, rad: float, r: float):
    """Endpoints of an ``arc3`` edge moved ``r`` along its end tangents, so it starts and ends on the node
    circles: done once here instead of matplotlib's per-draw Bézier clipping (``shrinkA``/``shrinkB``)."""
    p0, p2 = np.asarray(p0, float), np.asarray(p2, float)
    d = p2 - p0
    c = (p0 + p2) / 2 + rad * np.array([d[1], -d[0]])  # arc3's control point (equal aspect)
    t0, t2 = c - p0, p2 - c
    t0 /= np.linalg.norm(t0)
    t2 /= np.linalg.norm(t2)
    return tuple(p0 + r * t0), tuple(p2 - r * t2)


def graph_limits(positions: Mapping[str, tuple], edges: Sequence[tuple] = (), *, arc: float = -0.35,
                 node_radius: float = 0.24, values_at: str = "below") -> tuple:
    """Data limits ``((x0, x1), (y0, y1))`` that hold every node, the value text under the lowest ones,
    and the highest arc of :func:`draw_graph` — use them to size a figure to its graph."""
    xy = np.array(list(positions.values()), dtype=float)
    top = xy[:, 1].max() + node_radius + 0.15
    for src, dst in edges:
        (a, b), (c, d) = positions[src], positions[dst]
        if abs(c - a) > 1.01 and abs(d - b) < 1e-9:
            top = max(top, b + 0.5 * abs(arc) * abs(c - a) + 0.25)
    right = 0.9 if values_at == "right" else 0.0  # room for the value text right of the last column
    return ((xy[:, 0].min() - node_radius - 0.35, xy[:, 0].max() + node_radius + 0.35 + right),
            (xy[:, 1].min() - node_radius - 0.45, top))


def draw_graph(ax, positions: Mapping[str, tuple], edges: Sequence[tuple], *, labels: Mapping[str, str] | None = None,
               edge_labels: Mapping[tuple, str] | None = None, arc: float = -0.35, node_radius: float = 0.24,
               fontsize: float = 11, values_at: str = "below") -> GraphArtists:
    """Draw nodes at ``positions`` and an arrow per ``(src, dst)`` in ``edges``; returns the artists.

    Nodes are circles of ``node_radius`` data units (one ``PatchCollection``). Edges between neighbours
    in a row are straight; longer ones arc (``arc`` is matplotlib's ``arc3`` radius, negative bends up
    for left-to-right edges). ``labels`` maps names to (LaTeX) text inside the nodes; ``edge_labels``
    puts text at each arc's midpoint. Each node also gets an empty ``values`` text for numbers, ``"below"``
    it or to its ``"right"``.
    Axes are set to equal aspect with ticks hidden.
    """
    order = list(positions)
    xy = np.array([positions[n] for n in order], dtype=float)
    nodes = PatchCollection([Circle(p, node_radius) for p in xy], facecolors=[COLORS["idle"]] * len(order),
                            edgecolors="0.3", linewidths=1.0, zorder=3)
    ax.add_collection(nodes)
    labels = labels or {}
    texts = {n: ax.text(*positions[n], labels.get(n, n), ha="center", va="center", fontsize=fontsize, zorder=4)
             for n in order}
    if values_at not in ("below", "right"):
        raise ValueError(f"values_at must be 'below' or 'right', got {values_at!r}")
    dx, dy, ha, va = ((0.0, -node_radius - 0.04, "center", "top") if values_at == "below"
                      else (node_radius + 0.04, 0.0, "left", "center"))
    values = {n: ax.text(positions[n][0] + dx, positions[n][1] + dy, "", ha=ha, va=va,
                         fontsize=fontsize - 2, zorder=4,
                         bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none")) for n in order}  # opaque: no edge shows through
    arrows, arrow_texts = {}, {}
    for src, dst in edges:
        (x0, y0), (x1, y1) = positions[src], positions[dst]
        far = abs(x1 - x0) > 1.01 and abs(y1 - y0) < 1e-9
        rad = arc * (1 if x1 >= x0 else -1) if far else 0.0
        start, end = _shrunk_ends((x0, y0), (x1, y1), rad, node_radius + 0.02)
        patch = FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                mutation_scale=12, color=COLORS["edge"], lw=1.2, shrinkA=0, shrinkB=0, zorder=2)
        ax.add_patch(patch)
        arrows[(src, dst)] = patch
        if edge_labels and (src, dst) in edge_labels:
            # midpoint of the quadratic Bézier that arc3 draws (equal aspect: data ≈ display directions)
            mx, my = (x0 + x1) / 2 + 0.5 * rad * (y1 - y0), (y0 + y1) / 2 - 0.5 * rad * (x1 - x0)
            arrow_texts[(src, dst)] = ax.text(mx, my, edge_labels[(src, dst)], ha="center", va="center",
                                              fontsize=fontsize - 2, color="0.35", zorder=4,
                                              bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))
    (x0, x1), (y0, y1) = graph_limits(positions, edges, arc=arc, node_radius=node_radius, values_at=values_at)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return GraphArtists(nodes, order, texts, values, arrows, arrow_texts)


def moving_artists(artists: GraphArtists) -> list:
    """Everything :func:`highlight` changes, plus what must be drawn over it (the node labels): the
    artists a widget hands to :class:`rnnedu.widgets.Blit` so a step redraws only the graph."""
    return [*artists.edges.values(), artists.nodes, *artists.labels.values(), *artists.values.values(),
            *artists.edge_labels.values()]


def freeze_layout(fig, ax) -> None:
    """Give a graph's only axes the whole figure and turn the layout engine off: a graph has no tick
    labels to make room for, and constrained layout would otherwise re-run on every redraw."""
    fig.set_layout_engine("none")
    ax.set_position([0.005, 0.005, 0.99, 0.99])


def highlight(artists: GraphArtists, *, current: Sequence[str] = (), done: Sequence[str] = (),
              target: Sequence[str] = (), active_edges: Sequence[tuple] = (),
              values: Mapping[str, str] | None = None) -> None:
    """Recolour in place: ``current`` nodes orange, ``done`` green, ``target`` purple, the rest grey;
    ``active_edges`` thick orange; ``values`` replaces the number text under each node (missing: blank)."""
    current, done, target = set(current), set(done), set(target)
    colors = [COLORS["current"] if n in current else COLORS["target"] if n in target
              else COLORS["done"] if n in done else COLORS["idle"] for n in artists.order]
    artists.nodes.set_facecolors(colors)
    artists.nodes.set_linewidths([2.6 if n in current else 1.0 for n in artists.order])  # not colour alone
    active = set(active_edges)
    for key, patch in artists.edges.items():
        on = key in active
        patch.set_color(COLORS["active_edge"] if on else COLORS["edge"])
        patch.set_linewidth(2.4 if on else 1.2)
        patch.set_zorder(2.5 if on else 2)
    for key, text in artists.edge_labels.items():
        text.set_color(COLORS["active_edge"] if key in active else "0.35")
    values = values or {}
    for n, text in artists.values.items():
        text.set_text(values.get(n, ""))
