"""A training run of the studio as a Jupyter notebook and a Python script a student runs at home.

`export_zip(run, text)` gives the bytes of a zip holding
    convlab_run.ipynb   the notebook (nbformat v4): data, augmentation, model, compile, fit with the
                        run's seed, curves, evaluation, confusion matrix, the "R: P:" grid of
                        mistakes, activation maps and first-layer filters, in today's Keras, with the
                        course notes' old call in a comment wherever it differs
    convlab_run.py      the same code cells as one script (markdown cells as comments)
    data/               the images the app trained on, already split into train / validation / test:
                        data/convlab_data.npz (arrays, exactly the app's pixels), or, for uploaded
                        class folders, data/train/<class>/00000.png ... read back with
                        keras.utils.image_dataset_from_directory (pixels rounded to whole numbers)
It needs only `pip install tensorflow matplotlib`; nothing is downloaded.

The code follows engine.learn.training.prepare_fit step by step (keras.utils.set_random_seed, the model
of engine.learn.models.model_code, compile, the shuffled tf.data pipeline, the seeded augmentation layers
of engine.learn.training.augmentation_layers), so the same versions of TensorFlow/Keras start from the
same weights and see the same batches as the app's run.

Texts: `text(key, **params)` returns the translated "notebook.<key>" (ui.i18n.translate with the
language bound); this module never imports Streamlit, TensorFlow or the ui package.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from importlib import metadata
from typing import Callable

import nbformat
import numpy as np
from nbformat import v4
from PIL import Image

from engine.learn import models, training
from engine.shapes import layers

NOTEBOOK_NAME = "convlab_run.ipynb"
SCRIPT_NAME = "convlab_run.py"
ARCHIVE_NAME = "convlab_notebook.zip"
NPZ_PATH = "data/convlab_data.npz"
SPLITS = ("train", "val", "test")
GRID = 5  # the notes' 5 x 5 grid of mistakes
MAX_MAPS = 16  # channels drawn per layer
BAD_FOLDER_CHARS = set('/\\:*?"<>|\x00')
HANGUL_FONTS = ("Malgun Gothic", "AppleGothic", "NanumGothic", "Noto Sans CJK KR", "Noto Sans KR")

Text = Callable[..., str]


@dataclass(frozen=True)
class Run:
    """What a training job used: its data split, model and settings, and where the data came
    from ('shapes', 'mnist', 'folders', 'csv' or '' when unknown)."""

    data: training.DataSplit
    spec: models.ModelSpec
    settings: training.TrainSettings
    source: str = ""

    @property
    def layout(self) -> str:
        """'folders' for uploaded class folders whose names work as folder names, else 'arrays'."""
        return "folders" if self.source == "folders" and folder_safe(self.data.class_names) else "arrays"

    @property
    def parameters(self) -> int:
        """The model's parameter count, as the app's summary shows it."""
        return layers.totals(models.summary(self.spec, self.data.input_shape, self.data.classes))[0]


def run_of(job: training.TrainingJob, source: str = "") -> Run:
    """The Run of a training job (checked data, spec and settings, as the job trained them)."""
    return Run(job.data, job.spec, job.settings, source)


def folder_safe(names: tuple[str, ...]) -> bool:
    """True when every class name is a usable folder name on Windows, macOS and Linux, and no
    two differ only in case."""
    def ok(name: str) -> bool:
        return (0 < len(name) <= 80 and name not in (".", "..") and not (set(name) & BAD_FOLDER_CHARS)
                and name == name.strip() and not name.endswith(".") and name.isprintable())
    return all(ok(n) for n in names) and len({n.casefold() for n in names}) == len(names)


# ------------------------------------------------------------------ the data files


def _arrays(run: Run) -> dict[str, np.ndarray]:
    d = run.data
    return {"x_train": d.x_train, "y_train": d.y_train, "x_val": d.x_val, "y_val": d.y_val,
            "x_test": d.x_test, "y_test": d.y_test}


def _compact(images: np.ndarray) -> np.ndarray:
    """uint8 when every pixel is a whole number 0..255 (MNIST, uploads' PNGs), else float32 as is."""
    x = np.asarray(images, dtype=np.float32)
    if x.size and np.array_equal(x, np.round(x)) and x.min() >= 0 and x.max() <= 255:
        return x.astype(np.uint8)
    return x


def npz_bytes(run: Run) -> bytes:
    """The split as a compressed .npz: x_* (N, H, W, C) pixels 0..255 (uint8 or float32), y_* (N,)
    int64 labels, class_names (str array, no pickle needed)."""
    buf = io.BytesIO()
    arrays = {k: (_compact(v) if k.startswith("x_") else np.asarray(v, dtype=np.int64))
              for k, v in _arrays(run).items()}
    np.savez_compressed(buf, class_names=np.array(run.data.class_names, dtype=str), **arrays)
    return buf.getvalue()


def png_bytes(image: np.ndarray) -> bytes:
    """One (H, W, 1|3) 0..255 image as PNG (gray or RGB), pixels rounded to whole numbers."""
    pixels = np.clip(np.round(np.asarray(image, dtype=np.float64)), 0, 255).astype(np.uint8)
    picture = Image.fromarray(pixels[..., 0], "L") if pixels.shape[2] == 1 else Image.fromarray(pixels, "RGB")
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return buf.getvalue()


def data_files(run: Run) -> dict[str, bytes]:
    """Archive path -> bytes of the run's data. Folder layout: data/<split>/<class>/<index>.png,
    index = position in the app's split, an empty folder entry for a class without images."""
    if run.layout == "arrays":
        return {NPZ_PATH: npz_bytes(run)}
    files: dict[str, bytes] = {}
    arrays = _arrays(run)
    for split in SPLITS:
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if not len(y):
            continue
        for name in run.data.class_names:
            files[f"data/{split}/{name}/"] = b""
        for i, (image, label) in enumerate(zip(x, y)):
            files[f"data/{split}/{run.data.class_names[int(label)]}/{i:05d}.png"] = png_bytes(image)
    return files


# ------------------------------------------------------------------ code pieces


def _version(*packages: str) -> str:
    for name in packages:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "?"


def _py(value: object) -> str:
    """A Python literal (floats round-trip exactly)."""
    return repr(value)


def augmentation_code(opts: training.AugmentOptions) -> str:
    """`augment = keras.Sequential([...])`: the layers engine.learn.training.augmentation_layers(opts, SEED)
    makes (same order, values and seeds), one per line."""
    lines = training.augmentation_lines(opts, "SEED")
    return "augment = keras.Sequential([\n" + "".join(f"    {line},\n" for line in lines) + "])"


def old_augmentation_call(opts: training.AugmentOptions) -> str:
    """The notes' ImageDataGenerator(...) arguments for the same augmentation."""
    args = ["rescale=1./255"]
    if opts.rotation:
        args.append(f"rotation_range={opts.rotation:g}")
    if opts.width_shift:
        args.append(f"width_shift_range={opts.width_shift:g}")
    if opts.height_shift:
        args.append(f"height_shift_range={opts.height_shift:g}")
    if opts.shear:
        args.append(f"shear_range={opts.shear:g}")
    if opts.zoom:
        args.append(f"zoom_range={opts.zoom:g}")
    if opts.horizontal_flip:
        args.append("horizontal_flip=True")
    if opts.vertical_flip:
        args.append("vertical_flip=True")
    if opts.brightness:
        args.append(f"brightness_range=[{1 - opts.brightness:g}, {1 + opts.brightness:g}]")
    args.append("fill_mode='nearest'")
    return "ImageDataGenerator(" + ", ".join(args) + ")"


def _old_layer(s: layers.LayerSpec, first: bool, input_shape: tuple) -> str | None:
    """The notes' model.add(...) line where it differs from today's (input_shape on the first
    layer, pool_size=...), else None."""
    if isinstance(s, layers.Conv2DSpec) and first:
        pad = "" if s.padding == "valid" else f", padding='{s.padding}'"
        return (f"model.add(Conv2D({s.filters}, kernel_size=({s.kernel_size}, {s.kernel_size}), "
                f"activation='{s.activation}'{pad}, input_shape={tuple(input_shape)}))")
    return None


def _setup_code(run: Run) -> str:
    d, s = run.data, run.settings
    lines = [
        "# pip install tensorflow matplotlib",
        "import os",
        "",
        "import numpy as np",
        "import tensorflow as tf",
        "import keras",
        "import matplotlib.pyplot as plt",
        "",
        "# The notes (older Keras):",
        "#   from keras.models import Sequential",
        "#   from keras.layers import Dense, Flatten",
        "#   from keras.layers.convolutional import Conv2D, MaxPooling2D",
        "#   from keras.preprocessing.image import ImageDataGenerator",
        "#   from keras.utils import np_utils",
        "# Today everything is reached from `keras` itself: keras.layers, keras.utils, keras.optimizers.",
        "",
        "if '__file__' in globals():  # run as a script: read data/ next to it",
        "    os.chdir(os.path.dirname(os.path.abspath(__file__)))",
        "",
        f"SEED = {int(s.seed)}",
        f"EPOCHS = {int(s.epochs)}",
        f"BATCH_SIZE = {int(s.batch_size)}",
        f"IMAGE_SHAPE = {tuple(d.input_shape)}  # (height, width, channels)",
        f"CLASS_NAMES = {_py(list(d.class_names))}",
        "NUM_CLASSES = len(CLASS_NAMES)",
        "print('TensorFlow', tf.__version__, '| Keras', keras.__version__)",
    ]
    if not all(name.isascii() for name in d.class_names):
        lines += ["", "# class names with Hangul: use a font that has it when one is installed",
                  "from matplotlib import font_manager",
                  f"for font in {_py(list(HANGUL_FONTS))}:",
                  "    if any(f.name == font for f in font_manager.fontManager.ttflist):",
                  "        plt.rcParams['font.family'] = font",
                  "        break"]
    return "\n".join(lines)


def _old_data_call(run: Run) -> list[str]:
    """The notes' way of loading this kind of data, as comment lines."""
    h, w, _ = run.data.input_shape
    if run.source == "mnist":
        return ["# The notes: from keras.datasets import mnist",
                "#            (x_train, y_train), (x_test, y_test) = mnist.load_data()  # downloads the full set",
                "#            x_train = x_train.reshape(60000, 28, 28, 1).astype('float32') / 255.0"]
    if run.source == "csv":
        return ["# The notes: train_data = ImageDataGenerator(rescale=1./255).flow_from_dataframe(",
                f"#     train, directory=train_dir, x_col='x', y_col='y', target_size=({h}, {w}),",
                "#     class_mode='categorical', batch_size=32)"]
    return ["# The notes: train_generator = ImageDataGenerator(rescale=1./255).flow_from_directory(",
            f"#     './dataset/shape/train', target_size=({h}, {w}), batch_size=3, class_mode='categorical')"]


def _arrays_code(run: Run) -> str:
    return "\n".join([
        *_old_data_call(run),
        f"# Here: the very images the app trained on, already split, in {NPZ_PATH} (pixels 0..255).",
        f"data = np.load({_py(NPZ_PATH)})",
        "x_train, y_train = data['x_train'].astype('float32'), data['y_train']",
        "x_val, y_val = data['x_val'].astype('float32'), data['y_val']",
        "x_test, y_test = data['x_test'].astype('float32'), data['y_test']",
    ])


def _folders_code(run: Run) -> str:
    h, w, c = run.data.input_shape
    color = "grayscale" if c == 1 else "rgb"
    lines = [
        "# The notes: train_generator = ImageDataGenerator(rescale=1./255).flow_from_directory(",
        f"#     'data/train', target_size=({h}, {w}), batch_size=32, class_mode='categorical')",
        "# Today: keras.utils.image_dataset_from_directory reads the same class folders.",
        "def load_split(folder):",
        "    \"\"\"A split folder (one sub-folder per class) as arrays, in the app's order (the file",
        "    names are the images' positions).\"\"\"",
        "    ds = keras.utils.image_dataset_from_directory(",
        "        folder, labels='inferred', label_mode='int', class_names=CLASS_NAMES,",
        f"        color_mode={_py(color)}, image_size=IMAGE_SHAPE[:2], batch_size=None, shuffle=False)",
        "    x = np.stack([image.numpy() for image, _ in ds]).astype('float32')",
        "    y = np.array([int(label) for _, label in ds], dtype='int64')",
        "    order = np.argsort([int(os.path.splitext(os.path.basename(p))[0]) for p in ds.file_paths])",
        "    return x[order], y[order]",
        "",
        "",
        "def no_images():",
        "    return np.zeros((0,) + IMAGE_SHAPE, dtype='float32'), np.zeros(0, dtype='int64')",
        "",
        "",
    ]
    for split in SPLITS:
        n = len(getattr(run.data, f"y_{split}"))
        lines.append(f"x_{split}, y_{split} = " + (f"load_split('data/{split}')" if n else "no_images()"))
    return "\n".join(lines)


def _data_code(run: Run) -> str:
    load = _folders_code(run) if run.layout == "folders" else _arrays_code(run)
    onehot = run.settings.encoding == "onehot"
    encode = ("    return keras.utils.to_categorical(y, NUM_CLASSES).astype('float32')" if onehot
              else "    return np.asarray(y, dtype='int64')")
    return "\n".join([
        load,
        "print('train', x_train.shape, '| validation', x_val.shape, '| test', x_test.shape)",
        "",
        "# rescale=1./255: pixels 0..255 -> 0..1 (ImageDataGenerator(rescale=1./255) in the notes)",
        "x_train, x_val, x_test = x_train / 255.0, x_val / 255.0, x_test / 255.0",
        "",
        "",
        ("# one-hot rows for categorical_crossentropy (the notes: np_utils.to_categorical(y))" if onehot
         else "# integer labels for sparse_categorical_crossentropy (the notes: class_mode='sparse')"),
        "def encode(y):",
        encode,
    ])


def _samples_code() -> str:
    return "\n".join([
        "first = [int(np.flatnonzero(y_train == k)[0]) for k in range(NUM_CLASSES) if np.any(y_train == k)][:10]",
        "fig, axes = plt.subplots(1, len(first), figsize=(1.6 * len(first), 2), squeeze=False)",
        "for ax, i in zip(axes[0], first):",
        "    ax.imshow(x_train[i].squeeze(), cmap='gray' if IMAGE_SHAPE[2] == 1 else None, vmin=0, vmax=1)",
        "    ax.set_title(CLASS_NAMES[y_train[i]])",
        "    ax.axis('off')",
        "plt.show()",
    ])


def _model_code(run: Run) -> str:
    d = run.data
    specs = models.layer_specs(models.checked(run.spec), d.classes)
    old = _old_layer(specs[0], True, d.input_shape)
    return "\n".join([
        "# The notes: model = Sequential()",
        f"#            {old}",
        "# Today the input shape is a keras.Input of its own and every layer comes from keras.layers.",
        "keras.utils.set_random_seed(SEED)  # the same starting weights as the app's run",
        models.model_code(run.spec, d.input_shape, d.classes),
        "",
        models.compile_code(run.settings.optimizer, run.settings.learning_rate, run.settings.encoding),
        "model.summary()",
        "print(f'Total parameters: {model.count_params():,}')",
    ])


def _pipeline_code(run: Run) -> str:
    opts = run.settings.augment
    lines = [
        "# The app's pipeline: shuffled with the seed, in batches; validation images are never augmented.",
        "train_ds = tf.data.Dataset.from_tensor_slices((x_train, encode(y_train)))",
        "train_ds = train_ds.shuffle(len(x_train), seed=SEED).batch(BATCH_SIZE)",
    ]
    if opts.active:
        lines += [
            "",
            f"# The notes: datagen = {old_augmentation_call(opts)}",
            "# Today: preprocessing layers applied to each training batch (inputs 0..1).",
            augmentation_code(opts),
            "train_ds = train_ds.map(lambda x, y: (augment(x, training=True), y))",
        ]
    lines += [
        "train_ds = train_ds.prefetch(2)",
        "val_ds = (tf.data.Dataset.from_tensor_slices((x_val, encode(y_val))).batch(BATCH_SIZE)",
        "          if len(y_val) else None)",
    ]
    return "\n".join(lines)


def _fit_code(run: Run) -> str:
    return "\n".join([
        "# The notes: model.fit_generator(train_generator, steps_per_epoch=15, epochs=50,",
        "#                                validation_data=test_generator, validation_steps=5)",
        "# Today model.fit takes the dataset itself (fit_generator is gone); train_ds is shuffled already.",
        "history = model.fit(train_ds, epochs=EPOCHS, validation_data=val_ds, shuffle=False, verbose=2)",
    ])


def _curves_code() -> str:
    return "\n".join([
        "# The notes read hist.history['acc'] and ['val_acc']; today the keys are 'accuracy' and 'val_accuracy'.",
        "fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4))",
        "epochs = range(1, len(history.history['loss']) + 1)",
        "for ax, key in ((loss_ax, 'loss'), (acc_ax, 'accuracy')):",
        "    ax.plot(epochs, history.history[key], 'o-', label='train')",
        "    if 'val_' + key in history.history:",
        "        ax.plot(epochs, history.history['val_' + key], 's--', label='validation')",
        "    ax.set_xlabel('epoch')",
        "    ax.set_ylabel(key)",
        "    ax.legend()",
        "plt.show()",
    ])


def _evaluate_code() -> str:
    return "\n".join([
        "# The notes: scores = model.evaluate_generator(test_generator, steps=5)",
        "#            output = model.predict_generator(test_generator, steps=5)",
        "# Today: model.evaluate and model.predict.",
        "test_loss, test_accuracy = model.evaluate(x_test, encode(y_test), batch_size=BATCH_SIZE, verbose=0)",
        "probabilities = model.predict(x_test, batch_size=BATCH_SIZE, verbose=0)",
        "predicted = probabilities.argmax(axis=1)",
        "print(f'Test loss: {test_loss:.4f}')",
        "print(f'Test accuracy: {test_accuracy:.1%} ({int(np.sum(predicted == y_test))} of {len(y_test)} right)')",
    ])


def _confusion_code() -> str:
    return "\n".join([
        "confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=int)  # rows: true class, columns: predicted",
        "np.add.at(confusion, (y_test, predicted), 1)",
        "fig, ax = plt.subplots(figsize=(1.2 * NUM_CLASSES + 2, 1.2 * NUM_CLASSES + 1))",
        "ax.imshow(confusion, cmap='Blues')",
        "for t in range(NUM_CLASSES):",
        "    for p in range(NUM_CLASSES):",
        "        ax.text(p, t, confusion[t, p], ha='center', va='center',",
        "                color='white' if confusion[t, p] > confusion.max() / 2 else 'black')",
        "ax.set_xticks(range(NUM_CLASSES), CLASS_NAMES, rotation=45, ha='right')",
        "ax.set_yticks(range(NUM_CLASSES), CLASS_NAMES)",
        "ax.set_xlabel('predicted class')",
        "ax.set_ylabel('true class')",
        "plt.show()",
        "for k, name in enumerate(CLASS_NAMES):",
        "    total = confusion[k].sum()",
        "    print(f'{name}: {confusion[k, k]} of {total} right' + (f' ({confusion[k, k] / total:.1%})' if total else ''))",
    ])


def _mistakes_code() -> str:
    return "\n".join([
        "# The notes loop over x_test with a counter and draw 'R: <true> P: <predicted>' on a 5 x 5 grid.",
        f"wrong = np.flatnonzero(predicted != y_test)[:{GRID * GRID}]",
        "print(len(np.flatnonzero(predicted != y_test)), 'mistakes')",
        "if len(wrong):",
        f"    fig, axes = plt.subplots({GRID}, {GRID}, figsize=(10, 10))",
        "    for ax in axes.flat:",
        "        ax.axis('off')",
        "    for ax, i in zip(axes.flat, wrong):",
        "        ax.imshow(x_test[i].squeeze(), cmap='gray' if IMAGE_SHAPE[2] == 1 else None, vmin=0, vmax=1)",
        "        ax.set_title(f'R: {CLASS_NAMES[y_test[i]]} P: {CLASS_NAMES[predicted[i]]}', fontsize=9)",
        "    plt.show()",
    ])


def _maps_code(has_test: bool) -> str:
    image = "x_test[:1]" if has_test else "x_train[:1]"
    return "\n".join([
        "# The notes: layer_outputs = [layer.output for layer in model.layers[:8]]",
        "#            activation_model = models.Model(inputs=model.input, outputs=layer_outputs)",
        "#            activations = activation_model.predict(img_tensor)",
        "feature_layers = [layer for layer in model.layers",
        "                  if isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D,",
        "                                        keras.layers.AveragePooling2D))]",
        "activation_model = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in feature_layers])",
        f"image = {image}",
        "activations = activation_model.predict(image, verbose=0)",
        "if not isinstance(activations, (list, tuple)):",
        "    activations = [activations]",
        "for layer, maps in zip(feature_layers, activations):",
        f"    channels = min(maps.shape[-1], {MAX_MAPS})",
        "    fig, axes = plt.subplots(1, channels, figsize=(1.1 * channels, 1.7), squeeze=False)",
        "    fig.suptitle(f'{layer.name} ({type(layer).__name__}): '",
        "                 f'{maps.shape[1]}x{maps.shape[2]}x{maps.shape[3]}', fontsize=10)",
        "    for c, ax in enumerate(axes[0]):",
        "        ax.matshow(maps[0, :, :, c], cmap='viridis')",
        "        ax.axis('off')",
        "    plt.show()",
    ])


def _filters_code() -> str:
    return "\n".join([
        "kernel = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)).get_weights()[0]",
        "print('first-layer kernel (k, k, channels in, filters):', kernel.shape)",
        f"shown = min(kernel.shape[-1], {MAX_MAPS})",
        "fig, axes = plt.subplots(1, shown, figsize=(1.1 * shown, 1.4), squeeze=False)",
        "for f, ax in enumerate(axes[0]):",
        "    ax.imshow(kernel[:, :, 0, f], cmap='coolwarm')",
        "    ax.axis('off')",
        "plt.show()",
    ])


# ------------------------------------------------------------------ notebook, script, zip


def _intro(run: Run, text: Text) -> str:
    d, s = run.data, run.settings
    n_train, n_val, n_test = d.sizes
    source = text(f"train.sources.{run.source}") if run.source else text("notebook.unknown_source")
    augment = text("notebook.augment_on") if s.augment.active else text("notebook.augment_off_short")
    data_note = text("notebook.data_folders" if run.layout == "folders" else "notebook.data_arrays")
    return "\n".join([
        text("notebook.title"), "", text("notebook.purpose"), "",
        text("notebook.how_to_run", notebook=NOTEBOOK_NAME, script=SCRIPT_NAME), "",
        text("notebook.this_run", source=source, train=f"{n_train:,}", val=f"{n_val:,}", test=f"{n_test:,}",
             shape=str(d.input_shape), classes=d.classes, params=f"{run.parameters:,}",
             optimizer=s.optimizer, lr=f"{s.learning_rate:g}", batch=s.batch_size, epochs=s.epochs,
             seed=s.seed, loss=models.loss_name(s.encoding), augment=augment), "",
        data_note, "",
        text("notebook.versions", tf=_version("tensorflow", "tensorflow-cpu"), keras=_version("keras")),
    ])


def notebook(run: Run, text: Text) -> nbformat.NotebookNode:
    """The run as an nbformat v4 notebook: markdown cells in the text's language, code cells that
    reproduce the run (validated with nbformat.validate)."""
    models.summary(run.spec, run.data.input_shape, run.data.classes)  # a model that fits, or EngineError
    training.check_settings(run.settings)
    has_test = len(run.data.y_test) > 0
    cells = [("md", _intro(run, text)), ("code", _setup_code(run)),
             ("md", text("notebook.data")), ("code", _data_code(run)), ("code", _samples_code()),
             ("md", text("notebook.model")), ("code", _model_code(run)),
             ("md", text("notebook.pipeline_augment" if run.settings.augment.active else "notebook.pipeline")),
             ("code", _pipeline_code(run)),
             ("md", text("notebook.fit")), ("code", _fit_code(run)),
             ("md", text("notebook.curves")), ("code", _curves_code())]
    if has_test:
        cells += [("md", text("notebook.evaluate")), ("code", _evaluate_code()),
                  ("md", text("notebook.confusion")), ("code", _confusion_code()),
                  ("md", text("notebook.mistakes")), ("code", _mistakes_code())]
    else:
        cells.append(("md", text("notebook.no_test")))
    cells += [("md", text("notebook.maps")), ("code", _maps_code(has_test)),
              ("md", text("notebook.filters")), ("code", _filters_code()),
              ("md", text("notebook.next"))]
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell(src) if kind == "md" else v4.new_code_cell(src) for kind, src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


def script(nb: nbformat.NotebookNode) -> str:
    """The notebook as one Python script: every code cell in order, every markdown cell as comments."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            parts.append(cell.source)
        else:
            parts.append("\n".join(("# " + line).rstrip() for line in cell.source.splitlines()))
    return "\n\n\n".join(parts) + "\n"


def export_zip(run: Run, text: Text) -> bytes:
    """The zip a student downloads: notebook, script and the run's data (see the module doc)."""
    nb = notebook(run, text)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(NOTEBOOK_NAME, nbformat.writes(nb))
        archive.writestr(SCRIPT_NAME, script(nb))
        for path, data in data_files(run).items():
            archive.writestr(path, data)
    return buf.getvalue()


def code_cells(nb: nbformat.NotebookNode) -> list[str]:
    """The sources of the notebook's code cells."""
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]

