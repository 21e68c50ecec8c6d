"""engine.ops.kernels and engine.data.grids: preset shapes and sums, identity really is identity, grid parsing and formatting."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.signal import correlate2d

from engine.errors import EngineError, ERROR_KEYS
from engine.data.grids import grid_to_cells, parse_grid
from engine.ops.kernels import FIXED_SIZE, PRESETS, preset_kernel, stack_filter

SIZES = range(1, 8)
ADAPTIVE = [name for name in PRESETS if name not in FIXED_SIZE]
CASES = [(name, size) for name in ADAPTIVE for size in SIZES] + [(name, 3) for name in FIXED_SIZE]


@pytest.mark.parametrize("name, size", CASES)
def test_every_preset_has_the_requested_shape(name, size):
    kernel = preset_kernel(name, size)
    assert kernel.shape == (FIXED_SIZE.get(name, size),) * 2
    assert kernel.dtype == np.float64 and np.all(np.isfinite(kernel))


@pytest.mark.parametrize("name", list(FIXED_SIZE))
def test_fixed_presets_ignore_size(name):
    np.testing.assert_array_equal(preset_kernel(name, 1), preset_kernel(name, 5))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", ["box_blur", "gaussian_blur", "sharpen", "identity"])
def test_blurs_and_sharpen_sum_to_one(name, size):
    assert preset_kernel(name, size).sum() == pytest.approx(1.0)


@pytest.mark.parametrize("size", SIZES)
def test_blurs_are_nonnegative_and_symmetric(size):
    for name in ("box_blur", "gaussian_blur"):
        kernel = preset_kernel(name, size)
        assert kernel.min() >= 0
        np.testing.assert_allclose(kernel, kernel.T)
        np.testing.assert_allclose(kernel, kernel[::-1, ::-1])


@pytest.mark.parametrize("name, size", [("laplacian", s) for s in SIZES] + [("sobel_x", 3),
                                                                           ("sobel_y", 3)])
def test_laplacian_and_sobel_sum_to_zero(name, size):
    assert preset_kernel(name, size).sum() == pytest.approx(0.0, abs=1e-12)


def test_known_values():
    np.testing.assert_array_equal(preset_kernel("sobel_x"), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(preset_kernel("sobel_y"), preset_kernel("sobel_x").T)
    np.testing.assert_array_equal(preset_kernel("emboss"), [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
    np.testing.assert_array_equal(preset_kernel("laplacian", 3),
                                  [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    np.testing.assert_allclose(preset_kernel("gaussian_blur", 3),
                               np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16)
    np.testing.assert_allclose(preset_kernel("sharpen", 3),
                               2 * np.eye(3)[1][:, None] * np.eye(3)[1] - 1 / 9)
    curve = np.zeros((7, 7))
    for row, col in [(0, 5), (1, 4), (2, 3), (3, 3), (4, 3), (5, 3)]:
        curve[row, col] = 30
    np.testing.assert_array_equal(preset_kernel("curve_detector"), curve)


@pytest.mark.parametrize("size", SIZES)
def test_identity_has_one_one_at_the_centre_cell(size):
    kernel = preset_kernel("identity", size)
    centre = (size - 1) // 2
    assert kernel[centre, centre] == 1 and kernel.sum() == 1 and np.count_nonzero(kernel) == 1


@pytest.mark.parametrize("size", [1, 3, 5, 7])
def test_identity_leaves_an_image_unchanged(size):
    image = np.random.default_rng(size).uniform(0, 255, (12, 9))
    out = correlate2d(image, preset_kernel("identity", size), mode="same")
    np.testing.assert_allclose(out, image)


@pytest.mark.parametrize("size", [2, 4, 6])
def test_even_identity_matches_tensorflow_same_padding(size):
    """'same' pads (K-1)//2 before and the rest after, so the centre cell is (K-1)//2."""
    image = np.random.default_rng(size).uniform(0, 255, (10, 11))
    before = (size - 1) // 2
    padded = np.pad(image, ((before, size - 1 - before),) * 2)
    out = correlate2d(padded, preset_kernel("identity", size), mode="valid")
    np.testing.assert_allclose(out, image)


def test_random_is_seeded_and_scaled():
    np.testing.assert_array_equal(preset_kernel("random", 5, seed=4), preset_kernel("random", 5, seed=4))
    assert not np.array_equal(preset_kernel("random", 5, seed=4), preset_kernel("random", 5, seed=5))
    big = np.concatenate([preset_kernel("random", 7, seed=s).ravel() for s in range(60)])
    assert big.std() == pytest.approx(1 / 7, rel=0.1)


