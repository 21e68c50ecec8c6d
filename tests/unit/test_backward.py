"""engine.ops.backward against tf.GradientTape (generated cases: strides 1-3, every padding, dilation,
odd sizes, batch > 1, 1/3/16 channels) and against central finite differences in float64; the
gradient traces against the full gradients; a network's backward pass, gradient check and learning
steps."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from engine.lessons import backprop as P, forward  # noqa: E402
from engine.ops import backward as B, batchnorm, conv, dropout, optimizers, pooling  # noqa: E402
from engine.ops.activations import apply_activation, softmax  # noqa: E402
from tests.unit.checks import raises_key  # noqa: E402

SETTINGS = settings(max_examples=30, deadline=None)
FD = settings(max_examples=12, deadline=None)


def close(got, ref, rtol=1e-5):
    """Agreement to rtol, with an absolute floor scaled to the gradient's magnitude."""
    ref = np.asarray(ref)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol * max(1.0, float(np.abs(ref).max())))


def tf_padding(padding, axes):
    """tf.pad's paddings for the engine's explicit padding (as resolved pairs)."""
    return [[0, 0], [axes[0].pad_before, axes[0].pad_after], [axes[1].pad_before, axes[1].pad_after], [0, 0]]


@st.composite
def conv_cases(draw, both=False):
    """x (N,H,W,C), kernel, strides, padding, dilation; Keras-legal (no stride with dilation) unless both."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    if not both:
        if draw(st.booleans()):
            s = (1, 1)
        else:
            d = (1, 1)
    padding = draw(st.one_of(st.sampled_from(["valid", "same"]),
                             st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                                       st.tuples(st.integers(0, 2), st.integers(0, 2)))))
    h = d[0] * (kh - 1) + 1 + draw(st.integers(0, 6))
    w = d[1] * (kw - 1) + 1 + draw(st.integers(0, 6))
    n = draw(st.integers(1, 3))
    c_in = draw(st.sampled_from([1, 3, 16])) if not both else draw(st.sampled_from([1, 3]))
    c_out = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, h, w, c_in))
    kernel = rng.standard_normal((kh, kw, c_in, c_out))
    return x, kernel, s, padding, d, rng


@SETTINGS
@given(case=conv_cases())
def test_conv_gradients_match_gradient_tape(case):
    x, kernel, s, padding, d, rng = case
    bias = rng.standard_normal(kernel.shape[3])
    out = conv.conv2d(x, kernel, bias, s, padding, d)
    g = rng.standard_normal(out.shape)
    axes = conv.conv_output_hw(x.shape[1:3], kernel.shape[:2], s, padding, d)
    tx, tk, tb = tf.Variable(x), tf.Variable(kernel), tf.Variable(bias)
    with tf.GradientTape() as tape:
        tin, pad = (tx, padding.upper()) if isinstance(padding, str) else (tf.pad(tx, tf_padding(padding, axes)), "VALID")
        # tf.nn.convolution: dilation through space_to_batch (the raw CPU kernel's gradient refuses it)
        y = tf.nn.convolution(tin, tk, strides=list(s), padding=pad, dilations=list(d)) + tb
        loss = tf.reduce_sum(y * g)
    dx, dk, db = tape.gradient(loss, [tx, tk, tb])
    close(out, y.numpy())  # the forward agrees, so the reference is the same convolution
    ours = B.conv2d_backward(x, kernel, g, s, padding, d)
    close(ours.input, dx.numpy())
    close(ours.kernel, dk.numpy())
    close(ours.bias, db.numpy())


@FD
@given(case=conv_cases(both=True))
def test_conv_gradients_match_finite_differences_also_strided_and_dilated(case):
    x, kernel, s, padding, d, rng = case
    x, kernel = x[:2, :, :, :3], kernel[:, :, :3]
    g = rng.standard_normal(conv.conv2d(x, kernel, None, s, padding, d).shape)
    ours = B.conv2d_backward(x, kernel, g, s, padding, d)
    close(ours.input, P.numeric_gradient(lambda v: float(np.sum(conv.conv2d(v, kernel, None, s, padding, d) * g)), x))
    close(ours.kernel, P.numeric_gradient(lambda v: float(np.sum(conv.conv2d(x, v, None, s, padding, d) * g)), kernel))


def test_conv_float32_stays_float32():
    x = np.ones((1, 5, 5, 1), np.float32)
    k = np.ones((3, 3, 1, 2), np.float32)
    grads = B.conv2d_backward(x, k, np.ones((1, 3, 3, 2), np.float32))
    assert grads.input.dtype == grads.kernel.dtype == np.float32
    np.testing.assert_array_equal(grads.bias, [9, 9])
    # the centre input cell is read by all 9 windows through every tap: 9 * 2 filters
    assert grads.input[0, 2, 2, 0] == 18 and grads.input[0, 0, 0, 0] == 2


@SETTINGS
@given(case=conv_cases(both=True), data=st.data())
def test_traces_add_up_to_the_gradient(case, data):
    x, kernel, s, padding, d, rng = case
    image = x[0]
    g = rng.standard_normal(conv.conv2d(image[None], kernel, None, s, padding, d).shape)[0]
    full = B.conv2d_backward(image[None], kernel, g[None], s, padding, d)
    kh, kw, c_in, c_out = kernel.shape
    a, b = data.draw(st.integers(0, kh - 1)), data.draw(st.integers(0, kw - 1))
    c, f = data.draw(st.integers(0, c_in - 1)), data.draw(st.integers(0, c_out - 1))
    tr = B.kernel_grad_trace(image, kernel.shape, g, s, padding, d, a, b, c, f)
    assert tr.total == pytest.approx(full.kernel[a, b, c, f], rel=1e-9, abs=1e-9)
    assert tr.bias_total == pytest.approx(full.bias[f], rel=1e-9, abs=1e-9)
    assert np.all(tr.inputs[tr.is_padding] == 0)
    r, col = data.draw(st.integers(0, image.shape[0] - 1)), data.draw(st.integers(0, image.shape[1] - 1))
    it = B.input_grad_trace(image.shape[:2], kernel, g, s, padding, d, r, col, c)
    assert it.total == pytest.approx(full.input[0, r, col, c], rel=1e-9, abs=1e-9)
    # every term names an output cell whose window read (r, col) through its tap
    axes = conv.conv_output_hw(image.shape[:2], kernel.shape[:2], s, padding, d)
    assert np.all(it.out_rows * s[0] + it.taps_a * d[0] - axes[0].pad_before == r)
    assert np.all(it.out_cols * s[1] + it.taps_b * d[1] - axes[1].pad_before == col)


@st.composite
def pool_cases(draw):
    pool = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    strides = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    h, w = pool[0] + draw(st.integers(0, 6)), pool[1] + draw(st.integers(0, 6))
    n, c = draw(st.integers(1, 3)), draw(st.sampled_from([1, 3, 16]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ties = draw(st.booleans())  # small integers: many equal values in a window (as after ReLU)
    x = rng.integers(0, 3, (n, h, w, c)).astype(np.float64) if ties else rng.standard_normal((n, h, w, c))
    return x, pool, strides, rng


@SETTINGS
@given(case=pool_cases(), padding=st.sampled_from(["valid", "same"]), mode=st.sampled_from(["max", "avg"]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_pool_gradients_match_gradient_tape_ties_included(case, padding, mode, dtype):
    x, pool, strides, rng = case
    x = x.astype(dtype)
    out = pooling.pool2d(x, pool, strides, padding, mode)
    g = rng.standard_normal(out.shape).astype(dtype)
    layer = (keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D)(
        pool, strides, padding, dtype=np.dtype(dtype).name)
    tx = tf.Variable(x)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(tx) * g)
    ref = tape.gradient(loss, tx).numpy()
    close(B.pool2d_backward(x, g, pool, strides, padding, mode), ref)


@FD
@given(case=pool_cases(), mode=st.sampled_from(["max", "avg"]), data=st.data())
def test_pool_gradients_match_finite_differences_with_explicit_padding(case, mode, data):
    x, pool, strides, rng = case
    x = rng.standard_normal(x.shape[:1] + x.shape[1:3] + (min(x.shape[3], 3),))  # no ties: differentiable
    pads = tuple(tuple(data.draw(st.integers(0, k - 1)) for _ in range(2)) for k in pool)
    g = rng.standard_normal(pooling.pool2d(x, pool, strides, pads, mode).shape)
    ours = B.pool2d_backward(x, g, pool, strides, pads, mode)
    close(ours, P.numeric_gradient(lambda v: float(np.sum(pooling.pool2d(v, pool, strides, pads, mode) * g)), x))
    image = x[0]
    r, c = data.draw(st.integers(0, image.shape[0] - 1)), data.draw(st.integers(0, image.shape[1] - 1))
    single = B.pool2d_backward(image[None], g[:1], pool, strides, pads, mode)[0]
    tr = B.pool_grad_trace(image, g[0], pool, strides, pads, mode, r, c, 0)
    assert tr.total == pytest.approx(single[r, c, 0], abs=1e-12)
    if mode == "max":
        assert set(tr.shares) <= {0.0, 1.0}


def test_max_pool_ties_go_to_the_first_cell_and_same_average_counts_real_cells():
    x = np.zeros((1, 2, 2, 1))
    np.testing.assert_array_equal(B.pool2d_backward(x, np.ones((1, 1, 1, 1)), 2)[0, :, :, 0], [[1, 0], [0, 0]])
    ones = np.ones((1, 3, 3, 1))
    grad = B.pool2d_backward(ones, np.ones((1, 2, 2, 1)), 2, 2, "same", "avg")[0, :, :, 0]
    # windows: 4 cells, 2 cells (right edge), 2 (bottom), 1 (corner)
    np.testing.assert_allclose(grad, [[0.25, 0.25, 0.5], [0.25, 0.25, 0.5], [0.5, 0.5, 1.0]])


@SETTINGS
@given(case=pool_cases(), mode=st.sampled_from(["max", "avg"]))
def test_global_pools_match_gradient_tape(case, mode):
    x, _, _, rng = case
    g = rng.standard_normal((x.shape[0], x.shape[3]))
    layer = keras.layers.GlobalMaxPooling2D(dtype="float64") if mode == "max" else \
        keras.layers.GlobalAveragePooling2D(dtype="float64")
    tx = tf.Variable(x)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(tx) * g)
    close(B.global_pool_backward(x, g, mode), tape.gradient(loss, tx).numpy())


@SETTINGS
@given(n=st.integers(1, 4), d=st.integers(1, 20), u=st.integers(1, 6), seed=st.integers(0, 2**32 - 1),
       activation=st.sampled_from(["relu", "sigmoid", "tanh", "elu", "linear", "leaky_relu"]))
def test_dense_and_activations_match_gradient_tape(n, d, u, seed, activation):
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((n, d)), rng.standard_normal((d, u)), rng.standard_normal(u)
    x[0, 0] = 0.0  # the derivative at exactly 0, where TensorFlow picks a side
    g = rng.standard_normal((n, u))
    kact = {"leaky_relu": lambda v: tf.nn.leaky_relu(v, 0.2)}.get(activation, keras.activations.get(activation))
    tx, tw, tb = tf.Variable(x), tf.Variable(w), tf.Variable(b)
    with tf.GradientTape(persistent=True) as tape:
        z = tf.matmul(tx, tw) + tb
        loss = tf.reduce_sum(z * g)
        act = kact(tx)
        loss2 = tf.reduce_sum(act * x)
    grads = B.dense_backward(x, w, g)
    close(grads.input, tape.gradient(loss, tx).numpy())
    close(grads.weights, tape.gradient(loss, tw).numpy())
    close(grads.bias, tape.gradient(loss, tb).numpy())
    # (TensorFlow keeps the leaky slope 0.2 as a float32 number: 1e-7 apart)
    np.testing.assert_allclose(apply_activation(activation, x), act.numpy(), rtol=1e-7, atol=1e-15)
    close(B.activation_backward(activation, x, x), tape.gradient(loss2, tx).numpy())


@SETTINGS
@given(n=st.integers(1, 4), k=st.integers(2, 10), seed=st.integers(0, 2**32 - 1))
def test_softmax_and_cross_entropy_match_gradient_tape(n, k, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, (n, k))
    labels = rng.integers(0, k, n)
    g = rng.standard_normal((n, k))
    tz = tf.Variable(z)
    with tf.GradientTape(persistent=True) as tape:
        p = tf.nn.softmax(tz)
        loss_p = tf.reduce_sum(p * g)
        ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, tz))  # float64 throughout
    probs = softmax(z)
    close(B.softmax_backward(probs, g), tape.gradient(loss_p, tz).numpy())
    loss, dz = B.softmax_cross_entropy_backward(z, labels)
    assert loss == pytest.approx(float(ce.numpy()), rel=1e-9)
    close(dz, tape.gradient(ce, tz).numpy())
    jac = B.softmax_jacobian(probs[0])
    np.testing.assert_allclose(np.diag(jac), probs[0] * (1 - probs[0]))
    i, j = 0, 1
    assert jac[i, j] == pytest.approx(-probs[0, i] * probs[0, j])
    np.testing.assert_allclose(g[0] @ jac, B.softmax_backward(probs[:1], g[:1])[0], atol=1e-12)


@SETTINGS
@given(spatial=st.booleans(), channels=st.sampled_from([1, 3, 16]), epsilon=st.sampled_from([1e-3, 1e-5, 0.1]),
       seed=st.integers(0, 2**32 - 1))
def test_batchnorm_training_gradients_match_gradient_tape(spatial, channels, epsilon, seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 4)), 3, 5, channels) if spatial else (int(rng.integers(2, 6)), channels)
    x = rng.normal(1.0, 2.0, shape)
    gamma, beta = rng.normal(1, 0.5, channels), rng.normal(0, 1, channels)
    g = rng.standard_normal(shape)
    layer = keras.layers.BatchNormalization(epsilon=epsilon, dtype="float64")
    layer.build((None,) + shape[1:])
    layer.set_weights([gamma, beta, np.zeros(channels), np.ones(channels)])
    tx = tf.Variable(x)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(tx, training=True) * g)
    dx, dgamma, dbeta = tape.gradient(loss, [tx, layer.gamma, layer.beta])
    ours = B.batchnorm_backward(x, gamma, g, epsilon)
    close(ours.input, dx.numpy())
    close(ours.gamma, np.asarray(dgamma))
    close(ours.beta, np.asarray(dbeta))
    assert ours.m == int(np.prod(shape[:-1]))


def test_batchnorm_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    x, gamma, g = rng.normal(size=(3, 2, 2, 2)), np.array([1.5, -0.5]), rng.normal(size=(3, 2, 2, 2))

    def loss(v, gam=gamma):
        state = batchnorm.BatchNormState(gam, np.zeros(2), np.zeros(2), np.ones(2))
        return float(np.sum(batchnorm.batchnorm(v, state, training=True).output * g))

    ours = B.batchnorm_backward(x, gamma, g)
    close(ours.input, P.numeric_gradient(loss, x))
    close(ours.gamma, P.numeric_gradient(lambda gam: loss(x, gam), gamma))


def test_dropout_uses_the_same_mask():
    x = np.arange(12.0).reshape(3, 4)
    y, keep = dropout.dropout(x, 0.5, seed=1)
    g = np.ones_like(x)
    grad = B.dropout_backward(g, keep, 0.5)
    np.testing.assert_array_equal(grad, np.where(keep, 2.0, 0.0))
    close(grad * x, y)  # y = x * keep / (1 - rate): dy/dx is the same factor
    raises_key("bad_rate", B.dropout_backward, g, keep, 1.0)


def test_flatten_is_a_reshape():
    g = np.arange(24.0).reshape(1, 24)
    np.testing.assert_array_equal(B.flatten_backward(g, (1, 2, 3, 4)), g.reshape(1, 2, 3, 4))
    raises_key("bad_shape", B.flatten_backward, g, (1, 2, 3, 3))


# ------------------------------------------------------------------ a whole network


def keras_copy(steps, shape):
    """A Keras model with the steps' weights (hand-made network: conv, relu, max-pool, flatten, dense;
    the rescale is applied to its input: Keras' Rescaling keeps its factor in float32)."""
    conv_step, dense_step = steps[1], steps[5]
    model = keras.Sequential([
        keras.layers.Input(shape, dtype="float64"),
        keras.layers.Conv2D(conv_step.kernel.shape[3], 3, activation="relu", dtype="float64"),
        keras.layers.MaxPooling2D(2, dtype="float64"), keras.layers.Flatten(dtype="float64"),
        keras.layers.Dense(dense_step.weights.shape[1], dtype="float64")])
    model.layers[0].set_weights([conv_step.kernel, conv_step.bias])
    model.layers[3].set_weights([dense_step.weights, dense_step.bias])
    return model


