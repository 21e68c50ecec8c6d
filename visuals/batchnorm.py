"""Figures of the batch-normalization page: the mini-batch and one channel's maps, histograms
before and after normalisation, the moving statistics over training steps, loss curves with
and without BN.

Pure builders: arrays in, Plotly figures out. Histograms are binned here with NumPy (bars,
not raw samples, go to the browser).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from visuals import grids, tiles
from visuals.formulas import fmt

BLUE, ORANGE, GREY, GREEN = "#0072B2", "#D55E00", "#999999", "#009E73"
BINS = 40


NOISE = 1e-12  # below this a statistic of 0..1 pixels is rounding noise of an exact 0


def stat(value: float, digits: int = 4) -> str:
    """A statistic with up to `digits` decimals; float noise such as 8.8e-16 reads as 0."""
    value = float(value)
    return fmt(0.0 if abs(value) < NOISE else value, digits)


def minus(value: float, digits: int = 6) -> str:
    """'- 0.1827' or '+ 0.3': subtracting `value`, for writing x - mean with its number."""
    value = float(value)
    return f"+ {stat(-value, digits)}" if value < 0 else f"- {stat(value, digits)}"


def batch_tiles(pictures: np.ndarray, maps: np.ndarray, normalized: np.ndarray,
                row_titles: tuple[str, str, str]) -> tiles.TileGrid:
    """Three rows over the N pictures of a batch: pictures (N, S, S) gray 0..1, one channel's
    feature maps (N, H, W) and its BN output (N, H, W), each row on one shared colour range
    (maps and BN output diverging around 0) so the pictures can be compared; tiles numbered 1..N."""
    n = pictures.shape[0]
    numbers = [str(i + 1) for i in range(n)]
    rows = [tiles.heat_row(row_titles[0], pictures, numbers, signed=False, value_range_=(0.0, 1.0)),
            tiles.heat_row(row_titles[1], maps, numbers),
            tiles.heat_row(row_titles[2], normalized, numbers)]
    return tiles.TileGrid(rows, columns=n, tile_px=110)


def _bars(values: np.ndarray, edges: np.ndarray, name: str, color: str, opacity: float, **axes) -> dict:
    """A histogram of `values` over `edges` as a plain bar trace (counts, hover shows the bin)."""
    counts, _ = np.histogram(values, bins=edges)
    centres, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    return {"type": "bar", "x": centres, "y": counts, "width": widths, "name": name, "marker": {"color": color},
            "opacity": opacity, "customdata": np.stack([edges[:-1], edges[1:]], axis=1),
            "hovertemplate": "[%{customdata[0]:.3f}, %{customdata[1]:.3f}): %{y}<extra></extra>", **axes}


def _two_panels(titles: tuple[str, str]) -> dict:
    """make_subplots(1, 2)'s layout with these titles (kept per shape by visuals.grids)."""
    layout = grids.grid_layout(1, 2, subplot_titles=list(titles), horizontal_spacing=0.08)
    grids.update_axes(layout, "yaxis", showgrid=True, gridcolor="#EEEEEE")
    return layout


def histogram_figure(raw: np.ndarray, x_hat: np.ndarray, y: np.ndarray, *,
                     titles: tuple[str, str], names: tuple[str, str, str],
                     height: int = 330) -> go.Figure:
    """Left: the channel's values x before BN. Right: x_hat (grey) and y = gamma x_hat + beta
    (orange) on one axis, so what gamma (width) and beta (shift) do is visible."""
    lo, hi = float(np.min(raw)), float(np.max(raw))
    both = np.concatenate([np.ravel(x_hat), np.ravel(y)])
    edges = np.linspace(float(both.min()), float(both.max()) + 1e-9, 2 * BINS + 1)
    right = {"xaxis": "x2", "yaxis": "y2"}
    traces = [_bars(raw, np.linspace(lo, hi if hi > lo else lo + 1, BINS + 1), names[0], BLUE, 0.9),
              _bars(x_hat, edges, names[1], GREY, 0.55, **right), _bars(y, edges, names[2], ORANGE, 0.6, **right)]
    layout = _two_panels(titles)
    layout.update(barmode="overlay", height=height, bargap=0, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                  legend={"orientation": "h", "y": -0.15, "x": 0.5}, plot_bgcolor="white")
    return grids.grid_figure(layout, traces)


