"""Hand-made features: Harris corners, the detector CNNs replaced.

Follows the course notes: shift a window one pixel in four directions and measure the change
E (sum of squared differences); approximate E with the structure matrix M built from image
gradients; score every pixel with R = det(M) - k trace(M)^2; classify flat / edge / corner and
keep the local maxima as corners. Then the contrast: the gradients are convolutions with the
Sobel filters, the kind of filter a CNN's first layer learns by itself.
Thin page: widgets -> engine.ops.harris (and engine.ops.conv for the Sobel check) -> visuals. No TF.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from engine.data import datasets, images
from engine.ops import conv, harris, kernels
from ui.feedback import guarded, input_or_stop
from ui.heat_table import show_heatmap
from ui import present, share
from ui.i18n import labeler, t
from ui.practice import practice_view
from visuals import formulas
from visuals import forward as fviz
from visuals import harris as hviz

SOURCES = ("square", "photo", "shape")
THRESHOLDS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
POINTS = ("corner", "edge", "flat", "custom")
ARROWS = {"horizontal": "→", "vertical": "↓", "diagonal_down": "↘", "diagonal_up": "↗"}


@st.cache_data(max_entries=8, show_spinner=False)
def cached_photo(name: str, max_side: int) -> np.ndarray:
    """A built-in photo in gray, scaled to 0..1, (H, W)."""
    loaded = images.builtin_photo(name, max_side=max_side)
    return images.to_grayscale(loaded.pixels)[..., 0] / 255.0


def choose_image() -> np.ndarray:
    """The gray picture (H, W) in 0..1."""
    source = st.radio(t("harris.source"), SOURCES, format_func=labeler("harris.sources"), key="harris_source",
                      horizontal=True)
    if source == "square":
        return harris.demo_image("square", 32)
    if source == "photo":
        name = st.selectbox(t("harris.photo"), images.BUILTIN_PHOTOS, index=images.BUILTIN_PHOTOS.index("camera"),
                            format_func=labeler("photos"), key="harris_photo")
        size = st.slider(t("harris.working_size"), 32, 256, 128, 16, key="harris_size")
        return cached_photo(name, size)
    kind = st.selectbox(t("harris.shape"), datasets.SHAPE_CLASSES, format_func=labeler("shapes"), key="harris_shape")
    seed = st.number_input(t("harris.seed"), 0, 9999, 0, key="harris_seed")
    options = datasets.ShapeOptions(size=48, filled=True, noise=0.02)
    return datasets.shape_image(kind, options, seed=int(seed))[..., 0] / 255.0


def detector_settings() -> dict:
    """Window (Gaussian sigma or box size), k, threshold and the corner spacing."""
    window = st.radio(t("harris.window"), harris.WINDOWS, format_func=labeler("harris.windows"),
                      key="harris_window", horizontal=True)
    settings = {"window": window, "sigma": 1.0, "size": 3}
    if window == "gaussian":
        settings["sigma"] = float(st.slider(t("harris.sigma"), 0.5, 3.0, 1.0, 0.1, key="harris_sigma"))
    else:
        settings["size"] = int(st.slider(t("harris.box_size"), 3, 9, 3, 2, key="harris_box"))
    settings["k"] = float(st.slider(t("harris.k"), 0.02, 0.25, 0.05, 0.01, key="harris_k"))
    settings["threshold"] = float(st.select_slider(t("harris.threshold"), THRESHOLDS, value=0.01,
                                                   key="harris_threshold"))
    settings["min_distance"] = int(st.slider(t("harris.min_distance"), 1, 10, 3, key="harris_min_dist"))
    return settings


def choose_pixel(image: np.ndarray, result: harris.HarrisResult) -> tuple[int, int]:
    """A pixel to explore: an example corner / edge / flat pixel, or any pixel."""
    point = st.radio(t("harris.point"), POINTS, format_func=labeler("harris.points"), key="harris_point",
                     horizontal=True)
    if point != "custom":
        return harris.example_points(result)[point]
    c1, c2 = st.columns(2)
    h, w = image.shape
    row = c1.slider(t("harris.row"), 0, h - 1, h // 2, key="harris_row")
    col = c2.slider(t("harris.col"), 0, w - 1, w // 2, key="harris_col")
    return int(row), int(col)


# ------------------------------------------------------------------ sections


def ssd_section(image: np.ndarray, row: int, col: int) -> int:
    """E(dx, dy) for the four one-pixel shifts of the window at (row, col); returns the window size."""
    st.subheader(t("harris.ssd_heading"))
    st.latex(r"E(\Delta x, \Delta y) = \sum_{(x, y) \in W} \left[ I(x + \Delta x, y + \Delta y) - I(x, y) \right]^2")
    size = int(st.slider(t("harris.ssd_size"), 3, 7, 3, 2, key="harris_ssd_size"))
    traces = [harris.ssd_trace(image, row, col, size, d) for d in harris.DIRECTIONS]
    left, right = st.columns([1, 1.4])
    show_heatmap(hviz.neighbourhood_figure(image, row, col, size, t("harris.neighbourhood", row=row, col=col)),
                 "harris_neigh", left)
    names = [f"{ARROWS[tr.direction]} {t(f'harris.directions.{tr.direction}')}" for tr in traces]
    energies = np.array([tr.total for tr in traces])
    present.chart(right, fviz.vector_figure(energies, names, height=260), key="harris_energies")
    right.caption(t("harris.moravec", value=formulas.fmt(energies.min())))
    zmax = max(float(tr.squared.max()) for tr in traces)
    cols = st.columns(4)
    for col_, tr in zip(cols, traces):  # the arrow names the direction (the bars above spell it out)
        title = f"{ARROWS[tr.direction]} E{tr.shift[1], tr.shift[0]} = {formulas.fmt(tr.total)}"
        show_heatmap(hviz.squared_figure(tr.squared, title, zmax), f"harris_sq_{tr.direction}", col_)
    st.caption(t("harris.ssd_legend"))
    return size


def matrix_section(result: harris.HarrisResult, row: int, col: int, k: float) -> None:
    """M, det, trace, R and the eigenvalues at (row, col)."""
    st.subheader(t("harris.matrix_heading"))
    st.markdown(t("harris.matrix_intro"))
    point = harris.harris_at(result.tensor, result.r, result.kinds, row, col, k)
    st.latex(formulas.gathered([hviz.matrix_latex(point), *hviz.response_latex(point)]))
    m1, m2 = st.columns(2)
    m1.metric(t("harris.response"), formulas.fmt(point.r))
    m2.metric(t("harris.kind"), t(f"harris.kinds.{point.kind}"))
    st.caption(t("harris.kinds_rule"))
    g1, g2 = st.columns(2)
    show_heatmap(fviz.grid_figure(result.tensor.ix, t("harris.ix_title"), show_values=False), "harris_ix", g1)
    show_heatmap(fviz.grid_figure(result.tensor.iy, t("harris.iy_title"), show_values=False), "harris_iy", g2)


def detection_section(image: np.ndarray, result: harris.HarrisResult, ssd_min: np.ndarray) -> None:
    """R over the image, the flat / edge / corner map and the detected corners."""
    st.subheader(t("harris.detect_heading"))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("harris.corners_found"), f"{len(result.corners)}")
    for col_, kind in zip((m2, m3, m4), harris.KINDS):
        col_.metric(t(f"harris.kind_pixels.{kind}"), f"{result.counts[kind]:,}")
    c1, c2 = st.columns(2)
    show_heatmap(hviz.corners_figure(image, result.corners, t("harris.corners_title")), "harris_corners", c1,
                 values=image)
    labels = tuple(t(f"harris.kinds.{k}") for k in harris.KINDS)
    show_heatmap(hviz.kinds_figure(result.kinds, labels, t("harris.kinds_title")), "harris_kinds", c2,
                 values=np.array(labels, dtype=object)[result.kinds])
    c3, c4 = st.columns(2)
    show_heatmap(hviz.response_figure(result.r, t("harris.r_title")), "harris_r", c3)
    show_heatmap(fviz.grid_figure(ssd_min, t("harris.moravec_title"), signed=False, show_values=False),
                 "harris_moravec", c4)
    st.caption(t("harris.detect_legend"))


def cnn_section(image: np.ndarray, result: harris.HarrisResult) -> None:
    """The contrast: Sobel filters as first-layer filters, and what a CNN learns instead."""
    st.subheader(t("harris.cnn_heading"))
    st.markdown(t("harris.cnn_text"))
    sobel = np.stack([kernels.preset_kernel("sobel_x"), kernels.preset_kernel("sobel_y")], axis=-1)
    maps = conv.conv2d(image[None, ..., None], sobel[:, :, None, :], padding="same")[0]
    diff = max(float(np.max(np.abs(maps[..., 0] - result.tensor.ix))),
               float(np.max(np.abs(maps[..., 1] - result.tensor.iy))))
    c1, c2, c3 = st.columns([1, 1, 2])
    show_heatmap(fviz.grid_figure(sobel[..., 0], t("harris.sobel_x"), colorbar=False, height=240), "harris_sobel_x", c1)
    show_heatmap(fviz.grid_figure(sobel[..., 1], t("harris.sobel_y"), colorbar=False, height=240), "harris_sobel_y", c2)
    c3.markdown(t("harris.sobel_check", diff=formulas.fmt(diff)))


def share_params() -> list[share.Param]:
    """What a share link of this page carries."""
    return [share.choice("harris_source", SOURCES), share.choice("harris_photo", images.BUILTIN_PHOTOS),
            share.whole("harris_size", 32, 256), share.choice("harris_shape", datasets.SHAPE_CLASSES),
            share.whole("harris_seed", 0, 9999), share.choice("harris_window", harris.WINDOWS),
            share.real("harris_sigma", 0.5, 3.0), share.whole("harris_box", 3, 9), share.real("harris_k", 0.02, 0.25),
            share.choice("harris_threshold", THRESHOLDS), share.whole("harris_min_dist", 1, 10),
            share.choice("harris_point", POINTS)]

@st.fragment
def detector() -> None:
    """The picture, the detector settings and everything they change. A fragment: moving a control
    reruns only this part (not the navigation or the title)."""
    controls, results = st.columns([1, 2.3], gap="large")
    with controls:
        share.share_popover(share_params())
        image = input_or_stop(choose_image)
        settings = detector_settings()

    with results:
        with guarded():
            result = harris.harris(image, settings["k"], settings["window"], settings["sigma"], settings["size"],
                                   settings["threshold"], settings["min_distance"])
            row, col = choose_pixel(image, result)
            ssd_size = ssd_section(image, row, col)
            matrix_section(result, row, col, settings["k"])
            detection_section(image, result, harris.ssd_maps(image, ssd_size)["min"])
            cnn_section(image, result)


share.restore(share_params(), "harris_")
st.title(t("harris.heading"))
st.caption(t("harris.intro"))
detector()

practice_view("harris", ("harris_value",), share_params)
