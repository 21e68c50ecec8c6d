"""AppTest: a share link restores a page's settings (and language), a tampered link falls back to the
defaults with a notice, and the share popover writes the link of what is on screen."""
import pytest

from tests.app.helpers import assert_no_exception, open_link, page_params, shared_link
from ui import share
from ui.i18n import translate


def test_pooling_link_restores_the_settings_and_language():
    at = open_link("pages/pooling.py", {"lang": "en", "pool_mode": "avg", "pool_size": "3", "pool_stride": "1",
                                        "pool_padding": "same", "pool_grid": "gap6"})
    assert_no_exception(at)
    assert at.title[0].value == translate("en", "pool.heading")
    assert at.radio(key="pool_mode").value == "avg"
    assert (at.slider(key="pool_size").value, at.slider(key="pool_stride").value) == (3, 1)
    assert at.radio(key="pool_padding").value == "same"
    assert at.selectbox(key="pool_grid").value == "gap6"
    assert not at.warning


def test_pooling_link_round_trips_through_the_popover_with_an_edited_grid():
    at = open_link("pages/pooling.py", {"lang": "ko", "pool_mode": "max", "pool_size": "3"})
    editor = at.data_editor(key="pool_cells_pool4")
    at.session_state[editor.key] = {"edited_rows": {0: {"0": "42"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    query = shared_link(at)
    assert query["lang"] == "ko" and query["pool_size"] == "3" and query["pool_mode"] == "max"
    assert query["pool_cells"].startswith("42,")
    again = open_link("pages/pooling.py", query)
    assert_no_exception(again)
    assert again.slider(key="pool_size").value == 3
    assert again.data_editor(key="pool_cells_pool4").value.iloc[0, 0] == "42"
    assert [str(c.value) for c in again.code] == [str(c.value) for c in at.code if "?lang=" not in str(c.value)]


def test_tampered_link_keeps_the_defaults_and_says_which_settings():
    at = open_link("pages/pooling.py", {"lang": "en", "pool_size": "99", "pool_mode": "<script>",
                                        "pool_stride": "3", "pool_secret": "1"})
    assert_no_exception(at)
    assert at.slider(key="pool_size").value == 2  # the default
    assert at.radio(key="pool_mode").value == "max"
    assert at.slider(key="pool_stride").value == 3  # the valid one is kept
    warning = at.warning[0].value
    for name in ("pool\\_size", "pool\\_mode", "pool\\_secret"):
        assert name in warning
    at.slider(key="pool_stride").set_value(1).run()  # the link is applied once, not on every rerun
    assert at.slider(key="pool_stride").value == 1 and not at.warning


def test_optimizer_link_restores_surface_rates_and_hyperparameters():
    query = {"lang": "en", "opt_surface": "rosenbrock", "opt_show": "sgd,adam", "opt_beta1": "0.5",
             "opt_eps": "0.001", "opt_lr_rosenbrock": "0.002", "opt_steps_rosenbrock": "120"}
    at = open_link("pages/optimizers.py", query)
    assert_no_exception(at)
    assert not at.warning
    assert at.selectbox(key="opt_surface").value == "rosenbrock"
    assert at.slider(key="opt_beta1").value == 0.5
    assert at.select_slider(key="opt_eps").value == 0.001
    assert at.select_slider(key="opt_lr_rosenbrock").value == 0.002
    assert at.slider(key="opt_steps_rosenbrock").value == 120
    link = shared_link(at)
    assert {k: link[k] for k in query} == query


def test_convolution_link_brings_the_course_example_and_edited_cells():
    query = {"lang": "en", "conv_source": "grid", "conv_grid": "curve_receptive_field",
             "conv_preset_0": "curve_detector", "conv_edit_0": "1", "conv_view": translate("en", "conv.views.step")}
    at = open_link("pages/conv.py", query)
    assert_no_exception(at)
    assert any("= 6600" in str(c.value) for c in at.code)
    editor = next(d for d in at.data_editor if d.key and d.key.startswith("conv_cells_0_"))
    at.session_state[editor.key] = {"edited_rows": {1: {"5": "-3"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not any("= 6600" in str(c.value) for c in at.code)  # the edited weight meets a 50
    at.slider(key="conv_sh").set_value(2).run()
    sums = [str(c.value) for c in at.code]
    link = shared_link(at)
    assert link["conv_sh"] == "2" and share.decode(share.grid("conv_cells_0"), link["conv_cells_0"])[1, 5] == -3
    again = open_link("pages/conv.py", {**link, "lang": "ko"})
    assert_no_exception(again)
    assert not again.warning
    assert again.session_state["conv_view"] == translate("ko", "conv.views.step")
    def products(codes):  # the sums written out, without the translated "plus bias" line
        return [c.split("\n")[0] for c in codes if "?lang=" not in c]
    assert products(str(c.value) for c in again.code) == products(sums)


@pytest.mark.parametrize("page_path,query", [
    ("pages/batchnorm.py", {"bn_source": "shape", "bn_size": "40", "bn_n": "5", "bn_gamma": "2.5",
                            "bn_momentum": "0.9", "bn_mode": "infer", "bn_filters": "sobel_x,laplacian"}),
    ("pages/harris.py", {"harris_window": "box", "harris_box": "5", "harris_k": "0.1",
                         "harris_threshold": "0.05", "harris_point": "edge"}),
    ("pages/softmax_dropout.py", {"sm_mode": "probs", "sm_drop_rate": "0.25", "sm_drop_phase": "inference"}),
])
def test_other_pages_links_round_trip(page_path, query):
    at = open_link(page_path, {"lang": "en", **query})
    assert_no_exception(at)
    assert not at.warning and not at.error
    for key, text in query.items():
        shown = at.session_state[key]
        assert share.encode(next(p for p in page_params(page_path) if p.key == key), shown) == text, key
    link = shared_link(at)
    assert {k: link[k] for k in query} == query


def test_a_language_switch_does_not_bring_the_link_back_over_the_students_changes():
    at = open_link("pages/pooling.py", {"lang": "en", "pool_size": "3"})
    at.slider(key="pool_size").set_value(5).run()
    at.session_state["lang_switch"] = "ko"
    at.session_state["lang"] = "ko"
    at.run()
    assert at.title[0].value == translate("ko", "pool.heading")
    assert at.slider(key="pool_size").value == 5
