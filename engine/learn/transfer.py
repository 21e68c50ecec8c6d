"""Transfer learning on data the app has offline: pretrain a base, then reuse it for a new task
with few labelled examples, and compare three ways of learning that task.

Tasks (all images (N, 28, 28, 1) float32 0..255, labels (N,) int64):
    "digits": source = MNIST digits 0-4, target = digits 5-9 (relabelled 0..4, named "5".."9").
    "shapes": source = MNIST digits 0-4, target = the drawn triangle / rectangle / circle.
The target training set holds `per_class` labelled images of each class; a held-out target test
set (config.TRANSFER_TEST_PER_CLASS per class, fewer if the data has fewer) scores every epoch.

Bases:
    an engine.learn.models preset (its conv blocks), pretrained here on the source task, or
    a keras.applications MobileNet whose ImageNet no-top weights are already cached in
    ~/.keras/models (never downloaded). Digits are then resized to 32x32 and copied to RGB.

Runs on the target task, each `epochs` epochs with Adam(learning_rate):
    scratch:  the same architecture from random weights, everything trainable.
    feature:  feature extraction: the pretrained base frozen (trainable=False), a new head
              (the preset's dense layers + softmax) trained.
    finetune: fine-tuning: the feature model after head_epochs = epochs // 2, then the top
              `unfreeze` convolution layers (and the pooling after them) unfrozen and trained
              with learning_rate / 10 for the remaining epochs. BatchNormalization stays frozen.
A RunResult holds the per-epoch history (accuracy and loss on the training images, val_* on
the held-out target images), trainable / non-trainable parameter counts read from the Keras
model and the seconds of every epoch. TransferJob runs the whole comparison in the background
with engine.learn.training's slots, progress and Stop. TensorFlow is imported inside functions only.
"""
from __future__ import annotations

import os
import re
import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from engine import checks, config
from engine.data import datasets
from engine.errors import EngineError
from engine.learn import models, training
from engine.ops import losses

TASKS = ("digits", "shapes")
METHODS = ("scratch", "feature", "finetune")
BASE_PRESETS = ("mnist_notes", "tiny")
IMAGENET_PREFIX = "imagenet:"
SOURCE_DIGITS = (0, 1, 2, 3, 4)
TARGET_DIGITS = (5, 6, 7, 8, 9)
SIDE = 28
IMAGENET_SIDE = 32  # the smallest input keras.applications MobileNets accept
MAX_IMAGENET_UNFREEZE = 10
CONV_LAYERS = ("Conv2D", "DepthwiseConv2D")
FINETUNE_LR_FACTOR = 0.1
# Batches per call into TensorFlow. Each call hands Python's GIL back and forth; on a busy server
# (a page polling progress every second) every hand-over can wait a whole switch interval, which
# made per-batch calls up to 50x slower. Progress and Stop then act every 8 batches.
STEPS_PER_EXECUTION = 8


# ------------------------------------------------------------------ settings


