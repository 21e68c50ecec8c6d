"""engine.learn.transfer and visuals.transfer: task splits, freezing (frozen weights really stay put),
fine-tuning unfreezes exactly the chosen layers, parameter counts equal Keras', cached ImageNet
weights are detected without any download, and the background job runs and stops. Tiny data
and one- or two-epoch runs only."""
import hashlib
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras.src.utils.summary_utils import count_params  # noqa: E402

from engine import config  # noqa: E402
from engine.data import datasets  # noqa: E402
from engine.learn import models, training, transfer  # noqa: E402
from engine.learn.transfer import TransferSettings  # noqa: E402
from tests.unit.checks import raises_key  # noqa: E402
from visuals import transfer as tv  # noqa: E402

TINY = TransferSettings(per_class=3, source_per_class=20, pretrain_epochs=1, epochs=2, batch_size=16)


@pytest.fixture(scope="module")
def mnist():
    return datasets.load_mnist(prefer_full=False)


@pytest.fixture(scope="module")
def task(mnist):
    return transfer.make_task(mnist, "digits", TINY.per_class, TINY.source_per_class, seed=0)


@pytest.fixture(scope="module")
def pretrained(task):
    return transfer.pretrain(task, TINY)


@pytest.fixture(scope="module")
def featured(task, pretrained):
    return transfer.feature_extraction(task, TINY, pretrained[0])


def weights_of(layers):
    return [w.copy() for layer in layers for w in layer.get_weights()]


def owner(weight):
    """The name of the layer a weight belongs to (paths read "model/layer/kernel")."""
    return weight.path.split("/")[-2]


def digest(image):
    return hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()


# ------------------------------------------------------------------ tasks


def test_digit_target_split_has_the_requested_counts_and_no_source_class(mnist):
    data = transfer.make_task(mnist, "digits", 7, 30, seed=4)
    assert data.target.class_names == ("5", "6", "7", "8", "9")
    assert np.bincount(data.target.y_train, minlength=5).tolist() == [7] * 5
    assert np.bincount(data.target.y_test, minlength=5).tolist() == [config.TRANSFER_TEST_PER_CLASS] * 5
    assert set(data.target_origin.tolist()) == {5, 6, 7, 8, 9}
    assert np.array_equal(data.target_origin, data.target.y_train + 5)
    target_pool = {digest(img) for img in mnist.images_train[mnist.labels_train >= 5]}
    assert all(digest(img) in target_pool for img in data.target.x_train)
    source_pool = {digest(img) for img in mnist.images_train[mnist.labels_train < 5]}
    assert not any(digest(img) in source_pool for img in data.target.x_train)
    assert data.source.class_names == ("0", "1", "2", "3", "4")
    assert np.bincount(data.source.y_train, minlength=5).tolist() == [30] * 5
    assert len(data.target.y_val) == len(data.source.y_val) == 0


def test_shapes_target_split(mnist):
    data = transfer.make_task(mnist, "shapes", 4, 20, seed=1)
    assert data.target.class_names == datasets.SHAPE_CLASSES
    assert np.bincount(data.target.y_train, minlength=3).tolist() == [4] * 3
    assert data.target.input_shape == data.source.input_shape == (28, 28, 1)


def test_asking_for_more_images_than_there_are(mnist):
    raises_key("transfer_not_enough_images", transfer.make_task, mnist, "digits", 10_000, 20)
    raises_key("bad_mode", transfer.make_task, mnist, "letters", 5, 20)


@pytest.mark.parametrize("change, key", [({"task": "x"}, "bad_mode"), ({"base": "vgg"}, "bad_mode"),
                                         ({"per_class": 0}, "bad_hyperparameter"),
                                         ({"epochs": 1}, "bad_hyperparameter"),
                                         ({"unfreeze": 4}, "bad_hyperparameter"),
                                         ({"learning_rate": 0.0}, "bad_hyperparameter")])
def test_bad_settings(change, key):
    from dataclasses import replace

    raises_key(key, transfer.check_settings, replace(TINY, **change))


# ------------------------------------------------------------------ freezing and unfreezing