def small_network(size=10, units=4, seed=0):
    rng = np.random.default_rng(seed)
    steps = forward.handmade_steps((size, size, 1), units, seed=seed)
    steps[1] = forward.Step("conv", kernel=rng.normal(0, 1, (3, 3, 1, 3)), bias=rng.normal(0, 0.1, 3))
    image = rng.uniform(0, 255, (size, size, 1))
    return steps, image


def test_network_gradients_match_a_keras_copy_under_gradient_tape():
    steps, image = small_network()
    model = keras_copy(steps, image.shape)
    with tf.GradientTape() as tape:
        logits = image[None] * steps[0].factor
        for layer in model.layers:  # layer by layer: the Sequential would cast to its float32 policy
            logits = layer(logits)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits([2], logits))
    ref = tape.gradient(loss, model.trainable_weights)
    stages, grads = P.gradients(image, steps, 2)
    assert grads.loss == pytest.approx(float(loss.numpy()), rel=1e-10)
    for got, want in zip([grads.param_grads[2]["kernel"], grads.param_grads[2]["bias"],
                          grads.param_grads[6]["weights"], grads.param_grads[6]["bias"]], ref):
        close(got, want.numpy())
    assert [g.shape for g in grads.stage_grads] == [s.values.shape for s in stages]
    np.testing.assert_allclose(grads.stage_grads[-2], grads.probs - np.eye(4)[2])
    # softmax's own backward of dL/dp = -y/p gives the same p - y
    np.testing.assert_allclose(B.softmax_backward(grads.probs, grads.stage_grads[-1]), grads.stage_grads[-2],
                               atol=1e-9)


