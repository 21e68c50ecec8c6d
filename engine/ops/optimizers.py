"""Gradient-descent optimizers with exactly the update rules of Keras 3, plus a path runner.

Each optimizer keeps its own state (velocities, accumulators, step count) for one parameter
array of any shape. `step(params, grads)` returns the new parameters and leaves a dict of
named arrays in `last` so a page can show what happened. In every `last`, 'update' is the
change applied to the parameters: new_params = params + update.

Update rules (g = gradient, lr = learning rate, t = step number starting at 1):
- SGD:       p <- p - lr*g; with momentum: v <- momentum*v - lr*g, then p <- p + v
             (nesterov: p <- p + momentum*v - lr*g, with the already updated v).
- Adagrad:   a <- a + g^2 (a starts at initial_accumulator_value); p <- p - lr*g / sqrt(a + eps)
             (Keras puts epsilon inside the square root).
- RMSprop:   s <- rho*s + (1-rho)*g^2; centered also tracks ga <- rho*ga + (1-rho)*g and uses
             s - ga^2 instead of s; step = lr*g / sqrt(s + eps) (eps inside the root);
             with momentum: mom <- momentum*mom + step, p <- p - mom; else p <- p - step.
- Adam:      m <- m + (g - m)*(1-b1); v <- v + (g^2 - v)*(1-b2);
             alpha = lr * sqrt(1 - b2^t) / (1 - b1^t); p <- p - alpha * m / (sqrt(v) + eps).
             This equals the textbook lr * m_hat / (sqrt(v_hat) + eps_hat) with m_hat = m/(1-b1^t),
             v_hat = v/(1-b2^t) and eps_hat = eps / sqrt(1 - b2^t): Keras' epsilon is added
             before the bias correction, so early on it is effectively larger than eps.
             bias_correction=False (a teaching switch, not in Keras): p <- p - lr*m/(sqrt(v)+eps).

Computation follows the parameters' dtype (float32 kept, others float64), in Keras' order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from engine.errors import as_float_array, EngineError, require_finite

DIVERGENCE_LIMIT = 1e6  # run_path stops when |params| or |grad| exceeds this


def _hyper(name: str, value: object, low: float, high: float | None = None,
           low_open: bool = False, high_open: bool = True) -> float:
    """Return `value` as a finite float within the given bounds, else 'bad_hyperparameter'."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise EngineError("bad_hyperparameter", name=name, value=value) from exc
    ok = math.isfinite(v) and (v > low if low_open else v >= low)
    if high is not None:
        ok = ok and (v < high if high_open else v <= high)
    if not ok:
        raise EngineError("bad_hyperparameter", name=name, value=value)
    return v


class Optimizer:
    """Common machinery: learning rate, step counter, lazily created state, `last` record."""

    name = "optimizer"

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _hyper("learning_rate", learning_rate, 0.0, low_open=True)
        self.reset()

    def reset(self) -> None:
        """Forget all state (as a freshly built Keras optimizer)."""
        self.iterations = 0
        self.state: dict[str, np.ndarray] = {}
        self.last: dict[str, np.ndarray] = {}

    def _slot(self, key: str, like: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """The state array `key`, created filled with `fill` on first use."""
        if key not in self.state:
            self.state[key] = np.full(like.shape, fill, dtype=like.dtype)
        return self.state[key]

    def step(self, params: object, grads: object) -> np.ndarray:
        """One update. params and grads: same shape (any) -> new params (that shape)."""
        p = as_float_array("params", params)
        g = as_float_array("grads", grads).astype(p.dtype)
        require_finite("params", p)
        require_finite("grads", g)
        if g.shape != p.shape:
            raise EngineError("bad_shape", name="grads", expected=str(p.shape), got=str(g.shape))
        shape = next(iter(self.state.values())).shape if self.state else p.shape
        if shape != p.shape:
            raise EngineError("bad_shape", name="params", expected=str(shape), got=str(p.shape))
        return self._checked_step(p, g)

    def _checked_step(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        """`step` for params and grads already checked (same shape and dtype, finite)."""
        update = self._update(p, g, p.dtype.type(self.learning_rate))
        self.iterations += 1
        self.last["grad"] = g
        self.last["update"] = update
        return p + update

    def _update(self, p: np.ndarray, g: np.ndarray, lr: np.floating) -> np.ndarray:
        """Return the change to add to p, update the state and fill self.last."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum, as keras.optimizers.SGD.

    last: 'grad', 'update', and 'velocity' when momentum > 0.
    """

    name = "sgd"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False) -> None:
        self.momentum = _hyper("momentum", momentum, 0.0, 1.0, high_open=False)  # Keras: [0, 1]
        self.nesterov = bool(nesterov)
        super().__init__(learning_rate)

    def _update(self, p, g, lr):
        self.last = {}
        if self.momentum == 0:
            return -(g * lr)
        mu = p.dtype.type(self.momentum)
        v = self._slot("velocity", p)
        v[...] = v * mu - g * lr  # velocity: decayed old velocity plus the new gradient step
        self.last["velocity"] = v.copy()
        if self.nesterov:
            return v * mu - g * lr  # look ahead along the updated velocity
        return v.copy()


class Adagrad(Optimizer):
    """Adagrad as keras.optimizers.Adagrad: per-coordinate step lr / sqrt(sum of g^2 + eps).

    last: 'grad', 'accumulator', 'update'.
    """

    name = "adagrad"

    def __init__(self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7) -> None:
        self.initial_accumulator_value = _hyper("initial_accumulator_value",
                                                initial_accumulator_value, 0.0)
        self.epsilon = _hyper("epsilon", epsilon, 0.0)
        super().__init__(learning_rate)

    def _update(self, p, g, lr):
        acc = self._slot("accumulator", p, self.initial_accumulator_value)
        acc += np.square(g)  # running sum of squared gradients
        self.last = {"accumulator": acc.copy()}
        return -((lr * g) / np.sqrt(acc + p.dtype.type(self.epsilon)))


class RMSprop(Optimizer):
    """RMSprop as keras.optimizers.RMSprop (optionally centered and with momentum).

    last: 'grad', 'velocity' (the moving mean of g^2), 'update', plus 'momentum' when
    momentum > 0 and 'average_gradient' (moving mean of g) when centered.
    """

    name = "rmsprop"

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False) -> None:
        self.rho = _hyper("rho", rho, 0.0, 1.0)
        self.momentum = _hyper("momentum", momentum, 0.0)
        self.epsilon = _hyper("epsilon", epsilon, 0.0)
        self.centered = bool(centered)
        super().__init__(learning_rate)

    def _update(self, p, g, lr):
        dt = p.dtype.type
        rho, eps = dt(self.rho), dt(self.epsilon)
        one_minus_rho = dt(1 - self.rho)
        s = self._slot("velocity", p)
        s[...] = rho * s + one_minus_rho * np.square(g)  # moving mean square
        self.last = {"velocity": s.copy()}
        if self.centered:
            ga = self._slot("average_gradient", p)
            ga[...] = rho * ga + one_minus_rho * g
            self.last["average_gradient"] = ga.copy()
            denominator = s - np.square(ga) + eps  # a moving variance estimate of g
        else:
            denominator = s + eps
        increment = (lr * g) / np.sqrt(denominator)
        if self.momentum > 0:
            mom = self._slot("momentum", p)
            mom[...] = dt(self.momentum) * mom + increment
            self.last["momentum"] = mom.copy()
            return -mom
        return -increment


