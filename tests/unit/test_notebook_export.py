"""The exported notebook of a training run (engine.learn.notebook_export): valid nbformat v4, code that
compiles and builds the app's model, texts in the user's language, the run's data in the zip, the
.py script equal to the code cells; and, executed with nbclient on tiny settings, the notebook
prints the app's parameter count and reproduces the app's run (same losses and test accuracy)."""
from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import zipfile
from functools import partial
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image

from engine.data import datasets
from engine.learn import models, notebook_export as ne, training
from engine.shapes import layers
from ui.i18n import translate

SHAPE_NAMES = ("Triangle", "Rectangle", "Circle")
AUGMENT = training.AugmentOptions(rotation=15, width_shift=0.1, height_shift=0.05, shear=0.15, zoom=0.2,
                                  horizontal_flip=True, vertical_flip=True, brightness=0.1)


def shapes_run(epochs=1, augment=training.AugmentOptions(), spec=models.PRESETS["tiny"], size=16, per_class=20,
               names=SHAPE_NAMES, encoding="onehot", val=0.2, test=0.2) -> ne.Run:
    x, y = datasets.make_shapes(per_class, datasets.ShapeOptions(size=size, line_width=1), seed=0)
    split = training.make_split(x, y, names, val, test, 0)
    settings = training.TrainSettings("adam", 0.003, 16, epochs, encoding, 7, augment)
    return ne.Run(split, spec, settings, "shapes")


def folders_run(names=("cats", "dogs"), val=0.0, channels=3) -> ne.Run:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 255, (30, 12, 12, channels)).astype(np.float32)
    split = training.make_split(x, np.arange(30) % 2, names, val, 0.2, 0)
    return ne.Run(split, models.PRESETS["tiny"], training.TrainSettings(epochs=1, batch_size=8, encoding="integer"),
                  "folders")


RUNS = {
    "shapes": lambda: shapes_run(),
    "shapes_augmented_bn": lambda: shapes_run(augment=AUGMENT, spec=models.PRESETS["bn_dropout"], encoding="integer"),
    "korean_names_no_test": lambda: shapes_run(names=("삼각형", "사각형", "원"), per_class=2, val=0.0, test=0.0),
    "folders": lambda: folders_run(),
    "folders_gray_with_val": lambda: folders_run(val=0.2, channels=1),
}


def text(lang="en"):
    return partial(translate, lang)


def code_of(nb) -> str:
    return "\n\n".join(ne.code_cells(nb))


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", list(RUNS))
def test_notebook_is_valid_v4_and_every_code_cell_compiles(name, lang):
    run = RUNS[name]()
    nb = ne.notebook(run, text(lang))
    assert nb.nbformat == 4
    nbformat.validate(nb)
    again = nbformat.reads(nbformat.writes(nb), as_version=4)
    assert [c.source for c in again.cells] == [c.source for c in nb.cells]
    for i, source in enumerate(ne.code_cells(nb)):
        compile(source, f"cell {i}", "exec")
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert markdown[0].startswith(translate(lang, "notebook.title"))
    assert "pip install tensorflow matplotlib" in markdown[0]
    assert f"{run.parameters:,}" in markdown[0]
    if lang == "ko":
        assert all(re.search("[가-힣]", m) for m in markdown)
    has_test = len(run.data.y_test) > 0
    assert (translate(lang, "notebook.no_test") in markdown) is not has_test
    assert ("model.evaluate(" in code_of(nb)) is has_test


