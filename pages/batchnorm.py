"""BatchNorm inspector: a mini-batch of real feature maps, per-channel statistics written out,
gamma and beta at work, moving statistics over training steps, training vs inference mode,
parameter counts, and the same small CNN trained with and without BatchNormalization.

Thin page: widgets -> engine (lessons.batchnorm_batches, ops.batchnorm, shapes.layers,
learn.batchnorm_comparison) -> visuals.batchnorm.
Never imports TensorFlow itself: engine.learn.batchnorm_comparison imports Keras only when the comparison
runs (tests/app/test_batchnorm_page.py checks).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from engine.learn import batchnorm_comparison, workers
from engine.lessons import batchnorm_batches
from engine.ops import kernels
from engine.ops.batchnorm import batchnorm_param_count
from engine.shapes import layers
from ui.feedback import guarded
from ui.heat_table import number_tables
from ui import present, share
from ui.tile_grid import draw_tiles
from ui.i18n import current_language, labeler, t, translate
from ui.practice import practice_view
from visuals import batchnorm as viz
from visuals.formulas import fmt, gathered, signed

FILTER_CHOICES = tuple(p for p in kernels.PRESETS if kernels.FIXED_SIZE.get(p, 3) == 3)
MOMENTA = (0.0, 0.5, 0.9, 0.95, 0.99, 0.999)
EPSILONS = (1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0)
STEPS_KEY = "bn_steps"
RESULT_KEY = "bn_compare_result"
NOTES_FILTERS = (256, 128, 64, 32, 16)  # the course notes' model: Conv2D -> MaxPool -> BN, five times


@st.cache_data(max_entries=32, show_spinner=False)
def cached_training(setup: batchnorm_batches.BatchSetup, steps: int, gamma: tuple, beta: tuple, momentum: float,
                    epsilon: float) -> batchnorm_batches.Trajectory:
    return batchnorm_batches.run_training(setup, steps, np.array(gamma), np.array(beta), momentum, epsilon)


# ---------------------------------------------------------------- controls


def batch_controls() -> batchnorm_batches.BatchSetup:
    """Source, picture size, batch size, the conv layer's filters and ReLU."""
    source = st.radio(t("bn.source"), batchnorm_batches.SOURCES, format_func=labeler("bn.sources"),
                      key="bn_source", horizontal=True)
    size = batchnorm_batches.DIGIT_SIZE
    if source == "digit":
        st.caption(t("bn.digit_size"))
    else:
        size = st.slider(t("bn.size"), *batchnorm_batches.SIZES, 32, 4, key="bn_size")
    count = st.slider(t("bn.batch_size"), 2, 12, 8, key="bn_n")
    filters = st.pills(t("bn.filters"), FILTER_CHOICES, selection_mode="multi",
                       default=list(batchnorm_batches.DEFAULT_FILTERS), format_func=labeler("presets"), key="bn_filters", wrap=True)
    if len(filters) > batchnorm_batches.MAX_FILTERS:
        st.caption(t("bn.too_many_filters", n=batchnorm_batches.MAX_FILTERS))
        filters = filters[:batchnorm_batches.MAX_FILTERS]
    relu = st.toggle(t("bn.relu"), value=False, key="bn_relu")
    return batchnorm_batches.BatchSetup(source, int(count), int(size), tuple(filters), relu)


def bn_controls(filters: tuple[str, ...]) -> dict:
    """Chosen channel, its gamma and beta, BN momentum and epsilon, and the mode."""
    lang = current_language()  # captured now, so AppTest can call the format_func too

    def channel_name(c: int) -> str:
        return translate(lang, "bn.channel_n", n=c, name=translate(lang, f"presets.{filters[c]}"))

    channel = st.radio(t("bn.channel"), range(len(filters)), key="bn_channel", format_func=channel_name)
    c1, c2 = st.columns(2)
    gamma = c1.slider(t("bn.gamma"), -3.0, 3.0, 1.0, 0.1, key="bn_gamma")
    beta = c2.slider(t("bn.beta"), -3.0, 3.0, 0.0, 0.1, key="bn_beta")
    st.caption(t("bn.gamma_beta_note"))
    momentum = st.select_slider(t("bn.momentum"), MOMENTA, value=0.99, key="bn_momentum")
    epsilon = st.select_slider(t("bn.epsilon"), EPSILONS, value=1e-3, format_func=fmt, key="bn_eps")
    mode = st.radio(t("bn.mode"), ("train", "infer"), format_func=labeler("bn.modes"), key="bn_mode",
                    horizontal=True)
    return {"channel": min(int(channel), len(filters) - 1), "gamma": gamma, "beta": beta,
            "momentum": float(momentum), "epsilon": float(epsilon), "training": mode == "train"}


