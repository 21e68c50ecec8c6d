"""engine.data.datasets: seeded shapes, offline MNIST with its Keras-cache path, the course grids."""
import dataclasses

import numpy as np
import pytest

from engine.data.datasets import (GRIDS, SHAPE_CLASSES, MnistData, ShapeOptions, load_mnist,
                             make_shapes, mnist_digit, mnist_subset, shape_image)
from engine.errors import EngineError
from engine.ops.kernels import preset_kernel

STILL = ShapeOptions(position_jitter=0.0, scale_jitter=0.0, rotation_jitter=0.0, noise=0.0,
                     filled=True)


def area(image: np.ndarray) -> float:
    return float(image.sum() / 255)


# ---- shapes ----

@pytest.mark.parametrize("kind", SHAPE_CLASSES)
def test_shape_image_is_deterministic_with_the_right_shape(kind):
    image = shape_image(kind, seed=7)
    assert image.shape == (24, 24, 1) and image.dtype == np.float64
    assert 0 <= image.min() and image.max() <= 255
    np.testing.assert_array_equal(image, shape_image(kind, seed=7))
    assert not np.array_equal(image, shape_image(kind, seed=8))


def test_options_change_the_size():
    assert shape_image("circle", ShapeOptions(size=40), seed=1).shape == (40, 40, 1)


def test_a_clean_outline_is_white_on_black():
    image = shape_image("rectangle", dataclasses.replace(STILL, filled=False))[..., 0]
    assert image.max() == 255 and image[0, 0] == 0 and image[12, 12] == 0
    assert 0.1 < (image > 128).mean() < 0.4


def test_a_filled_circle_is_round_and_centred():
    image = shape_image("circle", STILL)[..., 0]
    rows, cols = np.indices(image.shape)
    weight = image / image.sum()
    centre_r, centre_c = (weight * rows).sum(), (weight * cols).sum()
    assert centre_r == pytest.approx(11.5, abs=0.3) and centre_c == pytest.approx(11.5, abs=0.3)
    var_r = (weight * (rows - centre_r) ** 2).sum()
    var_c = (weight * (cols - centre_c) ** 2).sum()
    assert var_r == pytest.approx(var_c, rel=0.05)
    radius = 0.3 * 24
    assert area(image) == pytest.approx(np.pi * radius**2, rel=0.1)
    assert var_r == pytest.approx(radius**2 / 4, rel=0.15)  # a disc's variance along one axis


def test_filled_areas_order_triangle_rectangle_circle():
    for seed in range(5):
        options = dataclasses.replace(STILL, rotation_jitter=30.0, scale_jitter=0.2)
        areas = [area(shape_image(kind, options, seed=seed)) for kind in SHAPE_CLASSES]
        assert areas[0] < areas[1] < areas[2], areas


def test_outline_is_thinner_than_filled():
    outline = shape_image("triangle", dataclasses.replace(STILL, filled=False, size=48))
    filled = shape_image("triangle", dataclasses.replace(STILL, size=48))
    assert area(outline) < 0.8 * area(filled)


def test_jittered_shapes_stay_inside_the_image():
    options = ShapeOptions(position_jitter=0.5, scale_jitter=0.6, noise=0.0, line_width=3)
    images, _ = make_shapes(100, options, seed=3)
    edges = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]])
    assert edges.max() < 100
    assert images.reshape(len(images), -1).max(axis=1).min() == 255


def test_noise_has_the_requested_spread():
    clean = shape_image("circle", dataclasses.replace(STILL, noise=0.0))
    noisy = shape_image("circle", dataclasses.replace(STILL, noise=0.2))
    diff = (noisy - clean)[6:18, 6:18][clean[6:18, 6:18] == 255]  # inside the disc: clipped above
    assert clean[0, 0, 0] == 0 and noisy.std() != clean.std()
    assert 0 <= noisy.min() and noisy.max() <= 255 and np.all(diff <= 0) and diff.min() < -40


