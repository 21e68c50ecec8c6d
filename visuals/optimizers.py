"""Figures and formula rows of the optimizer lab: contour plots with descent paths, loss per step,
step sizes with and without Adam's bias correction, and the per-step tables' formulas.

Pure builders: arrays in, Plotly figures out. Paths are drawn in Okabe-Ito colours (distinct
for colour-blind viewers) over a light contour map; a run that diverged ends with a cross.
"""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from visuals import grids
from visuals.formulas import fmt
from visuals.raster import colorize

# one colour per optimizer code (Okabe-Ito), dark enough to read on the light contours
COLORS = {"sgd": "#000000", "momentum": "#E69F00", "nesterov": "#CC79A7", "adagrad": "#009E73",
          "rmsprop": "#0072B2", "adam": "#D55E00"}
# momentum and adam (orange, vermillion) look alike to red-green colour-blind viewers: dashes tell them apart
DASHES = {"sgd": "solid", "momentum": "longdash", "nesterov": "dot", "adagrad": "dash",
          "rmsprop": "dashdot", "adam": "solid"}
CONTOUR_SCALE = [[0.0, "#F4F1E8"], [0.5, "#C9D9E8"], [1.0, "#6E8FB3"]]
CONTOUR_BANDS = 24  # filled bands between the lowest and the highest value drawn


@dataclass(frozen=True)
class PathLine:
    """One run to draw: its code (colour), legend label, points (k+1, 2) and whether it diverged."""

    code: str
    label: str
    points: np.ndarray
    diverged: bool = False


def contour_levels(z: np.ndarray, log_scale: bool) -> np.ndarray:
    """What the contour colours follow: z itself, or log10(z - min + 1e-3) for surfaces whose
    values span many orders of magnitude (the Rosenbrock valley would be one flat colour)."""
    if not log_scale:
        return z
    return np.log10(z - np.nanmin(z) + 1e-3)


def contour_figure(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, paths: list[PathLine], *,
                   log_scale: bool = False, minima: tuple = (), start: tuple | None = None,
                   x_range: tuple | None = None, y_range: tuple | None = None,
                   labels: dict[str, str] | None = None, height: int | None = None,
                   background: dict | None = None) -> go.Figure:
    """A filled contour map of z (len(ys), len(xs)) with every path on top, x and y on the same
    scale (so the gradient looks perpendicular to the contours, as it is).

    labels: texts for 'start', 'minimum' and 'diverged' (legend and hover). Hovering the map
    shows the real f value even on the log scale. Without `height`, the figure is as tall as
    the region's shape needs in a column about 600 pixels wide. `background`: this grid's
    `contour_background`, when the caller keeps it (it depends on the surface only).
    """
    labels = labels or {}
    x_range, y_range = x_range or (xs[0], xs[-1]), y_range or (ys[0], ys[-1])
    if height is None:
        aspect = (y_range[1] - y_range[0]) / (x_range[1] - x_range[0])
        height = int(min(560, max(340, 600 * aspect + 110)))
    background = background or contour_background(xs, ys, z, log_scale)
    traces = list(background["traces"])
    for line in paths:
        traces += _path_traces(line, labels.get("diverged", "diverged"))
    if minima:
        mx, my = zip(*minima)
        traces.append({"type": "scatter", "x": list(mx), "y": list(my), "mode": "markers",
                       "name": labels.get("minimum", "minimum"),
                       "marker": {"symbol": "star", "size": 16, "color": "#F0E442",
                                  "line": {"color": "#000000", "width": 1}}})
    if start is not None:
        traces.append({"type": "scatter", "x": [start[0]], "y": [start[1]], "mode": "markers",
                       "name": labels.get("start", "start"),
                       "marker": {"symbol": "circle", "size": 13, "color": "white",
                                  "line": {"color": "#000000", "width": 2}}})
    layout = {"height": height, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, "images": [background["image"]],
              "legend": {"orientation": "h", "y": -0.08, "x": 0}, "plot_bgcolor": "white",
              "xaxis": {"range": list(x_range), "title": {"text": "x"}, "constrain": "domain"},
              "yaxis": {"range": list(y_range), "title": {"text": "y"}, "scaleanchor": "x",
                        "constrain": "domain"}}
    return grids.grid_figure(layout, traces)


