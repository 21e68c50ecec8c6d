"""Training studio, section 5: looking inside a trained (or loaded) model. Test accuracy, the
confusion matrix, per-class accuracy, the notes' "R: P:" grid of mistakes; one image (a test image,
an upload or a drawing) with its softmax and the feature maps of every conv and pooling layer; the
first layer's filters; why the model decided (ui.explain_views)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine import config
from engine.data import images, uploads
from engine.learn import models, training
from ui.feedback import guarded, upload_limit_hint
from ui.heat_table import show_heatmap
from ui.i18n import labeler, t
from ui import explain_views, present
from ui.safe_text import markdown_list, markdown_text, plotly_list
from ui.studio.model import summary_table
from ui.tile_grid import draw_tiles
from visuals import training as tviz
from visuals import tiles

GRID_LIMIT = 25  # mistakes shown, like the notes' 5 x 5 grid
IMAGE_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]


def scores(result: training.TrainedModel) -> None:
    ev, names = result.evaluation, plotly_list(result.class_names)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("train.test_accuracy"), f"{ev.accuracy:.1%}")
    m2.metric(t("train.test_images"), f"{len(ev.labels):,}")
    m3.metric(t("train.mistakes"), f"{int(np.sum(ev.predicted != ev.labels)):,}")
    c1, c2 = st.columns(2)
    show_heatmap(tviz.confusion(ev.confusion, names, t("train.confusion"), t("train.true_class"),
                                t("train.predicted_class")), "train_confusion", c1)
    present.chart(c2, tviz.bars(ev.per_class, names, t("train.per_class")), key="train_per_class")
    wrong = training.misclassified(ev, GRID_LIMIT)
    st.subheader(t("train.mistakes_heading", n=len(wrong)))
    if len(wrong):
        titles = [t("train.rp", r=names[ev.labels[i]], p=names[ev.predicted[i]]) for i in wrong]
        draw_tiles(tiles.image_grid(result.test_images[wrong], titles, columns=10, tile_px=80,
                                    caption_colors=[tviz.BAD] * len(wrong)), "train_mistakes")
    else:
        st.success(t("train.no_mistakes"))


def chosen_image(result: training.TrainedModel) -> tuple[np.ndarray, int | None] | None:
    """(pixels shaped for the model, true label or None) from a test image, an upload or a drawing."""
    kinds = (("test",) if result.test_images is not None else ()) + ("upload", "draw")
    kind = st.radio(t("train.look_source"), kinds, format_func=labeler("train.look_sources"), key="train_look_source",
                    horizontal=True)
    if kind == "test":
        n = len(result.test_labels)
        index = int(st.number_input(t("train.test_index"), 0, n - 1, 0, key="train_test_index"))
        return result.test_images[min(index, n - 1)], int(result.test_labels[min(index, n - 1)])
    if kind == "upload":
        file = st.file_uploader(t("train.own_upload"), type=IMAGE_TYPES, key="train_own_upload",
                                max_upload_size=config.widget_limit_mb(config.MAX_IMAGE_BYTES))
        upload_limit_hint(config.MAX_IMAGE_BYTES)
        if file is None:
            st.info(t("train.own_hint"))
            return None
        loaded = images.decode_upload(file.getvalue(), max_side=256, max_bytes=config.MAX_IMAGE_BYTES)
        return uploads.for_model(loaded.pixels, result.input_shape), None
    return drawn_image(result)


def drawn_image(result: training.TrainedModel) -> tuple[np.ndarray, int | None] | None:
    """A drawing (white on black, like MNIST) from streamlit-drawable-canvas, when installed."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception:  # noqa: BLE001 - optional component: upload still works
        st.info(t("train.no_canvas"))
        return None
    st.caption(t("train.draw_hint"))
    st.space("medium")  # room for the canvas toolbar, which floats above the drawing
    drawing = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", height=224, width=224,
                        return_image_data=True, key="train_canvas")
    if drawing.image_data is None or not np.any(drawing.image_data[..., :3]):
        return None
    return uploads.for_model(uploads.drawing_to_pixels(drawing.image_data), result.input_shape), None


def one_image_views(result: training.TrainedModel) -> tuple[np.ndarray, int | None] | None:
    """The chosen image's softmax and feature maps; returns the image (and its label) or None."""
    st.subheader(t("train.look_heading"))
    picked = None
    with guarded():
        picked = chosen_image(result)
    if picked is None:
        return None
    pixels, truth = picked
    names = list(result.class_names)
    probs = models.predict(result.model, pixels[None])[0]
    guess = int(np.argmax(probs))
    c1, c2 = st.columns([1, 2.5])
    present.chart(c1, tviz.image_grid(pixels[None], [t("train.input_image", h=pixels.shape[0], w=pixels.shape[1])],
                                    columns=1, cell=200), key="train_look_image")
    verdict = t("train.prediction", p=markdown_text(names[guess]), prob=f"{probs[guess]:.1%}")
    if truth is not None:
        verdict += " · " + t("train.truth", r=markdown_text(names[truth]))
    c1.markdown(verdict)
    present.chart(c2, tviz.bars(probs, plotly_list(names), t("train.softmax"), highlight=guess), key="train_softmax")
    with guarded():  # a loaded model without conv layers: the message, and the views below still run
        for i, (name, kind, maps) in enumerate(models.feature_maps(result.model, pixels)):
            title = t("train.map_title", name=name, kind=kind, h=maps.shape[0], w=maps.shape[1], c=maps.shape[2])
            show_heatmap(tviz.mosaic(maps, title, t("train.channel"), raw=maps), f"train_maps_{i}",
                         values=[(f"{t('train.channel')} {c}", maps[..., c]) for c in range(maps.shape[2])])
    st.caption(t("train.maps_note"))
    return picked


def filters_view(result: training.TrainedModel) -> None:
    kernel = models.first_filters(result.model)
    st.subheader(t("train.filters_heading", k=kernel.shape[0], c=kernel.shape[2], f=kernel.shape[3]))
    present.chart(st, tviz.filters_figure(kernel, "", t("train.filter")), key="train_filters")
    st.caption(t("train.filters_note"))


def loaded_summary(result: training.TrainedModel) -> None:
    rows = models.spec_rows(result.model)
    with st.expander(t("train.loaded_summary")):
        if rows is not None:
            summary_table(rows)
        else:
            st.dataframe(pd.DataFrame(models.keras_rows(result.model),
                                      columns=[t("train.col_layer"), t("train.col_type"), t("train.col_output"),
                                               t("train.col_params")]).astype(str), hide_index=True)


def results_section(result: training.TrainedModel) -> None:
    st.header(t("train.inside_heading"))
    done = len(result.history.get("loss", []))
    st.caption(t(f"train.origin.{result.origin}", status=t(f"train.final.{result.status}"), epochs=done,
                 classes=", ".join(markdown_list(result.class_names))))
    if result.origin == "loaded":
        loaded_summary(result)
    if result.evaluation is not None:
        scores(result)
    else:
        st.info(t("train.no_test_fit"))
    picked = one_image_views(result)
    with guarded():
        filters_view(result)
    explain_views.section(lambda: result, picked)  # why the model decided (saliency, Grad-CAM, ...)
