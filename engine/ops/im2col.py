"""The fast way engine.ops.conv computes a convolution ("im2col"), kept apart from the formula.

Every window the kernel visits is copied into one row of a matrix, so the whole convolution
becomes one matrix product (windows x K_h*K_w*C_in) @ (K_h*K_w*C_in x C_out) done by BLAS. The
window matrix is built and multiplied in chunks of output rows small enough to stay in the CPU
cache, and the chunks are shared between the calling thread and one helper thread (NumPy copies
and BLAS release the GIL).

Two layouts of the window matrix, chosen by the number of input channels:
- 'nhwc': rows are windows, each row copied from the input in runs of K_w*C_in contiguous
  values. Good when C_in is large.
- 'chw': the input is first transposed to channels-first, and the matrix is built transposed
  (one row per kernel tap), copied in runs of a whole output row. Good when C_in is small,
  where 'nhwc' would copy runs of only a few values.

tests/unit/test_conv.py checks both layouts, every chunking and thread count against tf.nn.conv2d.
"""
from __future__ import annotations

import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from engine.shapes.layers import conv2d_macs
from engine.shapes.output_size import AxisOutput

# Below this many multiply-adds a convolution runs inline on one thread (threads cost ~50 us).
_THREAD_MIN_MACS = 2_000_000
# Target size in bytes of one chunk of the window matrix (fits the per-core L2 cache).
_CHUNK_BYTES = 1024 * 1024
# Input channels up to this use the channels-first window matrix (measured crossover: 6-8).
_CHW_MAX_CHANNELS = 6
_THREADS = min(2, os.cpu_count() or 1)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _helper_pool() -> ThreadPoolExecutor:
    """The module's single helper thread, created on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_THREADS - 1, thread_name_prefix="conv")
        return _pool


class _BlasOneThread:
    """Context manager limiting BLAS to one thread while the engine runs its own chunks.

    Our two threads each calling a 2-thread OpenBLAS would oversubscribe the cores, and
    OpenBLAS splitting every small chunk product costs more than it gains. Nested or
    concurrent uses (several sessions) share one limit: the first in sets it, the last out
    restores it. Without threadpoolctl this does nothing.
    """

    _lock = threading.Lock()
    _depth = 0
    _limiter: object = None
    _controller: object = None  # threadpoolctl selection of the BLAS libraries, False if none

    def __enter__(self) -> None:
        cls = type(self)
        with cls._lock:
            if cls._controller is None:
                cls._controller = _blas_controller()
            if cls._depth == 0 and cls._controller:
                cls._limiter = cls._controller.limit(limits=1)
            cls._depth += 1

    def __exit__(self, *exc: object) -> None:
        cls = type(self)
        with cls._lock:
            cls._depth -= 1
            if cls._depth == 0 and cls._limiter is not None:
                cls._limiter.restore_original_limits()
                cls._limiter = None


def _blas_controller() -> object:
    """threadpoolctl's handle on the loaded BLAS libraries, or False when unavailable."""
    try:
        from threadpoolctl import ThreadpoolController
        return ThreadpoolController().select(user_api="blas")
    except Exception:  # threadpoolctl missing or failing: leave BLAS threads as they are
        return False


@dataclass(frozen=True)
class _Geometry:
    """Sizes of one convolution: input, kernel, output, strides, dilation, padding."""

    h: int
    w: int
    c: int
    kh: int
    kw: int
    c_out: int
    oh: int
    ow: int
    sh: int
    sw: int
    dh: int
    dw: int
    pt: int  # padding on top / left (bottom / right follow from the padded sizes)
    pl: int
    wp: int  # padded width W + pl + pr
    padded: bool

    def input_rows(self, r0: int, r1: int) -> tuple[int, int]:
        """Padded-input rows [a, b) read by output rows r0..r1-1: a = r0*S, b = (r1-1)*S + K_eff."""
        return r0 * self.sh, (r1 - 1) * self.sh + (self.kh - 1) * self.dh + 1


_scratch = threading.local()  # per-thread reusable buffers (no page faults on every chunk)


