"""Training a small CNN in the background, with live progress, a Stop button and a server-wide cap.

Data: a DataSplit holds train / validation / test images (N, H, W, C) float32 in 0..255 and
integer labels (N,) int64, plus the class names (label i means class_names[i], sorted like Keras'
class_indices). Pixels are rescaled by 1/255 when they enter the model, as the notes'
ImageDataGenerator(rescale=1./255) does.

Labels: one-hot rows (categorical cross-entropy) or integers (sparse categorical cross-entropy).
Both losses compute the same number, -log p[true class]; they only differ in how the label is
written down.

Jobs: a TrainingJob runs model.fit in its own thread. The page polls `snapshot()` (a copy of a
lock-protected progress record) and can `stop()` the job: a threading.Event that a Keras callback
checks after every batch, setting model.stop_training, so the run ends cleanly and keeps the
weights learned so far. SLOTS caps how many jobs train at once on the whole server
(config.MAX_CONCURRENT_JOBS); a job that finds no free slot raises EngineError('training_busy'),
or, started with queue=True, waits in a fair line (status 'queued', `position` in the snapshot) and
trains once a slot is handed to it; stop() while waiting ends it as 'cancelled'. A full line
(config.MAX_QUEUED_JOBS) raises 'training_busy' too.
Seeds: keras.utils.set_random_seed(seed) and everything that draws from it (weight
initialisation, dropout and augmentation seeds, the shuffle order) happen under one lock, so two
sessions training at once cannot disturb each other's random numbers.
"""
from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field, replace

import numpy as np

from engine import config
from engine.errors import EngineError
from engine.learn import models, workers
from engine.ops import losses

log = logging.getLogger("convlab.training")

OPTIMIZERS = ("adam", "rmsprop", "sgd")
ENCODINGS = ("onehot", "integer")
FINISHED = ("completed", "stopped", "time_limit", "failed", "cancelled")
_SEED_LOCK = threading.Lock()


# ------------------------------------------------------------------ data


@dataclass(frozen=True)
class DataSplit:
    """Train / validation / test images (N, H, W, C) float32 0..255 and labels (N,) int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(int(v) for v in self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def classes(self) -> int:
        return len(self.class_names)

    @property
    def sizes(self) -> tuple[int, int, int]:
        return len(self.y_train), len(self.y_val), len(self.y_test)


def _fraction(name: str, value: object, high: float) -> float:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise EngineError("bad_hyperparameter", name=name, value=value) from None
    if not 0.0 <= f <= high:
        raise EngineError("bad_hyperparameter", name=name, value=value)
    return f


def split_indices(labels: np.ndarray, val_fraction: float, test_fraction: float,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified split: within each class, round(n * fraction) go to validation and test, the
    rest (at least one) to training. Returns three shuffled index arrays."""
    val_fraction = _fraction("validation", val_fraction, 0.5)
    test_fraction = _fraction("test", test_fraction, 0.5)
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = min(int(round(len(idx) * test_fraction)), max(len(idx) - 1, 0))
        n_val = min(int(round(len(idx) * val_fraction)), max(len(idx) - 1 - n_test, 0))
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test:n_test + n_val])
        parts[0].append(idx[n_test + n_val:])
    empty = np.zeros(0, dtype=np.int64)
    return tuple(rng.permutation(np.concatenate(p)) if p else empty for p in parts)  # type: ignore[return-value]


