"""Transfer learning: pretrain a base on the digits 0-4, then learn a new task (digits 5-9 or the
drawn shapes) from a few labelled images in three ways (from scratch, feature extraction,
fine-tuning) and compare them: accuracy curves side by side, trainable and frozen parameters,
time per epoch. Cached ImageNet weights (~/.keras/models) are offered when present, never
downloaded.

Thin page: widgets -> engine.learn.transfer -> visuals.transfer. The comparison runs as one
background job of this session (engine.learn.transfer.TransferJob, sharing the training studio's
server-wide slots); the shared job panel (ui.job_panel) polls its progress every
config.TRANSFER_POLL_SECONDS. The result stays in st.session_state. Never imports TensorFlow.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine import config
from engine.data import datasets
from engine.learn import training, transfer, workers
from ui.feedback import guarded
from ui.i18n import current_language, labeler, t, translate
from ui import explain_views, job_panel, present, share
from ui.tables import full_height
from ui.tile_grid import draw_tiles
from ui.practice import practice_view
from visuals import tiles
from visuals import transfer as tv

RESULT_KEY = "transfer_result"  # (TransferResult, how the job ended)
LEARNING_RATES = (0.0003, 0.001, 0.003)
BATCH_SIZES = (8, 16, 32, 64)
SHOWN_PER_CLASS = 10  # labelled examples drawn per class


@st.cache_resource(show_spinner=False)
def cached_mnist() -> datasets.MnistData:
    return datasets.load_mnist(prefer_full=True)


@st.cache_data(max_entries=8, ttl=1800, show_spinner=False)
def cached_task(task: str, per_class: int, source_per_class: int, seed: int) -> transfer.TaskData:
    return transfer.make_task(cached_mnist(), task, per_class, source_per_class, seed)


# ------------------------------------------------------------------ 1. settings


def base_labeler(cached: tuple[transfer.CachedWeights, ...]):
    """format_func for the base: presets by name, cached ImageNet files by model and width."""
    lang, files = current_language(), {w.key: w for w in cached}
    names = {"mobilenet_v2": "MobileNetV2", "mobilenet": "MobileNet"}

    def label(code: str) -> str:
        if code in files:
            w = files[code]
            return translate(lang, "transfer.imagenet_base", app=names[w.application], alpha=f"{w.alpha:g}")
        return translate(lang, f"transfer.bases.{code}")
    return label


def base_choice() -> str:
    cached = transfer.cached_imagenet()
    options = transfer.BASE_PRESETS + tuple(w.key for w in cached)
    base = st.selectbox(t("transfer.base"), options, format_func=base_labeler(cached), key="transfer_base")
    st.caption(t("transfer.imagenet_found", n=len(cached)) if cached else t("transfer.no_imagenet"))
    return base


def unfreeze_choice(base: str) -> int:
    limit = transfer.unfreeze_limit(base)
    if limit == 1:
        st.caption(t("transfer.unfreeze_fixed"))
        return 1
    share.keep_in_range("transfer_unfreeze", 1, limit)  # a link's value may be for another base
    return int(st.slider(t("transfer.unfreeze"), 1, limit, 1, key="transfer_unfreeze"))


def settings_section() -> transfer.TransferSettings:
    st.header(t("transfer.settings_heading"))
    c1, c2, c3 = st.columns(3, gap="large")
    task = c1.radio(t("transfer.task"), transfer.TASKS, format_func=labeler("transfer.tasks"), key="transfer_task")
    with c1:
        base = base_choice()
    per_class = c2.slider(t("transfer.per_class"), 1, config.MAX_TRANSFER_PER_CLASS, 10, key="transfer_per_class")
    epochs = c2.slider(t("transfer.epochs"), 2, min(config.MAX_TRANSFER_EPOCHS, config.MAX_EPOCHS), 10,
                       key="transfer_epochs")
    with c2:
        unfreeze = unfreeze_choice(base)
    imagenet = base.startswith(transfer.IMAGENET_PREFIX)
    most = min(config.MAX_SOURCE_PER_CLASS, transfer.most_per_class(cached_mnist().labels_train))
    share.keep_in_range("transfer_source_per_class", 10, most)  # a link may come from a server with more digits
    source = c3.slider(t("transfer.source_per_class"), 10, most, min(300, most), 10, key="transfer_source_per_class",
                       disabled=imagenet)
    pretrain = c3.slider(t("transfer.pretrain_epochs"), 1, config.MAX_PRETRAIN_EPOCHS, 3, key="transfer_pretrain_epochs",
                         disabled=imagenet)
    lr = c3.select_slider(t("transfer.learning_rate"), LEARNING_RATES, value=0.001, key="transfer_lr")
    batch = c3.select_slider(t("transfer.batch_size"), BATCH_SIZES, value=16, key="transfer_batch")
    seed = c3.number_input(t("transfer.seed"), 0, 99999, 0, key="transfer_seed")
    if imagenet:
        st.caption(t("transfer.imagenet_note"))
    return transfer.TransferSettings(task, base, int(per_class), int(source), int(pretrain), int(epochs), unfreeze,
                                     float(lr), int(batch), int(seed))


def describe_plan(settings: transfer.TransferSettings, task: transfer.TaskData) -> None:
    """What will be trained, and every labelled image the new task gets (up to 10 per class)."""
    s = settings
    st.markdown(t("transfer.plan", source=len(task.source.y_train), pretrain=s.pretrain_epochs, epochs=s.epochs,
                  n=len(task.target.y_train), per_class=s.per_class, test=len(task.target.y_test),
                  head=s.head_epochs, k=s.unfreeze, rest=s.epochs - s.head_epochs,
                  lr_ft=f"{s.learning_rate * transfer.FINETUNE_LR_FACTOR:g}"))
    names = target_names(task.target.class_names)
    # one column per class, one row per example: row j holds every class's j-th labelled image
    per_class = [np.flatnonzero(task.target.y_train == c)[:SHOWN_PER_CLASS] for c in range(task.target.classes)]
    shown = [int(ids[j]) for j in range(min(len(ids) for ids in per_class)) for ids in per_class]
    st.subheader(t("transfer.examples", n=len(task.target.y_train)))
    with st.container():  # one element, note or not: the chart below keeps its place (and is not rebuilt)
        if s.per_class > SHOWN_PER_CLASS:
            st.caption(t("transfer.examples_more", shown=SHOWN_PER_CLASS))
    draw_tiles(tiles.image_grid(task.target.x_train[shown], [names[task.target.y_train[i]] for i in shown],
                                columns=task.target.classes, tile_px=70), "transfer_examples")


def target_names(names: tuple[str, ...]) -> list[str]:
    """Shown class names: shapes translated, digits as they are."""
    return [t(f"shapes.{n}") if n in datasets.SHAPE_CLASSES else n for n in names]


# ------------------------------------------------------------------ 2. the job


def status_text(snap: transfer.TransferProgress) -> str:
    """The progress bar's words: which method trains, its epoch, the time so far."""
    return t(f"transfer.status.{snap.status}", phase=t(f"transfer.methods.{snap.phase}"),
             epoch=min(snap.epoch + 1, snap.epochs), epochs=snap.epochs, seconds=f"{snap.elapsed:.0f}")


