"""engine.ops.batchnorm against keras.layers.BatchNormalization over successive batches."""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from engine.ops.batchnorm import (BatchNormState, batchnorm,  # noqa: E402
                              batchnorm_param_count)
from engine.errors import EngineError  # noqa: E402

SETTINGS = settings(max_examples=30, deadline=None)


def keras_state(layer):
    """Our state read back from a keras BatchNormalization layer."""
    gamma, beta, mean, var = (np.asarray(w) for w in layer.get_weights())
    return BatchNormState(gamma, beta, mean, var)


@SETTINGS
@given(channels=st.sampled_from([1, 3, 16]), spatial=st.booleans(),
       momentum=st.sampled_from([0.99, 0.9, 0.5, 0.0]), epsilon=st.sampled_from([1e-3, 1e-5, 0.1]),
       modes=st.lists(st.booleans(), min_size=3, max_size=5), seed=st.integers(0, 2**32 - 1))
def test_matches_keras_over_successive_batches(channels, spatial, momentum, epsilon, modes, seed):
    rng = np.random.default_rng(seed)
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon)
    n = int(rng.integers(1, 4)) if spatial else int(rng.integers(2, 6))
    shape = (n, 3, 4, channels) if spatial else (n, channels)
    layer.build((None,) + shape[1:])
    gamma = rng.normal(1, 0.5, channels).astype(np.float32)
    beta = rng.normal(0, 1, channels).astype(np.float32)
    layer.set_weights([gamma, beta, np.zeros(channels, np.float32), np.ones(channels, np.float32)])
    state = BatchNormState.initial(channels, dtype=np.float32)
    state.gamma, state.beta = gamma.copy(), beta.copy()
    for training in modes:
        x = (rng.normal(size=shape) * rng.uniform(0.5, 3, channels)
             + rng.uniform(-2, 2, channels)).astype(np.float32)
        ref = keras.ops.convert_to_numpy(layer(x, training=training))
        res = batchnorm(x, state, training=training, momentum=momentum, epsilon=epsilon)
        assert res.output.dtype == np.float32 and res.output.shape == x.shape
        np.testing.assert_allclose(res.output, ref, rtol=1e-5, atol=1e-5)
        want = keras_state(layer)
        np.testing.assert_allclose(res.new_state.moving_mean, want.moving_mean,
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(res.new_state.moving_variance, want.moving_variance,
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(res.new_state.gamma, want.gamma)
        if not training:  # inference leaves the state alone
            np.testing.assert_array_equal(res.new_state.moving_mean, state.moving_mean)
        state = res.new_state


def test_float64_training_statistics_and_x_hat():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(4, 5, 5, 3))
    layer = keras.layers.BatchNormalization(dtype="float64", momentum=0.8)
    ref = keras.ops.convert_to_numpy(layer(x, training=True))
    res = batchnorm(x, BatchNormState.initial(3), training=True, momentum=0.8)
    np.testing.assert_allclose(res.output, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.mean, x.mean(axis=(0, 1, 2)))
    np.testing.assert_allclose(res.variance, x.var(axis=(0, 1, 2)))  # biased variance
    np.testing.assert_allclose(res.x_hat, (x - res.mean) / np.sqrt(res.variance + 1e-3))
    np.testing.assert_allclose(res.new_state.moving_mean, 0.2 * res.mean)
    np.testing.assert_allclose(res.new_state.moving_variance, 0.8 + 0.2 * res.variance)
    np.testing.assert_allclose(res.new_state.moving_variance, layer.get_weights()[3], rtol=1e-12)


def test_inference_uses_moving_statistics():
    state = BatchNormState(np.array([2.0]), np.array([1.0]), np.array([5.0]), np.array([4.0]))
    res = batchnorm(np.array([[7.0], [5.0]]), state, training=False, epsilon=0.0 + 1e-12)
    np.testing.assert_allclose(res.output[:, 0], [2.0 * 1.0 + 1.0, 1.0])
    assert res.mean[0] == 5.0 and res.variance[0] == 4.0


def test_initial_state_and_param_count_match_keras():
    layer = keras.layers.BatchNormalization()
    layer.build((None, 6, 6, 16))
    st0 = BatchNormState.initial(16)
    for ours, theirs in zip((st0.gamma, st0.beta, st0.moving_mean, st0.moving_variance),
                            layer.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    keras_counts = (layer.count_params(), trainable, 64 - trainable)
    assert batchnorm_param_count(16) == keras_counts == (64, 32, 32)


def test_errors():
    st3 = BatchNormState.initial(3)
    cases = [
        (lambda: batchnorm(np.ones((2, 4)), st3, True), "bad_shape"),
        (lambda: batchnorm(np.ones((2, 3, 3)), st3, True), "bad_shape"),
        (lambda: batchnorm(np.ones((2, 3)), st3, True, momentum=1.5), "bad_hyperparameter"),
        (lambda: batchnorm(np.ones((2, 3)), st3, True, epsilon=0.0), "bad_hyperparameter"),
        (lambda: batchnorm([[np.nan, 1, 1]], st3, True), "nonfinite"),
        (lambda: BatchNormState.initial(0), "bad_hyperparameter"),
        (lambda: batchnorm_param_count(-2), "bad_hyperparameter"),
        (lambda: batchnorm(np.ones((2, 1)), BatchNormState(np.ones(1), np.zeros(1), np.zeros(1),
                                                            -np.ones(1)), False),
         "bad_hyperparameter"),
    ]
    for call, key in cases:
        with pytest.raises(EngineError) as e:
            call()
        assert e.value.key == key
