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
from visuals.heatmaps import TEXT_LIMIT, symmetric_range, value_range
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
    cells: dict | None = None  # a small heat map drawn cell by cell: see `heatmap_tile`


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
    if tile.cells is not None:
        out["cells"] = tile.cells
    if tile.values is not None:
        out["values"] = _b64(np.asarray(tile.values, dtype="<f8"))
    return out


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


# ------------------------------------------------------------------ small heat maps on a canvas


def _hex_scale(scale) -> list | None:
    """A colour scale as [[position, '#rrggbb'], ...], or None when it is not spelled out that way."""
    try:
        stops = [[float(p), str(c)] for p, c in scale]
    except (TypeError, ValueError):
        return None
    return stops if all(len(c) == 7 and c.startswith("#") for _, c in stops) else None


def _boxes(shapes) -> list[list] | None:
    """visuals.heatmaps.cell_box rectangles as [r0, c0, r1, c1, colour, width] (inclusive cells)."""
    out = []
    for shape in shapes or ():
        if shape.type != "rect" or shape.xref not in (None, "x") or shape.yref not in (None, "y"):
            return None
        c0, c1, r0, r1 = (int(round(v)) for v in (shape.x0 + 0.5, shape.x1 - 0.5, shape.y0 + 0.5, shape.y1 - 0.5))
        out.append([r0, c0, r1, c1, shape.line.color, shape.line.width or 2])
    return out


def heatmap_tile(fig, limit: int = 15, plain_limit: int = 96) -> TileGrid | None:
    """A heat map figure of visuals.heatmaps (one heat map, its padding overlay, outlined cell
    ranges, numbers in the cells) as one tile the browser draws on a canvas, cell by cell; None for
    any other figure (it stays a Plotly chart). Maps with numbers in their cells of at most `limit`
    cells a side; maps without (a picture's gradient, a response map) of at most `plain_limit`."""
    data = list(fig.data)
    main = data[0] if data else None
    if main is None or main.type != "heatmap" or main.x is not None or main.y is not None:
        return None
    overlay = data[1] if len(data) == 2 else None
    if len(data) > 2 or (overlay is not None and (overlay.type != "heatmap" or overlay.name != "padding")):
        return None
    values = np.asarray(main.z, dtype=float)
    stops, boxes = _hex_scale(main.colorscale or ()), _boxes(fig.layout.shapes)
    texts = [str(v) for row in main.text for v in row] if main.texttemplate and main.text is not None else None
    if values.ndim != 2 or max(values.shape) > (limit if texts is not None else plain_limit) or stops is None \
            or boxes is None or fig.layout.annotations:
        return None
    lo = main.zmin if main.zmin is not None else float(np.nanmin(values))
    hi = main.zmax if main.zmax is not None else float(np.nanmax(values))
    mask = np.isfinite(np.asarray(overlay.z, dtype=float)) if overlay is not None else None
    cells = {"boxes": boxes, "mask": mask.ravel().astype(int).tolist() if mask is not None else None,
             "bar": bool(main.showscale is not False) and [fmt(lo, 3), fmt(hi, 3), stops],
             "gap": bool(main.xgap), "px": cell_px(max(values.shape))}
    title = str(fig.layout.title.text or "") if fig.layout.title else ""
    tile = Tile("", colorize(values, float(lo), float(hi), stops), values, texts=texts, cells=cells)
    return TileGrid([TileRow(title, [tile], float(lo), float(hi))], columns=1, tile_px=values.shape[1] * cells["px"] + 24)


def cell_px(side: int) -> int:
    """Pixels per cell of a heat map with `side` cells along its longer side: large cells for a
    kernel, smaller ones for a 15 x 15 grid (about 500 px wide), and a larger map (without numbers
    in its cells) about 320 px wide."""
    return 52 if side <= 5 else 44 if side <= 8 else 36 if side <= 11 else 32 if side <= 15 else max(3, 320 // side)
