"""2-D convolution (cross-correlation, like keras Conv2D / tf.nn.conv2d) in NumPy, NHWC.

For output pixel (n, i, j) and filter f, with stride S, dilation D and the padded input X:

    out[n, i, j, f] = bias[f] + sum_{a, b, c} X[n, i*S_h + a*D_h, j*S_w + b*D_w, c] * K[a, b, c, f]

This module is the formula and its checks; the fast computation of that sum (im2col: every
window one row of a matrix, one BLAS product, in cache-sized chunks on two threads) is
engine.ops.im2col.

`conv_trace` recomputes one output value step by step for the teaching pages.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import checks
from engine.errors import as_float_array, EngineError, require_finite
from engine.ops import im2col, windows
from engine.shapes.output_size import conv_output_hw, require_ok


def validate(x: object, kernel: object, bias: object) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray | None]:
    """Convert and check conv inputs: x (N,H,W,C_in), kernel (KH,KW,C_in,C_out), bias (C_out,).

    Float32 stays float32 when every array is float32, otherwise float64.
    """
    x = as_float_array("x", x, ndim=4)
    kernel = as_float_array("kernel", kernel, ndim=4)
    arrays = [x, kernel]
    if bias is not None:
        bias = as_float_array("bias", bias, ndim=1)
        if bias.shape[0] != kernel.shape[3]:
            raise EngineError("bad_shape", name="bias", expected=f"({kernel.shape[3]},)",
                              got=str(bias.shape))
        arrays.append(bias)
    if kernel.shape[2] != x.shape[3]:
        raise EngineError("channel_mismatch", input_channels=int(x.shape[3]),
                          kernel_channels=int(kernel.shape[2]))
    require_finite("x", x)
    require_finite("kernel", kernel)
    if bias is not None:
        require_finite("bias", bias)
    dtype = np.result_type(*arrays)
    # C order: the fast path builds strided views on x's own memory
    x = np.ascontiguousarray(x, dtype=dtype)
    kernel = kernel.astype(dtype, copy=False)
    if bias is not None:
        bias = bias.astype(dtype, copy=False)
    return x, kernel, bias


def pad_input(x: object, padding: object, kernel_hw: object, strides: object = 1,
              dilation: object = 1, value: float = 0.0
              ) -> tuple[np.ndarray, tuple[tuple[int, int], tuple[int, int]]]:
    """Pad x (N,H,W,C) for a convolution or pooling window.

    Returns (padded (N, H+pt+pb, W+pl+pr, C), ((pt, pb), (pl, pr))), with 'same' resolved the
    TensorFlow way for the given kernel, strides and dilation. `value` fills the border.
    Returns x itself (no copy) when there is nothing to pad.
    """
    x = as_float_array("x", x, ndim=4)
    ah, aw = conv_output_hw(x.shape[1:3], kernel_hw, strides, padding, dilation)
    pads = windows.axis_pads(ah, aw)
    return windows.pad_spatial(x, pads, value), pads


def conv2d(x: object, kernel: object, bias: object = None, strides: object = 1,
           padding: object = "valid", dilation: object = 1) -> np.ndarray:
    """2-D cross-correlation exactly like keras Conv2D / tf.nn.conv2d (NHWC).

    x (N,H,W,C_in), kernel (KH,KW,C_in,C_out), bias (C_out,) or None -> (N,OH,OW,C_out).
    strides, dilation: int or (h, w); padding: 'valid' | 'same' | P | (ph, pw) |
    ((top, bottom), (left, right)). Float32 in -> float32 out, else float64.
    Raises EngineError: 'bad_shape', 'channel_mismatch', 'nonfinite', 'not_numeric',
    'empty_input', 'kernel_too_large' and the hyperparameter keys of output_size.
    """
    return _conv2d(x, kernel, bias, strides, padding, dilation)


def _conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation=1, *,
            path: str | None = None, rows_per_chunk: int | None = None,
            threads: int | None = None) -> np.ndarray:
    """conv2d with im2col's implementation choices exposed (for tests and benchmarks):
    path 'nhwc' | 'chw' | None, rows_per_chunk, threads (engine.ops.im2col.correlate)."""
    x, kernel, bias = validate(x, kernel, bias)
    ah, aw = conv_output_hw(x.shape[1:3], kernel.shape[:2], strides, padding, dilation)
    require_ok((ah, aw))
    return im2col.correlate(x, kernel, bias, ah, aw, path=path, rows_per_chunk=rows_per_chunk, threads=threads)


@dataclass(frozen=True)
class ConvTrace:
    """One output value of conv2d, step by step (for one sample)."""

    row: int
    col: int
    filter: int
    in_rows: np.ndarray  # (KH,) input row of each kernel row, original coordinates
    in_cols: np.ndarray  # (KW,) (negative or >= H / W means padding)
    is_padding: np.ndarray  # (KH,KW) bool
    window: np.ndarray  # (KH,KW,C_in) input values under the kernel (0 where padding)
    weights: np.ndarray  # (KH,KW,C_in) kernel[..., filter]
    products: np.ndarray  # (KH,KW,C_in) window * weights
    total: float  # products.sum()
    bias: float
    result: float  # total + bias == conv2d(...)[0, row, col, filter]


def conv_trace(image: object, kernel: object, bias: object = None, strides: object = 1,
               padding: object = "valid", dilation: object = 1, row: int = 0, col: int = 0,
               filter: int = 0) -> ConvTrace:
    """Trace output (row, col, filter) of conv2d on one image (H,W,C_in).

    kernel (KH,KW,C_in,C_out), bias (C_out,) or None. in_rows[a] = row*S_h + a*D_h - pad_top
    (and likewise for columns). Raises conv2d's errors plus 'position_out_of_range' and
    'channel_out_of_range'.
    """
    img = as_float_array("image", image, ndim=3)
    x, kernel, bias = validate(img[None], kernel, bias)
    ah, aw = conv_output_hw(x.shape[1:3], kernel.shape[:2], strides, padding, dilation)
    require_ok((ah, aw))
    checks.position(row, col, ah.output, aw.output)
    if not (checks.is_int(filter) and 0 <= filter < kernel.shape[3]):
        raise EngineError("channel_out_of_range", channel=filter, channels=int(kernel.shape[3]))
    rows, cols, is_pad, window = windows.window_at(x[0], ah, aw, row, col, fill=0.0)
    weights = kernel[..., filter]
    products = window * weights
    total = products.sum()
    b = bias[filter] if bias is not None else x.dtype.type(0)
    return ConvTrace(row=int(row), col=int(col), filter=int(filter), in_rows=rows,
                     in_cols=cols, is_padding=is_pad, window=window, weights=weights,
                     products=products, total=float(total), bias=float(b),
                     result=float(total + b))


