"""Keeping the last valid value of an edited grid, so a bad cell never loses a student's work."""
from __future__ import annotations

import numpy as np
import streamlit as st

from engine.errors import EngineError
from engine.kernels import parse_grid
from ui.feedback import show_engine_error

VALID_KEY = "valid_grids"


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
