"""Pooling figures and texts: window coverage (dropped border, padding), the step-through with
the winning cell marked, the cells a shift changed, and the written-out max / mean.

Pure builders: arrays and engine traces in, Plotly figures or strings out.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from visuals import colors, heatmaps, stepper
from visuals.formulas import fmt

DROPPED = "rgba(213, 94, 0, 0.55)"  # Okabe-Ito vermillion: cells no window reads
UNCHANGED = "#EDEDED"
CHANGED = "#E69F00"  # Okabe-Ito orange
MAX_BOXES = 64  # outline every window when there are at most this many
READABLE = 8  # numbers are written into the cells of maps up to this many cells per side
                # (half-width figures: longer sides leave no room for 3-digit values)


def _overlay(mask: np.ndarray, color: str, origin: tuple[int, int] = (0, 0)) -> go.Heatmap:
    """A one-colour layer over the cells where mask is True (transparent elsewhere)."""
    rows, cols = mask.shape
    return go.Heatmap(z=np.where(mask, 1.0, np.nan), x=np.arange(cols) + origin[1],
                      y=np.arange(rows) + origin[0], colorscale=[[0, color], [1, color]],
                      showscale=False, hoverinfo="skip")


def coverage_figure(values: np.ndarray, counts: np.ndarray, pads, title: str,
                    pool: tuple[int, int], strides: tuple[int, int],
                    windows: tuple[int, int]) -> go.Figure:
    """The input (H, W) inside its padded frame: padding grey, cells no window reads in
    vermillion with a cross, every window outlined (dashed) when there are few.

    counts: (Hp, Wp) windows per padded cell (engine.lessons.pooling_windows.coverage); pads:
    ((pt, pb), (pl, pr)); windows: (OH, OW) output size; axes count from -pt, -pl.
    """
    (pt, pb), (pl, pr) = pads
    h, w = values.shape
    padded = np.full(counts.shape, np.nan)
    padded[pt:pt + h, pl:pl + w] = values
    pad_mask = np.isnan(padded)
    fig = heatmaps.heatmap(np.where(pad_mask, 0.0, padded), title, signed=False, mask=pad_mask,
                           colorbar=False)
    fig.update_layout(margin={"t": 64})  # room for the title above the column indices
    small = max(counts.shape) <= heatmaps.TEXT_LIMIT
    if small:  # no number written into padding cells (they are not values)
        fig.data[0].text = [["" if m else fmt(v, 3) for v, m in zip(row, mrow)]
                            for row, mrow in zip(padded, pad_mask)]
    dropped = (counts == 0) & ~pad_mask
    if dropped.any():
        layer = _overlay(dropped, DROPPED)
        if small:  # the layer writes the values again, above its colour, so they stay readable
            layer.update(text=[[fmt(v, 3) if d else "" for v, d in zip(row, drow)]
                               for row, drow in zip(padded, dropped)],
                         texttemplate="%{text}", textfont={"size": 11, "color": "black"})
        fig.add_trace(layer)
        if small:  # a small cross in the top-right corner of each dropped cell
            rr, cc = np.nonzero(dropped)
            fig.add_trace(go.Scatter(x=cc + 0.3, y=rr - 0.3, mode="markers", hoverinfo="skip",
                                     showlegend=False, marker={"symbol": "x-thin", "size": 8,
                                                               "line": {"width": 2, "color": "#5A1F00"}}))
    if windows[0] * windows[1] <= MAX_BOXES:
        for i in range(windows[0]):
            for j in range(windows[1]):
                r0, c0 = i * strides[0], j * strides[1]
                fig.add_shape(type="rect", x0=c0 - 0.45, x1=c0 + pool[1] - 0.55, y0=r0 - 0.45,
                              y1=r0 + pool[0] - 0.55,
                              line={"color": colors.HIGHLIGHT, "width": 2, "dash": "dash"})
    # label the axes with original coordinates (padding rows/cols are negative)
    if small:
        fig.update_xaxes(tickmode="array", tickvals=list(range(counts.shape[1])),
                         ticktext=[str(c - pl) for c in range(counts.shape[1])])
        fig.update_yaxes(tickmode="array", tickvals=list(range(counts.shape[0])),
                         ticktext=[str(r - pt) for r in range(counts.shape[0])])
    return fig


def max_text(trace, max_terms: int = 16) -> str:
    """'max(1, 1, 5, 6) = 6' over the real (non-padding) cells of a max PoolTrace."""
    real = trace.window[~trace.is_padding]
    terms = ", ".join(fmt(v) for v in real[:max_terms])
    if real.size > max_terms:
        terms += f", … ({real.size - max_terms})"
    return f"max({terms}) = {fmt(trace.result)}"


def mean_text(trace, max_terms: int = 16) -> str:
    """'(1 + 1 + 5 + 6) / 4 = 13 / 4 = 3.25' for an average PoolTrace (padding left out)."""
    real = trace.window[~trace.is_padding]
    terms = " + ".join(fmt(v) for v in real[:max_terms]).replace("+ -", "- ")
    if real.size > max_terms:
        terms += f" + … ({real.size - max_terms})"
    return f"({terms}) / {trace.count} = {fmt(trace.total)} / {trace.count} = {fmt(trace.result)}"


def trace_text(trace, max_terms: int = 16) -> str:
    """max_text or mean_text, by the trace's mode."""
    return max_text(trace, max_terms) if trace.mode == "max" else mean_text(trace, max_terms)


