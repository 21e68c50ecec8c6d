"""Convolution playground: pick an input, edit filters, set stride/padding/dilation, and watch
the output-size formula, the feature maps and every product of a window, number by number.

Thin page: widgets -> engine (conv2d, conv_trace, output sizes) -> visuals. Never imports
TensorFlow (tests/app/test_conv_page.py checks).
"""
from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import streamlit as st

from engine import config
from engine.data import datasets, images
from engine.data.grids import grid_to_cells
from engine.errors import EngineError
from engine.ops import conv, kernels, windows
from engine.ops.activations import relu
from engine.shapes import layers, output_size
from ui.feedback import guarded, input_or_stop, show_engine_error, upload_limit_hint
from ui.grid_editor import grid_editor
from ui.i18n import LANGUAGES, formatter, labeler, t, translate
from ui import conv_state, present, share
from ui.heat_table import figure_tables, number_tables, show_heatmap
from ui.raster_heatmap import draw_raster
from ui.lazy import lazy_tabs, open_tab
from ui.practice import practice_view
from visuals import formulas, heatmaps, stepper
from visuals.raster import Raster, heat_raster

SOURCES = ("photo", "digit", "shape", "grid", "upload")
GRID_NAMES = ("grid5", "grid7", "curve_receptive_field", "curve_elsewhere")
PADDINGS = ("valid", "same", "explicit")
VIEWS = ("maps", "step")
MAX_FILTERS = 3
EDITED_KERNELS: dict[str, np.ndarray] = {}  # this run's edited filters, for the share link
ZOOM = 8  # output positions per side in the image step-through


@st.cache_data(max_entries=8, show_spinner=False)
def cached_photo(name: str, max_side: int) -> images.LoadedImage:
    return images.builtin_photo(name, max_side=max_side)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_upload(data: bytes, max_side: int) -> images.LoadedImage:
    return images.decode_upload(data, max_side=max_side)


@st.cache_resource(show_spinner=False)
def cached_digits() -> tuple[np.ndarray, np.ndarray]:
    return datasets.mnist_subset()


def choose_input() -> np.ndarray | None:
    """The input image (H, W, C) in 0..255 (or a small numeric grid), from the chosen source."""
    source = st.radio(t("conv.source"), SOURCES, format_func=labeler("conv.sources"),
                      key="conv_source", horizontal=True, on_change=_grids_open_step_through)
    if source == "photo":
        return photo_input()
    if source == "digit":
        index = st.number_input(t("conv.digit_index"), 0, 4999, 7, key="conv_digit")
        digits, labels = cached_digits()
        st.caption(t("conv.digit_label", label=int(labels[index])))
        return digits[index].astype(np.float64)
    if source == "shape":
        kind = st.selectbox(t("conv.shape"), datasets.SHAPE_CLASSES,
                            format_func=labeler("shapes"), key="conv_shape")
        seed = st.number_input(t("conv.seed"), 0, 9999, 0, key="conv_shape_seed")
        return datasets.shape_image(kind, datasets.ShapeOptions(size=24), seed=int(seed))
    if source == "grid":
        return grid_input()
    return upload_input()


def _grids_open_step_through() -> None:
    """A small grid is for reading window by window: choosing it opens the step-through tab
    and the cell editor of the first filter."""
    if st.session_state.get("conv_source") == "grid":
        open_tab("conv_view", "step", "conv.views")
        st.session_state["conv_edit_0"] = True


def with_color_mode(loaded: images.LoadedImage) -> np.ndarray:
    """Apply the gray/RGB choice to a loaded picture."""
    mode = st.radio(t("conv.color_mode"), ("gray", "rgb"), format_func=labeler("conv.color"),
                    key="conv_color", horizontal=True)
    pixels = loaded.pixels if mode == "rgb" else images.to_grayscale(loaded.pixels)
    return np.rint(pixels)  # whole 0..255 values, like an 8-bit image, keep the sums readable


