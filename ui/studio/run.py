"""Training studio, section 4: training. The optimizer, learning rate, batch size, epochs, seed and
label encoding; the Train button; the server's slots and queue; the shared job panel (progress,
live curves, Stop, queue place, failure) and collecting the finished model once."""
from __future__ import annotations

import numpy as np
import streamlit as st

from engine import config
from engine.learn import models, training
from engine.ops import losses
from ui import job_panel, notebook_download
from ui import present
from ui.i18n import labeler, t
from ui.safe_text import markdown_text
from ui.studio.state import RESULT_KEY, set_result
from visuals import training as tviz

LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
BATCH_SIZES = (8, 16, 32, 64, 128, 256)


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


def curve_labels() -> dict[str, str]:
    return {key: t(f"train.curve.{key}") for key in ("loss", "accuracy", "train", "val", "batches", "epoch")}


def status_text(snap: training.Progress) -> str:
    """The progress bar's words for a training job's snapshot."""
    return t(f"train.status.{snap.status}", epoch=min(snap.epoch + 1, snap.epochs), epochs=snap.epochs,
             step=snap.step, steps=snap.steps_per_epoch, seconds=f"{snap.elapsed:.0f}", position=snap.position)


def live_curves(snap: training.Progress) -> None:
    present.chart(st, tviz.curves(snap.history, snap.batches, snap.epochs, curve_labels()), key="train_curves")


def keep_model(job: training.TrainingJob) -> None:
    """A finished job's model (kept even when stopped early), scored on the test set."""
    result = training.collect(job)
    if result is not None:
        set_result(result)


PANEL = job_panel.JobPanel("train", config.POLL_SECONDS, status_text, keep_model, below=live_curves,
                           result_key=RESULT_KEY)


def start_training(split, spec, settings) -> None:
    """A job for this session, or a place in the server's waiting line when every slot is taken."""
    def make() -> training.TrainingJob:
        job = training.TrainingJob(split, spec, settings).start(queue=True)
        notebook_download.remember(job)
        return job
    job_panel.start(PANEL, make)


def training_section(split, spec, augment) -> None:
    st.header(t("train.train_heading"))
    left, right = st.columns([1, 1.7], gap="large")
    with left:
        settings = settings_controls(split, augment)
        busy = job_panel.running(PANEL) is not None
        clicked = st.button(t("train.start"), type="primary", icon=":material/play_arrow:", disabled=busy or spec is None,
                            key="train_start")
        if clicked and spec is not None and job_panel.running(PANEL) is None:
            start_training(split, spec, settings)
        st.caption(t("train.server_slots", used=training.SLOTS.active(), limit=training.SLOTS.limit))
        if training.SLOTS.waiting():
            st.caption(t("train.server_queue", n=training.SLOTS.waiting()))
    with right:
        job_panel.show(PANEL)
