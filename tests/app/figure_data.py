"""Reading Plotly figures out of an AppTest run (used by the issue-4 page tests)."""
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
