"""The forward pass, step by step: one image through rescale -> conv -> ReLU -> pool -> flatten ->
dense -> softmax, every stage drawn with its shape and parameter count, and any cell of any
stage explained with the actual numbers (window x kernel products, the max of a window, a
dot product, exp and sum).

Weights: hand-made (Sobel x, Sobel y and Laplacian filters; a dense layer built from class
averages, or seeded random) or, when another page put a trained Keras model in
st.session_state["trained_model"], that model's weights (read by engine.lessons.forward without
importing TensorFlow here).
Thin page: widgets -> engine.lessons.forward (and the engine traces) -> visuals.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine.lessons import forward
from engine.ops import activations, conv, dense, pooling
from ui.feedback import guarded
from ui.heat_table import number_tables, show_heatmap
from ui.tile_grid import draw_tiles
from ui.i18n import formatter, t
from ui.safe_text import markdown_text, plotly_list
from ui import network_input as net, present, share
from ui.practice import practice_view
from visuals import formulas
from visuals import forward as fviz
from visuals import pooling as pviz
from visuals import tiles

SIZE = net.SIZE
CARDS_PER_ROW = 3


# ------------------------------------------------------------------ controls


# ------------------------------------------------------------------ the stages


def stage_card(stage: forward.Stage, names: list[str]) -> None:
    """One stage: name, shape, parameters and its values."""
    st.markdown(f"**{net.stage_name(stage)}**")
    st.caption(t("forward.card_line", shape=net.shape_text(stage.values), params=f"{stage.params:,}"))
    v = stage.values
    if v.ndim == 3:
        titles = [t("forward.channel_n", n=c + 1) if v.shape[2] > 1 else "" for c in range(v.shape[2])]
        grid = tiles.channels_grid(v, titles, signed=bool(v.min() < 0), limit=fviz.MAX_CHANNELS)
        draw_tiles(grid, f"fwd_stage_{stage.index}")
        number_tables(f"fwd_stage_{stage.index}", [(titles[c], v[..., c]) for c in range(v.shape[2])])
    else:
        fig = fviz.vector_figure(v, plotly_list(names) if v.size == len(names) else None)
        if v.size > fviz.BAR_LIMIT:  # a long vector is drawn as a one-row heat map
            show_heatmap(fig, f"fwd_stage_{stage.index}", values=v[None, :])
        else:
            present.chart(st, fig, key=f"fwd_stage_{stage.index}")
    if v.ndim == 3 and v.shape[2] > fviz.MAX_CHANNELS:
        st.caption(t("forward.channels_shown", shown=fviz.MAX_CHANNELS, total=v.shape[2]))
    if stage.params:
        st.caption(stage.formula)


def overview(stages: list[forward.Stage], names: list[str]) -> None:
    """Every stage in cards, CARDS_PER_ROW per row, and the total parameter count."""
    st.subheader(t("forward.pipeline_heading"))
    total = sum(s.params for s in stages)
    st.caption(t("forward.total_params", n=f"{total:,}"))
    for start in range(0, len(stages), CARDS_PER_ROW):
        cols = st.columns(CARDS_PER_ROW)
        for stage, col in zip(stages[start:start + CARDS_PER_ROW], cols):
            with col.container(border=True):
                stage_card(stage, names)


def prediction(stages: list[forward.Stage], names: list[str], label: int) -> None:
    """The output probabilities, the predicted class and the true one."""
    last = stages[-1]
    if last.kind != "softmax":
        return
    top = int(np.argmax(last.values))
    c1, c2 = st.columns([2, 1])
    present.chart(c1, fviz.probabilities_figure(last.values, plotly_list(names), t("forward.probs_title"),
                                              label if label < len(names) else None), key="fwd_probs")
    c2.metric(t("forward.predicted"), markdown_text(names[top]))
    c2.caption(t("forward.probability", p=formulas.fmt(last.values[top], 4)))
    if label < len(names):
        c2.caption(t("forward.true_class", name=markdown_text(names[label])))
    c2.caption(t("forward.legend_probs"))


# ------------------------------------------------------------------ explaining one cell


def index_slider(label: str, count: int, default: int, key: str) -> int:
    """A slider over 0..count-1 (a single index needs no slider)."""
    if count <= 1:
        return 0
    share.keep_in_range(key, 0, count - 1)  # a link's index may not fit this network (a trained one)
    return int(st.slider(label, 0, count - 1, min(default, count - 1), key=key))


def choose_position(stage: forward.Stage, names: list[str]) -> tuple[int, ...]:
    """Row, column and channel of a map stage, or the unit of a vector stage."""
    v, i = stage.values, stage.index
    if v.ndim == 3:
        c1, c2, c3 = st.columns(3)
        with c1:
            r = index_slider(t("forward.row"), v.shape[0], v.shape[0] // 2, f"fwd_row_{i}")
        with c2:
            c = index_slider(t("forward.col"), v.shape[1], v.shape[1] // 2, f"fwd_col_{i}")
        share.keep_in_range(f"fwd_ch_{i}", 0, v.shape[2] - 1)
        ch = c3.selectbox(t("forward.channel"), range(v.shape[2]), format_func=formatter("forward.channel_n", "n", 1),
                          key=f"fwd_ch_{i}")
        return r, c, int(ch)
    if v.size == len(names):
        share.keep_in_range(f"fwd_unit_{i}", 0, v.size - 1)
        unit = st.selectbox(t("forward.unit"), range(v.size), index=int(np.argmax(v)),
                            format_func=lambda k: names[k], key=f"fwd_unit_{i}")
        return (int(unit),)
    return (index_slider(t("forward.index"), v.size, int(np.argmax(v)), f"fwd_unit_{i}"),)


@st.fragment
def inspector(stages: list[forward.Stage], names: list[str]) -> None:
    """Pick a stage and a cell; show how that number was computed from the previous stage.

    A fragment: moving the stage, row, column or channel reruns only this part, with the stages
    of the last full run (the pipeline above does not change). Its guard is inside, because a
    fragment's rerun runs only the fragment."""
    with guarded():
        inspect_cell(stages, names)


