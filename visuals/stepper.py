"""An animated step-through of a sliding window (convolution or pooling), played in the browser.

Left: the (padded) input with the window's cells outlined; right: the output with the cell
being computed outlined; above: the products and their sum for that position. Plotly frames
carry every position, so Play/Pause and the position slider run without a server round trip.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from visuals import colors
from visuals.heatmaps import TEXT_LIMIT, _symmetric_range
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


def _grid_trace(values: np.ndarray, signed: bool, origin: tuple[int, int], zrange=None) -> go.Heatmap:
    """A heat map whose axes count from `origin` (row, col), so labels are real coordinates."""
    rows, cols = values.shape
    show = rows <= TEXT_LIMIT + 3 and cols <= TEXT_LIMIT + 3
    zmin, zmax = zrange or (_symmetric_range(values) if signed else (np.nanmin(values), np.nanmax(values)))
    return go.Heatmap(z=values, x=np.arange(cols) + origin[1], y=np.arange(rows) + origin[0], zmin=zmin, zmax=zmax, showscale=False,
                      colorscale=colors.DIVERGING if signed else colors.GRAY,
                      text=[[fmt(v, 3) for v in row] for row in values],
                      texttemplate="%{text}" if show else None, textfont={"size": 10},
                      hovertemplate="(%{y}, %{x}) = %{text}<extra></extra>", xgap=1, ygap=1)


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
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=(input_title, output_title),
                        horizontal_spacing=0.06)
    fig.add_trace(_grid_trace(inputs, signed_input, input_origin), row=1, col=1)
    if input_mask is not None and np.any(input_mask):
        fig.add_trace(go.Heatmap(z=np.where(input_mask, 1.0, np.nan), showscale=False, hoverinfo="skip",
                                 x=np.arange(inputs.shape[1]) + input_origin[1],
                                 y=np.arange(inputs.shape[0]) + input_origin[0],
                                 colorscale=[[0, colors.PADDING], [1, colors.PADDING]]), row=1, col=1)
    fig.add_trace(_grid_trace(outputs, True, output_origin), row=1, col=2)

    def shapes(i: int) -> list[dict]:
        r, c = out_cells[i]
        return _boxes(windows[i], "", colors.HIGHLIGHT) + _boxes([(r, c)], "2", colors.HIGHLIGHT)

    def caption(i: int) -> dict:
        return {"text": captions[i], "x": 0.0, "xanchor": "left", "font": {"size": 14}}

    start = int(np.clip(start, 0, len(out_cells) - 1))
    fig.frames = [go.Frame(name=str(i), layout={"shapes": shapes(i), "title": caption(i)})
                  for i in range(len(out_cells))]
    animate = {"mode": "immediate", "frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}}
    fig.update_layout(
        shapes=shapes(start), title=caption(start), height=height, plot_bgcolor="white",
        margin={"l": 8, "r": 8, "t": 80, "b": 70},
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0.0, "y": -0.02, "xanchor": "left",
                      "yanchor": "top", "showactive": False, "buttons": [
                          {"label": play, "method": "animate",
                           "args": [None, {**animate, "frame": {"duration": 700, "redraw": True},
                                           "fromcurrent": True}]},
                          {"label": pause, "method": "animate", "args": [[None], animate]}]}],
        sliders=[{"active": start, "x": 0.16, "len": 0.84, "y": -0.02, "yanchor": "top",
                  "currentvalue": {"visible": True, "prefix": "(", "suffix": ")", "font": {"size": 12}},
                  "font": {"color": "rgba(0,0,0,0)"}, "ticklen": 0,
                  "steps": [{"label": f"{r},{c}", "method": "animate", "args": [[str(i)], animate]}
                            for i, (r, c) in enumerate(out_cells)]}],
    )
    small_ticks = {"tickmode": "linear", "dtick": 1}
    for axis in ("xaxis", "xaxis2"):
        fig.layout[axis].update(showgrid=False, zeroline=False, constrain="domain", **small_ticks)
    for axis, anchor in (("yaxis", "x"), ("yaxis2", "x2")):
        fig.layout[axis].update(showgrid=False, zeroline=False, autorange="reversed",
                                scaleanchor=anchor, constrain="domain", **small_ticks)
    return fig
