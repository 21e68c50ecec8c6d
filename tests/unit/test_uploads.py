"""engine.data.uploads: class-folder zips and CSV + zip sets built in memory, every bad input refused
with its own key before anything is unpacked, and mixed pictures made into one array."""
import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from engine import config
from engine.data import uploads
from engine.errors import EngineError
from tests.files import make_zip, png


def folders(prefix="", per_class=3, classes=("dogs", "cats")) -> dict:
    return {f"{prefix}{c}/{i}.png": png((40 * k, 100, 20)) for k, c in enumerate(classes) for i in range(per_class)}


def key_of(call, *args, **kwargs) -> str:
    with pytest.raises(EngineError) as err:
        call(*args, **kwargs)
    return err.value.key


# ------------------------------------------------------------------ class folders


def test_class_folders_give_sorted_classes_labels_and_shapes():
    data = uploads.read_class_folders(make_zip(folders()), size=16, color="rgb")
    assert data.class_names == ("cats", "dogs")  # sorted, like Keras' class_indices
    assert data.images.shape == (6, 16, 16, 3) and data.images.dtype == np.float32
    np.testing.assert_array_equal(np.bincount(data.labels), [3, 3])
    assert data.images.max() <= 255 and data.images.min() >= 0


def test_wrapper_folder_split_folders_junk_and_other_files():
    members = {**folders("shapes/train/"), **folders("shapes/test/", per_class=1),
               "shapes/readme.txt": b"hello", "__MACOSX/shapes/._x.png": b"junk", "shapes/.DS_Store": b"x",
               "shapes/train/cats/broken.png": b"\x89PNG not really", "shapes/loose.png": png()}
    data = uploads.read_class_folders(make_zip(members), size=8, color="gray")
    assert data.class_names == ("cats", "dogs") and data.images.shape == (8, 8, 8, 1)
    assert data.skipped_other == 1 and data.skipped_corrupt == 1 and data.skipped_outside == 1
    assert "splits_merged" in data.notes


def test_nested_folders_inside_a_class_count_for_that_class():
    members = {**folders(), "cats/more/deep/9.png": png()}
    data = uploads.read_class_folders(make_zip(members), size=8)
    assert np.bincount(data.labels).tolist() == [4, 3]


def test_mixed_sizes_and_modes_become_one_array():
    members = {"a/1.png": png(size=(40, 30)), "a/2.png": png(size=(5, 9), mode="L"),
               "b/1.png": png(mode="RGBA"), "b/2.jpg": _jpeg(), "b/3.gif": _palette()}
    data = uploads.read_class_folders(make_zip(members), size=12, color="auto")
    assert data.images.shape == (5, 12, 12, 3)
    assert {"mixed_sizes", "mixed_modes", "to_rgb"} <= set(data.notes)
    gray = uploads.read_class_folders(make_zip(members), size=12, color="gray")
    assert gray.images.shape == (5, 12, 12, 1) and "to_gray" in gray.notes


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(buf, format="JPEG")
    return buf.getvalue()


def _palette() -> bytes:
    buf = io.BytesIO()
    Image.new("P", (7, 7), 3).save(buf, format="GIF")
    return buf.getvalue()


@pytest.mark.parametrize("members,key", [
    ({"1.png": png(), "2.png": png()}, "no_class_folders"),
    ({"cats/1.png": png(), "cats/2.png": png()}, "one_class_only"),
    ({"cats/a.txt": b"x", "dogs/b.csv": b"y"}, "no_usable_images"),
    ({"cats/1.png": b"broken", "dogs/1.png": b"also broken"}, "no_usable_images"),
    ({"cats/1.png": png(), "dogs/1.png": b"broken"}, "one_class_only"),
])
def test_layouts_that_cannot_train_are_explained(members, key):
    assert key_of(uploads.read_class_folders, make_zip(members)) == key


def test_one_class_names_the_class():
    with pytest.raises(EngineError) as err:
        uploads.read_class_folders(make_zip({"data/cats/1.png": png(), "data/cats/2.png": png()}))
    assert err.value.params == {"name": "cats"}


@pytest.mark.parametrize("name", ["../evil.png", "cats/../../evil.png", "/etc/cats/x.png", "C:/cats/x.png",
                                  "..\\evil.png", "cats\\..\\..\\x.png"])
def test_path_traversal_is_refused(name):
    members = {**folders(), name: png()}
    with pytest.raises(EngineError) as err:
        uploads.read_class_folders(make_zip(members))
    assert err.value.key == "archive_unsafe_path" and err.value.params["name"] == name


@pytest.mark.parametrize("name,unsafe", [("a/b.png", False), ("a/..b.png", False), ("../a", True),
                                         ("a/../b", True), ("/a", True), ("D:x", True), ("a\x00b", True)])
def test_unsafe_path_rule(name, unsafe):
    assert uploads.unsafe_path(name) == unsafe


@pytest.fixture
def no_reading(monkeypatch):
    """Fail the test if any member is read: refusals must happen from the headers alone."""
    def forbidden(*args, **kwargs):
        raise AssertionError("a member was read before the archive was refused")

    monkeypatch.setattr(uploads, "read_member", forbidden)


