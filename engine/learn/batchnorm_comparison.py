"""With vs without batch normalization: the same small CNN trained twice from the same seed.

The two models differ only by a keras.layers.BatchNormalization after each conv block
(Conv2D(relu) -> MaxPooling2D -> BatchNormalization, the order of the course notes' model):

    Conv2D(8, 3, relu) -> MaxPool(2) [-> BN] -> Conv2D(16, 3, relu) -> MaxPool(2) [-> BN]
    -> Flatten -> Dense(classes, softmax)

Same seed, same start: every conv and dense kernel gets its own seeded initializer
(GlorotUniform(seed * 1000 + layer number), Keras' default kind), BN layers start at gamma 1,
beta 0, and each epoch's shuffle is a NumPy permutation from the seed, the same for both
models. Nothing draws from Keras' global random state, so keras.utils.set_random_seed is
not needed, and a run neither disturbs nor is disturbed by another session training at the
same time (the training studio seeds under its own lock). A run takes one of the server's
training slots (engine.learn.training.SLOTS) like the training studio's jobs, or raises
EngineError('training_busy'), and trains in a worker process (engine.learn.workers). TensorFlow/Keras are imported inside the functions that need
them, so importing this module stays cheap.

Data (NumPy only): drawn shapes (3 classes) or MNIST digits (10 classes) from
engine.data.datasets, pixels scaled to 0..1 unless `scale_inputs` is off (raw 0..255 is where
BN helps most), split 80/20 into training and validation.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from numbers import Real
from typing import Callable

import numpy as np

from engine import checks
from engine.data import datasets
from engine.errors import EngineError

DATASETS = ("shape", "digit")
OPTIMIZERS = ("sgd", "adam")
FILTERS = (8, 16)
SHAPE_SIZE = 24
LIMITS = {"samples": (30, 3000), "epochs": (1, 30), "batch_size": (4, 256)}


@dataclass(frozen=True)
class CompareSettings:
    """What to train on and how: dataset, number of images, epochs, batch size, optimizer
    ('sgd' or 'adam') and its learning rate, BN momentum, pixel scaling, seed."""

    dataset: str = "shape"
    samples: int = 300
    epochs: int = 5
    batch_size: int = 16
    optimizer: str = "sgd"
    learning_rate: float = 0.05
    bn_momentum: float = 0.99
    scale_inputs: bool = True
    seed: int = 0


@dataclass
class RunHistory:
    """One model's curves, index 0 = before training, then after each epoch (epochs + 1,):
    loss and accuracy on the training images (epochs: the running average Keras reports
    during the epoch, in training mode), and on the validation images (inference mode).
    params: (total, trainable, non_trainable) from model.count_params and its weights."""

    loss: np.ndarray
    accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    params: tuple[int, int, int]


@dataclass
class CompareResult:
    """Both runs, the settings, the numbers of training/validation images and the seconds spent."""

    with_bn: RunHistory
    without_bn: RunHistory
    settings: CompareSettings
    train_count: int
    val_count: int
    seconds: float


def _check(settings: CompareSettings) -> None:
    """Refuse settings that cannot train: EngineError('bad_mode' | 'bad_hyperparameter')."""
    if settings.dataset not in DATASETS:
        raise EngineError("bad_mode", mode=settings.dataset)
    if settings.optimizer not in OPTIMIZERS:
        raise EngineError("bad_mode", mode=settings.optimizer)
    for name, (low, high) in LIMITS.items():
        value = getattr(settings, name)
        if not checks.is_int(value) or not low <= value <= high:
            raise EngineError("bad_hyperparameter", name=name, value=value)
    lr, mom = settings.learning_rate, settings.bn_momentum
    if not isinstance(lr, Real) or not 0 < lr <= 10 or not np.isfinite(lr):
        raise EngineError("bad_hyperparameter", name="learning_rate", value=lr)
    if not isinstance(mom, Real) or not 0 <= mom <= 1:
        raise EngineError("bad_hyperparameter", name="momentum", value=mom)


def load_data(settings: CompareSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                  int]:
    """x_train, y_train, x_val, y_val (images (N, H, W, 1) float32, labels int64) and the number
    of classes: `samples` images, seeded, 80% for training."""
    _check(settings)
    rng = np.random.default_rng(settings.seed)
    if settings.dataset == "shape":
        per_class = -(-settings.samples // len(datasets.SHAPE_CLASSES))  # ceil
        x, y = datasets.make_shapes(per_class, datasets.ShapeOptions(size=SHAPE_SIZE),
                                    seed=settings.seed)
        classes = len(datasets.SHAPE_CLASSES)
    else:
        x, y = datasets.mnist_subset()
        classes = 10
    order = rng.permutation(len(x))[:settings.samples]
    x, y = x[order].astype(np.float32), y[order]
    if settings.scale_inputs:
        x = x / np.float32(255.0)
    cut = int(round(0.8 * len(x)))
    return x[:cut], y[:cut], x[cut:], y[cut:], classes


def _limit_threads() -> None:
    """Keep TensorFlow to the machine's two cores (only possible before it starts working)."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(2)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already initialised in this process: leave it
        pass


