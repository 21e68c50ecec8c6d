"""Students' own image sets, read safely in memory: a zip of class folders (flow_from_directory
layout) or a CSV of file names and labels with a zip of the pictures (flow_from_dataframe layout).

Nothing is ever written to disk. Before a single member is read, the archive is checked: its
byte size, the number of files, the total unpacked size the headers claim, each member's
compression ratio (a zip bomb packs gigabytes of zeros into kilobytes), encryption, and every
path (absolute paths, drive letters and '..' are refused). Reading then never returns more than
a member's declared size.

Every picture goes through engine.data.images.decode_upload (same checks as single uploads), is
squashed to target x target pixels (like Keras' target_size) and converted to gray or RGB, so
mixed sizes and modes become one array. Non-image files and undecodable pictures are skipped and
counted. Output images are (N, S, S, C) float32 in 0..255, labels (N,) int64 indexing the sorted
class names (Keras' class_indices order).
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

import numpy as np
from PIL import Image

from engine import config
from engine.data import images
from engine.errors import EngineError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
SPLIT_FOLDERS = ("train", "training", "test", "testing", "val", "valid", "validation")
JUNK = re.compile(r"(^|/)(__MACOSX|\.[^/]*|Thumbs\.db|desktop\.ini)(/|$)", re.IGNORECASE)
COLOR_MODES = ("auto", "gray", "rgb")
MISSING_SHOWN = 5  # how many missing file names a message lists


@dataclass(frozen=True)
class LabelledImages:
    """Decoded, resized images with labels and what was skipped or changed on the way.

    notes: codes 'splits_merged', 'mixed_sizes', 'mixed_modes', 'to_gray', 'to_rgb'.
    missing: the first CSV file names not found in the zip (missing_count of them in all).
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    skipped_other: int = 0
    skipped_corrupt: int = 0
    skipped_outside: int = 0
    missing: tuple[str, ...] = ()
    missing_count: int = 0
    notes: tuple[str, ...] = ()


def _megabytes(n: int) -> str:
    return f"{n / config.MB:.1f}"


def check_upload_size(data: bytes, limit: int) -> None:
    """EngineError('upload_too_large') when the upload is over `limit` bytes."""
    if len(data) > limit:
        raise EngineError("upload_too_large", size_mb=_megabytes(len(data)), limit_mb=f"{limit / config.MB:.0f}")


# ------------------------------------------------------------------ the archive


def _normalised(name: str) -> str:
    """Forward slashes (some Windows tools write backslashes)."""
    return name.replace("\\", "/")


def unsafe_path(name: str) -> bool:
    """True for absolute paths, drive letters, '..' parts or NUL bytes in a member name."""
    path = _normalised(name)
    return (path.startswith("/") or bool(re.match(r"^[A-Za-z]:", path)) or "\x00" in path
            or any(part == ".." for part in path.split("/")))


def _check_member(info: zipfile.ZipInfo) -> None:
    """Refuse one member: unsafe path, encryption, or a suspicious compression ratio."""
    if unsafe_path(info.filename):
        raise EngineError("archive_unsafe_path", name=info.filename[:80])
    if info.flag_bits & 0x1:
        raise EngineError("archive_unreadable")
    ratio = info.file_size / max(info.compress_size, 1)  # unpacked bytes per stored byte
    if info.file_size > 64 * 1024 and ratio > config.MAX_COMPRESSION_RATIO:
        raise EngineError("archive_suspicious_ratio", name=info.filename[:80], ratio=f"{ratio:.0f}",
                          limit=f"{config.MAX_COMPRESSION_RATIO:.0f}")


