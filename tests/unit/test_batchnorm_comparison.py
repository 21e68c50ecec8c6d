"""The batch-norm page's engine: engine.lessons.batchnorm_batches' batches and statistics against
keras.layers.BatchNormalization over successive batches, engine.learn.batchnorm_comparison's seeded
with/without-BN training, and visuals.batchnorm."""
import os
import subprocess
import sys
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from engine.errors import EngineError  # noqa: E402
from engine.learn import batchnorm_comparison  # noqa: E402
from engine.lessons import batchnorm_batches  # noqa: E402
from engine.ops.batchnorm import batchnorm_param_count  # noqa: E402
from engine.shapes import layers  # noqa: E402
from visuals import batchnorm as V  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- batches


@pytest.mark.parametrize("source", batchnorm_batches.SOURCES)
def test_batches_are_seeded_scaled_and_move_on(source):
    first = batchnorm_batches.make_batch(source, 6, 24, 0)
    side = 28 if source == "digit" else 24
    assert first.shape == (6, side, side, 1) and first.dtype == np.float64
    assert 0.0 <= first.min() and first.max() <= 1.0 and first.max() > 0.5
    np.testing.assert_array_equal(first, batchnorm_batches.make_batch(source, 6, 24, 0))
    assert not np.array_equal(first, batchnorm_batches.make_batch(source, 6, 24, 1))
    assert not np.array_equal(first, batchnorm_batches.make_batch(source, 6, 24, 0, seed=1))


def test_feature_maps_are_the_conv_of_the_presets():
    batch = batchnorm_batches.make_batch("shape", 3, 16, 2)
    kernel = batchnorm_batches.filter_bank(("sobel_x", "box_blur"))
    assert kernel.shape == (3, 3, 1, 2)
    maps = batchnorm_batches.conv_layer_maps(batch, kernel)
    assert maps.shape == (3, 14, 14, 2)
    # one output value by hand: the window times the Sobel filter, summed
    window = batch[1, 4:7, 5:8, 0]
    assert maps[1, 4, 5, 0] == pytest.approx(float((window * kernel[:, :, 0, 0]).sum()))
    assert batchnorm_batches.conv_layer_maps(batch, kernel, relu=True).min() >= 0


def test_bad_batch_settings_raise_engine_errors():
    cases = [(lambda: batchnorm_batches.make_batch("video", 4, 32, 0), "bad_mode"),
             (lambda: batchnorm_batches.make_batch("photo", 0, 32, 0), "bad_hyperparameter"),
             (lambda: batchnorm_batches.make_batch("photo", 4, 8, 0), "bad_hyperparameter"),
             (lambda: batchnorm_batches.filter_bank(()), "bad_hyperparameter"),
             (lambda: batchnorm_batches.run_training(batchnorm_batches.BatchSetup(), 0, np.ones(3), np.zeros(3)),
              "bad_hyperparameter")]
    for call, key in cases:
        with pytest.raises(EngineError) as err:
            call()
        assert err.value.key == key


# ---------------------------------------------------------------- statistics against Keras


