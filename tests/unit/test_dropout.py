"""engine.ops.dropout: inverted dropout with the structure of keras.layers.Dropout."""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays, array_shapes  # noqa: E402

from engine.errors import EngineError  # noqa: E402
from engine.ops.dropout import dropout  # noqa: E402

SETTINGS = settings(max_examples=30, deadline=None)
X = arrays(np.float32, array_shapes(min_dims=1, max_dims=4, max_side=6),
           elements=st.floats(-10, 10, width=32))
RATES = st.sampled_from([0.0, 0.1, 0.25, 0.4, 0.5, 0.9])


@SETTINGS
@given(X, RATES)
def test_inference_is_identity_like_keras(x, rate):
    y, mask = dropout(x, rate, training=False)
    ref = keras.ops.convert_to_numpy(keras.layers.Dropout(rate)(x, training=False))
    np.testing.assert_array_equal(y, ref)
    np.testing.assert_array_equal(y, x)
    assert mask.dtype == bool and mask.all() and mask.shape == x.shape


@SETTINGS
@given(X, RATES, st.integers(0, 1000))
def test_training_outputs_are_zero_or_scaled_like_keras(x, rate, seed):
    y, mask = dropout(x, rate, training=True, seed=seed)
    ref = keras.ops.convert_to_numpy(keras.layers.Dropout(rate, seed=seed)(x, training=True))
    scaled = x / np.float32(1 - rate)
    assert y.dtype == np.float32 and y.shape == x.shape
    # ours: kept units scaled exactly as Keras scales them, dropped units 0
    np.testing.assert_allclose(y[mask], scaled[mask], rtol=1e-6)
    assert np.all(y[~mask] == 0)
    # Keras: every output is 0 or x / (1 - rate) (its random stream is not reproduced)
    assert np.all(np.isclose(ref, 0) | np.isclose(ref, scaled, rtol=1e-6))


def test_keep_fraction_and_expectation():
    x = np.ones((200, 200))
    y, mask = dropout(x, 0.3, seed=1)
    assert abs(mask.mean() - 0.7) < 0.01
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout keeps the expected value
    assert y.dtype == np.float64
    y2, mask2 = dropout(x, 0.3, seed=1)
    np.testing.assert_array_equal(mask, mask2)  # a seed makes it reproducible


def test_rate_zero_keeps_everything():
    x = np.arange(6.0).reshape(2, 3)
    y, mask = dropout(x, 0.0, training=True)
    np.testing.assert_array_equal(y, x)
    assert mask.all()


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, float("nan"), "x", None])
def test_bad_rate(rate):
    with pytest.raises(EngineError) as e:
        dropout(np.ones(3), rate)
    assert e.value.key == "bad_rate" and e.value.params == {"rate": rate}


def test_bad_input():
    with pytest.raises(EngineError) as e:
        dropout([1.0, np.nan], 0.5)
    assert e.value.key == "nonfinite"
