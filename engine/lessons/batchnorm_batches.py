"""Mini-batches of real feature maps for the batch-normalization page, and BN over many batches.

A mini-batch is N small grayscale pictures x (N, S, S, 1) in 0..1 (pixels / 255, like Keras'
`rescale=1/255`): built-in photos (random square crops, flips and brightness changes of the
four photos), MNIST digits, or drawn shapes. Every source has a seeded pool of pictures and
batch number k takes the next N pictures of a seeded shuffle, so the same settings always
give the same batches.

The batch goes through one conv layer (3x3 preset filters, 'valid', no bias, optional ReLU):
feature maps (N, S-2, S-2, C), one channel per filter. Batch normalization then works per
channel over all N*(S-2)*(S-2) values of that channel (engine.ops.batchnorm, Keras' rules).
`run_training` feeds batches 0..k-1 in training mode, so the moving statistics follow
    moving = momentum * moving + (1 - momentum) * batch statistic.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from numbers import Integral

import numpy as np

from engine import checks
from engine.errors import EngineError
from engine.ops import conv, kernels
from engine.ops.batchnorm import batchnorm, BatchNormResult, BatchNormState

SOURCES = ("photo", "digit", "shape")
DEFAULT_FILTERS = ("gaussian_blur", "sobel_x", "laplacian")
MAX_BATCH = 16
MAX_FILTERS = 4
MAX_STEPS = 500
SIZES = (16, 64)  # smallest and largest picture side for photos and shapes
DIGIT_SIZE = 28
_POOL_PER_PHOTO = 24  # augmented variants of each built-in photo
_SHAPES_PER_CLASS = 80


# ---------------------------------------------------------------- pools of pictures


def _photo_variants(rng: np.random.Generator, gray: np.ndarray, size: int) -> list[np.ndarray]:
    """_POOL_PER_PHOTO random square crops (60-100% of the short side) of one (H, W, 1) photo,
    resized to (size, size, 1), half of them mirrored, brightness scaled by 0.6..1.3."""
    from engine.data import images  # noqa: PLC0415 - Pillow loads when pictures are made, not on import
    h, w = gray.shape[:2]
    out = []
    for _ in range(_POOL_PER_PHOTO):
        side = int(min(h, w) * rng.uniform(0.6, 1.0))
        top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        crop = images.resize_to(gray[top:top + side, left:left + side], size)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        out.append(np.clip(crop * rng.uniform(0.6, 1.3), 0.0, 255.0))
    return out


@lru_cache(maxsize=8)
def _pool(source: str, size: int, seed: int) -> np.ndarray:
    """The source's seeded pool of pictures (P, size, size, 1) float64 in 0..1, read-only."""
    from engine.data import datasets, images  # noqa: PLC0415 - as in _photo_variants
    rng = np.random.default_rng(seed)
    if source == "photo":
        pics = []
        for name in images.BUILTIN_PHOTOS:
            gray = images.to_grayscale(images.builtin_photo(name, max_side=128).pixels)
            pics.extend(_photo_variants(rng, gray, size))
        pool = np.stack(pics)
    elif source == "digit":
        pool = datasets.mnist_subset()[0].astype(np.float64)
    else:
        options = datasets.ShapeOptions(size=size)
        pool = datasets.make_shapes(_SHAPES_PER_CLASS, options, seed=seed)[0].astype(np.float64)
    pool = pool[rng.permutation(len(pool))] / 255.0  # shuffled once, pixels to 0..1
    pool.flags.writeable = False
    return pool


def make_batch(source: str, count: int, size: int, index: int, seed: int = 0) -> np.ndarray:
    """Batch number `index` (0, 1, ...): `count` pictures (count, S, S, 1) float64 in 0..1.

    S is `size` for photos and shapes, 28 for MNIST digits. Batch k holds pool pictures
    k*count .. k*count + count - 1 (wrapping around the pool).
    """
    if source not in SOURCES:
        raise EngineError("bad_mode", mode=source)
    count = checks.int_in("batch_size", count, 1, MAX_BATCH)
    size = DIGIT_SIZE if source == "digit" else checks.int_in("size", size, *SIZES)
    index = checks.int_in("batch", index, 0, 10**6)
    pool = _pool(source, size, int(seed))
    rows = (index * count + np.arange(count)) % len(pool)
    return pool[rows].copy()


# ---------------------------------------------------------------- the conv layer


def filter_bank(names: tuple[str, ...] | list[str]) -> np.ndarray:
    """3x3 preset filters (engine.ops.kernels) stacked as a conv kernel (3, 3, 1, C)."""
    names = list(names)
    if not 1 <= len(names) <= MAX_FILTERS:
        raise EngineError("bad_hyperparameter", name="filters", value=len(names))
    return np.stack([kernels.preset_kernel(n, 3)[:, :, None] for n in names], axis=-1)


