"""Pooling: max, average, global average and global max pooling, window by window.

Inputs: the feature maps the convolution page computed in this session, the course's small
grids (4x4 max-pool example, 6x6 global-average example, an odd 5x5 map) or a built-in picture.
Shows the output-size formula with numbers, which cells 'valid' drops and where 'same' pads,
every window's max (winner marked) or mean (sum written out), that pooling has no weights,
and how little a pooled map changes when the input moves by a pixel or two.

Thin page: widgets -> engine (ops.pooling, lessons.pooling_windows, shapes.layers) -> visuals. No TensorFlow.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from engine.data import datasets, images
from engine.lessons import pooling_windows
from engine.ops import pooling, windows
from engine.ops.activations import relu
from engine.shapes import layers, output_size
from ui import conv_state, present, share
from ui.feedback import guarded, input_or_stop
from ui.heat_table import show_heatmap
from ui.i18n import formatter, labeler, t
from ui.practice import practice_view
from visuals import formulas, heatmaps
from visuals import forward as fviz
from visuals import pooling as pviz

SOURCES = ("grid", "photo", "shape", "conv")
GRID_NAMES = ("pool4", "gap6", "odd5")
MODES = ("max", "avg", "global_avg", "global_max")
PADDINGS = ("valid", "same")
CONV_KEY = "conv_last_fmaps"  # stored by pages/conv.py after each convolution
SHARED_GRIDS: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # this run's edited grid and its default
ZOOM = 4  # output positions per side in the step-through of a large map (numbers stay readable)


@st.cache_data(max_entries=8, show_spinner=False)
def cached_photo(name: str, max_side: int) -> np.ndarray:
    """A built-in photo in gray, whole 0..255 values, (H, W)."""
    loaded = images.builtin_photo(name, max_side=max_side)
    return np.rint(images.to_grayscale(loaded.pixels))[..., 0]


def grid_values(name: str) -> np.ndarray:
    return pooling_windows.ODD_GRID if name == "odd5" else datasets.GRIDS[name]


def choose_input() -> np.ndarray:
    """The 2-D map to pool, from the chosen source."""
    have_conv = CONV_KEY in st.session_state
    sources = SOURCES if have_conv else SOURCES[:3]
    source = st.radio(t("pool.source"), sources, format_func=labeler("pool.sources"),
                      key="pool_source", horizontal=True)
    if not have_conv:
        st.caption(t("pool.conv_hint"))
    if source == "grid":
        name = st.selectbox(t("pool.grid"), GRID_NAMES, format_func=labeler("pool.grids"),
                            key="pool_grid")
        default = grid_values(name)
        cells = editable_grid(name, default)
        SHARED_GRIDS["pool_cells"] = (cells, default)
        return cells
    if source == "photo":
        name = st.selectbox(t("pool.photo"), images.BUILTIN_PHOTOS, format_func=labeler("photos"),
                            key="pool_photo")
        size = st.slider(t("pool.working_size"), 8, 64, 24, 1, key="pool_img_size")
        return cached_photo(name, size)
    if source == "shape":
        kind = st.selectbox(t("pool.shape"), datasets.SHAPE_CLASSES, format_func=labeler("shapes"),
                            key="pool_shape")
        seed = st.number_input(t("pool.seed"), 0, 9999, 0, key="pool_shape_seed")
        return np.rint(datasets.shape_image(kind, datasets.ShapeOptions(size=24), seed=int(seed)))[..., 0]
    return conv_input()


def editable_grid(name: str, default: np.ndarray) -> np.ndarray:
    """The course grid `name`, editable cell by cell; a share link's cells replace it when they fit."""
    slot, editor_key = f"pool_{name}", f"pool_cells_{name}"
    linked = share.shared_grid("pool_cells")
    if linked is not None and linked.shape == default.shape:
        conv_state.adopt_grid(slot, linked, editor_key)
    return conv_state.edited_grid(default, slot, t("pool.input_name"), key=editor_key, shown=True)


def share_params() -> list[share.Param]:
    """What a share link of this page carries."""
    return [share.choice("pool_source", SOURCES[:3]), share.choice("pool_grid", GRID_NAMES),
            share.choice("pool_photo", images.BUILTIN_PHOTOS), share.whole("pool_img_size", 8, 64),
            share.choice("pool_shape", datasets.SHAPE_CLASSES), share.whole("pool_shape_seed", 0, 9999),
            share.choice("pool_mode", MODES), share.whole("pool_size", 1, 6), share.whole("pool_stride", 1, 6),
            share.choice("pool_padding", PADDINGS), share.whole("pool_dy", -3, 3), share.whole("pool_dx", -3, 3),
            share.grid("pool_cells")]