@pytest.mark.parametrize("name", list(RUNS))
def test_model_cell_holds_the_specs_layers_and_settings(name):
    run = RUNS[name]()
    code = code_of(ne.notebook(run, text()))
    d, s = run.data, run.settings
    assert models.model_code(run.spec, d.input_shape, d.classes) in code
    assert models.compile_code(s.optimizer, s.learning_rate, s.encoding) in code
    for spec in models.layer_specs(run.spec, d.classes):
        assert f"model.add(keras.layers.{models._code(spec)})" in code
    assert f"SEED = {s.seed}\n" in code and f"EPOCHS = {s.epochs}\n" in code
    assert f"BATCH_SIZE = {s.batch_size}\n" in code and f"CLASS_NAMES = {list(d.class_names)!r}" in code
    assert run.parameters == layers.totals(models.summary(run.spec, d.input_shape, d.classes))[0]
    assert "fit_generator" in code and "ImageDataGenerator" in code  # the notes' calls, in comments
    uncommented = "\n".join(line.split("#")[0] for line in code.splitlines())
    for old in ("fit_generator", "evaluate_generator", "ImageDataGenerator", "np_utils", "input_shape="):
        assert old not in uncommented
    assert ("image_dataset_from_directory(" in code) is (run.layout == "folders")
    assert ("RandomRotation" in code) is s.augment.active


