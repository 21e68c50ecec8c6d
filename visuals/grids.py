"""Subplot grids without plotly.py's per-property validation: `grid_figure(layout, traces)`.

`plotly.subplots.make_subplots` plus `add_trace(row=, col=)` and `update_*axes` validate every
property they touch; for a grid of two dozen small heat maps that took about 100 ms of each
rerun, longer than the rest of the page's arithmetic. Here the grid's layout (axis domains and
anchors, subplot titles) is made once per shape by make_subplots itself and kept, and each run
only fills in plain trace dicts, so the figure is the same one make_subplots would build.
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache

import plotly.graph_objects as go
from plotly.subplots import make_subplots


@lru_cache(maxsize=64)
def _grid_layout(rows: int, cols: int, options: str) -> str:
    """make_subplots' layout for this grid, as JSON (kept per shape and options)."""
    fig = make_subplots(rows=rows, cols=cols, **json.loads(options))
    layout = fig.to_plotly_json()["layout"]
    layout.pop("template", None)
    return json.dumps(layout)


def grid_layout(rows: int, cols: int, **options) -> dict:
    """A fresh copy of make_subplots(rows, cols, **options)'s layout (without its template)."""
    return copy.deepcopy(json.loads(_grid_layout(rows, cols, json.dumps(options, sort_keys=True))))


def axis_names(rows: int, cols: int, row: int, col: int) -> tuple[str, str]:
    """('x7', 'y7'): the axes of the subplot at (row, col), both counted from 1, row by row."""
    n = (row - 1) * cols + col
    suffix = "" if n == 1 else str(n)
    return f"x{suffix}", f"y{suffix}"


def update_axes(layout: dict, prefix: str, **props) -> None:
    """Set `props` on every axis of `prefix` ('xaxis' or 'yaxis') in `layout`."""
    for name, axis in layout.items():
        if name.startswith(prefix):
            axis.update(props)


def grid_figure(layout: dict, traces: list[dict]) -> go.Figure:
    """The figure of our own plain trace dicts over `layout` (a grid's, or any plain layout): no
    validation, which for most figures cost more than the page's arithmetic."""
    return go.Figure({"data": traces, "layout": layout}, skip_invalid=False, _validate=False)