def test_feature_extraction_leaves_the_frozen_base_untouched(task, pretrained, featured):
    spec = models.PRESETS["mnist_notes"]
    source_model, run = featured[0], featured[1]
    before = weights_of(transfer.base_layers(pretrained[0], spec))
    after = weights_of(transfer.base_layers(source_model, spec))
    assert all(np.array_equal(a, b) for a, b in zip(before, after)) and len(before) == 6
    assert {owner(w) for w in source_model.trainable_weights} == {"dense", "dense_1"}
    assert run.history["val_accuracy"] and len(run.seconds) == TINY.epochs


@pytest.mark.parametrize("count, convs", [(1, ["conv2d_2"]), (2, ["conv2d_1", "conv2d_2"]),
                                          (3, ["conv2d", "conv2d_1", "conv2d_2"])])
def test_fine_tuning_unfreezes_exactly_the_chosen_layers(task, count, convs):
    spec = models.PRESETS["mnist_notes"]
    model = models.build_keras(spec, (28, 28, 1), 5)
    transfer.freeze_base(model, spec)
    unfrozen = transfer.unfreeze_top(model, spec, count)
    trainable = {owner(w) for w in model.trainable_weights}
    assert trainable == set(convs) | {"dense", "dense_1"}
    assert [n for n in unfrozen if n.startswith("conv")] == convs


def test_fine_tuning_trains_only_the_unfrozen_layers(task, featured):
    _, head_run, head_weights = featured
    model, run = transfer.fine_tune(task, TINY, head_weights, head_run)
    start = keras.models.clone_model(model)
    start.set_weights(head_weights)
    changed = {layer.name: not all(np.array_equal(a, b) for a, b in zip(layer.get_weights(),
                                                                       start.get_layer(layer.name).get_weights()))
               for layer in model.layers if layer.get_weights()}
    assert changed == {"conv2d": False, "conv2d_1": False, "conv2d_2": True, "dense": True, "dense_1": True}
    assert run.start_epoch == TINY.head_epochs
    assert len(run.history["val_accuracy"]) == TINY.epochs  # head epochs + its own
    assert run.history["val_accuracy"][:TINY.head_epochs] == head_run.history["val_accuracy"][:TINY.head_epochs]


def test_batch_norm_stays_frozen_when_its_block_is_unfrozen():
    spec = models.PRESETS["bn_dropout"]
    model = models.build_keras(spec, (28, 28, 1), 3)
    transfer.unfreeze_top(model, spec, 1)
    assert {owner(w) for w in model.trainable_weights} == {"conv2d_2", "dense", "dense_1"}


def test_parameter_counts_equal_keras(pretrained, featured):
    spec = models.PRESETS["mnist_notes"]
    model = models.build_keras(models.PRESETS["bn_dropout"], (28, 28, 1), 5)
    for candidate in (pretrained[0], featured[0], model):
        trainable, frozen = transfer.param_counts(candidate)
        assert trainable == count_params(candidate.trainable_weights)
        assert frozen == count_params(candidate.non_trainable_weights)
        assert trainable + frozen == candidate.count_params()
    run = featured[1]
    assert (run.trainable, run.frozen) == transfer.param_counts(featured[0])
    base = sum(r.params for r in models.summary(spec, (28, 28, 1), 5)[:5])
    assert run.frozen == base


# ------------------------------------------------------------------ cached ImageNet weights