@pytest.mark.parametrize("name", list(RUNS))
def test_script_is_the_notebooks_code_cells_with_markdown_as_comments(name):
    nb = ne.notebook(RUNS[name](), text("ko"))
    source = ne.script(nb)
    compile(source, ne.SCRIPT_NAME, "exec")
    tree_lines = [ln for ln in source.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    code_lines = [ln for cell in ne.code_cells(nb) for ln in cell.splitlines()
                  if ln.strip() and not ln.lstrip().startswith("#")]
    assert tree_lines == code_lines
    position = 0
    for cell in nb.cells:
        piece = cell.source if cell.cell_type == "code" else "# " + cell.source.splitlines()[0]
        position = source.index(piece, position)
    ast.parse(source)


def test_augmentation_code_makes_the_apps_layers():
    import keras

    for opts in (AUGMENT, training.AugmentOptions(rotation=30), training.AugmentOptions(vertical_flip=True),
                 training.AugmentOptions(width_shift=0.15000000000000002, brightness=0.35)):
        for seed in (0, 11):
            scope = {"keras": keras, "SEED": seed}
            exec(ne.augmentation_code(opts), scope)
            made = [(type(layer).__name__, layer.get_config()) for layer in scope["augment"].layers]
            app = [(type(layer).__name__, layer.get_config()) for layer in training.augmentation_layers(opts, seed)]
            for (kind, cfg), (app_kind, app_cfg) in zip(made, app, strict=True):
                assert kind == app_kind
                assert {k: v for k, v in cfg.items() if k != "name"} == {k: v for k, v in app_cfg.items() if k != "name"}


def test_arrays_layout_holds_the_apps_pixels_exactly():
    run = shapes_run()
    assert run.layout == "arrays"
    files = ne.data_files(run)
    assert list(files) == [ne.NPZ_PATH]
    with np.load(io.BytesIO(files[ne.NPZ_PATH]), allow_pickle=False) as npz:
        for split in ne.SPLITS:
            np.testing.assert_array_equal(npz[f"x_{split}"], getattr(run.data, f"x_{split}"))
            np.testing.assert_array_equal(npz[f"y_{split}"], getattr(run.data, f"y_{split}"))
        assert npz["x_train"].dtype == np.float32  # noisy shapes are not whole numbers
        assert tuple(npz["class_names"]) == SHAPE_NAMES
    whole = ne.Run(training.make_split(np.round(run.data.x_train), run.data.y_train, SHAPE_NAMES, 0.2, 0.2),
                   run.spec, run.settings, "mnist")
    with np.load(io.BytesIO(ne.npz_bytes(whole))) as npz:
        assert npz["x_train"].dtype == np.uint8
        np.testing.assert_array_equal(npz["x_train"], whole.data.x_train)


def test_folders_layout_writes_class_folders_in_the_apps_split_and_order():
    run = RUNS["folders_gray_with_val"]()
    assert run.layout == "folders"
    files = ne.data_files(run)
    for split in ne.SPLITS:
        x, y = getattr(run.data, f"x_{split}"), getattr(run.data, f"y_{split}")
        for i, (image, label) in enumerate(zip(x, y)):
            data = files[f"data/{split}/{run.data.class_names[label]}/{i:05d}.png"]
            picture = np.asarray(Image.open(io.BytesIO(data)))
            np.testing.assert_array_equal(picture, np.round(image[..., 0]).astype(np.uint8))
        assert {f"data/{split}/cats/", f"data/{split}/dogs/"} <= set(files)
    assert not any(p.startswith("data/val/") for p in ne.data_files(folders_run(val=0.0)))


@pytest.mark.parametrize("names", [("a/b", "c"), ("cat", "Cat"), ("con:", "x"), ("..", "x"), ("x.", "y"), ("", "y")])
def test_class_names_that_are_no_folder_names_give_the_arrays_layout(names):
    assert not ne.folder_safe(names)
    assert folders_run(names=names).layout == "arrays"
    assert ne.folder_safe(("고양이", "dog cat", "7"))


def test_zip_holds_notebook_script_and_data():
    run = shapes_run(augment=AUGMENT)
    with zipfile.ZipFile(io.BytesIO(ne.export_zip(run, text("ko")))) as archive:
        assert set(archive.namelist()) == {ne.NOTEBOOK_NAME, ne.SCRIPT_NAME, ne.NPZ_PATH}
        nb = nbformat.reads(archive.read(ne.NOTEBOOK_NAME).decode("utf-8"), as_version=4)
        assert archive.read(ne.SCRIPT_NAME).decode("utf-8") == ne.script(nb)


# ------------------------------------------------------------------ executing the export


def unzip(run: ne.Run, where: Path, lang="en") -> Path:
    with zipfile.ZipFile(io.BytesIO(ne.export_zip(run, text(lang)))) as archive:
        archive.extractall(where)
    return where


def app_run(run: ne.Run) -> training.TrainedModel:
    job = training.TrainingJob(run.data, run.spec, run.settings, slots=training.TrainingSlots(1)).start()
    assert job.wait(120)
    return training.collect(job)


def test_exported_notebook_runs_and_reproduces_the_apps_run(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.delenv("MPLBACKEND", raising=False)  # set to Agg in the test process: the kernel draws inline

    run = shapes_run(epochs=2, augment=training.AugmentOptions(rotation=10, horizontal_flip=True))
    folder = unzip(run, tmp_path)
    nb = nbformat.read(folder / ne.NOTEBOOK_NAME, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    printed = "\n".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                        for out in cell.outputs if out.output_type == "stream")
    assert f"Total parameters: {run.parameters:,}" in printed
    accuracy = re.search(r"Test accuracy: ([\d.]+)% \((\d+) of (\d+) right\)", printed)
    assert accuracy and int(accuracy.group(3)) == len(run.data.y_test)
    images = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "display_data" and "image/png" in out.data]
    assert len(images) >= 6  # samples, curves, confusion, mistakes, maps of 2 layers, filters
    result = app_run(run)  # the same run trained the app's way
    assert accuracy.group(1) + "%" == f"{result.evaluation.accuracy:.1%}"
    losses = [float(v) for v in re.findall(r" - loss: ([\d.]+)", printed)]
    np.testing.assert_allclose(losses, result.history["loss"], atol=2e-4)


def test_exported_script_runs_on_uploaded_class_folders(tmp_path):
    run = RUNS["folders_gray_with_val"]()
    folder = unzip(run, tmp_path, "ko")
    done = subprocess.run([sys.executable, ne.SCRIPT_NAME], cwd=folder, capture_output=True, text=True, timeout=120,
                          env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2",
                               "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Total parameters: {run.parameters:,}" in done.stdout
    assert re.search(r"Test accuracy: [\d.]+% \(\d+ of 6 right\)", done.stdout)
    assert "Found 18 files belonging to 2 classes." in done.stdout  # image_dataset_from_directory on data/train


@pytest.mark.parametrize("source, old", [("mnist", "mnist.load_data()"), ("csv", "flow_from_dataframe("),
                                         ("shapes", "flow_from_directory("), ("", "flow_from_directory(")])
def test_data_cell_names_the_notes_loader_of_the_source(source, old):
    run = shapes_run()
    code = code_of(ne.notebook(ne.Run(run.data, run.spec, run.settings, source), text()))
    assert any(old in line and line.lstrip().startswith("#") for line in code.splitlines())
    assert f"np.load({ne.NPZ_PATH!r})" in code