def modes_figure(train_y: np.ndarray, infer_y: np.ndarray, names: tuple[str, str],
                 height: int = 300) -> go.Figure:
    """The same batch's BN output in training mode (batch statistics) and inference mode
    (moving statistics), overlaid on one axis."""
    both = np.concatenate([np.ravel(train_y), np.ravel(infer_y)])
    edges = np.linspace(float(both.min()), float(both.max()) + 1e-9, 2 * BINS + 1)
    layout = {"barmode": "overlay", "height": height, "bargap": 0, "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
              "legend": {"orientation": "h", "y": -0.2, "x": 0}, "plot_bgcolor": "white",
              "yaxis": {"showgrid": True, "gridcolor": "#EEEEEE"}}
    return grids.grid_figure(layout, [_bars(train_y, edges, names[0], ORANGE, 0.6),
                                      _bars(infer_y, edges, names[1], GREEN, 0.6)])


def moving_stats_figure(batch_means: np.ndarray, moving_means: np.ndarray,
                        batch_vars: np.ndarray, moving_vars: np.ndarray, *,
                        titles: tuple[str, str], names: tuple[str, str], x_title: str,
                        height: int = 330) -> go.Figure:
    """Per step (1..k): the batch's mean and variance (dots) and the moving ones after that
    step (line, starting at step 0 from Keras' initial 0 and 1)."""
    steps = np.arange(1, len(batch_means) + 1)
    traces = []
    for col, (batch, moving) in enumerate(((batch_means, moving_means), (batch_vars, moving_vars)), start=1):
        axes = {"xaxis": f"x{col if col > 1 else ''}", "yaxis": f"y{col if col > 1 else ''}"}
        traces += [{"type": "scatter", "x": steps, "y": batch, "mode": "markers", "name": names[0],
                    "legendgroup": "b", "showlegend": col == 1, "marker": {"color": BLUE, "size": 6}, **axes},
                   {"type": "scatter", "x": np.arange(len(moving)), "y": moving, "mode": "lines", "name": names[1],
                    "legendgroup": "m", "showlegend": col == 1, "line": {"color": ORANGE, "width": 3}, **axes}]
    layout = _two_panels(titles)
    # whole steps only: with few steps Plotly would otherwise tick 0, 0.5, 1
    grids.update_axes(layout, "xaxis", title={"text": x_title}, showgrid=True, gridcolor="#EEEEEE", tickformat="d",
                      rangemode="tozero", **({"dtick": 1} if len(batch_means) <= 10 else {}))
    layout.update(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                  legend={"orientation": "h", "y": -0.25, "x": 0}, plot_bgcolor="white")
    return grids.grid_figure(layout, traces)


def curves_figure(with_bn: tuple[np.ndarray, np.ndarray], without_bn: tuple[np.ndarray, np.ndarray],
                  *, titles: tuple[str, str], names: tuple[str, str], x_title: str,
                  height: int = 340) -> go.Figure:
    """Side by side: training loss (left) and validation loss (right) per epoch (0 = before
    training), with BN (orange) and without (blue)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.08)
    for col in (1, 2):
        for curve, name, color, group in ((with_bn[col - 1], names[0], ORANGE, "with"),
                                          (without_bn[col - 1], names[1], BLUE, "without")):
            fig.add_trace(go.Scatter(x=np.arange(len(curve)), y=curve, mode="lines+markers",
                                     name=name, legendgroup=group, showlegend=col == 1,
                                     line={"color": color, "width": 3}), row=1, col=col)
        fig.update_xaxes(title_text=x_title, dtick=1, row=1, col=col)
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"orientation": "h", "y": -0.25, "x": 0}, plot_bgcolor="white")
    fig.update_yaxes(showgrid=True, gridcolor="#EEEEEE", rangemode="tozero")
    return fig