def build_model(input_shape: tuple[int, int, int], classes: int, batchnorm: bool,
                bn_momentum: float = 0.99, seed: int = 0):
    """The small CNN of the module docstring, with or without its two BN layers (uncompiled).

    Weight layer i (conv 0, conv 1, dense 2) starts from GlorotUniform(seed * 1000 + i), so
    both variants of the same seed start from the same weights.
    """
    import keras

    def init(i: int):
        return keras.initializers.GlorotUniform(seed=seed * 1000 + i)

    layers = [keras.Input(shape=input_shape)]
    for i, filters in enumerate(FILTERS):
        layers += [keras.layers.Conv2D(filters, 3, activation="relu", kernel_initializer=init(i)),
                   keras.layers.MaxPooling2D(2)]
        if batchnorm:
            layers.append(keras.layers.BatchNormalization(momentum=bn_momentum))
    layers += [keras.layers.Flatten(),
               keras.layers.Dense(classes, activation="softmax", kernel_initializer=init(len(FILTERS)))]
    return keras.Sequential(layers)


def _param_counts(model) -> tuple[int, int, int]:
    """(total, trainable, non_trainable) as model.summary() reports them."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    total = int(model.count_params())
    return total, trainable, total - trainable


def _train_one(settings: CompareSettings, data: tuple, batchnorm: bool,
               on_epoch: Callable[[], None]) -> RunHistory:
    """Build, compile and fit one model, one epoch at a time on seeded shuffles; its curves."""
    import keras

    x_train, y_train, x_val, y_val, classes = data
    model = build_model(x_train.shape[1:], classes, batchnorm, settings.bn_momentum, settings.seed)
    optimizer = (keras.optimizers.SGD(settings.learning_rate) if settings.optimizer == "sgd"
                 else keras.optimizers.Adam(settings.learning_rate))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = model.evaluate(x_train, y_train, batch_size=256, verbose=0, return_dict=True)
    start_val = model.evaluate(x_val, y_val, batch_size=256, verbose=0, return_dict=True)
    fit: dict[str, list[float]] = {}
    rng = np.random.default_rng(settings.seed)  # the same shuffles for both models
    for _ in range(settings.epochs):
        order = rng.permutation(len(x_train))
        epoch = model.fit(x_train[order], y_train[order], batch_size=settings.batch_size, epochs=1,
                          validation_data=(x_val, y_val), shuffle=False, verbose=0).history
        for key, values in epoch.items():
            fit.setdefault(key, []).extend(values)
        on_epoch()

    def curve(key: str, first: float) -> np.ndarray:
        return np.array([first, *fit[key]], dtype=np.float64)

    return RunHistory(curve("loss", start["loss"]), curve("accuracy", start["accuracy"]),
                      curve("val_loss", start_val["loss"]),
                      curve("val_accuracy", start_val["accuracy"]), _param_counts(model))


def compare(settings: CompareSettings,
            progress: Callable[[int, int], None] | None = None) -> CompareResult:
    """Train without BN, then with BN, from the same seed on the same data.

    progress(done, total) is called after every epoch of either run (total = 2 * epochs).
    Bad settings raise EngineError before TensorFlow is imported; when every training slot of
    the server is taken, EngineError('training_busy'). The training runs in one of the server's
    worker processes (engine.learn.workers), or here when it has none.
    """
    from engine.learn import workers
    from engine.learn.training import SLOTS

    data = load_data(settings)
    job = f"bn-compare-{uuid.uuid4().hex}"
    if not SLOTS.try_acquire(job):
        raise EngineError("training_busy", limit=SLOTS.limit)
    try:
        pool = workers.shared_pool()
        if pool is None:
            return _compare(settings, data, progress)
        report = (lambda counts: progress(*counts)) if progress is not None else None
        return pool.run(CompareTask(settings, data), report)
    finally:
        SLOTS.release(job)


class CompareTask:
    """`compare`'s training as a worker task (engine.learn.workers), reporting (done, total) epochs."""

    def __init__(self, settings: CompareSettings, data: tuple) -> None:
        self.settings, self.data = settings, data

    def __call__(self, channel) -> CompareResult:
        return _compare(self.settings, self.data, lambda done, total: channel.send((done, total)))


def _compare(settings: CompareSettings, data: tuple,
             progress: Callable[[int, int], None] | None) -> CompareResult:
    """Both trainings, here and now."""
    _limit_threads()
    total, done = 2 * settings.epochs, [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], total)

    began = time.perf_counter()
    without = _train_one(settings, data, False, tick)
    with_bn = _train_one(settings, data, True, tick)
    return CompareResult(with_bn, without, settings, len(data[0]), len(data[2]),
                         time.perf_counter() - began)
