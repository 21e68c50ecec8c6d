"""engine.lessons.loss_surfaces: analytic gradients against finite differences, optimizers on the surfaces
against keras.optimizers (same gradients fed to both), divergence, and the optimizer lab's figures."""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from engine.errors import EngineError  # noqa: E402
from engine.lessons import loss_surfaces as S  # noqa: E402
from engine.ops.optimizers import DIVERGENCE_LIMIT  # noqa: E402
from visuals import optimizers as V  # noqa: E402


def finite_difference(surface, point, h=1e-6):
    """Central differences (f(p + h e_i) - f(p - h e_i)) / 2h."""
    grad = []
    for axis in range(2):
        step = np.zeros(2)
        step[axis] = h
        grad.append((surface.value(*(point + step)) - surface.value(*(point - step))) / (2 * h))
    return np.array(grad)


# ---------------------------------------------------------------- surfaces


@pytest.mark.parametrize("name", S.SURFACE_NAMES)
@settings(max_examples=40, deadline=None)
@given(u=st.floats(0, 1), v=st.floats(0, 1))
def test_gradient_matches_finite_differences(name, u, v):
    surface = S.get_surface(name)
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    point = np.array([x0 + u * (x1 - x0), y0 + v * (y1 - y0)])
    analytic = surface.gradient(point)
    numeric = finite_difference(surface, point)
    scale = max(1.0, float(np.abs(analytic).max()))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.parametrize("name", S.SURFACE_NAMES)
def test_listed_minima_are_stationary_and_lowest_nearby(name):
    surface = S.get_surface(name)
    for m in surface.minima:
        m = np.array(m)
        assert np.abs(surface.gradient(m)).max() < 2e-3, (name, m, surface.gradient(m))
        ring = m + 0.05 * np.stack([np.cos(np.linspace(0, 6, 12)), np.sin(np.linspace(0, 6, 12))], 1)
        assert np.all(surface.value(ring[:, 0], ring[:, 1]) > surface.value(*m))


def test_wells_local_minimum_is_higher_than_the_global_one():
    wells = S.get_surface("wells")
    (gx, gy), (lx, ly) = wells.minima
    assert wells.value(gx, gy) < wells.value(lx, ly) < 0


def test_saddle_origin_is_a_saddle():
    saddle = S.get_surface("saddle")
    assert np.all(saddle.gradient(np.zeros(2)) == 0)
    assert saddle.value(0.1, 0) > saddle.value(0, 0) > saddle.value(0, 0.1)


@pytest.mark.parametrize("name", S.SURFACE_NAMES)
def test_grid_is_the_function_on_the_region(name):
    surface = S.get_surface(name)
    xs, ys, z = surface.grid(31)
    assert xs.shape == ys.shape == (31,) and z.shape == (31, 31)
    assert (xs[0], xs[-1]) == surface.x_range and (ys[0], ys[-1]) == surface.y_range
    assert z[4, 7] == surface.value(xs[7], ys[4])
    gx, gy = surface.gradient_xy(xs[None, :], ys[:, None])
    assert gx.shape == gy.shape == (31, 31)
    np.testing.assert_array_equal([gx[4, 7], gy[4, 7]], surface.gradient([xs[7], ys[4]]))


def test_bad_inputs_raise_engine_errors():
    cases = [
        (lambda: S.get_surface("cliff"), "bad_mode"),
        (lambda: S.get_surface("bowl").grid(1), "bad_hyperparameter"),
        (lambda: S.get_surface("bowl").grid(10_000), "bad_hyperparameter"),
        (lambda: S.get_surface("bowl").gradient([1.0, 2.0, 3.0]), "bad_shape"),
        (lambda: S.make_optimizer("lion", S.OptimizerSettings()), "bad_mode"),
        (lambda: S.make_optimizer("adam", S.OptimizerSettings(learning_rate=-1)), "bad_hyperparameter"),
        (lambda: S.descend(S.get_surface("bowl"), "sgd", [0.0, np.nan], 5, S.OptimizerSettings()),
         "nonfinite"),
        (lambda: S.descend(S.get_surface("bowl"), "sgd", [0.0, 1.0], 5000, S.OptimizerSettings()),
         "bad_hyperparameter"),
    ]
    for call, key in cases:
        with pytest.raises(EngineError) as err:
            call()
        assert err.value.key == key