def live_scores(snap: transfer.TransferProgress) -> None:
    """While the comparison runs: the held-out accuracy each finished method reached."""
    if snap.finished:
        return
    done = [t("transfer.live_score", method=t(f"transfer.methods.{m}"), accuracy=f"{run['val_accuracy'][-1]:.1%}")
            for m, run in snap.runs.items() if run.get("val_accuracy")]
    if done:
        st.caption(" · ".join(done))


def keep_result(job: transfer.TransferJob) -> None:
    """A finished comparison's result (also a stopped one's) and how it ended."""
    if job.result is not None:
        st.session_state[RESULT_KEY] = (job.result, job.snapshot().status)


PANEL = job_panel.JobPanel("transfer", config.TRANSFER_POLL_SECONDS, status_text, keep_result, below=live_scores,
                           result_key=RESULT_KEY)


def run_section(settings: transfer.TransferSettings | None, task: transfer.TaskData | None) -> None:
    st.header(t("transfer.run_heading"))
    left, right = st.columns([1, 2.2], gap="large")
    with left:
        busy = job_panel.running(PANEL) is not None
        clicked = st.button(t("transfer.run"), type="primary", icon=":material/play_arrow:", key="transfer_run",
                            disabled=busy or task is None)
        if clicked and task is not None and job_panel.running(PANEL) is None:
            job_panel.start(PANEL, lambda: transfer.TransferJob(task, settings).start())
        st.caption(t("transfer.server_slots", used=training.SLOTS.active(), limit=training.SLOTS.limit))
    with right:
        job_panel.show(PANEL)


def curve_labels() -> dict[str, str]:
    keys = {"train": "train_images", "heldout": "heldout", "epoch": "epoch", "accuracy": "accuracy",
            "unfrozen": "unfrozen"}
    return {k: t(f"transfer.{v}") for k, v in keys.items()}


def method_titles(methods) -> dict[str, str]:
    return {m: t(f"transfer.methods.{m}") for m in methods}


# ------------------------------------------------------------------ 3. results


def base_name(base: str) -> str:
    return base_labeler(transfer.cached_imagenet())(base)


def pretrain_metrics(result: transfer.TransferResult) -> None:
    if result.pretrain is None:
        return
    m1, m2 = st.columns(2)
    m1.metric(t("transfer.pretrain_accuracy"), f"{result.pretrain.accuracy:.1%}")
    m2.metric(t("transfer.pretrain_time"), f"{result.pretrain.seconds_per_epoch:.2f} s")


