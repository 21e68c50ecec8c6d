"""Architectures explorer: AlexNet, VGG16/19, GoogLeNet, ResNet50, SE-ResNet50 and the course's
models layer by layer (output shape, parameters, multiply-adds, receptive field and the formula of
each), the inception / residual / SE blocks drawn with the tensor shape on every arrow, and the two
classic savings (stacked 3×3 against one 5×5; a 1×1 reduction before a big kernel).

Thin page: widgets -> engine.shapes.architectures (every number) -> visuals.architecture_diagrams.
No TensorFlow here; the engine's numbers are checked against Keras in tests/unit.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.errors import EngineError
from engine.shapes import architectures as arch
from ui.lazy import keep, lazy_tabs
from ui.feedback import guarded, show_engine_error
from ui.i18n import LANGUAGES, labeler, t, translate
from ui import present, share
from ui.practice import practice_view
from visuals import architecture_diagrams as diagrams

TABS = ("tab_table", "tab_blocks", "tab_compare")
TAB_WIDGETS = {"arch_diagram", "arch_cmp_layers", "arch_cmp_channels", "arch_cmp_size", "arch_inc_size",
               "arch_inc_cin", "arch_inc_reduce", "arch_inc_cout", "arch_inc_kernel"}
TAB_WIDGET_PREFIXES = ("arch_row_", "arch_block_")  # one per network / per diagram kind
DIAGRAMS = {"inception": "googlenet", "residual": "resnet50", "se": "se_resnet50"}
KINDS = ("input", "conv", "pool", "batchnorm", "activation", "dropout", "zero_pad", "reshape", "flatten",
         "global_pool", "dense", "concat", "add", "multiply")


def rf_text(value: object) -> str:
    if value == arch.GLOBAL:
        return t("arch.rf_global")
    if value is None:
        return "—"
    return "×".join(map(str, value)) if isinstance(value, tuple) else str(value)


def shape_text(shape: tuple[int, ...]) -> str:
    return diagrams.shape_text(shape) if len(shape) > 1 else f"({shape[0]},)"


def kind_labels() -> dict[str, str]:
    return {k: t(f"arch.kinds.{k}") for k in KINDS}


# ------------------------------------------------------------------ choosing a network


def choose_network() -> tuple[str, int, float, dict[str, int]]:
    """Architecture, input size, width multiplier and at most one layer's filters override."""
    c1, c2, c3 = st.columns([2, 2, 1])
    key = c1.selectbox(t("arch.model"), list(arch.ARCHITECTURES), format_func=labeler("arch.models"),
                       key="arch_model")
    info = arch.ARCHITECTURES[key]
    size = c2.slider(t("arch.size"), arch.minimum_size(key), arch.MAX_SIZE, info.default_size,
                     key=f"arch_size_{key}")
    width = c3.select_slider(t("arch.width"), arch.WIDTHS, 1.0, format_func=lambda w: f"× {w:g}",
                             key="arch_width")
    base = arch.build(key, size, width)
    return key, size, width, layer_override(base)


def layer_override(base: arch.Graph) -> dict[str, int]:
    """A conv/dense layer and its filters/units; an override only when it differs (one box per
    layer and width, so a width change starts from the scaled filters)."""
    weights = arch.weight_layers(base)
    c1, c2 = st.columns([2, 1])
    name = c1.selectbox(t("arch.layer"), [n.name for n in weights], key=f"arch_layer_{base.name}")
    node = base[name]
    value = c2.number_input(t("arch.filters" if node.kind == "conv" else "arch.units"), 1, arch.MAX_UNITS,
                            int(node.units), key=f"arch_filters_{base.name}_{name}_x{base.width:g}")
    st.caption(t("arch.override_note"))
    return {name: int(value)} if int(value) != node.units else {}


def build_or_fallback(key: str, size: int, width: float, overrides: dict[str, int]) -> arch.Graph:
    """The graph with the override; when the override breaks a merge, the message and the graph
    without it."""
    try:
        return arch.build(key, size, width, overrides)
    except EngineError as err:
        show_engine_error(err)
        st.caption(t("arch.override_dropped"))
        return arch.build(key, size, width)


# ------------------------------------------------------------------ the layer table


def totals(g: arch.Graph) -> None:
    total, trainable, frozen = g.totals()
    cols = st.columns(4)
    cols[0].metric(t("arch.total_params"), f"{total:,}")
    cols[1].metric(t("arch.trainable"), f"{trainable:,}")
    cols[2].metric(t("arch.non_trainable"), f"{frozen:,}")
    cols[3].metric(t("arch.total_macs"), f"{g.macs():,}")
    st.caption(t("arch.totals_note", layers=len(g.nodes)))


