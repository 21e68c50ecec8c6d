"""Training studio, section 1: the data. Shapes drawn on the fly, MNIST, class folders in a zip or a
CSV with a zip of pictures; the validation and test split; what was found (Keras-style class indices,
counts, one-hot rows, one sample per class, split sizes). A bad upload shows its message and the
last good set of that source stays."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine import config
from engine.data import datasets, uploads
from engine.errors import EngineError
from engine.learn import training
from engine.ops import losses
from ui.feedback import guarded, show_engine_error, upload_limit_hint
from ui.i18n import labeler, t
from ui.safe_text import markdown_list
from ui import share
from ui.tile_grid import draw_tiles
from visuals import tiles

SOURCES = ("shapes", "mnist", "folders", "csv")


@st.cache_data(max_entries=6, ttl=3600, show_spinner=False)
def cached_shapes(count: int, size: int, line_width: int, jitter: float, noise: float,
                  seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The shapes set; jitter scales the default position/scale/rotation jitter (1 = defaults)."""
    base = datasets.ShapeOptions()
    options = datasets.ShapeOptions(size=size, line_width=line_width, noise=noise,
                                    position_jitter=base.position_jitter * jitter,
                                    scale_jitter=base.scale_jitter * jitter,
                                    rotation_jitter=base.rotation_jitter * jitter)
    return datasets.make_shapes(count, options, seed=seed)


@st.cache_resource(show_spinner=False)
def cached_mnist() -> datasets.MnistData:
    return datasets.load_mnist(prefer_full=True)


@st.cache_data(max_entries=3, ttl=1800, show_spinner=False)
def cached_folders(data: bytes, size: int, color: str) -> uploads.LabelledImages:
    return uploads.read_class_folders(data, size, color)


@st.cache_data(max_entries=4, show_spinner=False)
def cached_table(data: bytes) -> uploads.Table:
    return uploads.read_table(data)


@st.cache_data(max_entries=3, ttl=1800, show_spinner=False)
def cached_csv(csv_data: bytes, zip_data: bytes, x_col: str, y_col: str, size: int,
               color: str) -> uploads.LabelledImages:
    return uploads.read_csv_and_zip(csv_data, zip_data, x_col, y_col, size, color)


