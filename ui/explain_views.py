"""Why the model decided: saliency / SmoothGrad, Grad-CAM, occlusion, what a filter looks for and
the first-layer filters while learning, for a trained model and one image and class.

Used by the training studio's "looking inside" (`section(lambda: result, picked)`, the image
chosen there is offered first) and the transfer page (`transfer_section`: one of the three
trained models). Everything is behind a lazy expander and lazy tabs; each tab is a fragment.
Saliency and Grad-CAM run in the page (tens of milliseconds on the small models); occlusion
and filter visualisation run as engine.learn.explain.ExplainJob in the training queue (progress, Stop,
owned by the session), polled by their fragment. Never imports TensorFlow.
"""
from __future__ import annotations

import hashlib
from typing import Callable

import numpy as np
import streamlit as st

from engine import config
from engine.data import images, uploads
from engine.errors import EngineError
from engine.learn import explain, models, training
from ui import present
from ui.feedback import guarded, show_engine_error, upload_limit_hint
from ui.heat_table import show_heatmap
from ui.i18n import current_language, labeler, t, translate
from ui.lazy import lazy_tabs
from ui.safe_text import markdown_text, plotly_text
from ui.session_jobs import own
from visuals import explain as xviz

TABS = ("saliency", "gradcam", "occlusion", "filters", "learning", "about")
IMAGE_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
QUICK_WAIT = 0.8  # seconds a new job may take and still be shown in the same run
MAX_PATCH, MAX_STRIDE, MAX_FILTER = 64, 32, 1023


# ------------------------------------------------------------------ the image and the class


def _image_from_bytes(data: bytes, input_shape) -> np.ndarray:
    loaded = images.decode_upload(data, max_side=256, max_bytes=config.MAX_IMAGE_BYTES)
    return uploads.for_model(loaded.pixels, input_shape)


def choose_image(result: training.TrainedModel, picked, sources: tuple[str, ...], prefix: str):
    """(pixels (H, W, C) for the model, true label or None) from the chosen source, or None."""
    kind = st.radio(t("explain.source"), sources, format_func=labeler("explain.sources"), key=f"{prefix}_source",
                    horizontal=True)
    if kind == "above":
        if picked is None:
            st.info(t("explain.above"))
        return picked
    if kind == "test":
        if result.test_images is None or not len(result.test_images):
            st.info(t("explain.no_test"))
            return None
        n = len(result.test_labels)
        index = min(int(st.number_input(t("explain.test_index"), 0, max(n - 1, 0), 0, key=f"{prefix}_test_index")), n - 1)
        return result.test_images[index], int(result.test_labels[index])
    if kind == "upload":
        file = st.file_uploader(t("explain.upload"), type=IMAGE_TYPES, key=f"{prefix}_upload",
                                max_upload_size=config.widget_limit_mb(config.MAX_IMAGE_BYTES))
        upload_limit_hint(config.MAX_IMAGE_BYTES)
        if file is None:
            st.info(t("explain.upload_hint"))
            return None
        return _image_from_bytes(file.getvalue(), result.input_shape), None
    st.caption(t("explain.camera_hint"))
    photo = st.camera_input(t("explain.camera"), key=f"{prefix}_camera")
    if photo is None:
        st.info(t("explain.camera_wait"))
        return None
    return _image_from_bytes(photo.getvalue(), result.input_shape), None


def class_choice(names: list[str], probs: np.ndarray, prefix: str) -> int:
    """The class to explain: the predicted one (default) or any other."""
    guess = int(np.argmax(probs))
    shown = [plotly_text(n) for n in names]
    options = [-1] + list(range(len(names)))
    predicted = t("explain.predicted_option", name=shown[guess], prob=f"{probs[guess]:.1%}")
    labels = {-1: predicted, **{i: t("explain.class_option", name=shown[i], prob=f"{probs[i]:.1%}")
                                for i in range(len(names))}}
    choice = st.selectbox(t("explain.class_choice"), options, format_func=labels.get, key=f"{prefix}_class")
    return guess if choice == -1 else int(choice)


def _digest(image: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(image, dtype=np.float32).tobytes()).hexdigest()[:16]


# ------------------------------------------------------------------ the section


