"""Fuzz the engine functions behind every upload and text cell: random bytes, damaged pictures of
every accepted format, random zips (names, sizes, layouts), random CSVs, damaged .keras files and
random grid cells. Only EngineError may come out, and whatever comes back is well formed."""
from __future__ import annotations

import io
import zipfile

import hypothesis.strategies as hs
import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from PIL import Image

from engine.data import grids, images, uploads
from engine.errors import EngineError, ERROR_KEYS
from engine.learn import models

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF", "PPM", "ICO")


def only_engine_errors(call, *args, **kwargs):
    """The call's result, or None when it raised an EngineError with a known key."""
    try:
        return call(*args, **kwargs)
    except EngineError as err:
        assert err.key in ERROR_KEYS
        return None


@hs.composite
def pictures(draw) -> bytes:
    """A random picture in a random format and mode, sometimes damaged or cut."""
    fmt = draw(hs.sampled_from(FORMATS))
    mode = draw(hs.sampled_from(["L", "RGB", "RGBA", "P", "1", "I;16", "F", "CMYK"]))
    width, height = draw(hs.integers(1, 48)), draw(hs.integers(1, 48))
    seed = draw(hs.integers(0, 2**16))
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buf = io.BytesIO()
    try:
        Image.fromarray(pixels, "RGB").convert(mode).save(buf, format=fmt)
    except (OSError, ValueError, KeyError):
        Image.fromarray(pixels, "RGB").save(buf, format="PNG")  # this format cannot store that mode
    data = buf.getvalue()
    damage = draw(hs.sampled_from(["none", "cut", "flip", "append"]))
    if damage == "cut":
        data = data[:draw(hs.integers(0, len(data)))]
    elif damage == "flip" and data:
        at = draw(hs.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(hs.integers(1, 255))]) + data[at + 1:]
    elif damage == "append":
        data += draw(hs.binary(max_size=64))
    return data


def check_loaded(loaded: images.LoadedImage, max_side: int) -> None:
    arr = loaded.pixels
    assert arr.ndim == 3 and arr.shape[2] in (1, 3) and max(arr.shape[:2]) <= max_side
    assert np.all(np.isfinite(arr)) and arr.min() >= 0 and arr.max() <= 255


@FAST
@given(data=hs.one_of(hs.binary(max_size=4096), pictures()), max_side=hs.integers(1, 300))
def test_decode_upload_only_raises_engine_errors(data, max_side):
    loaded = only_engine_errors(images.decode_upload, data, max_side=max_side)
    if loaded is not None:
        check_loaded(loaded, max_side)


@hs.composite
def zips(draw) -> bytes:
    """A zip of random member names (unsafe ones too) holding pictures, text or junk."""
    names = hs.one_of(hs.sampled_from(["a/1.png", "b/2.jpg", "train/a/3.png", "test/b/4.gif", "x.png",
                                       "../up.png", "/abs.png", "C:/d.png", "a\\b.png", "__MACOSX/a/._1.png",
                                       ".hidden/1.png", "a/readme.txt", "é/ü.png", "a/"]),
                      hs.text(min_size=1, max_size=20))
    buf = io.BytesIO()
    method = draw(hs.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    with zipfile.ZipFile(buf, "w", method) as archive:
        for name in draw(hs.lists(names, max_size=8, unique=True)):
            content = draw(hs.one_of(pictures(), hs.binary(max_size=256)))
            try:
                archive.writestr(name, content)
            except (ValueError, IndexError):  # IndexError: zipfile fails on a name of NUL bytes
                continue  # a name zipfile itself refuses to write
    data = buf.getvalue()
    if draw(hs.booleans()) and data:
        at = draw(hs.integers(0, len(data) - 1))
        data = data[:at] + draw(hs.binary(min_size=1, max_size=8)) + data[at + 1:]
    return data


def check_labelled(result: uploads.LabelledImages, size: int) -> None:
    n = len(result.labels)
    assert result.images.shape[:3] == (n, size, size) and result.images.dtype == np.float32
    assert np.all(np.isfinite(result.images)) and len(result.class_names) >= 2
    assert result.labels.min() >= 0 and result.labels.max() < len(result.class_names)


@SLOW
@given(data=hs.one_of(zips(), hs.binary(max_size=1024)), size=hs.integers(8, 32),
       color=hs.sampled_from(uploads.COLOR_MODES))
def test_class_folders_only_raise_engine_errors(data, size, color):
    result = only_engine_errors(uploads.read_class_folders, data, size, color)
    if result is not None:
        check_labelled(result, size)


@hs.composite
def csv_texts(draw) -> bytes:
    cell = hs.one_of(hs.sampled_from(["a/1.png", "x.png", "../up.png", "cat", "dog", "", "\"", ";", "\t"]),
                     hs.text(max_size=10))
    rows = draw(hs.lists(hs.lists(cell, min_size=1, max_size=4), max_size=12))
    sep = draw(hs.sampled_from([",", ";", "\t"]))
    text = "\n".join(sep.join(row) for row in rows)
    return text.encode(draw(hs.sampled_from(["utf-8", "utf-16", "cp949"])), errors="ignore")


@SLOW
@given(csv_data=hs.one_of(csv_texts(), hs.binary(max_size=512)), zip_data=zips(),
       x_col=hs.sampled_from(["filename", "x", ""]), y_col=hs.sampled_from(["class", "y", "filename"]))
def test_csv_and_zip_only_raise_engine_errors(csv_data, zip_data, x_col, y_col):
    table = only_engine_errors(uploads.read_table, csv_data)
    if table is not None:
        assert len(table.columns) >= 2 and all(len(r) == len(table.columns) for r in table.rows)
    result = only_engine_errors(uploads.read_csv_and_zip, csv_data, zip_data, x_col, y_col, 16)
    if result is not None:
        check_labelled(result, 16)


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    inputs = keras.Input((6, 6, 1))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(inputs)))
    return models.save_bytes(model, ("a", "b"))