def contour_background(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, log_scale: bool = False,
                       bands: int = CONTOUR_BANDS) -> dict:
    """The contour map of z (len(ys), len(xs)), drawn once per surface: {"image": the filled bands as
    a layout image (a PNG), "traces": [the level lines as one line trace, an invisible coarse heat
    map that shows the real f on hover]}. Drawn this way, moving a path no longer makes the browser
    recompute a contour plot on every change."""
    levels = contour_levels(z, log_scale)
    lo, hi = float(np.nanmin(levels)), float(np.nanmax(levels))
    step = (hi - lo) / bands or 1.0
    band = np.clip(np.floor((np.nan_to_num(levels, nan=lo) - lo) / step), 0, bands - 1)
    rgba = colorize((band + 0.5) / bands, 0.0, 1.0, CONTOUR_SCALE)
    image = {"source": _png_uri(rgba[::-1, :, :3]), "xref": "x", "yref": "y", "x": float(xs[0]), "y": float(ys[-1]),
             "sizex": float(xs[-1] - xs[0]), "sizey": float(ys[-1] - ys[0]), "sizing": "stretch",
             "xanchor": "left", "yanchor": "top", "layer": "below"}
    lx, ly = _level_lines(xs, ys, levels, lo + step * np.arange(1, bands))
    lines = {"type": "scatter", "mode": "lines", "x": lx, "y": ly, "hoverinfo": "skip", "showlegend": False,
             "line": {"width": 0.6, "color": "rgba(60,60,60,0.35)"}}
    hover = {"type": "heatmap", "x": xs[::2], "y": ys[::2], "z": levels[::2, ::2], "customdata": z[::2, ::2],
             "opacity": 0, "showscale": False,
             "hovertemplate": "x=%{x:.3f}, y=%{y:.3f}<br>f=%{customdata:.4g}<extra></extra>"}
    return {"image": image, "traces": [hover, lines]}


def _level_lines(xs: np.ndarray, ys: np.ndarray, levels: np.ndarray, values: np.ndarray) -> tuple:
    """Every level line of `levels` at `values`, in x/y coordinates, joined with NaN gaps."""
    from skimage import measure

    dx, dy = (xs[-1] - xs[0]) / (len(xs) - 1), (ys[-1] - ys[0]) / (len(ys) - 1)
    parts = [(xs[0] + line[:, 1] * dx, ys[0] + line[:, 0] * dy)
             for value in values for line in measure.find_contours(levels, value)]
    gap = np.array([np.nan])
    x = np.concatenate([np.concatenate([px, gap]) for px, _ in parts]) if parts else np.zeros(0)
    y = np.concatenate([np.concatenate([py, gap]) for _, py in parts]) if parts else np.zeros(0)
    return x, y


def _png_uri(rgb: np.ndarray) -> str:
    """An (H, W, 3) uint8 picture as a PNG data URI (drawn by the browser, fetched from nowhere)."""
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _path_traces(line: PathLine, diverged_text: str) -> list[dict]:
    """The path as a line with small dots at each step, and a marker at its end."""
    color = COLORS.get(line.code, "#444444")
    pts = np.asarray(line.points, dtype=float)
    steps = np.arange(len(pts))
    path = {"type": "scatter", "x": pts[:, 0], "y": pts[:, 1], "mode": "lines+markers", "name": line.label,
            "legendgroup": line.code,
            "line": {"color": color, "width": 2.5, "dash": DASHES.get(line.code, "solid")},
            "marker": {"size": 4, "color": color}, "customdata": steps,
            "hovertemplate": f"{line.label}<br>t=%{{customdata}}: (%{{x:.4f}}, %{{y:.4f}})<extra></extra>"}
    end = {"symbol": "x", "size": 16, "color": color} if line.diverged else \
        {"symbol": "circle", "size": 9, "color": color, "line": {"color": "white", "width": 1}}
    marker = {"type": "scatter", "x": pts[-1:, 0], "y": pts[-1:, 1], "mode": "markers", "marker": end,
              "legendgroup": line.code, "showlegend": False,
              "hovertemplate": (f"{line.label}: {diverged_text}" if line.diverged else f"{line.label}")
              + "<extra></extra>"}
    return [path, marker]


def loss_figure(losses: dict[str, np.ndarray], labels: dict[str, str], *, x_title: str,
                y_title: str, log_y: bool = False, height: int = 320) -> go.Figure:
    """f at every step, one line per optimizer code. log_y needs positive values, so it plots
    f - min(all f) + 1e-12 and says so in the axis title given by the caller."""
    finite = [v[np.isfinite(v)] for v in losses.values() if np.any(np.isfinite(v))]
    floor = min(float(v.min()) for v in finite) if finite else 0.0
    traces = [{"type": "scatter", "x": np.arange(len(values)), "y": values - floor + 1e-12 if log_y else values,
               "mode": "lines", "name": labels[code],
               "line": {"color": COLORS.get(code, "#444444"), "width": 2, "dash": DASHES.get(code, "solid")},
               "customdata": values, "hovertemplate": "t=%{x}: f=%{customdata:.6g}<extra></extra>"}
              for code, values in losses.items()]
    grid = {"showgrid": True, "gridcolor": "#EEEEEE"}
    layout = {"height": height, "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
              "legend": {"orientation": "h", "y": -0.25, "x": 0}, "plot_bgcolor": "white",
              "xaxis": {"title": {"text": x_title}, **grid},
              "yaxis": {"title": {"text": y_title}, "type": "log" if log_y else "linear", **grid}}
    return grids.grid_figure(layout, traces)


