"""engine.shapes.layers.summarize against keras Sequential models: shapes, parameters, totals."""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import event, given, settings, strategies as st  # noqa: E402

from engine.errors import EngineError  # noqa: E402
from engine.shapes.layers import (BatchNormSpec, Conv2DSpec, DenseSpec, DropoutSpec,  # noqa: E402
                           FlattenSpec, GlobalPoolSpec, InputSpec, PoolSpec, conv2d_params,
                           dense_params, summarize, totals)

L = keras.layers


def keras_layer(spec):
    """The keras layer a spec describes."""
    if isinstance(spec, Conv2DSpec):
        return L.Conv2D(spec.filters, spec.kernel_size, strides=spec.strides, padding=spec.padding,
                        dilation_rate=spec.dilation, use_bias=spec.use_bias,
                        activation=spec.activation)
    if isinstance(spec, PoolSpec):
        cls = L.MaxPooling2D if spec.mode == "max" else L.AveragePooling2D
        return cls(spec.pool_size, strides=spec.strides, padding=spec.padding)
    if isinstance(spec, GlobalPoolSpec):
        return L.GlobalAveragePooling2D() if spec.mode == "avg" else L.GlobalMaxPooling2D()
    if isinstance(spec, DenseSpec):
        return L.Dense(spec.units, use_bias=spec.use_bias, activation=spec.activation)
    if isinstance(spec, FlattenSpec):
        return L.Flatten()
    if isinstance(spec, BatchNormSpec):
        return L.BatchNormalization()
    return L.Dropout(spec.rate)


def keras_model(input_shape, specs):
    return keras.Sequential([keras.Input(input_shape)] + [keras_layer(s) for s in specs])


