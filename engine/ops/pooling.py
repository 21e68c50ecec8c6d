"""Max and average pooling (like keras MaxPooling2D / AveragePooling2D) and global pooling, NHWC.

A pooling window of size P_h x P_w slides with stride S over each channel separately:

    max: out[n, i, j, c] = max over the window of x[n, i*S_h + a, j*S_w + b, c]
    avg: out[n, i, j, c] = (sum of the real pixels in the window) / (how many there are)

Padding pixels never count: for max they act as -inf, for avg they are left out of both the
sum and the count. That is exactly Keras' 'same' padding; explicit padding follows the same
rule and must be smaller than the window, so every window keeps at least one real pixel.

The windows are reduced with one vectorised operation per window offset (a, b): P_h*P_w
whole-array maximum / add operations over strided views, faster than reducing a
sliding-window view over its small trailing axes.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from engine import checks
from engine.errors import as_float_array, EngineError, require_finite
from engine.ops import windows
from engine.shapes.output_size import AxisOutput, conv_output_hw, pair, require_ok

_MODES = ("max", "avg")


def pool_output_hw(input_hw: tuple[int, int], pool_size: object, strides: object = None,
                   padding: object = "valid") -> tuple[AxisOutput, AxisOutput]:
    """AxisOutput for height and width of a pooling layer (windows never dilate).

    pool_size, strides: int or (h, w); strides None means pool_size (Keras' default).
    A window larger than the padded input gives ok=False with reason 'pool_too_large'.
    Explicit padding of pool size or more on a side raises EngineError('bad_padding').
    """
    pool = pair(pool_size, "kernel_lt_1", "kernel", "pool_size")
    stride = pool if strides is None else strides
    axes = conv_output_hw(input_hw, pool, stride, padding, 1)
    for axis in axes:
        if max(axis.pad_before, axis.pad_after) >= axis.kernel:
            raise EngineError("bad_padding", padding=repr(padding))
    return tuple(a if a.ok else dataclasses.replace(a, reason="pool_too_large") for a in axes)


def check_mode(mode: object) -> str:
    """Return mode if it is 'max' or 'avg', else raise EngineError('bad_mode')."""
    if mode not in _MODES:
        raise EngineError("bad_mode", mode=repr(mode))
    return mode


def real_counts(axis: AxisOutput) -> np.ndarray:
    """(O,) how many real (non-padding) input pixels each window covers along one axis."""
    start = np.arange(axis.output) * axis.stride - axis.pad_before
    return np.minimum(start + axis.kernel, axis.input) - np.maximum(start, 0)


def window_offsets(ah: AxisOutput, aw: AxisOutput):
    """For every window offset (a, b), in row-major order: (a, b, rows, cols), the slices of the
    padded input read by that offset of every window: rows = a, a + S_h, ..., a + (OH-1)*S_h."""
    for a in range(ah.kernel):
        for b in range(aw.kernel):
            yield (a, b, slice(a, a + (ah.output - 1) * ah.stride + 1, ah.stride),
                   slice(b, b + (aw.output - 1) * aw.stride + 1, aw.stride))


def pool2d(x: object, pool_size: object = 2, strides: object = None, padding: object = "valid",
           mode: str = "max") -> np.ndarray:
    """Max or average pooling of x (N,H,W,C) -> (N,OH,OW,C), per channel.

    pool_size, strides: int or (h, w), strides None = pool_size; padding: the engine's spec;
    mode 'max' | 'avg'. Padding is ignored (max: -inf, avg: not counted), as Keras 'same'.
    Raises EngineError: 'bad_mode', 'bad_shape', 'nonfinite', 'not_numeric', 'empty_input',
    'pool_too_large', 'bad_padding' and the hyperparameter keys of output_size.
    """
    mode = check_mode(mode)
    x = as_float_array("x", x, ndim=4)
    require_finite("x", x)
    ah, aw = pool_output_hw(x.shape[1:3], pool_size, strides, padding)
    require_ok((ah, aw))
    xp = windows.pad_spatial(x, windows.axis_pads(ah, aw), -np.inf if mode == "max" else 0.0)
    # one whole-array operation per window offset (a, b): out = reduce_ab xp[:, i*S+a, j*S+b]
    out = None
    for _, _, rows, cols in window_offsets(ah, aw):
        view = xp[:, rows, cols]
        if out is None:
            out = view.copy()
        elif mode == "max":
            np.maximum(out, view, out=out)
        else:
            np.add(out, view, out=out)
    if mode == "avg":
        # divide each window's sum by its count of real pixels (separable: rows x cols)
        counts = real_counts(ah)[:, None] * real_counts(aw)[None, :]
        out /= counts[None, :, :, None].astype(out.dtype)
    return out


def global_pool(x: object, mode: str = "avg") -> np.ndarray:
    """Global average or max pooling: x (N,H,W,C) -> (N,C), over all H*W positions."""
    mode = check_mode(mode)
    x = as_float_array("x", x, ndim=4)
    require_finite("x", x)
    if mode == "max":
        return x.max(axis=(1, 2))
    return x.mean(axis=(1, 2), dtype=x.dtype)


@dataclass(frozen=True)
class PoolTrace:
    """One output value of pool2d, step by step (for one sample)."""

    row: int
    col: int
    channel: int
    mode: str
    in_rows: np.ndarray  # (PH,) input row of each window row, original coordinates
    in_cols: np.ndarray  # (PW,)
    is_padding: np.ndarray  # (PH,PW) bool
    window: np.ndarray  # (PH,PW) values, NaN where padding
    result: float
    winner: tuple[int, int] | None  # (r, c) in the window of the max (first in row-major), avg None
    total: float | None  # avg: sum of the real values
    count: int | None  # avg: how many real values


def pool_trace(image: object, pool_size: object = 2, strides: object = None,
               padding: object = "valid", mode: str = "max", row: int = 0, col: int = 0,
               channel: int = 0) -> PoolTrace:
    """Trace output (row, col, channel) of pool2d on one image (H,W,C).

    result equals pool2d(image[None], ...)[0, row, col, channel]. Raises pool2d's errors
    plus 'position_out_of_range' and 'channel_out_of_range'.
    """
    mode = check_mode(mode)
    img = as_float_array("image", image, ndim=3)
    require_finite("image", img)
    ah, aw = pool_output_hw(img.shape[:2], pool_size, strides, padding)
    require_ok((ah, aw))
    checks.position(row, col, ah.output, aw.output)
    if not (checks.is_int(channel) and 0 <= channel < img.shape[2]):
        raise EngineError("channel_out_of_range", channel=channel, channels=int(img.shape[2]))
    rows, cols, is_pad, window = windows.window_at(img[:, :, channel:channel + 1], ah, aw, row,
                                                col, fill=np.nan)
    window = window[..., 0]
    if mode == "max":
        # padding is NaN: nanargmax skips it, and returns the first maximum in row-major order
        flat = int(np.nanargmax(window))
        winner = (flat // window.shape[1], flat % window.shape[1])
        return PoolTrace(row=int(row), col=int(col), channel=int(channel), mode=mode,
                         in_rows=rows, in_cols=cols, is_padding=is_pad, window=window,
                         result=float(window[winner]), winner=winner, total=None, count=None)
    # sum in pool2d's order (window offsets row-major, padding adding 0) so results match exactly
    total = np.cumsum(np.where(is_pad, 0.0, window).ravel(), dtype=img.dtype)[-1]
    count = int((~is_pad).sum())
    return PoolTrace(row=int(row), col=int(col), channel=int(channel), mode=mode,
                     in_rows=rows, in_cols=cols, is_padding=is_pad, window=window,
                     result=float(total / img.dtype.type(count)), winner=None,
                     total=float(total), count=count)
