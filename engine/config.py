"""Every limit of the training studio in one place: plain constants, each overridable by an
environment variable of the same name prefixed with CONVLAB_ (e.g. CONVLAB_MAX_EPOCHS=10).

A whole class may share one server with 2 CPU cores, so training is capped in epochs, images,
parameters, wall-clock time and concurrent jobs, and uploads are capped before anything is
decoded or unpacked. A bad environment value is ignored (the default is kept) so a typo can
never take the app down.
"""
from __future__ import annotations

import os

MB = 2**20


def _env_number(name: str, default: float, low: float, high: float) -> float:
    """CONVLAB_<name> as a number in low..high, else `default`."""
    raw = os.environ.get(f"CONVLAB_{name}")
    try:
        value = float(raw) if raw is not None else default
    except ValueError:
        return default
    return value if low <= value <= high else default


def _env_int(name: str, default: int, low: int, high: int) -> int:
    return int(_env_number(name, default, low, high))


# ---- training
MAX_EPOCHS = _env_int("MAX_EPOCHS", 30, 1, 1000)
MAX_TRAIN_IMAGES = _env_int("MAX_TRAIN_IMAGES", 20_000, 10, 1_000_000)  # images in one data set
MAX_PARAMS = _env_int("MAX_PARAMS", 3_000_000, 1_000, 100_000_000)  # parameters of one model
MAX_CONCURRENT_JOBS = _env_int("MAX_CONCURRENT_JOBS", 2, 1, 64)  # training jobs on the server
MAX_QUEUED_JOBS = _env_int("MAX_QUEUED_JOBS", 40, 0, 10_000)  # jobs waiting for a slot; more get "busy"
MAX_TRAIN_SECONDS = _env_number("MAX_TRAIN_SECONDS", 900.0, 5.0, 86_400.0)  # one job's wall time
# worker processes that train (engine.learn.workers; 0 = in the server's own threads), the memory one may
# use (MiB) before it is stopped, and the jobs one runs before a fresh one replaces it
TRAIN_WORKERS = _env_int("TRAIN_WORKERS", MAX_CONCURRENT_JOBS, 0, 64)
WORKER_MEMORY_MB = _env_int("WORKER_MEMORY_MB", 1500, 200, 1_000_000)
WORKER_JOBS = _env_int("WORKER_JOBS", 40, 1, 1_000_000)
MAX_BATCH_SIZE = _env_int("MAX_BATCH_SIZE", 256, 1, 4096)
MAX_CONV_BLOCKS = _env_int("MAX_CONV_BLOCKS", 6, 1, 32)
MAX_DENSE_LAYERS = _env_int("MAX_DENSE_LAYERS", 4, 0, 32)
MAX_FILTERS = _env_int("MAX_FILTERS", 256, 1, 4096)
MAX_UNITS = _env_int("MAX_UNITS", 1024, 1, 65_536)
MAX_INPUT_SIDE = _env_int("MAX_INPUT_SIDE", 64, 8, 512)  # images are resized to at most this side
PROGRESS_SECONDS = _env_number("PROGRESS_SECONDS", 0.25, 0.01, 60.0)  # min gap of batch records
POLL_SECONDS = _env_number("POLL_SECONDS", 1.0, 0.1, 60.0)  # how often the page redraws progress

# ---- uploads (checked before anything is unpacked or decoded)
MAX_ZIP_BYTES = _env_int("MAX_ZIP_MB", 20, 1, 4096) * MB
MAX_UNZIPPED_BYTES = _env_int("MAX_UNZIPPED_MB", 200, 1, 16_384) * MB
MAX_ZIP_FILES = _env_int("MAX_ZIP_FILES", 5_000, 1, 1_000_000)
MAX_COMPRESSION_RATIO = _env_number("MAX_COMPRESSION_RATIO", 100.0, 2.0, 100_000.0)
MAX_CSV_BYTES = _env_int("MAX_CSV_MB", 5, 1, 1024) * MB
MAX_MODEL_BYTES = _env_int("MAX_MODEL_MB", 30, 1, 4096) * MB
MAX_IMAGE_BYTES = _env_int("MAX_IMAGE_MB", 10, 1, 1024) * MB  # one picture inside a zip or alone


def widget_limit_mb(limit_bytes: int) -> int:
    """The browser-side cap of an upload widget: twice our own limit, so a file a little over the
    limit still reaches the engine and gets its translated message, while a huge one is stopped
    before it is sent."""
    return max(1, 2 * limit_bytes // MB)

# ---- transfer learning (pages/transfer.py): one job runs pretraining and three target runs
MAX_TRANSFER_PER_CLASS = _env_int("MAX_TRANSFER_PER_CLASS", 100, 1, 10_000)  # labelled target images per class
MAX_SOURCE_PER_CLASS = _env_int("MAX_SOURCE_PER_CLASS", 1_000, 10, 100_000)  # pretraining images per class
MAX_PRETRAIN_EPOCHS = _env_int("MAX_PRETRAIN_EPOCHS", 10, 1, 1000)
MAX_TRANSFER_EPOCHS = _env_int("MAX_TRANSFER_EPOCHS", 30, 2, 1000)  # epochs of each target run
TRANSFER_TEST_PER_CLASS = _env_int("TRANSFER_TEST_PER_CLASS", 100, 1, 10_000)  # held-out target images per class
# how often the transfer page redraws progress: each redraw costs the busy server and browser CPU,
# and TensorFlow slows down sharply when its threads must share the cores
TRANSFER_POLL_SECONDS = _env_number("TRANSFER_POLL_SECONDS", 3.0, 0.1, 60.0)