def per_channel(count: int, channel: int, value: float, rest: float) -> tuple:
    """(C,) tuple: `value` for the chosen channel, `rest` for the others."""
    return tuple(value if c == channel else rest for c in range(count))


# ---------------------------------------------------------------- sections


def show_batch(setup: batchnorm_batches.BatchSetup, traj: batchnorm_batches.Trajectory, shown, channel: int) -> None:
    """The current batch, its feature maps of the chosen channel and their BN output."""
    st.subheader(t("bn.batch_heading"))
    n, h, w, c = traj.last_maps.shape
    st.caption(t("bn.batch_shapes", n=n, s=setup.size, h=h, w=w, c=c, m=n * h * w))
    rows = (t("bn.row_input"), t("bn.row_map"), t("bn.row_bn"))
    stacks = (traj.last_batch[..., 0], traj.last_maps[..., channel], shown.output[..., channel])
    draw_tiles(viz.batch_tiles(*stacks, rows), "bn_batch_fig")
    number_tables("bn_batch_fig", [(f"{title} · {i + 1}", stack[i]) for title, stack in zip(rows, stacks)
                                   for i in range(n)])


def show_channel_table(traj: batchnorm_batches.Trajectory, filters: tuple[str, ...], gamma: tuple,
                       beta: tuple) -> None:
    """One row per channel: its batch statistics, moving statistics, gamma and beta."""
    rows = [{t("bn.col_channel"): f"{c}: {t(f'presets.{name}')}",
             t("bn.col_batch_mean"): viz.stat(traj.last_result.mean[c], 5),
             t("bn.col_batch_var"): viz.stat(traj.last_result.variance[c], 5),
             t("bn.col_moving_mean"): viz.stat(traj.state.moving_mean[c], 5),
             t("bn.col_moving_var"): viz.stat(traj.state.moving_variance[c], 5),
             "γ": fmt(gamma[c]), "β": fmt(beta[c])} for c, name in enumerate(filters)]
    st.dataframe(rows, hide_index=True, key="bn_channels")
    st.caption(t("bn.per_channel_note"))


def show_formulas(traj: batchnorm_batches.Trajectory, shown, numbers: batchnorm_batches.ChannelNumbers, bn: dict) -> None:
    """Mean and variance as sum / count, then x_hat and y, with this channel's numbers."""
    c, n = bn["channel"], numbers
    st.subheader(t("bn.channel_heading", n=c))
    nn, h, w, _ = traj.last_maps.shape
    eps, g = fmt(bn["epsilon"]), fmt(bn["gamma"])
    lines = []
    with st.container():  # always drawn: the elements below keep their places in both modes
        if bn["training"]:
            lines = [rf"m = N \cdot H \cdot W = {nn} \cdot {h} \cdot {w} = {n.count}",
                     rf"\mu_B = \frac{{1}}{{m}} \sum_i x_i = \frac{{{fmt(n.total, 4)}}}{{{n.count}}}"
                     rf" = {fmt(n.used_mean, 6)}",
                     rf"\sigma_B^2 = \frac{{1}}{{m}} \sum_i (x_i - \mu_B)^2 = "
                     rf"\frac{{{fmt(n.squared_deviations, 4)}}}{{{n.count}}} = {fmt(n.used_variance, 6)}"]
            mu, var = r"\mu_B", r"\sigma_B^2"
        else:
            st.markdown(t("bn.inference_uses", mean=fmt(n.used_mean, 6), var=fmt(n.used_variance, 6),
                          batch_mean=fmt(n.mean, 6)))
            mu, var = r"\mu_{\text{moving}}", r"\sigma^2_{\text{moving}}"
    lines += [rf"\hat x_i = \frac{{x_i - {mu}}}{{\sqrt{{{var} + \epsilon}}}} = "
              rf"\frac{{x_i {viz.minus(n.used_mean)}}}{{\sqrt{{{fmt(n.used_variance, 6)} + {eps}}}}}",
              rf"y_i = \gamma \hat x_i + \beta = {g} \cdot \hat x_i {signed(bn['beta'])}"]
    st.latex(gathered(lines))
    m = st.columns(4)
    m[0].metric(t("bn.metric_xhat_mean"), viz.stat(n.x_hat[0]))
    m[1].metric(t("bn.metric_xhat_var"), viz.stat(n.x_hat[1]))
    m[2].metric(t("bn.metric_y_mean"), viz.stat(n.y[0]))
    m[3].metric(t("bn.metric_y_var"), viz.stat(n.y[1]))
    st.caption(t("bn.xhat_note" if bn["training"] else "bn.xhat_note_infer"))
    fig = viz.histogram_figure(traj.last_maps[..., c], shown.x_hat[..., c], shown.output[..., c],
                               titles=(t("bn.hist_before"), t("bn.hist_after")),
                               names=(t("bn.hist_x"), t("bn.hist_xhat"), t("bn.hist_y")))
    present.chart(st, fig, key="bn_hist_fig")


