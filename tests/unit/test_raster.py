"""visuals.raster: large maps as canvas pixels keep the colours, range and values of the Plotly heat maps."""
import base64

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from visuals import colors, heatmaps
from visuals.raster import _hex_to_rgb, colorize, heat_raster


def test_every_stop_gets_exactly_its_colour():
    stops = colors.DIVERGING
    values = np.array([[-10.0 + 20.0 * p for p, _ in stops]])
    rgba = colorize(values, -10.0, 10.0, stops)
    for i, (_, code) in enumerate(stops):
        assert tuple(rgba[0, i, :3]) == _hex_to_rgb(code)
        assert rgba[0, i, 3] == 255


def test_between_two_stops_the_colour_is_linear_in_rgb():
    stops = [[0.0, "#000000"], [1.0, "#C8640A"]]
    rgba = colorize(np.array([[0.25]]), 0.0, 1.0, stops)
    assert tuple(rgba[0, 0]) == (50, 25, 2, 255)  # a quarter of (200, 100, 10), rounded


def test_values_outside_the_range_are_clipped_and_missing_ones_transparent():
    stops = colors.GRAY
    rgba = colorize(np.array([[-5.0, 50.0, np.nan, np.inf]]), 0.0, 10.0, stops)
    assert tuple(rgba[0, 0, :3]) == (0, 0, 0)
    assert tuple(rgba[0, 1, :3]) == (255, 255, 255)
    assert rgba[0, 2, 3] == 0 and rgba[0, 3, 3] == 0


def test_signed_maps_centre_zero_on_white_like_the_plotly_heat_map():
    values = np.array([[-3.0, 0.0, 7.0]])
    raster = heat_raster(values, "map")
    figure = heatmaps.heatmap(values, "map").to_dict()["data"][0]
    assert (raster.zmin, raster.zmax) == (figure["zmin"], figure["zmax"]) == (-7.0, 7.0)
    assert raster.stops == [list(stop) for stop in colors.DIVERGING]  # checked for colour blindness
    assert tuple(raster.rgba[0, 1, :3]) == _hex_to_rgb(colors.DIVERGING[2][1])  # 0 is the white centre


def test_unsigned_maps_use_the_gray_scale_over_their_own_range():
    raster = heat_raster(np.array([[2.0, 4.0], [6.0, 10.0]]), "gray", signed=False)
    assert (raster.zmin, raster.zmax) == (2.0, 10.0)
    assert tuple(raster.rgba[0, 0, :3]) == (0, 0, 0) and tuple(raster.rgba[1, 1, :3]) == (255, 255, 255)
    flat = heat_raster(np.zeros((3, 3)), "flat", signed=False)
    assert flat.zmax > flat.zmin  # a constant map still has a usable range


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 40)),
              elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_the_payload_carries_the_exact_values_and_one_pixel_per_cell(values):
    payload = heat_raster(values, "t").payload()
    rows, cols = values.shape
    assert (payload["rows"], payload["cols"]) == (rows, cols)
    decoded = np.frombuffer(base64.b64decode(payload["values"]), dtype="<f8").reshape(rows, cols)
    np.testing.assert_array_equal(decoded, values)
    pixels = np.frombuffer(base64.b64decode(payload["rgba"]), dtype=np.uint8).reshape(rows, cols, 4)
    np.testing.assert_array_equal(pixels, heat_raster(values, "t").rgba)
    assert np.all(pixels[..., 3] == 255)