def photo_input() -> np.ndarray:
    name = st.selectbox(t("conv.photo"), images.BUILTIN_PHOTOS,
                        format_func=labeler("photos"), key="conv_photo")
    size = st.slider(t("conv.working_size"), 16, 256, images.WORKING_SIZE, 8, key="conv_size")
    loaded = cached_photo(name, size)
    describe_loaded(loaded)
    return with_color_mode(loaded)


def describe_loaded(loaded: images.LoadedImage) -> None:
    """A notice of what was done to the picture (scaled, first frame, alpha flattened...)."""
    h, w = loaded.pixels.shape[:2]
    notes = [t(f"image_notes.{code}") for code in loaded.notes if code != "scaled"]
    if loaded.scaled:
        notes.insert(0, t("conv.scaled_notice", h0=loaded.original_size[0], w0=loaded.original_size[1],
                          h=h, w=w))
    if notes:
        st.caption(" · ".join(notes))


def upload_input() -> np.ndarray | None:
    """A student's own picture; a bad file gives a message and the last good picture stays."""
    size = st.slider(t("conv.working_size"), 16, 256, images.WORKING_SIZE, 8, key="conv_size")
    file = st.file_uploader(t("conv.upload"), type=["png", "jpg", "jpeg", "bmp", "gif", "webp"],
                            key="conv_upload", max_upload_size=config.widget_limit_mb(config.MAX_IMAGE_BYTES))
    upload_limit_hint(config.MAX_IMAGE_BYTES)
    if file is not None:
        try:
            st.session_state["conv_last_upload"] = cached_upload(file.getvalue(), size)
        except EngineError as err:
            show_engine_error(err)
    loaded = st.session_state.get("conv_last_upload")
    if loaded is None:
        st.info(t("conv.upload_hint"))
        return None
    describe_loaded(loaded)
    return with_color_mode(loaded)


def grid_input() -> np.ndarray:
    """One of the course's small grids, editable cell by cell."""
    name = st.selectbox(t("conv.grid"), GRID_NAMES, format_func=labeler("grids"), key="conv_grid")
    cells = grid_to_cells(datasets.GRIDS[name])
    edited = grid_editor(cells, key=f"conv_grid_cells_{name}")
    return conv_state.parse_or_keep(edited, f"grid_{name}", t("conv.input_name"))[..., None]


