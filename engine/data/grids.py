"""The table editor's grid of cells <-> arrays: what students type into a grid becomes numbers.

A cell may hold a number, a text such as '1', ' -2.5 ', '1e-3', '1/9' or '−3' (Unicode minus), or
be empty; an empty or non-numeric cell raises the engine's translatable error naming the grid, the
row and the column. Arrays come back as short texts (fractions where they are exact, like 1/9).
"""
from __future__ import annotations

import math
import re
from fractions import Fraction
from numbers import Real

import numpy as np

from engine.errors import as_float_array, EngineError, require_finite

_FRACTION = re.compile(r"^([^/]+)/([^/]+)$")


def _is_missing(value: object) -> bool:
    """None, or pandas' NA / NaT placeholders (checked by type name, no pandas import)."""
    return value is None or type(value).__name__ in ("NAType", "NaTType")


def _parse_text(text: str) -> float | None:
    """'1', ' -2.5 ', '1e-3', '1/9', '−3' (Unicode minus) -> float; None when not a number."""
    text = text.strip().replace("\u2212", "-")
    try:
        return float(text)
    except ValueError:
        pass
    parts = _FRACTION.match(text)
    if parts is None:
        return None
    try:
        numerator, denominator = float(parts.group(1)), float(parts.group(2))
    except ValueError:
        return None
    if denominator == 0:
        return math.inf
    return numerator / denominator


def _parse_cell(value: object, name: str, row: int, col: int) -> float:
    """One editor cell -> finite float, or the EngineError naming its 1-based row and col."""
    where = {"name": name, "row": row + 1, "col": col + 1}
    if _is_missing(value) or (isinstance(value, str) and not value.strip()):
        raise EngineError("empty_cell", **where)
    if isinstance(value, str):
        number = _parse_text(value)
    elif isinstance(value, Real) and not isinstance(value, bool):
        number = float(value)
    else:
        number = None
    if number is None:
        shown = str(value).strip()
        raise EngineError("not_numeric_cell", value=shown[:20] + ("…" if len(shown) > 20 else ""),
                          **where)
    if not math.isfinite(number):
        raise EngineError("nonfinite_cell", **where)
    return number


def _rows(cells: object, name: str) -> list[list[object]]:
    """The grid as a list of equally long rows, else EngineError('empty_input'/'bad_shape')."""
    if isinstance(cells, np.ndarray):
        cells = cells.tolist()
    if isinstance(cells, (str, bytes)) or not hasattr(cells, "__iter__"):
        raise EngineError("bad_shape", name=name, expected="rows of cells", got=type(cells).__name__)
    rows = [row.tolist() if isinstance(row, np.ndarray) else row for row in cells]
    if any(isinstance(row, (str, bytes)) or not hasattr(row, "__iter__") for row in rows):
        raise EngineError("bad_shape", name=name, expected="rows of cells", got="not a grid")
    rows = [list(row) for row in rows]
    if not rows or not rows[0]:
        raise EngineError("empty_input", name=name)
    lengths = sorted({len(row) for row in rows})
    if len(lengths) > 1:
        raise EngineError("bad_shape", name=name, expected=f"{len(rows)}x{lengths[-1]}",
                          got="rows of lengths " + ", ".join(map(str, lengths)))
    return rows


def parse_grid(cells: list[list[object]], name: str) -> np.ndarray:
    """A table editor's cells (str, int, float or None) -> float64 array (R, C).

    Accepts '1', ' -2.5 ', '1/9', '1e-3' and numbers. The first bad cell in reading order
    raises EngineError 'empty_cell', 'not_numeric_cell' (with the value) or 'nonfinite_cell',
    with 1-based row and col and the grid's `name`.
    """
    rows = _rows(cells, name)
    values = [[_parse_cell(value, name, r, c) for c, value in enumerate(row)]
              for r, row in enumerate(rows)]
    return np.array(values, dtype=np.float64)


def _format(value: float) -> str:
    """Short and exact where possible: up to 4 significant digits (0.5, 30, -2.5, 0.0625) when
    that reads back as the same number, else a simple fraction ("1/9", so a preset survives the
    editor exactly), else 4 significant digits (0.0002441)."""
    if value == 0:
        return "0"
    if 1e-4 <= abs(value) < 1e15:
        text = np.format_float_positional(value, precision=4, unique=True, fractional=False, trim="-")
    else:
        text = f"{value:.4g}"
    if float(text) == value:
        return text
    fraction = Fraction(value).limit_denominator(256)
    if abs(value) < 100 and abs(float(fraction) - value) <= 1e-12 * abs(value):
        return f"{fraction.numerator}/{fraction.denominator}"
    return text


def grid_to_cells(array2d: object) -> list[list[str]]:
    """(R, C) numbers -> R lists of C short strings for pre-filling the editor."""
    array = as_float_array("grid", array2d, ndim=2).astype(np.float64, copy=False)
    require_finite("grid", array)
    return [[_format(float(value)) for value in row] for row in array]
