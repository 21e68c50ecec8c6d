"""Figures and formula rows of the optimizer lab: the contour picture and the descent paths drawn
over it (ui.path_map, a canvas), loss per step, step sizes with and without Adam's bias correction,
and the per-step tables' formulas.

Pure builders: arrays in, Plotly figures or canvas payloads out. Paths are drawn in Okabe-Ito
colours (distinct for colour-blind viewers) over a light contour map; a run that diverged ends with
a cross.
"""
from __future__ import annotations

import base64
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
LEVEL_LINE_RGB, LEVEL_LINE_ALPHA = (60, 60, 60), 0.4  # the thin line where two bands meet
# Plotly's dash names as canvas setLineDash patterns (pixels at line width 2.5)
CANVAS_DASHES = {"solid": [], "dot": [2, 4], "dash": [7, 4], "longdash": [12, 5], "dashdot": [7, 3, 2, 3]}


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


def contour_picture(z: np.ndarray, log_scale: bool = False, bands: int = CONTOUR_BANDS) -> np.ndarray:
    """The filled contour map of z (R, C), one pixel per grid point, as an (R, C, 3) uint8 picture
    whose top row is the highest y (z's last row): `bands` colour bands from the lowest to the
    highest value (of `contour_levels`), and a thin dark line where one band meets the next, so
    the level lines are part of the picture and cost the browser nothing to redraw."""
    levels = contour_levels(z, log_scale)
    lo, hi = float(np.nanmin(levels)), float(np.nanmax(levels))
    step = (hi - lo) / bands or 1.0
    band = np.clip(np.floor((np.nan_to_num(levels, nan=lo) - lo) / step), 0, bands - 1)
    rgb = colorize((band + 0.5) / bands, 0.0, 1.0, CONTOUR_SCALE)[..., :3].astype(float)
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, :-1] |= band[:, :-1] != band[:, 1:]  # a level crossed between two neighbours in x
    edge[:-1, :] |= band[:-1, :] != band[1:, :]  # ... or in y
    rgb[edge] = (1 - LEVEL_LINE_ALPHA) * rgb[edge] + LEVEL_LINE_ALPHA * np.array(LEVEL_LINE_RGB)
    return np.round(rgb[::-1]).astype(np.uint8)


def picture_rows(x_range: tuple, y_range: tuple, columns: int) -> int:
    """Rows of a contour picture `columns` wide whose pixels are square on the map (x and y on the
    same scale)."""
    aspect = (y_range[1] - y_range[0]) / (x_range[1] - x_range[0])
    return max(2, int(round(columns * aspect)))


def map_height(x_range: tuple, y_range: tuple) -> int:
    """The map's tallest height in pixels: as tall as the region's shape needs in a column about
    600 pixels wide (x and y on the same scale), between 230 and 450."""
    aspect = (y_range[1] - y_range[0]) / (x_range[1] - x_range[0])
    return int(min(450, max(230, 600 * aspect)))


def path_map(paths: list[PathLine], x_range: tuple, y_range: tuple, *, minima: tuple = (),
             start: tuple | None = None, labels: dict[str, str] | None = None) -> dict:
    """What ui.path_map draws over a surface's contour picture: every path (points as base64
    little-endian float64, its colour, its dash pattern in pixels, whether it diverged), the
    minima, the start, the region, the map's height and the texts of its legend and hover.
    labels: 'start', 'minimum', 'diverged' (legend), 'x', 'y' (axes)."""
    labels = {"start": "start", "minimum": "minimum", "diverged": "diverged", "x": "x", "y": "y",
              **(labels or {})}
    drawn = []
    for line in paths:
        pts = np.asarray(line.points, dtype="<f8").reshape(-1, 2)
        drawn.append({"code": line.code, "label": line.label, "color": COLORS.get(line.code, "#444444"),
                      "dash": CANVAS_DASHES[DASHES.get(line.code, "solid")], "diverged": bool(line.diverged),
                      "count": len(pts), "x": _b64(pts[:, 0]), "y": _b64(pts[:, 1])})
    return {"paths": drawn, "x_range": [float(v) for v in x_range], "y_range": [float(v) for v in y_range],
            "minima": [[float(a), float(b)] for a, b in minima],
            "start": None if start is None else [float(start[0]), float(start[1])],
            "height": map_height(x_range, y_range), "labels": labels}


def _b64(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f8").tobytes()).decode("ascii")


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