JSON = hs.recursive(hs.none() | hs.booleans() | hs.integers(-5, 300) | hs.floats(allow_nan=False)
                    | hs.sampled_from(["relu", "Lambda", "__lambda__", "keras.layers", "os", "Dense", "float32"]),
                    lambda inner: hs.lists(inner, max_size=3) | hs.dictionaries(
                        hs.sampled_from(["module", "class_name", "config", "units", "batch_shape", "name",
                                         "inbound_nodes", "layers", "activation", "kernel_size"]), inner, max_size=4),
                    max_leaves=12)


def with_changed_config(model_bytes: bytes, data) -> bytes:
    """The model file with one value somewhere in its config.json replaced by random JSON."""
    import json
    source = zipfile.ZipFile(io.BytesIO(model_bytes))
    cfg = json.loads(source.read("config.json"))
    node, key = cfg, "config"
    for _ in range(data.draw(hs.integers(1, 6))):
        value = node[key]
        if isinstance(value, dict) and value:
            node, key = value, data.draw(hs.sampled_from(sorted(value)))
        elif isinstance(value, list) and value:
            node, key = value, data.draw(hs.integers(0, len(value) - 1))
    node[key] = data.draw(JSON)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in source.infolist():
            content = json.dumps(cfg) if info.filename == "config.json" else source.read(info.filename)
            out.writestr(info.filename, content)
    return buf.getvalue()


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=hs.data())
def test_damaged_model_files_only_raise_engine_errors(model_bytes, data):
    blob = bytearray(model_bytes)
    for _ in range(data.draw(hs.integers(1, 4))):
        at = data.draw(hs.integers(0, len(blob) - 1))
        blob[at] = data.draw(hs.integers(0, 255))
    choice = data.draw(hs.sampled_from(["flipped", "cut", "random", "config"]))
    payload = {"flipped": lambda: bytes(blob), "cut": lambda: model_bytes[:data.draw(hs.integers(0, len(model_bytes)))],
               "random": lambda: data.draw(hs.binary(max_size=2048)),
               "config": lambda: with_changed_config(model_bytes, data)}[choice]()
    loaded = only_engine_errors(models.load_bytes, payload)
    if loaded is not None:
        assert len(loaded.class_names) == models.classes_of(loaded.model)


CELLS = hs.one_of(hs.none(), hs.text(max_size=12), hs.floats(), hs.integers(), hs.booleans(),
                  hs.sampled_from(["1/0", "0/0", "1e400", "−2", "1/9", " 3 ", "nan", "inf", "1_000"]))


@FAST
@given(cells=hs.one_of(hs.lists(hs.lists(CELLS, max_size=5), max_size=5), hs.text(max_size=5), hs.none(),
                       hs.integers(), hs.lists(CELLS, max_size=3)))
def test_grid_cells_only_raise_engine_errors(cells):
    grid = only_engine_errors(grids.parse_grid, cells, "grid")
    if grid is not None:
        assert grid.ndim == 2 and grid.size and np.all(np.isfinite(grid))
        assert grids.parse_grid(grids.grid_to_cells(grid), "grid").shape == grid.shape


@FAST
@given(shape=hs.tuples(hs.integers(0, 40), hs.integers(0, 40), hs.integers(0, 5)), seed=hs.integers(0, 99),
       target=hs.tuples(hs.integers(1, 64), hs.integers(1, 64), hs.sampled_from([1, 3])))
def test_drawings_and_model_inputs_only_raise_engine_errors(shape, seed, target):
    rgba = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    gray = only_engine_errors(uploads.drawing_to_pixels, rgba)
    if gray is not None and gray.size:
        out = uploads.for_model(gray, target)
        assert out.shape == target and np.all(np.isfinite(out))
