"""Benchmark: the training studio's code path against a plain model.fit.

Trains the notes' MNIST CNN (Conv 32-64-64 with pooling, Dense 64; RMSprop as in the notes) on
the embedded MNIST subset (4,000 training digits, validated on the other 1,000), 5 epochs,
batch 64, seed 0:
  * app: engine.learn.training.TrainingJob (background thread, tf.data pipeline, live-progress callback)
  * plain: the same model built with the same seed, compiled the same way, then
    model.fit(x, y, validation_data=..., verbose=0) on NumPy arrays.
The two runs alternate (plain, app, app, plain) after a short warm-up so neither pays TensorFlow's
first-call costs alone. Reports the time ratio app / plain (goal <= 1.15) and the app model's
accuracy on the 1,000 held-out digits (goal >= 0.94).

Run: `python -m benchmarks.training`. Last line: `training app/plain fit ratio: R; held-out accuracy: A`.
"""
from __future__ import annotations

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from engine.data import datasets  # noqa: E402
from engine.learn import models, training  # noqa: E402
from engine.ops import losses  # noqa: E402

EPOCHS, BATCH, SEED = 5, 64, 0
SETTINGS = training.TrainSettings(optimizer="rmsprop", learning_rate=0.001, batch_size=BATCH, epochs=EPOCHS,
                                  encoding="onehot", seed=SEED)
SPEC = models.PRESETS["mnist_notes"]


def mnist_data() -> training.DataSplit:
    """The subset's 4,000 / 1,000 split; the 1,000 serve as validation and held-out test."""
    mnist = datasets.load_mnist(prefer_full=False)
    names = tuple(str(d) for d in range(10))
    return training.DataSplit(mnist.images_train, mnist.labels_train, mnist.images_test, mnist.labels_test,
                              mnist.images_test, mnist.labels_test, names)


def run_app(data: training.DataSplit, settings: training.TrainSettings = SETTINGS):
    """Seconds and model of one run through the app's TrainingJob (thread, callbacks, tf.data)."""
    start = time.perf_counter()
    job = training.TrainingJob(data, SPEC, settings).start()
    job.wait()
    if job.model is None:
        raise RuntimeError(f"app training failed: {job.error or job.failure_kind}")
    return time.perf_counter() - start, job.model


def run_plain(data: training.DataSplit, settings: training.TrainSettings = SETTINGS) -> float:
    """Seconds of a plain model.fit(verbose=0) of the same model, seed and data."""
    import keras

    start = time.perf_counter()
    keras.utils.set_random_seed(settings.seed)
    model = models.build_keras(SPEC, data.input_shape, data.classes)
    model.compile(optimizer=models.keras_optimizer(settings.optimizer, settings.learning_rate),
                  loss=models.loss_name(settings.encoding), metrics=["accuracy"])
    x, xv = data.x_train / 255.0, data.x_val / 255.0
    y, yv = losses.one_hot(data.y_train, 10, np.float32), losses.one_hot(data.y_val, 10, np.float32)
    model.fit(x, y, batch_size=settings.batch_size, epochs=settings.epochs, validation_data=(xv, yv), verbose=0)
    return time.perf_counter() - start


def main() -> None:
    data = mnist_data()
    warm = training.with_settings(SETTINGS, epochs=1)
    run_plain(data, warm)
    run_app(data, warm)
    plain_a = run_plain(data)
    app_a, _ = run_app(data)
    app_b, model = run_app(data)
    plain_b = run_plain(data)
    accuracy = training.evaluate(model, data.x_test, data.y_test).accuracy
    print(f"plain fit: {plain_a:.1f} s, {plain_b:.1f} s; app: {app_a:.1f} s, {app_b:.1f} s")
    ratio = (app_a + app_b) / (plain_a + plain_b)
    print(f"training app/plain fit ratio: {ratio:.3f}; held-out accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