def inspect_cell(stages: list[forward.Stage], names: list[str]) -> None:
    st.subheader(t("forward.inspect_heading"))
    st.caption(t("forward.inspect_intro"))
    options = list(range(1, len(stages)))
    first_conv = next((s.index for s in stages if s.kind == "conv"), 1)
    # labels made now, in this run's language (AppTest calls format_func outside the run)
    labels = {i: f"{net.stage_name(stages[i])} · {net.shape_text(stages[i].values)}" for i in options}
    index = st.selectbox(t("forward.stage"), options, index=options.index(first_conv),
                         format_func=labels.__getitem__, key="fwd_stage")
    stage = stages[int(index)]
    position = choose_position(stage, names)
    trace = forward.trace_cell(stages, stage.index, position)
    show_trace(stages, stage, trace, position, names)
    shown = stage.values[position]
    st.caption(t("forward.trace_matches", value=formulas.fmt(shown), stage=net.stage_name(stage)))


def show_trace(stages, stage, trace, position, names) -> None:
    if isinstance(trace, conv.ConvTrace):
        conv_numbers(trace)
    elif isinstance(trace, pooling.PoolTrace):
        c1, c2 = st.columns([1, 2])
        show_heatmap(pviz.window_figure(trace, t("forward.window")), "fwd_pool_window", c1,
                     values=[("", trace.window, trace.in_rows, trace.in_cols)])
        c2.code(pviz.trace_text(trace, max_terms=40), language=None, wrap_lines=True)
    elif isinstance(trace, dense.DenseTrace):
        before = stages[stage.index - 1]
        source_shape = stages[before.index - 1].values.shape if before.kind == "flatten" else None
        dense_numbers(trace, source_shape)
    elif isinstance(trace, activations.SoftmaxTrace):
        softmax_numbers(trace, position[0], names)
    elif isinstance(trace, forward.FlattenTrace):
        flatten_numbers(trace, stages[stage.index - 1].values.shape)
    elif isinstance(trace, forward.BatchNormTrace):
        batchnorm_numbers(trace)
    else:
        element_numbers(stage, trace)


