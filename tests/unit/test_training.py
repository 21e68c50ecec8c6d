"""engine.learn.training: splits, labels, scores, augmentation and the background job (progress, stop,
time limit, server-wide cap, seeds). Tiny models and data only: every job trains in about a second."""
import os
import threading

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from engine import config  # noqa: E402
from engine.data import datasets  # noqa: E402
from engine.errors import EngineError  # noqa: E402
from engine.learn import models, training  # noqa: E402
from engine.learn.training import AugmentOptions, TrainSettings  # noqa: E402
from engine.ops import losses  # noqa: E402
from tests.app.figure_data import array  # noqa: E402

TINY = models.PRESETS["tiny"]


@pytest.fixture(scope="module")
def shapes_split():
    images, labels = datasets.make_shapes(20, datasets.ShapeOptions(size=16), seed=3)
    return training.make_split(images, labels, datasets.SHAPE_CLASSES, 0.2, 0.2, seed=0)


def run(data, settings=TrainSettings(epochs=2, batch_size=16), spec=TINY, slots=None):
    job = training.TrainingJob(data, spec, settings, **({"slots": slots} if slots else {})).start()
    assert job.wait(120)
    return job


# ------------------------------------------------------------------ data


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=80), st.floats(0, 0.5), st.floats(0, 0.5),
       st.integers(0, 99))
def test_split_is_a_stratified_partition(labels, val, test, seed):
    labels = np.array(labels)
    train_i, val_i, test_i = training.split_indices(labels, val, test, seed)
    together = np.concatenate([train_i, val_i, test_i])
    assert sorted(together.tolist()) == list(range(len(labels)))
    for c in np.unique(labels):  # every class keeps at least one training image
        n = int(np.sum(labels == c))
        assert np.sum(labels[train_i] == c) >= 1
        assert np.sum(labels[test_i] == c) == min(round(n * test), n - 1)


def test_split_sizes_and_fixed_test_set():
    labels = np.repeat(np.arange(3), 10)
    images = np.zeros((30, 4, 4, 1))
    split = training.make_split(images, labels, ("a", "b", "c"), 0.2, 0.3, seed=1)
    assert split.sizes == (15, 6, 9) and split.input_shape == (4, 4, 1) and split.classes == 3
    fixed = training.make_split(images, labels, ("a", "b", "c"), 0.2, 0.3, seed=1,
                                test=(np.ones((5, 4, 4, 1)), np.zeros(5, int)))
    assert fixed.sizes == (24, 6, 5)
    with pytest.raises(EngineError):
        training.split_indices(labels, 0.7, 0.1)