def step_size_figure(with_correction: np.ndarray, without_correction: np.ndarray,
                     names: tuple[str, str], *, x_title: str, y_title: str,
                     height: int = 320) -> go.Figure:
    """Grouped bars: |update| of the first steps of Adam with and without bias correction."""
    steps = np.arange(1, max(len(with_correction), len(without_correction)) + 1)
    bars = [(with_correction, names[0], COLORS["adam"]), (without_correction, names[1], "#56B4E9")]
    traces = [{"type": "bar", "x": steps[:len(values)], "y": values, "name": name, "marker": {"color": color},
               "hovertemplate": "t=%{x}: %{y:.6g}<extra></extra>"} for values, name, color in bars]
    layout = {"barmode": "group", "height": height, "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
              "legend": {"orientation": "h", "y": -0.25, "x": 0}, "plot_bgcolor": "white",
              "xaxis": {"title": {"text": x_title}, "dtick": 1},
              "yaxis": {"title": {"text": y_title}, "showgrid": True, "gridcolor": "#EEEEEE"}}
    return grids.grid_figure(layout, traces)


# ---------------------------------------------------------------- one step, formula by formula

# Rows of the step tables: (row code, LaTeX formula, where the value comes from). A source is
# ('point', -1 | 0) for theta before/after the step, ('record', key) for the optimizer's `last`
# record of this step, ('previous', key) for the record of the step before (0 at t = 1).
_THETA = [("theta_prev", r"\theta_{t-1}", ("point", -1))]
_GRAD = [("grad", r"g_t = \nabla f(\theta_{t-1})", ("record", "grad"))]
_NEW_THETA = [("theta", r"\theta_t = \theta_{t-1} + \Delta\theta_t", ("point", 0))]
STEP_ROWS: dict[str, list[tuple[str, str, tuple[str, str | int]]]] = {
    "sgd": _THETA + _GRAD + [
        ("update", r"\Delta\theta_t = -\eta\, g_t", ("record", "update"))] + _NEW_THETA,
    "momentum": _THETA + _GRAD + [
        ("velocity_prev", r"v_{t-1}", ("previous", "velocity")),
        ("velocity", r"v_t = \mu\, v_{t-1} - \eta\, g_t", ("record", "velocity")),
        ("update", r"\Delta\theta_t = v_t", ("record", "update"))] + _NEW_THETA,
    "nesterov": _THETA + _GRAD + [
        ("velocity_prev", r"v_{t-1}", ("previous", "velocity")),
        ("velocity", r"v_t = \mu\, v_{t-1} - \eta\, g_t", ("record", "velocity")),
        ("update", r"\Delta\theta_t = \mu\, v_t - \eta\, g_t", ("record", "update"))] + _NEW_THETA,
    "adagrad": _THETA + _GRAD + [
        ("accumulator_prev", r"h_{t-1}", ("previous", "accumulator")),
        ("accumulator", r"h_t = h_{t-1} + g_t^2", ("record", "accumulator")),
        ("update", r"\Delta\theta_t = -\eta\, g_t / \sqrt{h_t + \epsilon}", ("record", "update")),
    ] + _NEW_THETA,
    "rmsprop": _THETA + _GRAD + [
        ("square_prev", r"s_{t-1}", ("previous", "velocity")),
        ("square", r"s_t = \rho\, s_{t-1} + (1-\rho)\, g_t^2", ("record", "velocity")),
        ("update", r"\Delta\theta_t = -\eta\, g_t / \sqrt{s_t + \epsilon}", ("record", "update")),
    ] + _NEW_THETA,
    "adam": _THETA + _GRAD + [
        ("m_prev", r"m_{t-1}", ("previous", "m")),
        ("m", r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t", ("record", "m")),
        ("v_prev", r"v_{t-1}", ("previous", "v")),
        ("v", r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2", ("record", "v")),
        ("m_hat", r"\hat m_t = m_t / (1-\beta_1^t)", ("record", "m_hat")),
        ("v_hat", r"\hat v_t = v_t / (1-\beta_2^t)", ("record", "v_hat")),
        ("alpha", r"\alpha_t = \eta\,\sqrt{1-\beta_2^t}\,/\,(1-\beta_1^t)", ("record", "alpha")),
        ("update", r"\Delta\theta_t = -\alpha_t\, m_t / (\sqrt{v_t} + \epsilon)",
         ("record", "update"))] + _NEW_THETA,
}


def step_values(code: str, points: np.ndarray, records: list[dict], t: int) -> list[tuple[str, str,
                                                                                           np.ndarray]]:
    """(row code, LaTeX, value) for step t (1-based) of a run: values read from the run's points
    and the optimizer's records, never recomputed. A value is (2,) for x and y, or (1,) for a
    scalar such as Adam's alpha_t."""
    rows = []
    for row, latex, (kind, key) in STEP_ROWS[code]:
        if kind == "point":
            value = points[t - 1] if key == -1 else points[t]
        elif kind == "record":
            value = records[t - 1][key]
        else:
            value = records[t - 2][key] if t >= 2 else np.zeros_like(records[0][key])
        rows.append((row, latex, np.atleast_1d(np.asarray(value, dtype=float))))
    return rows


def markdown_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A Markdown table (LaTeX between $ signs renders in Streamlit's markdown)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def vector_text(value: np.ndarray, digits: int = 5) -> str:
    """'(0.12, -3.4)' for a 2-vector, '0.12' for a scalar."""
    parts = [fmt(v, digits) for v in np.ravel(value)]
    return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"
