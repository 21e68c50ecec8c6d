"""Figures and formula text for the Harris page: the neighbourhood of a pixel with its window,
the flat / edge / corner map, the detected corners on the picture, and M with its numbers.

Pure builders: arrays (and engine.ops.harris results) in, Plotly figures or LaTeX strings out.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from visuals import colors, heatmaps
from visuals.formulas import fmt

KIND_COLORS = ("#F2F2F2", "#56B4E9", "#D55E00")  # flat, edge, corner (Okabe-Ito sky blue, vermillion)
CORNER_MARK = "#D55E00"


def _room(fig: go.Figure) -> go.Figure:
    fig.update_layout(margin={"t": 64})  # title above the column indices
    return fig


def _box(fig: go.Figure, r0: int, c0: int, r1: int, c1: int, color: str, width: float) -> None:
    """Outline the inclusive cell range rows r0..r1, cols c0..c1."""
    fig.add_shape(type="rect", x0=c0 - 0.5, x1=c1 + 0.5, y0=r0 - 0.5, y1=r1 + 0.5,
                  line={"color": color, "width": width})


def neighbourhood_figure(image: np.ndarray, row: int, col: int, size: int, title: str,
                         radius: int = 4) -> go.Figure:
    """The pixels around (row, col) with the size x size window outlined and the pixel marked;
    axes keep the image's coordinates."""
    h, w = image.shape
    r0, r1 = max(row - radius, 0), min(row + radius + 1, h)
    c0, c1 = max(col - radius, 0), min(col + radius + 1, w)
    crop = image[r0:r1, c0:c1]
    fig = heatmaps.heatmap(crop, title, signed=False, colorbar=False, zrange=(0.0, 1.0))
    fig.data[0].x = np.arange(c0, c1)
    fig.data[0].y = np.arange(r0, r1)
    half = size // 2
    _box(fig, row - half, col - half, row + half, col + half, colors.HIGHLIGHT, 3)
    _box(fig, row, col, row, col, colors.WINNER, 2)
    fig.update_xaxes(tickmode="linear", tick0=c0, dtick=1)
    fig.update_yaxes(tickmode="linear", tick0=r0, dtick=1)
    return _room(fig)


def squared_figure(squared: np.ndarray, title: str, zmax: float) -> go.Figure:
    """One direction's squared differences (size x size), on a shared 0..zmax scale."""
    fig = heatmaps.heatmap(squared, title, signed=False, colorbar=False, zrange=(0.0, zmax or 1.0),
                           height=230)
    fig.data[0].colorscale = colors.SEQUENTIAL
    return _room(fig)


def kinds_figure(kinds: np.ndarray, labels: tuple[str, str, str], title: str) -> go.Figure:
    """The flat / edge / corner classes (codes 0, 1, 2) in three colours with a legend bar."""
    fig = heatmaps.heatmap(kinds.astype(float), title, signed=False, zrange=(-0.5, 2.5), show_values=False)
    scale = []
    for code, color in enumerate(KIND_COLORS):
        scale += [[code / 3, color], [(code + 1) / 3, color]]
    fig.data[0].update(colorscale=scale, hovertemplate="(%{y}, %{x}) = %{customdata}<extra></extra>",
                       customdata=np.array(labels, dtype=object)[kinds],
                       colorbar={"thickness": 12, "len": 0.7, "tickvals": [0, 1, 2], "ticktext": list(labels)})
    return fig


def corners_figure(image: np.ndarray, corners: np.ndarray, title: str, limit: int = 300) -> go.Figure:
    """The gray picture (0..1) with the detected corners (strongest `limit`) as crosses."""
    fig = _room(heatmaps.image_figure(np.clip(image, 0.0, 1.0)[..., None] * 255.0, title))
    shown = corners[:limit]
    fig.add_trace(go.Scatter(x=shown[:, 1], y=shown[:, 0], mode="markers", showlegend=False,
                             marker={"symbol": "circle-open", "size": 11, "color": CORNER_MARK,
                                     "line": {"width": 2.5}},
                             hovertemplate="(%{y}, %{x})<extra></extra>"))
    return fig


def response_figure(r: np.ndarray, title: str) -> go.Figure:
    """R over the image on a diverging scale: corners > 0 (warm), edges < 0 (cool)."""
    return heatmaps.heatmap(r, title, signed=True, show_values=False)


def matrix_latex(point) -> str:
    """M with its numbers at one pixel (an engine.ops.harris.HarrisPoint)."""
    return (r"M = \begin{bmatrix} \sum w\,I_x^2 & \sum w\,I_x I_y \\ \sum w\,I_x I_y & \sum w\,I_y^2 "
            rf"\end{{bmatrix}} = \begin{{bmatrix}} {fmt(point.sxx)} & {fmt(point.sxy)} \\ "
            rf"{fmt(point.sxy)} & {fmt(point.syy)} \end{{bmatrix}}")


def response_latex(point) -> list[str]:
    """det, trace, R = det - k trace^2 and the eigenvalues with the numbers of one pixel, one
    LaTeX line each (long lines would be cut off in a narrow column)."""
    return [
        rf"\det M = {fmt(point.sxx)} \cdot {fmt(point.syy)} - ({fmt(point.sxy)})^2 = {fmt(point.det)}",
        rf"\operatorname{{tr}} M = {fmt(point.sxx)} + {fmt(point.syy)} = {fmt(point.trace)}",
        rf"R = \det M - k\,(\operatorname{{tr}} M)^2 = {fmt(point.det)} - {fmt(point.k)} \cdot "
        rf"({fmt(point.trace)})^2 = {fmt(point.r)}",
        rf"\lambda_1 = {fmt(point.eigenvalues[0])}, \quad \lambda_2 = {fmt(point.eigenvalues[1])}"
        rf"\quad (\lambda_1 \lambda_2 = \det M,\; \lambda_1 + \lambda_2 = \operatorname{{tr}} M)",
    ]
