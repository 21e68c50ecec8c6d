"""Training studio, section 2: augmentation. The random transforms of Keras's preprocessing layers
(rotation, shifts, shear, zoom, brightness, flips), eight augmented copies of the first training
image, the matching Keras code, and the old ImageDataGenerator arguments mapped to today's layers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine.learn import training
from ui.feedback import guarded
from ui.i18n import t
from ui.tables import full_height
from ui.tile_grid import draw_tiles
from visuals import tiles


@st.cache_data(max_entries=32, show_spinner=False)
def cached_preview(image: np.ndarray, options: training.AugmentOptions, seed: int) -> np.ndarray:
    return training.augment_preview(image, options, count=8, seed=seed)


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
                     height=full_height(len(training.IDG_TO_KERAS)))
    return opts