def section(pick_model: Callable[[], training.TrainedModel | None], picked=None, prefix: str = "xp",
            sources: tuple[str, ...] = ("above", "test", "upload", "camera")) -> None:
    """The heading and the lazy panel; `pick_model()` (run inside the open panel) gives the model."""
    st.subheader(t("explain.heading"))
    st.caption(t("explain.intro"))
    box = st.expander(t("explain.open"), key=f"{prefix}_open", on_change="rerun", icon=":material/lightbulb:")
    if not box.open:
        return
    with box:
        result = None
        with guarded():
            result = pick_model()
        if result is None:
            return
        chosen = picture = None
        with guarded():
            chosen = choose_image(result, picked, sources, prefix)
        if chosen is not None:
            with guarded():
                picture = explained_image(result, *chosen, prefix)
        tabs = lazy_tabs(TABS, "explain.tabs", f"{prefix}_tabs")
        if tabs["about"].open:
            tabs["about"].markdown(t("explain.about.text"))
        if tabs["learning"].open:
            with tabs["learning"]:
                learning_view(result, prefix)
        if tabs["filters"].open:
            with tabs["filters"]:
                job_view("filters", result, None, 0, prefix)
        if picture is None:
            return
        pixels, cls = picture
        name = result.class_names[cls]
        if tabs["saliency"].open:
            with tabs["saliency"]:
                st.fragment(saliency_view)(result.model, pixels, cls, name, prefix)
        if tabs["gradcam"].open:
            with tabs["gradcam"]:
                st.fragment(gradcam_view)(result.model, pixels, cls, name, prefix)
        if tabs["occlusion"].open:
            with tabs["occlusion"]:
                job_view("occlusion", result, pixels, cls, prefix)


def explained_image(result: training.TrainedModel, pixels: np.ndarray, truth: int | None, prefix: str):
    """The prediction for the image and the class choice: (checked pixels, class to explain)."""
    pixels = explain.check_image(result.model, pixels)
    probs = models.predict(result.model, pixels[None])[0]
    names = list(result.class_names)
    guess = int(np.argmax(probs))
    caption = t("explain.image_caption", h=pixels.shape[0], w=pixels.shape[1], c=pixels.shape[2],
                p=markdown_text(names[guess]), prob=f"{probs[guess]:.1%}")
    if truth is not None:
        caption += " · " + t("explain.truth", r=markdown_text(names[truth]))
    st.caption(caption)
    return pixels, class_choice(names, probs, prefix)


def transfer_section(result, target: training.DataSplit, names: list[str], status: str) -> None:
    """The panel on the transfer page: explain one of the comparison's trained models."""
    if not getattr(result, "models", None):
        return

    def pick() -> training.TrainedModel:
        methods = tuple(m for m in ("scratch", "feature", "finetune") if m in result.models)
        method = st.radio(t("explain.transfer_model"), methods, format_func=labeler("transfer.methods"),
                          key="xt_method", horizontal=True)
        model = result.models[method]
        run = result.runs.get(method)
        return training.TrainedModel(model, tuple(names), models.input_shape_of(model), "transfer", status,
                                     run.history if run else {}, target.x_test, target.y_test, None,
                                     f"{result.id}-{method}")
    section(pick, None, "xt", ("test", "upload", "camera"))


# ------------------------------------------------------------------ saliency and Grad-CAM


def _score_choice(prefix: str, where) -> str:
    return where.radio(t("explain.score"), explain.SCORES, format_func=labeler("explain.scores"), key=f"{prefix}_score",
                       help=t("explain.score_help"), horizontal=True)


def saliency_view(model, pixels: np.ndarray, cls: int, name: str, prefix: str) -> None:
    with guarded():
        left, right = st.columns([1, 3], gap="medium")
        method = left.radio(t("explain.saliency.method"), ("plain", "smooth"),
                            format_func=labeler("explain.saliency.methods"), key=f"{prefix}_sal_method")
        score = _score_choice(f"{prefix}_sal", left)
        smooth = method == "smooth"
        noise = left.slider(t("explain.saliency.noise"), 0.0, 0.5, 0.15, 0.05, key=f"{prefix}_sal_noise",
                            disabled=not smooth)
        count = left.slider(t("explain.saliency.count"), 2, explain.MAX_SMOOTH_COUNT, 16, key=f"{prefix}_sal_count",
                            disabled=not smooth)
        sal = (explain.smoothgrad(model, pixels, cls, noise, count, score=score) if smooth
               else explain.saliency(model, pixels, cls, score))
        title = t("explain.saliency.smooth_title" if smooth else "explain.saliency.map_title")
        fig = xviz.map_row(pixels, sal.map, sal.map, (t("explain.input_title"), title, t("explain.overlay_title")))
        show_heatmap(fig, f"{prefix}_saliency", right, values=[(title, sal.map)])
        right.caption(t("explain.saliency.caption", name=markdown_text(name), score=f"{sal.score:.4g}",
                        top=f"{sal.map.max():.3g}"))


