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


def _symmetric_range(values: np.ndarray) -> tuple[float, float]:
    """(-m, m) with m the largest magnitude, so white means exactly 0."""
    finite = values[np.isfinite(values)]
    m = float(np.abs(finite).max()) if finite.size else 1.0
    return (-m, m) if m > 0 else (-1.0, 1.0)


def _layout(fig: go.Figure, title: str, height: int | None, rows: int, cols: int) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.02, "font": {"size": 15}},
        margin={"l": 8, "r": 8, "t": 40, "b": 8},
        height=height or int(min(420, max(220, 260 * rows / max(cols, 1) + 60))),
        plot_bgcolor="white",
    )
    fig.update_xaxes(showgrid=False, zeroline=False, constrain="domain", side="top", **_ticks(cols))
    fig.update_yaxes(showgrid=False, zeroline=False, autorange="reversed", scaleanchor="x",
                     scaleratio=1, constrain="domain", **_ticks(rows))
    return fig


def _ticks(count: int) -> dict:
    """Every index on a small grid, a few round ones on a large one."""
    return {"tickmode": "linear", "tick0": 0, "dtick": 1} if count <= TEXT_LIMIT else {"nticks": 8}


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
    zmin, zmax = zrange or (_symmetric_range(values) if signed else
                            (float(np.nanmin(values)), float(np.nanmax(values)) or 1.0))
    text = [[fmt(v, 3) for v in row] for row in values]
    fig = go.Figure(go.Heatmap(
        z=values, zmin=zmin, zmax=zmax, colorscale=colors.DIVERGING if signed else colors.GRAY,
        text=text, texttemplate="%{text}" if show_values else None, textfont={"size": 11},
        hovertemplate="(%{y}, %{x}) = %{text}<extra></extra>", xgap=1 if show_values else 0,
        ygap=1 if show_values else 0, colorbar={"thickness": 10, "len": 0.8}, showscale=colorbar,
    ))
    if mask is not None and np.any(mask):
        overlay = np.where(mask, 1.0, np.nan)
        fig.add_trace(go.Heatmap(z=overlay, colorscale=[[0, colors.PADDING], [1, colors.PADDING]],
                                 showscale=False, hoverinfo="skip", name="padding"))
    if rect is not None:
        add_cell_box(fig, *rect, color=colors.HIGHLIGHT)
    if cell is not None:
        add_cell_box(fig, cell[0], cell[1], cell[0], cell[1], color=colors.HIGHLIGHT)
    return _layout(fig, title, height, rows, cols)


def add_cell_box(fig: go.Figure, r0: int, c0: int, r1: int, c1: int, *, color: str,
                 width: float = 3, row: int | None = None, col: int | None = None) -> go.Figure:
    """Outline the inclusive cell range rows r0..r1, cols c0..c1."""
    kwargs = {"row": row, "col": col} if row is not None else {}
    fig.add_shape(type="rect", x0=c0 - 0.5, x1=c1 + 0.5, y0=r0 - 0.5, y1=r1 + 0.5,
                  line={"color": color, "width": width}, **kwargs)
    return fig


def image_figure(pixels: np.ndarray, title: str = "", height: int | None = None) -> go.Figure:
    """An image (H, W, 1) gray or (H, W, 3) RGB in the 0..255 range, pixel values on hover."""
    pixels = np.asarray(pixels, dtype=float)
    rows, cols = pixels.shape[:2]
    if pixels.shape[2] == 3:
        fig = go.Figure(go.Image(z=np.clip(pixels, 0, 255).astype(np.uint8),
                                 hovertemplate="(%{y}, %{x}) = %{z}<extra></extra>"))
    else:
        fig = go.Figure(go.Heatmap(z=pixels[..., 0], zmin=0, zmax=255, colorscale=colors.GRAY,
                                   showscale=False, hovertemplate="(%{y}, %{x}) = %{z:.0f}<extra></extra>"))
    return _layout(fig, title, height, rows, cols)
