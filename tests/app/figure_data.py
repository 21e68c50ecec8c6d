"""Reading Plotly figures and canvas heat maps (ui.raster_heatmap) out of an AppTest run."""
import base64
import json

import numpy as np


def chart(at, key: str) -> dict:
    """The Plotly figure (as a dict) of the chart whose widget key is `key`."""
    el = next(e for e in at.get("plotly_chart") if e.proto.id.endswith(key))
    return json.loads(el.proto.spec)


def chart_keys(at) -> list[str]:
    """The keys (id suffixes) of every Plotly chart on the page."""
    return [e.proto.id.rsplit("-", 1)[-1] for e in at.get("plotly_chart")]


def array(value) -> np.ndarray:
    """A figure's array: Plotly writes NumPy arrays as {'dtype', 'bdata' (base64), 'shape'}."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", flat.size)).split(",")])
    return np.array(value, dtype=float)


def raster(at, key: str) -> dict:
    """The data of the canvas heat map (ui.raster_heatmap) under `key`, its arrays decoded:
    'values' (R, C) float64 and 'rgba' (R, C, 4) uint8."""
    el = next(e for e in at.get("bidi_component") if e.key == key)
    data = json.loads(el.proto.json)
    shape = (data["rows"], data["cols"])
    data["values"] = np.frombuffer(base64.b64decode(data["values"]), dtype="<f8").reshape(shape)
    data["rgba"] = np.frombuffer(base64.b64decode(data["rgba"]), dtype=np.uint8).reshape(*shape, 4)
    return data


def raster_keys(at) -> list[str]:
    """The keys of every canvas heat map on the page."""
    return [e.key for e in at.get("bidi_component")]


def chart_positions(at) -> dict[str, tuple]:
    """Where each Plotly chart and canvas map sits in the page's element tree (child indices), by key.

    When a setting adds an element before a chart, the chart's position moves and the browser
    rebuilds it from nothing; pages keep these positions fixed."""
    found = {}

    def walk(node, path):
        for index, child in getattr(node, "children", {}).items():
            proto = getattr(child, "proto", None)
            if hasattr(proto, "spec"):  # a Plotly chart
                found[proto.id.rsplit("-", 1)[-1]] = path + (index,)
            elif type(proto).__name__ == "BidiComponent":
                found[child.key] = path + (index,)
            walk(child, path + (index,))

    walk(at.main, ())
    return found
