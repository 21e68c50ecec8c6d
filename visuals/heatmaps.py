"""Heat maps of 2-D arrays: inputs with their padding, kernels, feature maps, pooled maps.

Row 0 is at the top and cells are square, like the arrays in the course notes. Signed data
uses a diverging scale centred on 0 so the sign is visible; hovering shows the exact value.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from visuals import colors
from visuals.formulas import fmt

TEXT_LIMIT = 15  # write the numbers into the cells when both sides are at most this


def symmetric_range(values: np.ndarray) -> tuple[float, float]:
    """(-m, m) with m the largest finite magnitude, so white means exactly 0 ((-1, 1) when all are 0)."""
    finite = values[np.isfinite(values)]
    m = float(np.abs(finite).max()) if finite.size else 1.0
    return (-m, m) if m > 0 else (-1.0, 1.0)


def value_range(values: np.ndarray) -> tuple[float, float]:
    """(min, max) of the finite values ((0, 1) when there are none), widened to (lo, lo + 1) when flat."""
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def _layout(title: str, height: int | None, rows: int, cols: int) -> dict:
    """Square cells, row 0 on top, indices along the top edge."""
    return {
        "title": {"text": title, "x": 0.02, "font": {"size": 15}},
        "margin": {"l": 8, "r": 8, "t": 40, "b": 8},
        "height": height or int(min(420, max(220, 260 * rows / max(cols, 1) + 60))),
        "plot_bgcolor": "white",
        "xaxis": {"showgrid": False, "zeroline": False, "constrain": "domain", "side": "top", **_ticks(cols)},
        "yaxis": {"showgrid": False, "zeroline": False, "autorange": "reversed", "scaleanchor": "x",
                  "scaleratio": 1, "constrain": "domain", **_ticks(rows)},
    }


def _ticks(count: int) -> dict:
    """Every index on a small grid, a few round ones on a large one."""
    return {"tickmode": "linear", "tick0": 0, "dtick": 1} if count <= TEXT_LIMIT else {"nticks": 8}


def _figure(data: list[dict], layout: dict) -> go.Figure:
    """Wrap a plain spec once; validating every nested object costs more than the drawing."""
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def heatmap(values: np.ndarray, title: str = "", *, signed: bool = True, mask: np.ndarray | None = None,
            show_values: bool | None = None, rect: tuple[int, int, int, int] | None = None,
            cell: tuple[int, int] | None = None, height: int | None = None,
            zrange: tuple[float, float] | None = None, colorbar: bool = True) -> go.Figure:
    """A heat map of `values` (R, C).

    mask: (R, C) bool, True where a cell is padding; drawn in its own grey over the data.
    rect: (r0, c0, r1, c1) inclusive cell range outlined (a receptive field or window).
    cell: (r, c) outlined (the output cell being computed).
    """
    values = np.asarray(values, dtype=float)
    rows, cols = values.shape
    if show_values is None:
        show_values = rows <= TEXT_LIMIT and cols <= TEXT_LIMIT
    zmin, zmax = zrange or (symmetric_range(values) if signed else
                            (float(np.nanmin(values)), float(np.nanmax(values)) or 1.0))
    data = [{"type": "heatmap", "z": values, "zmin": zmin, "zmax": zmax,
             "colorscale": colors.DIVERGING if signed else colors.GRAY,
             "colorbar": {"thickness": 10, "len": 0.8}, "showscale": colorbar,
             **_cell_text(values, show_values)}]
    if mask is not None and np.any(mask):
        data.append(padding_overlay(mask))
    layout = _layout(title, height, rows, cols)
    boxes = ([rect] if rect is not None else []) + ([(*cell, *cell)] if cell is not None else [])
    layout["shapes"] = [cell_box(*box, color=colors.HIGHLIGHT) for box in boxes]
    return _figure(data, layout)


def padding_overlay(mask: np.ndarray) -> dict:
    """A trace that greys out the cells where `mask` is True (padding), without hover."""
    return {"type": "heatmap", "z": np.where(mask, 1.0, np.nan), "showscale": False, "hoverinfo": "skip",
            "colorscale": [[0, colors.PADDING], [1, colors.PADDING]], "name": "padding"}


def _cell_text(values: np.ndarray, show_values: bool) -> dict:
    """Heatmap arguments that write each value into its cell (small grids) or only on hover.

    Large maps skip the per-cell text entirely: formatting thousands of strings would cost more
    than drawing the map.
    """
    if not show_values:
        return {"hovertemplate": "(%{y}, %{x}) = %{z:.4~g}<extra></extra>"}
    text = [[fmt(v, 3) for v in row] for row in values]
    return {"text": text, "texttemplate": "%{text}", "textfont": {"size": 11}, "xgap": 1, "ygap": 1,
            "hovertemplate": "(%{y}, %{x}) = %{text}<extra></extra>"}


def cell_box(r0: int, c0: int, r1: int, c1: int, *, color: str, width: float = 3) -> dict:
    """A shape outlining the inclusive cell range rows r0..r1, cols c0..c1."""
    return {"type": "rect", "x0": c0 - 0.5, "x1": c1 + 0.5, "y0": r0 - 0.5, "y1": r1 + 0.5,
            "line": {"color": color, "width": width}}


def image_figure(pixels: np.ndarray, title: str = "", height: int | None = None,
                 mask: np.ndarray | None = None) -> go.Figure:
    """An image (H, W, 1) gray or (H, W, 3) RGB in the 0..255 range, pixel values on hover;
    `mask` (H, W) greys out padding cells."""
    pixels = np.asarray(pixels, dtype=float)
    rows, cols = pixels.shape[:2]
    if pixels.shape[2] == 3:
        trace = {"type": "image", "z": np.clip(pixels, 0, 255).astype(np.uint8),
                 "hovertemplate": "(%{y}, %{x}) = %{z}<extra></extra>"}
    else:
        trace = {"type": "heatmap", "z": pixels[..., 0], "zmin": 0, "zmax": 255, "colorscale": colors.GRAY,
                 "showscale": False, "hovertemplate": "(%{y}, %{x}) = %{z:.0f}<extra></extra>"}
    data = [trace] if mask is None or not np.any(mask) else [trace, padding_overlay(mask)]
    return _figure(data, _layout(title, height, rows, cols))


def heatmap_panels(panels: list[dict], columns: int, *, height_per_row: int = 240,
                   gap: float = 0.06, title_room: int = 52) -> go.Figure:
    """Several small heat maps in one figure, `columns` per row (one chart draws faster than many).

    Each panel is a dict: values (R, C), title, and optionally signed (default True) and mask.
    Panels are assumed to have similar sizes; every one keeps square cells and its own colour range.
    """
    rows = -(-len(panels) // columns)
    height = (height_per_row + title_room) * rows
    width = (1.0 - gap * (columns - 1)) / columns
    vgap = title_room / height  # room above each row for its titles
    row_height = (1.0 - vgap * rows) / rows
    data, layout = [], {"margin": {"l": 8, "r": 8, "t": 8, "b": 8}, "plot_bgcolor": "white",
                        "height": height, "annotations": []}
    for i, panel in enumerate(panels):
        r, c = divmod(i, columns)
        n = "" if i == 0 else str(i + 1)
        x0 = c * (width + gap)
        y1 = 1.0 - vgap - r * (row_height + vgap)
        data.extend(_panel_traces(panel, n))
        values = np.asarray(panel["values"])
        layout[f"xaxis{n}"] = {**_layout("", None, *values.shape)["xaxis"], "domain": _domain(x0, x0 + width),
                               "anchor": f"y{n}", "side": "bottom"}
        layout[f"yaxis{n}"] = {**_layout("", None, *values.shape)["yaxis"], "domain": _domain(y1 - row_height, y1),
                               "anchor": f"x{n}", "scaleanchor": f"x{n}"}
        layout["annotations"].append({"text": f"<b>{panel['title']}</b>", "x": x0 + width / 2, "y": y1,
                                      "xref": "paper", "yref": "paper", "yanchor": "bottom", "yshift": 4,
                                      "showarrow": False, "font": {"size": 13}})
    return _figure(data, layout)


def _domain(start: float, end: float) -> list[float]:
    """An axis domain inside [0, 1] (sums of fractions can land a hair outside it)."""
    return [min(max(round(start, 6), 0.0), 1.0), min(max(round(end, 6), 0.0), 1.0)]


def _panel_traces(panel: dict, n: str) -> list[dict]:
    """The heat map (and padding overlay) of one panel, on axes x<n>/y<n>."""
    values = np.asarray(panel["values"], dtype=float)
    signed = panel.get("signed", True)
    zmin, zmax = symmetric_range(values) if signed else (float(np.nanmin(values)), float(np.nanmax(values)) or 1.0)
    small = max(values.shape) <= TEXT_LIMIT
    traces = [{"type": "heatmap", "z": values, "zmin": zmin, "zmax": zmax, "showscale": False,
               "colorscale": colors.DIVERGING if signed else colors.GRAY, "xaxis": f"x{n}", "yaxis": f"y{n}",
               **_cell_text(values, small)}]
    if panel.get("mask") is not None and np.any(panel["mask"]):
        traces.append({**padding_overlay(panel["mask"]), "xaxis": f"x{n}", "yaxis": f"y{n}"})
    return traces