def count(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


def assert_same_as_keras(input_shape, specs):
    rows = summarize(input_shape, specs)
    model = keras_model(input_shape, specs)
    assert len(rows) == len(model.layers)
    for row, layer in zip(rows, model.layers):
        assert row.output_shape == tuple(layer.output.shape[1:]), (row, layer.name)
        assert row.params == layer.count_params(), row
        assert row.trainable == count(layer.trainable_weights), row
        assert row.non_trainable == count(layer.non_trainable_weights), row
        assert row.trainable + row.non_trainable == row.params
    total, trainable, non_trainable = totals(rows)
    assert total == model.count_params()
    assert trainable == count(model.trainable_weights)
    assert non_trainable == count(model.non_trainable_weights)
    return rows


ANIMALS = [s for f in (256, 128, 64, 32, 16)
           for s in (Conv2DSpec(f, 3, padding="same", activation="relu"), PoolSpec(pool_size=2),
                     BatchNormSpec())] + [
    FlattenSpec(), DenseSpec(100, activation="relu"), DropoutSpec(0.4),
    DenseSpec(10, activation="softmax")]
MNIST = [Conv2DSpec(32, 3, activation="relu"), PoolSpec(), Conv2DSpec(64, 3, activation="relu"),
         PoolSpec(), Conv2DSpec(64, 3, activation="relu"), FlattenSpec(),
         DenseSpec(64, activation="relu"), DenseSpec(10, activation="softmax")]
SHAPES = [Conv2DSpec(32, 3, activation="relu"), Conv2DSpec(64, 3, activation="relu"), PoolSpec(),
          FlattenSpec(), DenseSpec(128, activation="relu"), DenseSpec(3, activation="softmax")]


def test_course_animals_model():
    rows = assert_same_as_keras((150, 150, 3), ANIMALS)
    # Keras counts 427,782 / 426,790 / 992 for this stack
    assert totals(rows) == (427_782, 426_790, 992)
    assert rows[-4].output_shape == (256,)
    assert rows[0].formula == "(3×3×3 + 1) × 256 = 7168"
    assert rows[2].formula.startswith("4 × 256 = 1024")


def test_course_mnist_model():
    rows = assert_same_as_keras((28, 28, 1), MNIST)
    assert totals(rows) == (93_322, 93_322, 0)
    assert [r.output_shape for r in rows[:6]] == [(26, 26, 32), (13, 13, 32), (11, 11, 64),
                                                  (5, 5, 64), (3, 3, 64), (576,)]
    assert rows[0].formula == "(3×3×1 + 1) × 32 = 320"
    assert rows[0].macs == 26 * 26 * 32 * 9
    assert rows[6].formula == "(576 + 1) × 64 = 36928" and rows[6].macs == 576 * 64
    assert [r.receptive_field for r in rows] == [3, 4, 8, 10, 18, None, None, None]
    assert [r.name for r in rows[:4]] == ["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1"]


def test_course_shapes_model():
    rows = assert_same_as_keras((24, 24, 3), SHAPES)
    assert [r.output_shape for r in rows] == [(22, 22, 32), (20, 20, 64), (10, 10, 64), (6400,),
                                              (128,), (3,)]
    assert totals(rows)[0] == 896 + 18496 + 819328 + 387


def test_input_spec_row_and_global_pool():
    specs = [InputSpec((32, 32, 3)), Conv2DSpec(8, (3, 5), use_bias=False), GlobalPoolSpec("max"),
             DenseSpec(4, use_bias=False)]
    rows = summarize(None, specs)
    assert rows[0].kind == "input" and rows[0].output_shape == (32, 32, 3)
    assert rows[1].output_shape == (30, 28, 8) and rows[1].formula == "3×5×3 × 8 = 360"
    assert rows[1].receptive_field == (3, 5)
    assert rows[2].output_shape == (8,) and rows[2].receptive_field is None
    assert rows[3].formula == "8 × 4 = 32"
    assert_same_as_keras((32, 32, 3), specs[1:])
    assert summarize((32, 32, 3), specs)[1:] == rows[1:]


def test_param_helpers():
    assert conv2d_params(3, 3, 1, 32) == 320
    assert conv2d_params(5, 5, 16, 8, use_bias=False) == 3200
    assert dense_params(576, 64) == 36928 and dense_params(10, 3, use_bias=False) == 30


def conv_or_pool():
    conv = st.builds(
        lambda f, k, s, d, pad, bias: Conv2DSpec(f, k, strides=s if d == 1 else 1, padding=pad,
                                                  dilation=d, use_bias=bias),
        st.integers(1, 6), st.sampled_from([1, 2, 3, 5, (1, 3), (3, 2)]),
        st.sampled_from([1, 2, 3, (2, 1)]),
        st.sampled_from([1, 1, 2, 3]), st.sampled_from(["valid", "same"]), st.booleans())
    pool = st.builds(lambda m, k, s, pad: PoolSpec(m, k, s, pad), st.sampled_from(["max", "avg"]),
                     st.sampled_from([2, 3, (2, 1)]), st.sampled_from([None, 1, 2]),
                     st.sampled_from(["valid", "same"]))
    other = st.sampled_from([BatchNormSpec(), DropoutSpec(0.25)])
    return st.one_of(conv, conv, pool, other)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(4, 20), w=st.integers(4, 20), c=st.integers(1, 4),
       body=st.lists(conv_or_pool(), min_size=1, max_size=5),
       head=st.sampled_from(["flatten", "global", "dense_on_image", "none"]),
       units=st.integers(1, 7))
def test_random_stacks_match_keras(h, w, c, body, head, units):
    tail = {"flatten": [FlattenSpec(), DenseSpec(units), BatchNormSpec()],
            "global": [GlobalPoolSpec("avg"), DenseSpec(units, use_bias=False)],
            "dense_on_image": [DenseSpec(units)], "none": []}[head]
    specs = body + tail
    try:
        summarize((h, w, c), specs)
    except EngineError as err:  # the window does not fit: Keras must refuse the model too
        event("window does not fit")
        assert err.key in ("kernel_too_large", "pool_too_large")
        with pytest.raises(ValueError):
            keras_model((h, w, c), specs)
        return
    assert_same_as_keras((h, w, c), specs)


