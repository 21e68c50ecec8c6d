"""Filter presets for the convolution pages, and the table editor's grid of cells <-> arrays.

Every preset is a 2-D float64 pattern of shape (K, K); `stack_filter` turns it into a
(K, K, depth) filter for a depth-channel input. Kernels are applied as cross-correlation
(like Keras): no flip.

Centre cell: index c = (K - 1) // 2 on both axes. For odd K it is the true centre; for even
K it is the top-left of the four middle cells, the cell that TensorFlow's 'same' padding
(odd padding pixel after) lines up with each output pixel, so 'identity' keeps the image.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction
from numbers import Real

import numpy as np
from scipy.special import comb

from engine import checks
from engine.errors import as_float_array, EngineError, require_finite

PRESETS = ("identity", "box_blur", "gaussian_blur", "sharpen", "laplacian", "sobel_x",
           "sobel_y", "emboss", "curve_detector", "random")
FIXED_SIZE = {"sobel_x": 3, "sobel_y": 3, "emboss": 3, "curve_detector": 7}
MAX_SIZE = 7

_SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)
_EMBOSS = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=np.float64)
_CURVE = np.zeros((7, 7))
_CURVE[[0, 1, 2, 3, 4, 5], [5, 4, 3, 3, 3, 3]] = 30.0  # the course notes' curve detector
_FRACTION = re.compile(r"^([^/]+)/([^/]+)$")


def _check_size(size: object) -> int:
    """size as an int in 1..MAX_SIZE."""
    if not checks.is_int(size):
        raise EngineError("bad_hyperparameter", name="size", value=size)
    if size < 1:
        raise EngineError("kernel_lt_1", kernel=int(size))
    if size > MAX_SIZE:
        raise EngineError("bad_hyperparameter", name="size", value=int(size))
    return int(size)


def _identity(size: int) -> np.ndarray:
    """(size, size) zeros with a 1 at the centre cell ((size-1)//2, (size-1)//2)."""
    kernel = np.zeros((size, size))
    kernel[(size - 1) // 2, (size - 1) // 2] = 1.0
    return kernel


def _gaussian(size: int) -> np.ndarray:
    """Outer product of binomial coefficients C(size-1, k), normalised to sum 1."""
    row = comb(size - 1, np.arange(size))
    kernel = np.outer(row, row)
    return kernel / kernel.sum()


def _adaptive(name: str, size: int, seed: int) -> np.ndarray:
    """Presets that exist in every size 1..7."""
    box = np.full((size, size), 1.0 / size**2)
    if name == "identity":
        return _identity(size)
    if name == "box_blur":
        return box
    if name == "gaussian_blur":
        return _gaussian(size)
    if name == "sharpen":
        return 2.0 * _identity(size) - box
    if name == "laplacian":
        return size**2 * _identity(size) - 1.0
    return np.random.default_rng(seed).normal(0.0, 1.0 / size, (size, size))


def preset_kernel(name: str, size: int = 3, seed: int = 0) -> np.ndarray:
    """The 2-D pattern (size, size) float64 of preset `name` (fixed-size presets ignore `size`).

    identity: 1 at the centre cell. box_blur: 1/size^2 everywhere. gaussian_blur: binomial
    outer product, sums to 1. sharpen: 2*identity - box_blur (sums to 1). laplacian: -1
    everywhere and size^2 - 1 at the centre (sums to 0; 3x3 is the 8-neighbour Laplacian with
    the sign that makes edges and spots bright). sobel_x / sobel_y (its transpose), emboss
    (3x3) and curve_detector (7x7, the course notes) are fixed. random: seeded normal with
    standard deviation 1/size.
    """
    if name not in PRESETS:
        raise EngineError("bad_hyperparameter", name="preset", value=name)
    if name == "sobel_x":
        return _SOBEL_X.copy()
    if name == "sobel_y":
        return _SOBEL_X.T.copy()
    if name == "emboss":
        return _EMBOSS.copy()
    if name == "curve_detector":
        return _CURVE.copy()
    return _adaptive(name, _check_size(size), seed)


def stack_filter(pattern2d: object, depth: int) -> np.ndarray:
    """(K, K) pattern -> (K, K, depth) filter: the pattern / depth on every input slice.

    Dividing by depth keeps the weights' total the same, so a blur of an RGB image stays in
    the pixel range (and a grayscale image gives the same result as one slice).
    """
    pattern = as_float_array("kernel", pattern2d, ndim=2).astype(np.float64, copy=False)
    require_finite("kernel", pattern)
    if not checks.is_int(depth) or depth < 1:
        raise EngineError("bad_hyperparameter", name="depth", value=depth)
    return np.repeat(pattern[..., None] / depth, int(depth), axis=2)


def stack_filters(filters: list[np.ndarray]) -> np.ndarray:
    """F filters (K, K, C) -> one layer's kernel (K, K, C, F). A layer's filters share one size,
    so filters of different sizes (a fixed-size preset next to the slider's size) give
    EngineError('filter_sizes_differ') with the sizes, e.g. '3×3, 5×5'."""
    shapes = list(dict.fromkeys(np.shape(f) for f in filters))
    if len(shapes) > 1:
        raise EngineError("filter_sizes_differ", sizes=", ".join(f"{s[0]}×{s[1]}" for s in shapes))
    return np.stack(filters, axis=-1)


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
