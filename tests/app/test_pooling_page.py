"""AppTest: the pooling page runs in both languages, every control changes the result, the shown
numbers are the engine's, and bad settings or cells give translated messages."""
import numpy as np
import pytest

from engine.data import datasets
from engine.lessons import pooling_windows
from engine.ops import pooling
from engine.ops.activations import relu
from tests.app.figure_data import array, chart, chart_positions
from tests.app.helpers import assert_no_exception, open_in, open_page, shown_text
from ui.i18n import translate

PAGE = "pages/pooling.py"


def metric(at, label_key, lang="en"):
    label = translate(lang, label_key)
    return next(m.value for m in at.metric if m.label == label)


def codes(at) -> list[str]:
    return [str(c.value) for c in at.code]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_renders_in_both_languages(lang):
    page = open_in(PAGE, lang)
    assert metric(page, "pool.params", lang) == "0"


def test_course_example_pooled_map_and_first_window(at):
    expected = pooling.pool2d(datasets.GRIDS["pool4"][None, ..., None], 2)[0, ..., 0]
    np.testing.assert_array_equal(expected, [[6, 8], [3, 4]])
    np.testing.assert_array_equal(array(chart(at, "pool_out_fig")["data"][0]["z"]), expected)
    assert "max(1, 1, 5, 6) = 6" in codes(at)
    assert metric(at, "pool.output_shape") == "2 × 2 × 1"
    at.select_slider(key="pool_pos").set_value(1).run()
    assert "max(2, 4, 7, 8) = 8" in codes(at)
    assert translate("en", "pool.trace_matches", value="8") in shown_text(at)


def test_average_mode_writes_the_sum(at):
    at.radio(key="pool_mode").set_value("avg").run()
    trace = pooling.pool_trace(datasets.GRIDS["pool4"][..., None], 2, mode="avg")
    assert (trace.total, trace.count, trace.result) == (13, 4, 3.25)
    assert "(1 + 1 + 5 + 6) / 4 = 13 / 4 = 3.25" in codes(at)


def test_global_average_of_gap6_is_two(at):
    at.selectbox(key="pool_grid").set_value("gap6").run()
    at.radio(key="pool_mode").set_value("global_avg").run()
    assert float(pooling.global_pool(datasets.GRIDS["gap6"][None, ..., None])[0, 0]) == 2
    assert metric(at, "pool.global_result_avg") == "2"
    assert any(c.endswith("/ 36 = 72 / 36 = 2") for c in codes(at))
    at.radio(key="pool_mode").set_value("global_max").run()
    assert metric(at, "pool.global_result_max") == "4"
    assert_no_exception(at)


def test_odd_map_valid_drops_and_same_pads(at):
    at.selectbox(key="pool_grid").set_value("odd5").run()
    assert metric(at, "pool.output_shape") == "2 × 2 × 1"
    assert translate("en", "pool.dropped_legend", n=9) in shown_text(at)
    fig = chart(at, "pool_cover_fig")
    assert len(fig["data"]) >= 2  # the dropped-cell layer is drawn
    at.radio(key="pool_padding").set_value("same").run()
    assert metric(at, "pool.output_shape") == "3 × 3 × 1"
    expected = pooling.pool2d(pooling_windows.ODD_GRID[None, ..., None], 2, None, "same")[0, ..., 0]
    assert expected[2, 2] == 9  # the corner value 'valid' lost
    np.testing.assert_array_equal(array(chart(at, "pool_out_fig")["data"][0]["z"]), expected)
    assert translate("en", "pool.padding_legend", top=0, bottom=1, left=0, right=1) in shown_text(at)


def test_size_and_stride_change_the_formula_and_shape(at):
    at.slider(key="pool_size").set_value(3).run()
    at.slider(key="pool_stride").set_value(1).run()
    assert metric(at, "pool.output_shape") == "2 × 2 × 1"
    assert any(r"\left\lfloor \frac{1}{1} \right\rfloor + 1 = 1 + 1 = 2" in el.value for el in at.latex)
    assert "max(1, 1, 2, 5, 6, 7, 3, 2, 1) = 7" in codes(at)


