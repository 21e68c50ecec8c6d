"""A small CNN's forward pass, stage by stage, with the numbers behind every cell.

A network is a list of steps (rescale, conv, ReLU, pool, global pool, flatten, dense, softmax);
`run` pushes one image (H, W, C) through them and keeps every intermediate array (no batch
axis), and `trace_cell` explains one cell of one stage with the engine's trace functions:
conv_trace (window x kernel products), pool_trace (the max or the mean), dense_trace (a dot
product), softmax_trace (exp and sum). Shapes and parameter counts come from engine.shapes.layers.

Weights come either from hand-made filters (Sobel/Laplacian presets) and a deterministic
dense layer (seeded random, or class templates), or from a trained Keras model through
`steps_from_keras`, which only calls the model's `layers`, `get_config()` and
`get_weights()` (no TensorFlow import here).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from engine.errors import as_float_array, EngineError, require_finite
from engine.ops import activations, batchnorm, conv, dense, kernels, pooling
from engine.shapes import layers

HANDMADE_FILTERS = ("sobel_x", "sobel_y", "laplacian")


@dataclass(frozen=True)
class Step:
    """One operation. kind: 'scale' | 'conv' | 'relu' | 'activation' | 'pool' | 'global_pool' |
    'batchnorm' | 'flatten' | 'dense' | 'softmax'. Only the fields of its kind are used:
    scale: factor, offset (y = x * factor + offset); conv: kernel (KH, KW, C, F), bias (F,),
    strides, padding, dilation; activation: activation (a name of engine.ops.activations, e.g.
    'tanh'); pool / global_pool: mode, pool_size, strides, padding; batchnorm: bn (moving
    statistics, inference), epsilon; dense: weights (D, U), bias (U,)."""

    kind: str
    kernel: np.ndarray | None = None
    bias: np.ndarray | None = None
    weights: np.ndarray | None = None
    strides: tuple[int, int] = (1, 1)
    padding: str = "valid"
    dilation: tuple[int, int] = (1, 1)
    mode: str = "max"
    pool_size: tuple[int, int] = (2, 2)
    factor: float = 1.0
    offset: float = 0.0
    activation: str = "relu"
    bn: batchnorm.BatchNormState | None = None
    epsilon: float = 1e-3
    bn_arrays: int = 4  # how many (C,) arrays the layer stores (3 without gamma or beta)


@dataclass(frozen=True)
class Stage:
    """The array after one step: values (H, W, C) or (D,), no batch axis, and its cost."""

    index: int
    kind: str  # 'input' or the step's kind
    values: np.ndarray
    params: int
    formula: str  # how params is counted, e.g. "(3×3×1 + 1) × 3 = 30"; "0" without weights
    step: Step | None = field(default=None, repr=False)


def _spec(step: Step) -> layers.LayerSpec | None:
    """The engine.shapes.layers spec of a step that changes shape or has weights (None for the rest)."""
    if step.kind == "conv":
        kh, kw, _, f = step.kernel.shape
        return layers.Conv2DSpec(f, (kh, kw), step.strides, step.padding, step.dilation)
    if step.kind == "pool":
        return layers.PoolSpec(step.mode, step.pool_size, step.strides, step.padding)
    if step.kind == "global_pool":
        return layers.GlobalPoolSpec(step.mode)
    if step.kind == "flatten":
        return layers.FlattenSpec()
    if step.kind == "batchnorm":
        return layers.BatchNormSpec()
    if step.kind == "dense":
        return layers.DenseSpec(step.weights.shape[1])
    return None


def _apply(step: Step, x: np.ndarray) -> np.ndarray:
    """One step on one sample (no batch axis)."""
    if step.kind == "scale":
        return x * step.factor + step.offset
    if step.kind == "conv":
        return conv.conv2d(x[None], step.kernel, step.bias, step.strides, step.padding,
                           step.dilation)[0]
    if step.kind == "relu":
        return activations.relu(x)
    if step.kind == "activation":
        return activations.apply_activation(step.activation, x)
    if step.kind == "batchnorm":  # inference: the moving statistics
        return batchnorm.batchnorm(x[None], step.bn, training=False, epsilon=step.epsilon).output[0]
    if step.kind == "pool":
        return pooling.pool2d(x[None], step.pool_size, step.strides, step.padding, step.mode)[0]
    if step.kind == "global_pool":
        return pooling.global_pool(x[None], step.mode)[0]
    if step.kind == "flatten":
        return dense.flatten(x[None])[0]
    if step.kind == "dense":
        return dense.dense(x[None], step.weights, step.bias)[0]
    if step.kind == "softmax":
        return activations.softmax(x)
    raise EngineError("bad_mode", mode=step.kind)


def run(image: object, steps: list[Step]) -> list[Stage]:
    """Stage 0 is the input (H, W, C); stage i is the output of steps[i - 1].

    Shapes and parameter counts are checked against engine.shapes.layers.summarize (as
    model.summary() would print them).
    """
    x = as_float_array("image", image, ndim=3)
    require_finite("image", x)
    specs = [_spec(s) for s in steps]
    rows = iter(layers.summarize(x.shape, [s for s in specs if s is not None]))
    stages = [Stage(0, "input", x, 0, "0")]
    for i, (step, spec) in enumerate(zip(steps, specs), start=1):
        x = _apply(step, x)
        params, formula = 0, "0"
        if spec is not None:
            row = next(rows)
            assert row.output_shape == x.shape, (row, x.shape)
            params, formula = row.params, row.formula
            if step.kind == "batchnorm" and step.bn_arrays != 4:  # no gamma or no beta
                c = x.shape[-1]
                params, formula = step.bn_arrays * c, f"{step.bn_arrays} × {c} = {step.bn_arrays * c}"
        stages.append(Stage(i, step.kind, x, params, formula, step))
    return stages


# ------------------------------------------------------------------ explaining one cell


@dataclass(frozen=True)
class ElementTrace:
    """A one-input step (rescale, ReLU) at one cell: result = f(before)."""

    before: float
    result: float


@dataclass(frozen=True)
class BatchNormTrace:
    """Batch normalization (inference) of one value of channel c:
    result = gamma * (before - mean) / sqrt(variance + epsilon) + beta."""

    before: float
    mean: float
    variance: float
    epsilon: float
    gamma: float
    beta: float
    x_hat: float
    result: float


@dataclass(frozen=True)
class FlattenTrace:
    """Flatten: output index i reads input cell (row, col, channel), i = (row*W + col)*C + channel."""

    index: int
    source: tuple[int, ...]
    result: float


def flat_source(shape: tuple[int, ...], index: int) -> tuple[int, ...]:
    """Which cell of an array of `shape` lands at position `index` after a C-order flatten."""
    return tuple(int(v) for v in np.unravel_index(index, shape))


def _check_stage(stages: list[Stage], index: object) -> Stage:
    if not (isinstance(index, (int, np.integer)) and 1 <= index < len(stages)):
        raise EngineError("channel_out_of_range", channel=index, channels=len(stages))
    return stages[int(index)]


def trace_cell(stages: list[Stage], index: int, position: tuple[int, ...]):
    """How cell `position` of stage `index` was computed from the previous stage.

    position: (row, col, channel) for image-shaped stages, (unit,) for vectors.
    Returns conv.ConvTrace, pooling.PoolTrace, dense.DenseTrace, activations.SoftmaxTrace
    (the whole vector), ElementTrace or FlattenTrace.
    """
    stage = _check_stage(stages, index)
    prev, step = stages[index - 1].values, stage.step
    pos = tuple(int(p) for p in position)
    if stage.values.ndim == 3:
        r, c, ch = pos
        if not (0 <= r < stage.values.shape[0] and 0 <= c < stage.values.shape[1]):
            raise EngineError("position_out_of_range", row=r, col=c, rows=stage.values.shape[0],
                              cols=stage.values.shape[1])
    if stage.kind == "conv":
        return conv.conv_trace(prev, step.kernel, step.bias, step.strides, step.padding,
                               step.dilation, row=pos[0], col=pos[1], filter=pos[2])
    if stage.kind == "pool":
        return pooling.pool_trace(prev, step.pool_size, step.strides, step.padding, step.mode,
                                  row=pos[0], col=pos[1], channel=pos[2])
    if stage.kind == "global_pool":  # one window covering the whole map
        return pooling.pool_trace(prev, prev.shape[:2], None, "valid", step.mode, 0, 0, pos[0])
    if stage.kind == "dense":
        return dense.dense_trace(prev, step.weights, step.bias, pos[0])
    if stage.kind == "softmax":
        return activations.softmax_trace(prev)
    if stage.kind == "flatten":
        return FlattenTrace(pos[0], flat_source(prev.shape, pos[0]), float(stage.values[pos[0]]))
    if stage.kind == "batchnorm":
        return _batchnorm_trace(step, float(prev[pos]), pos[-1], float(stage.values[pos]))
    return ElementTrace(float(prev[pos]), float(stage.values[pos]))


def _batchnorm_trace(step: Step, before: float, channel: int, result: float) -> BatchNormTrace:
    mean, var = float(step.bn.moving_mean[channel]), float(step.bn.moving_variance[channel])
    return BatchNormTrace(before=before, mean=mean, variance=var, epsilon=step.epsilon,
                          gamma=float(step.bn.gamma[channel]), beta=float(step.bn.beta[channel]),
                          x_hat=(before - mean) / float(np.sqrt(var + step.epsilon)), result=result)


# ------------------------------------------------------------------ hand-made weights


def handmade_conv(channels: int, filters: tuple[str, ...] = HANDMADE_FILTERS) -> Step:
    """A conv step whose filters are 3x3 presets (K, K, channels, F), bias 0."""
    patterns = [kernels.stack_filter(kernels.preset_kernel(name, 3), channels) for name in filters]
    kernel = np.stack(patterns, axis=-1)
    return Step("conv", kernel=kernel, bias=np.zeros(kernel.shape[3]))


def random_dense(inputs: int, units: int, seed: int = 0, scale: float = 4.0) -> Step:
    """A dense step with seeded normal weights of std scale/sqrt(inputs) and zero bias."""
    rng = np.random.default_rng(seed)
    return Step("dense", weights=rng.normal(0.0, scale / np.sqrt(inputs), (inputs, units)),
                bias=np.zeros(units))


def template_dense(features: object, labels: object, units: int, temperature: float = 4.0) -> Step:
    """A dense layer built by hand from class averages ("templates"), no training.

    features (N, D), labels (N,) in 0..units-1. With m_u the mean feature vector of class u,
    m the mean of the m_u and d_u = m_u - m: w_u = d_u / |d_u| * temperature / s and
    b_u = -w_u . (m + d_u / 2), so a sample equal to m_u scores +temperature*|d_u|/(2 s) and
    the class average m scores the opposite (s = mean |d_u|, keeping logits in a few units).
    """
    x = as_float_array("features", features, ndim=2)
    y = np.asarray(labels).astype(np.int64)
    means = np.stack([x[y == u].mean(axis=0) for u in range(units)])  # (U, D)
    centre = means.mean(axis=0)
    diffs = means - centre
    norms = np.linalg.norm(diffs, axis=1)
    scale = float(norms.mean()) or 1.0
    w = diffs / np.where(norms == 0, 1.0, norms)[:, None] * (temperature / scale)
    b = -np.einsum("ud,ud->u", w, centre + diffs / 2)
    return Step("dense", weights=w.T.copy(), bias=b)


def handmade_steps(input_shape: tuple[int, int, int], units: int, dense_step: Step | None = None,
                   seed: int = 0) -> list[Step]:
    """rescale 1/255 -> conv (Sobel x, Sobel y, Laplacian) -> ReLU -> max-pool 2 -> flatten ->
    dense (given, or seeded random) -> softmax, for an input of input_shape (H, W, C)."""
    first = [Step("scale", factor=1.0 / 255.0), handmade_conv(input_shape[2]), Step("relu"),
             Step("pool", mode="max", pool_size=(2, 2), strides=(2, 2)), Step("flatten")]
    if dense_step is None:
        sizes = run(np.zeros(input_shape), first)
        dense_step = random_dense(sizes[-1].values.shape[0], units, seed)
    return first + [dense_step, Step("softmax")]


def features_before_dense(images: object, steps: list[Step]) -> np.ndarray:
    """Run a batch (N, H, W, C) through the steps up to (not including) the first dense step.

    Returns (N, D). Used to build template weights from many images at once.
    """
    x = as_float_array("images", images, ndim=4)
    for step in steps:
        if step.kind == "dense":
            break
        if step.kind == "flatten":
            x = dense.flatten(x)
        elif step.kind in ("scale", "relu"):
            x = _apply(step, x)
        elif step.kind == "conv":
            x = conv.conv2d(x, step.kernel, step.bias, step.strides, step.padding, step.dilation)
        elif step.kind == "pool":
            x = pooling.pool2d(x, step.pool_size, step.strides, step.padding, step.mode)
        elif step.kind == "global_pool":
            x = pooling.global_pool(x, step.mode)
    return x.reshape(x.shape[0], -1)


# ------------------------------------------------------------------ a trained Keras model


def _pair(value: object) -> tuple[int, int]:
    return tuple(int(v) for v in value) if isinstance(value, (tuple, list)) else (int(value),) * 2


def _activation_steps(name: object) -> list[Step]:
    """The steps of a Keras activation name: linear -> none; relu, softmax; the other element-wise
    activations of engine.ops.activations (elu, tanh, sigmoid, ...); anything else refused."""
    if name in (None, "linear"):
        return []
    if name in ("relu", "softmax"):
        return [Step(str(name))]
    if name in activations.ACTIVATIONS and name != "leaky_relu":  # Keras' leaky slope is a layer setting
        return [Step("activation", activation=str(name))]
    raise EngineError("bad_mode", mode=str(name))


def _keras_batchnorm(cfg: dict, w: list[np.ndarray]) -> Step:
    """A BatchNormalization layer over the last axis, at inference (moving statistics)."""
    axis = cfg.get("axis", -1)
    if axis not in (-1, 3, [-1], [3]):
        raise EngineError("bad_mode", mode=f"BatchNormalization axis={axis}")
    weights = list(w)
    if len(weights) < 2:
        raise EngineError("bad_mode", mode="BatchNormalization without moving statistics")
    channels = weights[-1].shape[0]
    gamma = weights.pop(0) if cfg.get("scale", True) else np.ones(channels)
    beta = weights.pop(0) if cfg.get("center", True) else np.zeros(channels)
    state = batchnorm.BatchNormState(gamma=gamma, beta=beta, moving_mean=weights[0],
                                     moving_variance=weights[1])
    return Step("batchnorm", bn=state, epsilon=float(cfg.get("epsilon", 1e-3)), bn_arrays=len(w))


def _keras_layer_steps(layer: object) -> list[Step]:
    """The steps for one Keras layer (class name, config and weights only)."""
    kind = type(layer).__name__
    cfg = layer.get_config()
    w = [np.asarray(a, dtype=np.float64) for a in layer.get_weights()]
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise EngineError("bad_mode", mode=f"{kind} data_format={cfg['data_format']}")
    if kind in ("InputLayer", "Dropout"):  # dropout is the identity at inference
        return []
    if kind == "Rescaling":
        return [Step("scale", factor=float(cfg["scale"]), offset=float(cfg["offset"]))]
    if kind == "Conv2D":
        if cfg.get("groups", 1) != 1:
            raise EngineError("bad_mode", mode="Conv2D groups")
        bias = w[1] if len(w) > 1 else np.zeros(w[0].shape[3])
        return [Step("conv", kernel=w[0], bias=bias, strides=_pair(cfg["strides"]),
                     padding=cfg["padding"], dilation=_pair(cfg["dilation_rate"]))] \
            + _activation_steps(cfg.get("activation"))
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        size = _pair(cfg["pool_size"])
        strides = size if cfg.get("strides") is None else _pair(cfg["strides"])
        return [Step("pool", mode="max" if kind.startswith("Max") else "avg", pool_size=size,
                     strides=strides, padding=cfg["padding"])]
    if kind in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        if cfg.get("keepdims"):
            raise EngineError("bad_mode", mode=f"{kind} keepdims")
        return [Step("global_pool", mode="avg" if "Average" in kind else "max")]
    if kind == "Flatten":
        return [Step("flatten")]
    if kind == "BatchNormalization":
        return [_keras_batchnorm(cfg, w)]
    if kind == "Dense":
        bias = w[1] if len(w) > 1 else np.zeros(w[0].shape[1])
        return [Step("dense", weights=w[0], bias=bias)] + _activation_steps(cfg.get("activation"))
    if kind == "ReLU" and not cfg.get("negative_slope") and cfg.get("max_value") is None \
            and not cfg.get("threshold"):
        return [Step("relu")]
    if kind == "Activation":
        return _activation_steps(cfg.get("activation"))
    if kind == "Softmax":
        return [Step("softmax")]
    raise EngineError("bad_mode", mode=kind)


def steps_from_keras(model: object) -> list[Step]:
    """The steps of a Sequential-like Keras model built from Conv2D, pooling (also global),
    BatchNormalization, Flatten, Dense, Dropout, Rescaling, ReLU/Activation/Softmax layers
    (channels_last), with the activations relu, softmax, elu, tanh, sigmoid, linear.

    Raises EngineError('bad_mode', mode=<layer class>) for any other layer. Uses only
    `model.layers`, `get_config()` and `get_weights()`.
    """
    steps: list[Step] = []
    for layer in model.layers:
        steps.extend(_keras_layer_steps(layer))
    if not steps:
        raise EngineError("empty_input", name="model")
    return steps


def keras_input_shape(model: object) -> tuple[int, int, int]:
    """(H, W, C) the model expects, from model.input_shape (None, H, W, C)."""
    shape = tuple(model.input_shape)
    if len(shape) != 4 or any(v is None for v in shape[1:]):
        raise EngineError("bad_shape", name="model input", expected="(None, H, W, C)", got=str(shape))
    return int(shape[1]), int(shape[2]), int(shape[3])


@lru_cache(maxsize=8)
def handmade_shapes(side: int, classes: int) -> tuple[tuple[int, ...], ...]:
    """The shape of every stage of the hand-made network on a (side, side, 1) image with `classes`
    outputs (what a share link's cell ranges are declared from)."""
    steps = handmade_steps((side, side, 1), classes)
    return tuple(stage.values.shape for stage in run(np.zeros((side, side, 1)), steps))
