"""Figures for the backpropagation page: a stage's gradient maps, kernels beside their gradients,
and the loss over learning steps.

Pure builders: arrays in, Plotly figures out; every number drawn is given by the caller.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from visuals import grids, heatmaps
from visuals.forward import BAR_COLOR, TOP_COLOR


def kernel_panels(kernel: np.ndarray, grad: np.ndarray, kernel_titles: list[str], grad_titles: list[str],
                  height_per_row: int = 170, title_room: int = 58, extra: list[tuple[np.ndarray, list[str]]] = ()
                  ) -> go.Figure:
    """Each filter (KH, KW, F) of one input channel on the top row, `grad` (same shape) under it, and
    any `extra` rows (arrays of the same shape with their titles) below."""
    f = kernel.shape[2]
    panels = []
    for values, titles in [(kernel, kernel_titles), (grad, grad_titles), *extra]:
        panels += [{"values": values[..., i], "title": titles[i]} for i in range(f)]
    return heatmaps.heatmap_panels(panels, f, height_per_row=height_per_row, title_room=title_room)


def loss_curve(losses: np.ndarray, title: str, x_title: str, y_title: str, height: int = 280) -> go.Figure:
    """The loss before each step (step 0 = the start), markers on every point."""
    losses = np.asarray(losses, dtype=float)
    trace = {"type": "scatter", "x": np.arange(losses.size), "y": losses, "mode": "lines+markers",
             "line": {"color": BAR_COLOR, "width": 3}, "marker": {"color": TOP_COLOR, "size": 7},
             "hovertemplate": "%{x}: %{y:.6~g}<extra></extra>"}
    layout = {"title": {"text": title, "x": 0.02, "font": {"size": 14}}, "height": height,
              "margin": {"l": 8, "r": 8, "t": 40, "b": 8}, "plot_bgcolor": "white",
              "xaxis": {"title": {"text": x_title}, "gridcolor": "#EEEEEE", "rangemode": "tozero"},
              "yaxis": {"title": {"text": y_title}, "gridcolor": "#EEEEEE", "rangemode": "tozero"}}
    return grids.grid_figure(layout, [trace])