def _layer_choice(model, key: str, label: str, where=st) -> explain.ConvLayer:
    layers = {layer.name: layer for layer in explain.conv_layers(model)}
    if not layers:
        raise EngineError("explain_no_conv")
    names = list(layers)
    if st.session_state.get(key) not in layers:
        st.session_state[key] = names[-1]  # the last conv layer: Grad-CAM's usual choice

    lang = current_language()  # captured: AppTest calls format_func outside the run

    def label_of(n: str) -> str:
        c = layers[n]
        return translate(lang, "explain.gradcam.layer_option", name=n, kind=c.kind, h=c.shape[0], w=c.shape[1],
                         k=c.shape[2])
    return layers[where.selectbox(label, names, format_func=label_of, key=key)]


def gradcam_view(model, pixels: np.ndarray, cls: int, name: str, prefix: str) -> None:
    with guarded():
        left, right = st.columns([1, 3], gap="medium")
        with left:
            layer = _layer_choice(model, f"{prefix}_cam_layer", t("explain.gradcam.layer"))
        score = _score_choice(f"{prefix}_cam", left)
        opacity = left.slider(t("explain.gradcam.opacity"), 0.1, 1.0, 0.55, 0.05, key=f"{prefix}_cam_opacity")
        cam = explain.grad_cam(model, pixels, cls, layer.path, score)
        title = t("explain.gradcam.cam_title", layer=layer.name, h=cam.cam.shape[0], w=cam.cam.shape[1])
        fig = xviz.map_row(pixels, cam.cam, cam.heat, (t("explain.input_title"), title, t("explain.overlay_title")),
                           opacity=opacity)
        show_heatmap(fig, f"{prefix}_gradcam", right, values=[(title, cam.cam)])
        h, w = cam.cam.shape
        right.caption(t("explain.gradcam.caption", name=markdown_text(name), score=f"{cam.score:.4g}", h=h, w=w,
                        H=pixels.shape[0], W=pixels.shape[1],
                        cell=f"{pixels.shape[0] / h:.3g}×{pixels.shape[1] / w:.3g}"))
        with right.container():  # always drawn: the chart below keeps its place
            if not cam.cam.any():
                st.warning(t("explain.gradcam.no_evidence"))
        present.chart(right, xviz.weights_bars(cam.weights, t("explain.gradcam.weights_title"), "k ="),
                      key=f"{prefix}_cam_weights")


# ------------------------------------------------------------------ jobs: occlusion, filters


def _job_key(kind: str, prefix: str) -> str:
    return f"{prefix}_{kind}_job"


def _running(kind: str, prefix: str):
    stored = st.session_state.get(_job_key(kind, prefix))
    return stored[0] if stored is not None and not stored[0].finished else None


def job_view(kind: str, result: training.TrainedModel, pixels, cls: int, prefix: str) -> None:
    """The tab of a queued computation; polled while its job runs."""
    every = config.POLL_SECONDS if _running(kind, prefix) is not None else None
    view = occlusion_panel if kind == "occlusion" else filters_panel
    st.fragment(view, run_every=every)(result, pixels, cls, prefix)


def _start(kind: str, prefix: str, make: Callable[[], explain.ExplainJob], signature: tuple) -> None:
    """Stop this tab's running job, start a new one in the queue, give it a moment to finish."""
    old = _running(kind, prefix)
    if old is not None:
        old.stop()
    try:
        job = make().start(queue=True)
    except EngineError as err:
        show_engine_error(err)
        return
    own(job)
    st.session_state[_job_key(kind, prefix)] = (job, signature)
    if not job.wait(QUICK_WAIT):
        st.rerun()  # a full run: this tab's fragment then polls the job's progress


