"""An animated step-through of a sliding window (convolution or pooling), played in the browser.

Left: the (padded) input with the window's cells outlined; right: the output with the cell
being computed outlined; above: the products and their sum for that position. Plotly frames
carry every position, so Play/Pause and the position slider run without a server round trip.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from visuals import colors
from visuals.heatmaps import TEXT_LIMIT, symmetric_range, padding_overlay
from visuals.formulas import fmt


def _boxes(cells: list[tuple[int, int]], axis: str, color: str, width: float = 3) -> list[dict]:
    """Shape dicts outlining each (row, col) cell on subplot axis '' or '2'.

    A contiguous block becomes a single outline; scattered (dilated) cells are outlined one by one.
    """
    rows = sorted({r for r, _ in cells})
    cols = sorted({c for _, c in cells})
    contiguous = (len(cells) == len(rows) * len(cols) and rows[-1] - rows[0] + 1 == len(rows)
                  and cols[-1] - cols[0] + 1 == len(cols))
    boxes = [(rows[0], cols[0], rows[-1], cols[-1])] if contiguous else [(r, c, r, c) for r, c in cells]
    return [{"type": "rect", "xref": f"x{axis}", "yref": f"y{axis}", "x0": c0 - 0.5, "x1": c1 + 0.5,
             "y0": r0 - 0.5, "y1": r1 + 0.5, "line": {"color": color, "width": width}}
            for r0, c0, r1, c1 in boxes]


def _grid_trace(values: np.ndarray, signed: bool, origin: tuple[int, int], axis: str) -> dict:
    """A heat map whose axes count from `origin` (row, col), so labels are real coordinates."""
    rows, cols = values.shape
    zmin, zmax = symmetric_range(values) if signed else (float(np.nanmin(values)), float(np.nanmax(values)))
    trace = {"type": "heatmap", "z": values, "x": np.arange(cols) + origin[1], "y": np.arange(rows) + origin[0],
             "zmin": zmin, "zmax": zmax, "showscale": False, "xaxis": f"x{axis}", "yaxis": f"y{axis}",
             "colorscale": colors.DIVERGING if signed else colors.GRAY, "xgap": 1, "ygap": 1,
             "text": [[fmt(v, 1) for v in row] for row in values],
             "hovertemplate": "(%{y}, %{x}) = %{text}<extra></extra>"}
    if rows <= TEXT_LIMIT + 3 and cols <= TEXT_LIMIT + 3:
        trace.update(texttemplate="%{text}", textfont={"size": 10})
    return trace


def _padding_trace(mask: np.ndarray, origin: tuple[int, int]) -> dict:
    return {**padding_overlay(mask), "x": np.arange(mask.shape[1]) + origin[1],
            "y": np.arange(mask.shape[0]) + origin[0], "xaxis": "x", "yaxis": "y"}


def _axes(title_in: str, title_out: str) -> dict:
    """Two square-celled panels side by side, row 0 on top, every index labelled."""
    ticks = {"tickmode": "linear", "dtick": 1, "showgrid": False, "zeroline": False, "constrain": "domain"}
    return {
        "xaxis": {**ticks, "domain": [0.0, 0.47]}, "xaxis2": {**ticks, "domain": [0.53, 1.0]},
        "yaxis": {**ticks, "anchor": "x", "scaleanchor": "x", "autorange": "reversed"},
        "yaxis2": {**ticks, "anchor": "x2", "scaleanchor": "x2", "autorange": "reversed"},
        "annotations": [{"text": text, "x": x, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": "center",
                         "yanchor": "bottom", "showarrow": False, "font": {"size": 14}}
                        for text, x in ((title_in, 0.235), (title_out, 0.765))],
    }


def _controls(count: int, start: int, play: str, pause: str, labels: list[str]) -> dict:
    """Play/Pause buttons and a position slider that animate between the frames."""
    still = {"mode": "immediate", "frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}}
    playing = {**still, "frame": {"duration": 700, "redraw": True}, "fromcurrent": True}
    return {
        "updatemenus": [{"type": "buttons", "direction": "left", "x": 0.0, "y": -0.02, "xanchor": "left",
                         "yanchor": "top", "showactive": False, "buttons": [
                             {"label": play, "method": "animate", "args": [None, playing]},
                             {"label": pause, "method": "animate", "args": [[None], still]}]}],
        "sliders": [{"active": start, "x": 0.16, "len": 0.84, "y": -0.02, "yanchor": "top", "ticklen": 0,
                     "currentvalue": {"visible": True, "prefix": "(", "suffix": ")", "font": {"size": 12}},
                     "font": {"color": "rgba(0,0,0,0)"},
                     "steps": [{"label": labels[i], "method": "animate", "args": [[str(i)], still]}
                               for i in range(count)]}],
    }


def window_stepper(inputs: np.ndarray, outputs: np.ndarray, windows: list[list[tuple[int, int]]],
                   out_cells: list[tuple[int, int]], captions: list[str], *,
                   input_title: str, output_title: str, play: str, pause: str,
                   input_mask: np.ndarray | None = None, start: int = 0,
                   input_origin: tuple[int, int] = (0, 0), output_origin: tuple[int, int] = (0, 0),
                   signed_input: bool = True, height: int = 430) -> go.Figure:
    """Step through positions of a sliding window.

    inputs: (R, C) values shown on the left (already padded); input_mask: (R, C) True at padding.
    outputs: (OR, OC) values on the right. The arrays' first cells sit at input_origin and
    output_origin (row, col), so a zoomed region keeps its real coordinates (padding rows of
    an input are negative). windows[i]: the input cells (row, col) position i reads;
    out_cells[i]: the output cell it writes; captions[i]: the text shown for it.
    The figure is assembled as one plain spec (frames included) and wrapped once, which is
    several times faster than building and validating each frame object.
    """
    data = [_grid_trace(np.asarray(inputs, float), signed_input, input_origin, "")]
    if input_mask is not None and np.any(input_mask):
        data.append(_padding_trace(input_mask, input_origin))
    data.append(_grid_trace(np.asarray(outputs, float), True, output_origin, "2"))

    def shapes(i: int) -> list[dict]:
        return _boxes(windows[i], "", colors.HIGHLIGHT) + _boxes([out_cells[i]], "2", colors.HIGHLIGHT)

    def caption(i: int) -> dict:
        return {"text": captions[i], "x": 0.0, "xanchor": "left", "font": {"size": 14}}

    start = int(np.clip(start, 0, len(out_cells) - 1))
    labels = [f"{r}, {c}" for r, c in out_cells]
    layout = {"shapes": shapes(start), "title": caption(start), "height": height, "plot_bgcolor": "white",
              "margin": {"l": 8, "r": 8, "t": 80, "b": 70}, **_axes(input_title, output_title),
              **_controls(len(out_cells), start, play, pause, labels)}
    frames = [{"name": str(i), "layout": {"shapes": shapes(i), "title": caption(i)}} for i in range(len(out_cells))]
    return go.Figure({"data": data, "layout": layout, "frames": frames}, _validate=False)
