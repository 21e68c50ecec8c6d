"""Softmax, cross-entropy and dropout explorers.

Softmax: edit logits (or probabilities) and the true class; see the probabilities, the stable
softmax with its max-subtraction written out beside the naive exp(z) that overflows, and the
loss: the exact -log p (infinite for a confident wrong answer) next to what Keras reports
(probabilities clipped to [1e-7, 1 - 1e-7], so at most 16.12).
Dropout: a rate and a seed choose which units are zeroed at training time and the survivors
are scaled by 1 / (1 - rate); at inference nothing is dropped.
Thin page: widgets -> engine (activations, losses, naive, dropout) -> visuals. No TensorFlow.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine.data.grids import grid_to_cells
from engine.lessons import naive_vs_stable
from engine.ops import losses
from engine.ops.activations import softmax_trace
from engine.ops.dropout import dropout
from ui import conv_state, present
from ui import share
from ui.feedback import guarded
from ui.heat_table import show_heatmap
from ui.grid_editor import grid_editor
from ui.i18n import labeler, t
from ui.practice import practice_view
from visuals import formulas
from visuals import forward as fviz

# Starting values of the editors (inputs, not results): (values, true class)
LOGIT_PRESETS = {
    "example": ([2.0, 1.0, 0.1], 0),
    "confident_right": ([30.0, 0.0, 0.0, 0.0], 0),
    "confident_wrong": ([0.0, 30.0, 0.0, 0.0], 0),
    "huge": ([1000.0, 999.0, 998.0], 0),
    "uniform": ([0.0, 0.0, 0.0, 0.0], 0),
}
PROB_PRESETS = {
    "course_right": ([1.0, 0.0, 0.0, 0.0, 0.0], 0),
    "course_wrong": ([0.0, 1.0, 0.0, 0.0, 0.0], 0),
    "unsure": ([0.25, 0.25, 0.25, 0.25], 0),
}
ACTIVATIONS = np.array([[0.8, 0.0, 1.5, 0.3, 2.0], [1.2, 0.6, 0.0, 0.9, 0.4],
                        [0.0, 1.7, 0.5, 1.1, 0.2], [0.7, 0.3, 1.4, 0.0, 1.0]])
MASK_DRAWS = 1000  # masks averaged to show E[output] = input


# ------------------------------------------------------------------ softmax and cross-entropy


def softmax_controls() -> tuple[str, np.ndarray, int]:
    """Mode ('logits' | 'probs'), the edited vector (K,) and the true class."""
    mode = st.radio(t("softmax.mode"), ("logits", "probs"), format_func=labeler("softmax.modes"),
                    key="sm_mode", horizontal=True)
    presets = LOGIT_PRESETS if mode == "logits" else PROB_PRESETS
    preset = st.selectbox(t("softmax.preset"), list(presets), format_func=labeler("softmax.presets"),
                          key=f"sm_preset_{mode}")
    start, true_default = presets[preset]
    edited = grid_editor(grid_to_cells(np.array([start])), key=f"sm_cells_{mode}_{preset}")
    values = conv_state.parse_or_keep(edited, f"sm_{mode}_{preset}", t(f"softmax.name_{mode}"))[0]
    true_class = st.selectbox(t("softmax.true_class"), range(values.size), index=true_default,
                              key=f"sm_true_{mode}_{preset}")
    return mode, values, int(true_class)


def stable_table(z: np.ndarray) -> None:
    """The stable softmax step by step beside the naive one."""
    tr = softmax_trace(z)
    nv = naive_vs_stable.naive_softmax(z)
    stable = formulas.softmax_columns(tr)
    table = pd.DataFrame({
        "k": list(range(z.size)),
        "z": stable.pop("z"),
        t("softmax.col_naive_exp"): [formulas.fmt(v) for v in nv.exps],
        t("softmax.col_naive_p"): [formulas.fmt(v) for v in nv.probs],
        **stable,
    })
    st.dataframe(table, hide_index=True, key="sm_table")
    st.code(f"max z = {formulas.fmt(tr.max)}\n"
            f"Σ exp(z − max) = {formulas.fmt(tr.total)}\n"
            f"{t('softmax.naive_sum')}: Σ exp(z) = {formulas.fmt(nv.total)}", language=None, wrap_lines=True)
    if nv.failed:
        st.warning(t("softmax.overflow", limit=formulas.fmt(naive_vs_stable.FLOAT64_EXP_LIMIT, 2)))
    else:
        st.caption(t("softmax.same_result"))


def loss_numbers(mode: str, values: np.ndarray, true_class: int) -> None:
    """Probabilities, the exact loss and what Keras reports, from engine.ops.losses."""
    detail = losses.cross_entropy_detail(values, true_class, from_logits=(mode == "logits"))
    c1, c2 = st.columns([1.6, 1])
    labels = [str(k) for k in range(values.size)]
    present.chart(c1, fviz.probabilities_figure(detail.probs, labels, t("softmax.probs_title"), true_class),
                    key="sm_probs")
    c2.metric(t("softmax.p_true", k=true_class), formulas.fmt(detail.p_true))
    c2.metric(t("softmax.loss_exact"), formulas.fmt(detail.loss_exact))
    c2.metric(t(f"softmax.loss_keras_{mode}"), formulas.fmt(detail.loss_keras))
    st.latex(fviz.loss_latex(true_class, detail.p_true, detail.loss_exact))
    reported = detail.loss_keras
    if mode == "logits":
        reported = losses.cross_entropy_detail(detail.probs, true_class, from_logits=False).loss_keras
        st.metric(t("softmax.loss_keras_after_softmax"), formulas.fmt(reported))
        st.caption(t("softmax.logits_note"))
    if reported < detail.loss_exact - 1e-6:  # the clip at 1e-7 capped the loss
        st.info(t("softmax.clip_note", cap=formulas.fmt(-np.log(losses.KERAS_EPSILON), 4)))


@st.fragment
def softmax_section() -> None:
    """A fragment: editing the logits reruns only this section."""
    st.header(t("softmax.softmax_heading"))
    st.caption(t("softmax.softmax_intro"))
    controls, results = st.columns([1, 2.3], gap="large")
    with controls:
        mode, values, true_class = softmax_controls()
    with results, guarded():
        loss_numbers(mode, values, true_class)
        if mode == "logits":
            st.subheader(t("softmax.stable_heading"))
            st.latex(r"p_k = \frac{e^{z_k}}{\sum_j e^{z_j}} = \frac{e^{z_k - \max z}}{\sum_j e^{z_j - \max z}}")
            stable_table(values)


# ------------------------------------------------------------------ dropout


@st.fragment
def dropout_section() -> None:
    """A fragment: its controls rerun only this section."""
    st.header(t("softmax.dropout_heading"))
    st.caption(t("softmax.dropout_intro"))
    controls, results = st.columns([1, 2.3], gap="large")
    with controls:
        rate = st.slider(t("softmax.rate"), 0.0, 0.9, 0.5, 0.05, key="sm_drop_rate")
        seed = st.number_input(t("softmax.seed"), 0, 9999, 0, key="sm_drop_seed")
        phase = st.radio(t("softmax.phase"), ("training", "inference"), format_func=labeler("softmax.phases"),
                         key="sm_drop_phase", horizontal=True)
        st.markdown(t("softmax.activations_label"))
        edited = grid_editor(grid_to_cells(ACTIVATIONS), key="sm_drop_cells")
        x = conv_state.parse_or_keep(edited, "sm_drop_activations", t("softmax.activations_name"))
    with results, guarded():
        dropout_results(x, float(rate), int(seed), phase == "training")


def dropout_results(x: np.ndarray, rate: float, seed: int, training: bool) -> None:
    """The mask, the scaled survivors, the sums, and the average over many masks."""
    y, keep = dropout(x, rate, training=training, seed=seed)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("softmax.kept"), f"{int(keep.sum())} / {keep.size}")
    scale = 1.0 / (1.0 - rate) if training else 1.0
    m2.metric(t("softmax.scale"), formulas.fmt(scale, 4))
    m2.caption(t("softmax.scale_formula", rate=formulas.fmt(rate), scale=formulas.fmt(scale, 4))
               if training else t("softmax.no_scale"))
    m3.metric(t("softmax.sums"), f"{formulas.fmt(x.sum())} → {formulas.fmt(y.sum())}")
    c1, c2 = st.columns(2)
    show_heatmap(fviz.grid_figure(x, t("softmax.input_title"), colorbar=False, height=280), "sm_drop_input", c1)
    show_heatmap(fviz.dropout_figure(y, keep, t(f"softmax.output_title_{'training' if training else 'inference'}")),
                 "sm_drop_output", c2, values=y)
    if training:
        c2.caption(t("softmax.output_legend", scale=formulas.fmt(scale, 4)))
    if not training:
        st.success(t("softmax.inference_note"))
        return
    # E[output] = input: average the outputs of many independent masks (one vectorised call)
    many, _ = dropout(np.broadcast_to(x, (MASK_DRAWS, *x.shape)), rate, training=True, seed=seed)
    mean = many.mean(axis=0)
    show_heatmap(fviz.grid_figure(mean, t("softmax.mean_title", n=MASK_DRAWS), colorbar=False, height=280),
                 "sm_drop_mean")
    st.caption(t("softmax.mean_note", n=MASK_DRAWS, err=formulas.fmt(float(np.max(np.abs(mean - x))), 3)))


def share_params() -> list[share.Param]:
    """What a share link of this page carries (the preset examples, not typed cells)."""
    return [share.choice("sm_mode", ("logits", "probs")), share.choice("sm_preset_logits", list(LOGIT_PRESETS)),
            share.choice("sm_preset_probs", list(PROB_PRESETS)), share.real("sm_drop_rate", 0.0, 0.9),
            share.whole("sm_drop_seed", 0, 9999), share.choice("sm_drop_phase", ("training", "inference"))]


share.restore(share_params(), "sm_")
st.title(t("softmax.heading"))
st.caption(t("softmax.intro"))
share.share_popover(share_params())
softmax_section()
st.divider()
dropout_section()

practice_view("softmax", ("softmax_ce", "dropout"), share_params)
