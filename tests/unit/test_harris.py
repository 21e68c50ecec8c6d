"""engine.ops.harris: Harris response equal to skimage's corner_harris, the four-direction SSD on
hand-made flat / edge / corner pictures, and the gradients equal to the engine's Sobel conv."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from skimage.feature import corner_harris, corner_peaks

from engine.errors import EngineError, ERROR_KEYS
from engine.ops import harris as H
from engine.ops.conv import conv2d
from engine.ops.kernels import preset_kernel


@settings(max_examples=30, deadline=None)
@given(h=st.integers(3, 30), w=st.integers(3, 30), sigma=st.floats(0.3, 3.0),
       k=st.floats(0.0, 0.25), seed=st.integers(0, 2**32 - 1))
def test_response_equals_skimage_corner_harris(h, w, sigma, k, seed):
    img = np.random.default_rng(seed).random((h, w))
    ours = H.harris_response(img, k=k, window="gaussian", sigma=sigma)
    ref = corner_harris(img, method="k", k=k, sigma=sigma)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


def test_response_on_a_photo_equals_skimage():
    from skimage import data

    img = data.camera()[::4, ::4] / 255.0  # skimage's img_as_float scales uint8 the same way
    np.testing.assert_allclose(H.harris_response(img, 0.05, sigma=1.5),
                               corner_harris(img, k=0.05, sigma=1.5), rtol=1e-12, atol=1e-12)


def test_square_corners_match_skimage_peaks():
    square = np.zeros((10, 10))
    square[2:8, 2:8] = 1
    result = H.harris(square, threshold=0.01, min_distance=1)
    expected = corner_peaks(corner_harris(square), min_distance=1)
    assert sorted(map(tuple, result.corners)) == sorted(map(tuple, expected)) == [
        (2, 2), (2, 7), (7, 2), (7, 7)]
    big = H.harris(H.demo_image("square", 32), threshold=0.01)  # square rows/cols 8..23
    assert big.kinds[8, 8] == 2 and big.kinds[8, 16] == 1 and big.kinds[16, 16] == 0
    assert sorted(map(tuple, big.corners)) == [(8, 8), (8, 23), (23, 8), (23, 23)]


def test_gradients_are_the_sobel_filters_as_a_same_padded_convolution():
    img = np.random.default_rng(3).random((9, 12))
    ix, iy = H.gradients(img)
    kernel = np.stack([preset_kernel("sobel_x"), preset_kernel("sobel_y")], -1)[:, :, None, :]
    maps = conv2d(img[None, ..., None], kernel, padding="same")[0]
    np.testing.assert_allclose(ix, maps[..., 0], atol=1e-12)
    np.testing.assert_allclose(iy, maps[..., 1], atol=1e-12)


# ---- the four-direction SSD on hand-made pictures (10x10, window 3, pixel well inside)

def test_ssd_flat_is_zero_in_every_direction():
    maps = H.ssd_maps(H.demo_image("flat", 10), 3)
    for name in H.DIRECTIONS:
        assert maps[name][5, 5] == 0


def test_ssd_vertical_edge_changes_across_not_along():
    img = H.demo_image("edge", 10)  # columns 5.. are 1
    # window rows 4..6, columns 3..5 around (5, 4): moving it down keeps every value;
    # moving right makes column 4 (3 pixels) go 0 -> 1; diagonals the same 3 pixels
    maps = H.ssd_maps(img, 3)
    assert maps["vertical"][5, 4] == 0
    assert maps["horizontal"][5, 4] == 3
    assert maps["diagonal_down"][5, 4] == 3 and maps["diagonal_up"][5, 4] == 3
    assert maps["min"][5, 4] == 0  # Moravec: an edge is not a corner


def test_ssd_corner_changes_in_every_direction():
    img = np.zeros((10, 10))
    img[5:, 5:] = 1.0  # bright bottom-right quadrant, corner pixel (5, 5)
    traces = {d: H.ssd_trace(img, 5, 5, 3, d) for d in H.DIRECTIONS}
    # window rows 4..6, cols 4..6 holds 4 ones; cells that differ from the shifted window, by hand:
    assert {d: t.total for d, t in traces.items()} == {
        "horizontal": 2, "vertical": 2, "diagonal_down": 5, "diagonal_up": 3}
    np.testing.assert_array_equal(traces["horizontal"].window, img[4:7, 4:7])
    np.testing.assert_array_equal(traces["horizontal"].shifted, img[4:7, 5:8])
    np.testing.assert_array_equal(traces["diagonal_up"].shifted, img[3:6, 5:8])
    assert H.ssd_maps(img, 3)["min"][5, 5] == 2


@settings(max_examples=25, deadline=None)
@given(h=st.integers(2, 12), w=st.integers(2, 12), size=st.sampled_from([1, 3, 5]),
       seed=st.integers(0, 2**32 - 1), data=st.data())
def test_ssd_trace_equals_map_everywhere_even_at_borders(h, w, size, seed, data):
    img = np.random.default_rng(seed).random((h, w))
    row, col = data.draw(st.integers(0, h - 1)), data.draw(st.integers(0, w - 1))
    maps = H.ssd_maps(img, size)
    for d in H.DIRECTIONS:
        t = H.ssd_trace(img, row, col, size, d)
        assert t.total == pytest.approx(maps[d][row, col], rel=1e-12, abs=1e-12)
        # reference: edge-replicated picture, explicit double loop
        p = np.pad(img, size + 1, mode="edge")
        o = size + 1
        dy, dx = H.DIRECTIONS[d]
        ref = sum((p[o + r + dy, o + c + dx] - p[o + r, o + c]) ** 2
                  for r in range(row - size // 2, row + size // 2 + 1)
                  for c in range(col - size // 2, col + size // 2 + 1))
        assert t.total == pytest.approx(ref, rel=1e-12, abs=1e-12)


def test_box_window_is_a_plain_sum_and_point_values_agree():
    img = H.demo_image("square", 16)
    tensor = H.structure_tensor(img, "box", size=3)
    ix, iy = H.gradients(img)
    assert tensor.sxx[4, 4] == pytest.approx((ix[3:6, 3:6] ** 2).sum())
    r = H.response(tensor, 0.05)
    kinds = H.classify(r, 0.01)
    point = H.harris_at(tensor, r, kinds, 4, 4, 0.05)
    assert point.r == pytest.approx(point.det - 0.05 * point.trace ** 2)
    assert point.eigenvalues[0] * point.eigenvalues[1] == pytest.approx(point.det)
    assert point.kind == "corner"
    assert H.harris_at(tensor, r, kinds, 8, 8, 0.05).kind == "flat"
    assert H.harris_at(tensor, r, kinds, 4, 8, 0.05).kind == "edge"


def test_bad_settings_raise_their_keys():
    img = np.zeros((5, 5))
    cases = [
        ("bad_hyperparameter", lambda: H.ssd_maps(img, 4)),
        ("bad_hyperparameter", lambda: H.harris_response(img, k=0.3)),
        ("bad_hyperparameter", lambda: H.harris_response(img, sigma=0)),
        ("bad_mode", lambda: H.harris_response(img, window="disc")),
        ("bad_mode", lambda: H.ssd_trace(img, 0, 0, 3, "sideways")),
        ("position_out_of_range", lambda: H.ssd_trace(img, 5, 0)),
        ("bad_shape", lambda: H.harris_response(np.zeros((2, 3, 3)))),
        ("nonfinite", lambda: H.harris_response(np.full((3, 3), np.nan))),
    ]
    for key, call in cases:
        with pytest.raises(EngineError) as info:
            call()
        assert info.value.key == key and set(info.value.params) == set(ERROR_KEYS[key])


def test_example_points_pick_one_pixel_of_each_kind():
    result = H.harris(H.demo_image("square", 32))
    points = H.example_points(result)
    assert points["corner"] == (8, 8)  # top-left corner of the square (rows/cols 8..23)
    assert result.kinds[points["edge"]] == 1 and result.r[points["edge"]] == result.r.min()
    assert result.kinds[points["flat"]] == 0
    flat_trace = result.tensor.sxx + result.tensor.syy
    assert flat_trace[points["flat"]] == flat_trace[3:-3, 3:-3].min()


@pytest.mark.parametrize("min_distance", [1, 3, 5])
def test_corner_peaks_equal_skimage_on_a_photo(min_distance):
    from skimage import data

    img = data.camera()[::4, ::4] / 255.0
    r = H.harris_response(img)
    assert r.max() >= -r.min()  # then max|R| is max R, skimage's threshold_rel scale
    ours = H.corner_peaks(r, 0.01, min_distance)
    ref = corner_peaks(corner_harris(img), min_distance=min_distance, threshold_rel=0.01)
    assert sorted(map(tuple, ours)) == sorted(map(tuple, ref)) and len(ours) > 20
