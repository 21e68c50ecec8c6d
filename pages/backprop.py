"""How a CNN learns: backpropagation through the forward page's small network, number by number.

One image and its true class go forward (engine.lessons.forward), the loss -log p_y is taken, and the
gradient runs backwards through every stage (engine.ops.backward): each stage's gradient drawn in the
forward page's order reversed, any cell's arithmetic opened, each kernel beside its gradient, the
notes' formulas with the live numbers, one learning step (SGD or Adam, engine.ops.optimizers) on every
weight and N steps with the loss curve, and a finite-difference check of one weight.

Weights: the forward page's hand-made network (Sobel/Laplacian filters and a template or seeded
random dense layer), or a trained Keras model put in st.session_state["trained_model"] by the
training studio (read by engine.lessons.forward without importing TensorFlow here).
Thin page: widgets -> engine.lessons.forward / engine.ops.backward -> visuals.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine.errors import EngineError
from engine.lessons import backprop, forward
from engine.ops import backward
from ui import network_input as net, present, share
from ui.feedback import guarded
from ui.heat_table import number_tables, show_heatmap
from ui.i18n import formatter, labeler, t
from ui.safe_text import markdown_text, plotly_list
from ui.tile_grid import draw_tiles
from ui.practice import practice_view
from visuals import backprop as bviz
from visuals import forward as fviz
from visuals import tiles
from visuals.formulas import fmt, products_sum

SIZE = net.SIZE
CARDS_PER_ROW = 3
OPTIMIZERS = ("sgd", "adam")
STEP_COUNT_MAX = 50
H_OPTIONS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)


# ------------------------------------------------------------------ the network and the image


# ------------------------------------------------------------------ the loss and the output layer


def loss_section(stages, grads: backprop.NetworkGrads, names: list[str]) -> None:
    st.subheader(t("bp.loss_heading"))
    p, y = grads.probs, grads.label
    top = int(np.argmax(p))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("bp.loss"), fmt(grads.loss, 4))
    c2.metric(t("forward.predicted"), markdown_text(names[top]))
    c3.metric(t("bp.true_class"), markdown_text(names[y]))
    st.latex(fviz.loss_latex(y, p[y], grads.loss))
    st.caption(t("bp.ce_note"))
    st.latex(rf"\frac{{\partial L}}{{\partial z_k}} = p_k - y_k \quad\Rightarrow\quad "
             rf"\frac{{\partial L}}{{\partial z_{{{y}}}}} = {fmt(p[y])} - 1 = {fmt(grads.stage_grads[-2][y])}")
    table = pd.DataFrame({t("forward.col_class"): names, "p": [fmt(v) for v in p],
                          "y": [str(int(k == y)) for k in range(p.size)],
                          "∂L/∂z = p − y": [fmt(v) for v in grads.stage_grads[-2]]})
    st.dataframe(table, hide_index=True, key="bp_ce_table")


# ------------------------------------------------------------------ the gradient at every stage


def grad_card(stage: forward.Stage, grad: np.ndarray, names: list[str], nxt: forward.Stage | None) -> None:
    """One stage's gradient dL/d(stage): its maps or bars, the largest magnitude, and under a max pool
    how many cells the routing left non-zero."""
    st.markdown(f"**{net.stage_name(stage)}**")
    st.caption(t("bp.card_line", shape=net.shape_text(grad), largest=fmt(float(np.abs(grad).max()))))
    key = f"bp_grad_{stage.index}"
    if grad.ndim == 3:
        titles = [t("forward.channel_n", n=c + 1) for c in range(grad.shape[2])]
        draw_tiles(tiles.channels_grid(grad, titles, signed=True, limit=fviz.MAX_CHANNELS), key)
        number_tables(key, [(titles[c], grad[..., c]) for c in range(min(grad.shape[2], fviz.MAX_CHANNELS))])
    else:
        fig = fviz.vector_figure(grad, plotly_list(names) if grad.size == len(names) else None)
        if grad.size > fviz.BAR_LIMIT:
            show_heatmap(fig, key, values=grad[None, :])
        else:
            present.chart(st, fig, key=key)
    with st.container():  # always drawn: the number of elements stays the same
        if nxt is not None and nxt.kind == "pool" and nxt.step.mode == "max":
            st.caption(t("bp.routing_note", nonzero=int(np.count_nonzero(grad)), total=grad.size))


def backward_overview(stages, grads: backprop.NetworkGrads, names: list[str]) -> None:
    """Every stage's gradient dL/d(stage), from the probabilities back to the input."""
    st.subheader(t("bp.stages_heading"))
    st.caption(t("bp.stages_intro"))
    order = list(reversed(stages))
    for start in range(0, len(order), CARDS_PER_ROW):
        cols = st.columns(CARDS_PER_ROW)
        for stage, col in zip(order[start:start + CARDS_PER_ROW], cols):
            with col.container(border=True):
                nxt = stages[stage.index + 1] if stage.index + 1 < len(stages) else None
                grad_card(stage, grads.stage_grads[stage.index], names, nxt)