def layer_table(g: arch.Graph) -> pd.DataFrame:
    labels = kind_labels()
    rows = g.rows()
    return pd.DataFrame({
        t("arch.col_layer"): [n.name for n in rows],
        t("arch.col_kind"): [labels[n.kind] for n in rows],
        t("arch.col_config"): [n.config for n in rows],
        t("arch.col_shape"): [shape_text(n.shape) for n in rows],
        t("arch.col_params"): [n.params for n in rows],
        t("arch.col_macs"): [n.macs for n in rows],
        t("arch.col_rf"): [rf_text(n.receptive_field) for n in rows],
        t("arch.col_formula"): [n.formulas["params"] for n in rows],
    })


def show_table(g: arch.Graph) -> None:
    cc = st.column_config
    number = {t(f"arch.col_{c}"): cc.NumberColumn(format="localized") for c in ("params", "macs")}
    st.dataframe(layer_table(g), hide_index=True, height=460, key="arch_table",
                 column_config=number)
    st.caption(t("arch.table_note"))


def row_formulas(node: arch.Node) -> str:
    """The four formulas of one layer, one per line."""
    f = node.formulas
    rf = t("arch.rf_global_formula") if f["rf"] == "global" else f["rf"]
    return "\n".join((f"{t('arch.f_shape')}: {f['shape']}", f"{t('arch.f_params')}: {f['params']}",
                      f"{t('arch.f_macs')}: {f['macs']}", f"{t('arch.f_rf')}: {rf}"))


def row_details(g: arch.Graph) -> None:
    st.subheader(t("arch.row_heading"))
    names = [n.name for n in g.rows()]
    first = next((i for i, n in enumerate(g.rows()) if n.kind == "conv"), 0)
    name = st.selectbox(t("arch.row"), names, index=first, key=f"arch_row_{g.name}")
    node = g[name]
    if node.block:
        st.caption(t("arch.in_block", block=node.block))
    st.code(row_formulas(node), language=None, wrap_lines=True)


# ------------------------------------------------------------------ block diagrams


def diagram_graph(kind: str, current: arch.Graph, width: float) -> arch.Graph:
    """The network a diagram is drawn from: the chosen one when it has such blocks, else the
    block's own network at its usual input size."""
    key = DIAGRAMS[kind]
    return current if current.name == key else arch.build(key, None, width)


def block_diagrams(current: arch.Graph, width: float) -> None:
    kind = st.radio(t("arch.diagram"), list(DIAGRAMS), format_func=labeler("arch.diagrams"),
                    key="arch_diagram", horizontal=True)
    g = diagram_graph(kind, current, width)
    blocks = [b for b in g.blocks() if (b.endswith("_se") if kind == "se" else not b.endswith("_se"))]
    block = st.selectbox(t("arch.block"), blocks, key=f"arch_block_{kind}")
    st.caption(t(f"arch.diagram_notes.{kind}", model=t(f"arch.models.{g.name}"),
                 size=g.rows()[0].shape[0]))
    params, macs = g.block_totals(block)
    st.caption(t("arch.block_totals", block=block, params=f"{params:,}", macs=f"{macs:,}"))
    fig = diagrams.block_figure(g.block_nodes(block), kind_labels(), t(f"arch.diagrams.{kind}"))
    present.chart(st, fig, key="arch_block_figure", config={"displayModeBar": False})


# ------------------------------------------------------------------ the two savings


def comparison_table(cmp: arch.Comparison, names: tuple[str, str]) -> pd.DataFrame:
    params, macs, rfs = cmp.params(), cmp.macs(), cmp.receptive_fields()
    return pd.DataFrame({
        t("arch.col_way"): list(names),
        t("arch.col_layers"): [len(cmp.left.nodes) - 1, len(cmp.right.nodes) - 1],
        t("arch.col_params"): [f"{p:,}" for p in params],
        t("arch.col_macs"): [f"{m:,}" for m in macs],
        t("arch.col_rf"): [rf_text(r) for r in rfs],
    })


def comparison_formulas(cmp: arch.Comparison) -> str:
    lines = []
    for g in (cmp.left, cmp.right):
        for n in g.rows()[1:]:
            lines.append(f"{n.name}: {n.formulas['params']}  ·  {t('arch.f_macs')} {n.formulas['macs']}")
    return "\n".join(lines)


def stacked_section() -> None:
    st.subheader(t("arch.stacked_heading"))
    st.caption(t("arch.stacked_intro"))
    c1, c2, c3 = st.columns(3)
    n = c1.radio(t("arch.stacked_layers"), (2, 3), key="arch_cmp_layers", horizontal=True)
    channels = c2.number_input(t("arch.channels"), 1, 1024, 1, key="arch_cmp_channels")
    size = c3.number_input(t("arch.map_size"), 1, arch.MAX_SIZE, 28, key="arch_cmp_size")
    cmp = arch.stacked_vs_large(int(size), int(channels), int(n))
    k = 2 * int(n) + 1
    names = (t("arch.one_large", k=k), t("arch.stacked", n=n))
    st.dataframe(comparison_table(cmp, names), hide_index=True, key="arch_cmp_table")
    st.code(comparison_formulas(cmp), language=None, wrap_lines=True)
    p, m = cmp.saving()
    st.caption(t("arch.saving", params=f"{p:.0%}", macs=f"{m:.0%}"))


