"""Filter presets for the convolution pages (the table editor's cells <-> arrays: engine.data.grids).

Every preset is a 2-D float64 pattern of shape (K, K); `stack_filter` turns it into a
(K, K, depth) filter for a depth-channel input. Kernels are applied as cross-correlation
(like Keras): no flip.

Centre cell: index c = (K - 1) // 2 on both axes. For odd K it is the true centre; for even
K it is the top-left of the four middle cells, the cell that TensorFlow's 'same' padding
(odd padding pixel after) lines up with each output pixel, so 'identity' keeps the image.
"""
from __future__ import annotations


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
