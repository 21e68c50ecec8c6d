"""Large heat maps as pixels: a 2-D array -> the colours and values a browser canvas draws.

A feature map of a photo has thousands of cells. Drawn as a Plotly heat map it is rebuilt from
scratch on every change (Streamlit gives a chart whose figure changed a new identity), which costs
more than everything else on the convolution page. `heat_raster` turns the map into one RGBA pixel
per cell, coloured with exactly the scales of `visuals.heatmaps` (diverging and centred on 0 for
signed data, gray otherwise), plus the raw values for hovering; `ui.raster_heatmap` draws it on a
canvas that is updated in place.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from visuals import colors
from visuals.heatmaps import symmetric_range, value_range


@dataclass(frozen=True)
class Raster:
    """What the canvas component needs: `rgba` (R, C, 4) uint8, `values` (R, C) float64 with NaN
    for missing cells, the colour range, and the scale's stops for the colour bar."""

    title: str
    rgba: np.ndarray
    values: np.ndarray
    zmin: float
    zmax: float
    stops: list

    def payload(self) -> dict:
        """JSON-ready: arrays as base64 (row-major; values little-endian float64)."""
        rows, cols = self.values.shape
        return {"title": self.title, "rows": rows, "cols": cols,
                "rgba": base64.b64encode(np.ascontiguousarray(self.rgba).tobytes()).decode("ascii"),
                "values": base64.b64encode(self.values.astype("<f8").tobytes()).decode("ascii"),
                "zmin": self.zmin, "zmax": self.zmax, "stops": self.stops}


def _hex_to_rgb(code: str) -> tuple[int, int, int]:
    code = code.lstrip("#")
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)


def colorize(values: np.ndarray, zmin: float, zmax: float, stops: list) -> np.ndarray:
    """(R, C) -> (R, C, 4) uint8: linear interpolation between the scale's stops, as Plotly.js
    does; values are clipped to [zmin, zmax]; NaN/inf cells are transparent."""
    values = np.asarray(values, dtype=float)
    span = zmax - zmin or 1.0
    # position of each value on the scale, 0..1
    pos = np.clip((np.nan_to_num(values, nan=zmin, posinf=zmax, neginf=zmin) - zmin) / span, 0.0, 1.0)
    points = np.array([p for p, _ in stops], dtype=float)
    rgb = np.array([_hex_to_rgb(c) for _, c in stops], dtype=float)  # (S, 3)
    channels = [np.interp(pos, points, rgb[:, i]) for i in range(3)]
    alpha = np.where(np.isfinite(values), 255.0, 0.0)
    return np.rint(np.stack([*channels, alpha], axis=-1)).astype(np.uint8)


def heat_raster(values: np.ndarray, title: str, *, signed: bool = True) -> Raster:
    """A map (R, C) as a raster with the same colour range rules as `heatmaps.heatmap`."""
    values = np.asarray(values, dtype=float)
    zmin, zmax = symmetric_range(values) if signed else value_range(values)
    stops = colors.DIVERGING if signed else colors.GRAY
    return Raster(title, colorize(values, zmin, zmax, stops), values, zmin, zmax, [list(s) for s in stops])
