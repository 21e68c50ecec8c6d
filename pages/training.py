"""Training studio: pick data (shapes, MNIST, your own class folders or CSV + zip), split it,
augment it, build a small CNN from the course notes' presets or block by block, train it live
with a Stop button, then look inside: test accuracy, confusion matrix, the notes' "R: P:" grid of
mistakes, per-class accuracy, feature maps of every conv and pooling layer, the first-layer
filters and the softmax of any test image, uploaded picture or drawing. Models can be downloaded
(.keras) and loaded back.

Thin page: widgets -> engine (datasets, uploads, models, training) -> visuals.training. Training
runs in a background thread owned by this session (engine.learn.training.TrainingJob); a fragment that
reruns every config.POLL_SECONDS redraws its progress, so other widgets and sessions stay usable.
Never imports TensorFlow (the engine does, inside its functions).
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd
import streamlit as st

from engine import config
from engine.data import datasets, images, uploads
from engine.errors import EngineError
from engine.learn import models, training, workers
from engine.ops import losses
from engine.shapes import layers
from ui.feedback import engine_error_text, guarded, show_engine_error, upload_limit_hint
from ui.heat_table import show_heatmap
from ui.i18n import labeler, t
from ui import explain_views, notebook_download
from ui.safe_text import markdown_list, markdown_text, plotly_list
from ui.session_jobs import own
from ui import present, share
from ui.tile_grid import draw_tiles
from ui.practice import practice_view
from visuals import training as tviz
from visuals import tiles

JOB_KEY, RESULT_KEY, COLLECTED_KEY = "train_job", "train_result", "train_collected"
LINKED_KEY = "train_linked_layers"  # (preset, ModelSpec, count): the layers a share link brought
LAYERS_NOW_KEY = "train_layers_now"  # the tables' layers as text, as the last run built them
SOURCES = ("shapes", "mnist", "folders", "csv")
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
BATCH_SIZES = (8, 16, 32, 64, 128, 256)
GRID_LIMIT = 25  # mistakes shown, like the notes' 5 x 5 grid
IMAGE_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]


# ------------------------------------------------------------------ shared, read-only data


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


@st.cache_data(max_entries=32, show_spinner=False)
def cached_preview(image: np.ndarray, options: training.AugmentOptions, seed: int) -> np.ndarray:
    return training.augment_preview(image, options, count=8, seed=seed)


# ------------------------------------------------------------------ 1. data


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


# ------------------------------------------------------------------ 2. augmentation


def augment_section(split: training.DataSplit) -> training.AugmentOptions:
    st.header(t("train.augment_heading"))
    st.caption(t("train.augment_intro"))
    left, right = st.columns([1, 1.7], gap="large")
    with left:
        c1, c2 = st.columns(2)
        opts = training.AugmentOptions(
            rotation=c1.slider(t("train.rotation"), 0, 90, 0, 5, key="train_aug_rotation"),
            width_shift=c2.slider(t("train.width_shift"), 0.0, 0.3, 0.0, 0.05, key="train_aug_wshift"),
            height_shift=c1.slider(t("train.height_shift"), 0.0, 0.3, 0.0, 0.05, key="train_aug_hshift"),
            shear=c2.slider(t("train.shear"), 0.0, 0.5, 0.0, 0.05, key="train_aug_shear"),
            zoom=c1.slider(t("train.zoom"), 0.0, 0.5, 0.0, 0.05, key="train_aug_zoom"),
            brightness=c2.slider(t("train.brightness"), 0.0, 0.5, 0.0, 0.05, key="train_aug_brightness"),
            horizontal_flip=c1.checkbox(t("train.hflip"), key="train_aug_hflip"),
            vertical_flip=c2.checkbox(t("train.vflip"), key="train_aug_vflip"))
    with right:
        if opts.active:
            with guarded():
                copies = cached_preview(split.x_train[0], opts, int(st.session_state.get("train_seed", 0)))
                draw_tiles(tiles.image_grid(np.concatenate([split.x_train[:1], copies]),
                                            [t("train.original")] + [f"#{i + 1}" for i in range(len(copies))],
                                            columns=9, tile_px=95), "train_aug_preview")
            st.code(training.augmentation_code(opts), language="python", wrap_lines=True)
        else:
            st.info(t("train.augment_off"))
    with st.expander(t("train.mapping_heading")):
        st.dataframe(pd.DataFrame([{t("train.col_old"): old, t("train.col_new"): new,
                                    t("train.col_note"): t(f"train.map_notes.{note}")}
                                   for old, new, note in training.IDG_TO_KERAS]),
                     hide_index=True, key="train_mapping", width="stretch",
                     height=rows_height(len(training.IDG_TO_KERAS)))
    return opts


# ------------------------------------------------------------------ 3. model


def block_columns() -> dict:
    cc = st.column_config
    return {
        "filters": cc.NumberColumn(t("train.col_filters"), min_value=1, max_value=config.MAX_FILTERS, step=1, default=16,
                                   required=True),
        "kernel": cc.NumberColumn(t("train.col_kernel"), min_value=1, max_value=models.MAX_KERNEL, step=1, default=3,
                                  required=True),
        "activation": cc.SelectboxColumn(t("train.col_activation"), options=models.ACTIVATIONS, default="relu",
                                         required=True),
        "padding": cc.SelectboxColumn(t("train.col_padding"), options=models.PADDINGS, default="valid", required=True),
        "pool": cc.SelectboxColumn(t("train.col_pool"), options=models.POOLS, default="max", required=True),
        "batchnorm": cc.CheckboxColumn(t("train.col_batchnorm"), default=False),
        "dropout": cc.NumberColumn(t("train.col_dropout"), min_value=0.0, max_value=models.MAX_DROPOUT, step=0.05,
                                   default=0.0),
    }


def dense_columns() -> dict:
    cc = st.column_config
    return {"units": cc.NumberColumn(t("train.col_units"), min_value=1, max_value=config.MAX_UNITS, step=1, default=64,
                                     required=True),
            "activation": cc.SelectboxColumn(t("train.col_activation"), options=models.ACTIVATIONS, default="relu",
                                             required=True),
            "dropout": cc.NumberColumn(t("train.col_dropout"), min_value=0.0, max_value=models.MAX_DROPOUT, step=0.05,
                                       default=0.0)}


def rows_of(frame: pd.DataFrame) -> list[dict]:
    """Editor rows as dicts, NaN (an emptied cell) as None so the engine names the bad value."""
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def linked_base(preset: str) -> tuple[models.ModelSpec, str]:
    """The layers the tables of `preset` start from, and their editors' key suffix: the preset's own,
    or those a share link brought for it (new editors, so earlier edits do not apply to them)."""
    linked = share.shared_value("train_layers")
    if linked is not None:
        count = st.session_state.get(LINKED_KEY, (None, None, 0))[2] + 1
        st.session_state[LINKED_KEY] = (preset, linked, count)
    held = st.session_state.get(LINKED_KEY)
    if held and held[0] == preset:
        return held[1], f"_link{held[2]}"
    return models.PRESETS[preset], ""


def builder(preset: str) -> models.ModelSpec:
    """The preset (or a link's layers) in two editable tables (rows can be added and removed) and
    the head choice."""
    base, suffix = linked_base(preset)
    left, right = st.columns([1.7, 1], gap="large")
    with left:
        st.markdown(f"**{t('train.blocks_heading')}**")
        blocks = st.data_editor(pd.DataFrame([asdict(b) for b in base.blocks]), num_rows="dynamic",
                                hide_index=True, column_config=block_columns(), key=f"train_blocks_{preset}{suffix}",
                                width="stretch")
        st.caption(t("train.block_order"))
    with right:
        st.markdown(f"**{t('train.dense_heading')}**")
        dense_frame = pd.DataFrame([asdict(d) for d in base.dense], columns=["units", "activation", "dropout"])
        dense = st.data_editor(dense_frame, num_rows="dynamic", hide_index=True, column_config=dense_columns(),
                               key=f"train_dense_{preset}{suffix}", width="stretch")
        head = st.radio(t("train.head"), models.HEADS, format_func=labeler("train.heads"), key="train_head",
                        horizontal=True)
    spec = models.ModelSpec(tuple(models.ConvBlock(**row) for row in rows_of(blocks)),
                            tuple(models.DenseLayer(**row) for row in rows_of(dense)), head)
    st.session_state[LAYERS_NOW_KEY] = models.layers_text(spec)  # for the share link, drawn above
    return spec


def rows_height(count: int) -> int:
    """A table height that shows every row (35 px each, plus the header) without scrolling."""
    return 35 * (count + 1) + 3


def summary_table(rows: list[layers.LayerRow]) -> None:
    """The model.summary() table with each parameter formula, and the totals beside it."""
    frame = pd.DataFrame({t("train.col_layer"): [r.name for r in rows],
                          t("train.col_output"): [str((None,) + tuple(r.output_shape)) for r in rows],
                          t("train.col_params"): [f"{r.params:,}" for r in rows],
                          t("train.col_formula"): [r.formula for r in rows]})
    table, totals = st.columns([4, 1], gap="large")
    table.dataframe(frame, hide_index=True, key="train_summary", width="stretch", height=rows_height(len(rows)))
    total, trainable, frozen = layers.totals(rows)
    totals.metric(t("train.total_params"), f"{total:,}")
    totals.metric(t("train.trainable"), f"{trainable:,}")
    totals.metric(t("train.non_trainable"), f"{frozen:,}")


def model_section(split: training.DataSplit) -> models.ModelSpec | None:
    st.header(t("train.model_heading"))
    c1, c2 = st.columns([1, 1.7], gap="large")
    preset = c1.selectbox(t("train.preset"), models.PRESET_NAMES, format_func=labeler("train.presets"),
                          key="train_preset")
    c2.caption(t(f"train.preset_notes.{preset}"))
    spec = builder(preset)
    try:
        rows = models.summary(spec, split.input_shape, split.classes)
    except EngineError as err:
        show_engine_error(err)
        return None
    st.markdown(t("train.summary_heading", shape=str(split.input_shape), k=split.classes))
    summary_table(rows)
    with st.expander(t("train.code_heading")):
        st.code(models.keras_code(spec, split.input_shape, split.classes,
                                  st.session_state.get("train_optimizer", "adam"),
                                  st.session_state.get("train_lr", 0.001),
                                  st.session_state.get("train_encoding", "onehot")), language="python")
    return spec


# ------------------------------------------------------------------ 4. training


def settings_controls(split: training.DataSplit, augment: training.AugmentOptions) -> training.TrainSettings:
    c1, c2 = st.columns(2)
    optimizer = c1.selectbox(t("train.optimizer"), training.OPTIMIZERS, format_func=labeler("train.optimizers"),
                             key="train_optimizer")
    lr = c2.select_slider(t("train.learning_rate"), LEARNING_RATES, value=0.001, key="train_lr")
    batch = c1.select_slider(t("train.batch_size"), BATCH_SIZES, value=32, key="train_batch")
    epochs = c2.slider(t("train.epochs"), 1, config.MAX_EPOCHS, 5, key="train_epochs")
    seed = c1.number_input(t("train.seed"), 0, 99999, 0, key="train_seed")
    encoding = c2.radio(t("train.encoding"), training.ENCODINGS, format_func=labeler("train.encodings"),
                        key="train_encoding")
    label = int(split.y_train[0])
    shown = str(losses.one_hot(np.array([label]), split.classes)[0].astype(int).tolist()) \
        if encoding == "onehot" else str(label)
    st.caption(t("train.encoding_example", name=markdown_text(split.class_names[label]), label=shown,
                 loss=models.loss_name(encoding)))
    return training.TrainSettings(optimizer, float(lr), int(batch), int(epochs), encoding, int(seed), augment)


def running_job() -> training.TrainingJob | None:
    job = st.session_state.get(JOB_KEY)
    return job if job is not None and not job.finished else None


def start_training(split, spec, settings) -> None:
    """Start a job for this session, or put it in the server's waiting line when every slot is
    taken; a full line or bad settings give a message, and the previously trained model stays.
    The job is stopped (or leaves the line) when this browser session ends."""
    try:
        job = training.TrainingJob(split, spec, settings).start(queue=True)
        own(job)
        notebook_download.remember(job)
        st.session_state[JOB_KEY] = job
    except EngineError as err:
        show_engine_error(err)
        return
    st.rerun()  # redraw with the Train button disabled and the progress polling


def training_section(split, spec, augment) -> None:
    st.header(t("train.train_heading"))
    left, right = st.columns([1, 1.7], gap="large")
    with left:
        settings = settings_controls(split, augment)
        busy = running_job() is not None
        clicked = st.button(t("train.start"), type="primary", icon=":material/play_arrow:", disabled=busy or spec is None,
                            key="train_start")
        if clicked and spec is not None and running_job() is None:
            start_training(split, spec, settings)
        st.caption(t("train.server_slots", used=training.SLOTS.active(), limit=training.SLOTS.limit))
        if training.SLOTS.waiting():
            st.caption(t("train.server_queue", n=training.SLOTS.waiting()))
    with right:
        every = config.POLL_SECONDS if running_job() is not None else None
        st.fragment(progress_panel, run_every=every)()


def curve_labels() -> dict[str, str]:
    return {key: t(f"train.curve.{key}") for key in ("loss", "accuracy", "train", "val", "batches", "epoch")}


def progress_panel() -> None:
    """Progress bar, live curves and the Stop button of this session's job (polled)."""
    job = st.session_state.get(JOB_KEY)
    if job is None:
        st.info(t("train.not_started"))
        return
    snap = job.snapshot()
    st.progress(snap.fraction, text=t(f"train.status.{snap.status}", epoch=min(snap.epoch + 1, snap.epochs),
                                      epochs=snap.epochs, step=snap.step, steps=snap.steps_per_epoch,
                                      seconds=f"{snap.elapsed:.0f}", position=snap.position))
    if snap.status == "queued":
        queue_place(job, snap.position)
    elif not snap.finished:
        if st.button(t("train.stop"), icon=":material/stop_circle:", key="train_stop"):
            job.stop()
        st.caption(t("train.keeps_running"))
    elif snap.status == "failed":
        show_failure(job)
    present.chart(st, tviz.curves(snap.history, snap.batches, snap.epochs, curve_labels()), key="train_curves")
    if snap.finished and st.session_state.get(COLLECTED_KEY) != job.id:
        st.rerun()  # the whole page picks the finished model up


def queue_place(job: training.TrainingJob, position: int) -> None:
    """Where this session's job waits for a free slot, and a Cancel button."""
    st.info(t("train.queue_position", k=position), icon=":material/hourglass_top:")
    if st.button(t("train.cancel"), icon=":material/cancel:", key="train_cancel"):
        job.stop()
    st.caption(t("train.queue_note"))


def show_failure(job: training.TrainingJob) -> None:
    if job.error is not None:
        show_engine_error(job.error)
    else:
        st.error(t("app.unexpected_error", kind=job.failure_kind or "?"), icon=":material/error:")
    if st.session_state.get(RESULT_KEY) is not None:
        st.caption(t("train.previous_kept"))


def set_result(result: training.TrainedModel) -> None:
    """This session's model, also handed to the forward-pass page."""
    st.session_state[RESULT_KEY] = result
    st.session_state["trained_model"] = result.model
    st.session_state["trained_classes"] = list(result.class_names)


def collect_finished_job() -> None:
    """Once per job: take its model (kept even when stopped early) and score it."""
    job = st.session_state.get(JOB_KEY)
    if job is None or not job.finished or st.session_state.get(COLLECTED_KEY) == job.id:
        return
    st.session_state[COLLECTED_KEY] = job.id
    with guarded():
        result = training.collect(job)
        if result is not None:
            set_result(result)


# ------------------------------------------------------------------ 5. looking inside


def scores(result: training.TrainedModel) -> None:
    ev, names = result.evaluation, plotly_list(result.class_names)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("train.test_accuracy"), f"{ev.accuracy:.1%}")
    m2.metric(t("train.test_images"), f"{len(ev.labels):,}")
    m3.metric(t("train.mistakes"), f"{int(np.sum(ev.predicted != ev.labels)):,}")
    c1, c2 = st.columns(2)
    show_heatmap(tviz.confusion(ev.confusion, names, t("train.confusion"), t("train.true_class"),
                                t("train.predicted_class")), "train_confusion", c1)
    present.chart(c2, tviz.bars(ev.per_class, names, t("train.per_class")), key="train_per_class")
    wrong = training.misclassified(ev, GRID_LIMIT)
    st.subheader(t("train.mistakes_heading", n=len(wrong)))
    if len(wrong):
        titles = [t("train.rp", r=names[ev.labels[i]], p=names[ev.predicted[i]]) for i in wrong]
        draw_tiles(tiles.image_grid(result.test_images[wrong], titles, columns=10, tile_px=80,
                                    caption_colors=[tviz.BAD] * len(wrong)), "train_mistakes")
    else:
        st.success(t("train.no_mistakes"))