def filter_controls(depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Kernel size, number of filters, and each filter's preset/cells/bias.

    Returns kernel (K, K, depth, F) and bias (F,).
    """
    size = st.slider(t("conv.kernel_size"), 1, 7, 3, key="conv_k")
    count = st.number_input(t("conv.filters"), 1, MAX_FILTERS, 1, key="conv_filters")
    per_slice = depth > 1 and st.toggle(t("conv.per_slice"), key="conv_per_slice")
    tabs = st.tabs([t("conv.filter_n", n=f + 1) for f in range(int(count))])
    filters, biases = [], []
    for f, tab in enumerate(tabs):
        with tab:
            weights, bias = one_filter(f, size, depth, per_slice)
        filters.append(weights)
        biases.append(bias)
    try:
        return kernels.stack_filters(filters), np.asarray(biases, dtype=np.float64)
    except EngineError as err:  # a fixed-size preset next to filters of the slider's size
        show_engine_error(err)
        st.stop()


def one_filter(f: int, size: int, depth: int, per_slice: bool) -> tuple[np.ndarray, float]:
    """One filter's preset, editable cells (one grid, or one per input slice) and bias."""
    default = ("sobel_x", "laplacian", "gaussian_blur")[f]
    preset = st.selectbox(t("conv.preset"), kernels.PRESETS, index=kernels.PRESETS.index(default),
                          format_func=labeler("presets"), key=f"conv_preset_{f}")
    k = kernels.FIXED_SIZE.get(preset, size)
    if k != size:
        st.caption(t("conv.fixed_size", size=k))
    pattern = kernels.preset_kernel(preset, k, seed=f)
    slices = depth if per_slice else 1
    start = pattern / depth if per_slice else pattern
    grids = filter_grids(f, preset, k, start, slices)
    weights = np.stack(grids, axis=-1) if per_slice else kernels.stack_filter(grids[0], depth)
    bias = st.number_input(t("conv.bias"), -1000.0, 1000.0, 0.0, 1.0, key=f"conv_bias_{f}")
    return weights, float(bias)


def filter_grids(f: int, preset: str, k: int, start: np.ndarray, slices: int) -> list[np.ndarray]:
    """Filter f's cells, one (K, K) grid per slice, edited in an expander.

    The cell editors are costly to draw, so they run only while the expander is open; when it
    is closed each grid keeps its last valid value.
    """
    if slices == 1:
        take_linked_cells(f, start.shape, f"kernel_{f}_0_{preset}_{k}", f"conv_cells_{f}_0_{preset}_{k}")
    editor = st.expander(t("conv.edit_cells"), key=f"conv_edit_{f}", on_change="rerun")
    shown = bool(editor.open)
    with editor:
        cols = st.columns(slices) if shown else [nullcontext()] * slices
    grids = []
    for c in range(slices):
        with cols[c]:
            if shown and slices > 1:
                st.caption(t("conv.slice_n", c=c, name=t(f"conv.channels.{c}")))
            grids.append(conv_state.edited_grid(
                start, f"kernel_{f}_{c}_{preset}_{k}", t("conv.kernel_name", n=f + 1),
                key=f"conv_cells_{f}_{c}_{preset}_{k}", shown=shown))
    if slices == 1 and not np.array_equal(grids[0], start):
        EDITED_KERNELS[f"conv_cells_{f}"] = grids[0]  # a share link carries edited cells only
    return grids


def take_linked_cells(f: int, shape: tuple[int, int], slot: str, editor_key: str) -> None:
    """Filter f's cells from a share link, if the link brought cells of this size."""
    linked = share.shared_grid(f"conv_cells_{f}")
    if linked is not None and linked.shape == shape:
        conv_state.adopt_grid(slot, linked, editor_key)


def share_params() -> list[share.Param]:
    """What a share link of this page carries (an uploaded picture stays in its session)."""
    per_filter = [p for f in range(MAX_FILTERS) for p in (
        share.choice(f"conv_preset_{f}", kernels.PRESETS), share.real(f"conv_bias_{f}", -1000.0, 1000.0),
        share.flag(f"conv_edit_{f}"), share.grid(f"conv_cells_{f}"))]
    return [share.choice("conv_source", SOURCES[:-1]), share.choice("conv_photo", images.BUILTIN_PHOTOS),
            share.whole("conv_size", 16, 256), share.choice("conv_color", ("gray", "rgb")),
            share.whole("conv_digit", 0, 4999), share.choice("conv_shape", datasets.SHAPE_CLASSES),
            share.whole("conv_shape_seed", 0, 9999), share.choice("conv_grid", GRID_NAMES),
            share.whole("conv_sh", 1, 4), share.whole("conv_sw", 1, 4), share.choice("conv_padding", PADDINGS),
            share.whole("conv_p", 0, 6), share.whole("conv_dil", 1, 3), share.whole("conv_k", 1, 7),
            share.whole("conv_filters", 1, MAX_FILTERS), share.flag("conv_per_slice"), *per_filter,
            share.choice("conv_view", [translate(lang, f"conv.views.{v}") for lang in LANGUAGES for v in VIEWS])]


def hyperparameters() -> dict:
    """Stride per axis, padding mode (and P for explicit), dilation."""
    c1, c2 = st.columns(2)
    sh = c1.slider(t("conv.stride_h"), 1, 4, 1, key="conv_sh")
    sw = c2.slider(t("conv.stride_w"), 1, 4, 1, key="conv_sw")
    mode = st.radio(t("conv.padding"), PADDINGS, format_func=labeler("conv.paddings"),
                    key="conv_padding", horizontal=True)
    padding: object = mode
    if mode == "explicit":
        padding = int(st.number_input(t("conv.pad_amount"), 0, 6, 1, key="conv_p"))
    dilation = st.slider(t("conv.dilation"), 1, 3, 1, key="conv_dil")
    return {"strides": (sh, sw), "padding": padding, "dilation": dilation}


def show_formula(axes: tuple[output_size.AxisOutput, output_size.AxisOutput]) -> None:
    """The output-size formula per axis with the real numbers, and what floor/padding did."""
    st.subheader(t("conv.formula_heading"))
    st.latex(formulas.GENERAL_OUTPUT_SIZE)
    st.caption(t("conv.formula_legend"))
    st.latex(formulas.output_sizes_latex(axes))
    # one container whether or not there are notes: an element that comes and goes shifts the
    # positions of all that follow, and the browser then rebuilds every chart below from nothing
    with st.container():
        for axis, name in zip(axes, ("rows", "cols")):
            axis_notes(axis, name)


def axis_notes(axis: output_size.AxisOutput, name: str) -> None:
    """What floor and uneven padding did to one axis, if anything."""
    if axis.ok:
        if axis.unused:
            st.caption(t("conv.unused", n=axis.unused, axis=t(f"conv.axis.{name}"),
                         numerator=axis.numerator, stride=axis.stride))
        if axis.pad_before != axis.pad_after:
            st.caption(t("conv.uneven_padding", before=axis.pad_before, after=axis.pad_after,
                         axis=t(f"conv.axis.{name}")))


def show_layer_numbers(x: np.ndarray, kernel: np.ndarray, out_hw: tuple[int, int]) -> None:
    """Output shape, parameter count and multiply-adds, each with its formula and numbers."""
    k, _, c_in, c_out = kernel.shape
    params = layers.conv2d_params(k, k, c_in, c_out)
    macs = layers.conv2d_macs(out_hw, (k, k), c_in, c_out)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("conv.output_shape"), f"{out_hw[0]} × {out_hw[1]} × {c_out}")
    m1.caption(t("conv.output_shape_formula"))
    m2.metric(t("conv.params"), f"{params:,}")
    m2.caption(layers.conv2d_params_formula((k, k), c_in, c_out, number="{:,}".format))
    m3.metric(t("conv.macs"), f"{macs:,}")
    m3.caption(layers.conv2d_macs_formula(out_hw, (k, k), c_in, c_out, number="{:,}".format))


