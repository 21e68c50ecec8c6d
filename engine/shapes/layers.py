"""Shape, parameter, cost and receptive-field arithmetic of a layer stack (like model.summary()).

Layers are described by small frozen dataclasses; `summarize` walks them from an input shape
(H, W, C) (or (D,)) and returns one LayerRow per layer. Output sizes follow TensorFlow:
    valid: out = floor((I - D*(K-1) - 1) / S) + 1       same: out = ceil(I / S)
Receptive field (one axis): r_out = r_in + (K_eff - 1) * j_in, j_out = j_in * S, starting from
r = j = 1 at the input, K_eff = D*(K-1) + 1 (a pooling window counts as a kernel).
MACs count the multiply-adds of the weight layers per sample (conv: out_h*out_w*c_out*kh*kw*c_in,
dense: inputs*units); pooling, batch norm, dropout and flatten count 0.
Sliding-window sizes come from engine.shapes.output_size (the one output-size formula); the
parameter and multiply-add formulas (numbers and their written-out text) live here only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from engine import checks
from engine.errors import EngineError
from engine.shapes import output_size

Pair = int | tuple[int, int]


@dataclass(frozen=True)
class InputSpec:
    """The model input, without the batch axis: (H, W, C) or (D,). Only allowed first."""

    shape: tuple[int, ...]


@dataclass(frozen=True)
class Conv2DSpec:
    """keras.layers.Conv2D: `filters` kernels of kernel_size (int or (kh, kw))."""

    filters: int
    kernel_size: Pair
    strides: Pair = 1
    padding: str = "valid"
    dilation: Pair = 1
    use_bias: bool = True
    activation: str | None = None


@dataclass(frozen=True)
class PoolSpec:
    """MaxPooling2D ('max') or AveragePooling2D ('avg'); strides None means pool_size."""

    mode: str = "max"
    pool_size: Pair = 2
    strides: Pair | None = None
    padding: str = "valid"


@dataclass(frozen=True)
class GlobalPoolSpec:
    """GlobalAveragePooling2D ('avg') or GlobalMaxPooling2D ('max'): (H, W, C) -> (C,)."""

    mode: str = "avg"


@dataclass(frozen=True)
class DenseSpec:
    """keras.layers.Dense(units) on the last axis."""

    units: int
    use_bias: bool = True
    activation: str | None = None


@dataclass(frozen=True)
class FlattenSpec:
    """keras.layers.Flatten: (H, W, C) -> (H*W*C,)."""


@dataclass(frozen=True)
class BatchNormSpec:
    """keras.layers.BatchNormalization over the last axis: 4 parameters per channel."""


@dataclass(frozen=True)
class DropoutSpec:
    """keras.layers.Dropout(rate): no parameters, shape unchanged."""

    rate: float


LayerSpec = (InputSpec | Conv2DSpec | PoolSpec | GlobalPoolSpec | DenseSpec | FlattenSpec
             | BatchNormSpec | DropoutSpec)


@dataclass(frozen=True)
class LayerRow:
    """One line of the summary. output_shape excludes the batch axis; receptive_field is an
    int (a (rh, rw) tuple when it differs per axis) and None once the data is no longer an
    image (after Flatten, Dense on vectors, global pooling)."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    trainable: int
    non_trainable: int
    macs: int
    receptive_field: int | tuple[int, int] | None
    formula: str


# ----------------------------------------------------------------- parameter helpers


def conv2d_params(kh: int, kw: int, c_in: int, c_out: int, use_bias: bool = True) -> int:
    """Weights of a Conv2D layer: (kh*kw*c_in + 1) * c_out with bias, kh*kw*c_in*c_out without."""
    return (kh * kw * c_in + (1 if use_bias else 0)) * c_out


def dense_params(d: int, u: int, use_bias: bool = True) -> int:
    """Weights of a Dense layer with d inputs and u units: (d + 1) * u with bias, d*u without."""
    return (d + (1 if use_bias else 0)) * u