@dataclass(frozen=True)
class TransferSettings:
    """What to compare: task, base (a preset or "imagenet:<cached file>"), labelled target images
    per class, pretraining images per class and epochs, epochs of each target run, how many top
    conv layers fine-tuning unfreezes, learning rate, batch size, seed."""

    task: str = "digits"
    base: str = "mnist_notes"
    per_class: int = 10
    source_per_class: int = 300
    pretrain_epochs: int = 3
    epochs: int = 10
    unfreeze: int = 1
    learning_rate: float = 0.001
    batch_size: int = 16
    seed: int = 0

    @property
    def head_epochs(self) -> int:
        """Epochs fine-tuning trains the head alone (shared with feature extraction)."""
        return max(1, self.epochs // 2)

    @property
    def imagenet(self) -> bool:
        return self.base.startswith(IMAGENET_PREFIX)


def unfreeze_limit(base: str) -> int:
    """How many top conv layers fine-tuning may unfreeze for this base."""
    if base.startswith(IMAGENET_PREFIX):
        return MAX_IMAGENET_UNFREEZE
    return len(models.PRESETS[base].blocks) if base in BASE_PRESETS else 1


def check_settings(s: TransferSettings) -> TransferSettings:
    """The settings within engine.config's caps, else EngineError."""
    if s.task not in TASKS:
        raise EngineError("bad_mode", mode=s.task)
    if s.base not in BASE_PRESETS and not s.imagenet:
        raise EngineError("bad_mode", mode=s.base)
    for name, low, high in (("per_class", 1, config.MAX_TRANSFER_PER_CLASS),
                            ("source_per_class", 10, config.MAX_SOURCE_PER_CLASS),
                            ("pretrain_epochs", 1, config.MAX_PRETRAIN_EPOCHS),
                            ("epochs", 2, min(config.MAX_TRANSFER_EPOCHS, config.MAX_EPOCHS)),
                            ("unfreeze", 1, unfreeze_limit(s.base)),
                            ("batch_size", 1, config.MAX_BATCH_SIZE), ("seed", 0, 2**31 - 1)):
        checks.int_in(name, getattr(s, name), low, high)
    if not 0 < float(s.learning_rate) <= 1:
        raise EngineError("bad_hyperparameter", name="learning_rate", value=s.learning_rate)
    return s


def total_epochs(s: TransferSettings) -> int:
    """Epochs of the whole job: pretraining (none for ImageNet) + scratch + feature + fine-tuning."""
    return (0 if s.imagenet else s.pretrain_epochs) + 2 * s.epochs + (s.epochs - s.head_epochs)


# ------------------------------------------------------------------ the tasks


@dataclass(frozen=True)
class TaskData:
    """Source split (train + held-out test, no validation), target split (per_class labelled
    images of each class + held-out test) and the target images' original labels (the digit, or
    the index into datasets.SHAPE_CLASSES)."""

    source: training.DataSplit
    target: training.DataSplit
    target_origin: np.ndarray


def pick_per_class(labels: np.ndarray, classes: tuple[int, ...], count: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Indices of `count` random images of each class (grouped by class), or EngineError when a
    class has fewer."""
    parts = []
    for c in classes:
        idx = np.flatnonzero(labels == c)
        if len(idx) < count:
            raise EngineError("transfer_not_enough_images", wanted=count, available=len(idx))
        parts.append(rng.permutation(idx)[:count])
    return np.concatenate(parts)


def most_per_class(labels: np.ndarray, classes: tuple[int, ...] = SOURCE_DIGITS) -> int:
    """The largest per-class count every one of `classes` can give."""
    return int(min(np.sum(np.asarray(labels) == c) for c in classes))


def _test_count(labels: np.ndarray, classes: tuple[int, ...]) -> int:
    return min(config.TRANSFER_TEST_PER_CLASS, *(int(np.sum(labels == c)) for c in classes))


def _digit_split(mnist: datasets.MnistData, digits: tuple[int, ...], per_class: int,
                 rng: np.random.Generator) -> tuple[training.DataSplit, np.ndarray]:
    """`per_class` training and up to TRANSFER_TEST_PER_CLASS test images of each digit,
    relabelled 0..len(digits)-1 in the order of `digits`; also the original training labels."""
    train = rng.permutation(pick_per_class(mnist.labels_train, digits, per_class, rng))
    test = pick_per_class(mnist.labels_test, digits, _test_count(mnist.labels_test, digits), rng)
    relabel = np.full(10, -1, dtype=np.int64)
    relabel[list(digits)] = np.arange(len(digits))
    empty_x, empty_y = np.zeros((0, SIDE, SIDE, 1), np.float32), np.zeros(0, np.int64)
    split = training.DataSplit(mnist.images_train[train], relabel[mnist.labels_train[train]], empty_x, empty_y,
                               mnist.images_test[test], relabel[mnist.labels_test[test]],
                               tuple(str(d) for d in digits))
    return split, mnist.labels_train[train]


def _shapes_split(per_class: int, seed: int) -> tuple[training.DataSplit, np.ndarray]:
    options = datasets.ShapeOptions(size=SIDE)
    x, y = datasets.make_shapes(per_class, options, seed=seed + 101)
    xt, yt = datasets.make_shapes(config.TRANSFER_TEST_PER_CLASS, options, seed=seed + 202)
    empty_x, empty_y = np.zeros((0, SIDE, SIDE, 1), np.float32), np.zeros(0, np.int64)
    return training.DataSplit(x, y, empty_x, empty_y, xt, yt, datasets.SHAPE_CLASSES), y


def make_task(mnist: datasets.MnistData, task: str, per_class: int, source_per_class: int,
              seed: int = 0) -> TaskData:
    """The source task (digits 0-4) and the target task of `task` ("digits" or "shapes")."""
    if task not in TASKS:
        raise EngineError("bad_mode", mode=task)
    rng = np.random.default_rng(seed)
    source, _ = _digit_split(mnist, SOURCE_DIGITS, source_per_class, rng)
    if task == "digits":
        target, origin = _digit_split(mnist, TARGET_DIGITS, per_class, rng)
    else:
        target, origin = _shapes_split(per_class, seed)
    return TaskData(source, target, origin)


# ------------------------------------------------------------------ cached ImageNet weights


@dataclass(frozen=True)
class CachedWeights:
    """A keras.applications no-top ImageNet weight file found on disk."""

    file: str
    path: str
    application: str  # "mobilenet_v2" | "mobilenet"
    alpha: float

    @property
    def key(self) -> str:
        return IMAGENET_PREFIX + self.file


WEIGHT_FILES = {
    "mobilenet_v2": re.compile(r"^mobilenet_v2_weights_tf_dim_ordering_tf_kernels_(\d\.\d+)_\d+_no_top\.h5$"),
    "mobilenet": re.compile(r"^mobilenet_(\d_\d)_\d+_tf_no_top\.h5$"),
}
MOBILENET_ALPHAS = {"1_0": 1.0, "7_5": 0.75, "5_0": 0.5, "2_5": 0.25}


def models_dir() -> str:
    """Where keras.applications caches weights: $KERAS_HOME/models or ~/.keras/models."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "models")


def _parse_weight_file(name: str, directory: str) -> CachedWeights | None:
    for app, pattern in WEIGHT_FILES.items():
        match = pattern.match(name)
        if match is None:
            continue
        alpha = float(match.group(1)) if app == "mobilenet_v2" else MOBILENET_ALPHAS.get(match.group(1))
        if alpha is not None:
            return CachedWeights(name, os.path.join(directory, name), app, alpha)
    return None


def cached_imagenet(directory: str | None = None) -> tuple[CachedWeights, ...]:
    """The usable no-top MobileNet weight files already in `directory` (default models_dir()),
    sorted by name. Nothing is downloaded; a missing directory gives ()."""
    directory = directory or models_dir()
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return ()
    found = (_parse_weight_file(n, directory) for n in names if os.path.isfile(os.path.join(directory, n)))
    return tuple(w for w in found if w is not None)


def find_cached(base: str, directory: str | None = None) -> CachedWeights:
    """The cached weights named by an "imagenet:<file>" base, else EngineError."""
    for weights in cached_imagenet(directory):
        if weights.key == base:
            return weights
    raise EngineError("transfer_weights_unreadable", name=base.removeprefix(IMAGENET_PREFIX))


# ------------------------------------------------------------------ models and layers


def param_counts(model) -> tuple[int, int]:
    """(trainable, non-trainable) parameters of a Keras model, from its weight lists."""
    def count(weights) -> int:
        return int(sum(int(np.prod(w.shape)) for w in weights))
    return count(model.trainable_weights), count(model.non_trainable_weights)


def block_layer_counts(spec: models.ModelSpec) -> list[int]:
    """How many Keras layers each conv block adds (conv, pool, batch norm, dropout)."""
    return [1 + (b.pool != "none") + int(b.batchnorm) + (b.dropout > 0) for b in models.checked(spec).blocks]


def base_layers(model, spec: models.ModelSpec | None) -> list:
    """The layers of the base: a preset model's conv blocks, or the MobileNet's layers."""
    if spec is not None:
        return list(model.layers[:sum(block_layer_counts(spec))])
    return list(_application(model).layers)


def _application(model):
    """The nested keras.applications model inside an ImageNet-based model."""
    return next(layer for layer in model.layers if hasattr(layer, "layers"))


def freeze_base(model, spec: models.ModelSpec | None) -> None:
    """Every base layer trainable=False; the head stays trainable."""
    if spec is None:
        _application(model).trainable = False
        return
    for layer in base_layers(model, spec):
        layer.trainable = False


def unfreeze_top(model, spec: models.ModelSpec | None, count: int) -> list[str]:
    """Make the top `count` conv layers of the base (and every layer after them, except
    BatchNormalization) trainable, the rest of the base frozen. Returns the unfrozen names."""
    if spec is None:
        _application(model).trainable = True
    layers = base_layers(model, spec)
    convs = [i for i, layer in enumerate(layers) if type(layer).__name__ in CONV_LAYERS]
    start = convs[-min(count, len(convs))]
    for i, layer in enumerate(layers):
        layer.trainable = i >= start and type(layer).__name__ != "BatchNormalization"
    return [layer.name for layer in layers if layer.trainable]


def copy_base(source, target, spec: models.ModelSpec) -> None:
    """Copy the pretrained base's weights into the same layers of `target`."""
    for src, dst in zip(base_layers(source, spec), base_layers(target, spec)):
        dst.set_weights(src.get_weights())


def _imagenet_model(weights: CachedWeights, classes: int, path: str | None):
    """Input (28, 28, 1) 0..1 -> 32x32 RGB in -1..1 -> MobileNet (no top, average pooled) ->
    softmax. `path` None gives random weights (training from scratch)."""
    import keras

    app = {"mobilenet_v2": keras.applications.MobileNetV2, "mobilenet": keras.applications.MobileNet}
    inputs = keras.Input((SIDE, SIDE, 1), name="input_layer")
    x = keras.layers.Resizing(IMAGENET_SIDE, IMAGENET_SIDE, name="resize")(inputs)
    x = keras.layers.Concatenate(name="gray_to_rgb")([x, x, x])
    x = keras.layers.Rescaling(2.0, offset=-1.0, name="to_minus_one_one")(x)
    try:
        base = app[weights.application](input_shape=(IMAGENET_SIDE, IMAGENET_SIDE, 3), alpha=weights.alpha,
                                        include_top=False, weights=path, pooling="avg")
    except (OSError, ValueError) as exc:
        raise EngineError("transfer_weights_unreadable", name=weights.file) from exc
    outputs = keras.layers.Dense(classes, activation="softmax", name="dense")(base(x))
    return keras.Model(inputs, outputs, name="convlab_transfer")


def build(settings: TransferSettings, classes: int, seed: int, pretrained: bool = False):
    """A seeded, uncompiled model for the base in `settings` with a fresh head of `classes`
    (ImageNet bases: the cached weights when `pretrained`, random ones otherwise)."""
    import keras

    with training._SEED_LOCK:  # noqa: SLF001 - the one lock guarding Keras' global seed
        keras.utils.set_random_seed(seed)
        if settings.imagenet:
            weights = find_cached(settings.base)
            return _imagenet_model(weights, classes, weights.path if pretrained else None)
        return models.build_keras(models.PRESETS[settings.base], (SIDE, SIDE, 1), classes)


def preset_spec(settings: TransferSettings) -> models.ModelSpec | None:
    """The preset of a conv-block base; None for an ImageNet base."""
    return None if settings.imagenet else models.PRESETS[settings.base]


# ------------------------------------------------------------------ one run


@dataclass(frozen=True)
class RunResult:
    """One training run: per-epoch history, parameters, seconds of every epoch; start_epoch is
    where its own epochs begin on the shared axis (fine-tuning starts after the head epochs)."""

    method: str
    history: dict[str, list[float]]
    seconds: tuple[float, ...]
    trainable: int
    frozen: int
    start_epoch: int = 0

    @property
    def seconds_per_epoch(self) -> float:
        """Median seconds of this run's own epochs (the first includes graph tracing)."""
        return float(np.median(self.seconds)) if self.seconds else float("nan")

    @property
    def accuracy(self) -> float:
        """Held-out accuracy after the last epoch."""
        values = self.history.get("val_accuracy") or [float("nan")]
        return float(values[-1])


class Hooks:
    """What a run reports while it trains; the default does nothing and never stops."""

    def phase(self, method: str, steps: int) -> None:
        """A run starts with `steps` batches per epoch."""

    def batch(self, batch: int, logs: dict) -> None:
        """A batch finished."""

    def epoch(self, method: str, logs: dict) -> None:
        """An epoch finished."""

    def should_stop(self) -> bool:
        return False


def _callback(method: str, hooks: Hooks, seconds: list[float], snapshot: dict | None = None):
    """A keras Callback timing every epoch, reporting to `hooks`, honouring Stop and (with
    `snapshot` = {"epoch": n}) keeping the weights after epoch n in snapshot["weights"]."""
    import keras

    class _Run(keras.callbacks.Callback):
        async_safe = True

        def on_epoch_begin(self, epoch, logs=None):
            self.began = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            hooks.batch(batch, logs or {})
            if hooks.should_stop():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.began)
            if snapshot is not None and epoch + 1 == snapshot["epoch"]:
                snapshot["weights"] = self.model.get_weights()
            hooks.epoch(method, logs or {})
            if hooks.should_stop():
                self.model.stop_training = True

    return _Run()


def _dataset(x: np.ndarray, y: np.ndarray, classes: int, batch: int, seed: int | None):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x / np.float32(255.0), losses.one_hot(y, classes, np.float32)))
    if seed is not None:
        ds = ds.shuffle(len(x), seed=seed)
    return ds.batch(batch)