# ---------------------------------------------------------------- runs


@pytest.mark.parametrize("name", S.SURFACE_NAMES)
def test_every_optimizer_gets_closer_with_the_surface_rates(name):
    surface = S.get_surface(name)
    f0 = surface.value(*surface.start)
    for code in S.OPTIMIZER_CODES:
        run = S.descend(surface, code, surface.start, surface.steps,
                        S.OptimizerSettings(learning_rate=surface.learning_rates[code]))
        assert not run.path.diverged, code
        assert run.losses[-1] < f0, (name, code)
        assert run.losses.shape == (surface.steps + 1,) and run.step_sizes.shape == (surface.steps,)
        np.testing.assert_allclose(run.step_sizes, [np.linalg.norm(r["update"]) for r in run.path.records])


def test_wells_momentum_escapes_the_local_minimum_that_traps_sgd():
    wells = S.get_surface("wells")
    hp = S.OptimizerSettings(learning_rate=0.1, momentum=0.9)
    ends = {code: S.descend(wells, code, wells.start, 300, hp).final_point for code in ("sgd", "momentum")}
    global_min, local_min = (np.array(m) for m in wells.minima)
    assert np.linalg.norm(ends["sgd"] - local_min) < 0.05
    assert np.linalg.norm(ends["momentum"] - global_min) < 0.05


@pytest.mark.parametrize("code", ["sgd", "momentum", "nesterov", "rmsprop"])
def test_a_huge_learning_rate_diverges_cleanly(code):
    surface = S.get_surface("rosenbrock")
    run = S.descend(surface, code, surface.start, 200, S.OptimizerSettings(learning_rate=10.0))
    assert run.path.diverged and 1 <= run.path.diverged_at <= 200
    assert len(run.path.points) == run.path.diverged_at  # the start plus every good step
    assert np.all(np.isfinite(run.path.points)) and np.all(np.abs(run.path.points) <= DIVERGENCE_LIMIT)
    assert np.all(np.isfinite(run.losses))


def test_adam_steps_stay_bounded_where_sgd_explodes():
    bowl = S.get_surface("bowl")
    hp = S.OptimizerSettings(learning_rate=5.0)
    assert S.descend(bowl, "sgd", bowl.start, 50, hp).path.diverged
    adam = S.descend(bowl, "adam", bowl.start, 50, hp)
    assert not adam.path.diverged and adam.step_sizes.max() < 5.0 * np.sqrt(2) * 1.01


def test_bias_correction_changes_only_adam_and_the_first_step_size():
    bowl = S.get_surface("bowl")
    hp = S.OptimizerSettings(learning_rate=0.1)
    on = S.descend(bowl, "adam", bowl.start, 10, hp, bias_correction=True)
    off = S.descend(bowl, "adam", bowl.start, 10, hp, bias_correction=False)
    # corrected: each coordinate moves by about lr at step 1; uncorrected: by lr (1-b1)/sqrt(1-b2)
    np.testing.assert_allclose(np.abs(on.path.records[0]["update"]), [0.1, 0.1], rtol=1e-5)
    np.testing.assert_allclose(np.abs(off.path.records[0]["update"]), 0.1 * 0.1 / np.sqrt(0.001),
                               rtol=1e-5)


# ---------------------------------------------------------------- against Keras


def keras_optimizer(code, hp):
    import keras

    if code == "sgd":
        return keras.optimizers.SGD(hp.learning_rate)
    if code in ("momentum", "nesterov"):
        return keras.optimizers.SGD(hp.learning_rate, momentum=hp.momentum, nesterov=code == "nesterov")
    if code == "adagrad":
        return keras.optimizers.Adagrad(hp.learning_rate, initial_accumulator_value=hp.initial_accumulator_value,
                                        epsilon=hp.epsilon)
    if code == "rmsprop":
        return keras.optimizers.RMSprop(hp.learning_rate, rho=hp.rho, epsilon=hp.epsilon)
    return keras.optimizers.Adam(hp.learning_rate, beta_1=hp.beta_1, beta_2=hp.beta_2, epsilon=hp.epsilon)


