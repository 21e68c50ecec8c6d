"""Heat maps with their numbers: a Plotly heat map plus a lazy "show numbers as a table" expander.

`show_heatmap(fig, key)` draws the figure (enlarged in presentation mode; a small heat map of
visuals.heatmaps, up to 15 cells a side, on a canvas cell by cell: visuals.tiles.heatmap_tile) and under it an expander
whose tables (one per map, rows and columns numbered from 0 like the axes) are built only while it
is open, so a closed expander costs nothing. The numbers are read from the figure's heat-map traces
(overlays such as padding are skipped, an RGB image gives one table per channel), or passed
explicitly as `values`. A table is (title, values (R, C)[, row numbers, column numbers]).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ui import present
from ui.i18n import t
from ui.tile_grid import draw_tiles
from visuals.tiles import heatmap_tile

MAX_SIDE = 256  # a table shows at most this many rows and columns


def _is_data_trace(trace) -> bool:
    """A heat map holding numbers (not the padding/dropped overlay, which has no hover)."""
    return trace.type == "heatmap" and trace.hoverinfo != "skip" and trace.z is not None


def _title_of(fig, index: int, count: int) -> str:
    """The panel title of the index-th map (subplot annotation), or the figure's title."""
    if count > 1 and len(fig.layout.annotations or ()) == count:  # one subplot title per map
        return str(fig.layout.annotations[index].text or "").replace("<b>", "").replace("</b>", "")
    return str(fig.layout.title.text or "") if fig.layout.title else ""


def _trace_table(title: str, trace) -> tuple:
    """(title, values, row numbers, column numbers) of one heat map, with its own axis numbers."""
    values = np.asarray(trace.z, dtype=float)
    rows = trace.y if trace.y is not None else range(values.shape[0])
    cols = trace.x if trace.x is not None else range(values.shape[1])
    return title, values, rows, cols


def _image_tables(title: str, trace) -> list[tuple]:
    """One table per channel of an RGB image trace."""
    pixels = np.asarray(trace.z, dtype=float)
    return [(f"{title} · {name}", pixels[..., c]) for c, name in enumerate("RGB")]


def figure_tables(fig) -> list[tuple]:
    """The tables of every data heat map (or RGB image) of `fig`, in drawing order."""
    traces = [tr for tr in fig.data if _is_data_trace(tr) or tr.type == "image"]
    tables = []
    for i, tr in enumerate(traces):
        title = _title_of(fig, i, len(traces))
        tables += _image_tables(title, tr) if tr.type == "image" else [_trace_table(title, tr)]
    return tables


def frame(values: np.ndarray, rows=None, cols=None) -> pd.DataFrame:
    """A table of a 2-D array (or 1-D, as one row), rows and columns numbered from 0 or labelled as given."""
    values = np.atleast_2d(np.asarray(values))
    shown = values[:MAX_SIDE, :MAX_SIDE]
    rows = list(range(values.shape[0]) if rows is None else rows)[:MAX_SIDE]
    cols = list(range(values.shape[1]) if cols is None else cols)[:MAX_SIDE]
    return pd.DataFrame(shown, index=pd.Index([_label(r) for r in rows]), columns=[str(_label(c)) for c in cols])


def _label(value: object) -> object:
    """A row or column label: an axis number as int (1.0 -> 1), a class name as it is."""
    return int(value) if isinstance(value, (int, float, np.number)) else str(value)


def _table(title: str, values: np.ndarray, many: bool, rows=None, cols=None) -> None:
    """One map's table, titled when the figure holds several maps."""
    if many and title:
        st.markdown(f"**{title}**")
    values = np.atleast_2d(values)
    if max(values.shape) > MAX_SIDE:
        st.caption(t("a11y.table_too_large", cells=values.size, rows=min(values.shape[0], MAX_SIDE),
                     cols=min(values.shape[1], MAX_SIDE)))
    table = frame(values, rows, cols)
    config = ({c: st.column_config.NumberColumn(format="%.4g") for c in table.columns}
              if np.issubdtype(table.values.dtype, np.number) else None)
    st.dataframe(table, column_config=config, height=min(38 + 35 * len(table), 400))


def number_tables(key: str, tables, where=st) -> None:
    """The lazy expander with one table per (title, values); nothing is built while it is closed."""
    box = where.expander(t("a11y.table_label"), key=f"{key}_table", on_change="rerun",
                         icon=":material/table:")
    if not box.open:
        return
    with box:
        tables = tables() if callable(tables) else tables
        st.caption(t("a11y.table_caption"))
        for title, values, *labels in tables:
            _table(title, values, len(tables) > 1, *labels)


def show_heatmap(fig, key: str, where=st, values=None, **chart_kwargs) -> None:
    """Draw the heat map `fig` under `key` in `where`, then its numbers in a lazy expander.

    values: an array (one map), a list of tables, or None to read them from the figure.
    """
    grid = heatmap_tile(fig)
    if grid is not None:  # a small heat map: drawn cell by cell on a canvas, updated in place
        draw_tiles(grid, key, where)
    else:
        present.chart(where, fig, key, **chart_kwargs)
    if values is None:
        tables = lambda: figure_tables(fig)  # noqa: E731 (built only when opened)
    elif isinstance(values, list):
        tables = values
    else:
        tables = [("", values)]
    number_tables(key, tables, where)
