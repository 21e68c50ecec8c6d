"""engine.ops.activations against keras.activations and keras activation layers."""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays, array_shapes  # noqa: E402

from engine.errors import EngineError  # noqa: E402
from engine.ops import activations as A  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None)
# TensorFlow flushes subnormal numbers to zero, so they are left out
F32 = arrays(np.float32, array_shapes(min_dims=1, max_dims=3, max_side=6),
             elements=st.floats(-60, 60, width=32, allow_subnormal=False))
F64 = arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=6),
             elements=st.floats(-60, 60, allow_subnormal=False))


def k(fn, x, **kw):
    """Run a keras op and return NumPy."""
    return keras.ops.convert_to_numpy(fn(x, **kw))


@SETTINGS
@given(F32)
def test_elementwise_match_keras_float32(x):
    pairs = {"relu": keras.activations.relu, "leaky_relu": keras.activations.leaky_relu,
             "sigmoid": keras.activations.sigmoid, "tanh": keras.activations.tanh,
             "elu": keras.activations.elu, "linear": keras.activations.linear}
    for name, kfn in pairs.items():
        ours = A.apply_activation(name, x)
        assert ours.dtype == np.float32 and ours.shape == x.shape, name
        np.testing.assert_allclose(ours, k(kfn, x), rtol=1e-6, atol=1e-7, err_msg=name)


@SETTINGS
@given(F64, st.floats(0.0625, 0.875, width=32))
def test_layers_match_keras_float64(x, slope):
    # LeakyReLU stores its slope in float32, so draw slopes that float32 holds exactly
    relu = keras.layers.ReLU(dtype="float64")
    leaky = keras.layers.LeakyReLU(negative_slope=slope, dtype="float64")
    np.testing.assert_allclose(A.relu(x), k(relu, x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(A.leaky_relu(x, slope), k(leaky, x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(A.sigmoid(x), k(keras.activations.sigmoid, x), rtol=1e-12)
    # Keras computes exp(x) - 1 (0 for tiny x); we use the more accurate expm1
    np.testing.assert_allclose(A.elu(x), k(keras.activations.elu, x), rtol=1e-12, atol=1e-15)
    assert A.relu(x).dtype == np.float64


def test_leaky_relu_default_is_keras_activation_default():
    x = np.array([-2.0, 3.0], dtype=np.float32)
    np.testing.assert_allclose(A.leaky_relu(x), k(keras.activations.leaky_relu, x))
    np.testing.assert_allclose(A.leaky_relu(x), [-0.4, 3.0], rtol=1e-6)


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")
@SETTINGS
@given(arrays(np.float32, array_shapes(min_dims=1, max_dims=3, max_side=6),
              elements=st.floats(-80, 80, width=32, allow_subnormal=False)), st.integers(0, 2))
def test_softmax_matches_keras(z, axis):
    axis = axis % z.ndim
    layer = keras.layers.Softmax(axis=axis)
    ours = A.softmax(z, axis=axis)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, k(layer, z), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(ours, k(keras.activations.softmax, z, axis=axis),
                               rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(ours.sum(axis=axis), 1.0, rtol=1e-5)


def test_softmax_huge_logits_do_not_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = A.softmax(np.array([1e308, 0.0, -1e308]))
        p32 = A.softmax(np.array([3e38, -3e38, 1.0], dtype=np.float32))
    np.testing.assert_array_equal(p, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(p32, [1.0, 0.0, 0.0])
    np.testing.assert_allclose(A.softmax([1000.0, 1000.0]), [0.5, 0.5])
    assert A.softmax([1, 2]).dtype == np.float64


def test_softmax_trace_steps():
    tr = A.softmax_trace([2.0, 1.0, 0.1])
    assert tr.max == 2.0
    np.testing.assert_allclose(tr.shifted, [0.0, -1.0, -1.9])
    np.testing.assert_allclose(tr.exps, np.exp(tr.shifted))
    assert tr.total == pytest.approx(tr.exps.sum())
    np.testing.assert_allclose(tr.probs, A.softmax([2.0, 1.0, 0.1]))
    np.testing.assert_allclose(tr.probs, [0.6590012, 0.2424330, 0.0985659], rtol=1e-6)


def test_activation_table_and_errors():
    assert set(A.ACTIVATIONS) == {"relu", "leaky_relu", "sigmoid", "tanh", "elu", "linear"}
    np.testing.assert_array_equal(A.apply_activation(None, [1.0, -1.0]), [1.0, -1.0])
    with pytest.raises(EngineError) as e:
        A.apply_activation("swish2", [1.0])
    assert e.value.key == "bad_mode" and e.value.params == {"mode": "swish2"}
    for bad in ([np.nan, 1.0], [np.inf]):
        with pytest.raises(EngineError) as e:
            A.softmax(bad)
        assert e.value.key == "nonfinite"
        with pytest.raises(EngineError):
            A.relu(bad)
    with pytest.raises(EngineError) as e:
        A.softmax_trace([[1.0, 2.0]])
    assert e.value.key == "bad_shape"
    for bad_call in (lambda: A.softmax(3.0), lambda: A.softmax([[1.0, 2.0]], axis=2)):
        with pytest.raises(EngineError) as e:
            bad_call()
        assert e.value.key == "bad_shape"
    with pytest.raises(EngineError) as e:
        A.sigmoid(["a"])
    assert e.value.key == "not_numeric"