def kernels_section(stages, grads: backprop.NetworkGrads) -> None:
    """Each filter of the first conv beside its gradient (one input channel)."""
    conv_stage = next((s for s in stages if s.kind == "conv"), None)
    if conv_stage is None:
        return
    st.subheader(t("bp.kernels_heading"))
    st.caption(t("bp.kernels_intro"))
    kernel, grad = conv_stage.step.kernel, grads.param_grads[conv_stage.index]["kernel"]
    f = min(kernel.shape[3], 8)
    k_titles = [t("bp.filter_n", n=i + 1) for i in range(f)]
    g_titles = [t("bp.filter_grad_n", n=i + 1) for i in range(f)]
    fig = bviz.kernel_panels(kernel[:, :, 0, :f], grad[:, :, 0, :f], k_titles, g_titles)
    show_heatmap(fig, "bp_kernels", values=[(k_titles[i], kernel[:, :, 0, i]) for i in range(f)]
                 + [(g_titles[i], grad[:, :, 0, i]) for i in range(f)])
    bias = grads.param_grads[conv_stage.index]["bias"]
    st.caption(t("bp.bias_grads", values=", ".join(fmt(v) for v in bias[:f])))


# ------------------------------------------------------------------ one cell's arithmetic


def index_slider(label: str, count: int, default: int, key: str) -> int:
    if count <= 1:
        return 0
    share.keep_in_range(key, 0, count - 1)
    return int(st.slider(label, 0, count - 1, min(default, count - 1), key=key))


def choose_cell(stage: forward.Stage, grad: np.ndarray, names: list[str]) -> tuple[int, ...]:
    i = stage.index
    if grad.ndim == 3:
        r0, c0, ch0 = np.unravel_index(int(np.argmax(np.abs(grad))), grad.shape)
        c1, c2, c3 = st.columns(3)
        with c1:
            r = index_slider(t("forward.row"), grad.shape[0], int(r0), f"bp_row_{i}")
        with c2:
            c = index_slider(t("forward.col"), grad.shape[1], int(c0), f"bp_col_{i}")
        share.keep_in_range(f"bp_ch_{i}", 0, grad.shape[2] - 1)
        ch = c3.selectbox(t("forward.channel"), range(grad.shape[2]), index=int(ch0),
                          format_func=formatter("forward.channel_n", "n", 1), key=f"bp_ch_{i}")
        return r, c, int(ch)
    default = int(np.argmax(np.abs(grad)))
    if grad.size == len(names):
        share.keep_in_range(f"bp_unit_{i}", 0, grad.size - 1)
        labels = list(names)
        unit = st.selectbox(t("forward.unit"), range(grad.size), index=default, format_func=labels.__getitem__,
                            key=f"bp_unit_{i}")
        return (int(unit),)
    return (index_slider(t("forward.index"), grad.size, default, f"bp_unit_{i}"),)


@st.fragment
def inspector(stages, grads: backprop.NetworkGrads, names: list[str]) -> None:
    with guarded():
        inspect_cell(stages, grads, names)


def inspect_cell(stages, grads, names) -> None:
    st.subheader(t("bp.inspect_heading"))
    st.caption(t("bp.inspect_intro"))
    options = list(range(len(stages)))
    labels = {i: f"{net.stage_name(stages[i])} · {net.shape_text(stages[i].values)}" for i in options}
    default = next((s.index for s in stages if s.kind == "relu"), len(stages) - 2)
    index = st.selectbox(t("forward.stage"), options, index=options.index(default), format_func=labels.__getitem__,
                         key="bp_stage")
    stage = stages[int(index)]
    pos = choose_cell(stage, grads.stage_grads[stage.index], names)
    trace = backprop.stage_grad_trace(stages, grads, stage.index, pos)
    nxt = stages[stage.index + 1] if stage.index + 1 < len(stages) else None
    st.code(trace_text(trace, pos, nxt), language=None, wrap_lines=True)
    st.caption(t(f"bp.rule.{rule_key(trace, nxt)}"))
    st.caption(t("bp.trace_matches", value=fmt(grads.stage_grads[stage.index][pos]), stage=net.stage_name(stage)))


