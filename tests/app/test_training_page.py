"""AppTest: the training studio in both languages; tiny models trained end to end on shapes, the
MNIST subset and an uploaded zip (the background job is waited on, then the page reruns); views
show the engine's numbers; bad inputs give translated messages and never lose a trained model."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.learn import models, training
from engine.shapes import layers
from tests.app.figure_data import array, chart, chart_keys, tiles
from tests.app.helpers import assert_no_exception, open_in, open_page, shown_text
from tests.files import make_zip
from tests.files import png as _png
from ui.i18n import translate
from ui.safe_text import markdown_text

PAGE = "pages/training.py"


def png(size=(12, 10), color=(200, 40, 40), mode="RGB") -> bytes:
    return _png(color, size, mode)


def metric(at, key, lang="en"):
    label = translate(lang, key)
    return next(m.value for m in at.metric if m.label == label)


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def train(at, epochs=1, timeout=120):
    """Press Train, wait for the background job, rerun so the page collects the model."""
    at.slider(key="train_epochs").set_value(epochs).run()
    at.button(key="train_start").click().run()
    assert_no_exception(at)
    job = at.session_state["train_job"]
    assert job.wait(timeout)
    at.run()
    assert_no_exception(at)
    return job


CLASS_ZIP = make_zip({**{f"data/cat/{i}.png": png((10 + i, 12), (30 * i, 20, 200)) for i in range(6)},
                      **{f"data/dog/{i}.png": png((8, 8 + i), (200, 30 * i, 20), "L") for i in range(6)},
                      "data/notes.txt": b"not an image"})


@pytest.fixture
def at():
    page = open_page(PAGE, lang="en", timeout=120)
    assert_no_exception(page)
    return page


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_in_both_languages(lang):
    page = open_in(PAGE, lang, timeout=120)
    assert translate(lang, "train.found", n=300, k=3) in shown_text(page)


def test_default_numbers_come_from_the_engine(at):
    assert [metric(at, k) for k in ("train.n_train", "train.n_val", "train.n_test")] == ["180", "60", "60"]
    total = layers.totals(models.summary(models.PRESETS["tiny"], (24, 24, 1), 3))[0]
    assert metric(at, "train.total_params") == f"{total:,}"
    at.selectbox(key="train_preset").set_value("mnist_notes").run()
    total = layers.totals(models.summary(models.PRESETS["mnist_notes"], (24, 24, 1), 3))[0]
    assert metric(at, "train.total_params") == f"{total:,}"
    assert "categorical_crossentropy" in shown_text(at)
    at.radio(key="train_encoding").set_value("integer").run()
    assert "sparse_categorical_crossentropy" in shown_text(at)


def test_train_tiny_model_on_shapes_and_look_inside(at):
    job = train(at, epochs=2)
    result = at.session_state["train_result"]
    assert job.snapshot().status == "completed" and result.id == job.id
    assert at.session_state["trained_model"] is result.model
    assert at.session_state["trained_classes"] == ["Triangle", "Rectangle", "Circle"]
    ev = training.evaluate(result.model, result.test_images, result.test_labels)
    assert metric(at, "train.test_accuracy") == f"{ev.accuracy:.1%}"
    assert array(chart(at, "train_confusion")["data"][0]["z"]).sum() == 60
    keys = chart_keys(at)
    assert {"train_curves", "train_per_class", "train_softmax", "train_filters", "train_maps_0", "train_maps_1"} <= set(keys)
    assert chart(at, "train_maps_0")["layout"]["title"]["text"] == translate("en", "train.map_title", name="conv2d",
                                                                              kind="Conv2D", h=22, w=22, c=8)
    probs = array(chart(at, "train_softmax")["data"][0]["y"])
    np.testing.assert_allclose(probs, models.predict(result.model, result.test_images[:1])[0], rtol=1e-5)
    curves = chart(at, "train_curves")
    assert max(max(array(tr["x"]).tolist() or [0]) for tr in curves["data"]) == pytest.approx(2.0)
    at.number_input(key="train_test_index").set_value(5).run()
    assert_no_exception(at)


def test_mnist_subset_end_to_end(at):
    at.radio(key="train_source").set_value("mnist").run()
    at.slider(key="train_mnist_train").set_value(300).run()
    at.slider(key="train_mnist_test").set_value(100).run()
    text = shown_text(at)
    assert translate("en", "train.own_test_set", n=100) in text
    assert "MNIST" in text
    train(at, epochs=1)
    result = at.session_state["train_result"]
    assert result.input_shape == (28, 28, 1) and len(result.class_names) == 10
    assert metric(at, "train.test_images") == "100"
    assert chart(at, "train_maps_0")["layout"]["title"]["text"].startswith("conv2d (Conv2D): 26×26")


def test_uploaded_zip_end_to_end(at):
    at.radio(key="train_source").set_value("folders").run()
    assert translate("en", "train.folders_hint") in shown_text(at)
    at.slider(key="train_target_size").set_value(16).run()
    at.file_uploader(key="train_zip").set_value(("animals.zip", CLASS_ZIP, "application/zip")).run()
    assert_no_exception(at)
    text = shown_text(at)
    assert "class_indices = {'cat': 0, 'dog': 1}" in text
    assert translate("en", "train.skipped_other", n=1) in text
    assert translate("en", "train.upload_notes.mixed_sizes") in text
    train(at, epochs=1)
    result = at.session_state["train_result"]
    assert result.input_shape == (16, 16, 3) and result.class_names == ("cat", "dog")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_bad_zips_give_translated_messages_and_keep_the_model(lang):
    at = open_page(PAGE, lang=lang, timeout=120)
    train(at, epochs=1)
    model = at.session_state["trained_model"]
    at.radio(key="train_source").set_value("folders").run()
    cases = {
        "bomb.zip": (make_zip({"a/1.png": png(), "b/zeros.png": b"\0" * (4 * 2**20)}), "archive_suspicious_ratio"),
        "evil.zip": (make_zip({"a/1.png": png(), "../b/2.png": png()}), "archive_unsafe_path"),
        "flat.zip": (make_zip({"1.png": png(), "2.png": png()}), "no_class_folders"),
        "one.zip": (make_zip({"cats/1.png": png(), "cats/2.png": png()}), "one_class_only"),
        "text.zip": (b"this is not a zip", "archive_unreadable"),
    }
    for name, (data, key) in cases.items():
        at.file_uploader(key="train_zip").set_value((name, data, "application/zip")).run()
        assert_no_exception(at)
        assert len(at.error) == 1, name
        params = {"archive_suspicious_ratio": None, "archive_unsafe_path": {"name": markdown_text("../b/2.png")},
                  "one_class_only": {"name": "cats"}}.get(key, {})
        if params is not None:
            assert at.error[0].value == translate(lang, f"errors.{key}", **params), name
        else:
            assert at.error[0].value.startswith(translate(lang, f"errors.{key}").split("{")[0][:6]), name
    assert at.session_state["trained_model"] is model  # nothing trained was lost
    assert translate(lang, "train.inside_heading") in [h.value for h in at.header]


def test_good_zip_then_bad_zip_keeps_the_good_images(at):
    at.radio(key="train_source").set_value("folders").run()
    at.file_uploader(key="train_zip").set_value(("ok.zip", CLASS_ZIP, "application/zip")).run()
    at.file_uploader(key="train_zip").set_value(("bad.zip", b"nope", "application/zip")).run()
    assert errors(at) == [translate("en", "errors.archive_unreadable")]
    assert translate("en", "train.kept_previous") in shown_text(at)
    assert metric(at, "train.n_train") == "8"


def test_csv_and_zip_source_with_a_wrong_label_column(at):
    at.radio(key="train_source").set_value("csv").run()
    rows = "\n".join(f"{i}.png,{'cat' if i % 2 else 'dog'},{i}" for i in range(8))
    csv_data = f"file,label,id\n{rows}\nmissing.png,cat,99\n".encode()
    pictures = make_zip({f"img/{i}.png": png((9, 9), (25 * i, 9, 9)) for i in range(8)})
    at.file_uploader(key="train_csv").set_value(("labels.csv", csv_data, "text/csv")).run()
    at.file_uploader(key="train_csv_zip").set_value(("img.zip", pictures, "application/zip")).run()
    assert_no_exception(at)
    text = shown_text(at)
    assert "class_indices = {'cat': 0, 'dog': 1}" in text
    assert translate("en", "train.missing_files", n=1, names=markdown_text("missing.png")) in text
    at.selectbox(key="train_y_col").set_value("id").run()
    assert errors(at) == [translate("en", "errors.csv_bad_label_column", column="id", classes=8, rows=8)]


def test_builder_edits_change_the_summary_and_bad_cells_are_explained(at):
    key = "train_blocks_tiny"
    at.session_state[key] = {"edited_rows": {}, "added_rows": [{"filters": 4, "kernel": 3, "activation": "relu",
                                                                "padding": "same", "pool": "avg", "batchnorm": True,
                                                                "dropout": 0.25}], "deleted_rows": []}
    at.run()
    spec = models.ModelSpec((models.ConvBlock(8, 3), models.ConvBlock(4, 3, "relu", "same", "avg", True, 0.25)))
    rows = models.summary(spec, (24, 24, 1), 3)
    assert metric(at, "train.total_params") == f"{layers.totals(rows)[0]:,}"
    assert metric(at, "train.non_trainable") == "8"  # batch norm's moving mean and variance
    at.session_state[key] = {"edited_rows": {0: {"kernel": 30}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert errors(at) == [translate("en", "errors.bad_hyperparameter", name="kernel", value=30)]
    assert at.button(key="train_start").disabled


def test_augmentation_preview_and_mapping(at):
    at.checkbox(key="train_aug_hflip").check().run()
    at.slider(key="train_aug_rotation").set_value(20).run()
    assert_no_exception(at)
    grid = tiles(at, "train_aug_preview")[0]["tiles"]
    assert len(grid) == 9 and grid[0]["caption"] == translate("en", "train.original")
    assert any("RandomRotation(20 / 360" in c.value for c in at.code)


def test_changing_widgets_while_training_keeps_the_run_and_stop_keeps_the_model(at):
    at.slider(key="train_shape_count").set_value(300).run()
    at.select_slider(key="train_batch").set_value(8).run()
    at.slider(key="train_epochs").set_value(30).run()
    at.button(key="train_start").click().run()
    job = at.session_state["train_job"]
    at.slider(key="train_noise").set_value(0.1).run()  # a full rerun while the job runs
    at.selectbox(key="train_preset").set_value("bn_dropout").run()
    assert at.session_state["train_job"] is job and not job.snapshot().status == "stopped"
    assert at.button(key="train_start").disabled
    at.button(key="train_stop").click().run()
    assert job.wait(120)
    at.run()
    assert job.snapshot().status == "stopped"
    assert at.session_state["train_result"].id == job.id
    assert translate("en", "train.final.stopped") in shown_text(at)


def test_full_server_and_full_queue_says_busy_and_keeps_settings(at, monkeypatch):
    monkeypatch.setattr(training.SLOTS, "queue_limit", 0)
    held = [f"other-{i}" for i in range(training.SLOTS.limit)]
    for h in held:
        assert training.SLOTS.try_acquire(h)
    try:
        at.button(key="train_start").click().run()
        assert errors(at) == [translate("en", "errors.training_busy", limit=training.SLOTS.limit)]
        assert "train_job" not in at.session_state
    finally:
        for h in held:
            training.SLOTS.release(h)


def test_model_files_bad_then_good(at):
    train(at, epochs=1)
    good = models.save_bytes(at.session_state["trained_model"], ("a", "b", "c"))
    before = at.session_state["train_result"]
    at.file_uploader(key="train_model_file").set_value(("junk.keras", b"junk", "application/octet-stream")).run()
    assert errors(at) == [translate("en", "errors.model_file_unreadable")]
    assert at.session_state["train_result"] is before
    at.file_uploader(key="train_model_file").set_value(("mine.keras", good, "application/octet-stream")).run()
    assert_no_exception(at)
    result = at.session_state["train_result"]
    assert result.origin == "loaded" and result.class_names == ("a", "b", "c")
    assert result.evaluation is not None and "train_confusion" in chart_keys(at)


def test_page_never_imports_tensorflow_before_training():
    code = ("import sys; from tests.app.helpers import open_page; at = open_page('pages/training.py', timeout=120);"
            "assert not at.exception; print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180,
                         cwd=str(Path(__file__).resolve().parents[2]))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_upload_over_the_size_limit_is_explained(at, monkeypatch):
    from engine import config

    monkeypatch.setattr(config, "MAX_ZIP_BYTES", config.MB)
    big = make_zip({"a/noise.txt": np.random.default_rng(0).bytes(config.MB + 50_000), "b/1.png": png()})
    at.radio(key="train_source").set_value("folders").run()
    at.file_uploader(key="train_zip").set_value(("big.zip", big, "application/zip")).run()
    size = f"{len(big) / config.MB:.1f}"
    assert errors(at) == [translate("en", "errors.upload_too_large", size_mb=size, limit_mb="1")]
