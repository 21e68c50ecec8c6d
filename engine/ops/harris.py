"""Hand-made features: the four-direction SSD (Moravec) and the Harris corner response.

All functions take a 2-D gray image (H, W) of floats and work on whole arrays with
scipy.ndimage filters (no Python loop over pixels). The pages pass intensities scaled to 0..1
(pixel / 255), as scikit-image's `img_as_float` does.

Four-direction SSD. A window W of size x size pixels centred on (r, c) is shifted by one pixel
in four directions (dy, dx) and the change is measured as

    E(dx, dy) = sum over (y, x) in W of [I(y + dy, x + dx) - I(y, x)]^2.

Flat region: E is small in every direction. Edge: E is ~0 along the edge and large across it.
Corner: E is large in every direction, so min over the four directions (Moravec's response) is
large only at corners. Pixels outside the image repeat the nearest border pixel.

Harris. With a first-order Taylor expansion I(y + dy, x + dx) ~ I + I_x dx + I_y dy, E becomes
the quadratic form [dx dy] M [dx dy]^T with the structure matrix

    M = [[S_xx, S_xy], [S_xy, S_yy]],  S_xx = w * I_x^2,  S_xy = w * I_x I_y,  S_yy = w * I_y^2

(w * ...: weighted sum over the window). The corner response is R = det(M) - k trace(M)^2
= l1 l2 - k (l1 + l2)^2 for the eigenvalues l1, l2 of M: both large (corner) -> R > 0; one large
(edge) -> R < 0; both small (flat) -> |R| small.

Conventions, chosen to equal `skimage.feature.corner_harris(image, method='k', k, sigma)` on
the same float image (tests/unit/test_harris.py checks it to 1e-12):
- gradients are scipy.ndimage.sobel, unnormalised (8 x the central derivative on a ramp), zero
  outside the image; I_x along columns (axis 1), I_y along rows (axis 0). skimage names them
  Arr (rows) and Acc (cols): det and trace do not depend on that order.
- the Gaussian window is scipy.ndimage.gaussian_filter(sigma, truncate=4, mode='constant').
The 'box' window (a plain sum over size x size pixels, as in the course notes' sum over W) has
no skimage counterpart.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from engine import checks
from engine.errors import as_float_array, EngineError, require_finite

# (dy, dx) of the four one-pixel shifts: horizontal, vertical and the two diagonals
DIRECTIONS: dict[str, tuple[int, int]] = {
    "horizontal": (0, 1), "vertical": (1, 0), "diagonal_down": (1, 1), "diagonal_up": (-1, 1),
}
WINDOWS = ("gaussian", "box")
KINDS = ("flat", "edge", "corner")  # codes 0, 1, 2 of `classify`
MAX_K = 0.25  # above 1/4 even a perfect corner (l1 = l2) gets R <= 0


def _image(image: object) -> np.ndarray:
    """A finite 2-D float64 array, else EngineError ('bad_shape', 'nonfinite', ...)."""
    arr = as_float_array("image", image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise EngineError("bad_shape", name="image", expected="(H, W)", got=str(arr.shape))
    require_finite("image", arr)
    return arr.astype(np.float64, copy=False)


def _odd_size(size: object) -> int:
    """A window side: an odd integer from 1 to 31."""
    if not checks.is_int(size) or not 1 <= size <= 31 or size % 2 == 0:
        raise EngineError("bad_hyperparameter", name="window size", value=size)
    return int(size)


def _check_pixel(shape: tuple[int, int], row: object, col: object) -> tuple[int, int]:
    """(row, col) inside the image, else EngineError('position_out_of_range')."""
    ok = all(checks.is_int(v) for v in (row, col))
    if not ok or not (0 <= row < shape[0] and 0 <= col < shape[1]):
        raise EngineError("position_out_of_range", row=row, col=col, rows=shape[0], cols=shape[1])
    return int(row), int(col)


# ------------------------------------------------------------------ four-direction SSD


def _padded(img: np.ndarray, half: int) -> np.ndarray:
    """The image with half + 1 border pixels repeated from the nearest edge (window + shift)."""
    return np.pad(img, half + 1, mode="edge")


def ssd_maps(image: object, size: int = 3) -> dict[str, np.ndarray]:
    """E(dx, dy) of every pixel for the four shifts: {direction: (H, W)}, plus 'min' (Moravec).

    E = box sum over the size x size window of (I(shifted) - I)^2; size odd.
    """
    img = _image(image)
    size = _odd_size(size)
    half = size // 2
    p = _padded(img, half)
    h, w = img.shape
    ones = np.ones((size, size))
    maps: dict[str, np.ndarray] = {}
    for name, (dy, dx) in DIRECTIONS.items():
        # squared difference of every pixel with its neighbour at (dy, dx), on the padded grid
        core = p[1:-1, 1:-1]
        moved = p[1 + dy:p.shape[0] - 1 + dy, 1 + dx:p.shape[1] - 1 + dx]
        sq = (moved - core) ** 2
        # window sum centred on each pixel; 'valid' part of the (H + 2 half) grid is (H, W)
        summed = ndi.correlate(sq, ones, mode="constant", cval=0.0)
        maps[name] = summed[half:half + h, half:half + w]
    maps["min"] = np.minimum.reduce([maps[n] for n in DIRECTIONS])
    return maps


@dataclass(frozen=True)
class SSDTrace:
    """E(dx, dy) at one pixel for one direction, number by number (size x size arrays)."""

    direction: str
    shift: tuple[int, int]  # (dy, dx)
    window: np.ndarray  # I(y, x) under the window
    shifted: np.ndarray  # I(y + dy, x + dx)
    squared: np.ndarray  # (shifted - window)^2
    total: float  # E = squared.sum()


def ssd_trace(image: object, row: int, col: int, size: int = 3,
              direction: str = "horizontal") -> SSDTrace:
    """The window, the shifted window and E for one pixel and direction (equals ssd_maps)."""
    img = _image(image)
    size = _odd_size(size)
    row, col = _check_pixel(img.shape, row, col)
    if direction not in DIRECTIONS:
        raise EngineError("bad_mode", mode=direction)
    half = size // 2
    p = _padded(img, half)
    dy, dx = DIRECTIONS[direction]
    top, left = row + 1, col + 1  # window's top-left in padded coordinates (offset half + 1 - half)
    window = p[top:top + size, left:left + size]
    shifted = p[top + dy:top + dy + size, left + dx:left + dx + size]
    squared = (shifted - window) ** 2
    return SSDTrace(direction=direction, shift=(dy, dx), window=window.copy(),
                    shifted=shifted.copy(), squared=squared, total=float(squared.sum()))


# ------------------------------------------------------------------ structure matrix and Harris


@dataclass(frozen=True)
class StructureTensor:
    """Gradients and the windowed entries of M at every pixel, each (H, W)."""

    ix: np.ndarray  # Sobel derivative along columns (x)
    iy: np.ndarray  # Sobel derivative along rows (y)
    sxx: np.ndarray  # w * Ix^2
    sxy: np.ndarray  # w * Ix Iy
    syy: np.ndarray  # w * Iy^2


def gradients(image: object) -> tuple[np.ndarray, np.ndarray]:
    """(I_x, I_y): Sobel cross-correlations of the image, zero outside it (H, W) each.

    I_x is the 'same'-padded convolution with engine.ops.kernels' sobel_x, I_y with sobel_y.
    """
    img = _image(image)
    return (ndi.sobel(img, axis=1, mode="constant", cval=0.0),
            ndi.sobel(img, axis=0, mode="constant", cval=0.0))


def _window_sum(values: np.ndarray, window: str, sigma: float, size: int) -> np.ndarray:
    """Weighted sum over the window: Gaussian (sigma, truncate 4) or a size x size box sum."""
    if window == "gaussian":
        return ndi.gaussian_filter(values, sigma, mode="constant", cval=0.0, truncate=4.0)
    return ndi.correlate(values, np.ones((size, size)), mode="constant", cval=0.0)


def _window_args(window: object, sigma: object, size: object) -> tuple[str, float, int]:
    if window not in WINDOWS:
        raise EngineError("bad_mode", mode=window)
    if window == "gaussian":
        return window, checks.real_in("sigma", sigma, 0.1, 10.0), 1
    return window, 1.0, _odd_size(size)


def structure_tensor(image: object, window: str = "gaussian", sigma: float = 1.0,
                     size: int = 3) -> StructureTensor:
    """The structure matrix entries of every pixel (see the module docstring)."""
    window, sigma, size = _window_args(window, sigma, size)
    ix, iy = gradients(image)
    return StructureTensor(ix=ix, iy=iy, sxx=_window_sum(ix * ix, window, sigma, size),
                           sxy=_window_sum(ix * iy, window, sigma, size),
                           syy=_window_sum(iy * iy, window, sigma, size))


def response(tensor: StructureTensor, k: float = 0.05) -> np.ndarray:
    """R = det(M) - k trace(M)^2 at every pixel, (H, W)."""
    k = checks.real_in("k", k, 0.0, MAX_K)
    det = tensor.sxx * tensor.syy - tensor.sxy ** 2
    trace = tensor.sxx + tensor.syy
    return det - k * trace ** 2


def harris_response(image: object, k: float = 0.05, window: str = "gaussian",
                    sigma: float = 1.0, size: int = 3) -> np.ndarray:
    """Harris corner response (H, W); with window='gaussian' equal to skimage's corner_harris."""
    return response(structure_tensor(image, window, sigma, size), k)