def chosen_image(result: training.TrainedModel) -> tuple[np.ndarray, int | None] | None:
    """(pixels shaped for the model, true label or None) from a test image, an upload or a drawing."""
    kinds = (("test",) if result.test_images is not None else ()) + ("upload", "draw")
    kind = st.radio(t("train.look_source"), kinds, format_func=labeler("train.look_sources"), key="train_look_source",
                    horizontal=True)
    if kind == "test":
        n = len(result.test_labels)
        index = int(st.number_input(t("train.test_index"), 0, n - 1, 0, key="train_test_index"))
        return result.test_images[min(index, n - 1)], int(result.test_labels[min(index, n - 1)])
    if kind == "upload":
        file = st.file_uploader(t("train.own_upload"), type=IMAGE_TYPES, key="train_own_upload",
                                max_upload_size=config.widget_limit_mb(config.MAX_IMAGE_BYTES))
        upload_limit_hint(config.MAX_IMAGE_BYTES)
        if file is None:
            st.info(t("train.own_hint"))
            return None
        loaded = images.decode_upload(file.getvalue(), max_side=256, max_bytes=config.MAX_IMAGE_BYTES)
        return uploads.for_model(loaded.pixels, result.input_shape), None
    return drawn_image(result)


def drawn_image(result: training.TrainedModel) -> tuple[np.ndarray, int | None] | None:
    """A drawing (white on black, like MNIST) from streamlit-drawable-canvas, when installed."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception:  # noqa: BLE001 - optional component: upload still works
        st.info(t("train.no_canvas"))
        return None
    st.caption(t("train.draw_hint"))
    st.space("medium")  # room for the canvas toolbar, which floats above the drawing
    drawing = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", height=224, width=224,
                        return_image_data=True, key="train_canvas")
    if drawing.image_data is None or not np.any(drawing.image_data[..., :3]):
        return None
    return uploads.for_model(uploads.drawing_to_pixels(drawing.image_data), result.input_shape), None


def one_image_views(result: training.TrainedModel) -> tuple[np.ndarray, int | None] | None:
    """The chosen image's softmax and feature maps; returns the image (and its label) or None."""
    st.subheader(t("train.look_heading"))
    picked = None
    with guarded():
        picked = chosen_image(result)
    if picked is None:
        return None
    pixels, truth = picked
    names = list(result.class_names)
    probs = models.predict(result.model, pixels[None])[0]
    guess = int(np.argmax(probs))
    c1, c2 = st.columns([1, 2.5])
    present.chart(c1, tviz.image_grid(pixels[None], [t("train.input_image", h=pixels.shape[0], w=pixels.shape[1])],
                                    columns=1, cell=200), key="train_look_image")
    verdict = t("train.prediction", p=markdown_text(names[guess]), prob=f"{probs[guess]:.1%}")
    if truth is not None:
        verdict += " · " + t("train.truth", r=markdown_text(names[truth]))
    c1.markdown(verdict)
    present.chart(c2, tviz.bars(probs, plotly_list(names), t("train.softmax"), highlight=guess), key="train_softmax")
    with guarded():  # a loaded model without conv layers: the message, and the views below still run
        for i, (name, kind, maps) in enumerate(models.feature_maps(result.model, pixels)):
            title = t("train.map_title", name=name, kind=kind, h=maps.shape[0], w=maps.shape[1], c=maps.shape[2])
            show_heatmap(tviz.mosaic(maps, title, t("train.channel"), raw=maps), f"train_maps_{i}",
                         values=[(f"{t('train.channel')} {c}", maps[..., c]) for c in range(maps.shape[2])])
    st.caption(t("train.maps_note"))
    return picked