@pytest.mark.parametrize("size, key", [(0, "kernel_lt_1"), (-1, "kernel_lt_1"),
                                       (8, "bad_hyperparameter"), (2.0, "bad_hyperparameter"),
                                       (True, "bad_hyperparameter")])
def test_bad_sizes(size, key):
    with pytest.raises(EngineError) as info:
        preset_kernel("box_blur", size)
    assert info.value.key == key


def test_unknown_preset():
    with pytest.raises(EngineError) as info:
        preset_kernel("blurry")
    assert info.value.key == "bad_hyperparameter" and info.value.params["value"] == "blurry"


def test_stack_filter_keeps_an_rgb_blur_in_range():
    kernel = stack_filter(preset_kernel("box_blur", 3), 3)
    assert kernel.shape == (3, 3, 3)
    np.testing.assert_allclose(kernel[..., 2], np.full((3, 3), 1 / 27))
    white = np.full((3, 3, 3), 255.0)
    assert (white * kernel).sum() == pytest.approx(255.0)
    np.testing.assert_array_equal(stack_filter([[1, 2], [3, 4]], 1)[..., 0], [[1, 2], [3, 4]])


@pytest.mark.parametrize("depth", [0, -2, 1.5])
def test_stack_filter_rejects_bad_depth(depth):
    with pytest.raises(EngineError):
        stack_filter(np.ones((3, 3)), depth)


# ---- editor grid ----

def test_parse_grid_accepts_every_listed_form():
    cells = [["1", " -2.5 ", "1/9"], ["1e-3", 4, 0.25], [np.float32(2), "+3", "\u22122"]]
    np.testing.assert_allclose(parse_grid(cells, "kernel"),
                               [[1, -2.5, 1 / 9], [0.001, 4, 0.25], [2, 3, -2]])
    assert parse_grid(cells, "kernel").dtype == np.float64


@pytest.mark.parametrize("value, key", [
    (None, "empty_cell"), ("", "empty_cell"), ("   ", "empty_cell"),
    ("abc", "not_numeric_cell"), ("1/x", "not_numeric_cell"), ("1/2/3", "not_numeric_cell"),
    (True, "not_numeric_cell"), ([1], "not_numeric_cell"),
    ("nan", "nonfinite_cell"), ("inf", "nonfinite_cell"), (float("nan"), "nonfinite_cell"),
    (float("-inf"), "nonfinite_cell"), ("1e999", "nonfinite_cell"), ("1/0", "nonfinite_cell"),
])
def test_parse_grid_errors_name_the_cell(value, key):
    cells = [["1", "2", "3"], ["4", "5", value]]
    with pytest.raises(EngineError) as info:
        parse_grid(cells, "kernel")
    assert info.value.key == key
    assert info.value.params["row"] == 2 and info.value.params["col"] == 3
    assert info.value.params["name"] == "kernel"
    assert set(info.value.params) == set(ERROR_KEYS[key])


def test_not_numeric_cell_reports_the_value():
    with pytest.raises(EngineError) as info:
        parse_grid([[" x1 "]], "input")
    assert info.value.params == {"name": "input", "row": 1, "col": 1, "value": "x1"}


def test_first_bad_cell_in_reading_order_wins():
    with pytest.raises(EngineError) as info:
        parse_grid([["1", "a"], [None, "2"]], "g")
    assert (info.value.key, info.value.params["row"], info.value.params["col"]) == ("not_numeric_cell", 1, 2)


@pytest.mark.parametrize("cells, key", [([], "empty_input"), ([[]], "empty_input"),
                                        ([["1", "2"], ["3"]], "bad_shape"), ("12", "bad_shape")])
def test_parse_grid_rejects_bad_grids(cells, key):
    with pytest.raises(EngineError) as info:
        parse_grid(cells, "g")
    assert info.value.key == key


def test_grid_to_cells_is_short_and_clean():
    cells = grid_to_cells([[1 / 9, 30, -2.5], [0, -0.0, 1 / 4096], [1e-7, 123456.7, 2 / 3]])
    assert cells == [["1/9", "30", "-2.5"], ["0", "0", "0.0002441"], ["1e-07", "123500", "2/3"]]
    assert grid_to_cells(preset_kernel("sobel_x")) == [["-1", "0", "1"], ["-2", "0", "2"], ["-1", "0", "1"]]


def test_grid_to_cells_rejects_nonfinite():
    with pytest.raises(EngineError):
        grid_to_cells([[1.0, np.nan]])


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 7), st.integers(1, 7)),
              elements=st.floats(-1e20, 1e20, allow_nan=False, allow_infinity=False)))
def test_round_trip_stays_within_rounding(array):
    back = parse_grid(grid_to_cells(array), "g")
    np.testing.assert_allclose(back, array, rtol=5e-4, atol=1e-300)
