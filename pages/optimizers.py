"""Optimizer lab: SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam walking down 2-D loss
surfaces, with every quantity of one step (gradient, moments, bias correction, update)
written out from the optimizer's own records.

Thin page: widgets -> engine.lessons.loss_surfaces / engine.ops.optimizers -> visuals.optimizers. Never imports
TensorFlow (tests/app/test_optimizers_page.py checks).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from engine.lessons import loss_surfaces
from engine.lessons.loss_surfaces import OPTIMIZER_CODES, OptimizerSettings, Surface
from ui import path_map, present, share
from ui.feedback import guarded
from ui.i18n import labeler, t
from ui.practice import practice_view
from visuals import optimizers as viz
from visuals.formulas import fmt

LR_OPTIONS = (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5,
              0.9, 1.0, 1.5, 2.0, 5.0, 10.0, 100.0)
EPS_OPTIONS = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0)
BETA2_OPTIONS = (0.9, 0.99, 0.999, 0.9999)
FIRST_STEPS = 10  # steps compared with and without bias correction
PICTURE_COLUMNS = 1000  # pixels across a contour picture
HOVER_GRID = 81  # points per side of the f values shown on hover


def choose_surface() -> Surface:
    name = st.selectbox(t("opt.surface"), loss_surfaces.SURFACE_NAMES, format_func=labeler("opt.surfaces"),
                        index=loss_surfaces.SURFACE_NAMES.index("elongated"), key="opt_surface")
    st.caption(t(f"opt.surface_notes.{name}"))
    return loss_surfaces.get_surface(name)


def start_point(surface: Surface) -> np.ndarray:
    """Start (x0, y0) within the drawn region; keys per surface keep each surface's choice."""
    c1, c2 = st.columns(2)
    x0 = c1.slider(t("opt.start_x"), *surface.x_range, float(surface.start[0]), 0.01,
                   key=f"opt_x0_{surface.name}")
    y0 = c2.slider(t("opt.start_y"), *surface.y_range, float(surface.start[1]), 0.001,
                   key=f"opt_y0_{surface.name}", format="%.3f")
    return np.array([x0, y0])


def learning_rates(surface: Surface, codes: list[str]) -> dict[str, float]:
    """One shared learning rate, or (toggle) one per optimizer starting from values that suit the surface."""
    own = st.toggle(t("opt.own_lr"), key="opt_own_lr")
    if not own:
        lr = st.select_slider(t("opt.lr"), LR_OPTIONS, value=surface.learning_rate,
                              format_func=fmt, key=f"opt_lr_{surface.name}")
        return {code: float(lr) for code in codes}
    rates = {}
    cols = st.columns(2)
    for i, code in enumerate(codes):
        rates[code] = float(cols[i % 2].number_input(
            t("opt.lr_for", name=t(f"opt.names.{code}")), min_value=1e-5, max_value=100.0,
            value=surface.learning_rates[code], format="%g", key=f"opt_lr_{surface.name}_{code}"))
    return rates


def hyperparameters() -> dict:
    """Momentum, Adam's betas, epsilon and RMSProp's rho (Keras defaults)."""
    with st.expander(t("opt.hyper_heading"), expanded=True):
        c1, c2 = st.columns(2)
        momentum = c1.slider(t("opt.momentum"), 0.0, 0.99, 0.9, 0.01, key="opt_momentum")
        rho = c2.slider(t("opt.rho"), 0.0, 0.99, 0.9, 0.01, key="opt_rho")
        beta_1 = c1.slider(t("opt.beta1"), 0.0, 0.99, 0.9, 0.01, key="opt_beta1")
        beta_2 = c2.select_slider(t("opt.beta2"), BETA2_OPTIONS, value=0.999, key="opt_beta2")
        epsilon = st.select_slider(t("opt.epsilon"), EPS_OPTIONS, value=1e-7, format_func=fmt,
                                   key="opt_eps")
    return {"momentum": momentum, "rho": rho, "beta_1": beta_1, "beta_2": float(beta_2),
            "epsilon": float(epsilon)}


def run_all(surface: Surface, codes: list[str], start: np.ndarray, steps: int,
            rates: dict[str, float], hp: dict) -> dict[str, loss_surfaces.Descent]:
    """Every chosen optimizer from the same start for the same number of steps."""
    return {code: loss_surfaces.descend(surface, code, start, steps,
                                   OptimizerSettings(learning_rate=rates[code], **hp))
            for code in codes}