def filters_view(result: training.TrainedModel) -> None:
    kernel = models.first_filters(result.model)
    st.subheader(t("train.filters_heading", k=kernel.shape[0], c=kernel.shape[2], f=kernel.shape[3]))
    present.chart(st, tviz.filters_figure(kernel, "", t("train.filter")), key="train_filters")
    st.caption(t("train.filters_note"))


def loaded_summary(result: training.TrainedModel) -> None:
    rows = models.spec_rows(result.model)
    with st.expander(t("train.loaded_summary")):
        if rows is not None:
            summary_table(rows)
        else:
            st.dataframe(pd.DataFrame(models.keras_rows(result.model),
                                      columns=[t("train.col_layer"), t("train.col_type"), t("train.col_output"),
                                               t("train.col_params")]).astype(str), hide_index=True)


def results_section(result: training.TrainedModel) -> None:
    st.header(t("train.inside_heading"))
    done = len(result.history.get("loss", []))
    st.caption(t(f"train.origin.{result.origin}", status=t(f"train.final.{result.status}"), epochs=done,
                 classes=", ".join(markdown_list(result.class_names))))
    if result.origin == "loaded":
        loaded_summary(result)
    if result.evaluation is not None:
        scores(result)
    else:
        st.info(t("train.no_test_fit"))
    picked = one_image_views(result)
    with guarded():
        filters_view(result)
    explain_views.section(lambda: result, picked)  # why the model decided (saliency, Grad-CAM, ...)