def test_make_shapes_types_balance_and_shuffle():
    images, labels = make_shapes(1000, seed=0)  # speed sanity: 3,000 images
    assert images.shape == (3000, 24, 24, 1) and images.dtype == np.float32
    assert labels.shape == (3000,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [1000, 1000, 1000]
    assert 0 <= images.min() and images.max() <= 255
    assert not np.all(np.diff(labels) >= 0)  # shuffled, not sorted by class


def test_make_shapes_is_seeded():
    a = make_shapes(5, seed=1)
    b = make_shapes(5, seed=1)
    c = make_shapes(5, seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_make_shapes_draws_what_the_label_says():
    images, labels = make_shapes(20, STILL, seed=4, classes=("circle", "triangle"))
    assert set(labels.tolist()) == {0, 1}
    areas = images.reshape(len(images), -1).sum(axis=1) / 255
    assert areas[labels == 0].min() > areas[labels == 1].max()  # circles are bigger


@pytest.mark.parametrize("call", [
    lambda: shape_image("hexagon"),
    lambda: shape_image("circle", ShapeOptions(size=4)),
    lambda: shape_image("circle", ShapeOptions(line_width=0)),
    lambda: shape_image("circle", ShapeOptions(noise=-0.1)),
    lambda: shape_image("circle", ShapeOptions(position_jitter=0.9)),
    lambda: make_shapes(0),
    lambda: make_shapes(3, classes=()),
    lambda: make_shapes(3, classes=("circle", "circle")),
    lambda: make_shapes(3, classes=("star",)),
])
def test_bad_shape_options_are_refused(call):
    with pytest.raises(EngineError) as info:
        call()
    assert info.value.key == "bad_hyperparameter"


# ---- MNIST ----

def test_mnist_subset():
    images, labels = mnist_subset()
    assert images.shape == (5000, 28, 28, 1) and images.dtype == np.float32
    assert labels.shape == (5000,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [500] * 10
    assert images.min() == 0 and images.max() == 255
    images[0] = -1  # a copy: the cached subset is untouched
    assert mnist_subset()[0].min() == 0


def test_mnist_digit():
    digit = mnist_digit(4321)
    assert digit.shape == (28, 28, 1) and digit.dtype == np.float64
    np.testing.assert_array_equal(digit, mnist_subset()[0][4321])
    for bad in (-1, 5000, 1.5):
        with pytest.raises(EngineError):
            mnist_digit(bad)


def rows_as_bytes(images: np.ndarray) -> set[bytes]:
    return {image.tobytes() for image in images}


def test_load_mnist_falls_back_to_a_stratified_subset(tmp_path):
    data = load_mnist(cache_path=str(tmp_path / "missing.npz"))
    assert isinstance(data, MnistData)
    assert (data.source, data.note) == ("embedded_subset", "no_cache")
    assert data.images_train.shape == (4000, 28, 28, 1) and data.images_test.shape == (1000, 28, 28, 1)
    assert np.bincount(data.labels_train).tolist() == [400] * 10
    assert np.bincount(data.labels_test).tolist() == [100] * 10
    assert not rows_as_bytes(data.images_train) & rows_as_bytes(data.images_test)
    again = load_mnist(prefer_full=False)
    assert again.note == "not_requested"
    np.testing.assert_array_equal(again.labels_train, data.labels_train)


def fake_mnist(path, n_train=20, n_test=10):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
              "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, n_test).astype(np.uint8)}
    np.savez(path, **arrays)
    return arrays


def test_load_mnist_reads_a_keras_cache_file(tmp_path):
    path = tmp_path / "mnist.npz"
    arrays = fake_mnist(path)
    data = load_mnist(cache_path=str(path))
    assert (data.source, data.note) == ("keras_full", "keras_cache")
    assert data.images_train.shape == (20, 28, 28, 1) and data.images_train.dtype == np.float32
    assert data.labels_test.shape == (10,) and data.labels_test.dtype == np.int64
    np.testing.assert_array_equal(data.images_test[..., 0], arrays["x_test"])
    np.testing.assert_array_equal(data.labels_train, arrays["y_train"])
    assert load_mnist(prefer_full=False, cache_path=str(path)).source == "embedded_subset"


def test_load_mnist_finds_the_default_keras_cache(tmp_path, monkeypatch):
    (tmp_path / "datasets").mkdir()
    fake_mnist(tmp_path / "datasets" / "mnist.npz", n_train=12)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert load_mnist().images_train.shape[0] == 12


def test_unreadable_cache_files_fall_back(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, x_train=np.zeros((3, 10, 10)), y_train=np.zeros(3), x_test=np.zeros((1, 28, 28)),
             y_test=np.zeros(1))
    missing_key = tmp_path / "partial.npz"
    np.savez(missing_key, x_train=np.zeros((3, 28, 28)))
    for path in (garbage, wrong, missing_key):
        data = load_mnist(cache_path=str(path))
        assert (data.source, data.note) == ("embedded_subset", "cache_unreadable")


# ---- grids ----

def test_grids_values_and_types():
    assert set(GRIDS) == {"grid5", "grid7", "curve_receptive_field", "curve_elsewhere", "pool4", "gap6"}
    shapes = {"grid5": (5, 5), "grid7": (7, 7), "curve_receptive_field": (7, 7),
              "curve_elsewhere": (7, 7), "pool4": (4, 4), "gap6": (6, 6)}
    for name, grid in GRIDS.items():
        assert grid.shape == shapes[name] and grid.dtype == np.float64
        assert not grid.flags.writeable
    np.testing.assert_array_equal(GRIDS["grid5"], [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1],
                                                   [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    np.testing.assert_array_equal(GRIDS["pool4"], [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
    assert GRIDS["gap6"].mean() == 2.0
    assert set(np.unique(GRIDS["grid7"])) <= {0, 1, 2, 3}
    assert GRIDS["curve_receptive_field"][0, 6] == 30 and GRIDS["curve_elsewhere"][6, 0] == 25


def test_curve_detector_fires_only_on_the_curve():
    detector = preset_kernel("curve_detector")
    assert (detector * GRIDS["curve_receptive_field"]).sum() == 6600
    assert (detector * GRIDS["curve_elsewhere"]).sum() == 0


def test_pool4_max_pools_to_the_course_answer():
    pooled = GRIDS["pool4"].reshape(2, 2, 2, 2).max(axis=(1, 3))
    np.testing.assert_array_equal(pooled, [[6, 8], [3, 4]])