def _progress(kind: str, prefix: str, signature: tuple):
    """Progress, Stop and messages of this tab's job; its result (or None) and what it was made for."""
    stored = st.session_state.get(_job_key(kind, prefix))
    if stored is None:
        return None, ()
    job, made_for = stored
    snap = job.snapshot()
    if not snap.finished:
        if snap.status == "queued":
            st.info(t("explain.queued", k=snap.position), icon=":material/hourglass_top:")
        else:
            st.progress(snap.fraction, text=t("explain.progress", done=snap.step, total=snap.steps_per_epoch or "?",
                                              seconds=f"{snap.elapsed:.0f}"))
        if st.button(t("explain.stop"), icon=":material/stop_circle:", key=f"{prefix}_{kind}_stop"):
            job.stop()
        return None, made_for
    if st.session_state.get(f"{prefix}_{kind}_seen") != job.id:
        st.session_state[f"{prefix}_{kind}_seen"] = job.id
        if _polled():
            st.rerun()  # a full run: the tab stops polling
    if snap.status == "failed":
        if job.error is not None:
            show_engine_error(job.error)
        else:
            st.error(t("explain.job_failed"), icon=":material/error:")
        return None, made_for
    with st.container():  # always drawn: the charts below keep their places
        if job.result is not None and not job.result.complete:
            st.caption(t("explain.stopped_partial"))
        if made_for != signature:
            st.caption(t("explain.stale"))
    return job.result, made_for