def make_split(images: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...], val_fraction: float,
               test_fraction: float, seed: int = 0,
               test: tuple[np.ndarray, np.ndarray] | None = None) -> DataSplit:
    """A DataSplit of images (N, H, W, C) 0..255 and labels (N,). With `test` given (a data set
    that comes with its own test images, like MNIST), only validation is split off."""
    images = np.asarray(images, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    if images.ndim != 4 or len(images) != len(labels) or len(labels) == 0:
        raise EngineError("bad_shape", name="images", expected="(N, H, W, C)", got=str(images.shape))
    train, val, held = split_indices(labels, val_fraction, 0.0 if test else test_fraction, seed)
    x_test, y_test = (images[held], labels[held]) if test is None else (
        np.asarray(test[0], dtype=np.float32), np.asarray(test[1], dtype=np.int64))
    return DataSplit(images[train], labels[train], images[val], labels[val], x_test, y_test,
                     tuple(class_names))


def class_counts(labels: np.ndarray, classes: int) -> np.ndarray:
    """(classes,) number of images of each class."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=classes)


# ------------------------------------------------------------------ augmentation


@dataclass(frozen=True)
class AugmentOptions:
    """Random changes applied to each training batch (never to validation or test images).

    rotation: degrees (+-); shifts and zoom: fractions of the size (+-); shear: fraction of the
    image (+-, Keras' RandomShear); brightness: fraction of the 0..1 range added (+-).
    """

    rotation: float = 0.0
    width_shift: float = 0.0
    height_shift: float = 0.0
    shear: float = 0.0
    zoom: float = 0.0
    horizontal_flip: bool = False
    vertical_flip: bool = False
    brightness: float = 0.0

    @property
    def active(self) -> bool:
        return any((self.rotation, self.width_shift, self.height_shift, self.shear, self.zoom,
                    self.horizontal_flip, self.vertical_flip, self.brightness))


def _check_augment(opts: AugmentOptions) -> AugmentOptions:
    limits = {"rotation": 180.0, "width_shift": 0.5, "height_shift": 0.5, "shear": 0.5, "zoom": 0.9,
              "brightness": 0.9}
    for name, high in limits.items():
        _fraction(name, getattr(opts, name), high)
    return opts


def augmentation_layers(opts: AugmentOptions, seed: int = 0) -> list:
    """Keras 3 preprocessing layers doing what ImageDataGenerator's arguments did (inputs 0..1)."""
    import keras

    _check_augment(opts)
    out, fill = [], {"fill_mode": "nearest"}
    flips = {(True, False): "horizontal", (False, True): "vertical", (True, True): "horizontal_and_vertical"}
    if (opts.horizontal_flip, opts.vertical_flip) in flips:
        out.append(keras.layers.RandomFlip(flips[(opts.horizontal_flip, opts.vertical_flip)], seed=seed))
    if opts.rotation:
        out.append(keras.layers.RandomRotation(opts.rotation / 360.0, seed=seed + 1, **fill))  # turns
    if opts.width_shift or opts.height_shift:
        out.append(keras.layers.RandomTranslation(opts.height_shift, opts.width_shift, seed=seed + 2, **fill))
    if opts.shear:
        out.append(keras.layers.RandomShear(x_factor=opts.shear, seed=seed + 3, **fill))  # +-shear
    if opts.zoom:
        out.append(keras.layers.RandomZoom(opts.zoom, seed=seed + 4, **fill))
    if opts.brightness:
        out.append(keras.layers.RandomBrightness(opts.brightness, value_range=(0.0, 1.0), seed=seed + 5))
    return out


def augment_preview(image: np.ndarray, opts: AugmentOptions, count: int = 8, seed: int = 0) -> np.ndarray:
    """`count` augmented copies (count, H, W, C) 0..255 of one image (H, W, C) 0..255, made by the
    same layers training uses."""
    import keras

    batch = np.repeat(np.asarray(image, dtype=np.float32)[None] / 255.0, count, axis=0)
    stack = augmentation_layers(opts, seed)
    if not stack:
        return batch * 255.0
    out = keras.Sequential(stack)(batch, training=True)
    return np.clip(np.asarray(out, dtype=np.float64), 0.0, 1.0) * 255.0


def augmentation_lines(opts: AugmentOptions, seed_name: str | None = None) -> list[str]:
    """Today's Keras code of augmentation_layers(opts), one layer per line, in the same order. With
    `seed_name` (a variable of the code), each layer is seeded as augmentation_layers(opts, seed) seeds
    it and every value is written exactly (repr); without, values are short (the page shows it)."""
    num = repr if seed_name else (lambda v: f"{v:g}")

    def seed(k: int) -> str:
        return "" if not seed_name else f", seed={seed_name}" + (f" + {k}" if k else "")
    flips = {(True, False): "'horizontal'", (False, True): "'vertical'", (True, True): "'horizontal_and_vertical'"}
    lines = []
    if (opts.horizontal_flip, opts.vertical_flip) in flips:
        lines.append(f"keras.layers.RandomFlip({flips[(opts.horizontal_flip, opts.vertical_flip)]}{seed(0)})")
    if opts.rotation:
        lines.append(f"keras.layers.RandomRotation({num(opts.rotation)} / 360, fill_mode='nearest'{seed(1)})")
    if opts.width_shift or opts.height_shift:
        lines.append(f"keras.layers.RandomTranslation({num(opts.height_shift)}, {num(opts.width_shift)}, "
                     f"fill_mode='nearest'{seed(2)})")
    if opts.shear:
        lines.append(f"keras.layers.RandomShear(x_factor={num(opts.shear)}, fill_mode='nearest'{seed(3)})")
    if opts.zoom:
        lines.append(f"keras.layers.RandomZoom({num(opts.zoom)}, fill_mode='nearest'{seed(4)})")
    if opts.brightness:
        lines.append(f"keras.layers.RandomBrightness({num(opts.brightness)}, value_range=(0, 1){seed(5)})")
    return lines


def augmentation_code(opts: AugmentOptions) -> str:
    """Today's Keras code for the chosen augmentation (what replaces ImageDataGenerator)."""
    body = "".join(f"    {line},\n" for line in augmentation_lines(opts))
    return ("augment = keras.Sequential([\n" + body + "])\n"
            "train_ds = train_ds.map(lambda x, y: (augment(x / 255, training=True), y))")


# (ImageDataGenerator-era code in the notes, today's Keras 3 code, note key for the page)
IDG_TO_KERAS: tuple[tuple[str, str, str], ...] = (
    ("ImageDataGenerator(rescale=1./255)", "keras.layers.Rescaling(1./255)  # or x / 255", "rescale"),
    ("rotation_range=30", "keras.layers.RandomRotation(30 / 360)", "rotation"),
    ("width_shift_range=0.1", "keras.layers.RandomTranslation(0, 0.1)", "shift"),
    ("height_shift_range=0.1", "keras.layers.RandomTranslation(0.1, 0)", "shift"),
    ("shear_range=0.2", "keras.layers.RandomShear(x_factor=0.2)", "shear"),
    ("zoom_range=0.5", "keras.layers.RandomZoom(0.5)", "zoom"),
    ("horizontal_flip=True", "keras.layers.RandomFlip('horizontal')", "flip"),
    ("vertical_flip=True", "keras.layers.RandomFlip('vertical')", "flip"),
    ("brightness_range=[0.8, 1.2]", "keras.layers.RandomBrightness(0.2)", "brightness"),
    ("fill_mode='nearest'", "RandomRotation(..., fill_mode='nearest')", "fill"),
    ("flow_from_directory(d, target_size=(24, 24), class_mode='categorical')",
     "keras.utils.image_dataset_from_directory(d, image_size=(24, 24), label_mode='categorical')", "directory"),
    ("flow_from_dataframe(df, x_col='x', y_col='y')",
     "tf.data.Dataset.from_tensor_slices((df['x'], df['y'])).map(load_image)", "dataframe"),
    ("validation_split=0.2", "image_dataset_from_directory(d, validation_split=0.2, subset='both', seed=1)",
     "split"),
    ("fit_generator / evaluate_generator / predict_generator", "model.fit / model.evaluate / model.predict",
     "generator"),
)


# ------------------------------------------------------------------ settings


@dataclass(frozen=True)
class TrainSettings:
    """How to train: optimizer and learning rate, batch size, epochs, label encoding, seed."""

    optimizer: str = "adam"
    learning_rate: float = 0.001
    batch_size: int = 32
    epochs: int = 5
    encoding: str = "onehot"
    seed: int = 0
    augment: AugmentOptions = field(default_factory=AugmentOptions)


def check_settings(settings: TrainSettings) -> TrainSettings:
    """Validated settings within the caps of engine.config, else EngineError."""
    if settings.optimizer not in OPTIMIZERS:
        raise EngineError("bad_mode", mode=settings.optimizer)
    models.loss_name(settings.encoding)
    if not 0 < float(settings.learning_rate) <= 1:
        raise EngineError("bad_hyperparameter", name="learning_rate", value=settings.learning_rate)
    for name, value, high in (("batch_size", settings.batch_size, config.MAX_BATCH_SIZE),
                              ("epochs", settings.epochs, config.MAX_EPOCHS), ("seed", settings.seed, 2**31 - 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not (name == "seed" or value >= 1) \
                or not 0 <= value <= high:
            raise EngineError("bad_hyperparameter", name=name, value=value)
    _check_augment(settings.augment)
    return settings


def check_data(data: DataSplit) -> DataSplit:
    """Enough images of at least two classes, within the image cap."""
    total = sum(data.sizes)
    if total > config.MAX_TRAIN_IMAGES:
        raise EngineError("too_many_images", count=total, limit=config.MAX_TRAIN_IMAGES)
    if data.classes < 2 or len(np.unique(data.y_train)) < 2:
        raise EngineError("one_class_only", name=data.class_names[0] if data.class_names else "-")
    return data


# ------------------------------------------------------------------ the server-wide cap


class TrainingSlots:
    """How many jobs may train at once on this server (one process, every session), and a fair
    waiting line in front of the slots.

    `try_acquire` never blocks: a caller either gets a slot or says "busy, try again".
    `enqueue` joins the line instead: a freed slot always goes to the first job waiting (slots
    are handed over on `release`, so while anyone waits every slot is taken and `try_acquire`
    cannot jump the line). A waiting job blocks in `wait_turn` and gives its place up with
    `release` (or `leave`). The line holds at most `queue_limit` jobs.
    """

    def __init__(self, limit: int, queue_limit: int | None = None) -> None:
        self.limit = int(limit)
        self.queue_limit = int(config.MAX_QUEUED_JOBS if queue_limit is None else queue_limit)
        self._holders: set[str] = set()
        self._waiting: list[str] = []
        self._cond = threading.Condition()

    def try_acquire(self, job_id: str) -> bool:
        with self._cond:
            if len(self._holders) >= self.limit:
                return False
            self._holders.add(job_id)
            return True

    def enqueue(self, job_id: str) -> int | None:
        """Join the line: 0 = a slot is taken now, k >= 1 = k-th in line, None = line full."""
        with self._cond:
            if self._position(job_id) is None:
                if len(self._holders) < self.limit:
                    self._holders.add(job_id)  # a free slot means nobody waits
                elif len(self._waiting) < self.queue_limit:
                    self._waiting.append(job_id)
            return self._position(job_id)

    def wait_turn(self, job_id: str, timeout: float | None = None) -> bool:
        """Block until `job_id` holds a slot (True), or `timeout` passed or it left the line."""
        with self._cond:
            return self._cond.wait_for(lambda: job_id in self._holders or job_id not in self._waiting,
                                       timeout) and job_id in self._holders

    def position(self, job_id: str) -> int | None:
        """0 while holding a slot, k >= 1 while k-th in line, None otherwise."""
        with self._cond:
            return self._position(job_id)

    def leave(self, job_id: str) -> None:
        """Give up a place in the line (a held slot is kept)."""
        with self._cond:
            if job_id in self._waiting:
                self._waiting.remove(job_id)
                self._cond.notify_all()

    def release(self, job_id: str) -> None:
        """Give back a slot or a place in the line; the first job waiting takes the slot."""
        with self._cond:
            self._holders.discard(job_id)
            if job_id in self._waiting:
                self._waiting.remove(job_id)
            self._promote()
            self._cond.notify_all()

    def active(self) -> int:
        with self._cond:
            return len(self._holders)

    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    def _position(self, job_id: str) -> int | None:
        if job_id in self._holders:
            return 0
        return self._waiting.index(job_id) + 1 if job_id in self._waiting else None

    def _promote(self) -> None:
        """Hand free slots to the jobs at the head of the line (lock held)."""
        while self._waiting and len(self._holders) < self.limit:
            self._holders.add(self._waiting.pop(0))
            self._cond.notify_all()


SLOTS = TrainingSlots(config.MAX_CONCURRENT_JOBS)


# ------------------------------------------------------------------ progress and the job


@dataclass
class Progress:
    """What the page shows while a job runs. `batches` holds (position in epochs, loss, accuracy)
    running means within the epoch; `history` holds per-epoch loss/accuracy/val_loss/val_accuracy."""

    status: str = "waiting"
    epochs: int = 0
    steps_per_epoch: int = 0
    epoch: int = 0  # completed epochs
    step: int = 0  # batches done in the current epoch
    batches: list[tuple[float, float, float]] = field(default_factory=list)
    history: dict[str, list[float]] = field(default_factory=dict)
    elapsed: float = 0.0
    position: int = 0  # place in the server's waiting line while status is 'queued'

    @property
    def fraction(self) -> float:
        """Share of all batches done, 0..1."""
        total = self.epochs * self.steps_per_epoch
        return 0.0 if total == 0 else min(1.0, (self.epoch * self.steps_per_epoch + self.step) / total)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class TrainingJob:
    """One model.fit owned by one browser session, followed by a background thread.

    The thread waits for a server slot, then hands the work (`_work`) to a worker process
    (engine.learn.workers; in the thread itself when the server has none, or for a class with
    `remote = False`). The worker runs a copy of this job and reports its progress record, which
    the thread keeps here (under the lock); the page reads copies with `snapshot()`, asks it to
    `stop()`, and takes `model` once `finished`. The trained model comes back as .keras bytes
    (`_pack`/`_unpack`); what else a subclass made in the worker comes back by `_carried`.
    """

    remote = True  # run _work in a worker process when the server has workers

    def __init__(self, data: DataSplit, spec: models.ModelSpec, settings: TrainSettings,
                 slots: TrainingSlots = SLOTS) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.data = check_data(data)
        self.spec = models.checked(spec)
        self.settings = check_settings(settings)
        models.summary(self.spec, data.input_shape, data.classes)  # shapes fit, under the parameter cap
        self.init_job(slots, settings.epochs)

    def init_job(self, slots: TrainingSlots, epochs: int) -> None:
        """The job's control state (slots, lock, stop flag, progress, thread); a subclass doing
        other work in the queue (engine.learn.explain.ExplainJob) calls only this."""
        self.id = getattr(self, "id", None) or uuid.uuid4().hex[:12]
        self.model = None
        self.filter_history: list[np.ndarray] = []  # first conv kernel at the start and after each epoch
        self.error: EngineError | None = None
        self.failure_kind: str | None = None
        self._slots = slots
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._progress = Progress(epochs=epochs)
        self._started = 0.0
        self._queued = False
        self._thread = threading.Thread(target=self._run, name=f"convlab-train-{self.id}", daemon=True)

    # -- control (page side)
    def start(self, queue: bool = False) -> "TrainingJob":
        """Take a server slot and start training, or raise EngineError('training_busy').
        With `queue`, a full server puts the job in line instead (busy only when the line is full)."""
        place = self._slots.enqueue(self.id) if queue else (0 if self._slots.try_acquire(self.id) else None)
        if place is None:
            raise EngineError("training_busy", limit=self._slots.limit)
        self._started, self._queued = time.monotonic(), bool(place)
        self._update(status="queued" if place else "preparing")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the run to end after the current batch (what was learned so far is kept), or leave
        the waiting line."""
        self._stop.set()
        self._slots.leave(self.id)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished (True) or `timeout` seconds passed (False)."""
        return self._done.wait(timeout)

    def _progress_copy(self) -> Progress:
        with self._lock:
            return copy.deepcopy(self._progress)

    def snapshot(self) -> Progress:
        """A copy of the progress record, safe to read while the job runs."""
        with self._lock:
            snap = copy.deepcopy(self._progress)
        snap.elapsed = (time.monotonic() - self._started) if self._started else 0.0
        if snap.status == "queued":
            snap.position = self._slots.position(self.id) or 0
        return snap

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    # -- the worker thread
    def _update(self, **changes: object) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self._progress, key, value)

    def _await_slot(self) -> bool:
        """A queued job waits in line until it holds a slot (True) or was stopped (False)."""
        if not self._queued:
            return True
        while not self._slots.wait_turn(self.id, timeout=0.5):
            if self._stop.is_set():
                return False
        if self._stop.is_set():
            return False
        self._started = time.monotonic()  # time spent waiting is not training time
        self._update(status="preparing")
        return True

    def _run(self) -> None:
        try:
            if not self._await_slot():
                self._update(status="cancelled")
                return
            self.model = self._execute()
            self._update(status=self._end_status())
        except EngineError as err:
            self.error = err
            self._update(status="failed")
        except workers.TaskFailed as err:
            log.error("training job %s failed in its worker: %s", self.id, err.kind)
            self.failure_kind = err.kind
            self._update(status="failed")
        except Exception as err:  # noqa: BLE001 - reported to the page as a short notice
            log.exception("training job %s failed", self.id)
            self.failure_kind = type(err).__name__
            self._update(status="failed")
        finally:
            self._slots.release(self.id)
            self._done.set()

    def _execute(self):
        """Run `_work` in a worker process (or here, without workers) and return its model."""
        pool = workers.shared_pool() if self.remote else None
        if pool is None:
            return self._work()
        packed, carried, progress = pool.run(RemoteWork(self), self._receive, self._stop.is_set)
        self.__dict__.update(carried)
        self._receive(progress)
        return self._unpack(packed)

    def _receive(self, progress: Progress) -> None:
        """The worker's newest progress record becomes this job's."""
        with self._lock:
            self._progress = progress

    def _pack(self, model) -> bytes | None:
        """In the worker: the trained model as .keras bytes (None without a model)."""
        return None if model is None else models.save_bytes(model, self.data.class_names)

    def _unpack(self, packed: bytes | None):
        """In the server: the model from `_pack`'s bytes."""
        return None if packed is None else models.load_bytes(packed).model

    def _carried(self) -> dict:
        """In the worker: attributes (besides the model) the server's job takes over."""
        return {"filter_history": self.filter_history}

    UNPICKLED = ("_lock", "_stop", "_done", "_thread", "_slots", "model")

    def __getstate__(self) -> dict:
        """What a worker gets: the data, spec and settings, not the thread's locks or the slots."""
        return {k: v for k, v in self.__dict__.items() if k not in self.UNPICKLED}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock, self._stop, self._done = threading.Lock(), threading.Event(), threading.Event()
        self._thread, self._slots, self.model = None, None, None

    def _work(self):
        """The work: train and return the model. A subclass may run other work here
        (engine.learn.transfer runs a whole comparison) and keeps the slot, stop and status handling."""
        model, train_ds, val_ds, steps = prepare_fit(self.data, self.spec, self.settings)
        self._update(status="running", steps_per_epoch=steps)
        model.fit(train_ds, epochs=self.settings.epochs, validation_data=val_ds,
                  callbacks=[progress_callback(self), filter_recorder(self)], shuffle=False,
                  verbose=0)  # the pipeline shuffles
        return model

    def _end_status(self) -> str:
        if self._over_time():
            return "time_limit"
        return "stopped" if self._stop.is_set() else "completed"

    def _over_time(self) -> bool:
        return time.monotonic() - self._started > config.MAX_TRAIN_SECONDS

    def should_stop(self) -> bool:
        """True once Stop was pressed or the job ran out of its time."""
        return self._stop.is_set() or self._over_time()

    def record_batch(self, batch: int, logs: dict, last_record: float) -> float:
        """Count one finished batch; add a curve point when PROGRESS_SECONDS passed since the last
        one (or at the epoch's last batch). Returns the time of the last point."""
        now = time.monotonic()
        with self._lock:
            p = self._progress
            p.step = batch + 1
            if now - last_record >= config.PROGRESS_SECONDS or p.step >= p.steps_per_epoch:
                position = p.epoch + p.step / max(p.steps_per_epoch, 1)
                p.batches.append((position, float(logs.get("loss", np.nan)), float(logs.get("accuracy", np.nan))))
                return now
        return last_record

    def record_epoch(self, epoch: int, logs: dict) -> None:
        """Store the epoch's train and validation loss/accuracy."""
        with self._lock:
            p = self._progress
            p.epoch, p.step = epoch + 1, 0
            for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
                if key in logs:
                    p.history.setdefault(key, []).append(float(logs[key]))


class RemoteWork:
    """A job's work as a worker task (engine.learn.workers): the copy of the job runs `_work`, a thread
    reports its progress record every SEND_GAP, and Stop from the server reaches `should_stop`."""

    def __init__(self, job: TrainingJob) -> None:
        self.job = job

    def __call__(self, channel) -> tuple[object, dict, Progress]:
        job = self.job
        job._stop = _ChannelStop(channel)
        done = threading.Event()

        def report() -> None:
            while not done.wait(workers.SEND_GAP):
                channel.send(job._progress_copy())

        reporter = threading.Thread(target=report, name="convlab-report", daemon=True)
        reporter.start()
        try:
            model = job._work()
        finally:
            done.set()
            reporter.join()
        return job._pack(model), job._carried(), job._progress_copy()


class _ChannelStop:
    """threading.Event's `is_set`/`set` for a job in a worker: set by the server's Stop."""

    def __init__(self, channel) -> None:
        self._channel, self._set = channel, False

    def is_set(self) -> bool:
        return self._set or self._channel.stop_requested()

    def set(self) -> None:
        self._set = True


def progress_callback(job: TrainingJob):
    """A keras Callback feeding `job`'s progress record and honouring its stop flag."""
    import keras

    class _Progress(keras.callbacks.Callback):
        async_safe = True  # Keras may call the batch hook from its own thread: no waiting in fit

        def __init__(self) -> None:
            super().__init__()
            self.last = 0.0

        def on_train_batch_end(self, batch, logs=None):
            self.last = job.record_batch(batch, logs or {}, self.last)
            if job.should_stop():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            job.record_epoch(epoch, logs or {})
            if job.should_stop():
                self.model.stop_training = True

    return _Progress()


def filter_recorder(job: TrainingJob):
    """A keras Callback appending the first Conv2D layer's kernel (k, k, C_in, F) to
    job.filter_history before training and after every epoch (nothing for a model without one)."""
    import keras

    class _Filters(keras.callbacks.Callback):
        def _record(self) -> None:
            conv = next((layer for layer in self.model.layers if type(layer).__name__ == "Conv2D"), None)
            if conv is not None:
                kernel = np.array(conv.get_weights()[0], dtype=np.float32)
                with job._lock:  # noqa: SLF001 - the job's own record
                    job.filter_history.append(kernel)

        def on_train_begin(self, logs=None):
            self._record()

        def on_epoch_end(self, epoch, logs=None):
            self._record()

    return _Filters()


def _labels(y: np.ndarray, classes: int, encoding: str) -> np.ndarray:
    return losses.one_hot(y, classes, np.float32) if encoding == "onehot" else np.asarray(y, dtype=np.int64)


def prepare_fit(data: DataSplit, spec: models.ModelSpec, settings: TrainSettings):
    """Seeded model (compiled) and tf.data pipelines: (model, train_ds, val_ds or None, steps).

    Everything random is drawn under one lock right after keras.utils.set_random_seed(seed).
    """
    import keras
    import tensorflow as tf

    seed, bs = int(settings.seed), int(settings.batch_size)
    x = data.x_train / np.float32(255.0)  # rescale=1./255
    y = _labels(data.y_train, data.classes, settings.encoding)
    with _SEED_LOCK:
        keras.utils.set_random_seed(seed)
        model = models.build_keras(spec, data.input_shape, data.classes)
        model.compile(optimizer=models.keras_optimizer(settings.optimizer, settings.learning_rate),
                      loss=models.loss_name(settings.encoding), metrics=["accuracy"])
        train = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed).batch(bs)
        if settings.augment.active:
            augment = keras.Sequential(augmentation_layers(settings.augment, seed))
            train = train.map(lambda a, b: (augment(a, training=True), b))
    val = None
    if len(data.y_val):
        xv = data.x_val / np.float32(255.0)
        val = tf.data.Dataset.from_tensor_slices((xv, _labels(data.y_val, data.classes, settings.encoding))).batch(bs)
    steps = -(-len(x) // bs)  # ceil(N / batch size) batches per epoch
    return model, train.prefetch(2), val, steps


# ------------------------------------------------------------------ looking inside


@dataclass(frozen=True)
class Evaluation:
    """A model on labelled images: probabilities (N, K), predicted (N,), labels (N,), accuracy,
    confusion (K, K) with rows = true class and columns = predicted class, per_class (K,)
    accuracy (NaN for a class with no test image)."""

    probabilities: np.ndarray
    predicted: np.ndarray
    labels: np.ndarray
    accuracy: float
    confusion: np.ndarray
    per_class: np.ndarray


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """(K, K) counts: entry [t, p] = how many images of class t were predicted as p."""
    flat = np.asarray(labels, dtype=np.int64) * classes + np.asarray(predicted, dtype=np.int64)
    return np.bincount(flat, minlength=classes * classes).reshape(classes, classes)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """Diagonal / row sums: the share of each true class predicted correctly (NaN when empty)."""
    totals = confusion.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion) / totals, np.nan)


def evaluate(model, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Predict every image (pixels 0..255) and score the predictions (argmax of the softmax)."""
    labels = np.asarray(labels, dtype=np.int64)
    probs = models.predict(model, images)
    predicted = probs.argmax(axis=1)
    confusion = confusion_matrix(labels, predicted, probs.shape[1])
    accuracy = float(np.mean(predicted == labels)) if len(labels) else float("nan")
    return Evaluation(probs, predicted, labels, accuracy, confusion, per_class_accuracy(confusion))


def misclassified(evaluation: Evaluation, limit: int = 25) -> np.ndarray:
    """Indices of the first `limit` wrongly predicted images (the notes' "R: P:" grid)."""
    return np.flatnonzero(evaluation.predicted != evaluation.labels)[:limit]


@dataclass
class TrainedModel:
    """A model ready to look inside: trained here (origin 'trained') or read from a file
    ('loaded'), its class names, what it was trained for and its scores on test images
    (test_* and evaluation are None when no test set fits the model)."""

    model: object
    class_names: tuple[str, ...]
    input_shape: tuple[int, int, int]
    origin: str
    status: str
    history: dict[str, list[float]]
    test_images: np.ndarray | None
    test_labels: np.ndarray | None
    evaluation: Evaluation | None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    filter_history: tuple[np.ndarray, ...] = ()  # first conv kernel at the start and after each epoch


def collect(job: TrainingJob) -> TrainedModel | None:
    """The finished job's model, scored on its test images; None when it produced no model."""
    if not job.finished or job.model is None:
        return None
    snap, data = job.snapshot(), job.data
    evaluation = evaluate(job.model, data.x_test, data.y_test) if len(data.y_test) else None
    with job._lock:  # noqa: SLF001
        frames = tuple(job.filter_history)
    return TrainedModel(job.model, data.class_names, data.input_shape, "trained", snap.status, snap.history,
                        data.x_test, data.y_test, evaluation, job.id, frames)


def from_loaded(loaded: models.LoadedModel, data: DataSplit | None) -> TrainedModel:
    """A loaded model; scored on `data`'s test images when their shape and class count fit it."""
    fits = (data is not None and len(data.y_test) > 0 and data.input_shape == loaded.input_shape
            and data.classes == len(loaded.class_names))
    evaluation = evaluate(loaded.model, data.x_test, data.y_test) if fits else None
    names = data.class_names if fits and "numbered_classes" in loaded.notes else loaded.class_names
    return TrainedModel(loaded.model, tuple(names), loaded.input_shape, "loaded", "loaded", {},
                        data.x_test if fits else None, data.y_test if fits else None, evaluation)


def with_settings(settings: TrainSettings, **changes: object) -> TrainSettings:
    """A copy of the settings with some fields changed."""
    return replace(settings, **changes)
