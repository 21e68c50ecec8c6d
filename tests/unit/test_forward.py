"""engine.lessons.forward: the staged forward pass equals a Keras model with the same weights, every
traced cell equals the stage's value, and the hand-made weights behave as documented."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from engine.errors import EngineError  # noqa: E402
from engine.lessons import forward as F  # noqa: E402
from engine.ops.activations import SoftmaxTrace  # noqa: E402


def keras_model(extra=()):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((12, 16, 2)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(4, 3, activation="relu", padding="same", strides=(1, 2)),
        keras.layers.MaxPooling2D(2, padding="same"),
        keras.layers.Conv2D(3, (2, 3)),
        keras.layers.ReLU(),
        keras.layers.AveragePooling2D(2, strides=1),
        *extra,
        keras.layers.Flatten(),
        keras.layers.Dropout(0.4),
        keras.layers.Dense(6, activation="relu"),
        keras.layers.Dense(5, activation="softmax"),
    ])
    # non-zero biases so a forgotten bias would show
    for layer in model.layers:
        weights = layer.get_weights()
        if len(weights) == 2:
            layer.set_weights([weights[0], weights[1] + 0.1])
    return model


def test_keras_model_steps_reproduce_predict_and_summary():
    model = keras_model()
    x = np.random.default_rng(0).uniform(0, 255, (12, 16, 2)).astype(np.float32)
    steps = F.steps_from_keras(model)
    assert [s.kind for s in steps] == ["scale", "conv", "relu", "pool", "conv", "relu", "pool",
                                       "flatten", "dense", "relu", "dense", "softmax"]
    stages = F.run(x, steps)
    ref = model.predict(x[None], verbose=0)[0]
    np.testing.assert_allclose(stages[-1].values, ref, rtol=1e-5, atol=1e-6)
    assert sum(s.params for s in stages) == model.count_params()
    keras_shapes = [tuple(layer.output.shape[1:]) for layer in model.layers
                    if type(layer).__name__ not in ("Dropout", "Rescaling", "ReLU")]
    ours = [s.values.shape for s in stages if s.kind in ("conv", "pool", "flatten", "dense")]
    assert ours == keras_shapes
    assert F.keras_input_shape(model) == (12, 16, 2)


def test_unsupported_layer_is_named():
    model = keras_model(extra=(keras.layers.LayerNormalization(),))
    with pytest.raises(EngineError) as info:
        F.steps_from_keras(model)
    assert info.value.key == "bad_mode" and info.value.params["mode"] == "LayerNormalization"


def test_batchnorm_and_other_activations_like_the_training_page_builds():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((10, 10, 1)),
        keras.layers.Conv2D(3, 3, activation="elu", padding="same"),
        keras.layers.AveragePooling2D(2),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.2),
        keras.layers.Conv2D(2, 3, activation="tanh"),
        keras.layers.BatchNormalization(center=False),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(4, activation="sigmoid"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    rng = np.random.default_rng(0)
    for layer in model.layers:  # trained-looking moving statistics, gamma and beta
        if type(layer).__name__ == "BatchNormalization":
            w = layer.get_weights()
            w = [rng.uniform(0.5, 1.5, a.shape) if i in (0, len(w) - 1) else rng.normal(0, 0.3, a.shape)
                 for i, a in enumerate(w)]
            layer.set_weights(w)
    x = rng.random((10, 10, 1)).astype(np.float32)
    steps = F.steps_from_keras(model)
    assert [s.kind for s in steps] == ["conv", "activation", "pool", "batchnorm", "conv", "activation",
                                       "batchnorm", "global_pool", "dense", "activation", "dense", "softmax"]
    stages = F.run(x, steps)
    np.testing.assert_allclose(stages[-1].values, model.predict(x[None], verbose=0)[0], rtol=1e-5)
    assert sum(s.params for s in stages) == model.count_params()
    t = F.trace_cell(stages, 4, (2, 3, 1))
    assert t.result == pytest.approx(t.gamma * t.x_hat + t.beta, rel=1e-9)
    assert t.result == pytest.approx(stages[4].values[2, 3, 1], rel=1e-12)
    assert t.before == stages[3].values[2, 3, 1]


def test_global_pooling_model():
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3),
                              keras.layers.Softmax()])
    x = np.random.default_rng(1).random((6, 6, 1))
    stages = F.run(x, F.steps_from_keras(model))
    np.testing.assert_allclose(stages[-1].values, model.predict(x[None], verbose=0)[0], rtol=1e-5)
    t = F.trace_cell(stages, 2, (1,))
    assert t.count == 16 and t.result == pytest.approx(stages[2].values[1])


def test_every_traced_cell_equals_its_stage():
    x = np.random.default_rng(5).uniform(0, 255, (12, 12, 1))
    stages = F.run(x, F.handmade_steps((12, 12, 1), 4, seed=3))
    assert [s.kind for s in stages] == ["input", "scale", "conv", "relu", "pool", "flatten",
                                        "dense", "softmax"]
    rng = np.random.default_rng(0)
    for stage in stages[1:]:
        v = stage.values
        for _ in range(5):
            pos = tuple(int(rng.integers(0, n)) for n in v.shape)
            t = F.trace_cell(stages, stage.index, pos)
            if isinstance(t, SoftmaxTrace):
                np.testing.assert_array_equal(t.probs, v)
            elif isinstance(t, F.FlattenTrace):
                assert stages[stage.index - 1].values[t.source] == t.result == v[pos]
            else:
                assert t.result == pytest.approx(v[pos], rel=1e-12, abs=1e-12)


def test_handmade_shapes_and_parameter_counts():
    stages = F.run(np.zeros((28, 28, 1)), F.handmade_steps((28, 28, 1), 10))
    shapes = {s.kind: s.values.shape for s in stages}
    assert shapes["conv"] == (26, 26, 3) and shapes["pool"] == (13, 13, 3)
    assert shapes["flatten"] == (507,) and shapes["softmax"] == (10,)
    params = {s.kind: s.params for s in stages}
    assert params["conv"] == 30 and params["dense"] == 508 * 10 and params["pool"] == 0
    np.testing.assert_allclose(stages[-1].values.sum(), 1.0)


def test_template_dense_scores_each_class_average_highest():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1, (3, 8))
    labels = np.repeat(np.arange(3), 20)
    feats = centres[labels] + rng.normal(0, 0.1, (60, 8))
    step = F.template_dense(feats, labels, 3)
    logits = centres @ step.weights + step.bias
    assert (logits.argmax(axis=1) == [0, 1, 2]).all()
    assert step.weights.shape == (8, 3)


def test_flat_source_is_c_order():
    assert F.flat_source((13, 13, 3), 0) == (0, 0, 0)
    assert F.flat_source((13, 13, 3), 4) == (0, 1, 1)
    assert F.flat_source((13, 13, 3), 13 * 3) == (1, 0, 0)