def linked_grids() -> dict[str, np.ndarray]:
    """The edited grid, for the share link (only if it differs from the course's grid)."""
    cells, default = SHARED_GRIDS.get("pool_cells", (None, None))
    if cells is None or np.array_equal(cells, default):
        return {}
    return {"pool_cells": cells}


def conv_input() -> np.ndarray:
    """One feature map from the convolution page, optionally after ReLU (conv -> ReLU -> pool)."""
    fmaps = np.asarray(st.session_state[CONV_KEY])
    f = 0
    if fmaps.shape[2] > 1:
        f = st.radio(t("pool.conv_filter"), range(fmaps.shape[2]),
                     format_func=formatter("pool.fmap_n", "n", 1), key="pool_conv_f", horizontal=True)
    f = min(int(f), fmaps.shape[2] - 1)
    st.caption(t("pool.conv_from", h=fmaps.shape[0], w=fmaps.shape[1], n=f + 1))
    if st.toggle(t("pool.apply_relu"), value=True, key="pool_relu"):
        return relu(fmaps[..., f])
    return fmaps[..., f]


def pool_settings() -> dict:
    """Mode, and for windowed pooling the window size, stride and padding."""
    mode = st.radio(t("pool.mode"), MODES, format_func=labeler("pool.modes"), key="pool_mode")
    if mode.startswith("global"):
        return {"mode": mode}
    c1, c2 = st.columns(2)
    size = c1.slider(t("pool.pool_size"), 1, 6, 2, key="pool_size")
    stride = c2.slider(t("pool.stride"), 1, 6, 2, key="pool_stride")
    padding = st.radio(t("pool.padding"), PADDINGS, format_func=labeler("pool.paddings"),
                       key="pool_padding", horizontal=True)
    return {"mode": mode, "size": int(size), "stride": int(stride), "padding": padding}


# ------------------------------------------------------------------ windowed pooling


def show_formula(axes) -> None:
    """The output-size formula per axis with the numbers, and what the floor dropped."""
    st.subheader(t("pool.formula_heading"))
    st.latex(formulas.GENERAL_OUTPUT_SIZE)
    st.caption(t("pool.formula_legend"))
    for axis, symbol, name in zip(axes, ("O_H", "O_W"), ("rows", "cols")):
        st.latex(formulas.output_size_latex(axis, symbol))
        # always one element, note or not: one that came and went would shift every element after
        # it, and the browser would then rebuild all the charts below from nothing
        with st.container():
            if axis.ok and axis.unused:
                st.caption(t("pool.unused", n=axis.unused, axis=t(f"pool.axis.{name}"),
                             numerator=axis.numerator, stride=axis.stride))


def show_layer_numbers(x: np.ndarray, hp: dict, pooled: np.ndarray) -> None:
    """Output shape, and the parameter count of the pooling layer (0) beside a conv's."""
    row = layers.summarize((*x.shape, 1), [layers.PoolSpec(hp["mode"], hp["size"], hp["stride"],
                                                           hp["padding"])])[0]
    conv_params = layers.conv2d_params(hp["size"], hp["size"], 1, 1)
    m1, m2 = st.columns(2)
    m1.metric(t("pool.output_shape"), f"{pooled.shape[0]} × {pooled.shape[1]} × 1")
    m2.metric(t("pool.params"), f"{row.params}")
    m2.caption(t("pool.params_note", p=hp["size"], conv=conv_params))


