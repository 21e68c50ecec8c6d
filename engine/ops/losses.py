"""Cross-entropy losses computed exactly the way keras.losses does (TensorFlow backend).

Shapes: N samples, K classes. y_true (N, K) one-hot or soft labels, labels (N,) integers,
y_pred (N, K) probabilities or logits. Losses are returned per sample, shape (N,).
The compute dtype follows y_pred (float32 stays float32, anything else float64), as Keras
casts y_true to y_pred's dtype.

What Keras does with probabilities (from_logits=False):
- categorical: p <- p / sum(p), then clip p to [eps, 1 - eps], loss = -sum(t * log p);
- sparse:      clip p to [eps, 1 - eps] first, then loss = -log(p_c / sum(p)) (TensorFlow
  feeds log(clipped p) to its logits kernel, which renormalises).
The clipping is why Keras never reports an infinite loss: -log(1e-7) ~ 16.12 is the cap.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.errors import as_float_array, EngineError, require_finite
from engine.ops.activations import log_softmax, softmax

KERAS_EPSILON = 1e-7  # keras.backend.epsilon()


def _predictions(y_pred: object, from_logits: bool) -> np.ndarray:
    """Validate y_pred (N, K): finite; as probabilities also >= 0 with a positive row sum."""
    p = as_float_array("y_pred", y_pred, ndim=2)
    require_finite("y_pred", p)
    if not from_logits:
        _check_distribution("y_pred", p)
    return p


def _check_distribution(name: str, p: np.ndarray) -> None:
    """Raise 'bad_probabilities' unless every entry is >= 0 and each row sums to > 0."""
    if np.any(p < 0) or np.any(np.sum(p, axis=-1) <= 0):
        raise EngineError("bad_probabilities", name=name)


def _labels(labels: object, classes: int) -> np.ndarray:
    """Validate integer class labels (N,) in [0, classes) and return them as int64."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise EngineError("bad_shape", name="labels", expected="1-D", got=str(arr.shape))
    if arr.size == 0:
        raise EngineError("empty_input", name="labels")
    if arr.dtype.kind not in "iuf":
        raise EngineError("bad_label", label=str(arr.flat[0]), classes=classes)
    # the first offending label is reported: non-integer, negative or >= classes
    bad = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < 0) | (arr >= classes)
    if np.any(bad):
        raise EngineError("bad_label", label=str(arr[np.argmax(bad)]), classes=classes)
    return arr.astype(np.int64)


def one_hot(labels: object, classes: int, dtype: type = np.float64) -> np.ndarray:
    """Integer labels (N,) -> one-hot matrix (N, classes) of dtype (float64; Keras fits use float32).

    Labels must be integers in [0, classes) else EngineError('bad_label').
    """
    if not isinstance(classes, (int, np.integer)) or classes < 1:
        raise EngineError("bad_hyperparameter", name="classes", value=classes)
    idx = _labels(labels, int(classes))
    out = np.zeros((idx.size, int(classes)), dtype=dtype)
    out[np.arange(idx.size), idx] = 1
    return out


def categorical_crossentropy(y_true: object, y_pred: object, from_logits: bool = False,
                             epsilon: float = KERAS_EPSILON) -> np.ndarray:
    """Per-sample cross entropy -sum_k t_k log p_k, like keras.losses.categorical_crossentropy.

    y_true (N, K) one-hot or soft labels (>= 0, positive row sums), y_pred (N, K) -> (N,).
    With from_logits=True, log p = log_softmax(y_pred) (exact, no clipping); otherwise
    y_pred is renormalised to sum 1 and clipped to [epsilon, 1 - epsilon] before the log.
    """
    p = _predictions(y_pred, from_logits)
    t = as_float_array("y_true", y_true, ndim=2).astype(p.dtype)
    require_finite("y_true", t)
    if t.shape != p.shape:
        raise EngineError("bad_shape", name="y_true", expected=str(p.shape), got=str(t.shape))
    _check_distribution("y_true", t)
    if from_logits:
        log_p = log_softmax(p, axis=-1)
    else:
        eps = p.dtype.type(epsilon)
        p = p / np.sum(p, axis=-1, keepdims=True)
        log_p = np.log(np.clip(p, eps, p.dtype.type(1) - eps))
    with np.errstate(invalid="ignore"):  # 0 * -inf (target 0 on an -inf logit) counts as 0
        terms = np.where(t == 0, p.dtype.type(0), t * log_p)
    return -np.sum(terms, axis=-1)


def sparse_categorical_crossentropy(labels: object, y_pred: object, from_logits: bool = False,
                                    epsilon: float = KERAS_EPSILON) -> np.ndarray:
    """Per-sample cross entropy -log p_label, like keras.losses.sparse_categorical_crossentropy.

    labels (N,) integers in [0, K), y_pred (N, K) -> (N,). With probabilities, Keras (TF
    backend) clips to [epsilon, 1 - epsilon] first and then renormalises by the clipped sum.
    """
    p = _predictions(y_pred, from_logits)
    idx = _labels(labels, p.shape[1])
    if idx.size != p.shape[0]:
        raise EngineError("bad_shape", name="labels", expected=f"({p.shape[0]},)",
                          got=f"({idx.size},)")
    if from_logits:
        log_p = log_softmax(p, axis=-1)
    else:
        eps = p.dtype.type(epsilon)
        clipped = np.clip(p, eps, p.dtype.type(1) - eps)
        log_p = np.log(clipped) - np.log(np.sum(clipped, axis=-1, keepdims=True))
    return -log_p[np.arange(idx.size), idx]


@dataclass
class CrossEntropyDetail:
    """Cross entropy of one sample, exact and as Keras reports it.

    probs (K,) the predicted distribution, true_class int, p_true = probs[true_class],
    loss_exact = -log p_true (inf when p_true == 0; from logits it is computed as
    logsumexp(z) - z_true, which stays finite even when p_true underflows to 0),
    loss_keras = the value keras.losses.categorical_crossentropy returns (clipped for
    probabilities, so at most -log(1e-7) ~ 16.12).
    """

    probs: np.ndarray
    true_class: int
    p_true: float
    loss_exact: float
    loss_keras: float


def cross_entropy_detail(logits_or_probs_1d: object, true_class: int,
                         from_logits: bool = True) -> CrossEntropyDetail:
    """Exact and Keras cross entropy of one (K,) vector of logits or probabilities."""
    v = as_float_array("y_pred", logits_or_probs_1d, ndim=1)
    require_finite("y_pred", v)
    cls = int(_labels(np.array([true_class]), v.size)[0])
    row = v[np.newaxis, :]
    loss_keras = float(categorical_crossentropy(one_hot([cls], v.size), row, from_logits)[0])
    if from_logits:
        probs = softmax(v)
        loss_exact = float(-log_softmax(v)[cls])
    else:
        _check_distribution("y_pred", row)
        probs = v / np.sum(v)
        with np.errstate(divide="ignore"):  # log(0) = -inf is the point here
            loss_exact = float(-np.log(probs[cls]))
    return CrossEntropyDetail(probs=probs, true_class=cls, p_true=float(probs[cls]),
                              loss_exact=loss_exact, loss_keras=loss_keras)