def test_cached_imagenet_weights_are_detected_by_keras_file_names(tmp_path, monkeypatch):
    names = ["mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5",
             "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",  # with top: not a base
             "mobilenet_2_5_128_tf_no_top.h5", "mobilenet_9_9_128_tf_no_top.h5",
             "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "notes.txt"]
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    for name in names:
        (models_dir / name).write_bytes(b"x")
    (models_dir / "mobilenet_5_0_160_tf_no_top.h5").mkdir()  # a folder, not a file
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    found = transfer.cached_imagenet()
    assert [(w.file, w.application, w.alpha) for w in found] == [
        ("mobilenet_2_5_128_tf_no_top.h5", "mobilenet", 0.25),
        ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5", "mobilenet_v2", 0.35)]
    assert transfer.find_cached(found[1].key).path == str(models_dir / names[0])
    raises_key("transfer_weights_unreadable", transfer.find_cached, "imagenet:vgg16.h5")
    assert transfer.cached_imagenet(str(tmp_path / "missing")) == ()


def test_a_broken_cached_file_gives_the_translated_error(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "mobilenet_2_5_128_tf_no_top.h5").write_bytes(b"not hdf5")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    settings = TransferSettings(base="imagenet:mobilenet_2_5_128_tf_no_top.h5", per_class=2, epochs=2)
    raises_key("transfer_weights_unreadable", transfer.build, settings, 5, 0, pretrained=True)


# ------------------------------------------------------------------ the job


def test_job_runs_the_whole_comparison(task):
    job = transfer.TransferJob(task, TINY, slots=training.TrainingSlots(1)).start()
    assert job.wait(180)
    snap = job.snapshot()
    assert snap.status == "completed" and snap.epoch == transfer.total_epochs(TINY) and snap.fraction == 1.0
    result = job.result
    assert list(result.runs) == list(transfer.METHODS) and result.pretrain is not None
    assert result.target_names == task.target.class_names
    for method, run in result.runs.items():
        assert snap.runs[method]["val_accuracy"][-1] == run.history["val_accuracy"][-1]
        assert run.seconds_per_epoch > 0 and 0 <= run.accuracy <= 1
    assert result.runs["scratch"].frozen == 0 and result.runs["feature"].frozen > result.runs["finetune"].frozen
    assert list(result.models) == list(transfer.METHODS)  # the trained models stay, to be explained
    probs = models.predict(result.models["finetune"], task.target.x_test)
    assert np.mean(probs.argmax(1) == task.target.y_test) == pytest.approx(result.runs["finetune"].accuracy, abs=1e-6)


def test_stop_ends_the_comparison_early(task):
    slots = training.TrainingSlots(1)
    job = transfer.TransferJob(task, TINY, slots=slots)
    job.stop()
    job.start()
    assert job.wait(120)
    assert job.snapshot().status == "stopped" and slots.active() == 0
    assert job.result.runs == {} and job.result.pretrain is not None


def test_a_full_server_refuses_the_job(task):
    slots = training.TrainingSlots(1)
    assert slots.try_acquire("someone")
    raises_key("training_busy", transfer.TransferJob(task, TINY, slots=slots).start)


# ------------------------------------------------------------------ the figure


def test_comparison_figure_shows_each_run_in_its_own_panel():
    histories = {"scratch": {"accuracy": [0.2, 0.5], "val_accuracy": [0.3, 0.4]},
                 "finetune": {"accuracy": [0.6, 0.9], "val_accuracy": [0.5, 0.8]}}
    titles = {m: m.upper() for m in transfer.METHODS}
    labels = {"train": "train", "heldout": "held out", "epoch": "epoch", "accuracy": "acc", "unfrozen": "unfrozen"}
    fig = tv.comparison(histories, titles, labels, epochs=2, unfreeze_after={"finetune": 1}).to_dict()
    layout = fig["layout"]
    domains = [layout[k]["domain"] for k in ("xaxis", "xaxis2", "xaxis3")]
    assert all(0 <= a < b <= 1 for a, b in domains) and domains[0][1] < domains[1][0] < domains[2][0]
    assert [layout[k]["range"] for k in ("yaxis", "yaxis2", "yaxis3")] == [[0, 1.02]] * 3
    by_panel = {(d["xaxis"], d["name"]): list(d["y"]) for d in fig["data"]}
    assert by_panel[("x", "held out")] == [0.3, 0.4] and by_panel[("x3", "train")] == [0.6, 0.9]
    assert by_panel[("x2", "held out")] == []
    assert [a["text"] for a in layout["annotations"]][:3] == ["<b>SCRATCH</b>", "<b>FEATURE</b>", "<b>FINETUNE</b>"]
    assert layout["shapes"][0]["xref"] == "x3" and layout["shapes"][0]["x0"] == 1.5