def step_buttons() -> None:
    """Next batch, +10, +100 and reset; the step count lives in st.session_state[STEPS_KEY]."""
    def add(k: int) -> None:
        st.session_state[STEPS_KEY] = min(st.session_state[STEPS_KEY] + k, batchnorm_batches.MAX_STEPS)

    def reset() -> None:
        st.session_state[STEPS_KEY] = 1

    cols = st.columns(4)
    cols[0].button(t("bn.next_batch"), key="bn_next", on_click=add, args=(1,), icon=":material/skip_next:")
    cols[1].button(t("bn.next_10"), key="bn_next10", on_click=add, args=(10,))
    cols[2].button(t("bn.next_100"), key="bn_next100", on_click=add, args=(100,))
    cols[3].button(t("bn.reset"), key="bn_reset", on_click=reset, icon=":material/restart_alt:")


def show_moving(traj: batchnorm_batches.Trajectory, infer, bn: dict) -> None:
    """Moving statistics vs each batch's, then the same batch in training and inference mode."""
    st.subheader(t("bn.moving_heading"))
    st.markdown(t("bn.moving_intro"))
    step_buttons()
    c, k = bn["channel"], len(traj.batch_means)
    st.caption(t("bn.steps_done", k=k, max=batchnorm_batches.MAX_STEPS))
    mom, one_minus = fmt(bn["momentum"]), fmt(1 - bn["momentum"])
    st.latex(gathered([rf"\text{{{t('bn.moving_' + name)}}}_{{{k}}} = {mom} \cdot {fmt(moving[k - 1, c], 5)}"
                        rf" + {one_minus} \cdot {fmt(batch[k - 1, c], 5)} = {fmt(moving[k, c], 5)}"
                        for name, moving, batch in (("mean", traj.moving_means, traj.batch_means),
                                                    ("var", traj.moving_variances, traj.batch_variances))]))
    fig = viz.moving_stats_figure(traj.batch_means[:, c], traj.moving_means[:, c],
                                  traj.batch_variances[:, c], traj.moving_variances[:, c],
                                  titles=(t("bn.mean_panel"), t("bn.var_panel")),
                                  names=(t("bn.batch_stat"), t("bn.moving_stat")),
                                  x_title=t("bn.step_axis"))
    present.chart(st, fig, key="bn_moving_fig")
    st.markdown(t("bn.modes_heading"))
    present.chart(st, viz.modes_figure(traj.last_result.output[..., c], infer.output[..., c],
                                     (t("bn.modes.train"), t("bn.modes.infer"))), key="bn_modes_fig")
    train = batchnorm_batches.channel_numbers(traj.last_maps, traj.last_result, c, True)
    inferred = batchnorm_batches.channel_numbers(traj.last_maps, infer, c, False)
    m = st.columns(4)
    m[0].metric(t("bn.metric_train_mean"), viz.stat(train.y[0]))
    m[1].metric(t("bn.metric_train_var"), viz.stat(train.y[1]))
    m[2].metric(t("bn.metric_infer_mean"), viz.stat(inferred.y[0]))
    m[3].metric(t("bn.metric_infer_var"), viz.stat(inferred.y[1]))
    st.caption(t("bn.modes_note"))


