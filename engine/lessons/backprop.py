"""Backpropagation through the forward page's small network, one image and its true class.

`network_backward` runs engine.ops.backward's rules backwards through the stages of
engine.lessons.forward.run (the last step a softmax): delta^L = p - y at the logits, then for each
layer delta^l = sigma'(x^l) (.) (W^(l+1))^T delta^(l+1), grad_b C = delta^l and
grad_W C = delta^l (a^(l-1))^T, conv and pooling by their own rules. The `*_trace` functions
explain one stage cell's gradient with its numbers; `gradient_check` puts the analytic value
beside the central finite difference (L(w + h) - L(w - h)) / 2h of one weight; `descend` applies
N optimizer steps (engine.ops.optimizers) to every weight of the network.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np

from engine import checks
from engine.errors import as_float_array, EngineError
from engine.lessons import forward
from engine.ops import activations, backward, optimizers

PARAM_NAMES = {"conv": ("kernel", "bias"), "dense": ("weights", "bias")}

# ------------------------------------------------------------------ a whole network, one image


@dataclass(frozen=True)
class NetworkGrads:
    """Backpropagation through an engine.lessons.forward network for one image and its true class.

    loss: -log p_label (from the logits); probs (K,); label; stage_grads[i] = dL/d(stage i's
    values), shaped like stages[i].values (stage 0 the input image, the last the probabilities:
    dL/dp = -y/p); param_grads[i]: {name: gradient} of step i-1's weights (stage i's step), {} for
    steps without weights ('kernel', 'bias' for conv; 'weights', 'bias' for dense; 'gamma', 'beta'
    for an inference BatchNorm).
    """

    loss: float
    probs: np.ndarray
    label: int
    stage_grads: list[np.ndarray]
    param_grads: list[dict[str, np.ndarray]]


def loss_of(stages: list[forward.Stage], label: int) -> float:
    """-log p_label of a network ending in softmax, computed from the logits (stable)."""
    if stages[-1].kind != "softmax":
        raise EngineError("bad_mode", mode="no softmax at the end")
    logits = stages[-2].values
    backward.check_channel(label, logits.size)
    return float(-activations.log_softmax(logits)[int(label)])


def _step_backward(step: forward.Step, x: np.ndarray, y: np.ndarray, g: np.ndarray
                   ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """dL/d(input) of one step (no batch axis) given its input x, output y and dL/dy, and its weights' grads."""
    kind = step.kind
    if kind == "scale":
        return g * step.factor, {}
    if kind == "conv":
        grads = backward.conv2d_backward(x[None], step.kernel, g[None], step.strides, step.padding, step.dilation)
        return grads.input[0], {"kernel": grads.kernel, "bias": grads.bias}
    if kind == "relu":
        return backward.activation_backward("relu", x, g), {}
    if kind == "activation":
        return backward.activation_backward(step.activation, x, g), {}
    if kind == "pool":
        return backward.pool2d_backward(x[None], g[None], step.pool_size, step.strides, step.padding, step.mode)[0], {}
    if kind == "global_pool":
        return backward.global_pool_backward(x[None], g[None], step.mode)[0], {}
    if kind == "flatten":
        return backward.flatten_backward(g[None], (1,) + x.shape)[0], {}
    if kind == "dense":
        grads = backward.dense_backward(x[None], step.weights, g[None])
        return grads.input[0], {"weights": grads.weights, "bias": grads.bias}
    if kind == "batchnorm":  # inference: fixed statistics, a per-channel scale
        inv = 1.0 / np.sqrt(step.bn.moving_variance + step.epsilon)
        x_hat = (x - step.bn.moving_mean) * inv
        axes = tuple(range(x.ndim - 1))
        return g * step.bn.gamma * inv, {"gamma": np.sum(g * x_hat, axis=axes), "beta": np.sum(g, axis=axes)}
    if kind == "softmax":
        return backward.softmax_backward(y, g), {}
    raise EngineError("bad_mode", mode=kind)


def network_backward(stages: list[forward.Stage], label: int) -> NetworkGrads:
    """Backpropagate -log p_label through the stages of engine.lessons.forward.run (last step: softmax).

    The softmax and cross-entropy together give dL/dz = p - y at the logits (the numerically
    safe form); from there each step's backward function runs in reverse order.
    """
    loss = loss_of(stages, label)
    probs = stages[-1].values
    y = np.zeros_like(probs)
    y[int(label)] = 1.0
    grads: list[np.ndarray | None] = [None] * len(stages)
    params: list[dict[str, np.ndarray]] = [{} for _ in stages]
    grads[-1] = -y / np.maximum(probs, np.finfo(probs.dtype).tiny)
    grads[-2] = probs - y
    for i in range(len(stages) - 2, 0, -1):
        step = stages[i].step
        grads[i - 1], params[i] = _step_backward(step, stages[i - 1].values, stages[i].values, grads[i])
    return NetworkGrads(loss=loss, probs=probs, label=int(label), stage_grads=grads, param_grads=params)