def fit(model, method: str, data: training.DataSplit, settings: TransferSettings, epochs: int,
        learning_rate: float, hooks: Hooks, snapshot: dict | None = None, start_epoch: int = 0) -> RunResult:
    """Compile (Adam, categorical cross-entropy) and train on data's training images, scoring the
    held-out test images after every epoch; the RunResult counts parameters as trained."""
    model.compile(optimizer=models.keras_optimizer("adam", learning_rate), loss="categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=STEPS_PER_EXECUTION)
    batch = int(settings.batch_size)
    hooks.phase(method, -(-len(data.y_train) // batch))
    seconds: list[float] = []
    history = model.fit(_dataset(data.x_train, data.y_train, data.classes, batch, settings.seed), epochs=epochs,
                        validation_data=_dataset(data.x_test, data.y_test, data.classes, 256, None), verbose=0,
                        shuffle=False,  # the pipeline shuffles
                        callbacks=[_callback(method, hooks, seconds, snapshot)])
    trainable, frozen = param_counts(model)
    logs = {k: [float(v) for v in values] for k, values in history.history.items()}
    return RunResult(method, logs, tuple(seconds), trainable, frozen, start_epoch)


# ------------------------------------------------------------------ the four steps


def pretrain(task: TaskData, settings: TransferSettings, hooks: Hooks = Hooks()):
    """(model, RunResult): the preset trained on the source task (digits 0-4)."""
    model = build(settings, task.source.classes, settings.seed)
    return model, fit(model, "pretrain", task.source, settings, settings.pretrain_epochs,
                      settings.learning_rate, hooks)


def scratch(task: TaskData, settings: TransferSettings, hooks: Hooks = Hooks()):
    """(model, RunResult): the same architecture from random weights on the target task."""
    model = build(settings, task.target.classes, settings.seed + 1)
    return model, fit(model, "scratch", task.target, settings, settings.epochs, settings.learning_rate, hooks)


def feature_extraction(task: TaskData, settings: TransferSettings, pretrained=None, hooks: Hooks = Hooks()):
    """(model, RunResult, weights after head_epochs): base frozen, a new head trained. The base
    comes from `pretrained` (a preset) or the cached ImageNet weights."""
    spec = preset_spec(settings)
    model = build(settings, task.target.classes, settings.seed + 1, pretrained=spec is None)
    if spec is not None:
        copy_base(pretrained, model, spec)
    freeze_base(model, spec)
    snapshot = {"epoch": settings.head_epochs}
    run = fit(model, "feature", task.target, settings, settings.epochs, settings.learning_rate, hooks, snapshot)
    return model, run, snapshot.get("weights")


def fine_tune(task: TaskData, settings: TransferSettings, head_weights: list, head_run: RunResult,
              hooks: Hooks = Hooks()):
    """(model, RunResult): from the feature model after head_epochs, the top `unfreeze` conv
    layers unfrozen and trained with learning_rate / 10 for the remaining epochs. The history
    starts with the head epochs it shares with feature extraction."""
    spec = preset_spec(settings)
    model = build(settings, task.target.classes, settings.seed + 1)
    model.set_weights(head_weights)
    unfreeze_top(model, spec, settings.unfreeze)
    run = fit(model, "finetune", task.target, settings, settings.epochs - settings.head_epochs,
              settings.learning_rate * FINETUNE_LR_FACTOR, hooks, start_epoch=settings.head_epochs)
    shared = {k: v[:settings.head_epochs] + run.history.get(k, []) for k, v in head_run.history.items()}
    return model, RunResult(run.method, shared, run.seconds, run.trainable, run.frozen, run.start_epoch)


# ------------------------------------------------------------------ the comparison


@dataclass
class TransferResult:
    """A comparison: its settings, the pretraining run (None for an ImageNet base), the target
    runs that finished (a stopped job has fewer) and their trained models, the class names of
    both tasks."""

    settings: TransferSettings
    pretrain: RunResult | None
    runs: dict[str, RunResult]
    source_names: tuple[str, ...]
    target_names: tuple[str, ...]
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    models: dict[str, object] = field(default_factory=dict)  # the trained Keras model of each run


def run_comparison(task: TaskData, settings: TransferSettings, hooks: Hooks = Hooks()) -> TransferResult:
    """Pretrain (preset bases), then scratch, feature extraction and fine-tuning; stops between
    and inside runs when hooks.should_stop()."""
    settings = check_settings(settings)
    result = TransferResult(settings, None, {}, task.source.class_names, task.target.class_names)
    pretrained = None
    if not settings.imagenet:
        pretrained, result.pretrain = pretrain(task, settings, hooks)
    steps = (lambda: scratch(task, settings, hooks), lambda: feature_extraction(task, settings, pretrained, hooks))
    head = None
    for method, step in zip(("scratch", "feature"), steps):
        if hooks.should_stop():
            return result
        model, run, *rest = step()
        result.runs[method], result.models[method] = run, model
        head = rest[0] if rest else head
    if head is not None and not hooks.should_stop():
        model, result.runs["finetune"] = fine_tune(task, settings, head, result.runs["feature"], hooks)
        result.models["finetune"] = model
    return result


@dataclass
class TransferProgress(training.Progress):
    """Progress of the whole comparison: `epoch` counts epochs over every run, `phase` names the
    run going on, `runs` holds each run's per-epoch history so far."""

    phase: str = "pretrain"
    runs: dict[str, dict[str, list[float]]] = field(default_factory=dict)


class TransferJob(training.TrainingJob, Hooks):
    """The comparison in a background thread, holding one of the server's training slots;
    `result` is set when it ends (also when stopped: the runs that finished)."""

    def __init__(self, task: TaskData, settings: TransferSettings,
                 slots: training.TrainingSlots = training.SLOTS) -> None:
        settings = check_settings(settings)
        if settings.imagenet:
            find_cached(settings.base)
        spec = preset_spec(settings) or models.PRESETS["tiny"]  # ImageNet: only validates the data
        train = training.TrainSettings("adam", settings.learning_rate, settings.batch_size,
                                       min(settings.epochs, config.MAX_EPOCHS), "onehot", settings.seed)
        super().__init__(task.source, spec, train, slots)
        training.check_data(task.target)
        self.task, self.transfer, self.result = task, settings, None
        self._progress = TransferProgress(epochs=total_epochs(settings))

    def _work(self):
        self.result = run_comparison(self.task, self.transfer, self)
        return None

    def _carried(self) -> dict:
        return {**super()._carried(), "result": self.result}  # the comparison (its models pickled as .keras)

    # -- Hooks, called from the worker thread
    def phase(self, method: str, steps: int) -> None:
        self._update(status="running", phase=method, steps_per_epoch=steps, step=0)

    def epoch(self, method: str, logs: dict) -> None:
        with self._lock:
            p = self._progress
            p.epoch, p.step = p.epoch + 1, 0
            run = p.runs.setdefault(method, {})
            for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
                if key in logs:
                    run.setdefault(key, []).append(float(logs[key]))

    def batch(self, batch: int, logs: dict) -> None:
        with self._lock:
            self._progress.step = batch + 1


def keras_code(settings: TransferSettings) -> str:
    """The three methods as today's Keras code (a preset base; `base` = its conv layers)."""
    lr, k, head = settings.learning_rate, settings.unfreeze, settings.head_epochs
    return "\n".join([
        "# pretrained: the model trained on digits 0-4; base = its convolution layers",
        "scratch = keras.models.clone_model(new_model)          # same layers, random weights",
        "",
        "# feature extraction: freeze the base, train a new head",
        "for layer in base.layers:",
        "    layer.trainable = False",
        f"new_model.compile(optimizer=keras.optimizers.Adam({lr:g}), loss='categorical_crossentropy',",
        "                  metrics=['accuracy'])",
        f"new_model.fit(x_few, y_few, epochs={settings.epochs}, validation_data=(x_test, y_test))",
        "",
        f"# fine-tuning: after {head} head epochs, unfreeze the top {k} conv layer(s), lr / 10",
        f"for layer in top_{k}_conv_layers_and_after:",
        "    layer.trainable = not isinstance(layer, keras.layers.BatchNormalization)",
        f"new_model.compile(optimizer=keras.optimizers.Adam({lr * FINETUNE_LR_FACTOR:g}),  # compile again",
        "                  loss='categorical_crossentropy', metrics=['accuracy'])",
        f"new_model.fit(x_few, y_few, epochs={settings.epochs - head}, validation_data=(x_test, y_test))",
    ])
