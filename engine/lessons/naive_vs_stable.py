"""Deliberately naive computations, shown next to the stable ones to explain why those exist.

`naive_softmax` computes exp(z) / sum(exp(z)) directly: exp(1000) does not fit in a float64
(the largest is about 1.8e308, exp(709.78)), so it becomes inf and inf / inf is NaN. The
engine's `activations.softmax` subtracts max(z) first and never overflows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.errors import as_float_array, require_finite

FLOAT64_EXP_LIMIT = float(np.log(np.finfo(np.float64).max))  # ~709.78: exp above overflows


@dataclass(frozen=True)
class NaiveSoftmax:
    """exps = exp(z) (K,) (inf where it overflowed), total = sum(exps), probs = exps / total."""

    exps: np.ndarray
    total: float
    probs: np.ndarray
    overflowed: bool  # some exp(z_i) was too large for float64
    failed: bool  # some probability is NaN (inf / inf) or the total underflowed to 0


def naive_softmax(logits_1d: object) -> NaiveSoftmax:
    """Softmax of a (K,) vector without the max-subtraction, in float64, overflow kept visible."""
    z = as_float_array("logits", logits_1d, ndim=1).astype(np.float64)
    require_finite("logits", z)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        exps = np.exp(z)
        total = np.sum(exps)
        probs = exps / total
    return NaiveSoftmax(exps=exps, total=float(total), probs=probs,
                        overflowed=bool(np.any(np.isinf(exps))),
                        failed=bool(np.any(~np.isfinite(probs))))
