"""engine.ops.optimizers against keras.optimizers, step by step, and run_path's divergence guard."""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from engine.errors import EngineError  # noqa: E402
from engine.ops import optimizers as O  # noqa: E402

SETTINGS = settings(max_examples=30, deadline=None)
STEPS = 25

# (engine class, keras class, hyperparameters) in float32 with ordinary decimal values
CONFIGS32 = [
    (O.SGD, keras.optimizers.SGD, dict(learning_rate=0.01)),
    (O.SGD, keras.optimizers.SGD, dict(learning_rate=0.02, momentum=0.9)),
    (O.SGD, keras.optimizers.SGD, dict(learning_rate=0.01, momentum=0.8, nesterov=True)),
    (O.Adagrad, keras.optimizers.Adagrad, dict(learning_rate=0.1)),
    (O.Adagrad, keras.optimizers.Adagrad, dict(learning_rate=0.3, initial_accumulator_value=0.0)),
    (O.RMSprop, keras.optimizers.RMSprop, dict(learning_rate=0.01)),
    (O.RMSprop, keras.optimizers.RMSprop, dict(learning_rate=0.01, momentum=0.9)),
    (O.RMSprop, keras.optimizers.RMSprop, dict(learning_rate=0.01, rho=0.8, centered=True)),
    (O.RMSprop, keras.optimizers.RMSprop, dict(learning_rate=0.003, momentum=0.5, centered=True)),
    (O.Adam, keras.optimizers.Adam, dict(learning_rate=0.001)),
    (O.Adam, keras.optimizers.Adam, dict(learning_rate=0.05, beta_1=0.8, beta_2=0.99,
                                         epsilon=1e-4)),
]
# In float64 Keras still rounds some hyperparameters through float32 (its learning rate
# variable and python-float casts), so these values are exactly representable in float32.
CONFIGS64 = [
    (O.SGD, keras.optimizers.SGD, dict(learning_rate=0.03125)),
    (O.SGD, keras.optimizers.SGD, dict(learning_rate=0.015625, momentum=0.875)),
    (O.SGD, keras.optimizers.SGD, dict(learning_rate=0.015625, momentum=0.75, nesterov=True)),
    (O.Adagrad, keras.optimizers.Adagrad, dict(learning_rate=0.125, initial_accumulator_value=0.125,
                                               epsilon=2.0**-20)),
    (O.RMSprop, keras.optimizers.RMSprop, dict(learning_rate=0.0078125, rho=0.875,
                                               epsilon=2.0**-20)),
    (O.RMSprop, keras.optimizers.RMSprop, dict(learning_rate=0.0078125, rho=0.75, momentum=0.5,
                                               centered=True, epsilon=2.0**-20)),
    (O.Adam, keras.optimizers.Adam, dict(learning_rate=0.0625, beta_1=0.875, beta_2=0.9375,
                                         epsilon=2.0**-20)),
]


def quadratic(x):
    scales = tf.constant(np.linspace(0.5, 5.0, x.shape[0]), dtype=x.dtype)
    return tf.reduce_sum(0.5 * scales * x**2 + 0.3 * x)


