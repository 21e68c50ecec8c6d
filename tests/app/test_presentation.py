"""Presentation mode (sidebar toggle, ?present=1, kept across pages) and the heat maps' number tables."""
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.figure_data import array, chart, chart_keys, charts, raster, tile_scale
from tests.app.helpers import APP, assert_no_exception, open_page
from ui.present import STATE_KEY
from ui.registry import LESSONS
from visuals.presentation import BASE_FONT

MARK = "--convlab-present"


def present_css(at) -> bool:
    """Whether the run drew the presentation style sheet."""
    return any(MARK in str(el.proto.body) for el in at.get("html"))


def opened_tables(at, chart_key: str) -> list:
    """The tables inside the "numbers as a table" expander of the chart `chart_key`."""
    return [d.value for d in at.get_by_key(f"{chart_key}_table").dataframe]


def toggle_on(at) -> None:
    at.toggle(key=STATE_KEY).set_value(True).run()
    assert_no_exception(at)


def test_off_by_default_without_css():
    at = open_page("pages/conv.py")
    assert at.toggle(key=STATE_KEY).value is False
    assert not present_css(at)


def test_toggle_on_adds_css_in_both_languages():
    for lang, label in (("en", "Presentation mode"), ("ko", "발표 모드")):
        at = open_page("pages/conv.py", lang=lang)
        assert at.toggle(key=STATE_KEY).label == label
        toggle_on(at)
        assert present_css(at)


def test_presentation_mode_persists_across_a_page_switch_and_enlarges_figures():
    at = open_page("pages/conv.py")
    plain = chart(at, "conv_padded_fig")["layout"]["title"]["font"]["size"]
    assert raster(at, "conv_fmap_0")["scale"] == 1
    toggle_on(at)
    assert chart(at, "conv_padded_fig")["layout"]["title"]["font"]["size"] > plain
    assert raster(at, "conv_fmap_0")["scale"] > 1  # the canvas maps' text grows too
    at.switch_page("pages/pooling.py").run()
    assert_no_exception(at)
    assert at.toggle(key=STATE_KEY).value is True and present_css(at)
    at.toggle(key=STATE_KEY).set_value(False).run()
    at.switch_page("pages/conv.py").run()
    assert at.toggle(key=STATE_KEY).value is False and not present_css(at)


def test_present_in_the_url_turns_it_on_once():
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["present"] = "1"
    at.session_state["lang"] = "en"
    at.run()
    assert_no_exception(at)
    assert at.toggle(key=STATE_KEY).value is True and present_css(at)
    at.toggle(key=STATE_KEY).set_value(False).run()  # the teacher can still turn it off
    assert at.toggle(key=STATE_KEY).value is False and not present_css(at)


def test_a_table_is_built_only_when_opened_and_shows_the_figures_numbers():
    at = open_page("pages/conv.py")
    labels = [e.label for e in at.get("expander")]
    assert "Show numbers as a table" in labels
    assert not opened_tables(at, "conv_maps")  # a closed expander builds nothing
    at.session_state["conv_maps_table"] = True
    at.run()
    assert_no_exception(at)
    # the conv page has one expander for all its maps: padded input, kernel, feature map, ReLU
    padded, kernel, fmap, relu_map = opened_tables(at, "conv_maps")
    np.testing.assert_array_equal(padded.to_numpy(dtype=float), array(chart(at, "conv_padded_fig")["data"][0]["z"]))
    np.testing.assert_array_equal(kernel.to_numpy(dtype=float), array(chart(at, "conv_kernel_0")["data"][0]["z"]))
    for table, key in ((fmap, "conv_fmap_0"), (relu_map, "conv_relu_0")):
        shown = raster(at, key)["values"]
        assert table.shape == shown.shape
        np.testing.assert_array_equal(table.to_numpy(dtype=float), shown)
        assert list(table.index) == list(range(shown.shape[0]))


def test_pooling_window_table_uses_the_inputs_coordinates():
    at = open_page("pages/pooling.py")
    at.session_state["pool_out_fig_table"] = True
    at.session_state["pool_window_fig_table"] = True
    at.run()
    assert_no_exception(at)
    (pooled,), (window,) = opened_tables(at, "pool_out_fig"), opened_tables(at, "pool_window_fig")
    np.testing.assert_array_equal(pooled.to_numpy(dtype=float), array(chart(at, "pool_out_fig")["data"][0]["z"]))
    fig = chart(at, "pool_window_fig")["data"][0]
    assert list(window.index) == [int(v) for v in array(fig["y"])]
    assert list(window.columns) == [str(int(v)) for v in array(fig["x"])]


def _font_sizes(at) -> dict[str, float]:
    """Each Plotly chart's base font size (Plotly's default where the figure sets none); a heat map
    drawn on a canvas: its texts' size (the base size times the tile grid's scale)."""
    sizes = {}
    plotly_keys = {e.key for e in charts(at)}
    for key in chart_keys(at):
        if key in plotly_keys:
            sizes[key] = chart(at, key).get("layout", {}).get("font", {}).get("size", BASE_FONT)
        else:
            sizes[key] = BASE_FONT * tile_scale(at, key)
    return sizes


@pytest.mark.parametrize("info", LESSONS, ids=lambda p: p.key)
def test_every_chart_a_page_shows_is_enlarged_in_presentation_mode(info):
    at = open_page(info.path)
    plain = _font_sizes(at)
    toggle_on(at)
    enlarged = _font_sizes(at)
    assert enlarged.keys() == plain.keys()
    assert all(enlarged[key] > plain[key] for key in plain), (plain, enlarged)
