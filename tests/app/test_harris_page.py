"""AppTest: the Harris page runs in both languages, every control changes the result, and the
four-direction E, M, R, the classes and the corners shown are the engine's."""
import numpy as np
import pytest

from engine.data import images
from engine.ops import harris
from tests.app.figure_data import array, chart
from tests.app.helpers import assert_no_exception, open_in, shown_text
from ui.i18n import translate
from visuals.formulas import fmt

PAGE = "pages/harris.py"
SQUARE = harris.demo_image("square", 32)


def metric(at, key, lang="en"):
    return next(m.value for m in at.metric if m.label == translate(lang, key))


def latex(at) -> str:
    return "\n".join(el.value for el in at.latex)


def engine_point(image, row, col, k=0.05, **kw):
    result = harris.harris(image, k, **kw)
    return result, harris.harris_at(result.tensor, result.r, result.kinds, row, col, k)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_renders_in_both_languages(lang):
    page = open_in(PAGE, lang)
    assert metric(page, "harris.kind", lang) == translate(lang, "harris.kinds.corner")


def test_strongest_corner_numbers_are_the_engines(at):
    result, point = engine_point(SQUARE, 8, 8, min_distance=3)
    assert harris.example_points(result)["corner"] == (8, 8)
    assert metric(at, "harris.response") == fmt(point.r)
    assert f"\\begin{{bmatrix}} {fmt(point.sxx)} & {fmt(point.sxy)}" in latex(at)
    assert f"= {fmt(point.det)}" in latex(at) and f"\\lambda_1 = {fmt(point.eigenvalues[0])}" in latex(at)
    assert metric(at, "harris.corners_found") == str(len(result.corners)) == "4"
    assert metric(at, "harris.kind_pixels.edge") == f"{result.counts['edge']:,}"
    corners = chart(at, "harris_corners")["data"][1]
    assert sorted(zip(array(corners["y"]).astype(int), array(corners["x"]).astype(int))) == sorted(
        map(tuple, result.corners))


def test_four_direction_energies_at_corner_edge_and_flat(at):
    for point, kind in (("corner", "corner"), ("edge", "edge"), ("flat", "flat")):
        at.radio(key="harris_point").set_value(point).run()
        row, col = harris.example_points(harris.harris(SQUARE, min_distance=3))[point]
        expected = [harris.ssd_trace(SQUARE, row, col, 3, d).total for d in harris.DIRECTIONS]
        np.testing.assert_array_equal(array(chart(at, "harris_energies")["data"][0]["y"]), expected)
        assert metric(at, "harris.kind") == translate("en", f"harris.kinds.{kind}")
        title = chart(at, "harris_sq_horizontal")["layout"]["title"]["text"]
        assert title.endswith(f"= {fmt(expected[0])}")
    assert expected == [0, 0, 0, 0]  # flat: nothing changes in any direction


def test_window_size_of_the_ssd(at):
    at.slider(key="harris_ssd_size").set_value(5).run()
    expected = [harris.ssd_trace(SQUARE, 8, 8, 5, d).total for d in harris.DIRECTIONS]
    np.testing.assert_array_equal(array(chart(at, "harris_energies")["data"][0]["y"]), expected)
    assert translate("en", "harris.moravec", value=fmt(min(expected))) in shown_text(at)


def test_k_sigma_and_box_window_change_r(at):
    at.slider(key="harris_k").set_value(0.1).run()
    assert metric(at, "harris.response") == fmt(engine_point(SQUARE, 8, 8, 0.1)[1].r)
    at.slider(key="harris_sigma").set_value(2.0).run()
    result, point = engine_point(SQUARE, 0, 0, 0.1, sigma=2.0, min_distance=3)
    row, col = harris.example_points(result)["corner"]
    _, point = engine_point(SQUARE, row, col, 0.1, sigma=2.0, min_distance=3)
    assert metric(at, "harris.response") == fmt(point.r)
    at.radio(key="harris_window").set_value("box").run()
    at.slider(key="harris_box").set_value(5).run()
    result = harris.harris(SQUARE, 0.1, "box", size=5, min_distance=3)
    row, col = harris.example_points(result)["corner"]
    _, point = engine_point(SQUARE, row, col, 0.1, window="box", size=5, min_distance=3)
    assert metric(at, "harris.response") == fmt(point.r)
    assert_no_exception(at)


def test_custom_pixel(at):
    at.radio(key="harris_point").set_value("custom").run()
    at.slider(key="harris_row").set_value(8).run()
    at.slider(key="harris_col").set_value(15).run()
    _, point = engine_point(SQUARE, 8, 15)
    assert metric(at, "harris.kind") == translate("en", "harris.kinds.edge") == translate(
        "en", f"harris.kinds.{point.kind}")
    assert metric(at, "harris.response") == fmt(point.r)
    assert translate("en", "harris.neighbourhood", row=8, col=15) in chart(at, "harris_neigh")["layout"]["title"]["text"]


def test_photo_threshold_and_distance_change_the_corners(at):
    at.radio(key="harris_source").set_value("photo").run()
    image = images.to_grayscale(images.builtin_photo("camera", 128).pixels)[..., 0] / 255.0
    found = [len(harris.harris(image, threshold=0.01, min_distance=3).corners)]
    assert metric(at, "harris.corners_found") == str(found[0])
    at.select_slider(key="harris_threshold").set_value(0.05).run()
    found.append(len(harris.harris(image, threshold=0.05, min_distance=3).corners))
    assert metric(at, "harris.corners_found") == str(found[1])
    at.slider(key="harris_min_dist").set_value(8).run()
    found.append(len(harris.harris(image, threshold=0.05, min_distance=8).corners))
    assert metric(at, "harris.corners_found") == str(found[2])
    assert found[0] > found[1] > found[2]
    kinds = array(chart(at, "harris_kinds")["data"][0]["z"])
    np.testing.assert_array_equal(kinds, harris.harris(image, threshold=0.05, min_distance=8).kinds)


def test_shape_source_and_sobel_equivalence(at):
    at.radio(key="harris_source").set_value("shape").run()
    assert_no_exception(at)
    assert not at.error
    prefix, suffix = translate("en", "harris.sobel_check").split("{diff}")
    text = next(m.value for m in at.markdown if m.value.startswith(prefix))
    assert float(text[len(prefix):-len(suffix)]) < 1e-12  # Sobel conv (engine.ops.conv) == gradients
