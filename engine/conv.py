"""2-D convolution (cross-correlation, like keras Conv2D / tf.nn.conv2d) in NumPy, NHWC.

For output pixel (n, i, j) and filter f, with stride S, dilation D and the padded input X:

    out[n, i, j, f] = bias[f] + sum_{a, b, c} X[n, i*S_h + a*D_h, j*S_w + b*D_w, c] * K[a, b, c, f]

How it is computed fast ("im2col"): every window the kernel visits is copied into one row of a
matrix, so the whole convolution becomes one matrix product (windows x K_h*K_w*C_in) @
(K_h*K_w*C_in x C_out) done by BLAS. The window matrix is built and multiplied in chunks of
output rows small enough to stay in the CPU cache, and the chunks are shared between the
calling thread and one helper thread (NumPy copies and BLAS release the GIL).

Two layouts of the window matrix, chosen by the number of input channels:
- 'nhwc': rows are windows, each row copied from the input in runs of K_w*C_in contiguous
  values. Good when C_in is large.
- 'chw': the input is first transposed to channels-first, and the matrix is built transposed
  (one row per kernel tap), copied in runs of a whole output row. Good when C_in is small,
  where 'nhwc' would copy runs of only a few values.

`conv_trace` recomputes one output value step by step for the teaching pages.
"""
from __future__ import annotations

import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from engine.errors import EngineError, as_float_array, require_finite
from engine.output_size import AxisOutput, conv_output_hw, pair, require_ok

# Below this many multiply-adds a convolution runs inline on one thread (threads cost ~50 us).
_THREAD_MIN_MACS = 2_000_000
# Target size in bytes of one chunk of the window matrix (fits the per-core L2 cache).
_CHUNK_BYTES = 512 * 1024
# Input channels up to this use the channels-first window matrix.
_CHW_MAX_CHANNELS = 8
_THREADS = min(2, os.cpu_count() or 1)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_blas: object = None  # threadpoolctl selection of the BLAS libraries, False if unavailable


def _helper_pool() -> ThreadPoolExecutor:
    """The module's single helper thread, created on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_THREADS - 1, thread_name_prefix="conv")
        return _pool


def _blas_one_thread():
    """Context manager limiting BLAS to one thread while our own threads run chunks.

    Two threads each calling a 2-thread OpenBLAS would oversubscribe the cores.
    Without threadpoolctl this is a no-op.
    """
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
            _blas = ThreadpoolController().select(user_api="blas")
        except Exception:  # threadpoolctl missing or failing: keep BLAS as it is
            _blas = False
    if _blas is False:
        return _NullContext()
    return _blas.limit(limits=1)


class _NullContext:
    """Stand-in context manager that does nothing."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _validate(x: object, kernel: object, bias: object) -> tuple[np.ndarray, np.ndarray,
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
    x, kernel = x.astype(dtype, copy=False), kernel.astype(dtype, copy=False)
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
    pads = ((ah.pad_before, ah.pad_after), (aw.pad_before, aw.pad_after))
    return _pad(x, pads, value), pads


