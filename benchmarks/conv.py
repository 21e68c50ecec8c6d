"""Benchmark: engine conv2d against tf.nn.conv2d, and against a naive per-pixel Python loop.

Run from the repository root:  python -m benchmarks.conv

Case A: 1x256x256x3 input, 3x3x3x8 kernel, stride 1, 'same'.
Case B: 32x28x28x32 input, 3x3x32x64 kernel, stride 1, 'valid'.
All float32. The three implementations are first checked to agree, then timed: engine and
TensorFlow in alternating blocks of calls (so a change in the machine's load hits both alike),
TensorFlow including `.numpy()` of its result since the engine returns NumPy arrays; median
of many repetitions after a warm-up. The naive loop (case A only) is slow and runs a few times.
"""
from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from engine.ops.conv import conv2d  # noqa: E402

CASES = {
    "A": ((1, 256, 256, 3), (3, 3, 3, 8), "same", 400),
    "B": ((32, 28, 28, 32), (3, 3, 32, 64), "valid", 150),
}
WARMUP = 10
ROUNDS = 10
LOOP_REPEATS = 3


def naive_loop_conv2d(x: np.ndarray, kernel: np.ndarray, padding: str) -> np.ndarray:
    """The naive reference: one Python iteration per output pixel (stride 1, no dilation).

    x (N,H,W,C_in), kernel (KH,KW,C_in,C_out) -> (N,OH,OW,C_out); 'same' padding split the
    TensorFlow way (extra pixel at the bottom / right).
    """
    n, h, w, _ = x.shape
    kh, kw, _, c_out = kernel.shape
    if padding == "same":
        x = np.pad(x, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
    oh, ow = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    out = np.empty((n, oh, ow, c_out), dtype=x.dtype)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                window = x[b, i:i + kh, j:j + kw, :]
                out[b, i, j, :] = np.tensordot(window, kernel, axes=3)
    return out


def _check(name: str, got: np.ndarray, ref: np.ndarray) -> None:
    """Stop the benchmark if `got` differs from the TensorFlow result."""
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(ref).max())),
                               err_msg=f"{name} disagrees with tf.nn.conv2d")


def _time_once(func) -> float:
    """Seconds taken by one call of func()."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _medians_in_rounds(funcs: list, repeats: int) -> list[float]:
    """Median seconds per call of each function over `repeats` calls.

    The calls run in ROUNDS rounds; in each round every function gets a block of
    repeats/ROUNDS back-to-back calls, the order of the blocks alternating between rounds.
    A change in the machine's load then hits all functions alike, while no function runs
    right after another one's call (TensorFlow's worker threads keep spinning for a while
    after each of its calls, which would slow down whatever runs next).
    """
    for func in funcs:
        for _ in range(WARMUP):
            func()
    times: list[list[float]] = [[] for _ in funcs]
    for rnd in range(ROUNDS):
        order = list(range(len(funcs)))
        if rnd % 2:
            order.reverse()
        for i in order:
            times[i].extend(_time_once(funcs[i]) for _ in range(max(1, repeats // ROUNDS)))
    return [statistics.median(t) for t in times]


def _blas_description() -> str:
    """Which BLAS NumPy uses and with which CPU kernels (if threadpoolctl is installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    return ", ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
                     f"x{i.get('num_threads')}" for i in threadpool_info()
                     if i.get("user_api") == "blas")


def main() -> None:
    """Check, time and print the ratios; the last line is the summary."""
    rng = np.random.default_rng(0)
    print(f"BLAS: {_blas_description()}; cores: {os.cpu_count()}")
    ratios = {}
    loop_ratio = None
    for name, (xshape, kshape, padding, repeats) in CASES.items():
        x = rng.standard_normal(xshape).astype(np.float32)
        kernel = rng.standard_normal(kshape).astype(np.float32)

        def engine(x=x, kernel=kernel, padding=padding):
            return conv2d(x, kernel, strides=1, padding=padding)

        def tensorflow(x=x, kernel=kernel, padding=padding):
            return tf.nn.conv2d(x, kernel, strides=1, padding=padding.upper()).numpy()

        ref = tensorflow()
        _check("engine", engine(), ref)
        if name == "A":
            _check("naive loop", naive_loop_conv2d(x, kernel, padding), ref)
        t_engine, t_tf = _medians_in_rounds([engine, tensorflow], repeats)
        ratios[name] = t_engine / t_tf
        print(f"case {name}: x{xshape} k{kshape} {padding}: engine {t_engine * 1e3:.3f} ms, "
              f"tf {t_tf * 1e3:.3f} ms, engine/tf {ratios[name]:.2f}")
        if name == "A":
            t_loop = statistics.median(_time_once(lambda: naive_loop_conv2d(x, kernel, padding))
                                       for _ in range(LOOP_REPEATS))
            loop_ratio = t_loop / t_engine
            print(f"case A naive loop: {t_loop * 1e3:.1f} ms, loop/engine {loop_ratio:.0f}")
    print(f"conv2d engine/tf ratio: {ratios['A']:.2f} (256x256x3), {ratios['B']:.2f} (28x28x32); "
          f"loop/engine: {loop_ratio:.0f}")


if __name__ == "__main__":
    main()