@settings(max_examples=25, deadline=None)
@given(body=st.lists(st.one_of(
    st.builds(lambda k, s, d: Conv2DSpec(1, k, strides=s if d == 1 else 1, dilation=d),
              st.integers(1, 4), st.integers(1, 2), st.integers(1, 3)),
    st.builds(lambda k, s: PoolSpec("avg", k, s), st.integers(1, 3),
              st.sampled_from([None, 1, 2]))),
    min_size=1, max_size=4))
def test_receptive_field_equals_input_support(body):
    """The input pixels that influence output (0, 0) span exactly receptive_field rows/cols.

    With all-ones kernels, zero bias and average pooling the model is linear with
    non-negative coefficients, so feeding one impulse image per input pixel reveals which
    pixels reach output (0, 0). (Forward passes only: TF's conv gradient can abort.)
    """
    size = 32
    try:
        rows = summarize((size, size, 1), body)
    except EngineError:
        return
    model = keras_model((size, size, 1), body)
    for layer in model.layers:
        if isinstance(layer, L.Conv2D):
            layer.set_weights([np.ones(layer.kernel.shape, np.float32), np.zeros(1, np.float32)])
    impulses = np.eye(size * size, dtype=np.float32).reshape(-1, size, size, 1)
    reached = keras.ops.convert_to_numpy(model(impulses))[:, 0, 0, 0] != 0
    support = np.argwhere(reached.reshape(size, size))
    extent = support.max(axis=0) + 1  # rows/cols 0 .. rf-1 for 'valid' windows
    assert rows[-1].receptive_field == extent[0] == extent[1]


@pytest.mark.parametrize("specs,key,params", [
    ([Conv2DSpec(4, 7)], "kernel_too_large", {"effective_kernel": 7, "padded_input": 5}),
    ([Conv2DSpec(4, 3, dilation=3)], "kernel_too_large",
     {"effective_kernel": 7, "padded_input": 5}),
    ([PoolSpec(pool_size=6)], "pool_too_large", {"pool": 6, "padded_input": 5}),
    ([Conv2DSpec(4, 0)], "kernel_lt_1", {"kernel": 0}),
    ([PoolSpec(pool_size=(2, 0))], "kernel_lt_1", {"kernel": (2, 0)}),
    ([Conv2DSpec(4, 3, strides=0)], "stride_lt_1", {"stride": 0}),
    ([Conv2DSpec(4, 3, dilation=0)], "dilation_lt_1", {"dilation": 0}),
    ([Conv2DSpec(4, 3, padding="full")], "bad_padding", {"padding": "full"}),
    ([PoolSpec("median")], "bad_mode", {"mode": "median"}),
    ([GlobalPoolSpec("sum")], "bad_mode", {"mode": "sum"}),
    ([Conv2DSpec(0, 3)], "bad_hyperparameter", {"name": "filters", "value": 0}),
    ([FlattenSpec(), DenseSpec(0)], "bad_hyperparameter", {"name": "units", "value": 0}),
    ([DropoutSpec(1.0)], "bad_rate", {"rate": 1.0}),
    ([FlattenSpec(), Conv2DSpec(2, 1)], "bad_shape", None),
    ([FlattenSpec(), PoolSpec()], "bad_shape", None),
    (["conv"], "bad_mode", {"mode": "str"}),
])
def test_errors(specs, key, params):
    with pytest.raises(EngineError) as e:
        summarize((5, 5, 2), specs)
    assert e.value.key == key
    if params is not None:
        assert e.value.params == params


@pytest.mark.parametrize("shape", [(5, 5), (0, 5, 2), (5.0, 5, 1), None])
def test_bad_input_shape(shape):
    with pytest.raises(EngineError) as e:
        summarize(shape, [FlattenSpec()])
    assert e.value.key == "bad_shape"
    with pytest.raises(EngineError):
        summarize((8, 8, 1), [InputSpec((8, 8, 3))])