class Adam(Optimizer):
    """Adam as keras.optimizers.Adam (amsgrad off); see the module docstring for the epsilon.

    last: 'grad', 'm', 'v', 'm_hat', 'v_hat', 'update' and 'alpha' (scalar array: the step
    size Keras multiplies m/(sqrt(v)+eps) by). With bias_correction=False, m_hat = m,
    v_hat = v and alpha = lr.
    """

    name = "adam"

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, bias_correction: bool = True) -> None:
        self.beta_1 = _hyper("beta_1", beta_1, 0.0, 1.0)
        self.beta_2 = _hyper("beta_2", beta_2, 0.0, 1.0)
        self.epsilon = _hyper("epsilon", epsilon, 0.0)
        self.bias_correction = bool(bias_correction)
        super().__init__(learning_rate)

    def _update(self, p, g, lr):
        dt = p.dtype.type
        t = dt(self.iterations + 1)
        b1, b2, eps = dt(self.beta_1), dt(self.beta_2), dt(self.epsilon)
        m, v = self._slot("m", p), self._slot("v", p)
        m += (g - m) * dt(1 - self.beta_1)  # = b1*m + (1-b1)*g
        v += (np.square(g) - v) * dt(1 - self.beta_2)  # = b2*v + (1-b2)*g^2
        if self.bias_correction:
            c1, c2 = dt(1) - b1 ** t, dt(1) - b2 ** t  # 1 - b^t: how far the averages are from 0
            alpha = lr * np.sqrt(c2) / c1
            m_hat, v_hat = m / c1, v / c2
        else:
            alpha, m_hat, v_hat = lr, m.copy(), v.copy()
        self.last = {"m": m.copy(), "v": v.copy(), "m_hat": m_hat, "v_hat": v_hat,
                     "alpha": np.asarray(alpha, dtype=p.dtype)}
        return -((m * alpha) / (np.sqrt(v) + eps))


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
}


@dataclass
class PathResult:
    """A descent path: points (k+1, D) with k <= steps successful steps (all finite),
    records (k dicts, copies of optimizer.last), diverged, and diverged_at (the 1-based number
    of the step that failed, or None)."""

    points: np.ndarray
    records: list[dict[str, np.ndarray]] = field(default_factory=list)
    diverged: bool = False
    diverged_at: int | None = None


def blown(a: np.ndarray) -> bool:
    """True when `a` holds NaN/inf or a magnitude above DIVERGENCE_LIMIT."""
    # one reduction: max|a| <= limit is False for NaN (any comparison with NaN is) and for inf
    return a.size > 0 and not np.abs(a).max() <= DIVERGENCE_LIMIT


def run_path(optimizer: Optimizer, grad_fn: Callable[[np.ndarray], object], start: object,
             steps: int) -> PathResult:
    """Reset `optimizer` and run `steps` updates from `start` (D,) using grad_fn(point) -> (D,).

    Stops without raising when a gradient or the new point becomes non-finite or exceeds
    1e6 in magnitude: diverged=True, diverged_at = that step, the bad point is not kept.
    """
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise EngineError("bad_hyperparameter", name="steps", value=steps)
    point = as_float_array("start", start, ndim=1)
    require_finite("start", point)
    optimizer.reset()
    points, records = [point.copy()], []
    with np.errstate(all="ignore"):
        for i in range(1, int(steps) + 1):
            grad = as_float_array("grads", grad_fn(point.copy())).astype(point.dtype)
            if grad.shape != point.shape:
                raise EngineError("bad_shape", name="grads", expected=str(point.shape),
                                  got=str(grad.shape))
            if blown(grad):
                return PathResult(np.array(points), records, True, i)
            new = optimizer._checked_step(point, grad)  # checked: same shape and dtype, not blown
            if blown(new):
                return PathResult(np.array(points), records, True, i)
            point = new
            points.append(point.copy())
            records.append({k: np.array(v, copy=True) for k, v in optimizer.last.items()})
    return PathResult(np.array(points), records, False, None)
