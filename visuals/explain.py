"""Figures of "why the model decided": a row of panels (the input, a map, the map over the input),
the ascent log, the grid of filter pictures and the first-layer filters of one epoch.

Pure builders: arrays and already-translated titles in, Plotly figures (plain specs, unvalidated)
out. Images are (H, W, C) 0..255 (C = 1 gray, 3 RGB); maps are (h, w) floats.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from visuals import colors
from visuals import training as tviz

PANEL = 230  # pixels per panel
LINE_COLORS = (tviz.TRAIN_COLOR, tviz.VAL_COLOR, tviz.GOOD, colors.WINNER)  # the studio's colour-blind-safe set
DASHES = ("solid", "dash", "dot", "dashdot")


def _figure(data: list[dict], layout: dict) -> go.Figure:
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def _image_trace(image: np.ndarray, n: str) -> dict:
    """The picture as a trace on axes x<n>/y<n> (the studio's own drawing of pictures)."""
    return tviz._panel_trace(np.asarray(image, dtype=float), n)  # noqa: SLF001


def _map_trace(values: np.ndarray, n: str, *, signed: bool, zmax: float | None, opacity: float = 1.0,
               label: str = "", x=None, y=None, scale: bool = False, bar_x: float = 1.0) -> dict:
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    top = float(zmax) if zmax and zmax != "data" else (float(np.abs(finite).max()) if finite.size else 1.0) or 1.0
    low = -top if signed else 0.0
    if zmax == "data" and finite.size:  # the map's own range: small differences stay visible
        low, top = float(finite.min()), float(finite.max())
        top = top if top > low else low + 1e-9
    trace = {"type": "heatmap", "z": values, "xaxis": f"x{n}", "yaxis": f"y{n}", "showscale": scale,
             "colorscale": colors.DIVERGING if signed else colors.SEQUENTIAL, "zmin": low,
             "zmax": top, "opacity": opacity, "hovertemplate": f"(%{{y}}, %{{x}}) {label} %{{z:.4g}}<extra></extra>",
             "colorbar": {"len": 0.85, "thickness": 10, "x": bar_x, "xanchor": "left", "tickfont": {"size": 10},
                          "tickformat": ".3~g"}}
    if x is not None:
        trace["x"], trace["y"] = list(x), list(y)
    return trace


def _axes(layout: dict, n: str, x0: float, x1: float) -> None:
    axis = {"showgrid": False, "zeroline": False, "constrain": "domain", "ticks": "", "tickfont": {"size": 9}}
    layout[f"xaxis{n}"] = {**axis, "domain": [max(0.0, x0), min(1.0, x1)], "anchor": f"y{n}"}  # float sums may pass 1
    layout[f"yaxis{n}"] = {**axis, "domain": [0.0, 1.0], "anchor": f"x{n}", "autorange": "reversed",
                           "scaleanchor": f"x{n}"}


def map_row(image: np.ndarray, values: np.ndarray, overlay: np.ndarray, titles: tuple[str, str, str], *,
            signed: bool = False, opacity: float = 0.55, label: str = "", positions=None,
            zmax: float | None = None, overlay_signed: bool | None = None,
            overlay_scale: bool = False) -> go.Figure:
    """Three panels: the input, the map `values` on its own grid (h, w) (cells at `positions` =
    (rows, cols) in image pixels, else 0..w-1; colour range 0..zmax, 0..its maximum, or its own
    min..max with zmax="data"), and
    `overlay` (H, W) drawn over the input with the given opacity (its own range). Unsigned maps use
    cividis from 0, signed ones the diverging scale centred on 0. The map has its colour bar; the
    overlay has one too with `overlay_scale` (when its numbers differ from the map's)."""
    overlay_signed = signed if overlay_signed is None else overlay_signed
    image = np.asarray(image, dtype=float)
    gap, width = 0.09, (1.0 - 2 * 0.09) / 3
    layout = {"height": PANEL + 50, "margin": {"l": 30, "r": 60 if overlay_scale else 10, "t": 40, "b": 20},
              "plot_bgcolor": "white", "annotations": []}
    data = [_image_trace(image, "")]
    rows, cols = positions if positions is not None else (None, None)
    data.append(_map_trace(values, "2", signed=signed, zmax=zmax, label=label, x=cols, y=rows, scale=True,
                           bar_x=2 * width + gap + 0.008))
    data.append(_image_trace(image, "3"))
    data.append(_map_trace(overlay, "3", signed=overlay_signed, zmax=None, opacity=opacity, label=label,
                           scale=overlay_scale, bar_x=1.0 + 0.01))
    for i, n in enumerate(("", "2", "3")):
        x0 = i * (width + gap)
        _axes(layout, n, x0, x0 + width)
        layout["annotations"].append({"text": titles[i], "x": x0 + width / 2, "y": 1.0, "xref": "paper",
                                      "yref": "paper", "yanchor": "bottom", "showarrow": False,
                                      "font": {"size": 13}})
    layout["yaxis3"]["showticklabels"] = False  # the input's rows, already numbered on the left
    return _figure(data, layout)


def weights_bars(weights: np.ndarray, title: str, channel_label: str) -> go.Figure:
    """Grad-CAM's channel weights alpha_k as bars (signed)."""
    weights = np.asarray(weights, dtype=float)
    fill = [tviz.GOOD if w > 0 else tviz.BAD for w in weights]
    data = [{"type": "bar", "x": [f"{channel_label} {k}" for k in range(len(weights))], "y": weights,
             "marker": {"color": fill}, "hovertemplate": "%{x}: %{y:.4g}<extra></extra>"}]
    layout = {"title": {"text": title, "x": 0.02, "font": {"size": 14}}, "height": 220, "plot_bgcolor": "white",
              "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
              "yaxis": {"gridcolor": "#eee", "zeroline": True, "zerolinecolor": "#999"}, "xaxis": {"type": "category"}}
    return _figure(data, layout)


def ascent_log(log: np.ndarray, names: list[str], title: str, x_label: str, y_label: str) -> go.Figure:
    """Mean activation (steps + 1, F) against the step, one line per filter."""
    log = np.asarray(log, dtype=float)
    steps = list(range(log.shape[0]))
    data = [{"type": "scatter", "mode": "lines", "x": steps, "y": log[:, i], "name": names[i],
             "line": {"color": LINE_COLORS[i % 4], "dash": DASHES[(i // 4) % 4], "width": 1.5}} for i in range(log.shape[1])]
    layout = {"title": {"text": title, "x": 0.02, "font": {"size": 14}}, "height": 260, "plot_bgcolor": "white",
              "margin": {"l": 50, "r": 10, "t": 40, "b": 40}, "showlegend": log.shape[1] <= 8,
              "xaxis": {"title": {"text": x_label}, "gridcolor": "#eee"},
              "yaxis": {"title": {"text": y_label}, "gridcolor": "#eee"}}
    return _figure(data, layout)


def stretched(images: np.ndarray) -> np.ndarray:
    """Each picture (N, H, W, C) stretched to its own 0..255 range (a flat picture becomes grey)."""
    images = np.asarray(images, dtype=float)
    low = images.min(axis=(1, 2, 3), keepdims=True)
    span = images.max(axis=(1, 2, 3), keepdims=True) - low
    return np.where(span > 0, (images - low) / np.where(span > 0, span, 1.0) * 255.0, 127.5)


def filter_pictures(images: np.ndarray, titles: list[str]) -> go.Figure:
    """The inputs found by gradient ascent (F, H, W, C) 0..255, as they are (an all-white picture
    is a filter that likes brightness everywhere; `stretched` would hide that)."""
    columns = min(8, len(images))
    return tviz.image_grid(np.clip(images, 0, 255), titles, columns=columns, cell=max(70, min(130, 900 // columns)))


def filter_frame(kernel: np.ndarray, limit: float, title: str, channel_label: str) -> go.Figure:
    """First-layer filters (k, k, C_in, F) of one epoch, averaged over input channels, on the fixed
    diverging range +-limit (the same for every epoch, so the slider shows them change)."""
    kernel = np.asarray(kernel, dtype=float).mean(axis=2)
    tiled, which, _ = tviz.tile(kernel, normalise=False)
    custom = np.stack([which, tiled], axis=-1)
    data = [{"type": "heatmap", "z": tiled, "customdata": custom, "showscale": True,
             "colorscale": colors.DIVERGING, "zmin": -limit, "zmax": limit,
             "colorbar": {"thickness": 10, "len": 0.9},
             "hovertemplate": f"{channel_label} %{{customdata[0]}}: %{{customdata[1]:.4g}}<extra></extra>"}]
    rows, cols = tiled.shape
    axis = {"showticklabels": False, "showgrid": False, "zeroline": False, "constrain": "domain"}
    height = int(min(500, max(140, 900 * rows / max(cols, 1) + 60)))
    layout = {"title": {"text": title, "x": 0.02, "font": {"size": 14}}, "height": height, "plot_bgcolor": "white",
              "margin": {"l": 4, "r": 4, "t": 36, "b": 4}, "xaxis": axis,
              "yaxis": {**axis, "autorange": "reversed", "scaleanchor": "x"}}
    return _figure(data, layout)