def _pad(x: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]],
         value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of x (N,H,W,C) by pads; x itself when all are zero."""
    (pt, pb), (pl, pr) = pads
    if pt == pb == pl == pr == 0:
        return x
    n, h, w, c = x.shape
    out = np.full((n, h + pt + pb, w + pl + pr, c), value, dtype=x.dtype)
    out[:, pt:pt + h, pl:pl + w, :] = x
    return out


def _chunks(n: int, oh: int, ow: int, rows_target: int) -> list[tuple[int, int, int, int]]:
    """Split the output (n, oh, ow) into chunks (n0, n1, r0, r1) of about rows_target*ow pixels.

    A chunk is either several whole images or a band of rows of one image, so its pixels
    are one contiguous range of the flattened output.
    """
    if rows_target >= oh:
        per = max(1, rows_target // oh)  # whole images per chunk
        return [(n0, min(n, n0 + per), 0, oh) for n0 in range(0, n, per)]
    return [(i, i + 1, r0, min(oh, r0 + rows_target))
            for i in range(n) for r0 in range(0, oh, rows_target)]


def _run(chunks: list, work, threads: int) -> None:
    """Call work(chunk) for every chunk, on the calling thread plus helper threads.

    Both threads pull the next chunk from a shared counter, so a busy core does not hold
    the other back. A helper that never got started (pool busy elsewhere) is cancelled.
    """
    if threads <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            work(chunk)
        return
    counter = itertools.count()  # next() on it is atomic under the GIL

    def drain() -> None:
        for i in iter(lambda: next(counter), None):
            if i >= len(chunks):
                return
            work(chunks[i])

    with _blas_one_thread():
        futures = [_helper_pool().submit(drain) for _ in range(threads - 1)]
        drain()
        for fut in futures:
            if not fut.cancel():
                fut.result()


def _nhwc_worker(xp, wmat, bias, out_flat, geo):
    """Chunk worker for the window-rows layout: cols (pixels, KH*KW*C_in) @ wmat."""
    kh, kw, c, oh, ow, sh, sw, dh, dw = geo
    s_n, s_h, s_w, s_c = xp.strides
    k = kh * kw * c

    def work(chunk: tuple[int, int, int, int]) -> None:
        n0, n1, r0, r1 = chunk
        nb, rows = n1 - n0, r1 - r0
        # window (n, i, j, a, b, ch) = xp[n, i*sh + a*dh, j*sw + b*dw, ch], i from r0
        start = xp[n0:n1, r0 * sh:]
        win = as_strided(start, shape=(nb, rows, ow, kh, kw, c),
                         strides=(s_n, sh * s_h, sw * s_w, dh * s_h, dw * s_w, s_c),
                         writeable=False)
        cols = np.empty((nb, rows, ow, kh, kw, c), dtype=xp.dtype)
        cols[...] = win
        a = (n0 * oh + r0) * ow
        dest = out_flat[a:a + nb * rows * ow]
        np.matmul(cols.reshape(-1, k), wmat, out=dest)
        if bias is not None:
            dest += bias
    return work


def _chw_worker(xc, wmat, bias, out_flat, geo):
    """Chunk worker for the transposed layout: cols^T (KH*KW*C_in, pixels), xc is (N,C,Hp,Wp)."""
    kh, kw, c, oh, ow, sh, sw, dh, dw = geo
    s_n, s_c, s_h, s_w = xc.strides
    k = kh * kw * c

    def work(chunk: tuple[int, int, int, int]) -> None:
        n0, n1, r0, r1 = chunk
        nb, rows = n1 - n0, r1 - r0
        # colsT (a, b, ch, n, i, j) = xc[n, ch, i*sh + a*dh, j*sw + b*dw]
        start = xc[n0:n1, :, r0 * sh:]
        win = as_strided(start, shape=(kh, kw, c, nb, rows, ow),
                         strides=(dh * s_h, dw * s_w, s_c, s_n, sh * s_h, sw * s_w),
                         writeable=False)
        cols_t = np.empty((kh, kw, c, nb, rows, ow), dtype=xc.dtype)
        cols_t[...] = win
        a = (n0 * oh + r0) * ow
        dest = out_flat[a:a + nb * rows * ow]
        # BLAS reads the transposed matrix directly (no copy): (pixels, K) @ (K, C_out)
        np.matmul(cols_t.reshape(k, -1).T, wmat, out=dest)
        if bias is not None:
            dest += bias
    return work


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
    """conv2d with the implementation choices exposed (for tests and benchmarks).

    path 'nhwc' | 'chw' | None (choose by channel count); rows_per_chunk overrides the
    cache-sized chunking; threads overrides the thread count.
    """
    x, kernel, bias = _validate(x, kernel, bias)
    ah, aw = conv_output_hw(x.shape[1:3], kernel.shape[:2], strides, padding, dilation)
    require_ok((ah, aw))
    n, _, _, c = x.shape
    kh, kw, _, c_out = kernel.shape
    oh, ow = ah.output, aw.output
    geo = (kh, kw, c, oh, ow, ah.stride, aw.stride, ah.dilation, aw.dilation)
    pads = ((ah.pad_before, ah.pad_after), (aw.pad_before, aw.pad_after))
    wmat = np.ascontiguousarray(kernel.reshape(kh * kw * c, c_out))
    out = np.empty((n, oh, ow, c_out), dtype=x.dtype)
    out_flat = out.reshape(-1, c_out)
    if path is None:
        path = "chw" if c <= _CHW_MAX_CHANNELS else "nhwc"
    if path == "chw":
        xc = _pad_to_chw(x, pads)
        work = _chw_worker(xc, wmat, bias, out_flat, geo)
    elif path == "nhwc":
        work = _nhwc_worker(_pad(x, pads), wmat, bias, out_flat, geo)
    else:
        raise ValueError(f"unknown conv path {path!r}")
    if rows_per_chunk is None:
        pixels = max(1, _CHUNK_BYTES // (kh * kw * c * x.dtype.itemsize))
        rows_per_chunk = max(1, pixels // ow)
    macs = conv_macs((oh, ow), (kh, kw), c, c_out) * n
    if threads is None:
        threads = _THREADS if macs >= _THREAD_MIN_MACS else 1
    _run(_chunks(n, oh, ow, rows_per_chunk), work, threads)
    return out


def _pad_to_chw(x: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    """x (N,H,W,C) -> zero-padded channels-first copy (N, C, H+pt+pb, W+pl+pr)."""
    (pt, pb), (pl, pr) = pads
    n, h, w, c = x.shape
    if pt == pb == pl == pr == 0:
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    xc = np.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
    xc[:, :, pt:pt + h, pl:pl + w] = x.transpose(0, 3, 1, 2)
    return xc


def conv_macs(output_hw: tuple[int, int], kernel_hw: tuple[int, int], c_in: int,
              c_out: int) -> int:
    """Multiply-adds of one sample: OH*OW*KH*KW*C_in*C_out."""
    return (int(output_hw[0]) * int(output_hw[1]) * int(kernel_hw[0]) * int(kernel_hw[1])
            * int(c_in) * int(c_out))


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
    x, kernel, bias = _validate(img[None], kernel, bias)
    ah, aw = conv_output_hw(x.shape[1:3], kernel.shape[:2], strides, padding, dilation)
    require_ok((ah, aw))
    _check_position(row, col, ah.output, aw.output)
    if not (_is_index(filter) and 0 <= filter < kernel.shape[3]):
        raise EngineError("channel_out_of_range", channel=filter, channels=int(kernel.shape[3]))
    rows, cols, is_pad, window = _gather_window(x[0], ah, aw, row, col, fill=0.0)
    weights = kernel[..., filter]
    products = window * weights
    total = products.sum()
    b = bias[filter] if bias is not None else x.dtype.type(0)
    return ConvTrace(row=int(row), col=int(col), filter=int(filter), in_rows=rows,
                     in_cols=cols, is_padding=is_pad, window=window, weights=weights,
                     products=products, total=float(total), bias=float(b),
                     result=float(total + b))


def _is_index(value: object) -> bool:
    """True for a Python / NumPy integer that is not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_position(row: object, col: object, rows: int, cols: int) -> None:
    """Raise 'position_out_of_range' unless 0 <= row < rows and 0 <= col < cols (integers)."""
    if not (_is_index(row) and _is_index(col) and 0 <= row < rows and 0 <= col < cols):
        raise EngineError("position_out_of_range", row=row, col=col, rows=rows, cols=cols)


def _gather_window(image: np.ndarray, ah: AxisOutput, aw: AxisOutput, row: int, col: int,
                   fill: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Input coordinates and values of the window for output (row, col) of image (H,W,C).

    Returns in_rows (K_h,), in_cols (K_w,), is_padding (K_h,K_w) and window (K_h,K_w,C) with
    `fill` where the window lies on padding.
    """
    h, w = image.shape[:2]
    # original-coordinate position of tap a: i*S + a*D - pad_before
    rows = row * ah.stride + np.arange(ah.kernel) * ah.dilation - ah.pad_before
    cols = col * aw.stride + np.arange(aw.kernel) * aw.dilation - aw.pad_before
    row_in = (rows >= 0) & (rows < h)
    col_in = (cols >= 0) & (cols < w)
    is_pad = ~(row_in[:, None] & col_in[None, :])
    window = image[np.clip(rows, 0, h - 1)[:, None], np.clip(cols, 0, w - 1)[None, :]]
    window = np.where(is_pad[..., None], image.dtype.type(fill), window)
    return rows, cols, is_pad, window