# One learning rate per optimizer that is stable on every surface (Rosenbrock is the strictest).
# In float64 Keras rounds hyperparameters through float32, so these are powers of two.
RATES64 = {"sgd": 2**-10, "momentum": 2**-11, "nesterov": 2**-11, "adagrad": 2**-2,
           "rmsprop": 2**-6, "adam": 2**-4}
HP64 = dict(momentum=0.875, beta_1=0.875, beta_2=0.9375, epsilon=2.0**-20, rho=0.875,
            initial_accumulator_value=0.125)
RATES32 = {"sgd": 0.001, "momentum": 0.0005, "nesterov": 0.0005, "adagrad": 0.3, "rmsprop": 0.01,
           "adam": 0.05}


def compare_with_keras(code, hp, dtype, steps, rtol, atol):
    """All five surfaces at once: row i of one Keras variable (5, 2) walks surface i, and
    five engine optimizers (one per surface, as the page runs them) get the same gradients:
    each computed at Keras' current point."""
    import keras
    import tensorflow as tf

    surfaces = [S.get_surface(n) for n in S.SURFACE_NAMES]
    start = np.array([s.start for s in surfaces], dtype=dtype)
    var = keras.Variable(start, dtype=dtype)
    kopt = keras_optimizer(code, hp)
    ours = [S.make_optimizer(code, hp) for _ in surfaces]
    points = [row.copy() for row in start]
    for _ in range(steps):
        current = var.numpy()
        grads = np.array([s.gradient(p) for s, p in zip(surfaces, current)], dtype=dtype)
        assert np.all(np.isfinite(grads))
        kopt.apply_gradients([(tf.constant(grads), var)])
        points = [opt.step(p, g) for opt, p, g in zip(ours, points, grads)]
    np.testing.assert_allclose(np.array(points), var.numpy(), rtol=rtol, atol=atol)
    assert np.abs(np.array(points) - start).max() > 0.05  # the runs really went somewhere


@pytest.mark.parametrize("code", S.OPTIMIZER_CODES)
def test_float64_engine_reproduces_keras_over_300_steps_on_every_surface(code):
    hp = S.OptimizerSettings(learning_rate=RATES64[code], **HP64)
    compare_with_keras(code, hp, "float64", 300, 1e-10, 1e-12)


@pytest.mark.parametrize("code", S.OPTIMIZER_CODES)
def test_float32_engine_reproduces_keras_with_keras_defaults(code):
    hp = S.OptimizerSettings(learning_rate=RATES32[code])
    compare_with_keras(code, hp, "float32", 100, 2e-5, 2e-5)


# ---------------------------------------------------------------- figures and step tables


def _floats(text: str) -> np.ndarray:
    import base64
    return np.frombuffer(base64.b64decode(text), dtype="<f8")


def test_path_map_carries_each_path_its_end_state_markers_and_labels():
    bowl = S.get_surface("bowl")
    ok = S.descend(bowl, "adam", bowl.start, 5, S.OptimizerSettings(learning_rate=0.1))
    bad = S.descend(bowl, "sgd", bowl.start, 50, S.OptimizerSettings(learning_rate=5.0))
    payload = V.path_map([V.PathLine("adam", "Adam", ok.path.points),
                          V.PathLine("sgd", "SGD", bad.path.points, True)], bowl.x_range, bowl.y_range,
                         minima=bowl.minima, start=bowl.start, labels={"start": "S", "minimum": "M"})
    adam, sgd = payload["paths"]
    np.testing.assert_array_equal(_floats(adam["x"]), ok.path.points[:, 0])
    np.testing.assert_array_equal(_floats(adam["y"]), ok.path.points[:, 1])
    assert (adam["label"], adam["diverged"], sgd["diverged"]) == ("Adam", False, True)
    assert _floats(sgd["x"])[-1] == bad.path.points[-1, 0] and sgd["count"] == len(bad.path.points)
    assert adam["color"] == V.COLORS["adam"] and sgd["dash"] == V.CANVAS_DASHES[V.DASHES["sgd"]]
    assert V.CANVAS_DASHES[V.DASHES["momentum"]] != V.CANVAS_DASHES[V.DASHES["adam"]]  # told apart without colour
    assert payload["minima"] == [list(m) for m in bowl.minima] and payload["start"] == list(bowl.start)
    assert (payload["labels"]["start"], payload["labels"]["minimum"], payload["labels"]["diverged"]) == \
        ("S", "M", "diverged")
    assert payload["x_range"] == list(bowl.x_range) and 230 <= payload["height"] <= 450


