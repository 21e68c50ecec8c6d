"""2-D loss surfaces for the optimizer lab, with analytic gradients, and optimizer runs on them.

Every surface f(x, y) is written in NumPy and broadcasts over arrays, so one call evaluates a
whole grid for a contour plot; its gradient (df/dx, df/dy) is worked out by hand (checked
against finite differences in tests/unit/test_loss_surfaces.py):

- bowl:        f = (x^2 + y^2) / 2                         round bowl, minimum at (0, 0)
- elongated:   f = x^2 / 20 + y^2                          steep in y, flat in x (condition 20)
- rosenbrock:  f = (1 - x)^2 + 100 (y - x^2)^2             curved valley, minimum at (1, 1)
- saddle:      f = x^2 / 2 + y^4 / 4 - y^2 / 2             saddle point at (0, 0), minima (0, +-1)
- wells:       f = r^2 / 20 - 2 G(p; c1, 0.8) - G(p; c2, 0.6)
               with G(p; c, s) = exp(-|p - c|^2 / (2 s^2)): a deep well (global minimum) near
               c1 = (1.5, 1) and a shallower one (local minimum) near c2 = (-1, -0.6).

`descend` runs one of OPTIMIZER_CODES (engine.ops.optimizers with Keras' update rules) from a start
point through `engine.ops.optimizers.run_path`, which stops cleanly when a run diverges.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from engine.errors import as_float_array, EngineError, require_finite
from engine.ops import optimizers

SURFACE_NAMES = ("bowl", "elongated", "rosenbrock", "saddle", "wells")
OPTIMIZER_CODES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
MAX_GRID = 401  # grid points per side for contour plots
MAX_PICTURE_SIDE = 1600  # grid points per side of a contour picture (one point per pixel)
MAX_STEPS = 2000

Pair = tuple[np.ndarray, np.ndarray]

# the two Gaussian wells: (centre x, centre y, depth, width)
_WELLS = ((1.5, 1.0, 2.0, 0.8), (-1.0, -0.6, 1.0, 0.6))


# ---------------------------------------------------------------- the functions and gradients

def _bowl(x, y):
    return 0.5 * (x * x + y * y)


def _bowl_grad(x, y) -> Pair:
    return x * 1.0, y * 1.0


def _elongated(x, y):
    return x * x / 20.0 + y * y


def _elongated_grad(x, y) -> Pair:
    return x / 10.0, 2.0 * y


def _rosenbrock(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def _rosenbrock_grad(x, y) -> Pair:
    inner = y - x * x  # the valley's distance from the parabola y = x^2
    return -2.0 * (1.0 - x) - 400.0 * x * inner, 200.0 * inner


def _saddle(x, y):
    return 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y


def _saddle_grad(x, y) -> Pair:
    return x * 1.0, y ** 3 - y


def _gauss(x, y, cx: float, cy: float, width: float):
    """G = exp(-((x-cx)^2 + (y-cy)^2) / (2 width^2)), a bump of height 1 centred at (cx, cy)."""
    return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2.0 * width * width))


def _wells(x, y):
    total = (x * x + y * y) / 20.0
    for cx, cy, depth, width in _WELLS:
        total = total - depth * _gauss(x, y, cx, cy, width)
    return total


def _wells_grad(x, y) -> Pair:
    gx, gy = x / 10.0, y / 10.0
    for cx, cy, depth, width in _WELLS:
        # d/dx of -depth * G = depth * G * (x - cx) / width^2 (same for y)
        k = depth * _gauss(x, y, cx, cy, width) / (width * width)
        gx = gx + k * (x - cx)
        gy = gy + k * (y - cy)
    return gx, gy


# ---------------------------------------------------------------- surfaces


@dataclass(frozen=True)
class Surface:
    """One loss surface: its function and gradient, the region to draw, a start point,
    the known minima (to 4 decimals), whether contours read better on a log scale, learning
    rates that suit it (one shared `learning_rate`, one per optimizer code in `learning_rates`)
    and a step count that shows the interesting part."""

    name: str
    function: Callable
    gradient_function: Callable
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    log_contours: bool = False
    learning_rate: float = 0.1
    learning_rates: dict[str, float] = field(default_factory=dict)
    steps: int = 100

    def value(self, x: object, y: object) -> np.ndarray:
        """f(x, y) for arrays x, y of any broadcastable shapes (NaN/inf where it overflows)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(self.function(np.asarray(x, float), np.asarray(y, float)))

    def gradient_xy(self, x: object, y: object) -> Pair:
        """(df/dx, df/dy) for broadcastable arrays x, y, both of their broadcast shape."""
        x, y = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float))
        with np.errstate(over="ignore", invalid="ignore"):
            gx, gy = self.gradient_function(x, y)
        return np.broadcast_to(gx, x.shape).copy(), np.broadcast_to(gy, x.shape).copy()

    def gradient(self, point: object) -> np.ndarray:
        """The gradient at one point (2,) -> (2,), the form engine.ops.optimizers.run_path calls."""
        p = as_float_array("point", point, ndim=1)
        if p.shape != (2,):
            raise EngineError("bad_shape", name="point", expected="(2,)", got=str(p.shape))
        with np.errstate(over="ignore", invalid="ignore"):  # scalars: no broadcasting needed
            gx, gy = self.gradient_function(np.float64(p[0]), np.float64(p[1]))
        return np.array([gx, gy], dtype=p.dtype)

    def grid(self, resolution: int = 161, columns: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """xs (C,), ys (R,) over the drawing region and Z (R, C) with Z[i, j] = f(xs[j], ys[i]);
        R = resolution, C = columns (default R). Each side has 2..MAX_PICTURE_SIDE points
        (a square grid at most MAX_GRID)."""
        rows, cols = resolution, resolution if columns is None else columns
        side_limit = MAX_GRID if columns is None else MAX_PICTURE_SIDE
        for name, count in (("resolution", rows), ("columns", cols)):
            if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or not 2 <= count <= side_limit:
                raise EngineError("bad_hyperparameter", name=name, value=count)
        xs = np.linspace(*self.x_range, int(cols))
        ys = np.linspace(*self.y_range, int(rows))
        return xs, ys, self.value(xs[None, :], ys[:, None])


SURFACES: dict[str, Surface] = {
    "bowl": Surface("bowl", _bowl, _bowl_grad, (-3.0, 3.0), (-3.0, 3.0), (-2.5, 2.0),
                    ((0.0, 0.0),), learning_rate=0.1,
                    learning_rates={"sgd": 0.1, "momentum": 0.1, "nesterov": 0.1, "adagrad": 0.5,
                                    "rmsprop": 0.05, "adam": 0.2}),
    "elongated": Surface("elongated", _elongated, _elongated_grad, (-10.0, 10.0), (-5.0, 5.0),
                         (-7.0, 2.0), ((0.0, 0.0),), learning_rate=0.3,
                         learning_rates={"sgd": 0.9, "momentum": 0.1, "nesterov": 0.1,
                                         "adagrad": 1.5, "rmsprop": 0.1, "adam": 0.3}),
    "rosenbrock": Surface("rosenbrock", _rosenbrock, _rosenbrock_grad, (-2.0, 2.0), (-1.0, 3.0),
                          (-1.5, 2.5), ((1.0, 1.0),), log_contours=True, learning_rate=0.001,
                          learning_rates={"sgd": 0.002, "momentum": 0.001, "nesterov": 0.001,
                                          "adagrad": 0.3, "rmsprop": 0.05, "adam": 0.1},
                          steps=500),
    "saddle": Surface("saddle", _saddle, _saddle_grad, (-2.0, 2.0), (-1.6, 1.6), (-1.8, 0.001),
                      ((0.0, 1.0), (0.0, -1.0)), learning_rate=0.1,
                      learning_rates={"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05,
                                      "adagrad": 0.3, "rmsprop": 0.02, "adam": 0.05}),
    "wells": Surface("wells", _wells, _wells_grad, (-3.5, 3.5), (-3.0, 3.0), (-3.2, -2.6),
                     ((1.4534, 0.9689), (-0.9618, -0.5769)), learning_rate=0.1,
                     learning_rates={"sgd": 0.1, "momentum": 0.1, "nesterov": 0.1,
                                     "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.1}),
}


def get_surface(name: str) -> Surface:
    """The surface called `name` (one of SURFACE_NAMES), else EngineError('bad_mode')."""
    if name not in SURFACES:
        raise EngineError("bad_mode", mode=name)
    return SURFACES[name]


# ---------------------------------------------------------------- optimizers on surfaces


@dataclass(frozen=True)
class OptimizerSettings:
    """Hyperparameters shared by the optimizers; each takes the ones it uses (Keras defaults)."""

    learning_rate: float = 0.01
    momentum: float = 0.9  # SGD momentum / Nesterov
    beta_1: float = 0.9  # Adam
    beta_2: float = 0.999  # Adam
    epsilon: float = 1e-7  # Adam, RMSprop, AdaGrad
    rho: float = 0.9  # RMSprop
    initial_accumulator_value: float = 0.1  # AdaGrad


def make_optimizer(code: str, settings: OptimizerSettings,
                   bias_correction: bool = True) -> optimizers.Optimizer:
    """An engine optimizer for `code` (one of OPTIMIZER_CODES) with the settings it uses.

    'momentum' and 'nesterov' are SGD with momentum (Nesterov look-ahead for the latter).
    bias_correction applies to Adam only. Bad settings raise EngineError('bad_hyperparameter').
    """
    s, lr = settings, settings.learning_rate
    if code == "sgd":
        return optimizers.SGD(lr)
    if code in ("momentum", "nesterov"):
        return optimizers.SGD(lr, momentum=s.momentum, nesterov=code == "nesterov")
    if code == "adagrad":
        return optimizers.Adagrad(lr, initial_accumulator_value=s.initial_accumulator_value,
                                  epsilon=s.epsilon)
    if code == "rmsprop":
        return optimizers.RMSprop(lr, rho=s.rho, epsilon=s.epsilon)
    if code == "adam":
        return optimizers.Adam(lr, beta_1=s.beta_1, beta_2=s.beta_2, epsilon=s.epsilon,
                               bias_correction=bias_correction)
    raise EngineError("bad_mode", mode=code)


@dataclass
class Descent:
    """One optimizer's run on a surface: the PathResult (points (k+1, 2), records, diverged,
    diverged_at), the loss at every point (k+1,) and each step's length |update| (k,)."""

    code: str
    path: optimizers.PathResult
    losses: np.ndarray
    step_sizes: np.ndarray

    @property
    def final_point(self) -> np.ndarray:
        return self.path.points[-1]


def _check_steps(steps: object) -> int:
    """steps as an int in 0..MAX_STEPS."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 0 <= steps <= MAX_STEPS:
        raise EngineError("bad_hyperparameter", name="steps", value=steps)
    return int(steps)


def descend(surface: Surface, code: str, start: object, steps: int, settings: OptimizerSettings,
            bias_correction: bool = True) -> Descent:
    """Run optimizer `code` for `steps` steps from `start` (2,) on `surface`.

    A run that blows up (NaN/inf, or beyond engine.ops.optimizers.DIVERGENCE_LIMIT) stops there:
    path.diverged is True and path.diverged_at the failing step; no bad point is kept.
    """
    point = as_float_array("start", start, ndim=1)
    require_finite("start", point)
    if point.shape != (2,):
        raise EngineError("bad_shape", name="start", expected="(2,)", got=str(point.shape))
    optimizer = make_optimizer(code, settings, bias_correction)
    path = optimizers.run_path(optimizer, surface.gradient, point, _check_steps(steps))
    losses = surface.value(path.points[:, 0], path.points[:, 1])
    sizes = np.array([np.linalg.norm(r["update"]) for r in path.records])
    return Descent(code, path, losses, sizes)