def names() -> dict[str, str]:
    return {code: t(f"opt.names.{code}") for code in OPTIMIZER_CODES}


@st.cache_resource(show_spinner=False)
def contour_background(name: str) -> path_map.Background:
    """A surface's contour picture and hover values, served as static files (the same for every
    session; read-only, never changed by a page)."""
    surface = loss_surfaces.get_surface(name)
    rows = min(viz.picture_rows(surface.x_range, surface.y_range, PICTURE_COLUMNS), loss_surfaces.MAX_PICTURE_SIDE)
    picture = viz.contour_picture(surface.grid(rows, PICTURE_COLUMNS)[2], surface.log_contours)
    return path_map.publish_background(f"contour-{name}", picture, surface.grid(HOVER_GRID)[2])


def show_paths(surface: Surface, runs: dict[str, loss_surfaces.Descent], start: np.ndarray) -> None:
    """The contour map with every path, then a notice for each run that diverged."""
    label = names()
    paths = [viz.PathLine(code, label[code], run.path.points, run.path.diverged)
             for code, run in runs.items()]
    payload = viz.path_map(paths, surface.x_range, surface.y_range, minima=surface.minima, start=tuple(start),
                           labels={"start": t("opt.legend_start"), "minimum": t("opt.legend_minimum"),
                                   "diverged": t("opt.legend_diverged")})
    path_map.draw_path_map(payload, contour_background(surface.name), key="opt_contour",
                           title=t(f"opt.surfaces.{surface.name}"))
    if surface.log_contours:
        st.caption(t("opt.log_contours"))
    for code, run in runs.items():
        if run.path.diverged:
            st.warning(t("opt.diverged", name=label[code], step=run.path.diverged_at,
                         done=len(run.path.records)), icon=":material/warning:")


def show_summary(runs: dict[str, loss_surfaces.Descent]) -> None:
    """Where each run ended: point, loss, steps done, status."""
    label = names()
    rows = [{t("opt.col_optimizer"): label[code],
             t("opt.col_end"): viz.vector_text(run.final_point, 4),
             t("opt.col_loss"): fmt(run.losses[-1], 6),
             t("opt.col_steps"): len(run.path.records),
             t("opt.col_status"): (t("opt.status_diverged", step=run.path.diverged_at)
                                   if run.path.diverged else t("opt.status_ok"))}
            for code, run in runs.items()]
    st.dataframe(rows, hide_index=True, key="opt_summary")


def show_losses(surface: Surface, runs: dict[str, loss_surfaces.Descent]) -> None:
    st.subheader(t("opt.loss_heading"))
    log_y = st.toggle(t("opt.log_loss"), value=True, key="opt_log_loss")
    fig = viz.loss_figure({c: r.losses for c, r in runs.items()}, names(), x_title=t("opt.step_axis"),
                          y_title=t("opt.loss_axis_log") if log_y else t("opt.loss_axis"), log_y=log_y)
    present.chart(st, fig, key="opt_losses")


def step_through(runs: dict[str, loss_surfaces.Descent], hp: dict, rates: dict[str, float]) -> None:
    """One step of one optimizer: every quantity with its formula and the engine's numbers."""
    st.subheader(t("opt.step_heading"))
    codes = list(runs)
    default = codes.index("adam") if "adam" in codes else 0
    code = st.radio(t("opt.step_pick"), codes, index=default, format_func=labeler("opt.names"),
                    key="opt_detail", horizontal=True)
    run = runs[code]
    done = len(run.path.records)
    if done == 0:
        st.info(t("opt.no_steps"))
        return
    step = int(st.number_input(t("opt.step_t"), 1, done, 1, key="opt_t"))
    step = min(step, done)
    st.caption(t("opt.step_settings", lr=fmt(rates[code]), mu=fmt(hp["momentum"]), rho=fmt(hp["rho"]),
                 b1=fmt(hp["beta_1"]), b2=fmt(hp["beta_2"]), eps=fmt(hp["epsilon"])))
    rows = [(t(f"opt.rows.{row}"), f"${latex}$", viz.vector_text(value))
            for row, latex, value in viz.step_values(code, run.path.points, run.path.records, step)]
    st.markdown(viz.markdown_table((t("opt.col_quantity"), t("opt.col_formula"), t("opt.col_value")),
                                   rows))
    if code == "adam":
        st.info(t("opt.keras_epsilon"), icon=":material/info:")


