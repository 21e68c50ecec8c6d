"""AppTest: the architectures explorer runs in both languages, and every number it shows (table,
totals, formulas, block totals, comparisons) is the engine's, also after changing the network,
the input size, the filter width and one layer's filters; an override that breaks a residual
addition gives the translated message and the table of the unchanged network."""
import pytest

from engine.shapes import architectures as A
from tests.app.figure_data import chart, charts
from tests.app.helpers import assert_no_exception, open_in, shown_text
from ui.i18n import translate

PAGE = "pages/architectures.py"


def table(at, lang="en"):
    return at.dataframe[0].value.set_index(translate(lang, "arch.col_layer"))


def metric(at, key, lang="en"):
    return next(m.value for m in at.metric if m.label == translate(lang, key))


def assert_table_is(at, g, lang="en"):
    df = table(at, lang)
    assert list(df.index) == [n.name for n in g.rows()]
    assert list(df[translate(lang, "arch.col_params")]) == [n.params for n in g.rows()]
    assert list(df[translate(lang, "arch.col_macs")]) == [n.macs for n in g.rows()]
    assert list(df[translate(lang, "arch.col_formula")]) == [n.formulas["params"] for n in g.rows()]
    assert metric(at, "arch.total_params", lang) == f"{g.totals()[0]:,}"
    assert metric(at, "arch.total_macs", lang) == f"{g.macs():,}"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_renders_in_both_languages_with_the_engines_numbers(lang):
    at = open_in(PAGE, lang)
    assert_table_is(at, A.build("alexnet"), lang)
    assert table(at, lang).loc["pool5", translate(lang, "arch.col_rf")] == "195"
    assert "(5×5×(96/2) + 1) × 256 = 307,456" in set(table(at, lang)[translate(lang, "arch.col_formula")])


def test_input_size_and_width_change_the_numbers(at):
    at.selectbox(key="arch_model").set_value("vgg16").run()
    assert_table_is(at, A.build("vgg16"))
    at.slider(key="arch_size_vgg16").set_value(64).run()
    assert_no_exception(at)
    g = A.build("vgg16", 64)
    assert_table_is(at, g)
    assert table(at).loc["fc1", "Parameters"] == (2 * 2 * 512 + 1) * 4096
    at.select_slider(key="arch_width").set_value(0.5).run()
    assert_table_is(at, A.build("vgg16", 64, 0.5))


def test_one_layers_filters(at):
    at.selectbox(key="arch_model").set_value("vgg16").run()
    at.number_input(key="arch_filters_vgg16_block1_conv1_x1").set_value(16).run()
    g = A.build("vgg16", overrides={"block1_conv1": 16})
    assert_table_is(at, g)
    assert table(at).loc["block1_conv2", "Parameters"] == (3 * 3 * 16 + 1) * 64


def test_an_override_that_breaks_the_residual_add_is_explained(at):
    at.selectbox(key="arch_model").set_value("resnet50").run()
    at.selectbox(key="arch_layer_resnet50").set_value("conv2_block1_3_conv").run()
    at.number_input(key="arch_filters_resnet50_conv2_block1_3_conv_x1").set_value(100).run()
    assert_no_exception(at)
    assert "conv2_block1_add" in at.error[0].value
    assert translate("en", "arch.override_dropped") in shown_text(at)
    assert_table_is(at, A.build("resnet50"))


def test_row_formulas_are_the_engines(at):
    at.selectbox(key="arch_model").set_value("se_resnet50").run()
    at.selectbox(key="arch_row_se_resnet50").set_value("conv2_block1_se_reduce").run()
    node = A.build("se_resnet50")["conv2_block1_se_reduce"]
    code = at.code[0].value
    assert node.formulas["params"] in code and node.formulas["macs"] in code
    assert translate("en", "arch.rf_global_formula") in code


def open_tab(at, code, lang="en"):
    """Open one of the page's lazy tabs (only the open tab's content runs)."""
    at.session_state["arch_tab"] = translate(lang, f"arch.{code}")
    at.run()


def test_block_diagrams_show_engine_shapes_and_totals(at):
    assert not any(c.key == "arch_block_figure" for c in charts(at))  # a closed tab costs nothing
    open_tab(at, "tab_blocks")
    at.radio(key="arch_diagram").set_value("residual").run()
    at.selectbox(key="arch_block_residual").set_value("conv3_block1").run()
    g = A.build("resnet50")
    params, macs = g.block_totals("conv3_block1")
    assert translate("en", "arch.block_totals", block="conv3_block1", params=f"{params:,}",
                     macs=f"{macs:,}") in shown_text(at)
    texts = [a.get("text") for a in chart(at, "arch_block_figure")["layout"]["annotations"]]
    assert "28×28×512" in texts and "56×56×256" in texts


def test_the_two_comparisons(at):
    open_tab(at, "tab_compare")
    cmp = at.dataframe[0].value
    assert list(cmp["Parameters"]) == ["26", "20"] and list(cmp["Receptive field"]) == ["5", "5"]
    at.number_input(key="arch_cmp_channels").set_value(64).run()
    c = A.stacked_vs_large(28, 64, 2)
    assert list(at.dataframe[0].value["Parameters"]) == [f"{p:,}" for p in c.params()]
    r = A.reduction_saving(28, 192, 16, 32, 5)
    assert list(at.dataframe[1].value["Multiply-adds"]) == [f"{m:,}" for m in r.macs()]
    at.number_input(key="arch_inc_reduce").set_value(32).run()
    r = A.reduction_saving(28, 192, 32, 32, 5)
    assert list(at.dataframe[1].value["Multiply-adds"]) == [f"{m:,}" for m in r.macs()]
    assert translate("en", "arch.saving", params=f"{r.saving()[0]:.0%}", macs=f"{r.saving()[1]:.0%}") \
        in shown_text(at)


@pytest.mark.parametrize("key", list(A.ARCHITECTURES))
def test_every_network_renders(at, key):
    at.selectbox(key="arch_model").set_value(key).run()
    assert_no_exception(at)
    assert not at.error
    assert_table_is(at, A.build(key))
