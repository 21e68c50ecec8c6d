"""Training studio, section 3: the model. A preset from the course notes (or the layers a share link
brought) in two editable tables, conv blocks and dense layers, the head; the model.summary() table
with each parameter's formula; the Keras code that builds it."""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd
import streamlit as st

from engine import config
from engine.errors import EngineError
from engine.learn import models, training
from engine.shapes import layers
from ui.feedback import show_engine_error
from ui.i18n import labeler, t
from ui import share
from ui.studio.state import LAYERS_NOW_KEY, LINKED_KEY
from ui.tables import full_height


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


def summary_table(rows: list[layers.LayerRow]) -> None:
    """The model.summary() table with each parameter formula, and the totals beside it."""
    frame = pd.DataFrame({t("train.col_layer"): [r.name for r in rows],
                          t("train.col_output"): [str((None,) + tuple(r.output_shape)) for r in rows],
                          t("train.col_params"): [f"{r.params:,}" for r in rows],
                          t("train.col_formula"): [r.formula for r in rows]})
    table, totals = st.columns([4, 1], gap="large")
    table.dataframe(frame, hide_index=True, key="train_summary", width="stretch", height=full_height(len(rows)))
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
