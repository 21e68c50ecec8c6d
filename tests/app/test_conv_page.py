"""AppTest: the convolution playground runs, reacts to every control, shows the engine's numbers,
and turns bad input into messages."""
import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from engine.data import datasets, images
from engine.ops import conv, kernels
from engine.shapes import output_size
from tests.app.figure_data import array, chart, chart_keys, chart_positions, charts, raster, raster_keys
from tests.app.helpers import assert_no_exception, open_in, shown_text
from ui.i18n import translate

PAGE = "pages/conv.py"


def metric(at, label_key, lang="en"):
    label = translate(lang, label_key)
    return next(m.value for m in at.metric if m.label == label)


def png_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_in_both_languages(lang):
    open_in(PAGE, lang)  # no exception, no error box, the title and all text in `lang`


def test_default_photo_output_shape_matches_engine(at):
    # default: cat photo, gray, working size 128 -> 85x128, 3x3 kernel, valid, stride 1
    h, w = 85, 128
    assert metric(at, "conv.output_shape") == f"{h - 2} × {w - 2} × 1"
    assert metric(at, "conv.params") == "10"


def test_stride_padding_dilation_change_the_numbers(at):
    at.slider(key="conv_sh").set_value(2).run()
    at.slider(key="conv_sw").set_value(3).run()
    at.radio(key="conv_padding").set_value("explicit").run()
    at.number_input(key="conv_p").set_value(2).run()
    at.slider(key="conv_dil").set_value(2).run()
    axes = output_size.conv_output_hw((85, 128), (3, 3), (2, 3), 2, 2)
    assert metric(at, "conv.output_shape") == f"{axes[0].output} × {axes[1].output} × 1"
    assert any(f"= {axes[0].output}" in el.value for el in at.latex)
    at.slider(key="conv_k").set_value(5).run()
    at.radio(key="conv_padding").set_value("same").run()
    assert metric(at, "conv.output_shape") == "43 × 43 × 1"  # ceil(85/2) x ceil(128/3)
    assert_no_exception(at)


def test_the_feature_maps_show_the_engines_numbers(at):
    """Default photo, gray, Sobel x: the canvas maps carry conv2d's values and their ReLU."""
    at.slider(key="conv_sh").set_value(2).run()
    photo = images.builtin_photo(images.BUILTIN_PHOTOS[0], max_side=images.WORKING_SIZE).pixels
    gray = np.rint(images.to_grayscale(photo))
    kernel = kernels.stack_filters([kernels.stack_filter(kernels.preset_kernel("sobel_x", 3), 1)])
    x = conv.conv2d(gray[None], kernel, np.zeros(1), strides=(2, 1), padding="valid", dilation=1)[0]
    fmap, relu_map = raster(at, "conv_fmap_0"), raster(at, "conv_relu_0")
    np.testing.assert_array_equal(fmap["values"], x[..., 0])
    np.testing.assert_array_equal(relu_map["values"], np.maximum(x[..., 0], 0))
    assert fmap["values"].shape == (42, 126)  # stride 2 on 85 rows: floor((85 - 3) / 2) + 1
    assert fmap["title"] == translate("en", "conv.feature_map", n=1)
    assert fmap["zmin"] == -fmap["zmax"] == -np.abs(x).max()  # centred on 0: the sign shows


def test_small_maps_stay_plotly_heat_maps_with_their_numbers_in_the_cells(at):
    at.radio(key="conv_source").set_value("grid").run()
    at.session_state["conv_view"] = translate("en", "conv.views.maps")
    at.run()
    assert not raster_keys(at)
    fmap = chart(at, "conv_fmap_0")["data"][0]
    assert fmap["texttemplate"] == "%{text}"
    np.testing.assert_array_equal(array(fmap["z"]), at.session_state["conv_last_fmaps"][..., 0])


def test_settings_that_add_notes_do_not_move_the_charts(at):
    """A note under the formula (unused columns, uneven padding) or the padding legend must not
    shift the charts' positions: Streamlit would rebuild every chart after a new element from
    nothing in the browser (the 300-700 ms updates seen before)."""
    plain = chart_positions(at)
    assert {"conv_padded_fig", "conv_kernel_0", "conv_fmap_0", "conv_relu_0"} <= plain.keys()
    at.slider(key="conv_sw").set_value(2).run()  # 125 columns / 2: one unused column, a note
    assert translate("en", "conv.unused", n=1, axis=translate("en", "conv.axis.cols"), numerator=125,
                     stride=2) in shown_text(at)
    assert chart_positions(at) == plain
    at.slider(key="conv_k").set_value(4).run()
    at.radio(key="conv_padding").set_value("same").run()  # even kernel: uneven padding, a legend
    assert any(c.value == translate("en", "conv.padding_legend") for c in at.caption)
    assert chart_positions(at) == plain


def open_step_through(at, lang="en"):
    at.session_state["conv_view"] = translate(lang, "conv.views.step")
    return at.run()


def test_rgb_filters_have_depth_three_and_more_filters_add_maps(at):
    at.radio(key="conv_color").set_value("rgb").run()
    at.number_input(key="conv_filters").set_value(2).run()
    assert metric(at, "conv.params") == "56"  # (3*3*3 + 1) * 2
    assert metric(at, "conv.output_shape").endswith("× 2")
    assert translate("en", "conv.depth_rule", depth=3) in shown_text(at)
    assert_no_exception(at)
    assert not at.error
    assert chart_keys(at) == ["conv_padded_fig", "conv_kernel_0", "conv_kernel_1"]
    # large feature maps are canvas heat maps: map and ReLU per filter
    assert raster_keys(at) == ["conv_fmap_0", "conv_relu_0", "conv_fmap_1", "conv_relu_1"]
    open_step_through(at)
    assert not at.error
    assert len(charts(at)) == 2  # the stepper and the RGB trace, the maps tab is not run


