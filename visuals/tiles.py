"""Grids of small maps and images as pixels: what `ui.tile_grid` draws on canvases.

A batch of feature maps, a row of channels or a page of example images drawn as Plotly subplots
costs the browser one set of axes per tile, rebuilt on every change (dozens of tiles took longer
than the rest of a BatchNorm change). Here each tile becomes RGBA pixels, coloured with the
scales of `visuals.colors` exactly as `visuals.raster` colours a large map, plus its raw values
for hovering. Pure: arrays in, a `TileGrid` (JSON-ready payload) out.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from visuals import colors
from visuals.formulas import fmt
from visuals.heatmaps import TEXT_LIMIT
from visuals.raster import colorize


@dataclass(frozen=True)
class Tile:
    """One tile: `rgba` (H, W, 4) uint8, `values` (H, W) float64 shown on hover (None: no numbers,
    e.g. a photo) and its caption."""

    caption: str
    rgba: np.ndarray
    values: np.ndarray | None = None
    color: str | None = None  # the caption's colour (None: the text colour)
    texts: list[str] | None = None  # H*W numbers written into the cells (small maps), row by row


@dataclass(frozen=True)
class TileRow:
    """One row of tiles under a title, all on one colour range (zmin..zmax, None for images)."""

    title: str
    tiles: list[Tile]
    zmin: float | None = None
    zmax: float | None = None


@dataclass(frozen=True)
class TileGrid:
    """Rows of tiles; `columns` tiles per line (rows with more tiles wrap); `tile_px` the largest
    a tile is drawn (CSS pixels), so a few tiles do not fill a whole wide column."""

    rows: list[TileRow]
    columns: int
    tile_px: int = 160

    def payload(self) -> dict:
        """JSON-ready: arrays as base64 (row-major; values little-endian float64)."""
        return {"columns": self.columns, "tile_px": self.tile_px,
                "rows": [{"title": row.title, "zmin": row.zmin, "zmax": row.zmax,
                          "tiles": [_tile_payload(tile) for tile in row.tiles]} for row in self.rows]}


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _tile_payload(tile: Tile) -> dict:
    h, w = tile.rgba.shape[:2]
    out = {"caption": tile.caption, "h": h, "w": w, "rgba": _b64(tile.rgba)}
    if tile.color:
        out["color"] = tile.color
    if tile.texts is not None:
        out["texts"] = tile.texts
    if tile.values is not None:
        out["values"] = _b64(np.asarray(tile.values, dtype="<f8"))
    return out


def symmetric_range(values: np.ndarray) -> tuple[float, float]:
    """(-m, m), m the largest finite magnitude (1 when all are zero or none is finite)."""
    finite = np.abs(values[np.isfinite(values)]) if np.size(values) else np.zeros(0)
    m = float(finite.max()) if finite.size else 0.0
    return (-m, m) if m > 0 else (-1.0, 1.0)


def value_range(values: np.ndarray) -> tuple[float, float]:
    """(min, max) of the finite values, widened to (lo, lo + 1) when flat."""
    finite = values[np.isfinite(values)] if np.size(values) else np.zeros(0)
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def heat_row(title: str, stack: np.ndarray, captions: list[str] | None = None, *,
             signed: bool = True, value_range_: tuple[float, float] | None = None) -> TileRow:
    """A row of maps (N, H, W) on one shared colour range: diverging around 0 when signed, gray
    from min to max otherwise (or `value_range_` when given)."""
    stack = np.asarray(stack, dtype=float)
    lo, hi = value_range_ or (symmetric_range(stack) if signed else value_range(stack))
    stops = colors.DIVERGING if signed else colors.GRAY
    captions = captions or [""] * len(stack)
    tiles = [Tile(cap, colorize(m, lo, hi, stops), m) for cap, m in zip(captions, stack)]
    return TileRow(title, tiles, lo, hi)


def own_range_row(title: str, stack: np.ndarray, captions: list[str], *, signed: bool = True,
                  numbers: bool = False) -> TileRow:
    """A row of maps (N, H, W), each on its own colour range (channels of one stage). With
    `numbers`, maps of at most TEXT_LIMIT cells a side have their values written into the cells."""
    stack = np.asarray(stack, dtype=float)
    stops = colors.DIVERGING if signed else colors.GRAY
    written = numbers and max(stack.shape[1:], default=0) <= TEXT_LIMIT
    tiles = []
    for cap, m in zip(captions, stack):
        lo, hi = symmetric_range(m) if signed else value_range(m)
        texts = [fmt(v, 3) for v in m.ravel()] if written else None
        tiles.append(Tile(cap, colorize(m, lo, hi, stops), m, texts=texts))
    return TileRow(title, tiles)


def image_row(title: str, images: np.ndarray, captions: list[str], colors_: list[str] | None = None) -> TileRow:
    """A row of images (N, H, W, 1 or 3) with values in 0..1 (gray or RGB), no numbers on hover;
    `colors_` colours the captions (e.g. mistakes in red)."""
    images = np.clip(np.nan_to_num(np.asarray(images, dtype=float)), 0.0, 1.0)
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    rgb = np.rint(images * 255).astype(np.uint8)
    alpha = np.full(rgb.shape[:-1] + (1,), 255, dtype=np.uint8)
    rgba = np.concatenate([rgb, alpha], axis=-1)
    colors_ = colors_ or [None] * len(rgba)
    return TileRow(title, [Tile(cap, px, None, col) for cap, px, col in zip(captions, rgba, colors_)])


def image_grid(images: np.ndarray, captions: list[str], columns: int = 8, *, tile_px: int = 110,
               caption_colors: list[str] | None = None) -> TileGrid:
    """Small pictures (N, H, W, C) with values 0..255, `columns` per line, each with its caption
    (a caption's line breaks are kept)."""
    images = np.asarray(images, dtype=float) / 255.0
    columns = max(1, min(columns, len(images)))
    return TileGrid([image_row("", images, captions, caption_colors)], columns=columns, tile_px=tile_px)


def channels_grid(values: np.ndarray, captions: list[str], *, signed: bool = True, limit: int = 4,
                  tile_px: int = 120) -> TileGrid:
    """The first `limit` channels of an (H, W, C) stage side by side, each on its own colour range."""
    count = min(values.shape[2], limit)
    stack = np.moveaxis(np.asarray(values, dtype=float)[..., :count], 2, 0)
    return TileGrid([own_range_row("", stack, captions[:count], signed=signed)], columns=count, tile_px=tile_px)