def shapes_source() -> tuple[uploads.LabelledImages, tuple | None, str]:
    c1, c2 = st.columns(2)
    size = c1.slider(t("train.shape_size"), 12, 64, 24, 4, key="train_shape_size")
    count = c2.slider(t("train.shape_count"), 20, 1000, 100, 20, key="train_shape_count")
    line = c1.slider(t("train.line_width"), 1, 4, 2, key="train_line_width")
    jitter = c2.slider(t("train.jitter"), 0.0, 2.0, 1.0, 0.25, key="train_jitter")
    noise = c1.slider(t("train.noise"), 0.0, 0.3, 0.05, 0.01, key="train_noise")
    seed = c2.number_input(t("train.shape_seed"), 0, 9999, 0, key="train_shape_seed")
    pictures, labels = cached_shapes(count, size, min(line, max(1, size // 4)), jitter, noise, int(seed))
    names = tuple(t(f"shapes.{name}") for name in datasets.SHAPE_CLASSES)
    return uploads.LabelledImages(pictures, labels, names), None, t("train.shapes_caption", n=len(labels))


def mnist_source() -> tuple[uploads.LabelledImages, tuple | None, str]:
    mnist = cached_mnist()
    full = mnist.source == "keras_full"
    caption = t("train.mnist_full" if full else "train.mnist_subset", train=len(mnist.labels_train),
                test=len(mnist.labels_test), reason=t(f"train.mnist_notes.{mnist.note}"))
    room = config.MAX_TRAIN_IMAGES
    test_top = min(len(mnist.labels_test), room // 2)
    share.keep_in_range("train_mnist_test", 100, test_top)  # a link may come from a server with more digits
    n_test = st.slider(t("train.mnist_test_count"), 100, test_top,
                       min(1000, len(mnist.labels_test)), 100, key="train_mnist_test")
    top = min(len(mnist.labels_train), room - n_test)
    share.keep_in_range("train_mnist_train", 200, top)
    n_train = st.slider(t("train.mnist_train_count"), 200, top, min(2000, top), 100, key="train_mnist_train")
    names = tuple(str(d) for d in range(10))
    data = uploads.LabelledImages(mnist.images_train[:n_train], mnist.labels_train[:n_train], names)
    return data, (mnist.images_test[:n_test], mnist.labels_test[:n_test]), caption


def image_options() -> tuple[int, str]:
    c1, c2 = st.columns(2)
    size = c1.slider(t("train.target_size"), 16, config.MAX_INPUT_SIDE, 32, 4, key="train_target_size")
    color = c2.radio(t("train.color"), uploads.COLOR_MODES, format_func=labeler("train.colors"),
                     key="train_color", horizontal=True)
    return size, color


def keep_last_good(key: str, read) -> uploads.LabelledImages | None:
    """Run `read()`; a bad upload shows its message and the last good set of this source stays."""
    try:
        st.session_state[key] = read()
    except EngineError as err:
        show_engine_error(err)
        if st.session_state.get(key) is not None:
            st.caption(t("train.kept_previous"))
    return st.session_state.get(key)


def folders_source() -> tuple[uploads.LabelledImages, tuple | None, str] | None:
    st.caption(t("train.folders_help"))
    size, color = image_options()
    file = st.file_uploader(t("train.zip_upload"), type=["zip"], key="train_zip",
                            max_upload_size=config.widget_limit_mb(config.MAX_ZIP_BYTES))
    upload_limit_hint(config.MAX_ZIP_BYTES)
    data = None
    if file is not None:
        data = keep_last_good("train_last_folders", lambda: cached_folders(file.getvalue(), size, color))
    elif st.session_state.get("train_last_folders") is not None:
        data = st.session_state["train_last_folders"]
    if data is None:
        st.info(t("train.folders_hint"))
        return None
    return data, None, t("train.upload_caption", n=len(data.labels))


def csv_source() -> tuple[uploads.LabelledImages, tuple | None, str] | None:
    st.caption(t("train.csv_help"))
    size, color = image_options()
    csv_file = st.file_uploader(t("train.csv_upload"), type=["csv", "txt"], key="train_csv",
                                max_upload_size=config.widget_limit_mb(config.MAX_CSV_BYTES))
    upload_limit_hint(config.MAX_CSV_BYTES)
    zip_file = st.file_uploader(t("train.csv_zip_upload"), type=["zip"], key="train_csv_zip",
                                max_upload_size=config.widget_limit_mb(config.MAX_ZIP_BYTES))
    upload_limit_hint(config.MAX_ZIP_BYTES)
    data = st.session_state.get("train_last_csv")
    if csv_file is None or zip_file is None:
        st.info(t("train.csv_hint"))
    else:
        table = cached_table(csv_file.getvalue())
        st.dataframe(pd.DataFrame(list(table.rows[:5]), columns=list(table.columns)), hide_index=True,
                     key="train_csv_head")
        c1, c2 = st.columns(2)
        x_col = c1.selectbox(t("train.x_col"), table.columns, index=0, key="train_x_col")
        y_col = c2.selectbox(t("train.y_col"), table.columns, index=1, key="train_y_col")
        data = keep_last_good("train_last_csv", lambda: cached_csv(csv_file.getvalue(), zip_file.getvalue(),
                                                                    x_col, y_col, size, color))
    return None if data is None else (data, None, t("train.upload_caption", n=len(data.labels)))


def split_controls(data: uploads.LabelledImages, test: tuple | None) -> training.DataSplit:
    c1, c2 = st.columns(2)
    val = c1.slider(t("train.val_fraction"), 0.0, 0.4, 0.2, 0.05, key="train_val")
    held = 0.0 if test is not None else c2.slider(t("train.test_fraction"), 0.05, 0.4, 0.2, 0.05, key="train_test")
    if test is not None:
        c2.caption(t("train.own_test_set", n=len(test[1])))
    seed = int(st.session_state.get("train_seed", 0))
    return training.make_split(data.images, data.labels, data.class_names, val, held, seed, test=test)


def describe_data(data: uploads.LabelledImages, split: training.DataSplit, caption: str) -> None:
    """Source and size, Keras-style class indices, counts and one-hot rows, samples, split sizes."""
    st.caption(caption)
    st.markdown(t("train.found", n=sum(split.sizes), k=len(data.class_names)))
    st.code("class_indices = " + repr({name: i for i, name in enumerate(data.class_names)}), language="python")
    counts = training.class_counts(data.labels, len(data.class_names))
    onehot = losses.one_hot(np.arange(len(data.class_names)), len(data.class_names)).astype(int)
    st.dataframe(pd.DataFrame({t("train.col_index"): range(len(data.class_names)), t("train.col_class"): data.class_names,
                               t("train.col_count"): counts, t("train.col_onehot"): [str(r.tolist()) for r in onehot]}),
                 hide_index=True, key="train_classes_table")
    notes = skipped_notes(data)
    if notes:
        st.caption(" · ".join(notes))
    first = [int(np.flatnonzero(data.labels == c)[0]) for c in range(min(len(data.class_names), 10))]
    draw_tiles(tiles.image_grid(data.images[first], [str(data.class_names[data.labels[i]]) for i in first],
                                columns=10, tile_px=90), "train_samples")
    m1, m2, m3 = st.columns(3)
    for col, label, n in zip((m1, m2, m3), ("train.n_train", "train.n_val", "train.n_test"), split.sizes):
        col.metric(t(label), f"{n:,}")
    st.caption(t("train.rescale_note", h=split.input_shape[0], w=split.input_shape[1], c=split.input_shape[2]))


def skipped_notes(data: uploads.LabelledImages) -> list[str]:
    notes = [t(f"train.upload_notes.{code}") for code in data.notes]
    for field_name in ("skipped_other", "skipped_corrupt", "skipped_outside"):
        if getattr(data, field_name):
            notes.append(t(f"train.{field_name}", n=getattr(data, field_name)))
    if data.missing_count:
        notes.append(t("train.missing_files", n=data.missing_count, names=", ".join(markdown_list(data.missing))))
    return notes


def data_section() -> training.DataSplit | None:
    st.header(t("train.data_heading"))
    left, right = st.columns([1, 1.7], gap="large")
    with left:
        source = st.radio(t("train.source"), SOURCES, format_func=labeler("train.sources"), key="train_source",
                          horizontal=True)
        chosen = None
        with guarded():
            chosen = {"shapes": shapes_source, "mnist": mnist_source, "folders": folders_source,
                      "csv": csv_source}[source]()
        split = None
        if chosen is not None:
            with guarded():
                split = split_controls(chosen[0], chosen[1])
    if chosen is not None and split is not None:
        with right:
            describe_data(chosen[0], split, chosen[2])
    return split
