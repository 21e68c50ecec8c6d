"""The forward pass, step by step: one image through rescale -> conv -> ReLU -> pool -> flatten ->
dense -> softmax, every stage drawn with its shape and parameter count, and any cell of any
stage explained with the actual numbers (window x kernel products, the max of a window, a
dot product, exp and sum).

Weights: hand-made (Sobel x, Sobel y and Laplacian filters; a dense layer built from class
averages, or seeded random) or, when another page put a trained Keras model in
st.session_state["trained_model"], that model's weights (read by engine.forward without
importing TensorFlow here).
Thin page: widgets -> engine.forward (and the engine traces) -> visuals.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine import activations, conv, datasets, dense, forward, pooling
from engine.errors import EngineError
from ui.feedback import guarded, show_engine_error
from ui.heat_table import show_heatmap
from ui.i18n import formatter, labeler, t
from ui.safe_text import markdown_text, plotly_list
from ui import present, share
from visuals import formulas
from visuals import forward as fviz
from visuals import pooling as pviz

MODEL_KEY = "trained_model"
SIZE = 28  # hand-made network input: 28 x 28 x 1 (MNIST size; shapes drawn at the same size)
CARDS_PER_ROW = 3


@st.cache_resource(show_spinner=False)
def cached_digits() -> tuple[np.ndarray, np.ndarray]:
    return datasets.mnist_subset()


@st.cache_resource(show_spinner=False)
def template_layer(source: str) -> forward.Step:
    """The hand-made dense layer: class averages of the hand-made features (no training).

    Digits: every 5th digit of the subset (1,000); shapes: 200 per class (seed 1).
    """
    if source == "digit":
        images, labels = cached_digits()
        images, labels, units = images[::5], labels[::5], 10
    else:
        images, labels = datasets.make_shapes(200, datasets.ShapeOptions(size=SIZE), seed=1)
        units = len(datasets.SHAPE_CLASSES)
    base = forward.handmade_steps((SIZE, SIZE, 1), units)
    return forward.template_dense(forward.features_before_dense(images, base), labels, units)


# ------------------------------------------------------------------ controls


def trained_steps() -> tuple[list[forward.Step], tuple[int, int, int]] | None:
    """The trained model's steps and input shape when chosen and readable, else None."""
    model = st.session_state.get(MODEL_KEY)
    kinds = ("handmade", "trained") if model is not None else ("handmade",)
    kind = st.radio(t("forward.weights"), kinds, format_func=labeler("forward.weights_kinds"),
                    key="fwd_weights", horizontal=True)
    if model is None:
        st.caption(t("forward.no_model"))
    if kind != "trained":
        return None
    try:
        steps, shape = forward.steps_from_keras(model), forward.keras_input_shape(model)
    except EngineError as err:
        show_engine_error(err)
        st.caption(t("forward.fallback"))
        return None
    if steps[0].kind != "scale":  # the course feeds pixels / 255 (rescale=1./255)
        steps = [forward.Step("scale", factor=1.0 / 255.0)] + steps
        st.caption(t("forward.assumed_scale"))
    return steps, shape


def choose_input(shape: tuple[int, int, int]) -> tuple[np.ndarray, str, int]:
    """The image (H, W, C) 0..255, its source ('digit' | 'shape') and its true class."""
    sources = ("digit", "shape") if shape[:2] == (28, 28) else ("shape",)
    source = st.radio(t("forward.source"), sources, format_func=labeler("forward.sources"),
                      key="fwd_source", horizontal=True)
    if source == "digit":
        index = st.number_input(t("forward.digit_index"), 0, datasets.MNIST_SUBSET_SIZE - 1, 3500,
                                key="fwd_digit")
        digits, labels = cached_digits()
        image, label = digits[int(index)].astype(np.float64), int(labels[int(index)])
    else:
        kind = st.selectbox(t("forward.shape"), datasets.SHAPE_CLASSES, format_func=labeler("shapes"),
                            key="fwd_shape")
        seed = st.number_input(t("forward.seed"), 0, 9999, 0, key="fwd_seed")
        if shape[0] != shape[1]:
            raise EngineError("bad_shape", name="model input", expected="(H, H, C)", got=str(shape))
        image = datasets.shape_image(kind, datasets.ShapeOptions(size=shape[0]), seed=int(seed))
        label = datasets.SHAPE_CLASSES.index(kind)
    return np.repeat(image, shape[2], axis=2), source, label


