"""engine.learn.explain against independent computations: Grad-CAM against the test's own GradientTape
over the chosen layer (Sequential, functional, and a base nested in a functional and in a
Sequential model, also after a .keras round trip), occlusion against direct predictions on
occluded copies, saliency against central finite differences on a tiny float64 model, gradient
ascent never lowering the filter's mean activation; the queued job; the filters recorded while
training. Tiny models only (8x8 inputs)."""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from engine.data import datasets  # noqa: E402
from engine.errors import EngineError  # noqa: E402
from engine.learn import explain, models, training  # noqa: E402

SIDE = 8


def seq_model(dtype="float32", act="relu"):
    keras.utils.set_random_seed(1)
    return keras.Sequential([
        keras.Input((SIDE, SIDE, 1), dtype=dtype),
        keras.layers.Conv2D(3, 3, activation=act, name="c1", dtype=dtype),
        keras.layers.AveragePooling2D(2, name="pool", dtype=dtype),
        keras.layers.Conv2D(4, 2, activation=act, name="c2", dtype=dtype),
        keras.layers.Flatten(name="flat", dtype=dtype),
        keras.layers.Dense(3, activation="softmax", name="out", dtype=dtype)])


def functional_model():
    keras.utils.set_random_seed(2)
    inp = keras.Input((SIDE, SIDE, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu", padding="same", name="f1")(inp)
    x = keras.layers.Conv2D(5, 3, activation="relu", name="f2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inp, keras.layers.Dense(3, activation="softmax", name="out")(x))


def base_model():
    inp = keras.Input((SIDE, SIDE, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", padding="same", name="b1")(inp)
    x = keras.layers.Conv2D(6, 3, activation="relu", name="b2")(x)
    return keras.Model(inp, keras.layers.GlobalAveragePooling2D(name="bgap")(x), name="base")


def nested_model():
    """Like engine.learn.transfer's ImageNet model: gray -> RGB -> -1..1 -> a nested base -> softmax."""
    keras.utils.set_random_seed(3)
    base = base_model()
    inp = keras.Input((SIDE, SIDE, 1))
    x = keras.layers.Concatenate(name="rgb")([inp, inp, inp])
    x = keras.layers.Rescaling(2.0, offset=-1.0, name="shift")(x)
    return keras.Model(inp, keras.layers.Dense(3, activation="softmax", name="out")(base(x)))


def nested_sequential():
    keras.utils.set_random_seed(4)
    return keras.Sequential([keras.Input((SIDE, SIDE, 3)), base_model(),
                             keras.layers.Dense(2, activation="softmax", name="out")])


def image(channels=1, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (SIDE, SIDE, channels)).astype(np.float32)


# ------------------------------------------------------------------ an independent Grad-CAM


def manual_forward(model, x, layer_name):
    """The test's own forward pass: layers called one by one (the nested base too), returning
    (the named layer's output, logits = the softmax layer's linear part)."""
    captured = {}

    def chain(m, h):
        for layer in m.layers:
            if isinstance(layer, keras.layers.InputLayer):
                continue
            if isinstance(layer, keras.Model):
                h = chain(layer, h)
            elif layer.name == "out":
                return h @ layer.kernel + layer.bias
            elif isinstance(layer, keras.layers.Concatenate):
                h = tf.concat([h, h, h], axis=-1)
            else:
                h = layer(h, training=False)
            if layer.name == layer_name:
                captured["a"] = h
        return h

    logits = chain(model, x)
    return captured["a"], logits


def independent_cam(model, pixels, cls, layer_name):
    x = tf.constant(models.model_inputs(model, pixels[None]))
    with tf.GradientTape() as tape:
        tape.watch(x)
        acts, logits = manual_forward(model, x, layer_name)
        score = logits[:, cls]
    grads = tape.gradient(score, acts).numpy()[0]
    a = acts.numpy()[0]
    alpha = grads.mean(axis=(0, 1))
    cam = np.maximum((a * alpha).sum(-1), 0)
    return cam, float(score.numpy()[0]), grads


CASES = [("sequential", seq_model, ("c2",), "c2", 1), ("sequential_first", seq_model, ("c1",), "c1", 1),
         ("functional", functional_model, ("f2",), "f2", 1), ("functional_first", functional_model, ("f1",), "f1", 1),
         ("nested", nested_model, ("base", "b2"), "b2", 1), ("nested_first", nested_model, ("base", "b1"), "b1", 1),
         ("nested_sequential", nested_sequential, ("base", "b2"), "b2", 3)]


@pytest.mark.parametrize("name,make,path,layer,channels", CASES, ids=[c[0] for c in CASES])
def test_grad_cam_equals_an_independent_gradient_tape(name, make, path, layer, channels):
    model = make()
    pixels = image(channels, seed=5)
    for cls in range(models.classes_of(model)):
        got = explain.grad_cam(model, pixels, cls, path)
        cam, score, grads = independent_cam(model, pixels, cls, layer)
        np.testing.assert_allclose(got.gradients, grads, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(got.cam, cam, rtol=1e-4, atol=1e-6)
        assert got.score == pytest.approx(score, rel=1e-5, abs=1e-6)
        assert got.heat.shape == (SIDE, SIDE) and got.heat.min() >= 0 and got.heat.max() <= 1 + 1e-12
        assert got.layer.path == path


def test_conv_layers_are_found_inside_nested_models():
    assert [c.name for c in explain.conv_layers(nested_model())] == ["base/b1", "base/b2"]
    assert [(c.name, c.shape) for c in explain.conv_layers(seq_model())] == [("c1", (6, 6, 3)), ("c2", (2, 2, 4))]
    assert explain.last_conv(functional_model()).path == ("f2",)


def test_nested_model_survives_a_keras_file_round_trip():
    model = nested_model()
    loaded = models.load_bytes(models.save_bytes(model, ("a", "b", "c"))).model
    pixels = image(seed=9)
    np.testing.assert_allclose(explain.grad_cam(loaded, pixels, 2, ("base", "b2")).cam,
                               explain.grad_cam(model, pixels, 2, ("base", "b2")).cam, rtol=1e-5, atol=1e-7)


def test_heat_is_the_bilinear_upsampled_cam():
    cam = np.random.default_rng(0).uniform(0, 1, (3, 5))
    ours = explain.upsample(cam, (12, 10))
    theirs = tf.image.resize(cam[None, :, :, None], (12, 10), method="bilinear").numpy()[0, :, :, 0]
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_probability_score_and_logits_agree_with_the_model():
    model = nested_model()
    pixels = np.stack([image(seed=s) for s in range(3)])
    logits = explain.class_scores(model, pixels, "logit")
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(probs, models.predict(model, pixels), rtol=1e-5)
    np.testing.assert_allclose(explain.class_scores(model, pixels, "probability"), models.predict(model, pixels),
                               rtol=1e-6)


# ------------------------------------------------------------------ saliency


def test_saliency_equals_central_finite_differences_in_float64():
    model = seq_model("float64", act="tanh")
    pixels = image(seed=2).astype(np.float64)
    x0 = models.model_inputs(model, pixels[None]).astype(np.float64)[0]
    eps = 1e-6
    for score in explain.SCORES:
        for cls in range(3):
            got = explain.saliency(model, pixels, cls, score)
            bumps = np.eye(x0.size).reshape((x0.size,) + x0.shape) * eps
            plus = explain.class_scores(model, (x0 + bumps) * 255.0, score)[:, cls]
            minus = explain.class_scores(model, (x0 - bumps) * 255.0, score)[:, cls]
            numeric = ((plus - minus) / (2 * eps)).reshape(x0.shape)
            np.testing.assert_allclose(got.gradient, numeric, rtol=1e-5, atol=1e-8)
            np.testing.assert_allclose(got.map, np.abs(numeric).max(-1), rtol=1e-5, atol=1e-8)


def test_smoothgrad_is_the_mean_saliency_of_the_noisy_copies():
    model = seq_model()
    pixels = image(seed=4)
    got = explain.smoothgrad(model, pixels, 1, noise=0.1, count=5, seed=7, batch=2)
    rng = np.random.default_rng(7)
    clean = pixels[None].astype(np.float64) / 255.0
    copies = clean + rng.normal(0, 0.1, size=(5,) + pixels.shape)
    maps = [np.abs(explain.saliency(model, c * 255.0, 1).gradient) for c in copies]
    np.testing.assert_allclose(got.gradient, np.mean(maps, axis=0), rtol=1e-4, atol=1e-7)
    assert explain.smoothgrad(model, pixels, 1, noise=0.0, count=3).map == pytest.approx(
        explain.saliency(model, pixels, 1).map, rel=1e-5)


# ------------------------------------------------------------------ occlusion


@pytest.mark.parametrize("patch,stride", [(3, 2), (4, 4), (8, 1), (1, 3)])
def test_occlusion_equals_direct_predictions_on_occluded_copies(patch, stride):
    model = functional_model()
    pixels = image(seed=6)
    got = explain.occlusion(model, pixels, 2, patch, stride, batch=5)
    assert got.complete and got.rows[-1] == SIDE - patch and got.cols[-1] == SIDE - patch
    for i, r in enumerate(got.rows):
        for j, c in enumerate(got.cols):
            copy = pixels.copy()
            copy[r:r + patch, c:c + patch] = 127.5
            assert got.probabilities[i, j] == pytest.approx(float(model.predict(copy[None] / 255.0, verbose=0)[0, 2]),
                                                             rel=1e-5, abs=1e-7)
    assert got.clean == pytest.approx(float(model.predict(pixels[None] / 255.0, verbose=0)[0, 2]), rel=1e-5)
    assert np.all(np.isfinite(got.pixel)) == (stride <= patch)  # every pixel under some patch, or gaps


def test_occlusion_reports_progress_and_stops():
    model = seq_model()
    seen = []
    got = explain.occlusion(model, image(), 0, 2, 1, batch=10, progress=lambda d, t: seen.append((d, t)),
                            should_stop=lambda: len(seen) >= 2)
    assert seen == [(10, 49), (20, 49)] and not got.complete
    assert np.isfinite(got.probabilities).sum() == 20


# ------------------------------------------------------------------ what a filter looks for


@pytest.mark.parametrize("make,path", [(lambda: seq_model(act="tanh"), ("c2",)), (seq_model, ("c1",)),
                                       (nested_model, ("base", "b1"))])
def test_gradient_ascent_raises_the_mean_activation(make, path):
    model = make()
    layer = explain.find_layer(model, path)
    got = explain.filter_visualisation(model, path, range(layer.shape[2]), explain.AscentSettings(steps=25, seed=1))
    assert got.log.shape == (26, layer.shape[2]) and got.images.shape == (layer.shape[2], SIDE, SIDE, 1)
    assert np.all(np.diff(got.log, axis=0) >= 0)  # never lower at any logged step
    live = got.log[0] != 0  # a ReLU filter silent on the start image has no gradient to follow
    assert live.sum() >= 1
    assert np.all(got.log[-1][live] > got.log[0][live])  # and higher in the end
    assert np.all(got.log[-1][~live] == 0)
    assert got.images.min() >= 0 and got.images.max() <= 255
    # the log is the model's own mean activation of the final images
    acts = keras.Model(model.inputs[0], model.get_layer(path[0]).output)(models.model_inputs(model, got.images)) \
        if len(path) == 1 else None
    if acts is not None:
        own = np.array([np.asarray(acts)[i, :, :, f].mean() for i, f in enumerate(got.filters)])
        np.testing.assert_allclose(got.log[-1], own, rtol=1e-4, atol=1e-6)


# ------------------------------------------------------------------ bad input


def test_bad_input_gives_engine_errors():
    model = seq_model()
    dense_only = keras.Sequential([keras.Input((SIDE, SIDE, 1)), keras.layers.Flatten(),
                                   keras.layers.Dense(2, activation="softmax")])
    cases = [
        (lambda: explain.grad_cam(dense_only, image(), 0), "explain_no_conv"),
        (lambda: explain.grad_cam(model, image(), 0, ("flat",)), "explain_bad_layer"),
        (lambda: explain.grad_cam(model, image(), 0, ("nope",)), "explain_bad_layer"),
        (lambda: explain.saliency(model, image(3), 0), "explain_bad_image"),
        (lambda: explain.saliency(model, np.zeros((9, 8, 1)), 0), "explain_bad_image"),
        (lambda: explain.occlusion(model, image(), 0, 9, 1), "explain_patch_too_large"),
        (lambda: explain.occlusion_job(model, image(), 0, 12, 2), "explain_patch_too_large"),
        (lambda: explain.saliency(model, image(), 3), "bad_label"),
        (lambda: explain.smoothgrad(model, image(), 0, count=0), "bad_hyperparameter"),
        (lambda: explain.filter_visualisation(model, ("c1",), [5]), "channel_out_of_range"),
        (lambda: explain.saliency(model, image(), 0, "loss"), "bad_mode"),
    ]
    for call, key in cases:
        with pytest.raises(EngineError) as err:
            call()
        assert err.value.key == key


# ------------------------------------------------------------------ jobs and training


def test_occlusion_job_waits_in_the_training_queue_then_runs():
    model, pixels = seq_model(), image(seed=1)
    slots = training.TrainingSlots(1, queue_limit=2)
    assert slots.try_acquire("someone training")
    job = explain.ExplainJob("occlusion", lambda p, s: explain.occlusion(model, pixels, 1, 3, 1, batch=8,
                                                                         progress=p, should_stop=s), slots)
    job.start(queue=True)
    assert job.snapshot().status == "queued" and job.snapshot().position == 1
    slots.release("someone training")
    assert job.wait(60) and job.snapshot().status == "completed"
    snap = job.snapshot()
    assert snap.step == snap.steps_per_epoch == 36 and snap.fraction == 1.0
    np.testing.assert_allclose(job.result.probabilities, explain.occlusion(model, pixels, 1, 3, 1).probabilities)
    assert slots.active() == 0


def test_stopped_filter_job_keeps_what_it_found():
    model = seq_model()
    job = explain.filters_job(model, ("c1",), [0, 1, 2], explain.AscentSettings(steps=200))
    job.stop()  # pressed before the first step: the work sees it and ends at once
    job.start()
    assert job.wait(60) and job.snapshot().status == "stopped"
    assert job.result is not None and not job.result.complete


def test_training_records_the_first_filters_at_every_epoch():
    pictures, labels = datasets.make_shapes(10, datasets.ShapeOptions(size=16), seed=3)
    split = training.make_split(pictures, labels, datasets.SHAPE_CLASSES, 0.2, 0.2, seed=0)
    job = training.TrainingJob(split, models.PRESETS["tiny"], training.TrainSettings(epochs=2, batch_size=8)).start()
    assert job.wait(120)
    result = training.collect(job)
    assert len(result.filter_history) == 3  # before training and after each epoch
    np.testing.assert_allclose(result.filter_history[-1], models.first_filters(result.model), rtol=1e-6)
    assert not np.allclose(result.filter_history[0], result.filter_history[-1])
    frames = explain.filter_frames(list(result.filter_history))
    assert frames.shape == (3,) + models.first_filters(result.model).shape
