"""Keeping the last valid value of an edited grid, so a bad cell never loses a student's work.

A grid's editor may be hidden (a closed expander does not run): the grid then keeps its last
valid value, and the editor reopens showing that value.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from engine.errors import EngineError
from engine.data.grids import grid_to_cells, parse_grid
from ui.feedback import show_engine_error
from ui.grid_editor import grid_editor

VALID_KEY = "valid_grids"
BASE_KEY = "grid_editor_bases"  # the cells an open editor started from, per slot


def parse_or_keep(cells: list[list[object]], slot: str, name: str) -> np.ndarray:
    """Parse edited cells; on a bad cell show why and return the last valid grid of `slot`.

    The first parse of a slot is of the preset/default cells, which are always valid.
    """
    store = st.session_state.setdefault(VALID_KEY, {})
    try:
        grid = parse_grid(cells, name)
    except EngineError as err:
        show_engine_error(err)
        if slot in store:
            return store[slot]
        return np.zeros((len(cells), len(cells[0]) if cells else 1))
    store[slot] = grid
    return grid


def kept_grid(slot: str, default: np.ndarray) -> np.ndarray:
    """The last valid grid of `slot`, or `default` if it was never edited."""
    return st.session_state.get(VALID_KEY, {}).get(slot, default)


def edited_grid(default: np.ndarray, slot: str, name: str, key: str, shown: bool) -> np.ndarray:
    """The grid of `slot`: edited in a grid editor when `shown`, else its last valid value.

    An editor keeps the cells it opened with for as long as it stays open (its edits are
    applied to them), and reopens from the last valid grid.
    """
    bases = st.session_state.setdefault(BASE_KEY, {})
    if not shown:
        bases.pop(slot, None)
        return kept_grid(slot, default)
    cells = bases.setdefault(slot, grid_to_cells(kept_grid(slot, default)))
    return parse_or_keep(grid_editor(cells, key=key), slot, name)


def adopt_grid(slot: str, grid: np.ndarray | None, editor_key: str) -> None:
    """Make `grid` (from a share link) the value of `slot`; its editor restarts from it."""
    if grid is None:
        return
    st.session_state.setdefault(VALID_KEY, {})[slot] = grid
    st.session_state.setdefault(BASE_KEY, {}).pop(slot, None)
    st.session_state.pop(editor_key, None)