def conv_layer_maps(batch: np.ndarray, kernel: np.ndarray, relu: bool = False) -> np.ndarray:
    """Conv layer output (N, S-2, S-2, C): engine.ops.conv.conv2d 'valid', no bias, then ReLU if asked."""
    maps = conv.conv2d(batch, kernel, None, padding="valid")
    return np.maximum(maps, 0.0) if relu else maps


# ---------------------------------------------------------------- one channel, written out


@dataclass(frozen=True)
class ChannelNumbers:
    """One channel of a BN call. total and count: the sum and the number of its values
    (count = N*H*W); mean = total / count; squared_deviations = sum of (x - mean)^2 and
    variance = squared_deviations / count (both None at inference, where the moving
    statistics are used); used_mean, used_variance: what BN divided by;
    x_hat and y: (mean, variance) of the normalised and of the scaled-and-shifted values."""

    total: float
    count: int
    mean: float
    squared_deviations: float | None
    variance: float | None
    used_mean: float
    used_variance: float
    x_hat: tuple[float, float]
    y: tuple[float, float]


def channel_numbers(fmaps: np.ndarray, result: BatchNormResult, channel: int,
                    training: bool) -> ChannelNumbers:
    """The numbers behind channel `channel` of `result` = batchnorm(fmaps, ...)."""
    if not isinstance(channel, Integral) or not 0 <= channel < fmaps.shape[-1]:
        raise EngineError("channel_out_of_range", channel=channel, channels=fmaps.shape[-1])
    values = fmaps[..., channel]
    total, count = float(values.sum()), int(values.size)
    mean = total / count
    squares = float(np.square(values - result.mean[channel]).sum()) if training else None
    xh, y = result.x_hat[..., channel], result.output[..., channel]
    return ChannelNumbers(total, count, mean, squares, squares / count if training else None,
                          float(result.mean[channel]), float(result.variance[channel]),
                          (float(xh.mean()), float(xh.var())), (float(y.mean()), float(y.var())))


# ---------------------------------------------------------------- many batches


@dataclass(frozen=True)
class BatchSetup:
    """Where batches come from and the conv layer they pass: source, batch size N, picture
    size, filter preset names, ReLU after the conv, and the seed of the pools."""

    source: str = "photo"
    count: int = 8
    size: int = 32
    filters: tuple[str, ...] = DEFAULT_FILTERS
    relu: bool = False
    seed: int = 0

    def batch(self, index: int) -> np.ndarray:
        """Pictures (N, S, S, 1) of batch number `index`."""
        return make_batch(self.source, self.count, self.size, index, self.seed)

    def maps(self, batch: np.ndarray) -> np.ndarray:
        """Feature maps (N, H, W, C) of a batch of pictures."""
        return conv_layer_maps(batch, filter_bank(self.filters), self.relu)


@dataclass
class Trajectory:
    """k training steps on batches 0..k-1. batch_means, batch_variances (k, C): each batch's
    statistics; moving_means, moving_variances (k+1, C): the moving statistics before the
    first step (0 and 1) and after each step. last_batch: the pictures of the last batch
    (N, S, S, 1), last_maps: their feature maps; last_result: their training-mode BN;
    state: the BN state after all k steps."""

    batch_means: np.ndarray
    batch_variances: np.ndarray
    moving_means: np.ndarray
    moving_variances: np.ndarray
    last_batch: np.ndarray
    last_maps: np.ndarray
    last_result: BatchNormResult
    state: BatchNormState


def run_training(setup: BatchSetup, steps: int, gamma: np.ndarray, beta: np.ndarray,
                 momentum: float = 0.99, epsilon: float = 1e-3) -> Trajectory:
    """Feed batches 0..steps-1 through BN in training mode, starting from Keras' initial
    moving statistics; gamma and beta (C,) stay fixed (nothing is learned here)."""
    steps = checks.int_in("steps", steps, 1, MAX_STEPS)
    state = BatchNormState.initial(len(setup.filters))
    state.gamma, state.beta = np.asarray(gamma, float), np.asarray(beta, float)
    means, variances = [], []
    moving_m, moving_v = [state.moving_mean], [state.moving_variance]
    for k in range(steps):
        batch = setup.batch(k)
        maps = setup.maps(batch)
        result = batchnorm(maps, state, training=True, momentum=momentum, epsilon=epsilon)
        state = result.new_state
        means.append(result.mean)
        variances.append(result.variance)
        moving_m.append(state.moving_mean)
        moving_v.append(state.moving_variance)
    return Trajectory(np.array(means), np.array(variances), np.array(moving_m), np.array(moving_v),
                      batch, maps, result, state)


def inference(trajectory: Trajectory, epsilon: float = 1e-3) -> BatchNormResult:
    """BN of the last batch again, now in inference mode (moving statistics, state unchanged)."""
    return batchnorm(trajectory.last_maps, trajectory.state, training=False, epsilon=epsilon)
