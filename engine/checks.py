"""Argument checks shared by the whole engine: each raises the engine's translatable error.

A count or a hyperparameter is a Python or NumPy integer (never a bool); a real is any real
number (never a bool), finite when it must lie in a range. Messages: 'bad_hyperparameter' with
the argument's name and value, 'position_out_of_range' for a cell outside a map.
"""
from __future__ import annotations

from numbers import Integral, Real

from engine.errors import EngineError


def is_int(value: object) -> bool:
    """True for Python / NumPy integers, False for bool and everything else."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_count(value: object) -> bool:
    """True for an integer (not bool) >= 1."""
    return is_int(value) and value >= 1


def bad_hyperparameter(name: str, value: object) -> EngineError:
    """The error for an argument outside what the engine accepts."""
    return EngineError("bad_hyperparameter", name=name, value=value)


def int_in(name: str, value: object, low: int, high: int) -> int:
    """value as an int in low..high, else EngineError('bad_hyperparameter')."""
    if not is_int(value) or not low <= value <= high:
        raise bad_hyperparameter(name, value)
    return int(value)


def whole_in(name: str, value: object, low: int, high: int) -> int:
    """value as an int in low..high; a float with no fraction counts (table editors give them)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise bad_hyperparameter(name, value) from None
    if isinstance(value, bool) or not number.is_integer() or not low <= number <= high:
        raise bad_hyperparameter(name, value)
    return int(number)


def real_in(name: str, value: object, low: float, high: float) -> float:
    """value as a float in low..high (so finite), else EngineError('bad_hyperparameter')."""
    if isinstance(value, bool) or not isinstance(value, Real) or not low <= float(value) <= high:
        raise bad_hyperparameter(name, value)
    return float(value)


def position(row: object, col: object, rows: int, cols: int) -> None:
    """Raise 'position_out_of_range' unless 0 <= row < rows and 0 <= col < cols (integers)."""
    if not (is_int(row) and is_int(col) and 0 <= row < rows and 0 <= col < cols):
        raise EngineError("position_out_of_range", row=row, col=col, rows=rows, cols=cols)
