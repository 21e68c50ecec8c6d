"""Where pooling windows land, and what a small shift of the input does to a pooled map.

Complements engine.ops.pooling for the pooling page: which input cells no window ever reads
('valid' drops them), which cells are padding ('same'), and the small translation invariance
of pooling (shift the input by a few pixels and compare the pooled maps cell by cell).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.errors import as_float_array, EngineError, require_finite
from engine.ops import windows
from engine.ops.pooling import pool2d, pool_output_hw
from engine.shapes.output_size import AxisOutput, require_ok

# The course's 4x4 max-pool grid with a fifth row and column: 2x2 'valid' pooling never reads
# the 9 in the bottom-right corner; 'same' pads the map to 6x6 and keeps it.
ODD_GRID = np.array([[1, 1, 2, 4, 3], [5, 6, 7, 8, 2], [3, 2, 1, 0, 1], [1, 2, 3, 4, 6],
                     [2, 0, 5, 1, 9]], dtype=np.float64)
ODD_GRID.flags.writeable = False


def _axis_counts(axis: AxisOutput) -> np.ndarray:
    """(padded_input,) how many windows cover each padded position along one axis."""
    counts = np.zeros(axis.padded_input, dtype=np.int64)
    for start in range(0, axis.output * axis.stride, axis.stride):
        counts[start:start + axis.kernel] += 1
    return counts


def coverage(input_hw: tuple[int, int], pool_size: object, strides: object = None,
             padding: object = "valid") -> tuple[np.ndarray, tuple[tuple[int, int], tuple[int, int]]]:
    """How many pooling windows read each cell of the padded input.

    Returns (counts (H + pt + pb, W + pl + pr) int, ((pt, pb), (pl, pr))). A real cell with
    count 0 is never read: 'valid' drops it (the floor of the output-size formula, or gaps
    when the stride is larger than the window). Windows are separable, so the count of a
    cell is (windows over its row) x (windows over its column).
    Raises pool_output_hw's errors and 'pool_too_large'.
    """
    ah, aw = pool_output_hw(input_hw, pool_size, strides, padding)
    require_ok((ah, aw))
    counts = _axis_counts(ah)[:, None] * _axis_counts(aw)[None, :]
    return counts, windows.axis_pads(ah, aw)


def shift_image(x: object, dy: int, dx: int) -> np.ndarray:
    """x (H, W, C) moved down by dy and right by dx pixels (negative: up / left).

    The strip that comes in at the border repeats the nearest border pixel, so the only change
    is the movement itself (no dark band of zeros).
    """
    arr = as_float_array("x", x, ndim=3)
    h, w = arr.shape[:2]
    rows = np.clip(np.arange(h) - int(dy), 0, h - 1)
    cols = np.clip(np.arange(w) - int(dx), 0, w - 1)
    return arr[rows][:, cols]


@dataclass(frozen=True)
class ShiftEffect:
    """Original and shifted input (H, W, C), their pooled maps (OH, OW, C) and what changed."""

    shifted: np.ndarray
    pooled: np.ndarray
    pooled_shifted: np.ndarray
    input_changed: np.ndarray  # (H, W, C) bool
    pooled_changed: np.ndarray  # (OH, OW, C) bool
    input_fraction: float  # share of input cells that changed
    pooled_fraction: float  # share of pooled cells that changed


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise 'differs', ignoring float rounding far below the data's scale."""
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1.0)
    return ~np.isclose(a, b, rtol=0.0, atol=1e-12 * scale)


def shift_effect(x: object, dy: int, dx: int, pool_size: object = 2, strides: object = None,
                 padding: object = "valid", mode: str = "max") -> ShiftEffect:
    """Pool x (H, W, C) and its shifted copy with the same settings and compare cell by cell."""
    arr = as_float_array("x", x, ndim=3)
    require_finite("x", arr)
    if abs(int(dy)) >= arr.shape[0] or abs(int(dx)) >= arr.shape[1]:
        raise EngineError("bad_hyperparameter", name="shift", value=(int(dy), int(dx)))
    moved = shift_image(arr, dy, dx)
    pooled = pool2d(arr[None], pool_size, strides, padding, mode)[0]
    pooled_moved = pool2d(moved[None], pool_size, strides, padding, mode)[0]
    in_changed = _changed(arr, moved)
    out_changed = _changed(pooled, pooled_moved)
    return ShiftEffect(shifted=moved, pooled=pooled, pooled_shifted=pooled_moved,
                       input_changed=in_changed, pooled_changed=out_changed,
                       input_fraction=float(in_changed.mean()),
                       pooled_fraction=float(out_changed.mean()))