# ------------------------------------------------------------------ 6. save and load


def save_and_load(result: training.TrainedModel | None, split: training.DataSplit | None) -> None:
    st.header(t("train.files_heading"))
    c1, c2 = st.columns(2)
    with c1:
        if result is not None:
            model, names = result.model, result.class_names
            st.download_button(t("train.download"), data=lambda: models.save_bytes(model, names),
                               file_name="convlab_model.keras", mime="application/zip", on_click="ignore",
                               icon=":material/download:", key="train_download")
            st.caption(t("train.download_note"))
            notebook_download.download(result)
        else:
            st.caption(t("train.nothing_to_save"))
    with c2:
        file = st.file_uploader(t("train.load"), type=["keras"], key="train_model_file",
                                max_upload_size=config.widget_limit_mb(config.MAX_MODEL_BYTES))
        upload_limit_hint(config.MAX_MODEL_BYTES)
        if file is not None:
            load_model_file(file, split)


def load_model_file(file, split: training.DataSplit | None) -> None:
    """Load each uploaded file once; a bad file shows its message while it stays in the uploader."""
    errors = st.session_state.setdefault("train_load_errors", {})
    if file.file_id not in errors:
        try:
            set_result(training.from_loaded(models.load_bytes(file.getvalue()), split))
            errors[file.file_id] = None
            st.rerun()
        except EngineError as err:
            errors[file.file_id] = engine_error_text(err)
    if errors[file.file_id]:
        st.error(errors[file.file_id], icon=":material/error:")
        if st.session_state.get(RESULT_KEY) is not None:
            st.caption(t("train.previous_kept"))
    else:
        st.success(t("train.loaded_ok", name=markdown_text(file.name)))


