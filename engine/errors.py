"""The one exception type the engine raises for bad input, with a translatable message key.

Pages catch `EngineError` and show `t("errors." + err.key, **err.params)` in the user's language.
Every key raised anywhere in the engine is listed in `ERROR_KEYS` (with the names of its
parameters), and a test checks that each has a text in every locale.
"""
from __future__ import annotations

import numpy as np

# key -> names of the format parameters its message uses
ERROR_KEYS: dict[str, tuple[str, ...]] = {
    "bad_shape": ("name", "expected", "got"),
    "channel_mismatch": ("input_channels", "kernel_channels"),
    "empty_input": ("name",),
    "nonfinite": ("name",),
    "not_numeric": ("name",),
    "stride_lt_1": ("stride",),
    "dilation_lt_1": ("dilation",),
    "kernel_lt_1": ("kernel",),
    "negative_padding": ("padding",),
    "bad_padding": ("padding",),
    "kernel_too_large": ("effective_kernel", "padded_input"),
    "pool_too_large": ("pool", "padded_input"),
    "bad_mode": ("mode",),
    "position_out_of_range": ("row", "col", "rows", "cols"),
    "channel_out_of_range": ("channel", "channels"),
    "bad_rate": ("rate",),
    "bad_probabilities": ("name",),
    "bad_label": ("label", "classes"),
    "bad_hyperparameter": ("name", "value"),
    "bad_image": ("reason",),
    "image_too_large": ("pixels", "limit"),
    "empty_cell": ("name", "row", "col"),
    "not_numeric_cell": ("name", "row", "col", "value"),
    "nonfinite_cell": ("name", "row", "col"),
    "too_many_params": ("params", "limit"),
    "too_many_images": ("count", "limit"),
    "training_busy": ("limit",),
    "worker_lost": (),
    "worker_memory": ("limit",),
    "one_class_only": ("name",),
    "no_class_folders": (),
    "no_usable_images": ("skipped",),
    "upload_too_large": ("size_mb", "limit_mb"),
    "archive_unreadable": (),
    "archive_too_many_files": ("files", "limit"),
    "archive_unzipped_too_large": ("size_mb", "limit_mb"),
    "archive_suspicious_ratio": ("name", "ratio", "limit"),
    "archive_unsafe_path": ("name",),
    "csv_unreadable": (),
    "csv_missing_column": ("column",),
    "csv_no_files_found": ("column",),
    "csv_bad_label_column": ("column", "classes", "rows"),
    "model_file_unreadable": (),
    "model_not_classifier": ("shape",),
    "transfer_not_enough_images": ("wanted", "available"),
    "transfer_weights_unreadable": ("name",),
    "arch_input_size": ("size", "minimum", "maximum"),
    "arch_merge_mismatch": ("layer", "shapes"),
    "arch_bad_groups": ("layer", "channels", "filters", "groups"),
    "arch_duplicate_layer": ("layer",),
    "model_has_code": ("name",),
    "filter_sizes_differ": ("sizes",),
    "explain_no_conv": (),
    "explain_bad_layer": ("layer",),
    "explain_bad_image": ("expected", "got"),
    "explain_patch_too_large": ("patch", "height", "width"),
}


class EngineError(ValueError):
    """Bad input to an engine function.

    `key` names the message (a key of ERROR_KEYS); `params` fill its placeholders.
    """

    def __init__(self, key: str, **params: object) -> None:
        if key not in ERROR_KEYS:
            raise KeyError(f"unknown engine error key {key!r}")
        self.key = key
        self.params = params
        detail = ", ".join(f"{k}={v}" for k, v in params.items())
        super().__init__(f"{key}({detail})")

    def __reduce__(self):  # pickled by key and params (a worker process sends it to the server)
        return _rebuild_engine_error, (self.key, self.params)


def _rebuild_engine_error(key: str, params: dict) -> EngineError:
    return EngineError(key, **params)


def require_finite(name: str, array: np.ndarray) -> None:
    """Raise EngineError('nonfinite') when `array` holds NaN or +-inf."""
    if not np.isfinite(array).all():
        raise EngineError("nonfinite", name=name)


def as_float_array(name: str, value: object, ndim: int | None = None) -> np.ndarray:
    """Convert to a float ndarray (float32 kept, anything else float64) and check its rank.

    Raises EngineError('not_numeric') for non-numeric data, 'empty_input' for size 0 and
    'bad_shape' when `ndim` is given and does not match.
    """
    try:
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiub":
            arr = arr.astype(np.float64)
        elif arr.dtype != np.float32:
            arr = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise EngineError("not_numeric", name=name) from exc
    if arr.size == 0:
        raise EngineError("empty_input", name=name)
    if ndim is not None and arr.ndim != ndim:
        raise EngineError("bad_shape", name=name, expected=f"{ndim}-D", got=str(arr.shape))
    return arr