def test_pool_larger_than_the_grid_is_explained(at):
    at.slider(key="pool_size").set_value(5).run()
    assert_no_exception(at)
    assert translate("en", "errors.pool_too_large", pool=5, padded_input=4) in [e.value for e in at.error]
    assert any("✗" in el.value for el in at.latex)
    at.slider(key="pool_size").set_value(2).run()
    assert not at.error and metric(at, "pool.output_shape") == "2 × 2 × 1"


def test_bad_cell_keeps_the_last_valid_grid(at):
    editor = next(d for d in at.data_editor if d.key == "pool_cells_pool4")
    at.session_state[editor.key] = {"edited_rows": {1: {"1": "20"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert "max(1, 1, 5, 20) = 20" in codes(at)
    at.session_state[editor.key] = {"edited_rows": {1: {"1": "x"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert_no_exception(at)
    name = translate("en", "pool.input_name")
    assert translate("en", "errors.not_numeric_cell", name=name, row=2, col=2, value="x") in [
        e.value for e in at.error]
    assert "max(1, 1, 5, 20) = 20" in codes(at)  # last valid grid kept


def test_shift_changes_are_the_engines(at):
    x = datasets.GRIDS["pool4"][..., None]
    eff = pooling_windows.shift_effect(x, 0, 1, 2)
    assert metric(at, "pool.pooled_changed") == f"{eff.pooled_fraction:.0%}" == "75%"
    at.slider(key="pool_dx").set_value(0).run()
    at.slider(key="pool_dy").set_value(2).run()
    eff = pooling_windows.shift_effect(x, 2, 0, 2)
    assert metric(at, "pool.pooled_changed") == f"{eff.pooled_fraction:.0%}"
    assert metric(at, "pool.input_changed") == f"{eff.input_fraction:.0%}"
    z = array(chart(at, "pool_shift_out")["data"][0]["z"])
    np.testing.assert_array_equal(z, eff.pooled_changed[..., 0].astype(float))


def test_photo_and_shape_sources(at):
    at.radio(key="pool_source").set_value("photo").run()
    assert_no_exception(at)
    assert not at.error
    at.slider(key="pool_img_size").set_value(30).run()
    assert not at.error and at.slider(key="pool_zoom_c") is not None
    at.radio(key="pool_source").set_value("shape").run()
    assert metric(at, "pool.output_shape") == "12 × 12 × 1"
    assert_no_exception(at)


def test_feature_maps_from_the_convolution_page():
    page = open_page("pages/conv.py", lang="en")
    fmaps = page.session_state["conv_last_fmaps"]
    page.switch_page(PAGE)
    page.run()
    page.radio(key="pool_source").set_value("conv").run()
    assert_no_exception(page)
    pooled = pooling.pool2d(relu(fmaps[..., :1])[None], 2)[0, ..., 0]
    assert metric(page, "pool.output_shape") == f"{pooled.shape[0]} × {pooled.shape[1]} × 1"
    np.testing.assert_allclose(array(chart(page, "pool_out_fig")["data"][0]["z"]), pooled)
    page.toggle(key="pool_relu").set_value(False).run()
    raw = pooling.pool2d(fmaps[None, ..., :1], 2)[0, ..., 0]
    np.testing.assert_allclose(array(chart(page, "pool_out_fig")["data"][0]["z"]), raw)


def test_settings_that_add_notes_do_not_move_the_charts(at):
    """Stride 3 on the 4x4 course grid leaves cells unused (a note under the formula) and average
    mode drops the winner legend: the charts keep their positions, so the browser updates them
    instead of rebuilding every chart after the note from nothing."""
    plain = chart_positions(at)
    assert {"pool_cover_fig", "pool_out_fig", "pool_stepper_fig", "pool_window_fig"} <= plain.keys()
    at.slider(key="pool_stride").set_value(3).run()
    rows = pooling.pool_output_hw((4, 4), 2, 3, "valid")[0]
    assert rows.unused and translate("en", "pool.unused", n=rows.unused, axis=translate("en", "pool.axis.rows"),
                                     numerator=rows.numerator, stride=3) in shown_text(at)
    assert chart_positions(at) == plain
    at.radio(key="pool_mode").set_value("avg").run()
    assert chart_positions(at) == plain