def reduction_section() -> None:
    st.subheader(t("arch.reduce_heading"))
    st.caption(t("arch.reduce_intro"))
    c = st.columns(5)
    size = c[0].number_input(t("arch.map_size"), 1, arch.MAX_SIZE, 28, key="arch_inc_size")
    c_in = c[1].number_input(t("arch.c_in"), 1, 2048, 192, key="arch_inc_cin")
    reduce = c[2].number_input(t("arch.reduce"), 1, 2048, 16, key="arch_inc_reduce")
    c_out = c[3].number_input(t("arch.c_out"), 1, 2048, 32, key="arch_inc_cout")
    kernel = c[4].radio(t("arch.kernel"), (3, 5), index=1, key="arch_inc_kernel", horizontal=True)
    cmp = arch.reduction_saving(int(size), int(c_in), int(reduce), int(c_out), int(kernel))
    names = (t("arch.direct", k=kernel), t("arch.reduced", k=kernel))
    st.dataframe(comparison_table(cmp, names), hide_index=True, key="arch_inc_table")
    st.code(comparison_formulas(cmp), language=None, wrap_lines=True)
    p, m = cmp.saving()
    st.caption(t("arch.saving", params=f"{p:.0%}", macs=f"{m:.0%}"))


# ------------------------------------------------------------------ page


@st.cache_resource(show_spinner=False)
def network_names(key: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """A network's weight layers, rows and blocks (the same at every input size and width)."""
    g = arch.build(key, None, 1.0)
    return (tuple(n.name for n in arch.weight_layers(g)), tuple(n.name for n in g.rows()), tuple(g.blocks()))


def diagram_blocks(kind: str) -> tuple[str, ...]:
    blocks = network_names(DIAGRAMS[kind])[2]
    return tuple(b for b in blocks if b.endswith("_se") == (kind == "se"))


def share_params() -> list[share.Param]:
    """What a share link of this page carries: the network, its input size, width and one layer's
    filters, the row and block shown, and the two comparisons."""
    params = [share.choice("arch_model", list(arch.ARCHITECTURES)), share.choice("arch_width", arch.WIDTHS)]
    for key in arch.ARCHITECTURES:
        weights, rows, _ = network_names(key)
        params += [share.whole(f"arch_size_{key}", arch.minimum_size(key), arch.MAX_SIZE),
                   share.choice(f"arch_layer_{key}", weights), share.choice(f"arch_row_{key}", rows)]
        params += [share.whole(f"arch_filters_{key}_{name}_x{w:g}", 1, arch.MAX_UNITS)
                   for name in weights for w in arch.WIDTHS]
    params += [share.choice("arch_diagram", list(DIAGRAMS)),
               *[share.choice(f"arch_block_{kind}", diagram_blocks(kind)) for kind in DIAGRAMS],
               share.choice("arch_cmp_layers", (2, 3)), share.whole("arch_cmp_channels", 1, 1024),
               share.whole("arch_cmp_size", 1, arch.MAX_SIZE), share.whole("arch_inc_size", 1, arch.MAX_SIZE),
               share.whole("arch_inc_cin", 1, 2048), share.whole("arch_inc_reduce", 1, 2048),
               share.whole("arch_inc_cout", 1, 2048), share.choice("arch_inc_kernel", (3, 5)),
               share.choice("arch_tab", [translate(lang, f"arch.{tab}") for lang in LANGUAGES for tab in TABS])]
    return params


@st.fragment
def explorer() -> None:
    """The network, its settings and the open tab. A fragment: a change reruns only this part (not
    the navigation or the sidebar), and only the open tab's content runs (ui.lazy)."""
    params = share_params()
    keep(p.key for p in params if p.key in TAB_WIDGETS or p.key.startswith(TAB_WIDGET_PREFIXES))
    share.share_popover(params)
    graph = None
    with guarded():
        key, size, width, overrides = choose_network()
        graph = build_or_fallback(key, size, width, overrides)
        st.caption(t(f"arch.notes.{key}"))
    if graph is None:
        return
    tabs = lazy_tabs(TABS, "arch", key="arch_tab")
    if tabs["tab_table"].open:
        with tabs["tab_table"], guarded():
            totals(graph)
            show_table(graph)
            row_details(graph)
    if tabs["tab_blocks"].open:
        with tabs["tab_blocks"], guarded():
            block_diagrams(graph, width)
    if tabs["tab_compare"].open:
        with tabs["tab_compare"]:
            with guarded():
                stacked_section()
            with guarded():
                reduction_section()


share.restore(share_params(), "arch_")
st.title(t("arch.heading"))
st.caption(t("arch.intro"))
explorer()
practice_view("arch", ("model_params", "receptive_field", "layer_params"))