def _buffer(slot: int, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A scratch array of `shape` private to this thread; slot tells apart buffers in use at once."""
    size = math.prod(shape)
    buffers = _scratch.__dict__.setdefault("buffers", {})
    buf = buffers.get((slot, dtype))
    if buf is None or buf.size < size:
        buf = np.empty(max(size, 1), dtype=dtype)
        buffers[(slot, dtype)] = buf
    return buf[:size].reshape(shape)


def _slab(x: np.ndarray, g: _Geometry, n0: int, n1: int, a: int, b: int,
          channels_first: bool) -> tuple[np.ndarray, int]:
    """Rows [a, b) of the zero-padded input of images n0..n1-1, as (C-contiguous base, byte offset).

    The slab is (nb, b-a, Wp, C), or (nb, C, b-a, Wp) when channels_first, starting `offset`
    bytes into `base`. Without padding and channels-last it is x itself (no copy); otherwise
    a per-thread buffer where only the padding border is zeroed and the real pixels copied in.
    """
    if not g.padded and not channels_first:
        return x, n0 * x.strides[0] + a * x.strides[1]
    nb = n1 - n0
    # original rows inside [a, b): [lo, hi); `top` buffer rows above them are padding
    lo, hi = max(a - g.pt, 0), min(b - g.pt, g.h)
    real = max(hi - lo, 0)
    top = min(max(g.pt - a, 0), b - a)
    shape = (nb, g.c, b - a, g.wp) if channels_first else (nb, b - a, g.wp, g.c)
    buf = _buffer(0, shape, x.dtype)
    # view the buffer as (n, rows, cols, channels) whatever its memory order
    view = buf.transpose(0, 2, 3, 1) if channels_first else buf
    if g.padded:
        view[:, :top] = 0
        view[:, top + real:] = 0
        view[:, top:top + real, :g.pl] = 0
        view[:, top:top + real, g.pl + g.w:] = 0
    if real:
        view[:, top:top + real, g.pl:g.pl + g.w] = x[n0:n1, lo:hi]
    return buf, 0


def _chunks(n: int, oh: int, ow: int, rows_target: int,
            threads: int = 1) -> list[tuple[int, int, int, int]]:
    """Split the output (n, oh, ow) into chunks (n0, n1, r0, r1) of about rows_target*ow pixels.

    A chunk is either several whole images or a band of rows of one image, so its pixels
    are one contiguous range of the flattened output. When there are only a few chunks their
    count is rounded up to a multiple of `threads`, so no thread waits for a lone last chunk.
    """
    def balanced(count: int, limit: int) -> int:
        if count < 4 * threads and count % threads:
            count += threads - count % threads
        return min(count, limit)

    if rows_target >= oh:  # whole images per chunk
        count = balanced(-(-n // max(1, rows_target // oh)), n)
        per = -(-n // count)
        return [(n0, min(n, n0 + per), 0, oh) for n0 in range(0, n, per)]
    per_image = -(-oh // rows_target)
    if n == 1:
        per_image = balanced(per_image, oh)
    rows = -(-oh // per_image)
    return [(i, i + 1, r0, min(oh, r0 + rows)) for i in range(n) for r0 in range(0, oh, rows)]


def _run(chunks: list, work, threads: int) -> None:
    """Call work(chunk) for every chunk, on the calling thread plus helper threads.

    Both threads pull the next chunk from a shared counter, so a busy core does not hold
    the other back. A helper that never got started (pool busy elsewhere) is cancelled.
    """
    counter = itertools.count()  # next() on it is atomic under the GIL

    def drain() -> None:
        for i in iter(lambda: next(counter), None):
            if i >= len(chunks):
                return
            work(chunks[i])

    with _BlasOneThread():
        futures = [_helper_pool().submit(drain) for _ in range(min(threads, len(chunks)) - 1)]
        drain()
        for fut in futures:
            if not fut.cancel():
                fut.result()


def _nhwc_worker(x, g: _Geometry, wmat, bias, out_flat):
    """Chunk worker, window-rows layout: cols (pixels, KH*KW*C_in) @ wmat (K, C_out)."""

    def work(chunk: tuple[int, int, int, int]) -> None:
        n0, n1, r0, r1 = chunk
        nb, rows = n1 - n0, r1 - r0
        a, b = g.input_rows(r0, r1)
        base, offset = _slab(x, g, n0, n1, a, b, channels_first=False)
        s_n, s_h, s_w, s_c = base.strides
        # cols[n, i, j, p, q, ch] = slab[n, i*S_h + p*D_h, j*S_w + q*D_w, ch]
        win = np.ndarray((nb, rows, g.ow, g.kh, g.kw, g.c), x.dtype, base, offset,
                         (s_n, g.sh * s_h, g.sw * s_w, g.dh * s_h, g.dw * s_w, s_c))
        cols = _buffer(1, win.shape, x.dtype)
        cols[...] = win
        start = (n0 * g.oh + r0) * g.ow
        dest = out_flat[start:start + nb * rows * g.ow]
        np.matmul(cols.reshape(dest.shape[0], -1), wmat, out=dest)
        if bias is not None:
            dest += bias
    return work


def _chw_worker(x, g: _Geometry, wmat, bias, out_flat):
    """Chunk worker, transposed layout: cols^T (KH*KW*C_in, pixels) from a channels-first slab."""

    def work(chunk: tuple[int, int, int, int]) -> None:
        n0, n1, r0, r1 = chunk
        nb, rows = n1 - n0, r1 - r0
        a, b = g.input_rows(r0, r1)
        base, offset = _slab(x, g, n0, n1, a, b, channels_first=True)
        s_n, s_c, s_h, s_w = base.strides
        # colsT[p, q, ch, n, i, j] = slab[n, ch, i*S_h + p*D_h, j*S_w + q*D_w]: runs of OW values
        win = np.ndarray((g.kh, g.kw, g.c, nb, rows, g.ow), x.dtype, base, offset,
                         (g.dh * s_h, g.dw * s_w, s_c, s_n, g.sh * s_h, g.sw * s_w))
        cols_t = _buffer(1, win.shape, x.dtype)
        cols_t[...] = win
        start = (n0 * g.oh + r0) * g.ow
        dest = out_flat[start:start + nb * rows * g.ow]
        # BLAS reads the transposed matrix as it is (no copy): (pixels, K) @ (K, C_out)
        np.matmul(cols_t.reshape(-1, dest.shape[0]).T, wmat, out=dest)
        if bias is not None:
            dest += bias
    return work


def correlate(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None, ah: AxisOutput, aw: AxisOutput, *,
              path: str | None = None, rows_per_chunk: int | None = None,
              threads: int | None = None) -> np.ndarray:
    """conv2d's sum for checked inputs (engine.ops.conv.validate) and fitting axes -> (N,OH,OW,C_out).

    x (N,H,W,C_in) C-contiguous, kernel (KH,KW,C_in,C_out), bias (C_out,) or None, all one dtype;
    ah/aw the output-size formula of each axis. path 'nhwc' | 'chw' | None (choose by channel
    count); rows_per_chunk overrides the cache-sized chunking; threads overrides the thread count.
    """
    n, h, w, c = x.shape
    kh, kw, _, c_out = kernel.shape
    g = _Geometry(h=h, w=w, c=c, kh=kh, kw=kw, c_out=c_out, oh=ah.output, ow=aw.output,
                  sh=ah.stride, sw=aw.stride, dh=ah.dilation, dw=aw.dilation,
                  pt=ah.pad_before, pl=aw.pad_before, wp=aw.padded_input,
                  padded=(ah.pad_before, ah.pad_after, aw.pad_before, aw.pad_after) != (0,) * 4)
    wmat = np.ascontiguousarray(kernel.reshape(kh * kw * c, c_out))
    out = np.empty((n, g.oh, g.ow, c_out), dtype=x.dtype)
    if path is None:
        path = "chw" if c <= _CHW_MAX_CHANNELS else "nhwc"
    workers = {"chw": _chw_worker, "nhwc": _nhwc_worker}
    if path not in workers:
        raise ValueError(f"unknown conv path {path!r}")
    work = workers[path](x, g, wmat, bias, out.reshape(-1, c_out))
    if threads is None:
        macs = n * conv2d_macs((g.oh, g.ow), (kh, kw), c, c_out)
        threads = _THREADS if macs >= _THREAD_MIN_MACS else 1
    if rows_per_chunk is None:
        pixels = max(1, _CHUNK_BYTES // (kh * kw * c * x.dtype.itemsize))
        rows_per_chunk = max(1, pixels // g.ow)
    _run(_chunks(n, g.oh, g.ow, rows_per_chunk, threads), work, threads)
    return out