def bias_correction(surface: Surface, start: np.ndarray, hp: dict, lr: float) -> None:
    """Adam's first step sizes with and without bias correction, same start and settings."""
    st.subheader(t("opt.bias_heading"))
    st.markdown(t("opt.bias_intro"))
    settings = OptimizerSettings(learning_rate=lr, **hp)
    on = loss_surfaces.descend(surface, "adam", start, FIRST_STEPS, settings, bias_correction=True)
    off = loss_surfaces.descend(surface, "adam", start, FIRST_STEPS, settings, bias_correction=False)
    names_pair = (t("opt.with_correction"), t("opt.without_correction"))
    c1, c2 = st.columns([1.3, 1])
    present.chart(c1, viz.step_size_figure(on.step_sizes, off.step_sizes, names_pair,
                                         x_title=t("opt.step_axis"), y_title=t("opt.step_size")),
                    key="opt_bias_fig")
    rows = [{"t": i + 1,
             t("opt.col_corrected"): fmt(on.step_sizes[i], 6) if i < len(on.step_sizes) else "",
             t("opt.col_uncorrected"): fmt(off.step_sizes[i], 6) if i < len(off.step_sizes) else ""}
            for i in range(max(len(on.step_sizes), len(off.step_sizes)))]
    c2.dataframe(rows, hide_index=True, key="opt_bias_table")
    c2.caption(t("opt.bias_note", lr=fmt(lr)))


def surface_params(surface: Surface) -> list[share.Param]:
    """A surface's own settings: start point, learning rates, steps."""
    name = surface.name
    return [share.real(f"opt_x0_{name}", *surface.x_range), share.real(f"opt_y0_{name}", *surface.y_range),
            share.choice(f"opt_lr_{name}", LR_OPTIONS), share.whole(f"opt_steps_{name}", 1, 1000),
            *[share.real(f"opt_lr_{name}_{code}", 1e-5, 100.0) for code in OPTIMIZER_CODES]]


def share_params() -> list[share.Param]:
    """What a share link of this page carries."""
    params = [share.choice("opt_surface", loss_surfaces.SURFACE_NAMES), share.choices("opt_show", OPTIMIZER_CODES),
              share.flag("opt_own_lr"), share.real("opt_momentum", 0.0, 0.99), share.real("opt_rho", 0.0, 0.99),
              share.real("opt_beta1", 0.0, 0.99), share.choice("opt_beta2", BETA2_OPTIONS),
              share.choice("opt_eps", EPS_OPTIONS), share.flag("opt_log_loss")]
    for name in loss_surfaces.SURFACE_NAMES:
        params += surface_params(loss_surfaces.get_surface(name))
    return params


@st.fragment
def lab() -> None:
    """The controls and everything they change. A fragment: moving a control reruns only this
    part of the page (not the navigation, the sidebar or the title)."""
    controls, results = st.columns([1, 2.3], gap="large")
    with controls:
        share.share_popover(share_params())
        surface = choose_surface()
        start = start_point(surface)
        codes = st.pills(t("opt.show"), OPTIMIZER_CODES, selection_mode="multi", default=list(OPTIMIZER_CODES),
                         format_func=labeler("opt.names"), key="opt_show", wrap=True)
        codes = [c for c in OPTIMIZER_CODES if c in codes]  # a fixed order, whatever the clicks
        rates = learning_rates(surface, codes)
        steps = st.slider(t("opt.steps"), 1, 1000, surface.steps, key=f"opt_steps_{surface.name}")
        hp = hyperparameters()

    with results:
        if not codes:
            st.info(t("opt.pick_one"))
            st.stop()
        runs = {}
        with guarded():
            runs = run_all(surface, codes, start, steps, rates, hp)
            show_paths(surface, runs, start)
            show_summary(runs)
        if runs:
            with guarded():
                show_losses(surface, runs)
            with guarded():
                step_through(runs, hp, rates)
            with guarded():
                bias_correction(surface, start, hp, rates.get("adam", surface.learning_rates["adam"]))


share.restore(share_params(), "opt_")
st.title(t("opt.heading"))
st.caption(t("opt.intro"))
lab()

practice_view("opt", ("optimizer_step",), share_params)