def show_params(channels: int) -> None:
    """4 numbers per channel (2 trainable), and the BN rows of the course notes' model.summary()."""
    st.subheader(t("bn.params_heading"))
    total, trainable, frozen = batchnorm_param_count(channels)
    m = st.columns(3)
    m[0].metric(t("bn.params_total"), f"{total:,}")
    m[1].metric(t("bn.params_trainable"), f"{trainable:,}")
    m[2].metric(t("bn.params_frozen"), f"{frozen:,}")
    st.caption(t("bn.params_formula", c=channels, total=total, trainable=trainable, frozen=frozen))
    specs: list = [layers.InputSpec((150, 150, 3))]
    for f in NOTES_FILTERS:
        specs += [layers.Conv2DSpec(f, 3, padding="same", activation="relu"), layers.PoolSpec("max", 2),
                  layers.BatchNormSpec()]
    specs += [layers.FlattenSpec(), layers.DenseSpec(100, activation="relu"), layers.DropoutSpec(0.4),
              layers.DenseSpec(10, activation="softmax")]
    rows = layers.summarize(None, specs)
    table = [{t("bn.col_layer"): r.name, t("bn.col_shape"): str((None, *r.output_shape)),
              t("bn.col_params"): f"{r.params:,}", t("bn.col_trainable"): f"{r.trainable:,}",
              t("bn.col_frozen"): f"{r.non_trainable:,}"} for r in rows if r.kind == "batchnorm"]
    st.markdown(t("bn.notes_model"))
    st.dataframe(table, hide_index=True, key="bn_notes_table")
    all_total, all_trainable, all_frozen = layers.totals(rows)
    st.caption(t("bn.notes_totals", total=f"{all_total:,}", trainable=f"{all_trainable:,}",
                 frozen=f"{all_frozen:,}"))


# ---------------------------------------------------------------- with vs without BN


def compare_controls() -> batchnorm_comparison.CompareSettings:
    c1, c2, c3 = st.columns(3)
    dataset = c1.radio(t("bn.cmp_dataset"), batchnorm_comparison.DATASETS, format_func=labeler("bn.cmp_datasets"),
                       key="bn_cmp_dataset", horizontal=True)
    samples = c1.slider(t("bn.cmp_samples"), 60, 1000, 300, 20, key="bn_cmp_samples")
    epochs = c2.slider(t("bn.cmp_epochs"), 1, 15, 5, key="bn_cmp_epochs")
    batch = c2.select_slider(t("bn.cmp_batch"), (8, 16, 32, 64), value=16, key="bn_cmp_batch")
    optimizer = c3.radio(t("bn.cmp_optimizer"), batchnorm_comparison.OPTIMIZERS, format_func=labeler("bn.cmp_optimizers"),
                         key="bn_cmp_opt", horizontal=True)
    lr = c3.select_slider(t("bn.cmp_lr"), (0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5), value=0.05,
                          format_func=fmt, key="bn_cmp_lr")
    momentum = c1.radio(t("bn.cmp_momentum"), (0.9, 0.99), format_func=fmt, key="bn_cmp_momentum",
                        horizontal=True)
    scale = c2.toggle(t("bn.cmp_scale"), value=True, key="bn_cmp_scale")
    seed = c3.number_input(t("bn.cmp_seed"), 0, 9999, 0, key="bn_cmp_seed")
    return batchnorm_comparison.CompareSettings(dataset, int(samples), int(epochs), int(batch), optimizer, float(lr),
                                      float(momentum), bool(scale), int(seed))


def run_compare(settings: batchnorm_comparison.CompareSettings) -> None:
    """Train both models with a progress bar; keep the result in the session."""
    bar = st.progress(0.0, text=t("bn.cmp_starting"))

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=t("bn.cmp_progress", done=done, total=total))

    try:
        st.session_state[RESULT_KEY] = batchnorm_comparison.compare(settings, progress)
    finally:
        bar.empty()  # also when the run fails: the message replaces the bar