def gradients(image: object, steps: list[forward.Step], label: int) -> tuple[list[forward.Stage], NetworkGrads]:
    """forward.run and network_backward in one call."""
    stages = forward.run(image, steps)
    return stages, network_backward(stages, label)


def param_value(step: forward.Step, name: str) -> np.ndarray:
    if step.kind == "batchnorm":
        return getattr(step.bn, name)
    return getattr(step, name)


def with_param(steps: list[forward.Step], index: int, name: str, value: np.ndarray) -> list[forward.Step]:
    """A copy of steps where steps[index]'s weight `name` is `value` (the others shared)."""
    step = steps[index]
    if step.kind == "batchnorm":
        new = dataclasses.replace(step, bn=dataclasses.replace(step.bn, **{name: value}))
    else:
        new = dataclasses.replace(step, **{name: value})
    return steps[:index] + [new] + steps[index + 1:]


def trainable(steps: list[forward.Step]) -> list[tuple[int, str]]:
    """(step index, weight name) of every trainable array of the network, in order."""
    out = []
    for i, step in enumerate(steps):
        names = PARAM_NAMES.get(step.kind, ("gamma", "beta") if step.kind == "batchnorm" else ())
        out += [(i, name) for name in names]
    return out


def loss_at(image: object, steps: list[forward.Step], label: int) -> float:
    """The loss of the network on one image (a forward pass)."""
    return loss_of(forward.run(image, steps), label)


@dataclass(frozen=True)
class GradCheck:
    """A gradient check of one weight: analytic dL/dw, (L(w+h) - L(w-h)) / 2h, and the parts."""

    analytic: float
    numeric: float
    loss_plus: float
    loss_minus: float
    h: float
    relative_error: float  # |a - n| / max(|a|, |n|, 1e-12)
    loss: float  # L(w)
    right_slope: float  # (L(w+h) - L(w)) / h
    left_slope: float  # (L(w) - L(w-h)) / h

    @property
    def kink(self) -> bool:
        """The two one-sided slopes disagree: w sits on a non-differentiable point (a ReLU input at
        exactly 0, a max-pool tie), where backprop takes one side's derivative (TensorFlow's choice)."""
        scale = max(abs(self.right_slope), abs(self.left_slope), 1e-12)
        return abs(self.right_slope - self.left_slope) / scale > 1e-3 and self.relative_error > 1e-3


def gradient_check(image: object, steps: list[forward.Step], label: int, step_index: int, name: str,
                   index: tuple[int, ...], h: float = 1e-5) -> GradCheck:
    """Compare the backpropagated dL/dw of steps[step_index].name[index] with a central difference."""
    if not (isinstance(h, (int, float)) and np.isfinite(h) and h > 0):
        raise EngineError("bad_hyperparameter", name="h", value=h)
    if (step_index, name) not in trainable(steps):
        raise EngineError("bad_mode", mode=f"{step_index}.{name}")
    base = np.asarray(param_value(steps[step_index], name), dtype=np.float64)
    idx = tuple(int(v) for v in index)
    if len(idx) != base.ndim or any(not 0 <= v < s for v, s in zip(idx, base.shape)):
        raise EngineError("bad_hyperparameter", name="index", value=str(idx))
    stages, grads = gradients(image, steps, label)
    analytic = float(grads.param_grads[step_index + 1][name][idx])

    def loss_with(delta: float) -> float:
        w = base.copy()
        w[idx] += delta
        return loss_at(image, with_param(steps, step_index, name, w), label)

    plus, minus = loss_with(h), loss_with(-h)
    numeric = (plus - minus) / (2 * h)
    rel = abs(analytic - numeric) / max(abs(analytic), abs(numeric), 1e-12)
    return GradCheck(analytic=analytic, numeric=numeric, loss_plus=plus, loss_minus=minus, h=float(h),
                     relative_error=rel, loss=grads.loss, right_slope=(plus - grads.loss) / h,
                     left_slope=(grads.loss - minus) / h)


def numeric_gradient(f: Callable[[np.ndarray], float], x: object, h: float = 1e-6) -> np.ndarray:
    """Central finite differences of a scalar function: (f(x + h e_i) - f(x - h e_i)) / 2h, shaped like x."""
    base = np.array(as_float_array("x", x), dtype=np.float64)
    out = np.zeros_like(base)
    for i in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[i] += h
        minus[i] -= h
        out[i] = (f(plus) - f(minus)) / (2 * h)
    return out