def show_maps(x: np.ndarray, kernel: np.ndarray, fmaps: np.ndarray, hp: dict) -> None:
    """Padded input, then per filter: kernel, feature map and its ReLU; under them one lazy
    expander with all their numbers as tables (one element, not one per chart: every element
    costs time on each rerun)."""
    padded, pads = conv.pad_input(x[None], hp["padding"], kernel.shape[:2], hp["strides"], hp["dilation"])
    mask = windows.padding_mask(x.shape[:2], pads)
    title = t("conv.padded_input", h=padded.shape[1], w=padded.shape[2])
    if x.shape[2] == 3:
        fig = heatmaps.image_figure(padded[0], title, mask=mask)
    else:
        fig = heatmaps.heatmap(padded[0, ..., 0], title, signed=False, mask=mask)
    present.chart(st, fig, "conv_padded_fig")
    with st.container():  # one element, legend or not: the charts below keep their positions
        if np.any(mask):
            st.caption(t("conv.padding_legend"))
    drawn = [fig]
    for f in range(kernel.shape[3]):
        cols = st.columns([1, 1.4, 1.4])
        with cols[0]:
            drawn.append(kernel_view(kernel[..., f], f))
        drawn.append(show_map(fmaps[..., f], t("conv.feature_map", n=f + 1), f"conv_fmap_{f}", cols[1]))
        drawn.append(show_map(relu(fmaps[..., f]), t("conv.relu_map", n=f + 1), f"conv_relu_{f}", cols[2]))
    number_tables("conv_maps", lambda: [row for item in drawn for row in tables_of(item)])


def tables_of(drawn) -> list[tuple]:
    """The (title, values, ...) tables of a drawn Plotly figure or canvas raster."""
    return [(drawn.title, drawn.values)] if isinstance(drawn, Raster) else figure_tables(drawn)