def conv2d_macs(output_hw: tuple[int, int], kernel_hw: tuple[int, int], c_in: int, c_out: int) -> int:
    """Multiply-adds of one sample: OH*OW*C_out outputs, each KH*KW*C_in products."""
    return (int(output_hw[0]) * int(output_hw[1]) * int(c_out)
            * int(kernel_hw[0]) * int(kernel_hw[1]) * int(c_in))


def _conv_fan(kernel_hw: tuple[int, int], c_in: int, groups: int) -> str:
    """'KH×KW×C_in' (or 'KH×KW×(C_in/groups)' for a grouped convolution): one filter's inputs."""
    return f"{kernel_hw[0]}×{kernel_hw[1]}×" + (f"({c_in}/{groups})" if groups > 1 else f"{c_in}")


def conv2d_params_formula(kernel_hw: tuple[int, int], c_in: int, c_out: int, use_bias: bool = True,
                          groups: int = 1, number: Callable[[int], str] = str) -> str:
    """'(KH×KW×C_in + 1) × C_out = P' with the numbers (C_in/groups per filter when grouped)."""
    fan = _conv_fan(kernel_hw, c_in, groups)
    params = conv2d_params(kernel_hw[0], kernel_hw[1], c_in // groups, c_out, use_bias)
    return (f"({fan} + 1) × {c_out}" if use_bias else f"{fan} × {c_out}") + f" = {number(params)}"


def conv2d_macs_formula(output_hw: tuple[int, int], kernel_hw: tuple[int, int], c_in: int, c_out: int,
                        groups: int = 1, number: Callable[[int], str] = str) -> str:
    """'OH×OW×C_out × KH×KW×C_in = M': every output value costs one filter's multiply-adds."""
    macs = conv2d_macs(output_hw, kernel_hw, c_in // groups, c_out)
    return (f"{output_hw[0]}×{output_hw[1]}×{c_out} × {_conv_fan(kernel_hw, c_in, groups)}"
            f" = {number(macs)}")


def dense_params_formula(d: int, u: int, use_bias: bool = True, number: Callable[[int], str] = str) -> str:
    """'(D + 1) × U = P' with the numbers."""
    return (f"({d} + 1) × {u}" if use_bias else f"{d} × {u}") + f" = {number(dense_params(d, u, use_bias))}"


def dense_macs_formula(d: int, u: int, number: Callable[[int], str] = str) -> str:
    """'D × U = M': one sample's multiply-adds of a Dense layer on a vector."""
    return f"{d} × {u} = {number(d * u)}"


# ----------------------------------------------------------------- size arithmetic


def _pair(value: object, key: str, param: str) -> tuple[int, int]:
    """An int or a pair of ints >= 1 as (vertical, horizontal); else EngineError(key)."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(checks.is_count(v) for v in items):
        raise EngineError(key, **{param: value})
    return int(items[0]), int(items[1])


def _padding(padding: object) -> str:
    """'valid' or 'same' (case-insensitive), else EngineError('bad_padding')."""
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise EngineError("bad_padding", padding=padding)
    return padding.lower()


def _spatial(shape: tuple[int, ...], what: str) -> tuple[int, int, int]:
    """(H, W, C) of an image-shaped tensor, else EngineError('bad_shape')."""
    if len(shape) != 3:
        raise EngineError("bad_shape", name=what, expected="(H, W, C)", got=str(shape))
    return shape  # type: ignore[return-value]


# ----------------------------------------------------------------- per-layer rules

_NAMES = {"input": "input_layer", "conv2d": "conv2d", "max": "max_pooling2d",
          "avg": "average_pooling2d", "global_avg": "global_average_pooling2d",
          "global_max": "global_max_pooling2d", "dense": "dense", "flatten": "flatten",
          "batchnorm": "batch_normalization", "dropout": "dropout"}


class _Walker:
    """State carried from layer to layer: shape, receptive field and jump per axis."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape
        self.rf: list[int] | None = [1, 1] if len(shape) == 3 else None
        self.jump = [1, 1]
        self.counts: dict[str, int] = {}

    def name(self, base: str) -> str:
        """Keras-style unique names: conv2d, conv2d_1, conv2d_2, ..."""
        n = self.counts.get(base, 0)
        self.counts[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def receptive(self, k_eff: tuple[int, int], strides: tuple[int, int]) -> None:
        """Apply the receptive-field recursion for a window k_eff moved by strides."""
        if self.rf is None:
            return
        for axis in (0, 1):
            self.rf[axis] += (k_eff[axis] - 1) * self.jump[axis]
            self.jump[axis] *= strides[axis]

    def rf_value(self) -> int | tuple[int, int] | None:
        """The receptive field as an int (or a pair when it differs per axis)."""
        if self.rf is None:
            return None
        return self.rf[0] if self.rf[0] == self.rf[1] else (self.rf[0], self.rf[1])

    def window(self, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int], padding: str,
               error: str) -> tuple[int, int]:
        """Output (H, W) of a sliding window; raise `error` when it does not fit."""
        h, w, _ = _spatial(self.shape, "input")
        axes = output_size.conv_output_hw((h, w), k, s, padding, d)
        for axis in axes:
            if axis.ok:
                continue
            if error == "kernel_too_large":
                raise EngineError(error, effective_kernel=axis.effective_kernel, padded_input=axis.padded_input)
            raise EngineError(error, pool=axis.kernel, padded_input=axis.padded_input)
        self.receptive((axes[0].effective_kernel, axes[1].effective_kernel), s)
        return axes[0].output, axes[1].output


def _conv(w: _Walker, spec: Conv2DSpec) -> LayerRow:
    """Conv2D row: ((kh*kw*c_in + 1) * filters) parameters."""
    if not checks.is_count(spec.filters):
        raise EngineError("bad_hyperparameter", name="filters", value=spec.filters)
    k = _pair(spec.kernel_size, "kernel_lt_1", "kernel")
    s = _pair(spec.strides, "stride_lt_1", "stride")
    d = _pair(spec.dilation, "dilation_lt_1", "dilation")
    padding = _padding(spec.padding)
    c_in = _spatial(w.shape, "input")[2]
    oh, ow = w.window(k, s, d, padding, "kernel_too_large")
    w.shape = (oh, ow, spec.filters)
    params = conv2d_params(k[0], k[1], c_in, spec.filters, spec.use_bias)
    formula = conv2d_params_formula(k, c_in, spec.filters, spec.use_bias)
    macs = conv2d_macs((oh, ow), k, c_in, spec.filters)
    return LayerRow(w.name("conv2d"), "conv2d", w.shape, params, params, 0, macs,
                    w.rf_value(), formula)


def _pool(w: _Walker, spec: PoolSpec) -> LayerRow:
    """Max/average pooling row: no parameters, window moved by strides (default pool_size)."""
    if spec.mode not in ("max", "avg"):
        raise EngineError("bad_mode", mode=spec.mode)
    k = _pair(spec.pool_size, "kernel_lt_1", "kernel")
    s = k if spec.strides is None else _pair(spec.strides, "stride_lt_1", "stride")
    padding = _padding(spec.padding)
    c = _spatial(w.shape, "input")[2]
    oh, ow = w.window(k, s, (1, 1), padding, "pool_too_large")
    w.shape = (oh, ow, c)
    return LayerRow(w.name(_NAMES[spec.mode]), "pool", w.shape, 0, 0, 0, 0, w.rf_value(), "0")


def _global_pool(w: _Walker, spec: GlobalPoolSpec) -> LayerRow:
    """Global pooling row: (H, W, C) -> (C,), no parameters."""
    if spec.mode not in ("max", "avg"):
        raise EngineError("bad_mode", mode=spec.mode)
    c = _spatial(w.shape, "input")[2]
    w.shape, w.rf = (c,), None
    return LayerRow(w.name(_NAMES["global_" + spec.mode]), "global_pool", w.shape, 0, 0, 0, 0,
                    None, "0")


def _dense(w: _Walker, spec: DenseSpec) -> LayerRow:
    """Dense row on the last axis: (d + 1) * units parameters."""
    if not checks.is_count(spec.units):
        raise EngineError("bad_hyperparameter", name="units", value=spec.units)
    d = w.shape[-1]
    w.shape = w.shape[:-1] + (spec.units,)
    if len(w.shape) == 1:
        w.rf = None
    else:  # Dense on an image acts like a 1x1 convolution
        w.receptive((1, 1), (1, 1))
    params = dense_params(d, spec.units, spec.use_bias)
    formula = dense_params_formula(d, spec.units, spec.use_bias)
    macs = math.prod(w.shape[:-1]) * d * spec.units
    return LayerRow(w.name("dense"), "dense", w.shape, params, params, 0, macs,
                    w.rf_value(), formula)


def _flatten(w: _Walker, spec: FlattenSpec) -> LayerRow:
    """Flatten row: every axis multiplied into one."""
    w.shape, w.rf = (math.prod(w.shape),), None
    return LayerRow(w.name("flatten"), "flatten", w.shape, 0, 0, 0, 0, None, "0")


def _batchnorm(w: _Walker, spec: BatchNormSpec) -> LayerRow:
    """BatchNormalization row: gamma, beta (trainable) and moving mean/variance per channel."""
    c = w.shape[-1]
    # language-neutral: γ, β are learned, μ, σ² are moving averages (the pages say which is which)
    formula = f"4 × {c} = {4 * c} (γ, β, μ, σ²)"
    return LayerRow(w.name("batch_normalization"), "batchnorm", w.shape, 4 * c, 2 * c, 2 * c,
                    0, w.rf_value(), formula)


def _dropout(w: _Walker, spec: DropoutSpec) -> LayerRow:
    """Dropout row: shape unchanged, no parameters."""
    if not isinstance(spec.rate, (int, float)) or not 0 <= spec.rate < 1:
        raise EngineError("bad_rate", rate=spec.rate)
    return LayerRow(w.name("dropout"), "dropout", w.shape, 0, 0, 0, 0, w.rf_value(), "0")


_RULES = {Conv2DSpec: _conv, PoolSpec: _pool, GlobalPoolSpec: _global_pool, DenseSpec: _dense,
          FlattenSpec: _flatten, BatchNormSpec: _batchnorm, DropoutSpec: _dropout}


def _check_shape(shape: object) -> tuple[int, ...]:
    """A shape (H, W, C) or (D,) of positive ints, else EngineError('bad_shape')."""
    ok = isinstance(shape, (tuple, list)) and len(shape) in (1, 3) and all(map(checks.is_count, shape))
    if not ok:
        raise EngineError("bad_shape", name="input", expected="(H, W, C) or (D,)", got=str(shape))
    return tuple(int(v) for v in shape)  # type: ignore[union-attr]


def summarize(input_shape: tuple[int, ...] | None, specs: list[LayerSpec]) -> list[LayerRow]:
    """One LayerRow per spec for an input of shape (H, W, C) or (D,) (no batch axis).

    An InputSpec may come first (it then adds an 'input' row; input_shape may be None or
    must agree with it). Unknown spec types raise EngineError('bad_mode').
    """
    specs = list(specs)
    rows: list[LayerRow] = []
    if specs and isinstance(specs[0], InputSpec):
        declared = _check_shape(specs[0].shape)
        if input_shape is not None and _check_shape(input_shape) != declared:
            raise EngineError("bad_shape", name="input", expected=str(declared),
                              got=str(tuple(input_shape)))
        walker = _Walker(declared)
        rows.append(LayerRow(walker.name(_NAMES["input"]), "input", declared, 0, 0, 0, 0,
                             walker.rf_value(), "0"))
        specs = specs[1:]
    else:
        walker = _Walker(_check_shape(input_shape))
    for spec in specs:
        rule = _RULES.get(type(spec))
        if rule is None:
            raise EngineError("bad_mode", mode=type(spec).__name__)
        rows.append(rule(walker, spec))
    return rows


def totals(rows: list[LayerRow]) -> tuple[int, int, int]:
    """(total, trainable, non_trainable) parameters over all rows."""
    return (sum(r.params for r in rows), sum(r.trainable for r in rows),
            sum(r.non_trainable for r in rows))