def _polled() -> bool:
    """True in a fragment's own rerun (its timer or a widget inside it), not in a full run."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        ctx = get_script_run_ctx()
        return bool(ctx and ctx.fragment_ids_this_run)
    except Exception:  # noqa: BLE001 - older Streamlit: assume a full run
        return False


def occlusion_panel(result: training.TrainedModel, pixels: np.ndarray, cls: int, prefix: str) -> None:
    with guarded():
        model, name = result.model, result.class_names[cls]
        left, right = st.columns([1, 3], gap="medium")
        side = min(pixels.shape[:2])
        patch = int(left.number_input(t("explain.occlusion.patch"), 1, MAX_PATCH, max(2, side // 4),
                                      key=f"{prefix}_occ_patch"))
        stride = int(left.number_input(t("explain.occlusion.stride"), 1, MAX_STRIDE, max(1, side // 12),
                                       key=f"{prefix}_occ_stride"))
        signature = (result.id, _digest(pixels), cls, patch, stride)
        if patch <= side:
            rows, cols = explain.occlusion_positions(pixels.shape[0], pixels.shape[1], patch, stride)
            left.caption(t("explain.occlusion.count", n=len(rows) * len(cols)))
        if left.button(t("explain.start"), type="primary", icon=":material/play_arrow:", key=f"{prefix}_occ_start"):
            _start("occlusion", prefix, lambda: explain.occlusion_job(model, pixels, cls, patch, stride), signature)
        with right:
            occ, made_for = _progress("occlusion", prefix, signature)
        if occ is None or made_for[:3] != signature[:3]:
            return  # nothing yet, or made for another model, image or class: only the note is shown
        shown_name = plotly_text(name)
        prob_title = t("explain.occlusion.prob_title", name=shown_name)
        drop_title = t("explain.occlusion.drop_title", name=shown_name)
        fig = xviz.map_row(pixels, occ.probabilities, occ.pixel, (t("explain.input_title"), prob_title, drop_title),
                           positions=(occ.rows, occ.cols), zmax="data", overlay_signed=True, opacity=0.7,
                           overlay_scale=True)
        show_heatmap(fig, f"{prefix}_occlusion", right, values=[(prob_title, occ.probabilities, occ.rows, occ.cols),
                                                                (drop_title, occ.pixel)])
        done = np.where(np.isfinite(occ.probabilities), occ.probabilities, np.inf)
        r, c = np.unravel_index(int(np.argmin(done)), done.shape)
        right.caption(t("explain.occlusion.caption", name=markdown_text(name), clean=f"{occ.clean:.1%}",
                        low=f"{occ.probabilities[r, c]:.1%}", r=int(occ.rows[r]), c=int(occ.cols[c])))
        with right.container():
            if occ.stride > occ.patch:
                st.caption(t("explain.occlusion.gaps"))


def filters_panel(result: training.TrainedModel, _pixels, _cls: int, prefix: str) -> None:
    with guarded():
        model = result.model
        left, right = st.columns([1, 3], gap="medium")
        with left:
            layer = _layer_choice(model, f"{prefix}_fv_layer", t("explain.filters.layer"))
        count = layer.shape[2]
        which_labels = {"all": t("explain.filters.all", n=explain.MAX_FILTERS_AT_ONCE), "one": t("explain.filters.one")}
        which = left.radio(t("explain.filters.which"), ("all", "one"), key=f"{prefix}_fv_which",
                           format_func=which_labels.get)
        chosen = int(left.number_input(t("explain.filters.filter"), 0, MAX_FILTER, 0, key=f"{prefix}_fv_filter",
                                       disabled=which == "all"))
        steps = left.slider(t("explain.filters.steps"), 5, explain.MAX_ASCENT_STEPS, 40, 5, key=f"{prefix}_fv_steps")
        with left.expander(t("explain.filters.regularise")):
            jitter = st.slider(t("explain.filters.jitter"), 0, 4, 1, key=f"{prefix}_fv_jitter")
            blur = st.slider(t("explain.filters.blur"), 0.0, 2.0, 0.5, 0.25, key=f"{prefix}_fv_blur")
            l2 = st.slider(t("explain.filters.l2"), 0.0, 0.1, 0.01, 0.01, key=f"{prefix}_fv_l2")
        filters = tuple(range(min(count, explain.MAX_FILTERS_AT_ONCE))) if which == "all" else (chosen,)
        settings = explain.AscentSettings(steps=int(steps), jitter=int(jitter), blur=float(blur), l2=float(l2))
        signature = (result.id, layer.path, filters, settings)
        if left.button(t("explain.start"), type="primary", icon=":material/play_arrow:", key=f"{prefix}_fv_start"):
            if which == "one" and not 0 <= chosen < count:
                raise EngineError("channel_out_of_range", channel=chosen, channels=count)
            _start("filters", prefix, lambda: explain.filters_job(model, layer.path, filters, settings), signature)
        with right:
            found, made_for = _progress("filters", prefix, signature)
        if found is None or made_for[0] != result.id:
            return
        titles = [t("explain.filters.filter_title", f=f) for f in found.filters]
        right.markdown(f"**{t('explain.filters.grid_title', layer=found.layer.name)}**")
        present.chart(right, xviz.filter_pictures(found.images, titles), key=f"{prefix}_fv_grid")
        present.chart(right, xviz.ascent_log(found.log, titles, t("explain.filters.log_title"),
                                             t("explain.filters.step_axis"), t("explain.filters.activation_axis")),
                      key=f"{prefix}_fv_log")
        right.caption(t("explain.filters.caption"))
        silent = [titles[i] for i in range(len(titles)) if not np.any(found.log[:, i])]
        with right.container():
            if silent:
                st.caption(t("explain.filters.silent", names=", ".join(silent)))


# ------------------------------------------------------------------ filters while learning


def learning_view(result: training.TrainedModel, prefix: str) -> None:
    frames = explain.filter_frames(list(getattr(result, "filter_history", ()) or ()))
    if not len(frames):
        st.info(t("explain.learning.none"))
        return
    st.fragment(learning_frames)(frames, prefix)


def learning_frames(frames: np.ndarray, prefix: str) -> None:
    with guarded():
        last = len(frames) - 1
        key = f"{prefix}_epoch"
        if not 0 <= int(st.session_state.get(key, last)) <= last:
            st.session_state[key] = last
        epoch = st.slider(t("explain.learning.epoch"), 0, max(last, 1), last, key=key, disabled=last == 0)
        epoch = min(int(epoch), last)
        limit = float(np.abs(frames.mean(axis=3)).max()) or 1.0
        title = (t("explain.learning.title", e=epoch, n=last) if epoch else t("explain.learning.start_title"))
        present.chart(st, xviz.filter_frame(frames[epoch], limit, title, t("train.filter")), key=f"{prefix}_learning")
        st.caption(t("explain.learning.caption", m=f"{limit:.3g}"))