def method_metrics(result: transfer.TransferResult) -> None:
    """Final held-out accuracy of each method, the transfer methods against scratch."""
    columns = st.columns(len(transfer.METHODS))
    scratch = result.runs.get("scratch")
    for col, method in zip(columns, transfer.METHODS):
        run = result.runs.get(method)
        if run is None:
            continue
        delta = None
        if scratch is not None and method != "scratch":
            delta = t("transfer.vs_scratch", delta=100 * (run.accuracy - scratch.accuracy))
        col.metric(t(f"transfer.methods.{method}"), f"{run.accuracy:.1%}", delta=delta)


def runs_table(result: transfer.TransferResult) -> pd.DataFrame:
    rows = [result.pretrain] if result.pretrain is not None else []
    rows += [result.runs[m] for m in transfer.METHODS if m in result.runs]
    return pd.DataFrame({
        t("transfer.col_method"): [t(f"transfer.methods.{r.method}") for r in rows],
        t("transfer.col_accuracy"): [f"{r.accuracy:.1%}" for r in rows],
        t("transfer.col_trainable"): [f"{r.trainable:,}" for r in rows],
        t("transfer.col_frozen"): [f"{r.frozen:,}" for r in rows],
        t("transfer.col_seconds"): [f"{r.seconds_per_epoch:.3f}" for r in rows],
        t("transfer.col_epochs"): [epochs_text(r) for r in rows]})


def epochs_text(run: transfer.RunResult) -> str:
    """A run's epochs; fine-tuning as "head epochs + unfrozen epochs"."""
    return f"{run.start_epoch} + {len(run.seconds)}" if run.start_epoch else str(len(run.seconds))


def results_section(result: transfer.TransferResult, status: str) -> None:
    s = result.settings
    st.header(t("transfer.results_heading"))
    st.caption(t("transfer.result_for", task=t(f"transfer.task_names.{s.task}"), base=base_name(s.base),
                 per_class=s.per_class, epochs=s.epochs, status=t(f"transfer.final.{status}")))
    if len(result.runs) < len(transfer.METHODS):
        st.warning(t("transfer.missing_runs"))
    pretrain_metrics(result)
    method_metrics(result)
    histories = {m: r.history for m, r in result.runs.items()}
    present.chart(st, tv.comparison(histories, method_titles(transfer.METHODS), curve_labels(), s.epochs,
                                  unfreeze_after={"finetune": s.head_epochs}), key="transfer_curves")
    st.caption(t("transfer.curves_caption"))
    table = runs_table(result)
    st.dataframe(table, hide_index=True, key="transfer_table", width="stretch", height=full_height(len(table)))
    st.caption(t("transfer.table_caption"))
    st.markdown(t("transfer.explain"))
    with st.expander(t("transfer.code_heading")):
        st.code(transfer.keras_code(s), language="python")


# ------------------------------------------------------------------ the page


def share_params() -> list[share.Param]:
    """What a share link of this page carries: the task, the base (a cached ImageNet file only if
    this server has it) and every setting of the comparison, not its result. The unfreeze and
    pretraining counts are declared for any base and server (keep_in_range checks them)."""
    bases = transfer.BASE_PRESETS + tuple(w.key for w in transfer.cached_imagenet())
    unfreeze = max(transfer.unfreeze_limit(b) for b in bases)
    return [share.choice("transfer_task", transfer.TASKS), share.choice("transfer_base", bases),
            share.whole("transfer_per_class", 1, config.MAX_TRANSFER_PER_CLASS),
            share.whole("transfer_epochs", 2, min(config.MAX_TRANSFER_EPOCHS, config.MAX_EPOCHS)),
            share.whole("transfer_unfreeze", 1, unfreeze),
            share.choice("transfer_source_per_class", range(10, config.MAX_SOURCE_PER_CLASS + 1, 10)),
            share.whole("transfer_pretrain_epochs", 1, config.MAX_PRETRAIN_EPOCHS),
            share.choice("transfer_lr", LEARNING_RATES), share.choice("transfer_batch", BATCH_SIZES),
            share.whole("transfer_seed", 0, 99999)]


share.restore(share_params(), "transfer_")
st.title(t("transfer.heading"))
st.markdown(t("transfer.intro"))
share.share_popover(share_params())
workers.warm_shared_pool()  # the comparison starts at once: the worker processes are ready
job_panel.collect_finished(PANEL)
settings = task = None
with guarded():
    settings = settings_section()
    task = cached_task(settings.task, settings.per_class, settings.source_per_class, settings.seed)
    describe_plan(settings, task)
run_section(settings, task)
stored = st.session_state.get(RESULT_KEY)
if stored is not None:
    with guarded():
        results_section(*stored)
    with guarded():  # why each trained model decided (saliency, Grad-CAM, ...) on the new task's test images
        made = stored[0].settings
        target = cached_task(made.task, made.per_class, made.source_per_class, made.seed).target
        explain_views.transfer_section(stored[0], target, target_names(target.class_names), stored[1])

practice_view("transfer", ("model_params", "layer_params"))