def rosenbrock(x):
    return tf.reduce_sum(5.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def wavy(x):
    return tf.reduce_sum(0.25 * x**4 + tf.sin(3.0 * x) - 0.5 * x**2)


FUNCTIONS = {"quadratic": quadratic, "rosenbrock": rosenbrock, "wavy": wavy}


def compare_on_function(config, fn, start, dtype, rtol, atol):
    """Run Keras with GradientTape gradients and feed the same gradients to the engine."""
    ours_cls, keras_cls, hyper = config
    var = keras.Variable(start.astype(dtype), dtype=dtype)
    kopt, ours = keras_cls(**hyper), ours_cls(**hyper)
    p = start.astype(dtype)
    for _ in range(STEPS):
        with tf.GradientTape() as tape:
            tape.watch(var.value)
            loss = fn(var.value)
        grad = tape.gradient(loss, var.value).numpy()
        kopt.apply_gradients([(tf.constant(grad), var)])
        p = ours.step(p, grad)
        assert p.dtype == np.dtype(dtype)
        np.testing.assert_allclose(p, var.numpy(), rtol=rtol, atol=atol)
    assert ours.iterations == STEPS


@pytest.mark.parametrize("config", CONFIGS32, ids=lambda c: f"{c[0].__name__}-{c[2]}")
@settings(max_examples=6, deadline=None)
@given(fn=st.sampled_from(sorted(FUNCTIONS)), seed=st.integers(0, 2**32 - 1))
def test_float32_matches_keras_on_functions(config, fn, seed):
    start = np.random.default_rng(seed).uniform(-1.2, 1.2, 3)
    compare_on_function(config, FUNCTIONS[fn], start, "float32", 1e-5, 1e-6)


@pytest.mark.parametrize("config", CONFIGS64, ids=lambda c: f"{c[0].__name__}-{c[2]}")
@settings(max_examples=5, deadline=None)
@given(fn=st.sampled_from(sorted(FUNCTIONS)), seed=st.integers(0, 2**32 - 1))
def test_float64_matches_keras_on_functions(config, fn, seed):
    start = np.random.default_rng(seed).uniform(-1.2, 1.2, 2)
    compare_on_function(config, FUNCTIONS[fn], start, "float64", 1e-11, 1e-13)


@SETTINGS
@given(index=st.integers(0, len(CONFIGS32) - 1), seed=st.integers(0, 2**32 - 1),
       shape=st.sampled_from([(1,), (4,), (2, 3), (2, 2, 2)]))
def test_any_shape_with_random_gradient_sequence(index, seed, shape):
    ours_cls, keras_cls, hyper = CONFIGS32[index]
    rng = np.random.default_rng(seed)
    start = rng.normal(size=shape).astype(np.float32)
    var = keras.Variable(start)
    kopt, ours, p = keras_cls(**hyper), ours_cls(**hyper), start
    for _ in range(20):
        grad = (rng.normal(size=shape) * rng.choice([0.01, 1.0, 30.0])).astype(np.float32)
        kopt.apply_gradients([(tf.constant(grad), var)])
        p = ours.step(p, grad)
        np.testing.assert_allclose(p, var.numpy(), rtol=1e-5, atol=1e-6)
    assert p.shape == shape


def test_last_records_match_keras_slots():
    g = np.array([0.5, -2.0], dtype=np.float32)
    for ours, kopt, pairs in [
        (O.Adam(0.01), keras.optimizers.Adam(0.01), {"m": "momentum", "v": "velocity"}),
        (O.SGD(0.1, momentum=0.9), keras.optimizers.SGD(0.1, momentum=0.9),
         {"velocity": "momentum"}),
        (O.RMSprop(0.01, momentum=0.5, centered=True),
         keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
         {"velocity": "velocity", "momentum": "momentum", "average_gradient": "average_gradient"}),
        (O.Adagrad(0.1), keras.optimizers.Adagrad(0.1), {"accumulator": "accumulator"}),
    ]:
        var = keras.Variable(np.array([1.0, 2.0], dtype=np.float32))
        p = var.numpy()
        for _ in range(3):
            before = p
            kopt.apply_gradients([(tf.constant(g), var)])
            p = ours.step(p, g)
            np.testing.assert_array_equal(before + ours.last["update"], p)
            np.testing.assert_array_equal(ours.last["grad"], g)
        slots = {v.path: v.numpy() for v in kopt.variables}
        for ours_key, suffix in pairs.items():
            match = [val for path, val in slots.items() if path.endswith("_" + suffix)]
            assert len(match) == 1, (ours_key, list(slots))
            np.testing.assert_allclose(ours.last[ours_key], match[0], rtol=1e-6)


def test_adam_alpha_and_bias_corrected_form():
    opt = O.Adam(0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    p = np.array([1.0, -3.0])
    for t in range(1, 6):
        p = opt.step(p, np.array([0.3, 2.0]) * t)
        r = opt.last
        np.testing.assert_allclose(r["alpha"], 0.1 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t))
        np.testing.assert_allclose(r["m_hat"], r["m"] / (1 - 0.9**t))
        np.testing.assert_allclose(r["v_hat"], r["v"] / (1 - 0.999**t))
        # Keras' update is the textbook one with epsilon / sqrt(1 - beta_2^t)
        eps_hat = 1e-7 / np.sqrt(1 - 0.999**t)
        np.testing.assert_allclose(r["update"], -0.1 * r["m_hat"] / (np.sqrt(r["v_hat"]) + eps_hat))
    first = O.Adam(0.1)
    first.step(np.zeros(2), np.array([5.0, -0.01]))
    # the first step is about lr * sign(g), shortened by epsilon when |g| is tiny
    np.testing.assert_allclose(first.last["update"], [-0.1, 0.1], rtol=1e-3)


def test_adam_without_bias_correction():
    opt = O.Adam(0.1, bias_correction=False)
    p = opt.step(np.array([1.0]), np.array([2.0]))
    m, v = 0.1 * 2.0, 0.001 * 4.0
    np.testing.assert_allclose(p, 1.0 - 0.1 * m / (np.sqrt(v) + 1e-7))
    assert opt.last["alpha"] == pytest.approx(0.1)
    np.testing.assert_array_equal(opt.last["m_hat"], opt.last["m"])


def test_run_path_matches_keras_float64():
    def grad_fn(x):
        return np.array([x[0], 10.0 * x[1]])  # gradient of 0.5 x^2 + 5 y^2

    for ours_cls, keras_cls, hyper in CONFIGS64:
        res = O.run_path(ours_cls(**hyper), grad_fn, [1.5, -1.0], 20)
        assert res.points.shape == (21, 2) and not res.diverged and res.diverged_at is None
        assert len(res.records) == 20
        var = keras.Variable(np.array([1.5, -1.0]), dtype="float64")
        kopt = keras_cls(**hyper)
        for i in range(20):
            kopt.apply_gradients([(tf.constant(grad_fn(var.numpy())), var)])
            np.testing.assert_allclose(res.points[i + 1], var.numpy(), rtol=1e-11, atol=1e-13)


def test_run_path_stops_when_diverging():
    res = O.run_path(O.SGD(learning_rate=10.0), lambda x: 4 * x**3, [1.0], 50)
    assert res.diverged and res.diverged_at == 2
    assert np.all(np.isfinite(res.points)) and res.points.shape == (2, 1)
    assert len(res.records) == 1
    res = O.run_path(O.Adam(10.0), lambda x: 4 * x**3, np.array([3.0, -2.0]), 200)
    assert np.all(np.isfinite(res.points)) and np.all(np.abs(res.points) <= 1e6)
    res = O.run_path(O.SGD(0.1), lambda x: np.array([np.nan]), [1.0], 5)
    assert res.diverged and res.diverged_at == 1 and res.points.shape == (1, 1)
    res = O.run_path(O.SGD(1e-3), lambda x: np.array([1e7]), [1.0], 5)
    assert res.diverged and res.diverged_at == 1


def test_run_path_resets_state():
    opt = O.Adam(0.1)
    a = O.run_path(opt, lambda x: 2 * x, [1.0, 1.0], 5)
    b = O.run_path(opt, lambda x: 2 * x, [1.0, 1.0], 5)
    np.testing.assert_array_equal(a.points, b.points)
    assert O.run_path(opt, lambda x: 2 * x, [1.0], 0).points.shape == (1, 1)


def test_registry():
    assert O.OPTIMIZERS == {"sgd": O.SGD, "adagrad": O.Adagrad, "rmsprop": O.RMSprop,
                            "adam": O.Adam}


@pytest.mark.parametrize("make,name", [
    (lambda: O.SGD(learning_rate=0), "learning_rate"),
    (lambda: O.SGD(learning_rate=-1), "learning_rate"),
    (lambda: O.Adam(learning_rate=float("nan")), "learning_rate"),
    (lambda: O.SGD(momentum=-0.1), "momentum"),
    (lambda: O.SGD(momentum=1.5), "momentum"),
    (lambda: O.RMSprop(momentum=-1), "momentum"),
    (lambda: O.RMSprop(rho=1.0), "rho"),
    (lambda: O.RMSprop(rho=-0.1), "rho"),
    (lambda: O.Adam(beta_1=1.0), "beta_1"),
    (lambda: O.Adam(beta_2=-0.5), "beta_2"),
    (lambda: O.Adam(epsilon=-1e-7), "epsilon"),
    (lambda: O.Adagrad(epsilon=-1.0), "epsilon"),
    (lambda: O.Adagrad(initial_accumulator_value=-0.1), "initial_accumulator_value"),
    (lambda: O.Adam(learning_rate="fast"), "learning_rate"),
    (lambda: O.run_path(O.SGD(), lambda x: x, [1.0], -1), "steps"),
])
def test_bad_hyperparameters(make, name):
    with pytest.raises(EngineError) as e:
        make()
    assert e.value.key == "bad_hyperparameter" and e.value.params["name"] == name


def test_bad_arrays():
    opt = O.SGD(momentum=0.5)
    opt.step(np.zeros(2), np.ones(2))
    cases = [
        (lambda: opt.step(np.zeros(3), np.ones(3)), "bad_shape"),
        (lambda: O.SGD().step(np.zeros(2), np.ones(3)), "bad_shape"),
        (lambda: O.SGD().step(np.zeros(2), [np.nan, 1.0]), "nonfinite"),
        (lambda: O.run_path(O.SGD(), lambda x: x, [[1.0]], 3), "bad_shape"),
        (lambda: O.run_path(O.SGD(), lambda x: x, [np.inf], 3), "nonfinite"),
        (lambda: O.run_path(O.SGD(), lambda x: np.ones(3), [1.0, 2.0], 3), "bad_shape"),
    ]
    for call, key in cases:
        with pytest.raises(EngineError) as e:
            call()
        assert e.value.key == key