def show_compare(result: batchnorm_comparison.CompareResult) -> None:
    """Loss curves side by side, final numbers and the parameter difference."""
    s = result.settings
    st.caption(t("bn.cmp_trained_on", train=result.train_count, val=result.val_count,
                 dataset=t(f"bn.cmp_datasets.{s.dataset}"), epochs=s.epochs, batch=s.batch_size,
                 optimizer=t(f"bn.cmp_optimizers.{s.optimizer}"), lr=fmt(s.learning_rate),
                 momentum=fmt(s.bn_momentum), seed=s.seed, seconds=fmt(result.seconds, 1)))
    with_bn, without = result.with_bn, result.without_bn
    fig = viz.curves_figure((with_bn.loss, with_bn.val_loss), (without.loss, without.val_loss),
                            titles=(t("bn.cmp_train_loss"), t("bn.cmp_val_loss")),
                            names=(t("bn.cmp_with"), t("bn.cmp_without")), x_title=t("bn.cmp_epoch_axis"))
    present.chart(st, fig, key="bn_cmp_fig")
    rows = [{t("bn.cmp_model"): name, t("bn.cmp_final_loss"): fmt(h.loss[-1], 4),
             t("bn.cmp_final_val_loss"): fmt(h.val_loss[-1], 4),
             t("bn.cmp_final_val_acc"): f"{h.val_accuracy[-1]:.1%}",
             t("bn.col_params"): f"{h.params[0]:,}", t("bn.col_trainable"): f"{h.params[1]:,}",
             t("bn.col_frozen"): f"{h.params[2]:,}"}
            for name, h in ((t("bn.cmp_with"), with_bn), (t("bn.cmp_without"), without))]
    st.dataframe(rows, hide_index=True, key="bn_cmp_table")
    added, _, frozen = batchnorm_param_count(sum(batchnorm_comparison.FILTERS))  # 4 and 2 per channel
    st.caption(t("bn.cmp_params_note", c1=batchnorm_comparison.FILTERS[0], c2=batchnorm_comparison.FILTERS[1],
                 total=added, frozen=frozen))
    st.caption(t("bn.cmp_val_note"))


def compare_section() -> None:
    st.subheader(t("bn.cmp_heading"))
    st.markdown(t("bn.cmp_intro"))
    workers.warm_shared_pool()  # the comparison starts at once: the worker processes are ready
    settings = compare_controls()
    if st.button(t("bn.cmp_run"), key="bn_cmp_run", type="primary", icon=":material/play_arrow:"):
        with guarded():
            run_compare(settings)
    result = st.session_state.get(RESULT_KEY)
    if result is None:
        st.info(t("bn.cmp_hint"))
        return
    if result.settings != settings:
        st.caption(t("bn.cmp_stale"))
    show_compare(result)


# ---------------------------------------------------------------- page

def share_params() -> list[share.Param]:
    """What a share link of this page carries."""
    return [share.choice("bn_source", batchnorm_batches.SOURCES), share.whole("bn_size", *batchnorm_batches.SIZES),
            share.whole("bn_n", 2, 12), share.choices("bn_filters", FILTER_CHOICES), share.flag("bn_relu"),
            share.whole("bn_channel", 0, batchnorm_batches.MAX_FILTERS - 1), share.real("bn_gamma", -3.0, 3.0),
            share.real("bn_beta", -3.0, 3.0), share.choice("bn_momentum", MOMENTA),
            share.choice("bn_eps", EPSILONS), share.choice("bn_mode", ("train", "infer"))]

@st.fragment
def inspector() -> None:
    """The batch, BN controls and everything they change. A fragment: moving a control reruns only
    this part (not the navigation, the title or the with/without comparison below)."""
    controls, results = st.columns([1, 2.3], gap="large")
    with controls:
        share.share_popover(share_params())
        setup = batch_controls()
        if not setup.filters:
            st.info(t("bn.pick_filter"))
            st.stop()
        bn = bn_controls(setup.filters)

    with results:
        with guarded():
            C = len(setup.filters)
            gamma = per_channel(C, bn["channel"], bn["gamma"], 1.0)
            beta = per_channel(C, bn["channel"], bn["beta"], 0.0)
            traj = cached_training(setup, st.session_state[STEPS_KEY], gamma, beta, bn["momentum"],
                                   bn["epsilon"])
            infer = batchnorm_batches.inference(traj, bn["epsilon"])
            shown = traj.last_result if bn["training"] else infer
            numbers = batchnorm_batches.channel_numbers(traj.last_maps, shown, bn["channel"], bn["training"])
            show_batch(setup, traj, shown, bn["channel"])
            show_channel_table(traj, setup.filters, gamma, beta)
            show_formulas(traj, shown, numbers, bn)
            show_moving(traj, infer, bn)
            show_params(C)


share.restore(share_params(), "bn_")
st.title(t("bn.heading"))
st.caption(t("bn.intro"))
st.session_state.setdefault(STEPS_KEY, 1)
inspector()

st.divider()
with guarded():
    compare_section()

practice_view("bn", ("batchnorm_value", "layer_params"), share_params)