def show_maps(x: np.ndarray, hp: dict, pooled: np.ndarray) -> None:
    """Input with its window grid (padding, dropped cells) and the pooled map."""
    counts, pads = pooling_windows.coverage(x.shape, hp["size"], hp["stride"], hp["padding"])
    c1, c2 = st.columns(2)
    fig = pviz.coverage_figure(x, counts, pads, t("pool.input_title", h=x.shape[0], w=x.shape[1]),
                               (hp["size"],) * 2, (hp["stride"],) * 2, pooled.shape)
    show_heatmap(fig, "pool_cover_fig", c1, values=x)
    dropped = int(np.count_nonzero(counts[pads[0][0]:pads[0][0] + x.shape[0],
                                          pads[1][0]:pads[1][0] + x.shape[1]] == 0))
    if dropped:
        c1.caption(t("pool.dropped_legend", n=dropped))
    if any(p for pair in pads for p in pair):
        c1.caption(t("pool.padding_legend", top=pads[0][0], bottom=pads[0][1], left=pads[1][0],
                     right=pads[1][1]))
    # diverging around 0, like the pooled map of the step-through below
    show_heatmap(heatmaps.heatmap(pooled, t("pool.output_title", mode=t(f"pool.modes.{hp['mode']}")),
                                  show_values=max(pooled.shape) <= pviz.READABLE), "pool_out_fig", c2)


