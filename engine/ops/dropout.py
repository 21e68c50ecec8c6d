"""Inverted dropout, as keras.layers.Dropout applies it.

In training each unit is kept with probability 1 - rate and the kept units are scaled by
1 / (1 - rate), so the expected value of every output equals its input and nothing has to
change at inference, where dropout is the identity.
"""
from __future__ import annotations

import numpy as np

from engine.errors import as_float_array, EngineError, require_finite


def check_rate(rate: object) -> float:
    """Return `rate` as a float in [0, 1) or raise EngineError('bad_rate')."""
    try:
        value = float(rate)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise EngineError("bad_rate", rate=rate) from exc
    if not 0.0 <= value < 1.0:  # also rejects NaN
        raise EngineError("bad_rate", rate=rate)
    return value


def dropout(x: object, rate: float, training: bool = True,
            seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Apply inverted dropout. x any shape -> (y same shape, keep_mask same shape, bool).

    Training: keep_mask ~ Bernoulli(1 - rate) per element (NumPy generator seeded by `seed`),
    y = x / (1 - rate) where kept, 0 where dropped. Inference (training=False): y is a copy
    of x and keep_mask is all True. rate must lie in [0, 1) else EngineError('bad_rate').
    """
    arr = as_float_array("x", x)
    require_finite("x", arr)
    p = check_rate(rate)
    if not training or p == 0.0:
        return arr.copy(), np.ones(arr.shape, dtype=bool)
    rng = np.random.default_rng(seed)
    keep = rng.random(arr.shape) >= p
    # scale the survivors so that E[y] = (1 - p) * x / (1 - p) = x
    scaled = arr / arr.dtype.type(1.0 - p)
    return np.where(keep, scaled, arr.dtype.type(0)), keep