def test_map_height_and_picture_rows_keep_x_and_y_on_one_scale():
    elongated = S.get_surface("elongated")  # 20 wide, 10 high
    assert V.picture_rows(elongated.x_range, elongated.y_range, 1000) == 500
    assert V.map_height(elongated.x_range, elongated.y_range) == 300
    assert V.map_height((0, 1), (0, 5)) == 450 and V.map_height((0, 10), (0, 1)) == 230


def test_contour_picture_lines_lie_on_their_levels_and_bands_darken_uphill():
    bowl = S.get_surface("bowl")
    xs, ys, z = bowl.grid(81, 121)
    assert z.shape == (81, 121) and len(xs) == 121 and len(ys) == 81
    picture = V.contour_picture(z)
    assert picture.shape == (81, 121, 3) and picture.dtype == np.uint8
    gray = picture.astype(float).mean(axis=2)[::-1]  # back to z's rows (row 0 = lowest y)
    step = (z.max() - z.min()) / V.CONTOUR_BANDS
    band = np.clip(np.floor((z - z.min()) / step), 0, V.CONTOUR_BANDS - 1)
    edge = np.zeros(z.shape, dtype=bool)
    edge[:, :-1] |= band[:, :-1] != band[:, 1:]
    edge[:-1, :] |= band[:-1, :] != band[1:, :]
    assert edge.sum() > 200  # several level lines
    # a level-line pixel is darker than the band around it, and lies where f crosses a level
    levels = z.min() + step * np.arange(1, V.CONTOUR_BANDS)
    near = np.min(np.abs(z[edge][:, None] - levels[None, :]), axis=1)
    assert np.max(near) < 0.05 * (z.max() - z.min())
    i, j = np.unravel_index(np.argmin(z), z.shape)
    inside = ~edge
    assert gray[i, j] > gray[0, 0] and gray[i, j] > gray[-1, -1]  # the lowest f is the lightest band
    assert np.mean(gray[edge]) < np.mean(gray[inside])


def test_a_grid_side_out_of_range_is_refused():
    bowl = S.get_surface("bowl")
    for bad in ((1, 10), (10, 1), (10, S.MAX_PICTURE_SIDE + 1), (10, True)):
        with pytest.raises(EngineError) as err:
            bowl.grid(*bad)
        assert err.value.key == "bad_hyperparameter"


def test_log_contours_spread_the_rosenbrock_valley():
    z = S.get_surface("rosenbrock").grid(41)[2]
    levels = V.contour_levels(z, True)
    assert levels.min() == pytest.approx(-3) and levels.max() < 4
    assert V.contour_levels(z, False) is z


def test_step_values_read_records_and_the_previous_step():
    bowl = S.get_surface("bowl")
    run = S.descend(bowl, "adam", bowl.start, 3, S.OptimizerSettings(learning_rate=0.1))
    first = dict((row, value) for row, _, value in V.step_values("adam", run.path.points, run.path.records, 1))
    third = dict((row, value) for row, _, value in V.step_values("adam", run.path.points, run.path.records, 3))
    np.testing.assert_array_equal(first["m_prev"], [0, 0])
    np.testing.assert_array_equal(third["m_prev"], run.path.records[1]["m"])
    np.testing.assert_array_equal(third["theta_prev"], run.path.points[2])
    np.testing.assert_array_equal(third["theta"], run.path.points[3])
    assert third["alpha"].shape == (1,)
    for code in S.OPTIMIZER_CODES:  # every row of every table has a value
        run = S.descend(bowl, code, bowl.start, 2, S.OptimizerSettings(learning_rate=0.1))
        rows = V.step_values(code, run.path.points, run.path.records, 2)
        assert all(np.all(np.isfinite(v)) for _, _, v in rows) and len(rows) >= 4


def test_markdown_table_and_vector_text():
    assert V.vector_text(np.array([0.5, -2.0])) == "(0.5, -2)"
    assert V.vector_text(np.array([1e-9])) == "1e-9"
    table = V.markdown_table(("a", "b"), [("1", "$x$")])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| 1 | $x$ |"]
