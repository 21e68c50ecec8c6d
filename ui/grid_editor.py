"""An editable grid of numbers (kernel cells, small input grids) with text cells.

Cells are text so that anything a student types reaches the engine's parser, which answers
with the row and column of an empty or non-numeric cell instead of silently dropping it.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

CELL_WIDTH = 44  # pixels: a 7x7 kernel fits the controls column without scrolling


def grid_editor(cells: list[list[str]], key: str, *, height: int | None = None) -> list[list[object]]:
    """Draw `cells` (R rows of C strings) as an editable table and return the edited cells.

    Rows are labelled 0..R-1 and columns 0..C-1, the indices the pages use everywhere.
    """
    cols = len(cells[0]) if cells else 0
    frame = pd.DataFrame(cells, columns=[str(c) for c in range(cols)], dtype="string")
    config = {str(c): st.column_config.TextColumn(str(c), width=CELL_WIDTH) for c in range(cols)}
    edited = st.data_editor(frame, key=key, column_config=config, hide_index=False,
                            num_rows="fixed", width="content", height=height or "auto")
    return [[None if pd.isna(v) else v for v in row] for row in edited.astype(object).values.tolist()]
