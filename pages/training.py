"""Training studio: pick data (shapes, MNIST, your own class folders or CSV + zip), split it,
augment it, build a small CNN from the course notes' presets or block by block, train it live
with a Stop button, then look inside: test accuracy, confusion matrix, the notes' "R: P:" grid of
mistakes, per-class accuracy, feature maps of every conv and pooling layer, the first-layer
filters and the softmax of any test image, uploaded picture or drawing. Models can be downloaded
(.keras) and loaded back.

Thin page, only the flow: each section lives in ui/studio/ (data, augment, model, run, inside,
files, links). Training runs as a job of this session in the server's worker processes
(engine.learn.training.TrainingJob); the shared job panel (ui.job_panel) polls its progress in a
fragment every config.POLL_SECONDS, so other widgets and sessions stay usable. Never imports
TensorFlow (the engine does, inside its functions).
"""
from __future__ import annotations

import streamlit as st

from engine.learn import workers
from ui import job_panel, share
from ui.feedback import guarded
from ui.i18n import t
from ui.practice import practice_view
from ui.studio import augment, data, files, inside, model, run
from ui.studio.links import share_params
from ui.studio.state import LAYERS_NOW_KEY, current_result

share.restore(share_params(), "train_")
st.title(t("train.heading"))
st.caption(t("train.intro"))
share.share_popover(share_params(), {"train_layers": st.session_state.get(LAYERS_NOW_KEY)})
workers.warm_shared_pool()  # Train starts at once: the worker processes are ready
job_panel.collect_finished(run.PANEL)
split = data.data_section()
spec = None
if split is not None:
    options = augment.augment_section(split)
    spec = model.model_section(split)
    run.training_section(split, spec, options)
result = current_result()
if result is not None:
    with guarded():
        inside.results_section(result)
files.save_and_load(result, split)

practice_view("train", ("model_params", "layer_params"))
