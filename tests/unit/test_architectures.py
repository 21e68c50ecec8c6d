"""engine.shapes.architectures against Keras: every layer's output shape and parameter count, the total
and trainable counts (model.count_params()), for keras.applications VGG16/VGG19/ResNet50 (weights
None, small inputs) and AlexNet, GoogLeNet, SE-ResNet50 and the course models written in Keras
here; receptive fields against the gradient of a Keras copy (which input pixels reach one output);
the notes' numbers; the two comparisons; the errors."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from engine.shapes import architectures as A  # noqa: E402
from tests.unit.checks import raises_key  # noqa: E402

L = keras.layers


# ------------------------------------------------------------------ Keras references


def keras_facts(model) -> dict:
    """What the tests compare, read once so the (large) model can be freed."""
    layers = {}
    for layer in model.layers:
        trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
        layers[layer.name] = (type(layer).__name__, tuple(layer.output.shape[1:]), layer.count_params(), trainable)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return {"layers": layers, "total": model.count_params(), "trainable": trainable}


def keras_alexnet(size: int):
    x = inp = keras.Input((size, size, 3))
    x = L.Conv2D(96, 11, 4, activation="relu", name="conv1")(x)
    x = L.MaxPooling2D(3, 2, name="pool1")(x)
    x = L.Conv2D(256, 5, padding="same", groups=2, activation="relu", name="conv2")(x)
    x = L.MaxPooling2D(3, 2, name="pool2")(x)
    x = L.Conv2D(384, 3, padding="same", activation="relu", name="conv3")(x)
    x = L.Conv2D(384, 3, padding="same", groups=2, activation="relu", name="conv4")(x)
    x = L.Conv2D(256, 3, padding="same", groups=2, activation="relu", name="conv5")(x)
    x = L.MaxPooling2D(3, 2, name="pool5")(x)
    x = L.Flatten(name="flatten")(x)
    for i in (6, 7):
        x = L.Dropout(0.5, name=f"drop{i}")(L.Dense(4096, activation="relu", name=f"fc{i}")(x))
    return keras.Model(inp, L.Dense(1000, activation="softmax", name="fc8")(x))


def keras_inception(x, key):
    p = f"inception_{key}"
    f1, r3, f3, r5, f5, fp = A.INCEPTION[key]
    conv = lambda y, f, k, n: L.Conv2D(f, k, padding="same", activation="relu", name=f"{p}_{n}")(y)  # noqa: E731
    b1 = conv(x, f1, 1, "1x1")
    b2 = conv(conv(x, r3, 1, "3x3_reduce"), f3, 3, "3x3")
    b3 = conv(conv(x, r5, 1, "5x5_reduce"), f5, 5, "5x5")
    b4 = conv(L.MaxPooling2D(3, 1, padding="same", name=f"{p}_pool")(x), fp, 1, "pool_proj")
    return L.Concatenate(name=f"{p}_concat")([b1, b2, b3, b4])


def keras_googlenet(size: int):
    x = inp = keras.Input((size, size, 3))
    x = L.Conv2D(64, 7, 2, padding="same", activation="relu", name="conv1_7x7")(x)
    x = L.MaxPooling2D(3, 2, padding="same", name="pool1")(x)
    x = L.Conv2D(64, 1, activation="relu", name="conv2_reduce")(x)
    x = L.Conv2D(192, 3, padding="same", activation="relu", name="conv2_3x3")(x)
    x = L.MaxPooling2D(3, 2, padding="same", name="pool2")(x)
    for key in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"):
        x = keras_inception(x, key)
        if key in ("3b", "4e"):
            x = L.MaxPooling2D(3, 2, padding="same", name=f"pool{key[0]}")(x)
    x = L.Dropout(0.4, name="dropout")(L.GlobalAveragePooling2D(name="avg_pool")(x))
    return keras.Model(inp, L.Dense(1000, activation="softmax", name="predictions")(x))


def keras_se_block(x, p, ratio=16):
    c = x.shape[-1]
    s = L.GlobalAveragePooling2D(name=f"{p}_squeeze")(x)
    s = L.Dense(c // ratio, activation="relu", name=f"{p}_reduce")(s)
    s = L.Dense(c, activation="sigmoid", name=f"{p}_expand")(s)
    return L.Multiply(name=f"{p}_scale")([x, L.Reshape((1, 1, c), name=f"{p}_reshape")(s)])


def keras_bottleneck(x, p, filters, stride, shortcut_conv):
    bn = lambda y, n: L.BatchNormalization(epsilon=1.001e-5, name=f"{p}_{n}_bn")(y)  # noqa: E731
    short = bn(L.Conv2D(4 * filters, 1, stride, name=f"{p}_0_conv")(x), 0) if shortcut_conv else x
    y = L.Activation("relu", name=f"{p}_1_relu")(bn(L.Conv2D(filters, 1, stride, name=f"{p}_1_conv")(x), 1))
    y = L.Activation("relu", name=f"{p}_2_relu")(bn(L.Conv2D(filters, 3, padding="same", name=f"{p}_2_conv")(y), 2))
    y = keras_se_block(bn(L.Conv2D(4 * filters, 1, name=f"{p}_3_conv")(y), 3), f"{p}_se")
    return L.Activation("relu", name=f"{p}_out")(L.Add(name=f"{p}_add")([short, y]))


def keras_se_resnet50(size: int):
    x = inp = keras.Input((size, size, 3))
    x = L.Conv2D(64, 7, 2, name="conv1_conv")(L.ZeroPadding2D(3, name="conv1_pad")(x))
    x = L.Activation("relu", name="conv1_relu")(L.BatchNormalization(epsilon=1.001e-5, name="conv1_bn")(x))
    x = L.MaxPooling2D(3, 2, name="pool1_pool")(L.ZeroPadding2D(1, name="pool1_pad")(x))
    for stage, filters, blocks, stride in A.RESNET50_STAGES:
        for b in range(1, blocks + 1):
            x = keras_bottleneck(x, f"conv{stage}_block{b}", filters, stride if b == 1 else 1, b == 1)
    x = L.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inp, L.Dense(1000, activation="softmax", name="predictions")(x))


def keras_course(key: str):
    """The notes' Sequential models, written the way the notes write them."""
    conv = lambda f, pad="valid": L.Conv2D(f, (3, 3), activation="relu", padding=pad)  # noqa: E731
    pool = L.MaxPooling2D
    models = {
        "shapes_cnn": lambda: [keras.Input((24, 24, 3)), conv(32), conv(64), pool((2, 2)), L.Flatten(),
                       L.Dense(128, activation="relu"), L.Dense(3, activation="softmax")],
        "mnist_cnn": lambda: [keras.Input((28, 28, 1)), conv(32), pool((2, 2)), conv(64), pool((2, 2)), conv(64),
                      L.Flatten(), L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")],
        "animals10": lambda: [keras.Input((150, 150, 3))]
        + [layer for f in (256, 128, 64, 32, 16) for layer in (conv(f, "same"), pool(2), L.BatchNormalization())]
        + [L.Flatten(), L.Dense(100, activation="relu"), L.Dropout(0.4), L.Dense(10, activation="softmax")],
        "cats_dogs": lambda: [keras.Input((150, 150, 3))]
        + [layer for f in (32, 64, 128, 128) for layer in (conv(f), pool((2, 2)))]
        + [L.Flatten(), L.Dropout(0.5), L.Dense(512, activation="relu"), L.Dense(1, activation="sigmoid")],
    }
    return keras.Sequential(models[key]())


REFERENCES = {
    "vgg16": (64, lambda s: keras.applications.VGG16(weights=None, input_shape=(s, s, 3))),
    "vgg19": (32, lambda s: keras.applications.VGG19(weights=None, input_shape=(s, s, 3))),
    "resnet50": (64, lambda s: keras.applications.ResNet50(weights=None, input_shape=(s, s, 3))),
    "alexnet": (99, keras_alexnet),
    "googlenet": (64, keras_googlenet),
    "se_resnet50": (48, keras_se_resnet50),
}


@pytest.fixture(scope="module", params=list(REFERENCES))
def reference(request):
    """(key, size, Keras facts) of one ImageNet architecture, its model built once and freed."""
    size, make = REFERENCES[request.param]
    keras.backend.clear_session()
    facts = keras_facts(make(size))
    keras.backend.clear_session()
    return request.param, size, facts


def test_every_layer_and_the_totals_match_keras(reference):
    key, size, facts = reference
    g = A.build(key, size)
    assert g.totals()[:2] == (facts["total"], facts["trainable"])
    for name, (kind, shape, params, trainable) in facts["layers"].items():
        if kind == "InputLayer":
            continue
        node = g[name]
        assert (name, node.shape, node.params, node.trainable) == (name, shape, params, trainable)
    assert len(g.nodes) == len(facts["layers"])


@pytest.mark.parametrize("key", ["shapes_cnn", "mnist_cnn", "animals10", "cats_dogs"])
def test_course_models_match_keras_layer_by_layer(key):
    keras.backend.clear_session()
    model = keras_course(key)
    facts = keras_facts(model)
    rows = A.build(key).rows()[1:]
    assert [(n.shape, n.params, n.trainable) for n in rows] == [v[1:] for v in facts["layers"].values()]
    assert [n.name for n in rows] == list(facts["layers"])  # Keras' automatic names
    assert A.build(key).totals()[:2] == (facts["total"], facts["trainable"])


def test_the_notes_and_published_totals():
    totals = {k: A.build(k).totals()[0] for k in A.ARCHITECTURES}
    assert totals["mnist_cnn"] == 93_322 and totals["animals10"] == 427_782
    assert totals["cats_dogs"] == 3_453_121
    assert totals["vgg16"] == 138_357_544 and totals["vgg19"] == 143_667_240
    assert totals["resnet50"] == 25_636_712 and totals["alexnet"] == 60_965_224
    alex = A.build("alexnet")
    assert alex["flatten"].shape == (9216,) and alex["conv2"].formulas["params"] == "(5×5×(96/2) + 1) × 256 = 307,456"
    assert A.build("animals10")["batch_normalization"].non_trainable == 512  # 2 × 256


def test_known_receptive_fields():
    assert A.build("alexnet")["pool5"].receptive_field == 195
    vgg = A.build("vgg16")
    assert (vgg["block5_conv3"].receptive_field, vgg["block5_pool"].receptive_field) == (196, 212)
    assert A.build("resnet50")["conv5_block3_out"].receptive_field == 483
    se = A.build("se_resnet50")
    assert se["conv2_block1_se_scale"].receptive_field == A.GLOBAL
    assert se["conv2_block1_3_bn"].receptive_field == A.build("resnet50")["conv2_block1_3_bn"].receptive_field


# ------------------------------------------------------------------ receptive field by gradient


def keras_probe(g: A.Graph, last: str):
    """A Keras copy of g up to `last` with every weight 1 (max pools become average pools: the
    same window, and every pixel of it passes gradient)."""
    ones = {"kernel_initializer": "ones", "bias_initializer": "zeros"}
    made = {}
    for node in g.rows():
        ins = [made[i] for i in node.inputs]
        if node.kind == "input":
            made[node.name] = keras.Input(node.shape)
        elif node.kind == "conv":
            k, stride, pad, groups = node.window
            made[node.name] = L.Conv2D(node.units, k, stride, pad, groups=groups, **ones)(ins[0])
        elif node.kind == "pool":
            k, stride, pad, _ = node.window
            made[node.name] = L.AveragePooling2D(k, stride, pad)(ins[0])
        elif node.kind == "concat":
            made[node.name] = L.Concatenate()(ins)
        elif node.kind == "add":
            made[node.name] = L.Add()(ins)
        elif node.kind == "zero_pad":
            made[node.name] = L.ZeroPadding2D((node.shape[0] - made[node.inputs[0]].shape[1]) // 2)(ins[0])
        else:  # batch norm and activations: same window
            made[node.name] = ins[0]
        if node.name == last:
            return keras.Model(made[g.rows()[0].name], made[node.name])
    raise AssertionError(last)


def gradient_extent(model, size: int, channels: int) -> int:
    """Rows of the input that reach the centre output position (through its whole extent)."""
    x = tf.Variable(tf.ones((1, size, size, channels)))
    with tf.GradientTape() as tape:
        y = model(x)
        centre = tf.reduce_sum(y[0, y.shape[1] // 2, y.shape[2] // 2, :])
    grad = np.abs(tape.gradient(centre, x).numpy()[0]).sum(axis=(1, 2))
    rows = np.nonzero(grad > 0)[0]
    return int(rows[-1] - rows[0] + 1)


@pytest.mark.parametrize("key,last,size", [
    ("alexnet", "conv5", 227),
    ("googlenet", "inception_3a_concat", 160),
    ("resnet50", "conv2_block1_add", 96),
    ("vgg16", "block3_pool", 96),
])
def test_receptive_field_equals_the_pixels_that_reach_an_output(key, last, size):
    g = A.build(key, size)
    keras.backend.clear_session()
    assert gradient_extent(keras_probe(g, last), size, 3) == g[last].receptive_field


def test_stacked_3x3_against_5x5_and_the_inception_saving():
    c = A.stacked_vs_large(28, 1, 2)
    assert c.params() == (26, 20) and c.receptive_fields() == (5, 5)  # the notes: 5·5+1 vs (9+1)·2
    assert A.stacked_vs_large(10, 4, 3).receptive_fields() == (7, 7)
    r = A.reduction_saving(28, 192, 16, 32, 5)
    assert r.macs() == (28 * 28 * 32 * 5 * 5 * 192, 28 * 28 * 16 * 192 + 28 * 28 * 32 * 5 * 5 * 16)
    assert r.saving()[1] == pytest.approx(r.macs()[1] / r.macs()[0])


def test_knobs_change_the_numbers():
    g = A.build("vgg16", 64)
    assert g["fc1"].params == (2 * 2 * 512 + 1) * 4096
    half = A.build("vgg16", 224, 0.5)
    assert half["block1_conv1"].shape == (224, 224, 32) and half["fc1"].units == 4096
    wider = A.build("vgg16", overrides={"block1_conv1": 16})
    assert wider["block1_conv2"].params == (3 * 3 * 16 + 1) * 64
    assert A.build("resnet50", 224, 0.25).totals()[0] < A.build("resnet50").totals()[0]


def test_errors():
    raises_key("arch_input_size", A.build, "alexnet", 66)
    raises_key("arch_input_size", A.build, "vgg16", 31)
    raises_key("arch_input_size", A.build, "mnist_cnn", A.MAX_SIZE + 1)
    raises_key("bad_mode", A.build, "lenet")
    raises_key("bad_hyperparameter", A.build, "vgg16", 64, 3.0)
    raises_key("bad_hyperparameter", A.build, "vgg16", 64, 1.0, {"block1_conv1": 0})
    err = raises_key("arch_merge_mismatch", A.build, "resnet50", 64, 1.0, {"conv2_block1_3_conv": 100})
    assert "conv2_block1_0_bn" in err.params["shapes"]
    raises_key("arch_bad_groups", A.build, "alexnet", 227, 1.0, {"conv2": 255})
    raises_key("bad_hyperparameter", A.stacked_vs_large, 28, 1, 4)
    assert A.minimum_size("alexnet") == 67 and A.minimum_size("mnist_cnn") == 18
