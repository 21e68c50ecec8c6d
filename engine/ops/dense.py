"""Fully connected (Dense) layers and Flatten, laid out like Keras.

Flatten turns (N, H, W, C) into (N, H*W*C) in C order, which is what keras.layers.Flatten
does on NHWC data. Dense computes y = activation(x @ W + b) with W of shape (D, U),
the same layout as the kernel of keras.layers.Dense.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.errors import as_float_array, EngineError, require_finite
from engine.ops.activations import apply_activation


def _finite(name: str, value: object, ndim: int | None = None) -> np.ndarray:
    """as_float_array + require_finite."""
    arr = as_float_array(name, value, ndim)
    require_finite(name, arr)
    return arr


def flatten(x: object) -> np.ndarray:
    """(N, d1, d2, ...) -> (N, d1*d2*...) in C (row-major) order, like keras Flatten on NHWC."""
    arr = _finite("x", x)
    if arr.ndim < 2:
        raise EngineError("bad_shape", name="x", expected="(N, ...) with at least 2 axes",
                          got=str(arr.shape))
    return arr.reshape(arr.shape[0], -1)


def _weights(x: np.ndarray, weights: object, bias: object) -> tuple[np.ndarray, np.ndarray]:
    """Validate weights (D, U) against x (..., D) and bias (U,) (None -> zeros)."""
    w = _finite("weights", weights, ndim=2)
    if w.shape[0] != x.shape[-1]:
        raise EngineError("bad_shape", name="weights", expected=f"({x.shape[-1]}, units)",
                          got=str(w.shape))
    if bias is None:
        b = np.zeros(w.shape[1], dtype=w.dtype)
    else:
        b = _finite("bias", bias, ndim=1)
        if b.shape[0] != w.shape[1]:
            raise EngineError("bad_shape", name="bias", expected=f"({w.shape[1]},)",
                              got=str(b.shape))
    return w, b


def _common_dtype(*arrays: np.ndarray) -> np.dtype:
    """float32 when every array is float32, float64 otherwise."""
    all32 = all(a.dtype == np.float32 for a in arrays)
    return np.dtype(np.float32) if all32 else np.dtype(np.float64)


def dense(x: object, weights: object, bias: object = None,
          activation: str | None = None) -> np.ndarray:
    """Dense layer: x (N, D), weights (D, U), bias (U,) or None -> activation(x @ W + b) (N, U).

    `activation` is None (linear) or a name accepted by engine.ops.activations.apply_activation
    (including 'softmax'). Computed in float32 only when x, weights and bias are all float32.
    """
    arr = _finite("x", x, ndim=2)
    w, b = _weights(arr, weights, bias)
    dt = _common_dtype(arr, w, b)
    # each output unit u: sum_d x[n, d] * W[d, u] + b[u]
    z = arr.astype(dt) @ w.astype(dt) + b.astype(dt)
    return apply_activation(activation, z)


@dataclass
class DenseTrace:
    """One output unit of a Dense layer worked out for one sample.

    inputs (D,), weights (D,) the unit's column W[:, unit], products = inputs * weights (D,),
    total = sum(products), bias (scalar), result = total + bias (before any activation).
    """

    inputs: np.ndarray
    weights: np.ndarray
    products: np.ndarray
    total: float
    bias: float
    result: float


def dense_trace(x_1d: object, weights: object, bias: object, unit: int) -> DenseTrace:
    """Trace unit `unit` of a Dense layer: x_1d (D,), weights (D, U), bias (U,) or None."""
    arr = _finite("x", x_1d, ndim=1)
    w, b = _weights(arr, weights, bias)
    units = w.shape[1]
    if not isinstance(unit, (int, np.integer)) or not 0 <= unit < units:
        raise EngineError("channel_out_of_range", channel=unit, channels=units)
    dt = _common_dtype(arr, w, b)
    column = w[:, unit].astype(dt)
    products = arr.astype(dt) * column
    total = products.sum()
    bias_u = b.astype(dt)[unit]
    return DenseTrace(inputs=arr.astype(dt), weights=column, products=products,
                      total=float(total), bias=float(bias_u), result=float(total + bias_u))
