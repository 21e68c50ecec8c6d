"""engine.learn.models: presets and built models agree with Keras (model.summary, count_params, output
shapes), specs are validated, the generated Keras code builds the same model, feature maps match
the engine's own convolution, and .keras files round-trip (bad files give clear errors)."""
import io
import os
import zipfile

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, assume, given, settings, strategies as st  # noqa: E402

from engine import config  # noqa: E402
from engine.errors import EngineError  # noqa: E402
from engine.learn import models  # noqa: E402
from engine.learn.models import ConvBlock, DenseLayer, ModelSpec  # noqa: E402
from engine.ops import conv  # noqa: E402
from engine.ops.activations import relu  # noqa: E402
from engine.shapes import layers  # noqa: E402


def summary_lines(model) -> dict[str, str]:
    """model.summary()'s table line of each layer, by layer name (rich needs a wide console)."""
    lines: list[str] = []
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "220"
    try:
        model.summary(print_fn=lambda text, **_: lines.extend(text.splitlines()), line_length=160)
    finally:
        os.environ.pop("COLUMNS") if old is None else os.environ.__setitem__("COLUMNS", old)
    rows = {line.split()[1]: line for line in lines if line.startswith("│ ") and "(" in line}
    rows["total"] = next(line for line in lines if "Total params" in line)
    return rows


def assert_matches_keras(spec, shape, classes):
    rows = models.summary(spec, shape, classes)
    model = models.build_keras(spec, shape, classes)
    assert [r.name for r in rows] == [layer.name for layer in model.layers]
    for row, layer in zip(rows, model.layers):
        assert row.output_shape == tuple(layer.output.shape[1:]), row.name
        assert row.params == layer.count_params(), row.name
    total, trainable, frozen = layers.totals(rows)
    assert total == model.count_params()
    table = summary_lines(model)
    for row in rows:  # the very numbers model.summary() prints
        cells = [cell.strip() for cell in table[row.name].split("│")]
        assert cells[2] == f"(None, {', '.join(map(str, row.output_shape))})", row.name
        assert cells[3] == f"{row.params:,}", row.name
    assert f"Total params: {total:,}" in table["total"]
    return rows, model


@pytest.mark.parametrize("name", models.PRESET_NAMES)
@pytest.mark.parametrize("shape,classes", [((24, 24, 1), 3), ((28, 28, 1), 10), ((32, 32, 3), 4)])
def test_presets_match_keras(name, shape, classes):
    assert_matches_keras(models.PRESETS[name], shape, classes)


def test_notes_numbers():
    # 004: the MNIST CNN has 93,322 parameters; 001's shapes CNN ends in (None, 3)
    rows = models.summary(models.PRESETS["mnist_notes"], (28, 28, 1), 10)
    assert layers.totals(rows)[0] == 93_322
    assert [r.output_shape for r in rows][:5] == [(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (3, 3, 64)]
    assert rows[0].formula == "(3×3×1 + 1) × 32 = 320"
    shapes = models.summary(models.PRESETS["shapes_notes"], (24, 24, 1), 3)
    assert [r.output_shape for r in shapes] == [(22, 22, 32), (20, 20, 64), (10, 10, 64), (6400,), (128,), (3,)]


blocks = st.builds(ConvBlock, filters=st.integers(1, 6), kernel=st.integers(1, 4),
                   activation=st.sampled_from(models.ACTIVATIONS), padding=st.sampled_from(models.PADDINGS),
                   pool=st.sampled_from(models.POOLS), batchnorm=st.booleans(),
                   dropout=st.sampled_from([0.0, 0.25]))
denses = st.builds(DenseLayer, units=st.integers(1, 9), activation=st.sampled_from(models.ACTIVATIONS),
                   dropout=st.sampled_from([0.0, 0.5]))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(blocks, min_size=1, max_size=3), st.lists(denses, max_size=2),
       st.sampled_from(models.HEADS), st.integers(8, 20), st.sampled_from([1, 3]), st.integers(2, 5))
def test_generated_specs_match_keras(bs, ds, head, side, channels, classes):
    spec = ModelSpec(tuple(bs), tuple(ds), head)
    try:
        models.summary(spec, (side, side, channels), classes)
    except EngineError as err:
        assert err.key in ("kernel_too_large", "pool_too_large")
        assume(False)
    assert_matches_keras(spec, (side, side, channels), classes)


@pytest.mark.parametrize("block,name", [
    (ConvBlock(filters=0), "filters"), (ConvBlock(filters=3.5), "filters"), (ConvBlock(kernel=9), "kernel"),
    (ConvBlock(activation="swish"), "activation"), (ConvBlock(padding="full"), "padding"),
    (ConvBlock(pool="sum"), "pool"), (ConvBlock(dropout=0.95), "dropout"), (ConvBlock(filters=None), "filters"),
])
def test_bad_block_values_are_refused(block, name):
    with pytest.raises(EngineError) as err:
        models.checked(ModelSpec((block,)))
    assert err.value.key == "bad_hyperparameter" and err.value.params["name"] == name


def test_editor_floats_are_accepted_and_counts_capped():
    spec = models.checked(ModelSpec((ConvBlock(filters=16.0, kernel=3.0),), (DenseLayer(units=8.0),)))
    assert spec.blocks[0].filters == 16 and isinstance(spec.blocks[0].filters, int)
    with pytest.raises(EngineError):
        models.checked(ModelSpec(()))
    with pytest.raises(EngineError):
        models.checked(ModelSpec((ConvBlock(),) * (config.MAX_CONV_BLOCKS + 1)))


