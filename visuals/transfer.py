"""Figure of the transfer-learning page: accuracy curves of several training runs side by side.

Pure builder: per-run histories and already-translated labels in, a Plotly figure out (a plain
spec wrapped once without validation, like visuals.training).
"""
from __future__ import annotations

import plotly.graph_objects as go

from visuals.training import TRAIN_COLOR, VAL_COLOR

GAP = 0.06  # horizontal space between panels, as a fraction of the figure width
UNFREEZE_COLOR = "#7F7F7F"


def panel_domains(count: int) -> list[list[float]]:
    """[start, end] x-domains of `count` equal panels in one row, inside [0, 1]."""
    width = (1.0 - GAP * (count - 1)) / count
    return [[round(i * (width + GAP), 6), round(min(1.0, i * (width + GAP) + width), 6)] for i in range(count)]


def _axis_names(i: int) -> tuple[str, str]:
    suffix = "" if i == 0 else str(i + 1)
    return f"x{suffix}", f"y{suffix}"


def _run_traces(history: dict[str, list[float]], i: int, labels: dict[str, str]) -> list[dict]:
    """Training accuracy (dotted) and held-out accuracy (solid) of one run in panel i."""
    xa, ya = _axis_names(i)
    out = []
    for key, name, color, dash in (("accuracy", labels["train"], TRAIN_COLOR, "dot"),
                                   ("val_accuracy", labels["heldout"], VAL_COLOR, "solid")):
        values = history.get(key) or []
        out.append({"type": "scatter", "mode": "lines+markers", "x": list(range(1, len(values) + 1)), "y": values,
                    "name": name, "legendgroup": key, "showlegend": i == 0, "xaxis": xa, "yaxis": ya,
                    "line": {"color": color, "width": 2.5, "dash": dash}, "marker": {"size": 6}})
    return out


def _unfreeze_marks(at: float, i: int, label: str) -> tuple[dict, dict]:
    """A dashed vertical line between the head epochs and the unfrozen epochs, and its label."""
    xa, ya = _axis_names(i)
    line = {"type": "line", "xref": xa, "yref": f"{ya} domain", "x0": at, "x1": at, "y0": 0, "y1": 1,
            "line": {"color": UNFREEZE_COLOR, "width": 1.5, "dash": "dash"}}
    note = {"xref": xa, "yref": f"{ya} domain", "x": at, "y": 0.02, "text": label, "showarrow": False,
            "xanchor": "left", "font": {"size": 11, "color": UNFREEZE_COLOR}}
    return line, note


def comparison(histories: dict[str, dict[str, list[float]]], titles: dict[str, str], labels: dict[str, str],
               epochs: int, unfreeze_after: dict[str, int] | None = None) -> go.Figure:
    """One panel per key of `titles` (in order): accuracy per epoch on the training images and on
    the held-out images, y from 0 to 1 in every panel so the panels compare at a glance.

    histories: method -> {"accuracy": [...], "val_accuracy": [...]} (missing methods give empty
    panels); unfreeze_after: method -> epochs before its layers were unfrozen (a dashed line).
    labels: train, heldout, epoch, accuracy, unfrozen (translated)."""
    methods = list(titles)
    domains = panel_domains(len(methods))
    data, shapes, notes, layout = [], [], [], {}
    for i, method in enumerate(methods):
        data += _run_traces(histories.get(method, {}), i, labels)
        xa, ya = _axis_names(i)
        layout[xa.replace("x", "xaxis")] = {"domain": domains[i], "range": [0.5, max(epochs, 1) + 0.5],
                                            "title": {"text": labels["epoch"]}, "gridcolor": "#eee",
                                            "dtick": max(1, epochs // 10), "anchor": ya}
        layout[ya.replace("y", "yaxis")] = {"range": [0, 1.02], "gridcolor": "#eee", "anchor": xa,
                                            "tickformat": ".0%", "title": {"text": labels["accuracy"] if i == 0 else ""}}
        notes.append({"xref": "paper", "yref": "paper", "x": sum(domains[i]) / 2, "y": 1.0, "yanchor": "bottom",
                      "text": f"<b>{titles[method]}</b>", "showarrow": False, "font": {"size": 13}})
        if unfreeze_after and method in unfreeze_after:
            line, note = _unfreeze_marks(unfreeze_after[method] + 0.5, i, labels["unfrozen"])
            shapes.append(line)
            notes.append(note)
    layout.update({"height": 340, "margin": {"l": 60, "r": 16, "t": 40, "b": 80}, "plot_bgcolor": "white",
                   "legend": {"orientation": "h", "y": -0.28}, "shapes": shapes, "annotations": notes})
    return go.Figure({"data": data, "layout": layout}, _validate=False)