# ------------------------------------------------------------------ learning steps


@dataclass
class Descent:
    """N optimizer steps on one image: losses (k+1,) before each step and after the last,
    steps_after the network after the last successful step, kernels (k+1, KH,KW,C,F) the first
    conv's kernel after each step (None without a conv), records (k dicts) the optimizer's `last`
    of the first trainable array for every step, diverged / diverged_at (1-based step) as
    engine.ops.optimizers.run_path."""

    losses: np.ndarray
    steps_after: list[forward.Step]
    kernels: np.ndarray | None
    records: list[dict[str, np.ndarray]]
    grads: list[dict[tuple[int, str], np.ndarray]]
    diverged: bool = False
    diverged_at: int | None = None


def descend(image: object, steps: list[forward.Step], label: int, new_optimizer: Callable[[], optimizers.Optimizer],
            count: int) -> Descent:
    """Apply `count` learning steps to every trainable array (one optimizer per array, from
    new_optimizer()) with the gradient of this image's loss. Stops without raising when a weight,
    a gradient or the loss becomes non-finite or exceeds optimizers.DIVERGENCE_LIMIT (a learning
    rate that is too large): the bad step is not kept. grads[k]: the gradients used in step k+1."""
    if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 0:
        raise EngineError("bad_hyperparameter", name="steps", value=count)
    params = trainable(steps)
    opts = {key: new_optimizer() for key in params}
    conv_index = next((i for i, s in enumerate(steps) if s.kind == "conv"), None)
    current = list(steps)
    stages, grads = gradients(image, current, label)
    losses_, kernels, records, used = [grads.loss], [], [], []
    if conv_index is not None:
        kernels.append(current[conv_index].kernel.copy())
    for k in range(1, int(count) + 1):
        new_steps = current
        record = {}
        step_grads = {key: grads.param_grads[key[0] + 1][key[1]] for key in params}
        try:
            with np.errstate(all="ignore"):
                for key in params:
                    g = step_grads[key]
                    if optimizers.blown(g):
                        raise FloatingPointError
                    new = opts[key].step(param_value(new_steps[key[0]], key[1]), g)
                    if optimizers.blown(new):
                        raise FloatingPointError
                    new_steps = with_param(new_steps, key[0], key[1], new)
                    if key == params[0]:
                        record = {name: np.array(v, copy=True) for name, v in opts[key].last.items()}
                stages, grads = gradients(image, new_steps, label)
                if not np.isfinite(grads.loss) or any(optimizers.blown(g) for g in grads.stage_grads[:-1]):
                    raise FloatingPointError
        except (FloatingPointError, EngineError):
            return Descent(np.array(losses_), current, np.array(kernels) if kernels else None, records, used,
                           True, k)
        current = new_steps
        losses_.append(grads.loss)
        records.append(record)
        used.append(step_grads)
        if conv_index is not None:
            kernels.append(current[conv_index].kernel.copy())
    return Descent(np.array(losses_), current, np.array(kernels) if kernels else None, records, used)


def optimizer_factory(name: str, learning_rate: float, **settings: object) -> Callable[[], optimizers.Optimizer]:
    """A factory of engine.ops.optimizers.OPTIMIZERS[name] (validated now: a bad rate raises here)."""
    if name not in optimizers.OPTIMIZERS:
        raise EngineError("bad_mode", mode=str(name))
    cls = optimizers.OPTIMIZERS[name]
    cls(learning_rate, **settings)  # raises 'bad_hyperparameter' before any step
    return lambda: cls(learning_rate, **settings)


# ------------------------------------------------------------------ explaining one gradient cell of a network


@dataclass(frozen=True)
class ElementGradTrace:
    """dL/dx = upstream x derivative for a step acting cell by cell (ReLU, an activation, the
    rescale, an inference BatchNorm, a global pool's share): x the forward input value, upstream
    dL/d(output) at the same cell (or the pooled channel), derivative d(output)/dx, result."""

    x: float
    upstream: float
    derivative: float
    result: float


@dataclass(frozen=True)
class DenseInputGradTrace:
    """dL/dx[d] of a dense layer = sum_u W[d, u] delta[u]: weights (U,), upstream delta (U,), products, total."""

    index: int
    weights: np.ndarray
    upstream: np.ndarray
    products: np.ndarray
    total: float


@dataclass(frozen=True)
class FlattenGradTrace:
    """dL/dmap[cell] = dL/dflat[index]: flatten only moves the number."""

    cell: tuple[int, ...]
    index: int
    result: float