def handmade_steps(source: str) -> list[forward.Step]:
    """Hand-made network for the input's source, with the chosen dense layer."""
    kind = st.radio(t("forward.dense_kind"), ("templates", "random"),
                    format_func=labeler("forward.dense_kinds"), key="fwd_dense", horizontal=True)
    units = 10 if source == "digit" else len(datasets.SHAPE_CLASSES)
    if kind == "templates":
        st.caption(t(f"forward.templates_note_{source}"))
        return forward.handmade_steps((SIZE, SIZE, 1), units, template_layer(source))
    seed = st.number_input(t("forward.dense_seed"), 0, 9999, 0, key="fwd_dense_seed")
    st.caption(t("forward.random_note"))
    return forward.handmade_steps((SIZE, SIZE, 1), units, seed=int(seed))


def class_names(units: int, source: str, trained: bool) -> list[str]:
    """Labels of the output units: the trained model's class names (st.session_state
    ["trained_classes"], set with the model), digits, shape names or 'class k'."""
    given = st.session_state.get("trained_classes") if trained else None
    if given is not None and len(given) == units:
        return [str(name) for name in given]
    if units == len(datasets.SHAPE_CLASSES) and source == "shape":
        return [t(f"shapes.{k}") for k in datasets.SHAPE_CLASSES]
    if units == 10:
        return [str(k) for k in range(10)]
    return [t("forward.class_n", n=k) for k in range(units)]


# ------------------------------------------------------------------ the stages


def shape_text(values: np.ndarray) -> str:
    return " × ".join(str(n) for n in values.shape) if values.ndim > 1 else f"({values.shape[0]},)"


def stage_name(stage: forward.Stage) -> str:
    """'3. ReLU'; pooling stages are named by their mode (max / average), activations by name."""
    if stage.kind == "activation":
        return f"{stage.index}. {t('forward.kinds.activation', name=stage.step.activation)}"
    kind = f"{stage.kind}_{stage.step.mode}" if stage.kind in ("pool", "global_pool") else stage.kind
    return f"{stage.index}. {t(f'forward.kinds.{kind}')}"


def stage_card(stage: forward.Stage, names: list[str]) -> None:
    """One stage: name, shape, parameters and its values."""
    st.markdown(f"**{stage_name(stage)}**")
    st.caption(t("forward.card_line", shape=shape_text(stage.values), params=f"{stage.params:,}"))
    v = stage.values
    if v.ndim == 3:
        titles = [t("forward.channel_n", n=c + 1) if v.shape[2] > 1 else "" for c in range(v.shape[2])]
        fig = fviz.maps_figure(v, titles, signed=bool(v.min() < 0))
        show_heatmap(fig, f"fwd_stage_{stage.index}", values=[(titles[c], v[..., c]) for c in range(v.shape[2])])
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
    labels = {i: f"{stage_name(stages[i])} · {shape_text(stages[i].values)}" for i in options}
    index = st.selectbox(t("forward.stage"), options, index=options.index(first_conv),
                         format_func=labels.__getitem__, key="fwd_stage")
    stage = stages[int(index)]
    position = choose_position(stage, names)
    trace = forward.trace_cell(stages, stage.index, position)
    show_trace(stages, stage, trace, position, names)
    shown = stage.values[position]
    st.caption(t("forward.trace_matches", value=formulas.fmt(shown), stage=stage_name(stage)))


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


share.restore(share_params(), "fwd_")
st.title(t("forward.heading"))
st.caption(t("forward.intro"))
controls, results = st.columns([1, 3], gap="large")
with controls:
    share_slot = st.container()
    stages = trained = None
    with guarded():
        trained = trained_steps()
        shape = trained[1] if trained else (SIZE, SIZE, 1)
        image, source, label = choose_input(shape)
        steps = trained[0] if trained else handmade_steps(source)
        stages = forward.run(image, steps)
    with share_slot:  # a trained model stays in its session: its link carries the image only
        share.share_popover(share_params() if trained is None else input_params())
    if stages is None:
        st.stop()
    names = class_names(stages[-1].values.size, source, trained is not None)

with results:
    with guarded():
        overview(stages, names)
        prediction(stages, names, label)
    inspector(stages, names)
