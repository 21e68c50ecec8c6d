"""engine.ops.losses against keras.losses (TensorFlow backend), including zero probabilities."""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from engine.errors import EngineError  # noqa: E402
from engine.ops import losses as L  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def batches(draw, dtype):
    """(labels (N,), soft targets (N, K), probabilities with exact zeros (N, K), logits (N, K))."""
    n, kk = draw(st.integers(1, 5)), draw(st.integers(2, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    labels = rng.integers(0, kk, n)
    soft = rng.random((n, kk)) * (rng.random((n, kk)) < 0.7)
    soft[np.arange(n), labels] += 0.1  # keep every row sum positive
    probs = rng.random((n, kk)) ** 3 * (rng.random((n, kk)) < 0.6)
    probs[:, 0] += 1e-3  # some rows unnormalised, many zeros, often on the true class
    if draw(st.booleans()):
        probs = probs / probs.sum(axis=1, keepdims=True)
    logits = rng.normal(0, draw(st.sampled_from([1.0, 10.0, 40.0])), (n, kk))
    return labels, soft.astype(dtype), probs.astype(dtype), logits.astype(dtype)


def keras_cce(t, p, from_logits):
    return keras.ops.convert_to_numpy(keras.losses.categorical_crossentropy(t, p, from_logits))


def keras_scce(labels, p, from_logits):
    out = keras.losses.sparse_categorical_crossentropy(labels, p, from_logits)
    return keras.ops.convert_to_numpy(out)


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 2e-5), (np.float64, 1e-10)])
@SETTINGS
@given(data=st.data())
def test_categorical_matches_keras(dtype, rtol, data):
    labels, soft, probs, logits = data.draw(batches(dtype))
    onehot = L.one_hot(labels, probs.shape[1]).astype(dtype)
    for t in (onehot, soft):
        ours = L.categorical_crossentropy(t, probs)
        assert ours.dtype == dtype and ours.shape == (len(labels),)
        np.testing.assert_allclose(ours, keras_cce(t, probs, False), rtol=rtol, atol=1e-6)
        np.testing.assert_allclose(L.categorical_crossentropy(t, logits, from_logits=True),
                                   keras_cce(t, logits, True), rtol=rtol, atol=1e-5)


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 2e-5), (np.float64, 1e-10)])
@SETTINGS
@given(data=st.data())
def test_sparse_matches_keras(dtype, rtol, data):
    labels, _, probs, logits = data.draw(batches(dtype))
    np.testing.assert_allclose(L.sparse_categorical_crossentropy(labels, probs),
                               keras_scce(labels, probs, False), rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(L.sparse_categorical_crossentropy(labels, logits, True),
                               keras_scce(labels, logits, True), rtol=rtol, atol=1e-5)


def test_zero_probability_on_true_class_is_clipped_like_keras():
    probs = np.array([[0.0, 1.0, 0.0]], dtype=np.float32)
    t = np.array([[1.0, 0.0, 0.0]], dtype=np.float32)
    ours = L.categorical_crossentropy(t, probs)
    np.testing.assert_allclose(ours, keras_cce(t, probs, False), rtol=1e-6)
    np.testing.assert_allclose(ours, -np.log(1e-7), rtol=1e-5)  # ~16.118, not inf
    np.testing.assert_allclose(L.sparse_categorical_crossentropy([0], probs),
                               keras_scce(np.array([0]), probs, False), rtol=1e-6)


def test_cross_entropy_detail_probabilities():
    d = L.cross_entropy_detail([0.0, 1.0, 0.0], 0, from_logits=False)
    assert d.p_true == 0.0 and d.loss_exact == np.inf and d.true_class == 0
    assert d.loss_keras == pytest.approx(keras_cce(np.array([[1.0, 0, 0]]),
                                                   np.array([[0.0, 1.0, 0.0]]), False)[0])
    d = L.cross_entropy_detail([1.0, 3.0], 1, from_logits=False)  # renormalised like Keras
    np.testing.assert_allclose(d.probs, [0.25, 0.75])
    assert d.loss_exact == pytest.approx(-np.log(0.75)) == d.loss_keras


def test_cross_entropy_detail_logits():
    d = L.cross_entropy_detail([1000.0, 0.0], 1, from_logits=True)
    assert d.p_true == 0.0  # underflows, yet the exact loss from logits stays finite
    assert d.loss_exact == pytest.approx(1000.0)
    assert d.loss_keras == pytest.approx(float(keras_cce(np.array([[0.0, 1.0]]),
                                                          np.array([[1000.0, 0.0]]), True)[0]))
    d = L.cross_entropy_detail([2.0, 1.0, 0.1], 0)
    assert d.loss_exact == pytest.approx(-np.log(0.6590012), rel=1e-6) == d.loss_keras


def test_one_hot():
    np.testing.assert_array_equal(L.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(L.one_hot(np.array([1.0]), 2), [[0, 1]])
    ref = keras.ops.convert_to_numpy(keras.ops.one_hot(np.array([3, 1, 0]), 4))
    np.testing.assert_array_equal(L.one_hot([3, 1, 0], 4), ref)


@pytest.mark.parametrize("labels", [[3], [-1], [0.5], [np.nan], ["a"], [True]])
def test_bad_labels(labels):
    with pytest.raises(EngineError) as e:
        L.sparse_categorical_crossentropy(labels, [[0.2, 0.3, 0.5]])
    assert e.value.key == "bad_label" and e.value.params["classes"] == 3
    with pytest.raises(EngineError) as e:
        L.one_hot(labels, 3)
    assert e.value.key == "bad_label"


def test_bad_true_class_in_detail():
    with pytest.raises(EngineError) as e:
        L.cross_entropy_detail([1.0, 2.0], 2)
    assert e.value.key == "bad_label" and e.value.params == {"label": "2", "classes": 2}


@pytest.mark.parametrize("probs", [[[-0.1, 1.1]], [[0.0, 0.0]]])
def test_bad_probabilities(probs):
    for call in (lambda: L.categorical_crossentropy([[1.0, 0.0]], probs),
                 lambda: L.sparse_categorical_crossentropy([0], probs),
                 lambda: L.cross_entropy_detail(probs[0], 0, from_logits=False)):
        with pytest.raises(EngineError) as e:
            call()
        assert e.value.key == "bad_probabilities" and e.value.params == {"name": "y_pred"}
    # logits may be negative
    assert np.isfinite(L.categorical_crossentropy([[1.0, 0.0]], probs, from_logits=True)).all()
    with pytest.raises(EngineError) as e:
        L.categorical_crossentropy([[-1.0, 2.0]], [[0.5, 0.5]])
    assert e.value.params == {"name": "y_true"}


def test_shape_and_finiteness_errors():
    cases = [
        (lambda: L.categorical_crossentropy([[1.0, 0.0, 0.0]], [[0.5, 0.5]]), "bad_shape"),
        (lambda: L.categorical_crossentropy([1.0, 0.0], [0.5, 0.5]), "bad_shape"),
        (lambda: L.sparse_categorical_crossentropy([0, 1], [[0.5, 0.5]]), "bad_shape"),
        (lambda: L.sparse_categorical_crossentropy([[0]], [[0.5, 0.5]]), "bad_shape"),
        (lambda: L.categorical_crossentropy([[1.0, 0.0]], [[np.nan, 0.5]]), "nonfinite"),
        (lambda: L.categorical_crossentropy([[1.0, 0.0]], [[np.inf, 0.5]], True), "nonfinite"),
        (lambda: L.cross_entropy_detail([np.inf, 1.0], 0), "nonfinite"),
        (lambda: L.one_hot([0], 0), "bad_hyperparameter"),
        (lambda: L.sparse_categorical_crossentropy([], [[0.5, 0.5]]), "empty_input"),
    ]
    for call, key in cases:
        with pytest.raises(EngineError) as e:
            call()
        assert e.value.key == key