@pytest.mark.parametrize("setup, momentum, epsilon", [
    (batchnorm_batches.BatchSetup("photo", 4, 20), 0.99, 1e-3),
    (batchnorm_batches.BatchSetup("digit", 5, 28, ("sobel_y", "sharpen"), relu=True), 0.9, 1e-2),
    (batchnorm_batches.BatchSetup("shape", 3, 16, ("laplacian",)), 0.5, 1e-5),
])
def test_training_steps_and_inference_match_keras_batchnorm(setup, momentum, epsilon):
    import keras

    channels = len(setup.filters)
    rng = np.random.default_rng(0)
    gamma, beta = rng.uniform(0.5, 2, channels), rng.uniform(-1, 1, channels)
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, dtype="float64")
    layer.build((None, None, None, channels))
    layer.set_weights([gamma, beta, np.zeros(channels), np.ones(channels)])
    steps = 7
    for k in range(steps):
        out = keras.ops.convert_to_numpy(layer(setup.maps(setup.batch(k)), training=True))
    traj = batchnorm_batches.run_training(setup, steps, gamma, beta, momentum, epsilon)
    np.testing.assert_allclose(traj.last_result.output, out, rtol=1e-9, atol=1e-10)
    _, _, moving_mean, moving_var = layer.get_weights()
    np.testing.assert_allclose(traj.moving_means[-1], moving_mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(traj.moving_variances[-1], moving_var, rtol=1e-9, atol=1e-12)
    inferred = keras.ops.convert_to_numpy(layer(traj.last_maps, training=False))
    np.testing.assert_allclose(batchnorm_batches.inference(traj, epsilon).output, inferred, rtol=1e-9, atol=1e-10)
    assert traj.batch_means.shape == (steps, channels) and traj.moving_means.shape == (steps + 1, channels)


def test_moving_statistics_follow_the_momentum_rule():
    traj = batchnorm_batches.run_training(batchnorm_batches.BatchSetup("shape", 4, 16), 5, np.ones(3), np.zeros(3), 0.8)
    np.testing.assert_array_equal(traj.moving_means[0], 0)
    np.testing.assert_array_equal(traj.moving_variances[0], 1)
    np.testing.assert_allclose(traj.moving_means[1:], 0.8 * traj.moving_means[:-1] + 0.2 * traj.batch_means)
    np.testing.assert_allclose(traj.moving_variances[1:],
                               0.8 * traj.moving_variances[:-1] + 0.2 * traj.batch_variances)


def test_channel_numbers_write_out_the_mean_and_variance():
    traj = batchnorm_batches.run_training(batchnorm_batches.BatchSetup("photo", 3, 16), 2, np.array([2.0, 1, 1]),
                               np.array([0.5, 0, 0]))
    values = traj.last_maps[..., 0]
    n = batchnorm_batches.channel_numbers(traj.last_maps, traj.last_result, 0, training=True)
    assert n.count == values.size == 3 * 14 * 14
    assert n.total == pytest.approx(values.sum()) and n.used_mean == pytest.approx(n.total / n.count)
    assert n.variance == pytest.approx(values.var()) == pytest.approx(n.used_variance)
    assert n.x_hat[0] == pytest.approx(0, abs=1e-12)
    assert n.x_hat[1] == pytest.approx(values.var() / (values.var() + 1e-3))
    assert n.y == pytest.approx((0.5, 4 * n.x_hat[1]))  # mean beta, variance gamma^2 var(x_hat)
    inf = batchnorm_batches.channel_numbers(traj.last_maps, batchnorm_batches.inference(traj), 0, training=False)
    assert inf.squared_deviations is None and inf.variance is None
    assert inf.used_mean == traj.state.moving_mean[0] and inf.mean == pytest.approx(n.mean)
    with pytest.raises(EngineError) as err:
        batchnorm_batches.channel_numbers(traj.last_maps, traj.last_result, 3, True)
    assert err.value.key == "channel_out_of_range"


# ---------------------------------------------------------------- with vs without BN


def test_load_data_splits_seeded_images():
    settings = batchnorm_comparison.CompareSettings(samples=100, seed=3)
    x_train, y_train, x_val, y_val, classes = batchnorm_comparison.load_data(settings)
    assert x_train.shape == (80, 24, 24, 1) and x_val.shape == (20, 24, 24, 1) and classes == 3
    assert x_train.dtype == np.float32 and x_train.max() <= 1.0
    np.testing.assert_array_equal(y_val, batchnorm_comparison.load_data(settings)[3])
    raw = batchnorm_comparison.load_data(batchnorm_comparison.CompareSettings(samples=100, seed=3, scale_inputs=False))[0]
    assert raw.max() > 200
    digits = batchnorm_comparison.load_data(batchnorm_comparison.CompareSettings("digit", samples=50))
    assert digits[0].shape == (40, 28, 28, 1) and digits[4] == 10


@pytest.mark.parametrize("change, key", [
    ({"dataset": "cifar"}, "bad_mode"), ({"optimizer": "lion"}, "bad_mode"),
    ({"samples": 5}, "bad_hyperparameter"), ({"epochs": 0}, "bad_hyperparameter"),
    ({"learning_rate": 0.0}, "bad_hyperparameter"), ({"bn_momentum": 1.5}, "bad_hyperparameter")])
def test_bad_settings_are_refused(change, key):
    with pytest.raises(EngineError) as err:
        batchnorm_comparison.compare(batchnorm_comparison.CompareSettings(**change))
    assert err.value.key == key


def test_bad_settings_are_refused_before_tensorflow_is_imported():
    code = ("import sys; from engine.learn import batchnorm_comparison as c\n"
            "try: c.compare(c.CompareSettings(epochs=0))\n"
            "except c.EngineError: pass\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False False"


def test_models_differ_only_by_the_bn_layers():
    with_bn = batchnorm_comparison.build_model((24, 24, 1), 3, True)
    without = batchnorm_comparison.build_model((24, 24, 1), 3, False)
    total, trainable, frozen = batchnorm_param_count(sum(batchnorm_comparison.FILTERS))
    assert with_bn.count_params() - without.count_params() == total == 96
    specs = []
    for f in batchnorm_comparison.FILTERS:
        specs += [layers.Conv2DSpec(f, 3, activation="relu"), layers.PoolSpec("max", 2), layers.BatchNormSpec()]
    specs += [layers.FlattenSpec(), layers.DenseSpec(3, activation="softmax")]
    assert layers.totals(layers.summarize((24, 24, 1), specs)) == batchnorm_comparison._param_counts(with_bn)
    assert batchnorm_comparison._param_counts(with_bn)[2] == frozen == 48


def test_both_models_start_from_the_same_seeded_weights():
    with_bn = batchnorm_comparison.build_model((24, 24, 1), 3, True, seed=4)
    without = batchnorm_comparison.build_model((24, 24, 1), 3, False, seed=4)
    kernels = [[w for w in m.get_weights() if w.ndim > 1] for m in (with_bn, without)]
    assert len(kernels[0]) == len(kernels[1]) == 3  # two conv kernels and the dense kernel
    for a, b in zip(*kernels):
        np.testing.assert_array_equal(a, b)
    other = batchnorm_comparison.build_model((24, 24, 1), 3, False, seed=5)
    assert not np.array_equal(other.get_weights()[0], kernels[1][0])


def test_a_busy_server_refuses_another_run():
    from engine.learn.training import SLOTS

    holders = [f"test-holder-{i}" for i in range(SLOTS.limit)]
    taken = [h for h in holders if SLOTS.try_acquire(h)]
    try:
        with pytest.raises(EngineError) as err:
            batchnorm_comparison.compare(batchnorm_comparison.CompareSettings(samples=60, epochs=1))
        assert err.value.key == "training_busy" and err.value.params == {"limit": SLOTS.limit}
    finally:
        for h in taken:
            SLOTS.release(h)
    assert SLOTS.active() == 0


def test_compare_is_seeded_and_reports_every_epoch():
    settings = batchnorm_comparison.CompareSettings(samples=60, epochs=2, batch_size=16, seed=1)
    calls = []
    first = batchnorm_comparison.compare(settings, lambda done, total: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert (first.train_count, first.val_count) == (48, 12)
    for run in (first.with_bn, first.without_bn):
        assert run.loss.shape == run.val_loss.shape == run.accuracy.shape == (3,)
        assert np.all(np.isfinite(run.loss)) and np.all((0 <= run.val_accuracy) & (run.val_accuracy <= 1))
    # before training the BN layers are the identity up to epsilon at inference: same start
    assert first.with_bn.val_loss[0] == pytest.approx(first.without_bn.val_loss[0], rel=1e-2)
    assert first.with_bn.params[0] - first.without_bn.params[0] == 96
    from engine.learn.training import SLOTS

    assert SLOTS.active() == 0  # the run gave its slot back
    again = batchnorm_comparison.compare(settings)
    np.testing.assert_array_equal(first.with_bn.loss, again.with_bn.loss)
    np.testing.assert_array_equal(first.without_bn.val_loss, again.without_bn.val_loss)
    other = batchnorm_comparison.compare(batchnorm_comparison.CompareSettings(samples=60, epochs=2, batch_size=16, seed=2))
    assert not np.array_equal(first.with_bn.loss, other.with_bn.loss)


# ---------------------------------------------------------------- figures


def test_histograms_count_every_value():
    rng = np.random.default_rng(0)
    raw = rng.normal(3, 2, 500)
    x_hat = (raw - raw.mean()) / raw.std()
    fig = V.histogram_figure(raw, x_hat, 2 * x_hat + 1, titles=("a", "b"), names=("x", "xh", "y"))
    assert [int(sum(tr.y)) for tr in fig.data] == [500, 500, 500]
    assert [tr.name for tr in fig.data] == ["x", "xh", "y"]
    modes = V.modes_figure(x_hat, x_hat * 0.1, ("train", "infer"))
    assert [int(sum(tr.y)) for tr in modes.data] == [500, 500]


def test_moving_and_curve_figures_plot_the_given_numbers():
    fig = V.moving_stats_figure(np.array([0.5, 0.4]), np.array([0, 0.05, 0.085]), np.array([2.0, 1.0]),
                                np.array([1, 1.1, 1.09]), titles=("m", "v"), names=("b", "mv"), x_title="t")
    np.testing.assert_array_equal(fig.data[0].x, [1, 2])
    np.testing.assert_array_equal(fig.data[1].y, [0, 0.05, 0.085])
    curves = V.curves_figure((np.array([1.0, 0.5]), np.array([1.1, 0.7])),
                             (np.array([1.0, 0.9]), np.array([1.1, 1.0])), titles=("a", "b"),
                             names=("with", "without"), x_title="e")
    assert [list(tr.y) for tr in curves.data] == [[1.0, 0.5], [1.0, 0.9], [1.1, 0.7], [1.1, 1.0]]
    batch = V.batch_tiles(np.zeros((2, 5, 5)), np.ones((2, 3, 3)), -np.ones((2, 3, 3)), ("a", "b", "c"))
    assert [row.title for row in batch.rows] == ["a", "b", "c"] and batch.columns == 2
    assert [len(row.tiles) for row in batch.rows] == [2, 2, 2]
    assert (batch.rows[1].zmin, batch.rows[1].zmax) == (-1.0, 1.0)  # maps: symmetric around 0
    np.testing.assert_array_equal(batch.rows[2].tiles[0].values, -np.ones((3, 3)))


def test_stat_hides_float_noise_only():
    assert V.stat(8.8e-16) == "0" and V.stat(-3e-17) == "0"
    assert V.stat(0.97281) == "0.9728" and V.stat(12.5) == "12.5" and V.stat(2e-9) == "2e-9"
    assert V.minus(0.0018273) == "- 0.001827" and V.minus(-0.5) == "+ 0.5" and V.minus(1e-17) == "- 0"