def open_archive(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The zip and its file members (folders and system junk left out), after every check that
    can be done from the headers alone, before anything is unpacked."""
    check_upload_size(data, config.MAX_ZIP_BYTES)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise EngineError("archive_unreadable") from exc
    if len(infos) > config.MAX_ZIP_FILES:
        raise EngineError("archive_too_many_files", files=len(infos), limit=config.MAX_ZIP_FILES)
    for info in infos:
        _check_member(info)
    total = sum(info.file_size for info in infos)
    if total > config.MAX_UNZIPPED_BYTES:
        raise EngineError("archive_unzipped_too_large", size_mb=_megabytes(total),
                          limit_mb=f"{config.MAX_UNZIPPED_BYTES / config.MB:.0f}")
    files = [i for i in infos if not i.is_dir() and not JUNK.search(_normalised(i.filename))]
    return archive, files


def _read_members(archive, members: list) -> tuple[list[bytes], list[str], int]:
    """Read each (zip info, label) member: its bytes and label, and how many could not be read."""
    blobs, names, corrupt = [], [], 0
    for info, label in members:
        try:
            blobs.append(read_member(archive, info))
            names.append(label)
        except EngineError:
            corrupt += 1
    return blobs, names, corrupt


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, never more than its declared size (zipfile stops there and checks the CRC)."""
    try:
        with archive.open(info) as fh:
            return fh.read(info.file_size + 1)[:info.file_size]
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        raise EngineError("bad_image", reason="corrupt") from exc


def is_image_name(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


# ------------------------------------------------------------------ pictures


def fit_image(pixels: np.ndarray, size: int | tuple[int, int], channels: int) -> np.ndarray:
    """(H, W, C) 0..255 -> (h, w, channels) float32 with (h, w) = size (an int means a square):
    squashed to that shape (as Keras' target_size does) with bilinear filtering, gray -> RGB by
    copying, RGB -> gray by luma."""
    h, w = (size, size) if isinstance(size, int) else size
    arr = np.asarray(pixels, dtype=np.float64)
    if arr.shape[2] == 3 and channels == 1:
        arr = images.to_grayscale(arr)
    planes = [np.asarray(Image.fromarray(arr[..., c].astype(np.float32)).resize((w, h), Image.Resampling.BILINEAR))
              for c in range(arr.shape[2])]
    out = np.clip(np.stack(planes, axis=-1), 0.0, 255.0)
    if out.shape[2] == 1 and channels == 3:
        out = np.repeat(out, 3, axis=2)
    return out.astype(np.float32)


def _decode_all(blobs: list[bytes], size: int, color: str) -> tuple[list[int], np.ndarray, int, tuple[str, ...]]:
    """Decode and resize each blob. Returns (indices of the blobs kept, images (N, S, S, C),
    count of undecodable blobs, notes)."""
    kept, pictures, shapes, corrupt = [], [], [], 0
    for i, blob in enumerate(blobs):
        try:
            loaded = images.decode_upload(blob, max_side=max(4 * size, 64), max_bytes=config.MAX_IMAGE_BYTES)
        except EngineError:
            corrupt += 1
            continue
        kept.append(i)
        shapes.append(loaded.original_size + (loaded.pixels.shape[2],))
        pictures.append(loaded.pixels)
    modes = {s[2] for s in shapes}
    channels = 3 if color == "rgb" or (color == "auto" and 3 in modes) else 1
    stack = np.stack([fit_image(p, size, channels) for p in pictures]) if pictures else np.zeros((0, size, size, channels), np.float32)
    notes = []
    if len({s[:2] for s in shapes}) > 1:
        notes.append("mixed_sizes")
    if len(modes) > 1:
        notes.append("mixed_modes")
    if modes - {channels}:
        notes.append("to_gray" if channels == 1 else "to_rgb")
    return kept, stack, corrupt, tuple(notes)


def _check_size_and_color(size: object, color: object) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or not 8 <= size <= config.MAX_INPUT_SIDE:
        raise EngineError("bad_hyperparameter", name="image size", value=size)
    if color not in COLOR_MODES:
        raise EngineError("bad_mode", mode=color)
    return size


def _labelled(blobs: list[bytes], names: list[str], size: int, color: str, **extra) -> LabelledImages:
    """Decode blobs with their class names into LabelledImages (classes sorted like Keras)."""
    kept, stack, corrupt, notes = _decode_all(blobs, size, color)
    kept_names = [names[i] for i in kept]
    classes = tuple(sorted(set(kept_names)))
    if not classes:
        raise EngineError("no_usable_images", skipped=corrupt + extra.get("skipped_other", 0))
    if len(classes) < 2:
        raise EngineError("one_class_only", name=classes[0])
    index = {name: i for i, name in enumerate(classes)}
    labels = np.array([index[n] for n in kept_names], dtype=np.int64)
    extra_notes = extra.pop("notes", ())
    return LabelledImages(stack, labels, classes, skipped_corrupt=corrupt, notes=tuple(extra_notes) + notes, **extra)


def _too_many(count: int) -> None:
    if count > config.MAX_TRAIN_IMAGES:
        raise EngineError("too_many_images", count=count, limit=config.MAX_TRAIN_IMAGES)


# ------------------------------------------------------------------ class folders


def class_of_paths(paths: list[str]) -> tuple[list[str | None], tuple[str, ...]]:
    """Class folder of each image path (None when the image is not inside one), and notes.

    The class is the first folder below the deepest folder shared by all images (so a wrapper
    folder like 'shapes/' is skipped); a train/test/val level above the classes is merged.
    """
    parts = [PurePosixPath(_normalised(p)).parts for p in paths]
    dirs = [p[:-1] for p in parts]
    root = _common_prefix(dirs)
    if root and all(len(d) == len(root) for d in dirs):
        root = root[:-1]  # every image sits in one folder: that folder is the (only) class
    rel = [p[len(root):] for p in parts]
    notes: tuple[str, ...] = ()
    nested = [r for r in rel if len(r) >= 2]
    if nested and all(r[0].lower() in SPLIT_FOLDERS and len(r) >= 3 for r in nested):
        rel, notes = [r[1:] if len(r) >= 3 else r for r in rel], ("splits_merged",)
    return [r[0] if len(r) >= 2 else None for r in rel], notes


def _common_prefix(dirs: list[tuple[str, ...]]) -> tuple[str, ...]:
    if not dirs:
        return ()
    first = dirs[0]
    n = 0
    while n < len(first) and all(len(d) > n and d[n] == first[n] for d in dirs):
        n += 1
    return first[:n]


def read_class_folders(data: bytes, size: int = 32, color: str = "auto") -> LabelledImages:
    """A zip of class folders (cats/1.png, dogs/7.jpg, ...) -> LabelledImages.

    Errors: the archive checks of open_archive, 'no_class_folders' when no image sits in a
    folder, 'one_class_only', 'no_usable_images', 'too_many_images'.
    """
    size = _check_size_and_color(size, color)
    archive, files = open_archive(data)
    pictures = [i for i in files if is_image_name(i.filename)]
    other = len(files) - len(pictures)
    _too_many(len(pictures))
    classes, notes = class_of_paths([i.filename for i in pictures])
    inside = [(info, c) for info, c in zip(pictures, classes) if c is not None]
    if not inside:
        if not pictures:
            raise EngineError("no_usable_images", skipped=other)
        raise EngineError("no_class_folders")
    if len({c for _, c in inside}) < 2:
        raise EngineError("one_class_only", name=inside[0][1])
    blobs, names, corrupt = _read_members(archive, inside)
    result = _labelled(blobs, names, size, color, skipped_other=other,
                       skipped_outside=len(pictures) - len(inside), notes=notes)
    return _add_corrupt(result, corrupt)


def _add_corrupt(result: LabelledImages, more: int) -> LabelledImages:
    """The result with `more` unreadable members added to its corrupt count."""
    return result if not more else replace(result, skipped_corrupt=result.skipped_corrupt + more)


# ------------------------------------------------------------------ CSV + zip


@dataclass(frozen=True)
class Table:
    """A CSV's header and rows (strings)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def read_table(data: bytes) -> Table:
    """A CSV with a header row (comma, semicolon or tab; UTF-8, or CP949 as Korean Excel saves)."""
    check_upload_size(data, config.MAX_CSV_BYTES)
    text = None
    for encoding in ("utf-8-sig", "cp949"):
        try:
            text = bytes(data).decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text:
        raise EngineError("csv_unreadable")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        rows = [tuple(cell.strip() for cell in row) for row in csv.reader(io.StringIO(text), dialect) if row]
    except csv.Error as exc:
        raise EngineError("csv_unreadable") from exc
    if len(rows) < 2 or len(rows[0]) < 2:
        raise EngineError("csv_unreadable")
    width = len(rows[0])
    return Table(rows[0], tuple(r[:width] + ("",) * (width - len(r)) for r in rows[1:]))


def _lookup(files: list[zipfile.ZipInfo]) -> tuple[dict[str, zipfile.ZipInfo], dict[str, zipfile.ZipInfo]]:
    """Members by exact normalised path and by lower-cased base name (when that name is unique)."""
    exact = {_normalised(i.filename): i for i in files}
    names = Counter(PurePosixPath(p).name.lower() for p in exact)
    base = {PurePosixPath(p).name.lower(): i for p, i in exact.items() if names[PurePosixPath(p).name.lower()] == 1}
    return exact, base


def _find(name: str, exact: dict, base: dict) -> zipfile.ZipInfo | None:
    """The member a CSV cell names: exact path, path below a wrapper folder, or unique base name."""
    wanted = _normalised(name).lstrip("./")
    if wanted in exact:
        return exact[wanted]
    for path, info in exact.items():
        if path.endswith("/" + wanted):
            return info
    return base.get(PurePosixPath(wanted).name.lower())


def read_csv_and_zip(csv_bytes: bytes, zip_bytes: bytes, x_col: str, y_col: str, size: int = 32,
                     color: str = "auto") -> LabelledImages:
    """flow_from_dataframe: file names in column x_col, labels in y_col, pictures in the zip.

    Errors: csv_unreadable, csv_missing_column, csv_bad_label_column (same column twice, or a
    label per row like an id column), csv_no_files_found, one_class_only and the archive checks.
    Rows naming a missing file are skipped and counted (the first few names are kept).
    """
    size = _check_size_and_color(size, color)
    table = read_table(csv_bytes)
    for column in (x_col, y_col):
        if column not in table.columns:
            raise EngineError("csv_missing_column", column=column)
    xi, yi = table.columns.index(x_col), table.columns.index(y_col)
    _too_many(len(table.rows))
    archive, files = open_archive(zip_bytes)
    exact, base = _lookup(files)
    found, missing = [], []
    for row in table.rows:
        info = _find(row[xi], exact, base) if row[xi] else None
        (found.append((info, row[yi])) if info is not None and row[yi] else missing.append(row[xi] or "-"))
    if not found:
        raise EngineError("csv_no_files_found", column=x_col)
    _check_labels(x_col, y_col, [label for _, label in found])
    blobs, names, corrupt = _read_members(archive, found)
    result = _labelled(blobs, names, size, color, missing=tuple(missing[:MISSING_SHOWN]),
                       missing_count=len(missing))
    return _add_corrupt(result, corrupt)


def _check_labels(x_col: str, y_col: str, labels: list[str]) -> None:
    """A label column must name a few classes, each used by several rows."""
    classes = len(set(labels))
    if x_col == y_col or (len(labels) >= 6 and classes > len(labels) / 2):
        raise EngineError("csv_bad_label_column", column=y_col, classes=classes, rows=len(labels))
    if classes < 2:
        raise EngineError("one_class_only", name=labels[0])


# ------------------------------------------------------------------ one picture for a model


def for_model(pixels: np.ndarray, input_shape: tuple[int, int, int]) -> np.ndarray:
    """One picture (H, W, C) 0..255 -> (h, w, c) float32 the way the model's training data was made."""
    h, w, c = input_shape
    return fit_image(pixels, (h, w), c)


def drawing_to_pixels(rgba: np.ndarray) -> np.ndarray:
    """A canvas drawing (H, W, 4) uint8 RGBA -> (H, W, 1) float64 0..255 gray, transparent parts black."""
    arr = np.asarray(rgba, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[2] != 4:
        raise EngineError("bad_shape", name="drawing", expected="(H, W, 4)", got=str(arr.shape))
    rgb = arr[..., :3] * (arr[..., 3:] / 255.0)  # composite on black, like MNIST's background
    return images.to_grayscale(rgb)