@dataclass(frozen=True)
class SoftmaxGradTrace:
    """At the logits z (softmax + cross-entropy): dL/dz_k = p_k - y_k, and the same number by the chain
    rule through the softmax: sum_j dL/dp_j dp_j/dz_k, with dp_j/dz_k = p_j (delta_jk - p_k)
    (p_k (1 - p_k) for j = k, -p_j p_k otherwise). upstream (K,) dL/dp, jacobian (K,) dp_j/dz_k."""

    unit: int
    p: float
    y: float
    result: float
    upstream: np.ndarray
    jacobian: np.ndarray
    products: np.ndarray
    chain_total: float


@dataclass(frozen=True)
class OutputGradTrace:
    """At the probabilities: dL/dp_k = -y_k / p_k (only the true class is not 0)."""

    unit: int
    p: float
    y: float
    result: float


def stage_grad_trace(stages: list[forward.Stage], grads: NetworkGrads, index: int, position: tuple[int, ...]):
    """How dL/d(stage `index`)[position] follows from the gradient of the next stage (the next step's rule).

    position (row, col, channel) for maps, (unit,) for vectors. Returns OutputGradTrace (the
    probabilities), SoftmaxGradTrace (the logits), backward.InputGradTrace (before a conv), backward.PoolGradTrace
    (before a pooling), DenseInputGradTrace, FlattenGradTrace or ElementGradTrace.
    """
    if not (checks.is_int(index) and 0 <= index < len(stages)):
        raise EngineError("channel_out_of_range", channel=index, channels=len(stages))
    values = stages[index].values
    pos = tuple(int(p) for p in position)
    if len(pos) != values.ndim or any(not 0 <= p < s for p, s in zip(pos, values.shape)):
        raise EngineError("position_out_of_range", row=pos[0], col=pos[1] if len(pos) > 1 else 0,
                          rows=values.shape[0], cols=values.shape[1] if values.ndim > 1 else 1)
    result = float(grads.stage_grads[index][pos])
    if index == len(stages) - 1:
        unit = pos[0]
        return OutputGradTrace(unit, float(values[unit]), float(unit == grads.label), result)
    step, up = stages[index + 1].step, grads.stage_grads[index + 1]
    if step.kind == "softmax":
        k = pos[0]
        p = grads.probs
        jac = backward.softmax_jacobian(p)[:, k]
        products = up * jac
        return SoftmaxGradTrace(k, float(p[k]), float(k == grads.label), result, up, jac, products,
                                float(products.sum()))
    if step.kind == "conv":
        return backward.input_grad_trace(values.shape[:2], step.kernel, up, step.strides, step.padding, step.dilation, *pos)
    if step.kind == "pool":
        return backward.pool_grad_trace(values, up, step.pool_size, step.strides, step.padding, step.mode, *pos)
    if step.kind == "dense":
        w = step.weights[pos[0]]
        return DenseInputGradTrace(pos[0], w, up, w * up, float((w * up).sum()))
    if step.kind == "flatten":
        flat = int(np.ravel_multi_index(pos, values.shape))
        return FlattenGradTrace(pos, flat, result)
    x = float(values[pos])
    if step.kind == "global_pool":
        share = backward.global_pool_backward(values[None], np.ones((1, values.shape[2])), step.mode)[0][pos]
        return ElementGradTrace(x, float(up[pos[-1]]), float(share), result)
    if step.kind == "scale":
        derivative = float(step.factor)
    elif step.kind == "batchnorm":
        derivative = float(step.bn.gamma[pos[-1]] / np.sqrt(step.bn.moving_variance[pos[-1]] + step.epsilon))
    else:
        derivative = float(backward.activation_derivative("relu" if step.kind == "relu" else step.activation, np.array(x)))
    return ElementGradTrace(x, float(up[pos]), derivative, result)


@dataclass(frozen=True)
class DenseWeightGradTrace:
    """dL/dW[d, u] = a[d] x delta[u] (the notes' delta^l (a^(l-1))^T, one entry), dL/db[u] = delta[u]."""

    d: int
    u: int
    activation: float
    delta: float
    result: float


def dense_weight_trace(stages: list[forward.Stage], grads: NetworkGrads, step_index: int, d: int, u: int
                       ) -> DenseWeightGradTrace:
    """Trace one dense weight's gradient; step_index is the dense step's index in the steps list."""
    stage = stages[step_index + 1]
    if stage.kind != "dense":
        raise EngineError("bad_mode", mode=stage.kind)
    checks.position(d, u, *stage.step.weights.shape)
    a, delta = float(stages[step_index].values[d]), float(grads.stage_grads[step_index + 1][u])
    return DenseWeightGradTrace(int(d), int(u), a, delta, float(grads.param_grads[step_index + 1]["weights"][d, u]))
