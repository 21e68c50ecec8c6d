"""Batch normalization per channel, with the moving statistics of keras.layers.BatchNormalization.

For each channel c (the last axis, NHWC), statistics are taken over every other axis:
    x_hat = (x - mean_c) / sqrt(var_c + epsilon),   y = gamma_c * x_hat + beta_c.
Training uses the batch's mean and biased variance (divide by the count, not count - 1)
and updates the moving statistics:
    moving = moving * momentum + batch_statistic * (1 - momentum).
Inference uses the moving statistics and leaves them unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.errors import as_float_array, EngineError, require_finite


@dataclass
class BatchNormState:
    """Per-channel parameters, each of shape (C,): gamma and beta are trainable,
    moving_mean and moving_variance are not (they are updated during training)."""

    gamma: np.ndarray
    beta: np.ndarray
    moving_mean: np.ndarray
    moving_variance: np.ndarray

    @classmethod
    def initial(cls, channels: int, dtype: type = np.float64) -> "BatchNormState":
        """Keras' initial values: gamma 1, beta 0, moving_mean 0, moving_variance 1; (C,) each."""
        if not isinstance(channels, (int, np.integer)) or channels < 1:
            raise EngineError("bad_hyperparameter", name="channels", value=channels)
        ones, zeros = np.ones(channels, dtype=dtype), np.zeros(channels, dtype=dtype)
        return cls(gamma=ones.copy(), beta=zeros.copy(), moving_mean=zeros.copy(),
                   moving_variance=ones.copy())


@dataclass
class BatchNormResult:
    """output and x_hat have the shape of x; mean and variance (C,) are the statistics used
    (the batch's in training, the moving ones at inference); new_state is the updated state."""

    output: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    x_hat: np.ndarray
    new_state: BatchNormState


def _state_arrays(state: BatchNormState, channels: int, dtype: np.dtype) -> list[np.ndarray]:
    """Return gamma, beta, moving_mean, moving_variance as (C,) arrays of `dtype`."""
    out = []
    for name in ("gamma", "beta", "moving_mean", "moving_variance"):
        arr = as_float_array(name, getattr(state, name), ndim=1)
        require_finite(name, arr)
        if arr.shape[0] != channels:
            raise EngineError("bad_shape", name=name, expected=f"({channels},)", got=str(arr.shape))
        out.append(arr.astype(dtype))
    if np.any(out[3] < 0):
        raise EngineError("bad_hyperparameter", name="moving_variance", value=float(out[3].min()))
    return out


def _check_hyper(momentum: float, epsilon: float) -> None:
    """momentum must lie in [0, 1] and epsilon be > 0, else 'bad_hyperparameter'."""
    if not 0.0 <= momentum <= 1.0:
        raise EngineError("bad_hyperparameter", name="momentum", value=momentum)
    if not epsilon > 0.0 or not np.isfinite(epsilon):
        raise EngineError("bad_hyperparameter", name="epsilon", value=epsilon)


def batchnorm(x: object, state: BatchNormState, training: bool, momentum: float = 0.99,
              epsilon: float = 1e-3) -> BatchNormResult:
    """Normalize x (N, H, W, C) or (N, C) per channel; see BatchNormResult for the outputs.

    Keras defaults: momentum 0.99, epsilon 1e-3. Computed in x's dtype (float32 kept).
    """
    arr = as_float_array("x", x)
    require_finite("x", arr)
    if arr.ndim not in (2, 4):
        raise EngineError("bad_shape", name="x", expected="(N, H, W, C) or (N, C)",
                          got=str(arr.shape))
    _check_hyper(float(momentum), float(epsilon))
    dt = arr.dtype
    gamma, beta, moving_mean, moving_var = _state_arrays(state, arr.shape[-1], dt)
    axes = tuple(range(arr.ndim - 1))  # every axis but the channel axis
    if training:
        mean = arr.mean(axis=axes)
        variance = np.square(arr - mean).mean(axis=axes)  # biased: divide by the count
        m = dt.type(momentum)
        one_minus = dt.type(1.0 - momentum)
        new_state = BatchNormState(gamma=gamma, beta=beta,
                                   moving_mean=moving_mean * m + mean * one_minus,
                                   moving_variance=moving_var * m + variance * one_minus)
    else:
        mean, variance = moving_mean, moving_var
        new_state = BatchNormState(gamma=gamma, beta=beta, moving_mean=moving_mean.copy(),
                                   moving_variance=moving_var.copy())
    x_hat = (arr - mean) / np.sqrt(variance + dt.type(epsilon))
    return BatchNormResult(output=gamma * x_hat + beta, mean=mean, variance=variance,
                           x_hat=x_hat, new_state=new_state)


def batchnorm_param_count(channels: int) -> tuple[int, int, int]:
    """(total, trainable, non_trainable) = (4C, 2C, 2C): gamma, beta train; moving stats don't."""
    if not isinstance(channels, (int, np.integer)) or channels < 1:
        raise EngineError("bad_hyperparameter", name="channels", value=channels)
    c = int(channels)
    return 4 * c, 2 * c, 2 * c
