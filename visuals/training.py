"""Figures of the training studio: learning curves, confusion matrix, bar charts, image grids
(samples, augmented copies, the notes' "R: P:" grid of mistakes) and mosaics of feature maps and
filters (every channel of a layer tiled into one chart, as the notes' display_grid does).

Pure builders: arrays and already-translated labels in, Plotly figures out. Figures are plain
specs wrapped once without validation (drawing costs more than checking every nested dict).
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from visuals import colors

TRAIN_COLOR = "#0072B2"  # Okabe-Ito blue
VAL_COLOR = "#D55E00"  # Okabe-Ito vermillion
GOOD, BAD = "#009E73", "#D55E00"
COUNTS = [[0.0, "#F7FBFF"], [1.0, "#08519C"]]  # white (none) to blue (many): counts of the confusion matrix


def _figure(data: list[dict], layout: dict) -> go.Figure:
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def _base(height: int, title: str = "", **extra) -> dict:
    return {"title": {"text": title, "x": 0.02, "font": {"size": 15}}, "height": height,
            "margin": {"l": 50, "r": 16, "t": 48 if title else 24, "b": 40}, "plot_bgcolor": "white", **extra}


# ------------------------------------------------------------------ curves


def curves(history: dict[str, list[float]], batches: list[tuple[float, float, float]], epochs: int,
           labels: dict[str, str]) -> go.Figure:
    """Loss (left) and accuracy (right) against epochs: train and validation after each epoch,
    plus the running mean of the current epoch's batches (thin line) as training goes.

    labels: loss, accuracy, train, val, batches, epoch (translated)."""
    data: list[dict] = []
    for col, (metric, axis) in enumerate((("loss", ""), ("accuracy", "2"))):
        show = col == 0
        # an empty trace keeps each panel's axes drawn before the first point arrives
        data.append({"type": "scatter", "x": [], "y": [], "showlegend": False, "hoverinfo": "skip",
                     "xaxis": f"x{axis}", "yaxis": f"y{axis}"})
        if batches:
            pos = [b[0] for b in batches]
            vals = [b[1 + col] for b in batches]
            data.append({"type": "scatter", "mode": "lines", "x": pos, "y": vals, "name": labels["batches"],
                         "line": {"color": TRAIN_COLOR, "width": 1, "dash": "dot"}, "opacity": 0.6,
                         "legendgroup": "b", "showlegend": show, "xaxis": f"x{axis}", "yaxis": f"y{axis}"})
        for key, name, color, group in ((metric, labels["train"], TRAIN_COLOR, "t"),
                                        (f"val_{metric}", labels["val"], VAL_COLOR, "v")):
            values = history.get(key) or []
            if values:
                data.append({"type": "scatter", "mode": "lines+markers", "x": list(range(1, len(values) + 1)),
                             "y": values, "name": name, "line": {"color": color, "width": 2.5},
                             "marker": {"size": 7}, "legendgroup": group, "showlegend": show,
                             "xaxis": f"x{axis}", "yaxis": f"y{axis}"})
    span = [0, max(epochs, 1) + 0.2]
    xaxis = {"range": span, "title": {"text": labels["epoch"]}, "gridcolor": "#eee", "dtick": max(1, epochs // 10)}
    layout = _base(320, legend={"orientation": "h", "y": -0.25}, margin={"l": 50, "r": 16, "t": 36, "b": 70},
                   xaxis={**xaxis, "domain": [0, 0.45]}, xaxis2={**xaxis, "domain": [0.55, 1], "anchor": "y2"},
                   yaxis={"title": {"text": labels["loss"]}, "gridcolor": "#eee", "rangemode": "tozero"},
                   yaxis2={"title": {"text": labels["accuracy"]}, "gridcolor": "#eee", "range": [0, 1.02],
                           "anchor": "x2"})
    return _figure(data, layout)


# ------------------------------------------------------------------ scores


def confusion(matrix: np.ndarray, names: list[str], title: str, true_label: str, predicted_label: str) -> go.Figure:
    """Counts (K, K), rows = true class, columns = predicted class, each cell written out."""
    matrix = np.asarray(matrix)
    k = len(names)
    text = [[str(int(v)) for v in row] for row in matrix]
    data = [{"type": "heatmap", "z": matrix, "x": names, "y": names, "colorscale": COUNTS, "showscale": False, "text": text, "texttemplate": "%{text}",
             "textfont": {"size": 13 if k <= 10 else 9}, "xgap": 1, "ygap": 1,
             "hovertemplate": f"{true_label}: %{{y}}<br>{predicted_label}: %{{x}}<br>%{{z}}<extra></extra>"}]
    side = int(min(560, max(280, 42 * k + 120)))
    layout = _base(side, title, xaxis={"title": {"text": predicted_label}, "side": "bottom", "type": "category"},
                   yaxis={"title": {"text": true_label}, "autorange": "reversed", "type": "category"})
    return _figure(data, layout)


def bars(values: np.ndarray, names: list[str], title: str, *, highlight: int | None = None,
         percent: bool = True, height: int = 280) -> go.Figure:
    """One bar per class (accuracy or probability in 0..1, or counts); `highlight` colours one bar."""
    values = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    fill = [GOOD if i == highlight else TRAIN_COLOR for i in range(len(values))]
    text = [f"{v:.0%}" if percent else f"{v:,.0f}" for v in values]
    data = [{"type": "bar", "x": names, "y": values, "marker": {"color": fill}, "text": text,
             "textposition": "outside", "cliponaxis": False, "hovertemplate": "%{x}: %{text}<extra></extra>"}]
    yaxis = {"range": [0, 1.12], "tickformat": ".0%"} if percent else {"rangemode": "tozero"}
    return _figure(data, _base(height, title, yaxis={**yaxis, "gridcolor": "#eee"},
                               xaxis={"type": "category"}))


# ------------------------------------------------------------------ pictures


def _panel_trace(image: np.ndarray, n: str) -> dict:
    """An (H, W, 1) gray or (H, W, 3) RGB image (0..255) as a trace on axes x<n>/y<n>."""
    if image.shape[2] == 3:
        return {"type": "image", "z": np.clip(image, 0, 255).astype(np.uint8), "xaxis": f"x{n}", "yaxis": f"y{n}",
                "hovertemplate": "(%{y}, %{x}) = %{z}<extra></extra>"}
    return {"type": "heatmap", "z": image[..., 0], "zmin": 0, "zmax": 255, "colorscale": colors.GRAY,
            "showscale": False, "xaxis": f"x{n}", "yaxis": f"y{n}",
            "hovertemplate": "(%{y}, %{x}) = %{z:.0f}<extra></extra>"}


def image_grid(images: np.ndarray, titles: list[str], columns: int = 8, *, cell: int = 110,
               title_colors: list[str] | None = None) -> go.Figure:
    """Small pictures (N, H, W, C) 0..255 in a grid, each with a title above it."""
    images = np.asarray(images, dtype=float)
    n = len(images)
    columns = max(1, min(columns, n))
    rows = max(1, math.ceil(n / columns))
    gap = 0.02
    title_room = 18 * (1 + max(t.count("<br>") for t in titles)) + 8 if titles else 26
    height = rows * (cell + title_room) + 10
    width = (1.0 - gap * (columns - 1)) / columns
    row_h = (1.0 - rows * title_room / height) / rows
    data, layout = [], _base(height, margin={"l": 4, "r": 4, "t": 4, "b": 4})
    layout["annotations"] = []
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        key = "" if i == 0 else str(i + 1)
        x0 = c * (width + gap)
        y1 = 1.0 - r * (row_h + title_room / height) - title_room / height
        data.append(_panel_trace(image, key))
        axis = {"showticklabels": False, "showgrid": False, "zeroline": False, "constrain": "domain"}
        layout[f"xaxis{key}"] = {**axis, "domain": [x0, x0 + width], "anchor": f"y{key}"}
        layout[f"yaxis{key}"] = {**axis, "domain": [max(0.0, y1 - row_h), y1], "anchor": f"x{key}",
                                 "autorange": "reversed", "scaleanchor": f"x{key}"}
        color = title_colors[i] if title_colors else "#333"
        layout["annotations"].append({"text": titles[i], "x": x0 + width / 2, "y": y1, "xref": "paper",
                                      "yref": "paper", "yanchor": "bottom", "showarrow": False,
                                      "font": {"size": 12, "color": color}})
    return _figure(data, layout)


def tile(maps: np.ndarray, columns: int | None = None, *, normalise: bool = True) -> tuple[np.ndarray, np.ndarray, int]:
    """Tile channels (h, w, C) into one (R*(h+1)-1, cols*(w+1)-1) array with NaN gaps.

    With normalise, each channel is scaled to 0..1 by its own range (a flat channel becomes 0), so
    every map's pattern is visible whatever its size. Returns (tiled, channel index per cell (-1
    in gaps), columns)."""
    h, w, count = maps.shape
    columns = columns or min(count, 16)  # up to 16 per row, as the notes' images_per_row
    rows = math.ceil(count / columns)
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan)
    which = np.full(out.shape, -1)
    for ch in range(count):
        r, c = divmod(ch, columns)
        m = maps[..., ch].astype(float)
        if normalise:
            span = m.max() - m.min()
            m = (m - m.min()) / span if span > 0 else np.zeros_like(m)
        out[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = m
        which[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = ch
    return out, which, columns


def mosaic(maps: np.ndarray, title: str, channel_label: str, *, signed: bool = False, raw: np.ndarray | None = None,
           height: int | None = None) -> go.Figure:
    """Every channel of a layer's output (h, w, C) as one heat map of tiles (channel = hover).

    Unsigned maps are normalised per channel (viridis-like cividis); signed data (filters) keeps
    its values on a diverging scale centred on 0. `raw` (same shape as maps) is shown on hover."""
    maps = np.asarray(maps, dtype=float)
    tiled, which, columns = tile(maps, normalise=not signed)
    values, _, _ = tile(maps if raw is None else np.asarray(raw, dtype=float), columns, normalise=False)
    rows = tiled.shape[0]
    cols = tiled.shape[1]
    m = float(np.nanmax(np.abs(tiled))) if signed and np.isfinite(tiled).any() else 1.0
    custom = np.stack([which, values], axis=-1)
    data = [{"type": "heatmap", "z": tiled, "customdata": custom, "showscale": False,
             "colorscale": colors.DIVERGING if signed else colors.SEQUENTIAL,
             "zmin": -m if signed else 0, "zmax": m if signed else 1,
             "hovertemplate": f"{channel_label} %{{customdata[0]}}: %{{customdata[1]:.4g}}<extra></extra>"}]
    fig_height = height or int(min(900, max(150, 1000 * rows / max(cols, 1) + 50)))  # ~1000 px wide
    axis = {"showticklabels": False, "showgrid": False, "zeroline": False, "constrain": "domain"}
    layout = _base(fig_height, title, margin={"l": 4, "r": 4, "t": 36 if title else 6, "b": 4}, xaxis=axis,
                   yaxis={**axis, "autorange": "reversed", "scaleanchor": "x"})
    return _figure(data, layout)


def filters_figure(kernel: np.ndarray, title: str, channel_label: str) -> go.Figure:
    """First-layer filters (k, k, C_in, F): gray inputs give one signed k x k tile per filter;
    RGB inputs give each filter as a colour picture (weights stretched to 0..255)."""
    kernel = np.asarray(kernel, dtype=float)
    if kernel.shape[2] == 3:
        low, high = kernel.min(), kernel.max()
        pictures = (kernel - low) / (high - low or 1.0) * 255.0
        return image_grid(np.moveaxis(pictures, 3, 0), [f"{channel_label} {i}" for i in range(kernel.shape[3])],
                          columns=min(16, kernel.shape[3]), cell=60)
    return mosaic(kernel.mean(axis=2), title, channel_label, signed=True)