def winner_cell(trace) -> tuple[int, int] | None:
    """(row, col) in input coordinates of the max that won, None for average pooling."""
    if trace.winner is None:
        return None
    return int(trace.in_rows[trace.winner[0]]), int(trace.in_cols[trace.winner[1]])


def _winner_box(cell: tuple[int, int]) -> dict:
    r, c = cell
    return {"type": "rect", "xref": "x", "yref": "y", "x0": c - 0.38, "x1": c + 0.38,
            "y0": r - 0.38, "y1": r + 0.38, "line": {"color": colors.WINNER, "width": 4},
            "fillcolor": "rgba(204, 121, 167, 0.25)"}


def pool_stepper(inputs: np.ndarray, outputs: np.ndarray, traces: list, positions, *,
                 input_mask: np.ndarray | None, input_origin: tuple[int, int],
                 output_origin: tuple[int, int], start: int, texts: dict[str, str]) -> go.Figure:
    """visuals.stepper.window_stepper for pooling, plus the winning cell of every max window.

    inputs: (R, C) padded region (NaN at padding: drawn grey, no number); traces: one PoolTrace
    per output position; texts: input_title, output_title, play, pause.
    """
    windows = [[(int(a), int(b)) for a in t.in_rows for b in t.in_cols] for t in traces]
    captions = [f"({t.row}, {t.col}): {trace_text(t, 9)}" for t in traces]
    fig = stepper.window_stepper(np.nan_to_num(inputs, nan=0.0), outputs, windows, list(positions),
                                 captions, input_mask=input_mask, start=start, signed_input=False,
                                 input_origin=input_origin, output_origin=output_origin, **texts)
    if input_mask is not None and input_mask.any() and fig.data[0].text is not None:
        fig.data[0].text = [["" if m else v for v, m in zip(row, mrow)]
                            for row, mrow in zip(fig.data[0].text, input_mask)]
    cells = [winner_cell(t) for t in traces]
    if all(c is not None for c in cells):
        for frame, cell in zip(fig.frames, cells):
            frame.layout.shapes = tuple(frame.layout.shapes) + (_winner_box(cell),)
        fig.layout.shapes = tuple(fig.layout.shapes) + (go.layout.Shape(_winner_box(cells[start])),)
    return fig


def window_figure(trace, title: str, height: int = 240) -> go.Figure:
    """One window's values (padding grey) with the winner marked, for the numbers section."""
    fig = heatmaps.heatmap(np.nan_to_num(trace.window, nan=0.0), title, signed=False,
                           mask=trace.is_padding, colorbar=False, height=height)
    fig.update_layout(margin={"t": 64})  # room for the title above the column indices
    fig.data[0].text = [["" if m else fmt(v, 3) for v, m in zip(row, mrow)]
                        for row, mrow in zip(trace.window, trace.is_padding)]
    fig.data[0].x = trace.in_cols
    fig.data[0].y = trace.in_rows
    for extra in fig.data[1:]:
        extra.x, extra.y = trace.in_cols, trace.in_rows
    fig.update_xaxes(tickmode="array", tickvals=list(trace.in_cols))
    fig.update_yaxes(tickmode="array", tickvals=list(trace.in_rows))
    cell = winner_cell(trace)
    if cell is not None:
        fig.add_shape(**{k: v for k, v in _winner_box(cell).items() if k not in ("xref", "yref")})
    return fig


def whole_map_figure(values: np.ndarray, title: str, winner: tuple[int, int] | None) -> go.Figure:
    """A whole map (global pooling reads every cell), the max marked for global max pooling."""
    fig = heatmaps.heatmap(values, title, signed=bool(values.min() < 0), colorbar=False)
    fig.update_layout(margin={"t": 64})
    if winner is not None:
        fig.add_shape(**{k: v for k, v in _winner_box(winner).items() if k not in ("xref", "yref")})
    return fig


def changed_figure(before: np.ndarray, after: np.ndarray, changed: np.ndarray, title: str,
                   labels: tuple[str, str]) -> go.Figure:
    """Pooled cells that a shift changed (orange) or left alone (grey), with 'old→new' written
    in changed cells of small maps and both values on hover. labels: (unchanged, changed)."""
    rows, cols = changed.shape
    show = max(rows, cols) <= READABLE
    fig = heatmaps.heatmap(changed.astype(float), title, signed=False, zrange=(0.0, 1.0),
                           show_values=show)
    text = [[(f"{fmt(b, 3)}→{fmt(a, 3)}" if c else fmt(a, 3)) for b, a, c in zip(br, ar, cr)]
            for br, ar, cr in zip(before, after, changed)]
    hover = [[f"{fmt(b, 4)} → {fmt(a, 4)}" for b, a in zip(br, ar)] for br, ar in zip(before, after)]
    fig.data[0].update(
        colorscale=[[0, UNCHANGED], [0.5, UNCHANGED], [0.5, CHANGED], [1, CHANGED]], text=text,
        customdata=hover, hovertemplate="(%{y}, %{x}): %{customdata}<extra></extra>",
        colorbar={"thickness": 10, "len": 0.6, "tickvals": [0.25, 0.75], "ticktext": list(labels)})
    return fig