def test_parameter_cap(monkeypatch):
    monkeypatch.setattr(config, "MAX_PARAMS", 10_000)
    with pytest.raises(EngineError) as err:
        models.summary(models.PRESETS["shapes_notes"], (24, 24, 1), 3)
    assert err.value.key == "too_many_params" and err.value.params["params"] == "838,531"


def test_window_that_no_longer_fits_is_explained():
    spec = ModelSpec((ConvBlock(8, 5), ConvBlock(8, 5)))
    with pytest.raises(EngineError) as err:
        models.summary(spec, (8, 8, 1), 2)
    assert err.value.key in ("kernel_too_large", "pool_too_large")


def test_add_block_doubles_filters():
    spec = models.add_block(models.PRESETS["tiny"])
    assert len(spec.blocks) == 2 and spec.blocks[1].filters == 16


def test_generated_keras_code_builds_the_same_model():
    spec = models.PRESETS["bn_dropout"]
    code = models.keras_code(spec, (24, 24, 1), 3, "rmsprop", 0.01, "integer")
    scope: dict = {}
    exec(code, scope)  # noqa: S102 - our own generated code
    assert scope["model"].count_params() == models.build_keras(spec, (24, 24, 1), 3).count_params()
    assert scope["model"].loss == "sparse_categorical_crossentropy"
    assert "Dropout(0.4)" in code and "padding='same'" in code


def test_sparse_and_categorical_losses_are_the_same_number():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], dtype=np.float32)
    labels = np.array([0, 2])
    onehot = np.eye(3, dtype=np.float32)[labels]
    cat = keras.losses.get(models.loss_name("onehot"))(onehot, probs)
    sparse = keras.losses.get(models.loss_name("integer"))(labels, probs)
    np.testing.assert_allclose(np.asarray(cat), np.asarray(sparse), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(cat), -np.log([0.7, 0.6]), rtol=1e-5)
    with pytest.raises(EngineError):
        models.loss_name("binary")


@pytest.fixture(scope="module")
def small_model():
    keras.utils.set_random_seed(1)
    return models.build_keras(ModelSpec((ConvBlock(4, 3, pool="max"), ConvBlock(3, 3, padding="same", pool="avg")),
                                        (DenseLayer(5),)), (12, 12, 1), 3)


def test_feature_maps_match_the_engine_convolution(small_model):
    image = np.random.default_rng(0).uniform(0, 255, (12, 12, 1))
    maps = models.feature_maps(small_model, image)
    assert [(n, k) for n, k, _ in maps] == [("conv2d", "Conv2D"), ("max_pooling2d", "MaxPooling2D"),
                                             ("conv2d_1", "Conv2D"), ("average_pooling2d", "AveragePooling2D")]
    rows = models.summary(ModelSpec((ConvBlock(4, 3, pool="max"), ConvBlock(3, 3, padding="same", pool="avg")),
                                    (DenseLayer(5),)), (12, 12, 1), 3)
    shapes = {r.name: r.output_shape for r in rows}
    assert all(a.shape == shapes[n] for n, _, a in maps)
    kernel, bias = small_model.layers[0].get_weights()
    expected = relu(conv.conv2d((image / 255.0)[None], kernel.astype(np.float64), bias.astype(np.float64))[0])
    np.testing.assert_allclose(maps[0][2], expected, atol=1e-5)
    assert models.first_filters(small_model).shape == (3, 3, 1, 4)


def test_predict_rescales_and_sums_to_one(small_model):
    probs = models.predict(small_model, np.full((5, 12, 12, 1), 255.0))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    direct = np.asarray(small_model(np.ones((5, 12, 12, 1), np.float32)))
    np.testing.assert_allclose(probs, direct, rtol=1e-5)


def test_keras_file_round_trip_keeps_weights_and_names(small_model):
    data = models.save_bytes(small_model, ("cat", "dog", "frog"))
    loaded = models.load_bytes(data)
    assert loaded.class_names == ("cat", "dog", "frog") and loaded.input_shape == (12, 12, 1)
    x = np.random.default_rng(2).uniform(0, 255, (3, 12, 12, 1))
    np.testing.assert_allclose(models.predict(loaded.model, x), models.predict(small_model, x), rtol=1e-5)
    rows = models.spec_rows(loaded.model)
    assert [r.params for r in rows] == [layer.count_params() for layer in small_model.layers]
    assert rows[0].formula.startswith("(3×3×1 + 1) × 4")


def test_plain_keras_file_gets_numbered_classes(small_model, tmp_path):
    path = tmp_path / "m.keras"
    small_model.save(path)
    loaded = models.load_bytes(path.read_bytes())
    assert loaded.class_names == ("0", "1", "2") and "numbered_classes" in loaded.notes


def zip_bytes(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buf.getvalue()


@pytest.mark.parametrize("data", [b"not a model at all", b"", zip_bytes({"x.txt": "hi"}),
                                  zip_bytes({"config.json": "{nonsense", "metadata.json": "{}"})])
def test_files_that_are_not_models_are_refused(data):
    with pytest.raises(EngineError) as err:
        models.load_bytes(data)
    assert err.value.key == "model_file_unreadable"


def test_oversized_model_file_is_refused_before_loading(small_model, monkeypatch):
    data = models.save_bytes(small_model, ("a", "b", "c"))
    monkeypatch.setattr(config, "MAX_MODEL_BYTES", 1000)
    with pytest.raises(EngineError) as err:
        models.load_bytes(data)
    assert err.value.key == "upload_too_large"


def test_model_that_is_not_an_image_classifier_is_refused(tmp_path):
    model = keras.Sequential([keras.Input((7,)), keras.layers.Dense(3, activation="softmax")])
    path = tmp_path / "dense.keras"
    model.save(path)
    with pytest.raises(EngineError) as err:
        models.load_bytes(path.read_bytes())
    assert err.value.key == "model_not_classifier"
