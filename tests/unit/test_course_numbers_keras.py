"""The course notes' worked numbers that the pooling and softmax pages show, checked against
Keras: the 4x4 max-pool example, the 6x6 global-average example, the softmax of huge logits
and the loss of a confident wrong answer."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from engine.data.datasets import GRIDS  # noqa: E402
from engine.ops.activations import softmax, softmax_trace  # noqa: E402
from engine.ops.losses import cross_entropy_detail  # noqa: E402
from engine.ops.pooling import global_pool, pool2d, pool_trace  # noqa: E402


def batch(name: str) -> np.ndarray:
    return np.asarray(GRIDS[name], dtype=np.float32)[None, :, :, None]


def test_pool4_max_and_average_pooling_match_keras():
    x = batch("pool4")
    ref = np.asarray(keras.layers.MaxPooling2D(2)(x))
    np.testing.assert_array_equal(ref[0, :, :, 0], [[6, 8], [3, 4]])
    np.testing.assert_array_equal(pool2d(x, 2), ref)
    np.testing.assert_allclose(pool2d(x, 2, mode="avg"), keras.layers.AveragePooling2D(2)(x))


def test_gap6_global_pooling_matches_keras_and_the_written_sum():
    x = batch("gap6")
    gap = np.asarray(keras.layers.GlobalAveragePooling2D()(x))
    assert gap[0, 0] == pytest.approx(2.0)
    np.testing.assert_allclose(global_pool(x, "avg"), gap, rtol=1e-6)
    np.testing.assert_allclose(global_pool(x, "max"), keras.layers.GlobalMaxPooling2D()(x))
    whole = pool_trace(x[0], (6, 6), None, "valid", "avg")  # what the page writes out
    assert (whole.total, whole.count, whole.result) == (72, 36, 2)


def test_odd_map_same_padding_matches_keras():
    x = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    for mode, layer in (("max", keras.layers.MaxPooling2D), ("avg", keras.layers.AveragePooling2D)):
        np.testing.assert_allclose(pool2d(x, 2, None, "same", mode), layer(2, padding="same")(x))
        assert pool2d(x, 2, None, "valid", mode).shape == layer(2)(x).shape == (1, 2, 2, 1)


def test_huge_logits_softmax_matches_keras():
    z = np.array([[1000.0, 999.0, 998.0]], dtype=np.float32)
    ref = np.asarray(keras.activations.softmax(z))
    np.testing.assert_allclose(softmax(z), ref, rtol=1e-6)
    np.testing.assert_allclose(softmax_trace(z[0]).probs, ref[0], rtol=1e-6)


def test_confident_wrong_answer_is_infinite_exactly_and_clipped_by_keras():
    probs = np.array([0.0, 1.0, 0.0, 0.0])
    detail = cross_entropy_detail(probs, 0, from_logits=False)
    assert detail.loss_exact == np.inf
    ref = float(keras.losses.categorical_crossentropy(np.eye(4)[:1], probs[None])[0])
    assert detail.loss_keras == pytest.approx(ref, rel=1e-6) == pytest.approx(-np.log(1e-7), rel=1e-6)