def region(oh: int, ow: int) -> tuple[int, int, int, int]:
    """Output rows r0..r1 and cols c0..c1 (exclusive ends) covered by the step-through: all of a
    small map, a ZOOM-wide band chosen with a slider along each longer axis."""
    c1, c2 = st.columns(2)
    r0 = q0 = 0
    if oh > ZOOM:
        r0 = c1.slider(t("pool.zoom_row"), 0, oh - ZOOM, oh // 2 - ZOOM // 2, key="pool_zoom_r")
    if ow > ZOOM:
        q0 = c2.slider(t("pool.zoom_col"), 0, ow - ZOOM, ow // 2 - ZOOM // 2, key="pool_zoom_c")
    return r0, min(r0 + ZOOM, oh), q0, min(q0 + ZOOM, ow)


@st.fragment
def step_through(x: np.ndarray, hp: dict, pooled: np.ndarray, axes) -> None:
    """Window by window: the window on the input, the cell it writes, and its max or mean.
    A fragment: moving the position or the zoom reruns only this part (guard inside)."""
    with guarded():
        step_windows(x, hp, pooled, axes)


def step_windows(x: np.ndarray, hp: dict, pooled: np.ndarray, axes) -> None:
    st.subheader(t("pool.step_heading"))
    r0, r1, c0, c1 = region(*pooled.shape)
    positions = [(r, c) for r in range(r0, r1) for c in range(c0, c1)]
    traces = [pooling.pool_trace(x[..., None], hp["size"], hp["stride"], hp["padding"], hp["mode"],
                                 row=r, col=c) for r, c in positions]
    pads = windows.axis_pads(*axes)
    padded = windows.pad_spatial(x[None, ..., None], pads, np.nan)[0, ..., 0]  # NaN marks padding
    reach = windows.reach(traces)  # the part of the padded input the region's windows read
    crop = padded[reach.in_padded(pads)]
    chosen = st.select_slider(t("pool.position"), options=list(range(len(positions))),
                              format_func=lambda i: f"{positions[i][0]}, {positions[i][1]}", key="pool_pos")
    chosen = min(int(chosen), len(positions) - 1)
    texts = {"input_title": t("pool.step_input"), "output_title": t("pool.step_output"),
             "play": t("pool.play"), "pause": t("pool.pause")}
    fig = pviz.pool_stepper(crop, pooled[r0:r1, c0:c1], traces, positions, input_mask=np.isnan(crop),
                            input_origin=(reach.top, reach.left), output_origin=(r0, c0), start=chosen, texts=texts)
    present.chart(st, fig, key="pool_stepper_fig")
    with st.container():  # one element in either mode: the charts below keep their positions
        if hp["mode"] == "max":
            st.caption(t("pool.winner_legend"))
    show_trace(traces[chosen], pooled)


def show_trace(tr: pooling.PoolTrace, pooled: np.ndarray) -> None:
    """One window written out: its values (winner marked) and the max or the mean."""
    st.markdown(t("pool.trace_heading", row=tr.row, col=tr.col))
    c1, c2 = st.columns([1, 2])
    show_heatmap(pviz.window_figure(tr, t("pool.window")), "pool_window_fig", c1,
                 values=[("", tr.window, tr.in_rows, tr.in_cols)])
    with c2:
        st.code(pviz.trace_text(tr, max_terms=40), language=None, wrap_lines=True)
        if tr.is_padding.any():
            st.caption(t("pool.padding_ignored", n=int(tr.is_padding.sum())))
        st.caption(t("pool.trace_matches", value=formulas.fmt(pooled[tr.row, tr.col])))


@st.fragment
def translation(x: np.ndarray, hp: dict) -> None:
    """Shift the input by a few pixels and mark the pooled cells that changed. A fragment:
    moving a shift slider reruns only this part (guard inside)."""
    with guarded():
        shifted(x, hp)


def shifted(x: np.ndarray, hp: dict) -> None:
    st.subheader(t("pool.shift_heading"))
    st.caption(t("pool.shift_intro"))
    c1, c2 = st.columns(2)
    dy = c1.slider(t("pool.shift_rows"), -3, 3, 0, key="pool_dy")
    dx = c2.slider(t("pool.shift_cols"), -3, 3, 1, key="pool_dx")
    eff = pooling_windows.shift_effect(x[..., None], dy, dx, hp["size"], hp["stride"], hp["padding"],
                                     hp["mode"])
    m1, m2 = st.columns(2)
    m1.metric(t("pool.input_changed"), f"{eff.input_fraction:.0%}")
    m2.metric(t("pool.pooled_changed"), f"{eff.pooled_fraction:.0%}")
    f1, f2 = st.columns(2)
    show_heatmap(fviz.grid_figure(eff.shifted[..., 0], t("pool.shifted_title", dy=dy, dx=dx),
                                  signed=bool(x.min() < 0), colorbar=False), "pool_shift_in", f1)
    labels = (t("pool.unchanged"), t("pool.changed"))
    show_heatmap(pviz.changed_figure(eff.pooled[..., 0], eff.pooled_shifted[..., 0],
                                     eff.pooled_changed[..., 0], t("pool.changed_title"), labels), "pool_shift_out",
                 f2, values=[(t("a11y.before_shift"), eff.pooled[..., 0]),
                             (t("a11y.after_shift"), eff.pooled_shifted[..., 0])])
    st.markdown(t("pool.shift_explain"))


def windowed(x: np.ndarray, hp: dict) -> None:
    axes = pooling.pool_output_hw(x.shape, hp["size"], hp["stride"], hp["padding"])
    show_formula(axes)
    output_size.require_ok(axes)
    pooled = pooling.pool2d(x[None, ..., None], hp["size"], hp["stride"], hp["padding"], hp["mode"])[0, ..., 0]
    show_layer_numbers(x, hp, pooled)
    show_maps(x, hp, pooled)
    step_through(x, hp, pooled, axes)
    translation(x, hp)


# ------------------------------------------------------------------ global pooling


def global_pooling(x: np.ndarray, mode: str) -> None:
    """One number per channel from the whole map: the mean (sum written out) or the max."""
    kind = "avg" if mode == "global_avg" else "max"
    value = float(pooling.global_pool(x[None, ..., None], kind)[0, 0])
    whole = pooling.pool_trace(x[..., None], x.shape, None, "valid", kind)  # one window = the map
    row = layers.summarize((*x.shape, 1), [layers.GlobalPoolSpec(kind)])[0]
    st.subheader(t("pool.global_heading"))
    st.caption(t(f"pool.global_intro_{kind}"))
    m1, m2 = st.columns(2)
    m1.metric(t("pool.output_shape"), f"({row.output_shape[0]},)")
    m1.caption(t("pool.global_shape_note", h=x.shape[0], w=x.shape[1]))
    m2.metric(t("pool.params"), f"{row.params}")
    show_heatmap(pviz.whole_map_figure(x, t("pool.global_input_title", h=x.shape[0], w=x.shape[1]),
                                       pviz.winner_cell(whole)), "pool_global_fig")
    st.code(pviz.trace_text(whole, max_terms=40), language=None, wrap_lines=True)
    st.metric(t(f"pool.global_result_{kind}"), formulas.fmt(value))


@st.fragment
def lab() -> None:
    """The input, the pooling settings and everything they change. A fragment: moving a control
    reruns only this part (not the navigation, the sidebar or the title)."""
    controls, results = st.columns([1.25, 2.3], gap="large")  # a 6x6 grid fits the controls
    with controls:
        share_slot = st.container()
        x = input_or_stop(choose_input)
        hp = pool_settings()
    with results:
        with guarded():
            if hp["mode"].startswith("global"):
                global_pooling(x, hp["mode"])
            else:
                windowed(x, hp)
    with share_slot:
        share.share_popover(share_params(), linked_grids())


share.restore(share_params(), "pool_")
st.title(t("pool.heading"))
st.caption(t("pool.intro"))
lab()

practice_view("pool", ("pool_cell", "output_size"), share_params)