def conv_numbers(tr: conv.ConvTrace) -> None:
    """Window, weights and products of one conv output (one input channel drawn), and the sum."""
    ch = 0
    if tr.window.shape[2] > 1:
        ch = int(st.selectbox(t("forward.input_channel"), range(tr.window.shape[2]),
                              format_func=formatter("forward.channel_n", "n", 1), key="fwd_in_ch"))
    size = {"height": 250, "colorbar": False}
    cols = st.columns(3)
    show_heatmap(fviz.grid_figure(tr.window[..., ch], t("forward.window"), signed=False, mask=tr.is_padding,
                                  **size), "fwd_conv_window", cols[0])
    show_heatmap(fviz.grid_figure(tr.weights[..., ch], t("forward.weights_title"), **size), "fwd_conv_weights",
                 cols[1])
    show_heatmap(fviz.grid_figure(tr.products[..., ch], t("forward.products"), **size), "fwd_conv_products",
                 cols[2])
    st.code(formulas.products_sum(tr.window, tr.weights, tr.total, max_terms=27) + "\n"
            + t("forward.plus_bias") + ": " + formulas.with_bias(tr.total, tr.bias, tr.result), language=None, wrap_lines=True)


def dense_numbers(tr: dense.DenseTrace, source_shape: tuple[int, ...] | None) -> None:
    """The dot product of one dense unit: the first terms, the sum, the bias, the largest terms.

    source_shape: the map's shape before Flatten, to name each input by its cell (row, col, ch).
    """
    st.code(formulas.products_sum(tr.inputs, tr.weights, tr.total, max_terms=6) + "\n"
            + t("forward.plus_bias") + ": " + formulas.with_bias(tr.total, tr.bias, tr.result), language=None, wrap_lines=True)
    st.caption(t("forward.dense_note", d=tr.inputs.size, nonzero=int(np.count_nonzero(tr.products))))
    labels = [f"x[{d}]" for d in range(tr.inputs.size)]
    if source_shape is not None and len(source_shape) == 3:
        labels = [f"x[{d}] = map{forward.flat_source(source_shape, d)}" for d in range(tr.inputs.size)]
    present.chart(st, fviz.contributions_figure(tr.products, labels, t("forward.top_terms")),
                    key="fwd_dense_terms")


def softmax_numbers(tr: activations.SoftmaxTrace, unit: int, names: list[str]) -> None:
    """The stable softmax of the whole vector as a table, and the chosen unit written out."""
    table = pd.DataFrame({
        t("forward.col_class"): names if len(names) == tr.logits.size else list(range(tr.logits.size)),
        **formulas.softmax_columns(tr),
    })
    st.dataframe(table, hide_index=True, key="fwd_softmax_table")
    st.code(f"max z = {formulas.fmt(tr.max)}\n"
            f"Σ exp(z − max) = {formulas.fmt(tr.total)}\n"
            f"p[{unit}] = exp({formulas.fmt(tr.shifted[unit])}) / {formulas.fmt(tr.total)} = "
            f"{formulas.fmt(tr.exps[unit])} / {formulas.fmt(tr.total)} = {formulas.fmt(tr.probs[unit])}",
            language=None, wrap_lines=True)


def flatten_numbers(tr: forward.FlattenTrace, shape: tuple[int, ...]) -> None:
    """Which cell of the previous map an entry of the flat vector is."""
    if len(shape) == 3:
        r, c, ch = tr.source
        st.code(f"i = ({r}·{shape[1]} + {c})·{shape[2]} + {ch} = {tr.index}\n"
                f"flat[{tr.index}] = map[{r}, {c}, {ch}] = {formulas.fmt(tr.result)}", language=None, wrap_lines=True)
    else:
        st.code(f"flat[{tr.index}] = {formulas.fmt(tr.result)}", language=None, wrap_lines=True)
    st.caption(t("forward.flatten_note"))