# ------------------------------------------------------------------ the page


def slider_values(low: int, high: int, step: int) -> range:
    """The values a whole-number slider with this step takes."""
    return range(low, high + 1, step)


def share_params() -> list[share.Param]:
    """What a share link of this page carries: the data source and its options, the split,
    augmentation, the model (preset, the layer tables as edited, head) and the training settings. Not
    the uploads, the CSV's columns or the trained model (they stay in their session).
    MNIST's counts are declared for the largest set a server may have (keep_in_range checks them)."""
    room, values = config.MAX_TRAIN_IMAGES, slider_values
    return [share.choice("train_source", SOURCES), share.choice("train_shape_size", values(12, 64, 4)),
            share.choice("train_shape_count", values(20, 1000, 20)), share.whole("train_line_width", 1, 4),
            share.real("train_jitter", 0.0, 2.0), share.real("train_noise", 0.0, 0.3),
            share.whole("train_shape_seed", 0, 9999), share.choice("train_mnist_test", values(100, room // 2, 100)),
            share.choice("train_mnist_train", values(200, room - 100, 100)),
            share.choice("train_target_size", values(16, config.MAX_INPUT_SIDE, 4)),
            share.choice("train_color", uploads.COLOR_MODES), share.real("train_val", 0.0, 0.4),
            share.real("train_test", 0.05, 0.4), share.choice("train_aug_rotation", values(0, 90, 5)),
            *[share.real(f"train_aug_{name}", 0.0, high) for name, high in
              (("wshift", 0.3), ("hshift", 0.3), ("shear", 0.5), ("zoom", 0.5), ("brightness", 0.5))],
            share.flag("train_aug_hflip"), share.flag("train_aug_vflip"),
            share.choice("train_preset", models.PRESET_NAMES), share.choice("train_head", models.HEADS),
            share.choice("train_optimizer", training.OPTIMIZERS), share.choice("train_lr", LEARNING_RATES),
            share.choice("train_batch", BATCH_SIZES), share.whole("train_epochs", 1, config.MAX_EPOCHS),
            share.whole("train_seed", 0, 99999), share.choice("train_encoding", training.ENCODINGS),
            share.parsed("train_layers", models.layers_from_text)]


share.restore(share_params(), "train_")
st.title(t("train.heading"))
st.caption(t("train.intro"))
share.share_popover(share_params(), {"train_layers": st.session_state.get(LAYERS_NOW_KEY)})
workers.warm_shared_pool()  # Train starts at once: the worker processes are ready
collect_finished_job()
split = data_section()
spec = None
if split is not None:
    augment = augment_section(split)
    spec = model_section(split)
    training_section(split, spec, augment)
result = st.session_state.get(RESULT_KEY)
if result is not None:
    with guarded():
        results_section(result)
save_and_load(result, split)

practice_view("train", ("model_params", "layer_params"))