def test_zip_bomb_ratio_is_refused_before_reading(no_reading):
    members = {**folders(), "cats/bomb.png": b"\0" * (8 * 2**20)}  # 8 MB of zeros -> a few kB
    with pytest.raises(EngineError) as err:
        uploads.read_class_folders(make_zip(members))
    assert err.value.key == "archive_suspicious_ratio" and err.value.params["name"] == "cats/bomb.png"


def test_total_unpacked_size_is_refused_before_reading(no_reading, monkeypatch):
    monkeypatch.setattr(config, "MAX_UNZIPPED_BYTES", 300)  # 6 PNGs of ~80 bytes
    assert key_of(uploads.read_class_folders, make_zip(folders(), zipfile.ZIP_STORED)) == "archive_unzipped_too_large"


def test_file_count_and_upload_size_caps(no_reading, monkeypatch):
    monkeypatch.setattr(config, "MAX_ZIP_FILES", 3)
    assert key_of(uploads.read_class_folders, make_zip(folders())) == "archive_too_many_files"
    monkeypatch.setattr(config, "MAX_ZIP_FILES", 100)
    monkeypatch.setattr(config, "MAX_ZIP_BYTES", 100)
    assert key_of(uploads.read_class_folders, make_zip(folders())) == "upload_too_large"


def test_image_count_cap(monkeypatch, no_reading):
    monkeypatch.setattr(config, "MAX_TRAIN_IMAGES", 4)
    assert key_of(uploads.read_class_folders, make_zip(folders())) == "too_many_images"


@pytest.mark.parametrize("data", [b"", b"plain text, not a zip", make_zip(folders())[:-30]])
def test_not_a_zip(data):
    assert key_of(uploads.read_class_folders, data) == "archive_unreadable"


def test_bad_size_and_color_mode():
    assert key_of(uploads.read_class_folders, make_zip(folders()), size=4) == "bad_hyperparameter"
    assert key_of(uploads.read_class_folders, make_zip(folders()), color="cmyk") == "bad_mode"


# ------------------------------------------------------------------ CSV + zip


PICTURES = make_zip({f"img/{i}.png": png((25 * i, 50, 50)) for i in range(8)})


def csv_bytes(rows, header="file,label,id", sep=",", encoding="utf-8") -> bytes:
    return (header + "\n" + "\n".join(sep.join(map(str, r)) for r in rows) + "\n").encode(encoding)


def test_csv_layout_reads_labels_and_counts_missing_files():
    rows = [(f"{i}.png", "cat" if i % 2 else "dog", i) for i in range(8)] + [("gone.png", "cat", 99)]
    data = uploads.read_csv_and_zip(csv_bytes(rows), PICTURES, "file", "label", size=10)
    assert data.class_names == ("cat", "dog") and len(data.labels) == 8
    assert data.missing == ("gone.png",) and data.missing_count == 1
    assert data.images.shape == (8, 10, 10, 3)


def test_csv_semicolons_and_korean_excel_encoding():
    rows = [(f"img/{i}.png", "고양이" if i < 4 else "강아지", i) for i in range(8)]
    data = uploads.read_csv_and_zip(csv_bytes(rows, "파일;레이블;번호", ";", "cp949"), PICTURES, "파일", "레이블")
    assert set(data.class_names) == {"고양이", "강아지"}
    assert uploads.read_table(csv_bytes(rows, sep="\t", header="f\tl\ti")).columns == ("f", "l", "i")


@pytest.mark.parametrize("x_col,y_col,key", [
    ("file", "nope", "csv_missing_column"),
    ("file", "id", "csv_bad_label_column"),  # one label per row: an id column
    ("file", "file", "csv_bad_label_column"),
    ("id", "label", "csv_no_files_found"),  # numbers, not file names
])
def test_wrong_columns_are_explained(x_col, y_col, key):
    rows = [(f"{i}.png", "cat" if i % 2 else "dog", i) for i in range(8)]
    assert key_of(uploads.read_csv_and_zip, csv_bytes(rows), PICTURES, x_col, y_col) == key


def test_csv_with_one_label_and_unreadable_csvs():
    rows = [(f"{i}.png", "cat", i) for i in range(8)]
    assert key_of(uploads.read_csv_and_zip, csv_bytes(rows), PICTURES, "file", "label") == "one_class_only"
    for bad in (b"", b"just one line", b"\x00\x01\x02\xff\xfe" * 10, "a\n1\n2".encode()):
        assert key_of(uploads.read_table, bad) == "csv_unreadable"


def test_csv_size_cap(monkeypatch):
    monkeypatch.setattr(config, "MAX_CSV_BYTES", 10)
    assert key_of(uploads.read_table, csv_bytes([("a.png", "x", 1)])) == "upload_too_large"


# ------------------------------------------------------------------ one picture


def test_for_model_and_drawing():
    rgb = np.random.default_rng(0).uniform(0, 255, (30, 40, 3))
    assert uploads.for_model(rgb, (28, 28, 1)).shape == (28, 28, 1)
    assert uploads.for_model(rgb[..., :1], (16, 20, 3)).shape == (16, 20, 3)
    drawing = np.zeros((50, 50, 4), np.uint8)
    drawing[10:20, 10:20] = (255, 255, 255, 255)
    gray = uploads.drawing_to_pixels(drawing)
    assert gray.shape == (50, 50, 1) and gray[15, 15, 0] == pytest.approx(255) and gray[0, 0, 0] == 0
    with pytest.raises(EngineError):
        uploads.drawing_to_pixels(np.zeros((5, 5, 3)))
