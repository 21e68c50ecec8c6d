"""Activation functions and a numerically stable softmax, matching keras.activations.

Every function works element-wise on an array of any shape and returns the same shape.
float32 inputs stay float32; other numeric inputs are computed in float64.
`softmax_trace` exposes the intermediate values of the stable softmax for teaching.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from engine.errors import as_float_array, EngineError, require_finite


def _input(x: object, name: str = "x") -> np.ndarray:
    """Convert `x` to a float array and refuse NaN/inf."""
    arr = as_float_array(name, x)
    require_finite(name, arr)
    return arr


def relu(x: object) -> np.ndarray:
    """max(x, 0). Any shape -> same shape."""
    arr = _input(x)
    return np.maximum(arr, arr.dtype.type(0))


def leaky_relu(x: object, alpha: float = 0.2) -> np.ndarray:
    """x for x >= 0, alpha * x otherwise. Any shape -> same shape.

    The default 0.2 is the one of `keras.activations.leaky_relu` (its `negative_slope`);
    note that the layer `keras.layers.LeakyReLU` defaults to 0.3.
    """
    arr = _input(x)
    slope = arr.dtype.type(alpha)
    return np.where(arr >= 0, arr, slope * arr)


def sigmoid(x: object) -> np.ndarray:
    """1 / (1 + exp(-x)), computed without overflow. Any shape -> same shape."""
    arr = _input(x)
    # exp(-|x|) never overflows; for x < 0 use the equivalent form e^x / (1 + e^x)
    e = np.exp(-np.abs(arr))
    one = arr.dtype.type(1)
    return np.where(arr >= 0, one / (one + e), e / (one + e))


def tanh(x: object) -> np.ndarray:
    """Hyperbolic tangent. Any shape -> same shape."""
    return np.tanh(_input(x))


def elu(x: object, alpha: float = 1.0) -> np.ndarray:
    """x for x > 0, alpha * (exp(x) - 1) otherwise (Keras default alpha 1). Any shape."""
    arr = _input(x)
    # expm1 on min(x, 0) keeps precision near 0 and never overflows for large x
    neg = arr.dtype.type(alpha) * np.expm1(np.minimum(arr, arr.dtype.type(0)))
    return np.where(arr > 0, arr, neg)


def linear(x: object) -> np.ndarray:
    """Identity (Keras 'linear'). Any shape -> same shape (a new array)."""
    return _input(x).copy()


def softmax(logits: object, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along `axis`. Any shape -> same shape; sums to 1 on `axis`.

    softmax(z)_i = exp(z_i - max z) / sum_j exp(z_j - max z): subtracting the maximum
    does not change the result but keeps every exponent <= 0, so huge logits cannot overflow.
    NaN/inf logits raise EngineError('nonfinite').
    """
    z = _input(logits, "logits")
    if z.ndim == 0 or not -z.ndim <= axis < z.ndim:
        raise EngineError("bad_shape", name="logits", expected=f"an axis {axis}",
                          got=str(z.shape))
    with np.errstate(over="ignore"):  # z - max may reach -inf for extreme spreads; exp -> 0
        shifted = z - np.max(z, axis=axis, keepdims=True)
    exps = np.exp(shifted)
    return exps / np.sum(exps, axis=axis, keepdims=True)


def log_softmax(logits: object, axis: int = -1) -> np.ndarray:
    """log(softmax(z)) computed stably as (z - max) - log(sum exp(z - max)). Same shape."""
    z = _input(logits, "logits")
    with np.errstate(over="ignore"):
        shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


ACTIVATIONS: dict[str, Callable[[object], np.ndarray]] = {
    "relu": relu,
    "leaky_relu": leaky_relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "elu": elu,
    "linear": linear,
}


def apply_activation(name: str | None, x: object) -> np.ndarray:
    """Apply the activation called `name` (a key of ACTIVATIONS, or 'softmax' on the last axis).

    None means 'linear'. Unknown names raise EngineError('bad_mode', mode=name).
    Any shape -> same shape.
    """
    if name is None:
        return linear(x)
    if name == "softmax":
        return softmax(x, axis=-1)
    if name not in ACTIVATIONS:
        raise EngineError("bad_mode", mode=name)
    return ACTIVATIONS[name](x)


@dataclass
class SoftmaxTrace:
    """Every intermediate value of a stable softmax over one vector of K logits.

    logits (K,), max (scalar), shifted = logits - max (K,), exps = exp(shifted) (K,),
    total = sum(exps) (scalar, between 1 and K), probs = exps / total (K,).
    """

    logits: np.ndarray
    max: float
    shifted: np.ndarray
    exps: np.ndarray
    total: float
    probs: np.ndarray


def softmax_trace(logits_1d: object) -> SoftmaxTrace:
    """Softmax of a (K,) vector with its intermediate steps (see SoftmaxTrace)."""
    z = _input(logits_1d, "logits")
    if z.ndim != 1:
        raise EngineError("bad_shape", name="logits", expected="1-D", got=str(z.shape))
    top = np.max(z)
    with np.errstate(over="ignore"):
        shifted = z - top
    exps = np.exp(shifted)
    total = np.sum(exps)
    return SoftmaxTrace(logits=z, max=float(top), shifted=shifted, exps=exps,
                        total=float(total), probs=exps / total)
