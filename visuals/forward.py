"""Figures for the forward-pass and softmax/dropout pages: vectors as bars or strips (a stage's maps are
tiles, visuals.tiles), probabilities with the winner and true class marked, the largest terms of a
dot product, and a dropout mask.

Pure builders: arrays in, Plotly figures out; every number drawn is given by the caller.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from visuals import colors, grids, heatmaps
from visuals.formulas import fmt

MAX_CHANNELS = 4  # maps drawn per stage card
BAR_LIMIT = 24  # vectors up to this length are bars, longer ones a strip
TRUE_COLOR = "#009E73"  # Okabe-Ito bluish green
TOP_COLOR = "#D55E00"  # Okabe-Ito vermillion
BAR_COLOR = "#56B4E9"  # Okabe-Ito sky blue
DROPPED = "#BBBBBB"


def grid_figure(values: np.ndarray, title: str, **kwargs) -> go.Figure:
    """visuals.heatmaps.heatmap with room between the title and the column indices on top
    (without a colour bar the square cells otherwise grow up into the title)."""
    fig = heatmaps.heatmap(values, title, **kwargs)
    fig.layout.margin.t = 64
    return fig


def vector_figure(values: np.ndarray, labels: list[str] | None = None, height: int = 170,
                  highlight: int | None = None) -> go.Figure:
    """A (D,) vector: bars when short (labelled), a one-row strip when long; `highlight` marks
    one entry (the unit being inspected)."""
    values = np.asarray(values, dtype=float)
    layout = {"height": height, "margin": {"l": 4, "r": 4, "t": 10, "b": 4}, "plot_bgcolor": "white"}
    if values.size <= BAR_LIMIT:
        names = labels or [str(i) for i in range(values.size)]
        trace = {"type": "bar", "x": names, "y": values,
                 "marker": {"color": [TOP_COLOR if i == highlight else BAR_COLOR for i in range(values.size)]},
                 "hovertemplate": "%{x}: %{y:.4~g}<extra></extra>"}
        layout["xaxis"] = {"type": "category", "tickfont": {"size": 10}}
    else:
        m = float(np.max(np.abs(values))) or 1.0
        trace = {"type": "heatmap", "z": values[None, :], "zmin": -m, "zmax": m, "colorscale": colors.DIVERGING,
                 "showscale": False, "hovertemplate": "[%{x}] = %{z:.4~g}<extra></extra>"}
        layout["yaxis"] = {"showticklabels": False}
        if highlight is not None:  # a vertical line over the whole strip
            layout["shapes"] = [{"type": "line", "x0": highlight, "x1": highlight, "xref": "x", "y0": 0, "y1": 1,
                                 "yref": "y domain", "line": {"color": TOP_COLOR, "width": 2}}]
    return grids.grid_figure(layout, [trace])


def probabilities_figure(probs: np.ndarray, labels: list[str], title: str,
                         true_class: int | None = None, height: int = 300) -> go.Figure:
    """Probabilities as bars with their values written, the largest in vermillion and the true
    class outlined in green."""
    probs = np.asarray(probs, dtype=float)
    top = int(np.argmax(probs))
    trace = {"type": "bar", "x": labels, "y": probs, "text": [fmt(p, 3) for p in probs], "textposition": "outside",
             "textfont": {"size": 10}, "cliponaxis": False, "hovertemplate": "%{x}: %{y:.6~g}<extra></extra>",
             "marker": {"color": [TOP_COLOR if i == top else BAR_COLOR for i in range(probs.size)],
                        "line": {"color": [TRUE_COLOR if i == true_class else "rgba(0,0,0,0)"
                                           for i in range(probs.size)], "width": 3}}}
    layout = {"title": {"text": title, "x": 0.02, "font": {"size": 15}}, "height": height,
              "margin": {"l": 8, "r": 8, "t": 44, "b": 8}, "plot_bgcolor": "white",
              "yaxis": {"range": [0, 1.12], "gridcolor": "#EEEEEE"}, "xaxis": {"type": "category"}}
    return grids.grid_figure(layout, [trace])


def contributions_figure(products: np.ndarray, labels: list[str], title: str, top: int = 12,
                         height: int = 300) -> go.Figure:
    """The `top` largest |x_d w_d| terms of a dot product as horizontal bars (sign coloured)."""
    products = np.asarray(products, dtype=float)
    order = np.argsort(-np.abs(products), kind="stable")[:top][::-1]
    trace = {"type": "bar", "x": products[order], "y": [labels[i] for i in order], "orientation": "h",
             "marker": {"color": [TOP_COLOR if products[i] > 0 else "#0072B2" for i in order]},
             "text": [fmt(products[i], 3) for i in order], "textposition": "auto",
             "hovertemplate": "%{y}: %{x:.6~g}<extra></extra>"}
    layout = {"title": {"text": title, "x": 0.02, "font": {"size": 14}}, "height": height,
              "margin": {"l": 8, "r": 8, "t": 40, "b": 8}, "plot_bgcolor": "white",
              "xaxis": {"gridcolor": "#EEEEEE", "zerolinecolor": "#888888"},
              "yaxis": {"type": "category", "tickfont": {"size": 11}}}
    return grids.grid_figure(layout, [trace])


def dropout_figure(values: np.ndarray, keep: np.ndarray, title: str, height: int = 260) -> go.Figure:
    """A grid of unit outputs (R, C): dropped units grey with a cross, kept ones coloured, every
    value written in its cell."""
    values = np.asarray(values, dtype=float)
    m = float(np.max(np.abs(values))) or 1.0
    kept = {"type": "heatmap", "z": np.where(keep, values, np.nan), "zmin": -m, "zmax": m,
            "colorscale": colors.DIVERGING, "showscale": False, "texttemplate": "%{text}", "textfont": {"size": 12},
            "text": [[fmt(v, 3) if k else "" for v, k in zip(row, krow)] for row, krow in zip(values, keep)],
            "xgap": 2, "ygap": 2, "hoverinfo": "skip"}
    dropped = {"type": "heatmap", "z": np.where(keep, np.nan, 1.0), "colorscale": [[0, DROPPED], [1, DROPPED]],
               "showscale": False, "xgap": 2, "ygap": 2, "hoverinfo": "skip"}
    rr, cc = np.nonzero(~keep)
    crosses = {"type": "scatter", "x": cc, "y": rr, "mode": "text", "text": ["✕"] * rr.size, "hoverinfo": "skip",
               "textfont": {"size": 18, "color": "#555555"}, "showlegend": False}
    plain = {"showticklabels": False, "showgrid": False, "zeroline": False, "constrain": "domain"}
    layout = {"title": {"text": title, "x": 0.02, "font": {"size": 14}}, "height": height,
              "margin": {"l": 4, "r": 4, "t": 40, "b": 4}, "plot_bgcolor": "white",
              "xaxis": plain, "yaxis": {**plain, "autorange": "reversed", "scaleanchor": "x"}}
    return grids.grid_figure(layout, [kept, dropped, crosses])


def tex_number(value: float) -> str:
    """fmt(value) written for LaTeX: 9.358e-14 -> 9.358 \\times 10^{-14}, ∞ -> \\infty."""
    text = fmt(value)
    if text in ("∞", "-∞"):
        return text.replace("∞", r"\infty")
    if "e" in text and text != "NaN":
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def loss_latex(true_class: int, p_true: float, loss: float) -> str:
    """L = -log p_k = -log(p) = loss, with the engine's numbers."""
    return (rf"L = -\log p_{{{true_class}}} = -\log\left({tex_number(p_true)}\right) = "
            rf"{tex_number(loss)}")