def show_map(values: np.ndarray, title: str, key: str, where):
    """A feature map: a Plotly heat map with its numbers in the cells while it is small, a canvas
    that redraws in place (ui.raster_heatmap) once it is too large to write the numbers in.
    Returns what it drew (figure or raster)."""
    if max(values.shape) <= heatmaps.TEXT_LIMIT:
        fig = heatmaps.heatmap(values, title)
        present.chart(where, fig, key)
        return fig
    raster = heat_raster(values, title)
    draw_raster(raster, key, where)
    return raster


def kernel_view(weights: np.ndarray, f: int):
    """A filter (K, K, C): one heat map per input slice, in one chart (returned)."""
    depth = weights.shape[2]
    if depth == 1:
        fig = heatmaps.heatmap(weights[..., 0], t("conv.kernel_title", n=f + 1),
                               height=cell_height(weights.shape[0]), colorbar=False)
        present.chart(st, fig, f"conv_kernel_{f}")
        return fig
    panels = [{"values": weights[..., c], "title": t("conv.slice_n", c=c, name=t(f"conv.channels.{c}"))}
              for c in range(depth)]
    st.markdown(f"**{t('conv.kernel_title', n=f + 1)}**")
    fig = heatmaps.heatmap_panels(panels, columns=1, height_per_row=cell_height(weights.shape[0]) - 50)
    present.chart(st, fig, f"conv_kernel_{f}")
    st.caption(t("conv.depth_rule", depth=depth))
    return fig


def cell_height(rows: int) -> int:
    """A figure height that leaves each of `rows` cells room for its number."""
    return int(min(420, max(200, 36 * rows + 70)))