def batchnorm_numbers(tr: forward.BatchNormTrace) -> None:
    """Batch normalization of one value with the layer's moving statistics (inference)."""
    f = formulas.fmt
    st.code(f"x̂ = (x − μ) / √(σ² + ε) = ({f(tr.before)} − {f(tr.mean)}) / √({f(tr.variance)} + {f(tr.epsilon)})"
            f" = {f(tr.x_hat)}\ny = γ·x̂ + β = {f(tr.gamma)}·{f(tr.x_hat)} {formulas.signed(tr.beta)}"
            f" = {f(tr.result)}", language=None, wrap_lines=True)
    st.caption(t("forward.bn_note"))


def element_numbers(stage: forward.Stage, tr: forward.ElementTrace) -> None:
    """Rescale, ReLU or another activation of one value."""
    if stage.kind == "relu":
        st.code(f"ReLU: max(0, {formulas.fmt(tr.before)}) = {formulas.fmt(tr.result)}", language=None, wrap_lines=True)
        return
    if stage.kind == "activation":
        st.code(f"{stage.step.activation}({formulas.fmt(tr.before)}) = {formulas.fmt(tr.result)}", language=None,
                wrap_lines=True)
        return
    step = stage.step
    offset = f" {formulas.signed(step.offset)}" if step.offset else ""
    st.code(f"{formulas.fmt(tr.before)} × {formulas.fmt(step.factor, 6)}{offset} = {formulas.fmt(tr.result)}",
            language=None, wrap_lines=True)
    st.caption(t("forward.scale_note"))


# ------------------------------------------------------------------ page


def handmade_shapes() -> tuple[tuple[int, ...], ...]:
    """The shape of every stage of the hand-made network for digits (10 classes)."""
    return forward.handmade_shapes(SIZE, 10)


def input_params() -> list[share.Param]:
    """The image a share link carries."""
    return share.digit_or_shape_params("fwd")


def share_params() -> list[share.Param]:
    """What a share link of this page carries: the image, the hand-made network's dense layer and
    the inspected cell, with the ranges of the digits' network (the shapes' network, with fewer
    classes, or a trained model checks them again: keep_in_range). Trained weights never travel:
    a link opens the hand-made network."""
    shapes = handmade_shapes()
    cells = []
    for i, shape in enumerate(shapes[1:], start=1):
        if len(shape) == 3:
            cells += [share.whole(f"fwd_row_{i}", 0, shape[0] - 1), share.whole(f"fwd_col_{i}", 0, shape[1] - 1),
                      share.choice(f"fwd_ch_{i}", range(shape[2]))]
        elif shape[0] == shapes[-1][0]:  # a class: chosen by name
            cells.append(share.choice(f"fwd_unit_{i}", range(shape[0])))
        else:
            cells.append(share.whole(f"fwd_unit_{i}", 0, shape[0] - 1))
    return [share.choice("fwd_weights", ("handmade",)), *input_params(), share.choice("fwd_dense", ("templates", "random")),
            share.whole("fwd_dense_seed", 0, 9999), share.choice("fwd_stage", range(1, len(shapes))), *cells]


@st.fragment
def pipeline() -> None:
    """The network, the image and every stage. A fragment: a change reruns only this part (not the
    navigation or the sidebar); the cell inspector inside it is a fragment of its own."""
    controls, results = st.columns([1, 3], gap="large")
    with controls:
        share_slot = st.container()
        stages = trained = None
        with guarded():
            trained = net.trained_steps("fwd", "forward.weights", "forward.fallback")
            shape = trained[1] if trained else (SIZE, SIZE, 1)
            image, source, label = net.choose_input(shape, "fwd")
            steps = trained[0] if trained else net.handmade_steps(source, "fwd")
            stages = forward.run(image, steps)
        with share_slot:  # a trained model stays in its session: its link carries the image only
            share.share_popover(share_params() if trained is None else input_params())
        if stages is None:
            return
        names = net.class_names(stages[-1].values.size, source, trained is not None)

    with results:
        with guarded():
            overview(stages, names)
            prediction(stages, names, label)
        inspector(stages, names)


share.restore(share_params(), "fwd_")
st.title(t("forward.heading"))
st.caption(t("forward.intro"))
pipeline()

practice_view("forward", ("layer_params", "receptive_field", "output_size"))
