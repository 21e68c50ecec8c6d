"""Reading Plotly figures (ui.live_chart) and canvas heat maps (ui.raster_heatmap) out of an
AppTest run."""
import base64
import json

import numpy as np

from ui.live_chart import NAME as LIVE_CHART
from ui.path_map import NAME as PATH_MAP
from ui.raster_heatmap import NAME as RASTER
from ui.tile_grid import NAME as TILES


def _components(at, name: str) -> list:
    return [e for e in at.get("bidi_component") if e.proto.component_name.endswith(name)]


def charts(at) -> list:
    """Every Plotly chart of the run (ui.live_chart components), in drawing order."""
    return _components(at, LIVE_CHART)


def chart(at, key: str) -> dict:
    """The Plotly figure (as a dict) of the chart whose key is `key`. A small heat map that the page
    drew on a canvas (visuals.tiles.heatmap_tile) is read back as the heat map it shows: its values,
    the numbers written in its cells, its padding cells, its outlined ranges and its title."""
    el = next((e for e in charts(at) if e.key == key), None)
    if el is not None:
        return json.loads(json.loads(el.proto.json)["figure"])
    row = tiles(at, key)[0]
    tile = row["tiles"][0]
    cells, (h, w) = tile["cells"], tile["values"].shape
    main = {"type": "heatmap", "z": tile["values"].tolist(), "zmin": row["zmin"], "zmax": row["zmax"]}
    if "texts" in tile:
        main["text"] = [tile["texts"][r * w:(r + 1) * w] for r in range(h)]
    data = [main]
    if cells["mask"] is not None:
        mask = np.array(cells["mask"], dtype=bool).reshape(h, w)
        data.append({"type": "heatmap", "name": "padding", "z": np.where(mask, 1.0, np.nan).tolist()})
    shapes = [{"type": "rect", "x0": c0 - 0.5, "x1": c1 + 0.5, "y0": r0 - 0.5, "y1": r1 + 0.5,
               "line": {"color": color, "width": width}} for r0, c0, r1, c1, color, width in cells["boxes"]]
    return {"data": data, "layout": {"title": {"text": row["title"]}, "shapes": shapes}}


def path_map(at, key: str) -> dict:
    """The payload of the path map (ui.path_map) under `key`, its paths' points decoded to (k+1, 2) arrays."""
    el = next(e for e in _components(at, PATH_MAP) if e.key == key)
    data = json.loads(el.proto.json)
    for path in data["paths"]:
        path["points"] = np.stack([array_f8(path["x"]), array_f8(path["y"])], axis=1)
    return data


def array_f8(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f8")


def chart_keys(at) -> list[str]:
    """The keys of every Plotly chart on the page, and of every heat map drawn on a canvas instead."""
    return [e.key for e in charts(at)] + [e.key for e in _components(at, TILES) if _is_heat_tile(e)]


def _is_heat_tile(el) -> bool:
    rows = json.loads(el.proto.json)["rows"]
    return len(rows) == 1 and len(rows[0]["tiles"]) == 1 and "cells" in rows[0]["tiles"][0]


def drawn_keys(at) -> list[str]:
    """The keys of every Plotly chart and every tile grid (ui.tile_grid) on the page."""
    return list(dict.fromkeys(chart_keys(at) + [e.key for e in _components(at, TILES)]))


def array(value) -> np.ndarray:
    """A figure's array: Plotly writes NumPy arrays as {'dtype', 'bdata' (base64), 'shape'}."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", flat.size)).split(",")])
    return np.array(value, dtype=float)


def raster(at, key: str) -> dict:
    """The data of the canvas heat map (ui.raster_heatmap) under `key`, its arrays decoded:
    'values' (R, C) float64 and 'rgba' (R, C, 4) uint8."""
    el = next(e for e in _components(at, RASTER) if e.key == key)
    data = json.loads(el.proto.json)
    shape = (data["rows"], data["cols"])
    data["values"] = np.frombuffer(base64.b64decode(data["values"]), dtype="<f8").reshape(shape)
    data["rgba"] = np.frombuffer(base64.b64decode(data["rgba"]), dtype=np.uint8).reshape(*shape, 4)
    return data


def raster_keys(at) -> list[str]:
    """The keys of every canvas heat map on the page."""
    return [e.key for e in _components(at, RASTER)]


def tiles(at, key: str) -> list[dict]:
    """The rows of the tile grid (ui.tile_grid) under `key`: each {'title', 'zmin', 'zmax', 'tiles'},
    every tile's 'rgba' decoded to (H, W, 4) uint8 and its 'values' (if any) to (H, W) float64."""
    el = next(e for e in _components(at, TILES) if e.key == key)
    rows = json.loads(el.proto.json)["rows"]
    for row in rows:
        for tile in row["tiles"]:
            shape = (tile["h"], tile["w"])
            tile["rgba"] = np.frombuffer(base64.b64decode(tile["rgba"]), dtype=np.uint8).reshape(*shape, 4)
            if "values" in tile:
                tile["values"] = np.frombuffer(base64.b64decode(tile["values"]), dtype="<f8").reshape(shape)
    return rows


def tile_scale(at, key: str) -> float:
    """How much larger the tile grid under `key` draws its cells and texts (presentation mode)."""
    el = next(e for e in _components(at, TILES) if e.key == key)
    return float(json.loads(el.proto.json)["scale"])


def chart_positions(at) -> dict[str, tuple]:
    """Where each Plotly chart and canvas map sits in the page's element tree (child indices), by key.

    When a setting adds an element before a chart, the chart's position moves and the browser
    rebuilds it from nothing; pages keep these positions fixed."""
    found = {}

    def walk(node, path):
        for index, child in getattr(node, "children", {}).items():
            proto = getattr(child, "proto", None)
            if type(proto).__name__ == "BidiComponent":  # a Plotly chart or a canvas map
                found[child.key] = path + (index,)
            walk(child, path + (index,))

    walk(at.main, ())
    return found