def region(axes, small: bool) -> tuple[int, int, int, int]:
    """Output rows r0..r1 and cols c0..c1 (exclusive ends) that the step-through covers."""
    oh, ow = axes[0].output, axes[1].output
    if small:
        return 0, oh, 0, ow
    c1, c2 = st.columns(2)
    r0 = c1.slider(t("conv.zoom_row"), 0, max(oh - ZOOM, 0), max(oh // 2 - ZOOM // 2, 0), key="conv_zoom_r")
    q0 = c2.slider(t("conv.zoom_col"), 0, max(ow - ZOOM, 0), max(ow // 2 - ZOOM // 2, 0), key="conv_zoom_c")
    return r0, min(r0 + ZOOM, oh), q0, min(q0 + ZOOM, ow)


def step_through(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, fmaps: np.ndarray, hp: dict,
                 axes) -> None:
    """Move the window position by position, with the products and their sum from conv_trace."""
    small = max(x.shape[:2]) <= 16
    f = 0
    if kernel.shape[3] > 1:
        f = st.radio(t("conv.step_filter"), range(kernel.shape[3]), format_func=formatter("conv.filter_n", "n", 1),
                     key="conv_step_filter", horizontal=True)
    ch = 0
    if x.shape[2] > 1:
        ch = st.radio(t("conv.step_channel"), range(x.shape[2]), format_func=labeler("conv.channels"),
                      key="conv_step_channel", horizontal=True)
    r0, r1, c0, c1 = region(axes, small)
    positions = [(r, c) for r in range(r0, r1) for c in range(c0, c1)]
    traces = [conv.conv_trace(x, kernel, bias, row=r, col=c, filter=f, **hp) for r, c in positions]
    padded, pads = conv.pad_input(x[None], hp["padding"], kernel.shape[:2], hp["strides"], hp["dilation"])
    reach = windows.reach(traces)  # the part of the padded input the region's windows read
    rows, cols = reach.in_padded(pads)
    crop = padded[0, rows, cols, ch]
    mask = windows.padding_mask(x.shape[:2], pads)[rows, cols]
    cells_read = [[(int(a), int(b)) for a in tr.in_rows for b in tr.in_cols] for tr in traces]
    captions = [f"({tr.row}, {tr.col}): " + formulas.products_sum(tr.window, tr.weights, tr.total, max_terms=6)
                + (f" {formulas.signed(tr.bias)} = {formulas.fmt(tr.result)}" if tr.bias else "") for tr in traces]
    chosen = st.select_slider(t("conv.position"), options=list(range(len(positions))),
                              format_func=lambda i: f"{positions[i][0]}, {positions[i][1]}", key="conv_pos")
    chosen = min(int(chosen), len(positions) - 1)
    fig = stepper.window_stepper(
        crop, fmaps[r0:r1, c0:c1, f], cells_read, positions, captions,
        input_title=t("conv.step_input"), output_title=t("conv.step_output"),
        play=t("conv.play"), pause=t("conv.pause"), input_mask=mask, start=chosen, signed_input=False,
        input_origin=(reach.top, reach.left), output_origin=(r0, c0))
    present.chart(st, fig, key="conv_stepper_fig")
    show_trace_numbers(traces[chosen], fmaps[traces[chosen].row, traces[chosen].col, f])


def show_trace_numbers(tr: conv.ConvTrace, shown_value: float) -> None:
    """The window, the weights and their products for one position, written out."""
    st.markdown(t("conv.trace_heading", row=tr.row, col=tr.col, n=tr.filter + 1))
    panels = []
    for c in range(tr.window.shape[2]):
        label = "" if tr.window.shape[2] == 1 else f" · {t(f'conv.channels.{c}')}"
        panels += [{"values": tr.window[..., c], "title": t("conv.window") + label, "signed": False,
                    "mask": tr.is_padding},
                   {"values": tr.weights[..., c], "title": t("conv.weights") + label},
                   {"values": tr.products[..., c], "title": t("conv.products") + label}]
    show_heatmap(heatmaps.heatmap_panels(panels, columns=3, height_per_row=cell_height(tr.window.shape[0])),
                 "conv_trace_fig")
    st.code(formulas.products_sum(tr.window, tr.weights, tr.total, max_terms=60) + "\n"
            + t("conv.plus_bias") + ": " + formulas.with_bias(tr.total, tr.bias, tr.result), language=None,
            wrap_lines=True)
    st.caption(t("conv.trace_matches", value=formulas.fmt(shown_value)))


def playground() -> None:
    """The page: the input and filter controls on the left, the layer's results on the right."""
    EDITED_KERNELS.clear()
    controls, results = st.columns([1, 2.3], gap="large")
    with controls:
        share_slot = st.container()
        x = input_or_stop(choose_input)
        hyper_slot = st.container()
        st.markdown(f"**{t('conv.filters_heading')}**")
        kernel, bias = filter_controls(x.shape[2])
    layer(x, kernel, bias, hyper_slot, results, share_slot)


@st.fragment
def layer(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, hyper_slot, results, share_slot) -> None:
    """Stride, padding and dilation with everything they change. A fragment: moving one of these
    widgets reruns only this function (with the input and filters of the last full run), so the
    formula and the maps redraw without the rest of the page."""
    with hyper_slot:
        hp = hyperparameters()
    with results:
        show_results(x, kernel, bias, hp)
    with share_slot:
        share.share_popover(share_params(), EDITED_KERNELS)


def show_results(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, hp: dict) -> None:
    """The formula, the layer's numbers, and the open view: feature maps or the step-through."""
    with guarded():
        axes = output_size.conv_output_hw(x.shape[:2], kernel.shape[:2], hp["strides"], hp["padding"],
                                          hp["dilation"])
        show_formula(axes)
        output_size.require_ok(axes)
        fmaps = conv.conv2d(x[None], kernel, bias, **hp)[0]
        st.session_state["conv_last_fmaps"] = fmaps  # the pooling page pools these maps
        show_layer_numbers(x, kernel, fmaps.shape[:2])
        # only the open tab runs (and is drawn): moving a slider redraws the maps or the steps
        views = lazy_tabs(VIEWS, "conv.views", key="conv_view")
        if views["maps"].open:
            with views["maps"]:
                show_maps(x, kernel, fmaps, hp)
        if views["step"].open:
            with views["step"]:
                step_through(x, kernel, bias, fmaps, hp, axes)


share.restore(share_params(), "conv_")
st.title(t("conv.heading"))
st.caption(t("conv.intro"))
playground()

practice_view("conv", ("output_size", "conv_cell", "layer_params"), share_params)
