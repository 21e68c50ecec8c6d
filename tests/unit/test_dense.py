"""engine.ops.dense against keras.layers.Dense (with set_weights) and keras.layers.Flatten."""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from engine.errors import EngineError  # noqa: E402
from engine.ops.dense import dense, dense_trace, flatten  # noqa: E402

SETTINGS = settings(max_examples=30, deadline=None)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 5), st.integers(1, 4),
       st.integers(0, 2**32 - 1))
def test_flatten_matches_keras_nhwc(n, h, w, c, seed):
    x = np.random.default_rng(seed).normal(size=(n, h, w, c)).astype(np.float32)
    ref = keras.ops.convert_to_numpy(keras.layers.Flatten()(x))
    out = flatten(x)
    assert out.shape == (n, h * w * c) and out.dtype == np.float32
    np.testing.assert_array_equal(out, ref)


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")
@pytest.mark.parametrize("dtype,rtol", [("float32", 1e-5), ("float64", 1e-12)])
@SETTINGS
@given(n=st.integers(1, 4), d=st.integers(1, 12), u=st.integers(1, 6),
       use_bias=st.booleans(),
       activation=st.sampled_from([None, "relu", "sigmoid", "tanh", "softmax", "elu"]),
       seed=st.integers(0, 2**32 - 1))
def test_dense_matches_keras(dtype, rtol, n, d, u, use_bias, activation, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(dtype)
    w = rng.normal(size=(d, u)).astype(dtype)
    b = rng.normal(size=u).astype(dtype)
    layer = keras.layers.Dense(u, activation=activation, use_bias=use_bias, dtype=dtype)
    layer.build((None, d))
    layer.set_weights([w, b] if use_bias else [w])
    ref = keras.ops.convert_to_numpy(layer(x))
    out = dense(x, w, b if use_bias else None, activation)
    assert out.shape == (n, u) and out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=rtol)


def test_dense_trace_unit():
    x = np.array([1.0, 2.0, -1.0])
    w = np.array([[0.5, 1.0], [0.25, 0.0], [2.0, -3.0]])
    tr = dense_trace(x, w, np.array([0.1, 0.2]), 0)
    np.testing.assert_allclose(tr.weights, [0.5, 0.25, 2.0])
    np.testing.assert_allclose(tr.products, [0.5, 0.5, -2.0])
    assert tr.total == pytest.approx(-1.0) and tr.bias == pytest.approx(0.1)
    assert tr.result == pytest.approx(dense(x[None], w, [0.1, 0.2])[0, 0])
    assert dense_trace(x, w, None, 1).result == pytest.approx(4.0)


def test_dense_mixed_dtypes_compute_in_float64():
    x = np.ones((1, 2), dtype=np.float32)
    assert dense(x, np.ones((2, 1))).dtype == np.float64
    assert dense(x, np.ones((2, 1), dtype=np.float32)).dtype == np.float32


def test_errors():
    cases = [
        (lambda: flatten(np.ones(3)), "bad_shape"),
        (lambda: dense(np.ones((2, 3)), np.ones((4, 2))), "bad_shape"),
        (lambda: dense(np.ones((2, 3)), np.ones((3, 2)), np.ones(3)), "bad_shape"),
        (lambda: dense(np.ones(3), np.ones((3, 2))), "bad_shape"),
        (lambda: dense(np.ones((1, 3)), np.ones((3, 2)), activation="nope"), "bad_mode"),
        (lambda: dense([[np.nan, 1.0]], np.ones((2, 1))), "nonfinite"),
        (lambda: dense_trace(np.ones(3), np.ones((3, 2)), None, 2), "channel_out_of_range"),
        (lambda: dense_trace(np.ones(3), np.ones((3, 2)), None, -1), "channel_out_of_range"),
        (lambda: flatten(np.ones((0, 3))), "empty_input"),
    ]
    for call, key in cases:
        with pytest.raises(EngineError) as e:
            call()
        assert e.value.key == key
