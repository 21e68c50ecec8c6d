"""Block diagrams of the architectures page: an inception module, a residual block or an SE block
drawn as boxes (layers) and arrows (tensors), each arrow labelled with the shape it carries.

Pure builder: the engine's nodes of one block (engine.shapes.architectures.Graph.block_nodes) and the
already-translated kind labels in, a Plotly figure (a plain spec) out. Layout: a node sits one
row below its deepest input; a branch opens a new column; a merge sits between its inputs; a
skip connection that would cross the boxes of its own column runs down a lane on the right.
"""
from __future__ import annotations

import plotly.graph_objects as go

BOX_W, BOX_H = 0.84, 0.56
ROW_PX = 84
MIN_SPAN = 4.2  # x units shown at least, so a one-column block keeps narrow boxes
COLORS = {  # Okabe-Ito tints, one per kind of layer
    "conv": "#CFE5F5", "pool": "#FBE3C8", "batchnorm": "#E6E6E6", "activation": "#F2F2F2",
    "concat": "#CDEFE3", "add": "#CDEFE3", "multiply": "#CDEFE3", "global_pool": "#FBE3C8",
    "dense": "#EBD9E7", "reshape": "#F2F2F2", "dropout": "#F2F2F2", "zero_pad": "#F2F2F2",
    "flatten": "#F2F2F2", "input": "#FFFFFF",
}
EDGE = "#555555"


def shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(v) for v in shape)


def layout(nodes) -> tuple[dict[str, float], dict[str, int]]:
    """x (column, may be fractional) and depth (row) of every node."""
    inside = {n.name for n in nodes}
    x: dict[str, float] = {}
    depth: dict[str, int] = {}
    children: dict[str, list[str]] = {}
    next_col = 0
    for n in nodes:
        ins = [i for i in n.inputs if i in inside]
        depth[n.name] = 1 + max((depth[i] for i in ins), default=-1)
        if len(ins) > 1:
            x[n.name] = sum(x[i] for i in ins) / len(ins)
        elif ins and not children.get(ins[0]):
            x[n.name] = x[ins[0]]
        else:
            x[n.name] = float(next_col)
            next_col += 1
        for i in ins:
            children.setdefault(i, []).append(n.name)
    for n in nodes:  # a block's source sits above the middle of its branches
        kids = children.get(n.name, [])
        if depth[n.name] == 0 and len(kids) > 1:
            x[n.name] = sum(x[k] for k in kids) / len(kids)
    return x, depth


def _column_busy(src: str, dst: str, x, depth) -> bool:
    """True when another box sits in src's column between the rows of src and dst."""
    return any(abs(x[n] - x[src]) < BOX_W and depth[src] < depth[n] < depth[dst] for n in x)


def _box(node, label: str, x: float, y: float) -> tuple[dict, dict]:
    shape = {"type": "rect", "x0": x - BOX_W / 2, "x1": x + BOX_W / 2, "y0": y - BOX_H / 2,
             "y1": y + BOX_H / 2, "line": {"color": EDGE, "width": 1},
             "fillcolor": COLORS.get(node.kind, "#FFFFFF"), "layer": "below"}
    text = f"<b>{label}</b>" + (f"<br>{node.config}" if node.config else "")
    note = {"x": x, "y": y, "text": text, "showarrow": False, "font": {"size": 12, "color": "#222222"},
            "hovertext": node.name}
    return shape, note


def _label(text: str, x: float, y: float) -> dict:
    return {"x": x, "y": y, "text": text, "showarrow": False, "font": {"size": 11, "color": "#1F3B57"},
            "bgcolor": "rgba(255,255,255,0.9)"}


def _arrow(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"x": x1, "y": y1, "ax": x0, "ay": y0, "xref": "x", "yref": "y", "axref": "x", "ayref": "y",
            "text": "", "showarrow": True, "arrowhead": 2, "arrowsize": 1, "arrowwidth": 1.3,
            "arrowcolor": EDGE}


def _line(xs: list[float], ys: list[float]) -> dict:
    return {"type": "scatter", "x": xs, "y": ys, "mode": "lines", "line": {"color": EDGE, "width": 1.3},
            "hoverinfo": "skip", "showlegend": False}


def _edge(src, dst, text: str, x, depth, lane: float) -> tuple[list[dict], list[dict]]:
    """One arrow: straight to the next row; down its own column first when it skips rows; down
    the right-hand lane when its column is taken by other boxes."""
    ys, yd = -depth[src] - BOX_H / 2, -depth[dst] + BOX_H / 2
    if depth[dst] - depth[src] <= 1:
        frac = 0.5 if abs(x[src] - x[dst]) < 1e-9 else 0.62
        return [_arrow(x[src], ys, x[dst], yd),
                _label(text, x[src] + (x[dst] - x[src]) * frac, ys + (yd - ys) * frac)], []
    if _column_busy(src, dst, x, depth):
        right = max(x[src], x[dst]) + BOX_W / 2
        line = _line([x[src] + BOX_W / 2, lane, lane], [-depth[src], -depth[src], -depth[dst]])
        return [_arrow(lane, -depth[dst], right, -depth[dst]),
                _label(text, lane, -(depth[src] + depth[dst]) / 2)], [line]
    bend = -depth[dst] + 1 - BOX_H / 2
    return [_arrow(x[src], bend, x[dst], yd), _label(text, x[src], (ys + bend) / 2)], [_line([x[src], x[src]], [ys, bend])]


def _edges(nodes, x, depth, lane: float) -> tuple[list[dict], list[dict]]:
    """Arrows (annotations) and line pieces (scatter traces), one shape label per edge."""
    notes, traces = [], []
    by_name = {n.name: n for n in nodes}
    for n in nodes:
        for src in (i for i in n.inputs if i in by_name):
            more_notes, more_traces = _edge(src, n.name, shape_text(by_name[src].shape), x, depth, lane)
            notes += more_notes
            traces += more_traces
    return notes, traces


def block_figure(nodes, labels: dict[str, str], title: str) -> go.Figure:
    """The block as a diagram: boxes 'kind label / configuration', arrows with tensor shapes.

    nodes: engine Nodes (the first ones feed the block from outside); labels: kind -> text."""
    x, depth = layout(nodes)
    lane = max(x.values()) + 0.9
    shapes, notes = [], []
    for n in nodes:
        box, note = _box(n, labels.get(n.kind, n.kind), x[n.name], -depth[n.name])
        shapes.append(box)
        notes.append(note)
    arrows, traces = _edges(nodes, x, depth, lane)
    rows = max(depth.values()) + 1
    low, high = min(x.values()) - 0.6, lane + 0.6
    half = max(high - low, MIN_SPAN) / 2
    left, right = (low + high) / 2 - half, (low + high) / 2 + half
    layout_spec = {
        "title": {"text": title, "x": 0.02, "font": {"size": 15}},
        "height": 70 + rows * ROW_PX, "margin": {"l": 8, "r": 8, "t": 44, "b": 8},
        "plot_bgcolor": "white", "shapes": shapes, "annotations": notes + arrows, "showlegend": False,
        "xaxis": {"visible": False, "range": [left, right], "fixedrange": True},
        "yaxis": {"visible": False, "range": [-rows + 0.4, 0.6], "fixedrange": True},
    }
    return go.Figure({"data": traces, "layout": layout_spec}, _validate=False)
