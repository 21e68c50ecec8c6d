"""Small CNNs for the training studio: a plain description (ModelSpec), the course notes' presets,
the per-layer summary (engine.shapes.layers.summarize, checked against Keras in the tests), the Keras model
built from the same description, and what a trained model shows inside (feature maps, filters).

A ModelSpec is a stack of conv blocks, then Flatten (or global average pooling), then dense
layers, then a softmax Dense with one unit per class:
    conv block = Conv2D(filters, kernel, padding, activation) [-> Max/AvgPool 2x2] [-> BatchNorm]
                 [-> Dropout]
    dense layer = Dense(units, activation) [-> Dropout]
Layer names follow Keras (conv2d, conv2d_1, ...) and are passed to Keras explicitly, so the
summary and the built model always agree.

TensorFlow/Keras are imported inside the functions that need them, never at module import.
Images enter a model rescaled to 0..1 (the notes' ImageDataGenerator(rescale=1./255)) unless the
model's first layer is a Rescaling layer (then raw 0..255 pixels go in).
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import weakref
import zipfile
from dataclasses import astuple, dataclass, field, replace

import numpy as np

from engine import checks, config
from engine.errors import EngineError
from engine.shapes import layers

ACTIVATIONS = ("relu", "elu", "tanh", "sigmoid")
PADDINGS = ("valid", "same")
POOLS = ("max", "avg", "none")
HEADS = ("flatten", "gap")
MAX_KERNEL = 7
MAX_DROPOUT = 0.9
PRESET_NAMES = ("tiny", "shapes_notes", "mnist_notes", "bn_dropout")
CLASS_NAMES_FILE = "convlab.json"  # extra member of a downloaded .keras file: the class names
KERAS_CONFIG = "config.json"
KERAS_MEMBERS = (KERAS_CONFIG, "metadata.json", "model.weights.h5", "model.weights.npz")
CODE_CLASSES = ("Lambda", "__lambda__", "TFSMLayer")  # config entries that would run or load code
MAX_CONFIG_BYTES = 4 * 2**20  # a CNN's config.json is a few kB
MAX_CLASS_NAME = 80  # characters of a stored class name that are kept


@dataclass(frozen=True)
class ConvBlock:
    """Conv2D(filters, kernel x kernel, padding, activation), then optional pooling (2x2, stride 2),
    batch normalization and dropout."""

    filters: int = 16
    kernel: int = 3
    activation: str = "relu"
    padding: str = "valid"
    pool: str = "max"
    batchnorm: bool = False
    dropout: float = 0.0


@dataclass(frozen=True)
class DenseLayer:
    """Dense(units, activation), then optional dropout."""

    units: int = 64
    activation: str = "relu"
    dropout: float = 0.0


@dataclass(frozen=True)
class ModelSpec:
    """The hidden layers of a classifier; the softmax output layer is added for the classes."""

    blocks: tuple[ConvBlock, ...] = (ConvBlock(),)
    dense: tuple[DenseLayer, ...] = ()
    head: str = "flatten"


PRESETS: dict[str, ModelSpec] = {
    # trains in seconds: one small conv block straight into the softmax layer
    "tiny": ModelSpec((ConvBlock(8, 3, pool="max"),), ()),
    # 001: Conv(32) -> Conv(64) -> MaxPool -> Flatten -> Dense(128) -> Dense(3, softmax) on 24x24
    "shapes_notes": ModelSpec((ConvBlock(32, 3, pool="none"), ConvBlock(64, 3, pool="max")),
                              (DenseLayer(128),)),
    # 004: Conv(32) -> Pool -> Conv(64) -> Pool -> Conv(64) -> Flatten -> Dense(64) -> Dense(10)
    "mnist_notes": ModelSpec((ConvBlock(32, 3, pool="max"), ConvBlock(64, 3, pool="max"),
                              ConvBlock(64, 3, pool="none")), (DenseLayer(64),)),
    # 002 (Animals-10) scaled down: same-padded conv -> pool -> batch norm, then Dense + Dropout(0.4)
    "bn_dropout": ModelSpec(tuple(ConvBlock(f, 3, padding="same", pool="max", batchnorm=True)
                                  for f in (32, 16, 8)), (DenseLayer(32, dropout=0.4),)),
}


# ------------------------------------------------------------------ checking a spec


def _rate(name: str, value: object) -> float:
    """A dropout rate in 0..MAX_DROPOUT."""
    try:
        rate = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise checks.bad_hyperparameter(name, value) from None
    if isinstance(value, bool) or not 0.0 <= rate <= MAX_DROPOUT:
        raise checks.bad_hyperparameter(name, value)
    return rate


def _choice(name: str, value: object, options: tuple[str, ...]) -> str:
    if value not in options:
        raise checks.bad_hyperparameter(name, value)
    return str(value)


LAYERS_SEPARATOR, ROW_SEPARATOR, CELL_SEPARATOR = "|", ";", ","


def layers_text(spec: ModelSpec) -> str:
    """The spec's hidden layers as a short text (for a share link): each conv block as
    `filters,kernel,activation,padding,pool,batchnorm,dropout` (batchnorm 0/1), blocks separated by
    ';', then '|' and each dense layer as `units,activation,dropout`. The head is not included."""
    def cells(values) -> str:
        return CELL_SEPARATOR.join(f"{v:g}" if isinstance(v, float) else str(int(v) if isinstance(v, bool) else v)
                                   for v in values)
    blocks = ROW_SEPARATOR.join(cells(astuple(b)) for b in spec.blocks)
    dense = ROW_SEPARATOR.join(cells(astuple(d)) for d in spec.dense)
    return blocks + LAYERS_SEPARATOR + dense


def layers_from_text(text: str, head: str = "flatten") -> ModelSpec:
    """The checked ModelSpec of a `layers_text` (with `head`); EngineError for anything else."""
    blocks_text, separator, dense_text = str(text).partition(LAYERS_SEPARATOR)
    if not separator:
        raise checks.bad_hyperparameter("layers", text)

    def rows(part: str, width: int) -> list[list[str]]:
        found = [row.split(CELL_SEPARATOR) for row in part.split(ROW_SEPARATOR)] if part else []
        if any(len(row) != width for row in found):
            raise checks.bad_hyperparameter("layers", text)
        return found

    def flag(cell: str) -> bool:
        if cell not in ("0", "1"):
            raise checks.bad_hyperparameter("batchnorm", cell)
        return cell == "1"

    blocks = tuple(ConvBlock(f, k, a, p, pool, flag(bn), d) for f, k, a, p, pool, bn, d in rows(blocks_text, 7))
    dense = tuple(DenseLayer(u, a, d) for u, a, d in rows(dense_text, 3))
    return checked(ModelSpec(blocks, dense, head))


def checked(spec: ModelSpec) -> ModelSpec:
    """The spec with every value validated and normalised (ints, floats, bools), else EngineError."""
    if not 1 <= len(spec.blocks) <= config.MAX_CONV_BLOCKS:
        raise checks.bad_hyperparameter("conv blocks", len(spec.blocks))
    if len(spec.dense) > config.MAX_DENSE_LAYERS:
        raise checks.bad_hyperparameter("dense layers", len(spec.dense))
    blocks = tuple(ConvBlock(
        checks.whole_in("filters", b.filters, 1, config.MAX_FILTERS), checks.whole_in("kernel", b.kernel, 1, MAX_KERNEL),
        _choice("activation", b.activation, ACTIVATIONS), _choice("padding", b.padding, PADDINGS),
        _choice("pool", b.pool, POOLS), bool(b.batchnorm), _rate("dropout", b.dropout))
        for b in spec.blocks)
    dense = tuple(DenseLayer(checks.whole_in("units", d.units, 1, config.MAX_UNITS),
                             _choice("activation", d.activation, ACTIVATIONS), _rate("dropout", d.dropout))
                  for d in spec.dense)
    return ModelSpec(blocks, dense, _choice("head", spec.head, HEADS))


def _check_shape(input_shape: tuple[int, int, int], classes: int) -> tuple[tuple[int, int, int], int]:
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3 or shape[2] not in (1, 3) or min(shape[:2]) < 1:
        raise EngineError("bad_shape", name="input", expected="(H, W, 1) or (H, W, 3)", got=str(shape))
    return shape, checks.whole_in("classes", classes, 2, 1000)  # type: ignore[return-value]


# ------------------------------------------------------------------ summary (no TensorFlow)


def layer_specs(spec: ModelSpec, classes: int) -> list[layers.LayerSpec]:
    """engine.shapes.layers specs of the whole model, output layer included, in Keras order."""
    out: list[layers.LayerSpec] = []
    for b in spec.blocks:
        out.append(layers.Conv2DSpec(b.filters, b.kernel, padding=b.padding, activation=b.activation))
        if b.pool != "none":
            out.append(layers.PoolSpec(b.pool, 2))
        if b.batchnorm:
            out.append(layers.BatchNormSpec())
        if b.dropout > 0:
            out.append(layers.DropoutSpec(b.dropout))
    out.append(layers.FlattenSpec() if spec.head == "flatten" else layers.GlobalPoolSpec("avg"))
    for d in spec.dense:
        out.append(layers.DenseSpec(d.units, activation=d.activation))
        if d.dropout > 0:
            out.append(layers.DropoutSpec(d.dropout))
    out.append(layers.DenseSpec(classes, activation="softmax"))
    return out


def summary(spec: ModelSpec, input_shape: tuple[int, int, int], classes: int) -> list[layers.LayerRow]:
    """One LayerRow per layer (output shape, parameters and their formula), like model.summary().

    Raises EngineError for bad values, a window that no longer fits (kernel_too_large,
    pool_too_large) and a model over config.MAX_PARAMS parameters ('too_many_params').
    """
    shape, classes = _check_shape(input_shape, classes)
    rows = layers.summarize(shape, layer_specs(checked(spec), classes))
    total = layers.totals(rows)[0]
    if total > config.MAX_PARAMS:
        raise EngineError("too_many_params", params=f"{total:,}", limit=f"{config.MAX_PARAMS:,}")
    return rows


def add_block(spec: ModelSpec) -> ModelSpec:
    """The spec with one more conv block (twice the last block's filters, at most MAX_FILTERS)."""
    last = spec.blocks[-1] if spec.blocks else ConvBlock()
    new = replace(last, filters=min(config.MAX_FILTERS, last.filters * 2), dropout=0.0)
    return replace(spec, blocks=spec.blocks + (new,))


# ------------------------------------------------------------------ Keras (imported lazily)


def _keras_layer(spec: layers.LayerSpec, name: str):
    """The Keras layer of one engine spec."""
    import keras

    if isinstance(spec, layers.Conv2DSpec):
        return keras.layers.Conv2D(spec.filters, spec.kernel_size, padding=spec.padding,
                                   activation=spec.activation, name=name)
    if isinstance(spec, layers.PoolSpec):
        pool = keras.layers.MaxPooling2D if spec.mode == "max" else keras.layers.AveragePooling2D
        return pool(spec.pool_size, name=name)
    if isinstance(spec, layers.BatchNormSpec):
        return keras.layers.BatchNormalization(name=name)
    if isinstance(spec, layers.DropoutSpec):
        return keras.layers.Dropout(spec.rate, name=name)
    if isinstance(spec, layers.FlattenSpec):
        return keras.layers.Flatten(name=name)
    if isinstance(spec, layers.GlobalPoolSpec):
        return keras.layers.GlobalAveragePooling2D(name=name)
    return keras.layers.Dense(spec.units, activation=spec.activation, name=name)


def build_keras(spec: ModelSpec, input_shape: tuple[int, int, int], classes: int):
    """An uncompiled keras.Sequential for inputs (N, H, W, C) in 0..1, named like `summary`."""
    import keras

    rows = summary(spec, input_shape, classes)
    specs = layer_specs(checked(spec), classes)
    stack = [keras.Input(shape=tuple(input_shape), name="input_layer")]
    stack += [_keras_layer(s, row.name) for s, row in zip(specs, rows)]
    return keras.Sequential(stack, name="convlab_cnn")


def loss_name(encoding: str) -> str:
    """One-hot labels -> categorical cross-entropy; integer labels -> its sparse twin (same math)."""
    if encoding not in ("onehot", "integer"):
        raise EngineError("bad_mode", mode=encoding)
    return "categorical_crossentropy" if encoding == "onehot" else "sparse_categorical_crossentropy"


def keras_optimizer(name: str, learning_rate: float):
    """keras.optimizers.SGD / RMSprop / Adam with the given learning rate."""
    import keras

    kinds = {"sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam}
    if name not in kinds:
        raise EngineError("bad_mode", mode=name)
    if not 0 < float(learning_rate) <= 1:
        raise checks.bad_hyperparameter("learning_rate", learning_rate)
    return kinds[name](learning_rate=float(learning_rate))


def keras_code(spec: ModelSpec, input_shape: tuple[int, int, int], classes: int, optimizer: str = "adam",
               learning_rate: float = 0.001, encoding: str = "onehot") -> str:
    """The model as today's Keras code, the way the notes write it (model.add one layer at a time)."""
    return "\n".join(["import keras", "", model_code(spec, input_shape, classes), "",
                      compile_code(optimizer, learning_rate, encoding)])


def model_code(spec: ModelSpec, input_shape: tuple[int, int, int], classes: int) -> str:
    """`model = keras.Sequential()` and one `model.add(...)` per layer. Run right after
    keras.utils.set_random_seed(seed) it gives the same weights as build_keras."""
    lines = ["model = keras.Sequential()", f"model.add(keras.Input(shape={tuple(input_shape)}))"]
    lines += [f"model.add(keras.layers.{_code(s)})" for s in layer_specs(checked(spec), classes)]
    return "\n".join(lines)


def compile_code(optimizer: str = "adam", learning_rate: float = 0.001, encoding: str = "onehot") -> str:
    """The `model.compile(...)` call of the training settings."""
    opt = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam"}[optimizer]
    return (f"model.compile(optimizer=keras.optimizers.{opt}(learning_rate={learning_rate:g}),\n"
            f"              loss='{loss_name(encoding)}', metrics=['accuracy'])")


def _code(s: layers.LayerSpec) -> str:
    """One layer as Keras constructor code."""
    if isinstance(s, layers.Conv2DSpec):
        pad = "" if s.padding == "valid" else f", padding='{s.padding}'"
        return f"Conv2D({s.filters}, ({s.kernel_size}, {s.kernel_size}), activation='{s.activation}'{pad})"
    if isinstance(s, layers.PoolSpec):
        return ("MaxPooling2D" if s.mode == "max" else "AveragePooling2D") + "((2, 2))"
    if isinstance(s, layers.BatchNormSpec):
        return "BatchNormalization()"
    if isinstance(s, layers.DropoutSpec):
        return f"Dropout({s.rate:g})"
    if isinstance(s, layers.FlattenSpec):
        return "Flatten()"
    if isinstance(s, layers.GlobalPoolSpec):
        return "GlobalAveragePooling2D()"
    return f"Dense({s.units}, activation='{s.activation}')"


# ------------------------------------------------------------------ a built or loaded model


def input_shape_of(model) -> tuple[int, int, int]:
    """(H, W, C) a Keras image classifier expects."""
    shape = tuple(model.input_shape)
    if len(shape) != 4 or any(v is None for v in shape[1:]) or shape[3] not in (1, 3):
        raise EngineError("model_not_classifier", shape=str(shape))
    return int(shape[1]), int(shape[2]), int(shape[3])


def classes_of(model) -> int:
    """Number of output classes of a (None, K) softmax-like output."""
    shape = tuple(model.output_shape)
    if len(shape) != 2 or shape[1] is None or shape[1] < 2:
        raise EngineError("model_not_classifier", shape=str(shape))
    return int(shape[1])


def takes_raw_pixels(model) -> bool:
    """True when the model starts with a Rescaling layer (it then takes 0..255 pixels)."""
    return bool(model.layers) and type(model.layers[0]).__name__ == "Rescaling"


def model_inputs(model, images: np.ndarray) -> np.ndarray:
    """(N, H, W, C) pixels 0..255 -> what the model takes (0..1 unless it rescales itself)."""
    x = np.asarray(images, dtype=np.float32)
    return x if takes_raw_pixels(model) else x / np.float32(255.0)


def predict(model, images: np.ndarray, batch: int = 512) -> np.ndarray:
    """Class probabilities (N, K) for pixels (N, H, W, C) in 0..255, in inference mode."""
    x = model_inputs(model, images)
    parts = [np.asarray(model(x[i:i + batch], training=False)) for i in range(0, len(x), batch)]
    return np.concatenate(parts, axis=0).astype(np.float64)


FEATURE_LAYERS = ("Conv2D", "MaxPooling2D", "AveragePooling2D")
_PROBES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def feature_layer_names(model) -> list[str]:
    """Names of the conv and pooling layers, in order (the layers whose maps the notes draw)."""
    return [layer.name for layer in model.layers if type(layer).__name__ in FEATURE_LAYERS]


def _probe(model):
    """A functional model returning every conv/pool output (built once per model)."""
    import keras

    probe = _PROBES.get(model)
    if probe is None:
        wanted = [layer.output for layer in model.layers if type(layer).__name__ in FEATURE_LAYERS]
        if not wanted:
            raise EngineError("model_not_classifier", shape="no Conv2D layer")
        probe = keras.Model(inputs=model.inputs[0], outputs=wanted)
        _PROBES[model] = probe
    return probe


def feature_maps(model, image: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
    """For one image (H, W, C) 0..255: (layer name, layer class, maps (h, w, channels)) of every
    conv and pooling layer, computed by the model itself (activations applied)."""
    outputs = _probe(model)(model_inputs(model, np.asarray(image)[None]), training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    names = [layer for layer in model.layers if type(layer).__name__ in FEATURE_LAYERS]
    return [(layer.name, type(layer).__name__, np.asarray(out)[0].astype(np.float64))
            for layer, out in zip(names, outputs)]


def first_filters(model) -> np.ndarray:
    """The first Conv2D layer's kernel (k, k, C_in, F) as float64."""
    for layer in model.layers:
        if type(layer).__name__ == "Conv2D":
            return np.asarray(layer.get_weights()[0], dtype=np.float64)
    raise EngineError("model_not_classifier", shape="no Conv2D layer")


def keras_rows(model) -> list[tuple[str, str, tuple, int]]:
    """(name, class, output shape without batch, parameters) per layer, read from Keras."""
    return [(layer.name, type(layer).__name__, tuple(layer.output.shape[1:]), int(layer.count_params()))
            for layer in model.layers]


def spec_rows(model) -> list[layers.LayerRow] | None:
    """engine.shapes.layers rows (with formulas) for a Keras model made only of layers the engine knows
    (Conv2D, pooling, BatchNorm, Dropout, Flatten, GAP, Dense); None otherwise."""
    specs = []
    for layer in model.layers:
        spec = _spec_from_keras(layer)
        if spec is None:
            return None
        specs.append(spec)
    try:
        rows = layers.summarize(input_shape_of(model), specs)
    except EngineError:
        return None
    return [replace(row, name=layer.name) for row, layer in zip(rows, model.layers)]


def _spec_from_keras(layer) -> layers.LayerSpec | None:
    """The engine spec of one Keras layer, or None when the engine does not model it."""
    kind, cfg = type(layer).__name__, layer.get_config()
    if kind == "Conv2D" and cfg.get("groups", 1) == 1:
        return layers.Conv2DSpec(cfg["filters"], tuple(cfg["kernel_size"]), tuple(cfg["strides"]),
                                 cfg["padding"], tuple(cfg["dilation_rate"]), cfg["use_bias"])
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        strides = cfg.get("strides")
        return layers.PoolSpec("max" if kind.startswith("Max") else "avg", tuple(cfg["pool_size"]),
                               None if strides is None else tuple(strides), cfg["padding"])
    if kind in ("GlobalAveragePooling2D", "GlobalMaxPooling2D") and not cfg.get("keepdims"):
        return layers.GlobalPoolSpec("avg" if "Average" in kind else "max")
    if kind == "Dense":
        return layers.DenseSpec(cfg["units"], cfg["use_bias"])
    simple = {"Flatten": layers.FlattenSpec, "BatchNormalization": layers.BatchNormSpec}
    if kind in simple and (kind != "BatchNormalization" or (cfg.get("center", True) and cfg.get("scale", True))):
        return simple[kind]()
    if kind == "Dropout":
        return layers.DropoutSpec(float(cfg["rate"]))
    return None


# ------------------------------------------------------------------ .keras files


@dataclass
class LoadedModel:
    """A Keras model read from a .keras file, with its class names (given or numbered)."""

    model: object
    class_names: tuple[str, ...]
    input_shape: tuple[int, int, int]
    notes: tuple[str, ...] = field(default_factory=tuple)


def save_bytes(model, class_names: tuple[str, ...]) -> bytes:
    """The model as .keras file bytes, with the class names added as a small JSON member."""
    with tempfile.TemporaryDirectory(prefix="convlab-save-") as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr(CLASS_NAMES_FILE, json.dumps({"class_names": list(class_names)}))
        with open(path, "rb") as fh:
            return fh.read()


def _check_keras_archive(data: bytes) -> tuple[bytes, list[str] | None]:
    """Size, zip and code checks before Keras sees the file.

    Returns a copy of the archive holding only what Keras needs (config, metadata, weights), so
    Keras never unpacks anything to disk, and the stored class names when present.
    """
    if len(data) > config.MAX_MODEL_BYTES:
        raise EngineError("upload_too_large", size_mb=f"{len(data) / config.MB:.1f}",
                          limit_mb=f"{config.MAX_MODEL_BYTES / config.MB:.0f}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            _check_sizes(infos)
            refuse_code(json.loads(archive.read(KERAS_CONFIG)))
            stored = json.loads(archive.read(CLASS_NAMES_FILE)) if CLASS_NAMES_FILE in infos else {}
            kept = _keras_only(archive, infos)
    except EngineError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError, RecursionError) as exc:
        raise EngineError("model_file_unreadable") from exc
    found = stored.get("class_names") if isinstance(stored, dict) else None
    return kept, [str(n)[:MAX_CLASS_NAME] for n in found] if isinstance(found, list) else None


def _check_sizes(infos: dict[str, zipfile.ZipInfo]) -> None:
    """A config.json of sane size, and no more unpacked bytes than a few times the upload limit."""
    unpacked = sum(info.file_size for info in infos.values())
    if (KERAS_CONFIG not in infos or infos[KERAS_CONFIG].file_size > MAX_CONFIG_BYTES
            or unpacked > 4 * config.MAX_MODEL_BYTES):
        raise EngineError("model_file_unreadable")
    if CLASS_NAMES_FILE in infos and infos[CLASS_NAMES_FILE].file_size > MAX_CONFIG_BYTES:
        raise EngineError("model_file_unreadable")


def _keras_only(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> bytes:
    """A new in-memory .keras archive with only the members Keras reads for a plain model (with
    more members Keras would unpack the whole archive into the system's temporary folder)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
        for name in KERAS_MEMBERS:
            if name in infos:
                out.writestr(name, archive.read(infos[name]))
    return buf.getvalue()


def refuse_code(node: object, depth: int = 0) -> None:
    """EngineError('model_has_code') when a Keras config carries Python code or loads from paths:
    Lambda layers (pickled bytecode), TFSMLayer, or functions from modules outside Keras."""
    if depth > 200:
        raise EngineError("model_file_unreadable")
    if isinstance(node, dict):
        if node.get("class_name") in CODE_CLASSES or _foreign_function(node):
            raise EngineError("model_has_code", name=str(node.get("class_name"))[:40])
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return
    for child in children:
        refuse_code(child, depth + 1)


def _foreign_function(node: dict) -> bool:
    """A serialized object whose module is neither Keras nor a plain built-in type."""
    module = node.get("module")
    if not isinstance(module, str) or "class_name" not in node:
        return False
    return not (module == "keras" or module.startswith(("keras.", "builtins")))


def load_bytes(data: bytes) -> LoadedModel:
    """A .keras file's bytes -> LoadedModel, with keras.models.load_model(safe_mode=True).

    Checked before Keras sees it (refuse_code: no Lambda layer, no foreign module); anything
    that is not a Keras image classifier gives EngineError('model_file_unreadable') or
    ('model_not_classifier'). Only the members Keras needs are written, to a private temporary
    directory that exists only while loading.
    """
    import keras

    kept, names = _check_keras_archive(bytes(data))
    with tempfile.TemporaryDirectory(prefix="convlab-load-") as tmp:
        path = os.path.join(tmp, "upload.keras")
        with open(path, "wb") as fh:
            fh.write(kept)
        try:
            model = keras.models.load_model(path, compile=False, safe_mode=True)
        except Exception as exc:  # noqa: BLE001 - any failure inside Keras: not a usable model
            raise EngineError("model_file_unreadable") from exc
    if not isinstance(model, keras.Model) or not model.layers:
        raise EngineError("model_file_unreadable")
    shape = input_shape_of(model)
    classes = classes_of(model)
    notes: tuple[str, ...] = ()
    if names is None or len(names) != classes:
        names, notes = [str(i) for i in range(classes)], ("numbered_classes",)
    return LoadedModel(model, tuple(names), shape, notes)