def test_only_the_open_view_runs_and_it_survives_a_language_switch(at):
    assert not at.code  # the step-through's sums are not computed while the maps tab is open
    open_step_through(at)
    assert at.code
    assert len(charts(at)) == 2  # the stepper and the trace; no feature maps drawn
    at.session_state["lang"] = "ko"
    at.run()
    assert at.session_state["conv_view"] == translate("ko", "conv.views.step")
    assert at.code


def test_choosing_a_grid_opens_the_step_through_and_the_cell_editor(at):
    at.radio(key="conv_source").set_value("grid").run()
    assert at.session_state["conv_view"] == translate("en", "conv.views.step")
    assert at.session_state["conv_edit_0"] is True
    assert at.code and any(d.key.startswith("conv_cells_0_") for d in at.data_editor if d.key)


def test_curve_detector_grid_gives_6600_from_the_engine(at):
    at.radio(key="conv_source").set_value("grid").run()
    at.selectbox(key="conv_grid").set_value("curve_receptive_field").run()
    at.selectbox(key="conv_preset_0").set_value("curve_detector").run()
    assert metric(at, "conv.output_shape") == "1 × 1 × 1"
    expected = conv.conv_trace(datasets.GRIDS["curve_receptive_field"][..., None],
                               kernels.preset_kernel("curve_detector")[..., None, None]).result
    assert expected == 6600
    assert any("= 6600" in str(c.value) for c in at.code)
    at.selectbox(key="conv_grid").set_value("curve_elsewhere").run()
    assert any("0 = 0" in str(c.value) for c in at.code)


def test_each_source_renders(at):
    for source in ("digit", "shape", "grid", "photo"):
        at.radio(key="conv_source").set_value(source).run()
        assert_no_exception(at)
        assert at.metric, source


def test_upload_valid_then_corrupt_keeps_the_last_good_image(at):
    at.radio(key="conv_source").set_value("upload").run()
    assert translate("en", "conv.upload_hint") in shown_text(at)
    img = (np.arange(20 * 30 * 3) % 256).astype(np.uint8).reshape(20, 30, 3)
    at.file_uploader(key="conv_upload").set_value(("a.png", png_bytes(img), "image/png")).run()
    assert metric(at, "conv.output_shape") == "18 × 28 × 1"
    at.file_uploader(key="conv_upload").set_value(("b.png", b"\x89PNG not really", "image/png")).run()
    assert_no_exception(at)
    assert at.error and "image" in at.error[0].value.lower()
    assert metric(at, "conv.output_shape") == "18 × 28 × 1"


def test_impossible_combination_is_explained_not_raised(at):
    at.radio(key="conv_source").set_value("grid").run()  # 5x5 grid
    at.selectbox(key="conv_preset_0").set_value("box_blur").run()
    at.slider(key="conv_k").set_value(7).run()
    assert_no_exception(at)
    msg = translate("en", "errors.kernel_too_large", effective_kernel=7, padded_input=5)
    assert msg in [e.value for e in at.error]
    assert any("✗" in el.value for el in at.latex)


def test_bad_kernel_cell_shows_message_and_keeps_previous_kernel(at):
    at.radio(key="conv_source").set_value("grid").run()
    before = metric(at, "conv.output_shape")
    editor = next(d for d in at.data_editor if d.key and d.key.startswith("conv_cells_0_"))
    at.session_state[editor.key] = {"edited_rows": {1: {"1": "abc"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert_no_exception(at)
    assert translate("en", "errors.not_numeric_cell", name="Filter 1", row=2, col=2, value="abc") in [e.value for e in at.error]
    assert metric(at, "conv.output_shape") == before
    at.session_state[editor.key] = {"edited_rows": {0: {"0": ""}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert translate("en", "errors.empty_cell", name="Filter 1", row=1, col=1) in [e.value for e in at.error]
    at.session_state[editor.key] = {"edited_rows": {0: {"0": "nan"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert translate("en", "errors.nonfinite_cell", name="Filter 1", row=1, col=1) in [e.value for e in at.error]


def test_editing_a_kernel_cell_changes_the_feature_map(at):
    at.radio(key="conv_source").set_value("grid").run()
    first = [str(c.value) for c in at.code]
    editor = next(d for d in at.data_editor if d.key and d.key.startswith("conv_cells_0_"))
    at.session_state[editor.key] = {"edited_rows": {1: {"1": "5"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert [str(c.value) for c in at.code] != first
    assert not at.error


def test_an_edited_kernel_survives_closing_and_reopening_its_editor(at):
    at.radio(key="conv_source").set_value("grid").run()
    editor = next(d for d in at.data_editor if d.key and d.key.startswith("conv_cells_0_"))
    at.session_state[editor.key] = {"edited_rows": {1: {"1": "5"}}, "added_rows": [], "deleted_rows": []}
    edited = [str(c.value) for c in at.run().code]
    at.session_state["conv_edit_0"] = False
    at.run()
    assert not any(d.key and d.key.startswith("conv_cells_0_") for d in at.data_editor)
    assert [str(c.value) for c in at.code] == edited  # the closed editor's kernel is still used
    at.session_state["conv_edit_0"] = True
    at.run()
    reopened = next(d for d in at.data_editor if d.key and d.key.startswith("conv_cells_0_"))
    assert reopened.value.iloc[1, 1] == "5"  # it reopens with the edit
    assert [str(c.value) for c in at.code] == edited


def test_page_never_imports_tensorflow():
    code = ("import sys; from tests.app.helpers import open_page; at = open_page('pages/conv.py');"
            "assert not at.exception; print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False"