def test_gradient_check_agrees_for_every_kind_of_weight():
    steps, image = small_network()
    for index, name in P.trainable(steps):
        shape = np.shape(getattr(steps[index], name))
        check = P.gradient_check(image, steps, 1, index, name, tuple(s // 2 for s in shape), h=1e-5)
        assert check.numeric == pytest.approx(check.analytic, rel=1e-5, abs=1e-8), (index, name)


def test_descend_lowers_the_loss_with_sgd_and_adam_and_stops_on_divergence():
    steps, image = small_network()
    sgd = P.descend(image, steps, 1, P.optimizer_factory("sgd", 0.01), 5)
    assert not sgd.diverged and sgd.losses.shape == (6,) and sgd.losses[-1] < sgd.losses[0]
    assert sgd.kernels.shape == (6, 3, 3, 1, 3)
    # the first SGD step is w - lr * grad for every weight
    first = P.descend(image, steps, 1, P.optimizer_factory("sgd", 0.01), 1)
    _, grads = P.gradients(image, steps, 1)
    np.testing.assert_allclose(first.steps_after[1].kernel, steps[1].kernel - 0.01 * grads.param_grads[2]["kernel"])
    adam = P.descend(image, steps, 1, P.optimizer_factory("adam", 0.01), 5)
    assert adam.losses[-1] < adam.losses[0]
    assert set(adam.records[0]) >= {"m", "v", "m_hat", "v_hat"}
    expected = optimizers.Adam(0.01).step(steps[1].kernel, grads.param_grads[2]["kernel"])
    np.testing.assert_allclose(P.descend(image, steps, 1, P.optimizer_factory("adam", 0.01), 1).steps_after[1].kernel,
                               expected)
    huge = P.descend(image, steps, 1, P.optimizer_factory("sgd", 1e12), 5)
    assert huge.diverged and huge.diverged_at == 1 and huge.losses.shape == (1,)
    raises_key("bad_hyperparameter", P.optimizer_factory, "sgd", float("nan"))
    raises_key("bad_hyperparameter", P.descend, image, steps, 1, P.optimizer_factory("sgd", 0.1), -1)


def test_bad_input_raises_engine_errors():
    x, k = np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1))
    raises_key("bad_shape", B.conv2d_backward, x, k, np.ones((1, 3, 3, 1)))
    raises_key("nonfinite", B.conv2d_backward, x, k, np.full((1, 2, 2, 1), np.nan))
    raises_key("channel_mismatch", B.conv2d_backward, x, np.ones((3, 3, 2, 1)), np.ones((1, 2, 2, 1)))
    raises_key("bad_shape", B.pool2d_backward, x, np.ones((1, 3, 3, 1)))
    raises_key("bad_mode", B.pool2d_backward, x, np.ones((1, 2, 2, 1)), mode="min")
    raises_key("position_out_of_range", B.kernel_grad_trace, x[0], k.shape, np.ones((2, 2, 1)), a=3)
    raises_key("channel_out_of_range", B.input_grad_trace, (4, 4), k, np.ones((2, 2, 1)), channel=1)
    raises_key("bad_mode", B.activation_derivative, "swish", x)
    steps, image = small_network()
    raises_key("channel_out_of_range", P.gradients, image, steps, 7)
    raises_key("bad_mode", P.gradient_check, image, steps, 1, 0, "kernel", (0,))
    raises_key("bad_hyperparameter", P.gradient_check, image, steps, 1, 1, "bias", (9,))
    raises_key("bad_hyperparameter", P.gradient_check, image, steps, 1, 1, "bias", (0,), h=0.0)
    raises_key("bad_mode", P.network_backward, forward.run(image, steps[:-1]), 0)