def rule_key(trace, nxt) -> str:
    if isinstance(trace, backprop.ElementGradTrace):
        return nxt.kind if nxt.kind in ("relu", "scale", "batchnorm", "global_pool") else "activation"
    return {backprop.OutputGradTrace: "output", backprop.SoftmaxGradTrace: "softmax",
            backward.InputGradTrace: "conv", backward.PoolGradTrace: f"pool_{getattr(trace, 'mode', 'max')}",
            backprop.DenseInputGradTrace: "dense", backprop.FlattenGradTrace: "flatten"}[type(trace)]


def trace_text(trace, pos, nxt) -> str:
    """The arithmetic of one gradient cell, as the engine's trace gives it."""
    cell = ", ".join(str(p) for p in pos)
    lhs = f"∂L/∂a[{cell}]"
    if isinstance(trace, backprop.OutputGradTrace):
        return f"∂L/∂p[{trace.unit}] = −y/p = −{fmt(trace.y)} / {fmt(trace.p, 6)} = {fmt(trace.result)}"
    if isinstance(trace, backprop.SoftmaxGradTrace):
        k = trace.unit
        chain = products_sum(trace.upstream, trace.jacobian, trace.chain_total, max_terms=12)
        return (f"∂L/∂z[{k}] = p[{k}] − y[{k}] = {fmt(trace.p, 6)} − {fmt(trace.y)} = {fmt(trace.result)}\n"
                f"Σⱼ ∂L/∂pⱼ · ∂pⱼ/∂z[{k}] = {chain}")
    if isinstance(trace, backprop.ElementGradTrace):
        return f"{lhs} = {fmt(trace.upstream)} × {fmt(trace.derivative, 6)} = {fmt(trace.result)}   (x = {fmt(trace.x)})"
    if isinstance(trace, backprop.FlattenGradTrace):
        return f"{lhs} = ∂L/∂flat[{trace.index}] = {fmt(trace.result)}"
    if isinstance(trace, backprop.DenseInputGradTrace):
        return f"{lhs} = Σᵤ W[{trace.index}, u] · δ[u] = " + products_sum(trace.weights, trace.upstream, trace.total,
                                                                          max_terms=12)
    if isinstance(trace, backward.PoolGradTrace):
        lines = [f"({r}, {c}): {fmt(s, 4)} × {fmt(g)} = {fmt(p)}" + ("  ★" if w and trace.mode == "max" else "")
                 for r, c, s, g, p, w in zip(trace.out_rows, trace.out_cols, trace.shares, trace.upstream,
                                             trace.products, trace.winners)]
        return "\n".join(lines + [f"{lhs} = {fmt(trace.total)}"])
    # conv: every output cell and weight the input cell reached
    terms = [f"{fmt(w)}×{fmt(g)}" for w, g in zip(trace.weights, trace.upstream) if w * g != 0]
    shown = " + ".join(terms[:16]).replace("+ -", "- ") + (f" + … ({len(terms) - 16})" if len(terms) > 16 else "")
    reach = ", ".join(f"out({r},{c},{f + 1})·K[{a},{b}]" for r, c, f, a, b in
                      list(zip(trace.out_rows, trace.out_cols, trace.filters, trace.taps_a, trace.taps_b))[:9])
    more = f" … ({trace.out_rows.size})" if trace.out_rows.size > 9 else ""
    return f"{reach}{more}\n{lhs} = Σ K · δ = {shown or '0'} = {fmt(trace.total)}"


# ------------------------------------------------------------------ one weight's gradient


@st.fragment
def weight_inspector(stages, grads: backprop.NetworkGrads) -> None:
    with guarded():
        inspect_weight(stages, grads)