def test_one_hot_and_counts():
    np.testing.assert_array_equal(losses.one_hot(np.array([2, 0]), 3, np.float32), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(training.class_counts(np.array([0, 2, 2]), 4), [1, 0, 2, 0])
    with pytest.raises(EngineError) as err:
        losses.one_hot(np.array([3]), 3)
    assert err.value.key == "bad_label"


def test_confusion_matrix_and_per_class_accuracy():
    labels = np.array([0, 0, 1, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 0, 0])
    cm = training.confusion_matrix(labels, predicted, 4)
    brute = np.zeros((4, 4), int)
    for t, p in zip(labels, predicted):
        brute[t, p] += 1
    np.testing.assert_array_equal(cm, brute)
    acc = training.per_class_accuracy(cm)
    np.testing.assert_allclose(acc[:3], [0.5, 2 / 3, 0.0])
    assert np.isnan(acc[3])  # no test image of class 3


# ------------------------------------------------------------------ augmentation


def test_every_replacement_in_the_mapping_table_exists_in_keras():
    for _, new, _ in training.IDG_TO_KERAS:
        for token in new.replace("(", " ").replace(".", " ").split():
            if token.startswith("Random") or token == "Rescaling":
                assert hasattr(keras.layers, token), token
    assert hasattr(keras.utils, "image_dataset_from_directory")
    assert not hasattr(keras.preprocessing.image, "ImageDataGenerator")  # gone in Keras 3


def test_preview_flip_only_gives_the_image_or_its_mirror():
    image = np.arange(36, dtype=float).reshape(6, 6, 1) * 7
    copies = training.augment_preview(image, AugmentOptions(horizontal_flip=True), count=12, seed=1)
    assert copies.shape == (12, 6, 6, 1)
    kinds = {("same" if np.allclose(c, image, atol=1e-3) else
              "mirror" if np.allclose(c, image[:, ::-1], atol=1e-3) else "other") for c in copies}
    assert kinds == {"same", "mirror"}


def test_preview_is_seeded_and_changes_pixels():
    image = datasets.shape_image("triangle", datasets.ShapeOptions(size=16), seed=2)
    opts = AugmentOptions(rotation=40, zoom=0.3, shear=0.3, width_shift=0.2, brightness=0.2)
    a = training.augment_preview(image, opts, count=4, seed=5)
    b = training.augment_preview(image, opts, count=4, seed=5)
    np.testing.assert_allclose(a, b)
    assert not np.allclose(a[0], image[..., :]) and a.min() >= 0 and a.max() <= 255
    np.testing.assert_allclose(training.augment_preview(image, AugmentOptions(), count=2), [image, image], atol=1e-4)


def test_augmentation_code_runs_and_matches_the_layers():
    opts = AugmentOptions(rotation=30, width_shift=0.1, shear=0.2, zoom=0.5, horizontal_flip=True, brightness=0.2)
    code = training.augmentation_code(opts).split("\n")[:-1]  # without the dataset line
    scope = {"keras": keras}
    exec("\n".join(code), scope)  # noqa: S102 - our own generated code
    assert [type(layer).__name__ for layer in scope["augment"].layers] == \
        [type(layer).__name__ for layer in training.augmentation_layers(opts)]
    with pytest.raises(EngineError):
        training.augmentation_layers(AugmentOptions(zoom=2.0))


# ------------------------------------------------------------------ settings


@pytest.mark.parametrize("changes", [{"epochs": config.MAX_EPOCHS + 1}, {"epochs": 0}, {"batch_size": 0},
                                     {"optimizer": "adagrad"}, {"encoding": "binary"}, {"learning_rate": 0},
                                     {"seed": -1}, {"epochs": 2.5}])
def test_bad_settings_are_refused(changes):
    with pytest.raises(EngineError):
        training.check_settings(training.with_settings(TrainSettings(), **changes))


def test_image_cap(shapes_split, monkeypatch):
    monkeypatch.setattr(config, "MAX_TRAIN_IMAGES", 10)
    with pytest.raises(EngineError) as err:
        training.TrainingJob(shapes_split, TINY, TrainSettings())
    assert err.value.key == "too_many_images"


# ------------------------------------------------------------------ the job


def test_job_trains_records_progress_and_frees_its_slot(shapes_split):
    slots = training.TrainingSlots(1)
    job = run(shapes_split, TrainSettings(epochs=2, batch_size=8), slots=slots)
    snap = job.snapshot()
    assert snap.status == "completed" and snap.finished and snap.fraction == 1.0
    assert len(snap.history["loss"]) == len(snap.history["val_accuracy"]) == 2
    assert snap.steps_per_epoch == -(-36 // 8) and snap.batches and snap.batches[-1][0] == pytest.approx(2.0)
    assert job.model is not None and slots.active() == 0
    ev = training.evaluate(job.model, shapes_split.x_test, shapes_split.y_test)
    assert ev.probabilities.shape == (12, 3) and ev.confusion.sum() == 12
    assert 0 <= ev.accuracy <= 1 and len(training.misclassified(ev)) == int(np.sum(ev.predicted != ev.labels))


def test_same_seed_same_run_other_seed_other_run(shapes_split):
    s = TrainSettings(epochs=2, batch_size=16, seed=4, augment=AugmentOptions(rotation=20, horizontal_flip=True))
    a, b = run(shapes_split, s), run(shapes_split, s)
    np.testing.assert_allclose(a.snapshot().history["loss"], b.snapshot().history["loss"], rtol=1e-5)
    c = run(shapes_split, training.with_settings(s, seed=5))
    assert not np.allclose(a.snapshot().history["loss"], c.snapshot().history["loss"])


def test_onehot_and_integer_labels_train_identically(shapes_split):
    a = run(shapes_split, TrainSettings(epochs=1, encoding="onehot"))
    b = run(shapes_split, TrainSettings(epochs=1, encoding="integer"))
    np.testing.assert_allclose(a.snapshot().history["loss"], b.snapshot().history["loss"], rtol=1e-4)


def test_stop_ends_cleanly_and_keeps_the_model(shapes_split):
    job = training.TrainingJob(shapes_split, TINY, TrainSettings(epochs=config.MAX_EPOCHS, batch_size=4))
    job.start()
    job.stop()
    assert job.wait(120)
    snap = job.snapshot()
    assert snap.status == "stopped" and len(snap.history.get("loss", [])) <= 1
    assert job.model is not None and job.error is None


def test_time_limit_stops_the_run(shapes_split, monkeypatch):
    monkeypatch.setattr(config, "MAX_TRAIN_SECONDS", 0.0)
    job = run(shapes_split, TrainSettings(epochs=config.MAX_EPOCHS, batch_size=4))
    assert job.snapshot().status == "time_limit" and job.model is not None


def test_server_cap_says_busy_and_recovers(shapes_split):
    slots = training.TrainingSlots(1)
    assert slots.try_acquire("someone-else")
    with pytest.raises(EngineError) as err:
        training.TrainingJob(shapes_split, TINY, TrainSettings(epochs=1), slots=slots).start()
    assert err.value.key == "training_busy" and err.value.params == {"limit": 1}
    slots.release("someone-else")
    assert run(shapes_split, TrainSettings(epochs=1), slots=slots).snapshot().status == "completed"


def test_two_sessions_train_at_once_and_keep_their_seeds(shapes_split):
    s = TrainSettings(epochs=2, batch_size=8, seed=9)
    alone = run(shapes_split, s).snapshot().history["loss"]
    jobs = [training.TrainingJob(shapes_split, TINY, training.with_settings(s, seed=seed)) for seed in (9, 10)]
    threads = [threading.Thread(target=j.start) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(j.wait(120) for j in jobs)
    np.testing.assert_allclose(jobs[0].snapshot().history["loss"], alone, rtol=1e-5)


class BrokenJob(training.TrainingJob):
    """A job whose work fails (in its worker process, like a real one)."""

    def _work(self):
        raise RuntimeError("boom")


def test_a_failure_inside_the_worker_is_reported(shapes_split):
    slots = training.TrainingSlots(1)
    job = BrokenJob(shapes_split, TINY, TrainSettings(epochs=1), slots=slots).start()
    assert job.wait(120)
    assert job.snapshot().status == "failed" and job.failure_kind == "RuntimeError"
    assert job.model is None and slots.active() == 0


def test_spec_that_does_not_fit_fails_before_starting(shapes_split):
    spec = models.ModelSpec((models.ConvBlock(4, 7), models.ConvBlock(4, 7)))
    with pytest.raises(EngineError) as err:
        training.TrainingJob(shapes_split, spec, TrainSettings())
    assert err.value.key in ("kernel_too_large", "pool_too_large")


# ------------------------------------------------------------------ figures (visuals.training)


def test_tile_puts_each_channel_in_its_place_scaled_to_its_range():
    from visuals import training as tviz

    maps = np.stack([np.arange(6.0).reshape(2, 3) * (c + 1) for c in range(5)], axis=-1)  # (2, 3, 5)
    tiled, which, columns = tviz.tile(maps, columns=3)
    assert columns == 3 and tiled.shape == (2 * 3 - 1, 3 * 4 - 1)
    assert np.isnan(tiled[2]).all() and (which[2] == -1).all()  # the gap row between the tile rows
    np.testing.assert_allclose(tiled[3:5, 4:7], np.arange(6.0).reshape(2, 3) / 5)  # channel 4, 0..1
    assert which[3, 4] == 4 and np.isnan(tiled[3, 8])  # channel 5 does not exist: left empty


def test_mosaic_hover_shows_channel_and_raw_value_and_filters_are_signed():
    from visuals import training as tviz

    maps = np.random.default_rng(0).uniform(0, 3, (4, 4, 8))
    fig = tviz.mosaic(maps, "conv2d", "Channel", raw=maps).to_dict()
    custom = array(fig["data"][0]["customdata"])
    assert custom[0, 0, 0] == 0 and custom[0, 0, 1] == pytest.approx(maps[0, 0, 0])
    assert fig["data"][0]["zmax"] == 1
    kernel = np.random.default_rng(1).normal(size=(3, 3, 1, 4))
    signed = tviz.filters_figure(kernel, "", "Filter").to_dict()["data"][0]
    assert signed["zmin"] == -signed["zmax"] == pytest.approx(-np.abs(kernel).max())
    rgb = tviz.filters_figure(np.random.default_rng(2).normal(size=(3, 3, 3, 5)), "", "Filter").to_dict()
    assert [tr["type"] for tr in rgb["data"]] == ["image"] * 5


def test_curves_confusion_and_grid_figures():
    from visuals import training as tviz

    labels = {k: k for k in ("loss", "accuracy", "train", "val", "batches", "epoch")}
    history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.8], "val_loss": [1.1, 0.7], "val_accuracy": [0.4, 0.7]}
    fig = tviz.curves(history, [(0.5, 1.2, 0.4), (1.0, 1.0, 0.5)], 5, labels).to_dict()
    lines = [tr for tr in fig["data"] if tr.get("mode") == "lines+markers"]
    assert [(array(tr["x"]).tolist(), tr["xaxis"]) for tr in lines] == [([1, 2], "x"), ([1, 2], "x"), ([1, 2], "x2"), ([1, 2], "x2")]
    assert fig["layout"]["xaxis"]["range"] == [0, 5.2]
    cm = np.array([[3, 1], [0, 2]])
    heat = tviz.confusion(cm, ["a", "b"], "cm", "true", "pred").to_dict()["data"][0]
    assert np.array_equal(array(heat["z"]), cm) and heat["text"] == [["3", "1"], ["0", "2"]]
    grid = tviz.image_grid(np.zeros((3, 5, 5, 1)), ["R: a<br>P: b", "x", "y"], columns=2).to_dict()
    assert len(grid["data"]) == 3 and [a["text"] for a in grid["layout"]["annotations"]] == ["R: a<br>P: b", "x", "y"]