def classify(r: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    """(H, W) int8 codes: 2 corner where R > t * max|R|, 1 edge where R < -t * max|R|, 0 flat.

    t = threshold in (0, 1]; the scale max|R| makes the rule independent of image contrast.
    """
    t = checks.real_in("threshold", threshold, 1e-6, 1.0)
    scale = float(np.max(np.abs(r))) or 1.0
    kinds = np.zeros(r.shape, dtype=np.int8)
    kinds[r < -t * scale] = 1
    kinds[r > t * scale] = 2
    return kinds


def corner_peaks(r: np.ndarray, threshold: float = 0.01, min_distance: int = 2) -> np.ndarray:
    """(N, 2) int (row, col) of the detected corners, strongest first.

    A pixel is a corner when it is classified 'corner', is the largest R within min_distance
    pixels (a (2 d + 1)^2 square: non-maximum suppression) and lies at least min_distance
    pixels inside the image (the zeros outside make the picture's own frame look like an
    edge; skimage's corner_peaks excludes that border the same way by default).
    """
    if not checks.is_int(min_distance) or not 1 <= min_distance <= 50:
        raise EngineError("bad_hyperparameter", name="min_distance", value=min_distance)
    d = int(min_distance)
    local_max = r == ndi.maximum_filter(r, size=2 * d + 1, mode="nearest")
    inside = np.zeros(r.shape, dtype=bool)
    inside[d:r.shape[0] - d, d:r.shape[1] - d] = True
    rows, cols = np.nonzero(local_max & inside & (classify(r, threshold) == 2))
    order = np.argsort(-r[rows, cols], kind="stable")
    return np.stack([rows[order], cols[order]], axis=1).astype(np.int64)


@dataclass(frozen=True)
class HarrisPoint:
    """Everything about M at one pixel."""

    row: int
    col: int
    ix: float
    iy: float
    sxx: float
    sxy: float
    syy: float
    det: float
    trace: float
    k: float
    r: float  # det - k * trace^2
    eigenvalues: tuple[float, float]  # l1 >= l2
    kind: str  # 'flat' | 'edge' | 'corner' (classify with the same threshold)


def harris_at(tensor: StructureTensor, r: np.ndarray, kinds: np.ndarray, row: int, col: int,
              k: float) -> HarrisPoint:
    """M, det, trace, R, eigenvalues and class at (row, col), read from the whole-image arrays."""
    row, col = _check_pixel(r.shape, row, col)
    sxx, sxy, syy = (float(a[row, col]) for a in (tensor.sxx, tensor.sxy, tensor.syy))
    det = sxx * syy - sxy * sxy
    trace = sxx + syy
    l2, l1 = np.linalg.eigvalsh(np.array([[sxx, sxy], [sxy, syy]]))
    return HarrisPoint(row=row, col=col, ix=float(tensor.ix[row, col]), iy=float(tensor.iy[row, col]),
                       sxx=sxx, sxy=sxy, syy=syy, det=det, trace=trace, k=float(k),
                       r=float(r[row, col]), eigenvalues=(float(l1), float(l2)),
                       kind=KINDS[int(kinds[row, col])])


@dataclass(frozen=True)
class HarrisResult:
    """One Harris run on one image: tensor, response, classes and detected corners."""

    tensor: StructureTensor
    r: np.ndarray  # (H, W)
    kinds: np.ndarray  # (H, W) int8, codes of KINDS
    corners: np.ndarray  # (N, 2) row, col, strongest first
    counts: dict[str, int]  # pixels per kind


def harris(image: object, k: float = 0.05, window: str = "gaussian", sigma: float = 1.0,
           size: int = 3, threshold: float = 0.01, min_distance: int = 2) -> HarrisResult:
    """The whole detector: structure tensor, R, flat/edge/corner map and the corner points."""
    tensor = structure_tensor(image, window, sigma, size)
    r = response(tensor, k)
    kinds = classify(r, threshold)
    corners = corner_peaks(r, threshold, min_distance)
    counts = {name: int(np.count_nonzero(kinds == code)) for code, name in enumerate(KINDS)}
    return HarrisResult(tensor=tensor, r=r, kinds=kinds, corners=corners, counts=counts)


def demo_image(kind: str = "square", size: int = 32) -> np.ndarray:
    """A hand-made (size, size) 0..1 test picture: 'square' (bright square on dark), 'edge'
    (dark left half, bright right half) or 'flat' (all 0.5)."""
    size = int(size)
    if kind == "flat":
        return np.full((size, size), 0.5)
    img = np.zeros((size, size))
    if kind == "edge":
        img[:, size // 2:] = 1.0
        return img
    if kind == "square":
        q = size // 4
        img[q:size - q, q:size - q] = 1.0
        return img
    raise EngineError("bad_mode", mode=kind)


def example_points(result: HarrisResult, border: int = 3) -> dict[str, tuple[int, int]]:
    """One pixel of each kind to start exploring from: 'corner' the largest R, 'edge' the most
    negative R, 'flat' the smallest trace(M) (least gradient energy); pixels closer than
    `border` to the image edge are skipped when the image is large enough."""
    r, trace = result.r, result.tensor.sxx + result.tensor.syy
    h, w = r.shape
    inner = np.zeros(r.shape, dtype=bool)
    b = border if min(h, w) > 2 * border else 0
    inner[b:h - b, b:w - b] = True

    def best(score: np.ndarray) -> tuple[int, int]:
        flat = int(np.argmax(np.where(inner, score, -np.inf)))
        return flat // w, flat % w

    return {"corner": best(r), "edge": best(-r), "flat": best(-trace)}