def inspect_weight(stages, grads) -> None:
    st.subheader(t("bp.weight_heading"))
    conv_stage = next((s for s in stages if s.kind == "conv"), None)
    if conv_stage is not None:
        k = conv_stage.step.kernel
        kh, kw, c_in, c_out = k.shape
        st.caption(t("bp.weight_intro"))
        cols = st.columns(4)
        share.keep_in_range("bp_wf", 0, c_out - 1)
        f = int(cols[0].selectbox(t("bp.filter"), range(c_out), format_func=formatter("bp.filter_n", "n", 1),
                                  key="bp_wf"))
        with cols[1]:
            a = index_slider(t("bp.tap_row"), kh, kh // 2, "bp_wa")
        with cols[2]:
            b = index_slider(t("bp.tap_col"), kw, kw // 2, "bp_wb")
        with cols[3]:
            c = index_slider(t("bp.in_channel"), c_in, 0, "bp_wc")
        prev = stages[conv_stage.index - 1].values
        tr = backward.kernel_grad_trace(prev, k.shape, grads.stage_grads[conv_stage.index], conv_stage.step.strides,
                                        conv_stage.step.padding, conv_stage.step.dilation, a, b, c, f)
        g1, g2, g3 = st.columns(3)
        show_heatmap(fviz.grid_figure(tr.inputs, t("bp.inputs_under_tap"), mask=tr.is_padding, colorbar=False,
                                      height=260), "bp_w_inputs", g1, values=[("", tr.inputs, tr.in_rows, tr.in_cols)])
        show_heatmap(fviz.grid_figure(tr.upstream, t("bp.upstream"), colorbar=False, height=260), "bp_w_upstream", g2)
        show_heatmap(fviz.grid_figure(tr.products, t("forward.products"), colorbar=False, height=260),
                     "bp_w_products", g3)
        st.code(f"∂L/∂K[{a},{b},{c},{f + 1}] = Σᵢⱼ x · δ = "
                + products_sum(tr.inputs, tr.upstream, tr.total, max_terms=12)
                + f"\n∂L/∂b[{f + 1}] = Σᵢⱼ δ = {fmt(tr.bias_total)}", language=None, wrap_lines=True)
        st.caption(t("bp.weight_matches", value=fmt(grads.param_grads[conv_stage.index]["kernel"][a, b, c, f])))
    dense_stage = next((s for s in stages if s.kind == "dense"), None)
    if dense_stage is not None:
        w = dense_stage.step.weights
        cols = st.columns(2)
        with cols[0]:
            d = index_slider(t("bp.dense_input"), w.shape[0], int(np.argmax(np.abs(stages[dense_stage.index - 1].values))),
                             "bp_wd")
        with cols[1]:
            u = index_slider(t("bp.dense_unit"), w.shape[1], grads.label, "bp_wu")
        tr = backprop.dense_weight_trace(stages, grads, dense_stage.index - 1, d, u)
        st.code(f"∂L/∂W[{d},{u}] = a[{d}] · δ[{u}] = {fmt(tr.activation)} × {fmt(tr.delta)} = {fmt(tr.result)}\n"
                f"∂L/∂b[{u}] = δ[{u}] = {fmt(tr.delta)}", language=None, wrap_lines=True)
        st.caption(t("bp.dense_weight_note"))


# ------------------------------------------------------------------ BatchNorm (training mode)


def batchnorm_section(stages, grads) -> None:
    """The notes' BatchNorm gradients with live numbers: a BatchNorm (gamma 1, beta 0) in training mode
    placed after the first conv, this image's cells as the batch (an illustration)."""
    conv_stage = next((s for s in stages if s.kind == "conv"), None)
    if conv_stage is None:
        return
    box = st.expander(t("bp.bn_heading"), key="bp_bn_box", on_change="rerun", icon=":material/equalizer:")
    if not box.open:
        return
    with box:
        x = conv_stage.values[None]
        g = grads.stage_grads[conv_stage.index][None]
        ch = 0
        res = backward.batchnorm_backward(x, np.ones(x.shape[-1]), g)
        r, c = np.unravel_index(int(np.argmax(np.abs(g[0, ..., ch]))), g.shape[1:3])
        xi, gi = x[0, r, c, ch], g[0, r, c, ch]
        mu, var = res.batch_mean[ch], res.batch_variance[ch]
        st.caption(t("bp.bn_intro", m=res.m, row=r, col=c))
        st.latex(rf"\mu = {fmt(mu)},\quad \sigma^2 = {fmt(var)},\quad \epsilon = 0.001,\quad m = {res.m}")
        st.latex(rf"\frac{{\partial L}}{{\partial \hat x_i}} = \frac{{\partial L}}{{\partial y_i}}\gamma = "
                 rf"{fmt(gi)}\cdot 1 = {fmt(res.x_hat[0, r, c, ch])}")
        st.latex(rf"\frac{{\partial L}}{{\partial \sigma^2}} = \sum_i \frac{{\partial L}}{{\partial \hat x_i}}"
                 rf"(x_i-\mu)\cdot\frac{{-1}}{{2}}(\sigma^2+\epsilon)^{{-3/2}} = {fmt(res.variance[ch])}")
        st.latex(rf"\frac{{\partial L}}{{\partial \mu}} = \sum_i \frac{{\partial L}}{{\partial \hat x_i}}"
                 rf"\frac{{-1}}{{\sqrt{{\sigma^2+\epsilon}}}} + \frac{{\partial L}}{{\partial \sigma^2}}"
                 rf"\frac{{\sum_i -2(x_i-\mu)}}{{m}} = {fmt(res.mean[ch])}")
        st.latex(rf"\frac{{\partial L}}{{\partial x_i}} = \frac{{{fmt(res.x_hat[0, r, c, ch])}}}{{\sqrt{{{fmt(var)} + 0.001}}}}"
                 rf" + {fmt(res.variance[ch])}\cdot\frac{{2({fmt(xi)} - {fmt(mu)})}}{{{res.m}}}"
                 rf" + \frac{{{fmt(res.mean[ch])}}}{{{res.m}}} = {fmt(res.input[0, r, c, ch])}")
        st.latex(rf"\frac{{\partial L}}{{\partial \gamma}} = \sum_i \frac{{\partial L}}{{\partial y_i}}\hat x_i = "
                 rf"{fmt(res.gamma[ch])},\qquad \frac{{\partial L}}{{\partial \beta}} = \sum_i "
                 rf"\frac{{\partial L}}{{\partial y_i}} = {fmt(res.beta[ch])}")
        st.caption(t("bp.bn_note"))


# ------------------------------------------------------------------ learning steps


def optimizer_settings() -> tuple[str, float, int]:
    cols = st.columns(3)
    name = cols[0].radio(t("bp.optimizer"), OPTIMIZERS, format_func=labeler("bp.optimizers"), key="bp_opt",
                         horizontal=True)
    lr = cols[1].number_input(t("bp.lr"), min_value=1e-6, max_value=1e12, value=0.01, format="%g", key="bp_lr")
    count = cols[2].slider(t("bp.steps"), 1, STEP_COUNT_MAX, 10, key="bp_steps")
    return str(name), float(lr), int(count)


@st.fragment
def learning(image, steps, label) -> None:
    with guarded():
        learning_body(image, steps, label)


def learning_body(image, steps, label) -> None:
    st.subheader(t("bp.learn_heading"))
    st.caption(t("bp.learn_intro"))
    name, lr, count = optimizer_settings()
    factory = backprop.optimizer_factory(name, lr)
    run = backprop.descend(image, steps, label, factory, count)
    notes = st.container()  # always drawn: a divergence notice does not shift the charts
    done = run.losses.size - 1
    c1, c2, c3 = st.columns(3)
    c1.metric(t("bp.loss_before"), fmt(run.losses[0], 6))
    c2.metric(t("bp.loss_after_one"), fmt(run.losses[1], 6) if done >= 1 else "—")
    c3.metric(t("bp.loss_after_n", n=done), fmt(run.losses[-1], 6))
    with notes:
        if run.diverged:
            st.warning(t("bp.diverged", step=run.diverged_at, lr=fmt(lr)), icon=":material/warning:")
    first_step_table(steps, run, name)
    present.chart(st, bviz.loss_curve(run.losses, t("bp.curve_title"), t("bp.curve_x"), t("bp.curve_y")),
                  key="bp_curve")
    if run.kernels is not None:
        k0, k1 = run.kernels[0][:, :, 0, :], run.kernels[-1][:, :, 0, :]
        f = min(k0.shape[2], 8)
        top = [t("bp.filter_n", n=i + 1) for i in range(f)]
        after = [t("bp.filter_after_n", n=i + 1, steps=done) for i in range(f)]
        change = [t("bp.filter_change_n", n=i + 1) for i in range(f)]
        delta = k1[..., :f] - k0[..., :f]
        rows = [(k0[..., :f], top), (k1[..., :f], after), (delta, change)]
        grid = tiles.TileGrid([tiles.own_range_row("", np.moveaxis(m, 2, 0), names, numbers=True) for m, names in rows],
                              columns=f, tile_px=110)
        draw_tiles(grid, "bp_filters_learned")
        number_tables("bp_filters_learned", [(names[i], m[..., i]) for m, names in rows for i in range(f)])
        st.caption(t("bp.filters_note"))


def first_step_table(steps, run: backprop.Descent, name: str) -> None:
    """Step 1 on the first filter's weights (one input channel): w, g, the optimizer's quantities, update."""
    if not run.records or run.kernels is None:
        return
    key = backprop.trainable(steps)[0]
    if steps[key[0]].kind != "conv" or key[1] != "kernel":
        return
    rec = run.records[0]
    w0, w1 = run.kernels[0][:, :, 0, 0].ravel(), run.kernels[1][:, :, 0, 0].ravel()
    g = run.grads[0][key][:, :, 0, 0].ravel()
    kh, kw = run.kernels[0].shape[:2]
    columns = {t("bp.col_weight"): [f"K[{i // kw},{i % kw}]" for i in range(kh * kw)], "w": [fmt(v, 6) for v in w0],
               "g = ∂L/∂w": [fmt(v, 6) for v in g]}
    if name == "adam":
        for part in ("m", "v", "m_hat", "v_hat"):
            columns[{"m_hat": "m̂", "v_hat": "v̂"}.get(part, part)] = [fmt(v, 6) for v in rec[part][:, :, 0, 0].ravel()]
    columns[t("bp.col_update")] = [fmt(v, 6) for v in rec["update"][:, :, 0, 0].ravel()]
    columns[t("bp.col_new")] = [fmt(v, 6) for v in w1]
    st.markdown(t("bp.first_step_title"))
    st.latex(r"w \leftarrow w - \eta\, g" if name == "sgd" else
             r"m \leftarrow \beta_1 m + (1-\beta_1) g,\; v \leftarrow \beta_2 v + (1-\beta_2) g^2,\;"
             r"\hat m = \frac{m}{1-\beta_1^t},\; \hat v = \frac{v}{1-\beta_2^t},\;"
             r"w \leftarrow w - \eta \frac{\hat m}{\sqrt{\hat v} + \hat\epsilon}")
    st.dataframe(pd.DataFrame(columns), hide_index=True, key="bp_step_table")


# ------------------------------------------------------------------ gradient check


def param_label(steps, key: tuple[int, str]) -> str:
    step = steps[key[0]]
    shape = " × ".join(str(n) for n in np.shape(backprop.param_value(step, key[1])))
    return t("bp.param_label", layer=t(f"forward.kinds.{step.kind}"), name=t(f"bp.param_names.{key[1]}"),
             shape=shape, index=key[0] + 1)


@st.fragment
def gradient_check(image, steps, label) -> None:
    with guarded():
        check_body(image, steps, label)


def check_body(image, steps, label) -> None:
    st.subheader(t("bp.check_heading"))
    st.caption(t("bp.check_intro"))
    params = backprop.trainable(steps)
    codes = [f"{i}.{name}" for i, name in params]
    labels = {code: param_label(steps, key) for code, key in zip(codes, params)}
    cols = st.columns(3)
    code = cols[0].selectbox(t("bp.check_param"), codes, format_func=labels.__getitem__, key="bp_check_param")
    key = params[codes.index(code)]
    shape = np.shape(backprop.param_value(steps[key[0]], key[1]))
    size = int(np.prod(shape))
    with cols[1]:
        flat = index_slider(t("bp.check_index"), size, 0, "bp_check_index")
    h = cols[2].select_slider(t("bp.check_h"), H_OPTIONS, value=1e-5, format_func=lambda v: f"{v:g}", key="bp_check_h")
    index = tuple(int(v) for v in np.unravel_index(flat, shape))
    res = backprop.gradient_check(image, steps, label, key[0], key[1], index, float(h))
    where = ", ".join(str(v) for v in index)
    st.code(f"w = {key[1]}[{where}]\n"
            f"∂L/∂w (backprop) = {fmt(res.analytic, 8)}\n"
            f"(L(w + h) − L(w − h)) / 2h = ({fmt(res.loss_plus, 10)} − {fmt(res.loss_minus, 10)}) / {2 * float(h):g}"
            f" = {fmt(res.numeric, 8)}\n"
            f"|a − n| / max(|a|, |n|) = {res.relative_error:.3g}", language=None, wrap_lines=True)
    with st.container():  # always drawn: the notice does not shift what follows
        if res.kink:
            st.info(t("bp.check_kink", right=fmt(res.right_slope, 6), left=fmt(res.left_slope, 6)),
                    icon=":material/call_split:")
    st.caption(t("bp.check_note"))


# ------------------------------------------------------------------ page


def handmade_shapes() -> tuple[tuple[int, ...], ...]:
    """The shape of every stage of the hand-made network for digits (10 classes)."""
    return forward.handmade_shapes(SIZE, 10)


def input_params() -> list[share.Param]:
    """The image a share link carries."""
    return share.digit_or_shape_params("bp")


def share_params() -> list[share.Param]:
    """The image, the hand-made network, the inspected cell and weight, the learning settings and the
    checked weight (ranges of the digits' network; keep_in_range checks them again). Trained weights
    never travel: a link opens the hand-made network."""
    shapes = handmade_shapes()
    cells = []
    for i, shape in enumerate(shapes):
        if len(shape) == 3:
            cells += [share.whole(f"bp_row_{i}", 0, shape[0] - 1), share.whole(f"bp_col_{i}", 0, shape[1] - 1),
                      share.choice(f"bp_ch_{i}", range(shape[2]))]
        elif shape[0] == shapes[-1][0]:
            cells.append(share.choice(f"bp_unit_{i}", range(shape[0])))
        else:
            cells.append(share.whole(f"bp_unit_{i}", 0, shape[0] - 1))
    return [share.choice("bp_weights", ("handmade",)), *input_params(), share.choice("bp_dense", ("templates", "random")),
            share.whole("bp_dense_seed", 0, 9999), share.choice("bp_stage", range(len(shapes))), *cells,
            share.choice("bp_wf", range(3)), share.whole("bp_wa", 0, 2), share.whole("bp_wb", 0, 2),
            share.whole("bp_wd", 0, shapes[5][0] - 1), share.whole("bp_wu", 0, 9),
            share.choice("bp_opt", OPTIMIZERS), share.real("bp_lr", 1e-6, 1e12), share.whole("bp_steps", 1, STEP_COUNT_MAX),
            share.choice("bp_check_param", ("1.kernel", "1.bias", "5.weights", "5.bias")),
            share.whole("bp_check_index", 0, shapes[5][0] * 10 - 1), share.choice("bp_check_h", H_OPTIONS)]


share.restore(share_params(), "bp_")
st.title(t("bp.heading"))
st.caption(t("bp.intro"))
controls, results = st.columns([1, 3], gap="large")
with controls:
    share_slot = st.container()
    stages = grads = trained = None
    with guarded():
        trained = net.trained_steps("bp", "bp.weights", "bp.fallback", classifier_only=True)
        shape = trained[1] if trained else (SIZE, SIZE, 1)
        image, source, label = net.choose_input(shape, "bp")
        steps = trained[0] if trained else net.handmade_steps(source, "bp", notes=False)
        stages = forward.run(image, steps)
        if label >= stages[-1].values.size:  # a trained model with fewer classes than the image's source
            raise EngineError("bad_label", label=label, classes=stages[-1].values.size)
        grads = backprop.network_backward(stages, label)
    with share_slot:
        share.share_popover(share_params() if trained is None else input_params())
    if grads is None:
        st.stop()
    names = net.class_names(stages[-1].values.size, source, trained is not None)
    present.chart(st, fviz.probabilities_figure(grads.probs, plotly_list(names), t("forward.probs_title"), label),
                  key="bp_probs")

with results:
    with guarded():
        loss_section(stages, grads, names)
        backward_overview(stages, grads, names)
        kernels_section(stages, grads)
    inspector(stages, grads, names)
    weight_inspector(stages, grads)
    with guarded():
        batchnorm_section(stages, grads)
    learning(image, steps, label)
    gradient_check(image, steps, label)

practice_view("bp", ("weight_gradient", "softmax_ce"))
