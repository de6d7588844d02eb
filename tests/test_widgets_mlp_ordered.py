"""Lessons 2 and 3's step-through widgets and the graph drawing, driven without a browser."""

import matplotlib.colors as mcolors
import numpy as np
import pytest

from rnnedu.mlp import init_mlp, mlp_backward, mlp_forward
from rnnedu.ordered import scalar_rnn_system, werbos_example
from rnnedu.plotting import graph
from rnnedu.widgets import live_figure
from rnnedu.widgets.mlp import delta_stepper
from rnnedu.widgets.ordered import ordered_stepper


def face(artists, name):
    return mcolors.to_hex(artists.nodes.get_facecolors()[artists.order.index(name)])


def test_draw_graph_and_highlight_update_in_place():
    fig, ax = live_figure(figsize=(4, 2))
    pos = graph.chain_layout(["a", "b", "c"])
    art = graph.draw_graph(ax, pos, [("a", "b"), ("a", "c")], edge_labels={("a", "c"): "2"})
    assert art.order == ["a", "b", "c"] and set(art.edges) == {("a", "b"), ("a", "c")}
    n_artists = len(ax.get_children())
    graph.highlight(art, current=["b"], done=["a"], target=["c"], active_edges=[("a", "c")], values={"a": "7"})
    assert len(ax.get_children()) == n_artists  # recoloured, nothing added
    assert face(art, "b") == graph.COLORS["current"] and face(art, "a") == graph.COLORS["done"]
    assert face(art, "c") == graph.COLORS["target"]
    assert art.edges[("a", "c")].get_linewidth() > art.edges[("a", "b")].get_linewidth()
    assert art.values["a"].get_text() == "7" and art.values["b"].get_text() == ""
    assert art.edge_labels[("a", "c")].get_text() == "2"


def test_graph_limits_hold_nodes_and_arcs():
    pos = graph.chain_layout(["a", "b", "c", "d"])
    (x0, x1), (y0, y1) = graph.graph_limits(pos, [("a", "d")], arc=-0.4, node_radius=0.2)
    assert x0 < -0.2 and x1 > 3.2 and y0 < -0.2
    assert y1 >= 0.5 * 0.4 * 3  # the arc from a to d peaks 0.6 above the row
    (_, x1r), _ = graph.graph_limits(pos, values_at="right")
    assert x1r > x1
    fig, ax = live_figure(figsize=(4, 2))
    with pytest.raises(ValueError, match="values_at must be"):
        graph.draw_graph(ax, pos, [], values_at="left")


def test_layouts():
    assert graph.layer_layout([2, 3])["1:0"] == (1.0, 1.0)
    pos = graph.unrolled_layout(3)
    assert {"u", "w", "v", "h0", "C", "zh3", "h3", "zo3"} <= set(pos)
    assert pos["zh2"][0] == pos["h2"][0] == pos["zo2"][0] < pos["zh3"][0]


def test_ordered_stepper_walks_the_note_example():
    w = ordered_stepper(werbos_example(), {"z1": 1.0})
    assert len(w.trace) == 4 and w.stepper.n_steps == 4
    assert "= 4$$" in w.formula.value  # step 0 shown at construction: ∂⁺E/∂z4 = ∂E/∂z4 = 4
    w.stepper.step = 2  # the slider drives update
    assert w.formula.value.endswith(r"= 2 + 4 \cdot 2 + 16 \cdot 3 = 58$$")
    assert face(w.artists, "z2") == graph.COLORS["current"]
    assert face(w.artists, "z4") == graph.COLORS["done"] and face(w.artists, "z1") == graph.COLORS["idle"]
    active = {k for k, p in w.artists.edges.items() if p.get_linewidth() > 2}
    assert active == {("z2", "z3"), ("z2", "z4"), ("z2", "E")}
    assert w.table.value.count("<tr>") == 1 + 3
    st = w.update(3)
    assert st.name == "z1" and st.total == 136.0
    assert w.artists.values["z1"].get_text() == "∂⁺=136"
    with pytest.raises(ValueError, match=r"step must lie in \[0, 3\]"):
        w.update(4)


def test_ordered_stepper_on_unrolled_rnn_and_bad_positions():
    system = scalar_rnn_system([0.5, -1.0], [1.0, 0.0])
    w = ordered_stepper(system, {"u": 0.7, "w": 0.9, "v": -1.2, "h0": 0.0},
                        positions=graph.unrolled_layout(2), edge_labels=False)
    names = [s.name for s in w.trace]
    assert names[0] == "zo2" and names[-1] == "u"
    st = w.update(names.index("w"))
    assert st.total == pytest.approx(w.result.total["w"]) and r"\partial^+ C" in w.formula.value
    with pytest.raises(ValueError, match="positions lack"):
        ordered_stepper(werbos_example(), {"z1": 1.0}, positions={"z1": (0, 0)})


def test_delta_stepper_steps_back_through_the_layers():
    net = init_mlp((2, 3, 3, 2), "tanh", rng=np.random.default_rng(2))
    x, y = np.array([[0.5, -1.0]]), np.array([1])
    w = delta_stepper(net, x, y)
    g = mlp_backward(mlp_forward(net, x), y)
    assert w.steps == [("delta", 3), ("dW", 3), ("delta", 2), ("dW", 2), ("delta", 1), ("dW", 1)]
    assert f"{g.delta[3][0, 1]:.3f}" in w.formula.value and "eq. 2.4" in w.formula.value
    assert w.update(2) == ("delta", 2)
    assert f"{g.delta[2][0, 2]:.3f}" in w.formula.value and "eq. 2.5" in w.formula.value
    assert face(w.artists, "2:0") == graph.COLORS["current"] and face(w.artists, "3:0") == graph.COLORS["done"]
    active = {k for k, p in w.artists.edges.items() if p.get_linewidth() > 2}
    assert active == {(f"2:{i}", f"3:{j}") for i in range(3) for j in range(2)}  # W(3) carries δ(3) back
    assert w.artists.values["2:2"].get_text() == f"{g.delta[2][0, 2]:+.3f}"
    assert w.update(5) == ("dW", 1)
    assert f"{g.dW[0][1, 2]:.3f}" in w.formula.value and "eq. 2.6" in w.formula.value
    with pytest.raises(ValueError, match="step must lie"):
        w.update(6)
