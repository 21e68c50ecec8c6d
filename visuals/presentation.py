"""Figures for a projector: every font of a Plotly figure scaled up (pure, no Streamlit).

Pages read the session's presentation mode and pass the factor; `enlarge(fig, 1.0)` returns the
figure unchanged, so the normal view costs nothing.
"""
from __future__ import annotations

import plotly.graph_objects as go

BASE_FONT = 12  # Plotly's default font size, used where a figure sets none
PRESENT_FACTOR = 1.4


def _scale_fonts(node: object, factor: float) -> None:
    """Multiply, in place, the `size` of every font dict (font, textfont, tickfont, ...) under `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("font") and isinstance(value, dict) and isinstance(value.get("size"), (int, float)):
                value["size"] = round(value["size"] * factor, 1)
            _scale_fonts(value, factor)
    elif isinstance(node, (list, tuple)):
        for item in node:
            if isinstance(item, (dict, list, tuple)):
                _scale_fonts(item, factor)


def _pin_inherited_fonts(spec: dict, size: float) -> None:
    """Give axis ticks and titles, legends and colour bars an explicit size where they have none.

    They would inherit layout.font, but Streamlit's chart theme (a Plotly template) sets their
    sizes itself, and a template's value beats inheritance.
    """
    layout = spec["layout"]
    axes = {"xaxis", "yaxis", *(key for key in layout if key.startswith(("xaxis", "yaxis")))}
    for key in axes:
        axis = layout.setdefault(key, {})
        axis.setdefault("tickfont", {}).setdefault("size", size)
        title = axis.setdefault("title", {})
        if isinstance(title, dict):
            title.setdefault("font", {}).setdefault("size", size)
    layout.setdefault("legend", {}).setdefault("font", {}).setdefault("size", size)
    for trace in spec.get("data", []):
        if isinstance(trace.get("colorbar"), dict):
            trace["colorbar"].setdefault("tickfont", {}).setdefault("size", size)


def enlarge(fig: go.Figure, factor: float = PRESENT_FACTOR) -> go.Figure:
    """A copy of `fig` whose text is `factor` times larger, with room above for the larger title."""
    if factor == 1.0:
        return fig
    spec = fig.to_dict()  # a copy (arrays travel as base64, as they do to the browser)
    _scale_fonts(spec, factor)
    layout = spec.setdefault("layout", {})
    layout.setdefault("font", {}).setdefault("size", round(BASE_FONT * factor, 1))  # set ones were scaled
    _pin_inherited_fonts(spec, round(BASE_FONT * factor, 1))
    margin = layout.get("margin", {})
    if "t" in margin:
        margin["t"] = int(margin["t"] * factor)
    if "height" in layout:
        layout["height"] = int(layout["height"] * (1 + (factor - 1) / 2))
    return go.Figure(spec, _validate=False)
