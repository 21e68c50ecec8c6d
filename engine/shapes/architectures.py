"""CNN architectures as small layer graphs: output shape, parameters, multiply-adds and receptive
field of every layer, with the formula behind each number.

A `Graph` is built node by node like a Keras functional model (`g.conv(x, 64, 3)` returns the new
node's name). Each node's local arithmetic (output size, parameters, MACs, kernel reach) comes from
`engine.shapes.layers.summarize` on that one layer; this module adds what a graph needs:
- merges: concatenate (channels add up), add (shapes must be equal), multiply (an SE scale
  (1, 1, C) broadcast over (H, W, C)), zero-padding, activations and reshape;
- receptive field through branches: r = r_in + (K_eff - 1) * j_in and j = j_in * S per layer, and
  at a merge r = max over the inputs. After global pooling (or Flatten) a value sees the whole
  input ('global'); an SE multiply makes every later position global too.
- batch norm: 4 parameters per channel, 2 trainable (gamma, beta), 2 not (moving mean, variance).
MACs count the multiply-adds of the weight layers (conv, dense) per image, as engine.shapes.layers does.

The builders (AlexNet, VGG16/19, GoogLeNet, ResNet50, SE-ResNet50 and the course's models) take
the input size, a width multiplier for the conv filters and per-layer filter overrides. Layer
names follow keras.applications (VGG, ResNet) or Keras' automatic names (course models), so the
tests compare every layer with Keras by name. No TensorFlow here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from engine import checks
from engine.errors import EngineError
from engine.shapes import layers

GLOBAL = "global"  # receptive field of a value that depends on the whole input
WIDTHS = (0.25, 0.5, 1.0, 2.0)
MAX_SIZE = 512
MAX_UNITS = 8192  # largest filters/units override


@dataclass(frozen=True)
class Node:
    """One layer of a graph. shape excludes the batch axis; rf is (rh, rw) for image values and
    None for vectors; is_global marks values that depend on the whole input; jump is the input
    pixels between neighbouring positions; units is a conv's filters or a dense layer's units."""

    name: str
    kind: str
    inputs: tuple[str, ...]
    shape: tuple[int, ...]
    params: int
    trainable: int
    macs: int
    rf: tuple[int, int] | None
    jump: tuple[int, int]
    is_global: bool
    formulas: dict[str, str]
    config: str = ""
    block: str = ""
    units: int | None = None
    window: tuple[int, int, str, int] | None = None  # (kernel, stride, padding, groups) of conv/pool

    @property
    def non_trainable(self) -> int:
        return self.params - self.trainable

    @property
    def receptive_field(self) -> int | tuple[int, int] | str | None:
        """An int (a pair when it differs per axis), GLOBAL, or None (never for image values)."""
        if self.is_global:
            return GLOBAL
        if self.rf is None:
            return None
        return self.rf[0] if self.rf[0] == self.rf[1] else self.rf


def _n(value: int) -> str:
    """An integer with thousands separators."""
    return f"{value:,}"


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(v) for v in shape)


def _two(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _one(shape: tuple[int, ...], spec: layers.LayerSpec) -> layers.LayerRow:
    """engine.shapes.layers' row of one layer applied to `shape`."""
    return layers.summarize(shape, [spec])[0]


# ------------------------------------------------------------------ the graph


class Graph:
    """Nodes in the order they were added (a topological order), with the builder's knobs."""

    def __init__(self, name: str, width: float = 1.0, overrides: dict[str, int] | None = None):
        self.name = name
        self.width = width
        self.overrides = dict(overrides or {})
        self.nodes: dict[str, Node] = {}
        self.block = ""
        self._counts: dict[str, int] = {}

    # ---- reading

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name]

    def rows(self) -> list[Node]:
        return list(self.nodes.values())

    def totals(self) -> tuple[int, int, int]:
        """(total, trainable, non-trainable) parameters."""
        total = sum(n.params for n in self.nodes.values())
        trainable = sum(n.trainable for n in self.nodes.values())
        return total, trainable, total - trainable

    def macs(self) -> int:
        return sum(n.macs for n in self.nodes.values())

    def output(self) -> Node:
        return next(reversed(self.nodes.values()))

    def blocks(self) -> list[str]:
        """Block labels in order (inception modules, residual blocks)."""
        seen = [n.block for n in self.nodes.values() if n.block]
        return list(dict.fromkeys(seen))

    def block_nodes(self, block: str) -> list[Node]:
        """The nodes of one block, preceded by the node(s) feeding it from outside."""
        inside = [n for n in self.nodes.values() if n.block == block]
        names = {n.name for n in inside}
        feeds = [i for n in inside for i in n.inputs if i not in names]
        return [self.nodes[f] for f in dict.fromkeys(feeds)] + inside

    def block_totals(self, block: str) -> tuple[int, int]:
        """(parameters, MACs) of the nodes of one block."""
        inside = [n for n in self.nodes.values() if n.block == block]
        return sum(n.params for n in inside), sum(n.macs for n in inside)

    # ---- naming and knobs

    def _name(self, name: str | None, base: str) -> str:
        if name is None:
            count = self._counts.get(base, 0)
            self._counts[base] = count + 1
            name = base if count == 0 else f"{base}_{count}"
        if name in self.nodes:
            raise EngineError("arch_duplicate_layer", layer=name)
        return name

    def filters(self, name: str, base: int) -> int:
        """A conv layer's filters: the override for `name`, else base × width (at least 1)."""
        if name in self.overrides:
            return self.overrides[name]
        return max(1, int(round(base * self.width)))

    def units(self, name: str, base: int) -> int:
        """A dense layer's units: the override for `name`, else `base` (width leaves them)."""
        return self.overrides.get(name, base)

    def _add(self, node: Node) -> str:
        self.nodes[node.name] = node
        return node.name

    def _in(self, x: str) -> Node:
        return self.nodes[x]

    # ---- layers

    def input(self, shape: tuple[int, int, int], name: str = "input_layer") -> str:
        name = self._name(name, "input_layer")
        return self._add(Node(name, "input", (), tuple(shape), 0, 0, 0, (1, 1), (1, 1), False,
                              {"shape": _shape(shape), "params": "0", "macs": "0", "rf": "r = 1, j = 1"},
                              block=self.block))

    def conv(self, x: str, filters: int, kernel: int | tuple[int, int], strides: int = 1,
             padding: str = "valid", *, name: str | None = None, use_bias: bool = True,
             groups: int = 1, activation: str | None = None) -> str:
        """Conv2D (grouped when groups > 1: each filter sees C/groups input channels)."""
        name = self._name(name, "conv2d")
        src = self._in(x)
        filters = self.filters(name, filters)
        h, w, c = _image(src, name)
        if c % groups or filters % groups:
            raise EngineError("arch_bad_groups", layer=name, channels=c, filters=filters, groups=groups)
        spec = layers.Conv2DSpec(filters, kernel, strides, padding, 1, use_bias)
        row = _one((h, w, c // groups), spec)
        k, s = _two(kernel), _two(strides)
        params = layers.conv2d_params_formula(k, c, filters, use_bias, groups, _n)
        macs = layers.conv2d_macs_formula(row.output_shape[:2], k, c, filters, groups, _n)
        cfg = f"{k[0]}×{k[1]}" + (f"/{s[0]}" if s[0] > 1 else "") + f", {filters}, {padding}"
        cfg += (f", groups {groups}" if groups > 1 else "") + (f", {activation}" if activation else "")
        return self._window(name, "conv", src, row, (k, s, padding, groups), params, macs, cfg, filters)

    def pool(self, x: str, size: int = 2, strides: int | None = None, padding: str = "valid",
             mode: str = "max", *, name: str | None = None) -> str:
        name = self._name(name, "max_pooling2d" if mode == "max" else "average_pooling2d")
        src = self._in(x)
        row = _one(_image(src, name), layers.PoolSpec(mode, size, strides, padding))
        k = _two(size)
        s = k if strides is None else _two(strides)
        cfg = f"{mode} {k[0]}×{k[1]}/{s[0]}, {padding}"
        return self._window(name, "pool", src, row, (k, s, padding, 1), "0", "0", cfg, None)

    def _window(self, name, kind, src, row, window, params, macs, cfg, units) -> str:
        """A sliding-window node (conv or pool): shape and receptive-field formulas."""
        k, s, padding, groups = window
        size, out = src.shape[0], row.output_shape[0]
        if padding == "same":
            shape_f = f"⌈I/S⌉ = ⌈{size}/{s[0]}⌉ = {out}"
        else:
            shape_f = f"⌊(I − K)/S⌋ + 1 = ⌊({size} − {k[0]})/{s[0]}⌋ + 1 = {out}"
        rf = (src.rf[0] + (k[0] - 1) * src.jump[0], src.rf[1] + (k[1] - 1) * src.jump[1])
        jump = (src.jump[0] * s[0], src.jump[1] * s[1])
        rf_f = (f"r = r_in + (K − 1)·j_in = {src.rf[0]} + ({k[0]} − 1)·{src.jump[0]} = {rf[0]}; "
                f"j = j_in·S = {src.jump[0]}·{s[0]} = {jump[0]}")
        formulas = {"shape": shape_f + f" → {_shape(row.output_shape)}", "params": params, "macs": macs,
                    "rf": rf_f}
        return self._add(Node(name, kind, (src.name,), row.output_shape, row.params, row.trainable,
                              row.macs, rf, jump, src.is_global, formulas, cfg, self.block, units,
                              (k[0], s[0], padding, groups)))

    def _same_size(self, name: str, kind: str, src: Node, row: layers.LayerRow | None,
                   shape: tuple[int, ...], formulas: dict[str, str], cfg: str = "") -> str:
        """A node that keeps the receptive field (BN, activation, dropout, padding, reshape)."""
        params = row.params if row else 0
        trainable = row.trainable if row else 0
        formulas = {"shape": _shape(shape), "params": "0", "macs": "0",
                    "rf": _keep_rf(src), **formulas}
        rf = src.rf if len(shape) == 3 else None
        return self._add(Node(name, kind, (src.name,), shape, params, trainable, 0, rf, src.jump,
                              src.is_global or src.rf is None, formulas, cfg, self.block))

    def batchnorm(self, x: str, *, name: str | None = None) -> str:
        name = self._name(name, "batch_normalization")
        src = self._in(x)
        row = _one(src.shape, layers.BatchNormSpec())
        c = src.shape[-1]
        params = f"4 × {c} = {_n(row.params)} (γ, β: 2 × {c} = {_n(row.trainable)}; μ, σ²: 2 × {c})"
        return self._same_size(name, "batchnorm", src, row, src.shape, {"params": params})

    def activation(self, x: str, fn: str = "relu", *, name: str | None = None) -> str:
        name = self._name(name, "activation")
        src = self._in(x)
        return self._same_size(name, "activation", src, None, src.shape, {}, fn)

    def dropout(self, x: str, rate: float, *, name: str | None = None) -> str:
        name = self._name(name, "dropout")
        src = self._in(x)
        row = _one(src.shape, layers.DropoutSpec(rate))
        return self._same_size(name, "dropout", src, row, src.shape, {}, f"{rate:g}")

    def zero_pad(self, x: str, pad: int, *, name: str | None = None) -> str:
        name = self._name(name, "zero_padding2d")
        src = self._in(x)
        h, w, c = _image(src, name)
        if not checks.is_count(pad):
            raise EngineError("negative_padding", padding=pad)
        shape = (h + 2 * pad, w + 2 * pad, c)
        shape_f = f"I + 2p = {h} + 2·{pad} = {shape[0]} → {_shape(shape)}"
        return self._same_size(name, "zero_pad", src, None, shape, {"shape": shape_f}, f"p = {pad}")

    def reshape(self, x: str, shape: tuple[int, ...], *, name: str | None = None) -> str:
        name = self._name(name, "reshape")
        src = self._in(x)
        if math.prod(shape) != math.prod(src.shape):
            raise EngineError("bad_shape", name=name, expected=_shape(src.shape), got=_shape(shape))
        return self._same_size(name, "reshape", src, None, tuple(shape),
                               {"shape": f"{_shape(src.shape)} → {_shape(shape)}"})

    def flatten(self, x: str, *, name: str | None = None) -> str:
        name = self._name(name, "flatten")
        src = self._in(x)
        row = _one(src.shape, layers.FlattenSpec())
        shape_f = f"{_shape(src.shape)} = {_n(row.output_shape[0])}"
        return self._vector(name, "flatten", src, row, {"shape": shape_f})

    def global_pool(self, x: str, mode: str = "avg", *, name: str | None = None) -> str:
        name = self._name(name, "global_average_pooling2d" if mode == "avg" else "global_max_pooling2d")
        src = self._in(x)
        row = _one(_image(src, name), layers.GlobalPoolSpec(mode))
        shape_f = f"({_shape(src.shape)}) → ({src.shape[-1]},)"
        return self._vector(name, "global_pool", src, row, {"shape": shape_f}, mode)

    def dense(self, x: str, units: int, *, name: str | None = None, use_bias: bool = True,
              activation: str | None = None) -> str:
        name = self._name(name, "dense")
        src = self._in(x)
        if len(src.shape) != 1:
            raise EngineError("bad_shape", name=name, expected="(D,)", got=str(src.shape))
        units = self.units(name, units)
        row = _one(src.shape, layers.DenseSpec(units, use_bias))
        d = src.shape[0]
        params = layers.dense_params_formula(d, units, use_bias, _n)
        cfg = f"{units}" + (f", {activation}" if activation else "")
        return self._vector(name, "dense", src, row,
                            {"params": params, "macs": layers.dense_macs_formula(d, units, _n)}, cfg, units)

    def _vector(self, name, kind, src, row, formulas, cfg="", units=None) -> str:
        """A node whose output is a vector: it depends on the whole input."""
        formulas = {"shape": _shape(row.output_shape), "params": "0", "macs": "0",
                    "rf": "global", **formulas}
        return self._add(Node(name, kind, (src.name,), row.output_shape, row.params, row.trainable,
                              row.macs, None, src.jump, True, formulas, cfg, self.block, units))

    # ---- merges

    def concat(self, xs: list[str], *, name: str | None = None) -> str:
        """Concatenate along channels: every input (H, W, C_i) -> (H, W, ΣC_i)."""
        name = self._name(name, "concatenate")
        srcs = [self._in(x) for x in xs]
        if len({s.shape[:-1] for s in srcs}) != 1 or len(srcs[0].shape) != 3:
            raise EngineError("arch_merge_mismatch", layer=name, shapes=_shapes(srcs))
        c = sum(s.shape[-1] for s in srcs)
        shape = srcs[0].shape[:-1] + (c,)
        shape_f = "C = " + " + ".join(str(s.shape[-1]) for s in srcs) + f" = {c} → {_shape(shape)}"
        return self._merge(name, "concat", srcs, shape, shape_f)

    def add(self, xs: list[str], *, name: str | None = None) -> str:
        """Element-wise sum (the residual connection): all inputs must have the same shape."""
        name = self._name(name, "add")
        srcs = [self._in(x) for x in xs]
        if len({s.shape for s in srcs}) != 1:
            raise EngineError("arch_merge_mismatch", layer=name, shapes=_shapes(srcs))
        shape_f = " + ".join(_shape(s.shape) for s in srcs) + f" → {_shape(srcs[0].shape)}"
        return self._merge(name, "add", srcs, srcs[0].shape, shape_f)

    def multiply(self, xs: list[str], *, name: str | None = None) -> str:
        """Element-wise product; a (1, 1, C) input scales every position (SE excitation)."""
        name = self._name(name, "multiply")
        srcs = [self._in(x) for x in xs]
        shape = srcs[0].shape
        for s in srcs[1:]:
            if len(s.shape) != len(shape) or any(a != b and 1 not in (a, b) for a, b in zip(s.shape, shape)):
                raise EngineError("arch_merge_mismatch", layer=name, shapes=_shapes(srcs))
            shape = tuple(max(a, b) for a, b in zip(s.shape, shape))
        shape_f = " ⊙ ".join(_shape(s.shape) for s in srcs) + f" → {_shape(shape)}"
        return self._merge(name, "multiply", srcs, shape, shape_f)

    def _merge(self, name: str, kind: str, srcs: list[Node], shape, shape_f: str) -> str:
        """Receptive field of a merge: the largest over the inputs (global if any is global)."""
        images = [s for s in srcs if s.rf is not None and not s.is_global]
        big = [s for s in srcs if s.rf is not None]
        rf = (max(s.rf[0] for s in big), max(s.rf[1] for s in big)) if big else None
        jump = (max(s.jump[0] for s in srcs), max(s.jump[1] for s in srcs))
        is_global = any(s.is_global or s.rf is None for s in srcs)
        if is_global:
            rf_f = "global"
        else:
            rf_f = "r = max(" + ", ".join(str(s.rf[0]) for s in images) + f") = {rf[0]}"
        formulas = {"shape": shape_f, "params": "0", "macs": "0", "rf": rf_f}
        return self._add(Node(name, kind, tuple(s.name for s in srcs), tuple(shape), 0, 0, 0, rf,
                              jump, is_global, formulas, "", self.block))


def _image(src: Node, name: str) -> tuple[int, int, int]:
    if len(src.shape) != 3:
        raise EngineError("bad_shape", name=name, expected="(H, W, C)", got=str(src.shape))
    return src.shape  # type: ignore[return-value]


def _shapes(srcs: list[Node]) -> str:
    return ", ".join(f"{s.name} {_shape(s.shape)}" for s in srcs)


def _keep_rf(src: Node) -> str:
    if src.is_global or src.rf is None:
        return "global"
    return f"r = r_in = {src.rf[0]}"


# ------------------------------------------------------------------ ImageNet architectures


def alexnet(g: Graph, size: int) -> None:
    """AlexNet (2012) as in the notes: conv2, conv4 and conv5 split over two GPUs (groups=2,
    so 5×5×48 and 3×3×192 kernels), 6×6×256 = 9216 features at 227×227 (LRN left out)."""
    x = g.input((size, size, 3))
    x = g.conv(x, 96, 11, 4, name="conv1", activation="relu")
    x = g.pool(x, 3, 2, name="pool1")
    x = g.conv(x, 256, 5, 1, "same", name="conv2", groups=2, activation="relu")
    x = g.pool(x, 3, 2, name="pool2")
    x = g.conv(x, 384, 3, 1, "same", name="conv3", activation="relu")
    x = g.conv(x, 384, 3, 1, "same", name="conv4", groups=2, activation="relu")
    x = g.conv(x, 256, 3, 1, "same", name="conv5", groups=2, activation="relu")
    x = g.pool(x, 3, 2, name="pool5")
    x = g.flatten(x, name="flatten")
    for i in (6, 7):
        x = g.dense(x, 4096, name=f"fc{i}", activation="relu")
        x = g.dropout(x, 0.5, name=f"drop{i}")
    g.dense(x, 1000, name="fc8", activation="softmax")


VGG_BLOCKS = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}


def vgg(g: Graph, size: int, depth: str = "vgg16") -> None:
    """keras.applications.VGG16 / VGG19 with the classifier (include_top=True): 3×3 convs,
    2×2 max pools, Flatten, fc1, fc2 (4096 each) and 1000 classes."""
    x = g.input((size, size, 3))
    for b, (convs, filters) in enumerate(zip(VGG_BLOCKS[depth], (64, 128, 256, 512, 512)), start=1):
        g.block = f"block{b}"
        for i in range(1, convs + 1):
            x = g.conv(x, filters, 3, 1, "same", name=f"block{b}_conv{i}", activation="relu")
        x = g.pool(x, 2, 2, name=f"block{b}_pool")
    g.block = ""
    x = g.flatten(x, name="flatten")
    x = g.dense(x, 4096, name="fc1", activation="relu")
    x = g.dense(x, 4096, name="fc2", activation="relu")
    g.dense(x, 1000, name="predictions", activation="softmax")


# (1×1, 3×3 reduce, 3×3, 5×5 reduce, 5×5, pool projection) of each inception module
INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128), "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}


def inception(g: Graph, x: str, key: str) -> str:
    """One inception module: four branches (1×1; 1×1 → 3×3; 1×1 → 5×5; 3×3 max pool → 1×1)
    concatenated along channels. The 1×1 'reduce' convs shrink the channels first."""
    p = f"inception_{key}"
    f1, r3, f3, r5, f5, fp = INCEPTION[key]
    g.block = p
    b1 = g.conv(x, f1, 1, name=f"{p}_1x1", activation="relu")
    b2 = g.conv(x, r3, 1, name=f"{p}_3x3_reduce", activation="relu")
    b2 = g.conv(b2, f3, 3, 1, "same", name=f"{p}_3x3", activation="relu")
    b3 = g.conv(x, r5, 1, name=f"{p}_5x5_reduce", activation="relu")
    b3 = g.conv(b3, f5, 5, 1, "same", name=f"{p}_5x5", activation="relu")
    b4 = g.pool(x, 3, 1, "same", name=f"{p}_pool")
    b4 = g.conv(b4, fp, 1, name=f"{p}_pool_proj", activation="relu")
    out = g.concat([b1, b2, b3, b4], name=f"{p}_concat")
    g.block = ""
    return out


def googlenet(g: Graph, size: int) -> None:
    """GoogLeNet (Inception v1) without the auxiliary classifiers: a stem, nine inception
    modules, global average pooling instead of Flatten, dropout 0.4 and 1000 classes."""
    x = g.input((size, size, 3))
    x = g.conv(x, 64, 7, 2, "same", name="conv1_7x7", activation="relu")
    x = g.pool(x, 3, 2, "same", name="pool1")
    x = g.conv(x, 64, 1, name="conv2_reduce", activation="relu")
    x = g.conv(x, 192, 3, 1, "same", name="conv2_3x3", activation="relu")
    x = g.pool(x, 3, 2, "same", name="pool2")
    for keys, pool in ((("3a", "3b"), "pool3"), (("4a", "4b", "4c", "4d", "4e"), "pool4"), (("5a", "5b"), None)):
        for key in keys:
            x = inception(g, x, key)
        if pool:
            x = g.pool(x, 3, 2, "same", name=pool)
    x = g.global_pool(x, name="avg_pool")
    x = g.dropout(x, 0.4, name="dropout")
    g.dense(x, 1000, name="predictions", activation="softmax")


RESNET50_STAGES = ((2, 64, 3, 1), (3, 128, 4, 2), (4, 256, 6, 2), (5, 512, 3, 2))


def residual_block(g: Graph, x: str, p: str, filters: int, stride: int, shortcut_conv: bool,
                   se_ratio: int | None = None) -> str:
    """keras.applications' ResNet50 bottleneck: 1×1 (stride) → 3×3 → 1×1 (4 × filters), each
    with batch norm; the shortcut is x itself or a 1×1 conv + BN; out = ReLU(F(x) + shortcut).
    With se_ratio, an SE block rescales F(x)'s channels before the addition (SE-ResNet)."""
    g.block = p
    if shortcut_conv:
        short = g.conv(x, 4 * filters, 1, stride, name=f"{p}_0_conv")
        short = g.batchnorm(short, name=f"{p}_0_bn")
    else:
        short = x
    y = g.conv(x, filters, 1, stride, name=f"{p}_1_conv")
    y = g.activation(g.batchnorm(y, name=f"{p}_1_bn"), name=f"{p}_1_relu")
    y = g.conv(y, filters, 3, 1, "same", name=f"{p}_2_conv")
    y = g.activation(g.batchnorm(y, name=f"{p}_2_bn"), name=f"{p}_2_relu")
    y = g.conv(y, 4 * filters, 1, name=f"{p}_3_conv")
    y = g.batchnorm(y, name=f"{p}_3_bn")
    if se_ratio:
        y = se_block(g, y, f"{p}_se", se_ratio)
        g.block = p
    y = g.add([short, y], name=f"{p}_add")
    out = g.activation(y, name=f"{p}_out")
    g.block = ""
    return out


def se_block(g: Graph, x: str, p: str, ratio: int) -> str:
    """Squeeze-and-excitation: global average pool (squeeze) → Dense(C/r, ReLU) → Dense(C,
    sigmoid) (excitation) → reshape to 1×1×C → multiply every position's channels."""
    c = g[x].shape[-1]
    g.block = p
    s = g.global_pool(x, name=f"{p}_squeeze")
    s = g.dense(s, max(1, c // ratio), name=f"{p}_reduce", activation="relu")
    s = g.dense(s, c, name=f"{p}_expand", activation="sigmoid")
    s = g.reshape(s, (1, 1, c), name=f"{p}_reshape")
    return g.multiply([x, s], name=f"{p}_scale")


def resnet50(g: Graph, size: int, se_ratio: int | None = None) -> None:
    """keras.applications.ResNet50 with the classifier (SE-ResNet50 when se_ratio is given)."""
    x = g.input((size, size, 3))
    x = g.zero_pad(x, 3, name="conv1_pad")
    x = g.conv(x, 64, 7, 2, name="conv1_conv")
    x = g.activation(g.batchnorm(x, name="conv1_bn"), name="conv1_relu")
    x = g.zero_pad(x, 1, name="pool1_pad")
    x = g.pool(x, 3, 2, name="pool1_pool")
    for stage, filters, blocks, stride in RESNET50_STAGES:
        for b in range(1, blocks + 1):
            x = residual_block(g, x, f"conv{stage}_block{b}", filters, stride if b == 1 else 1,
                               b == 1, se_ratio)
    x = g.global_pool(x, name="avg_pool")
    g.dense(x, 1000, name="predictions", activation="softmax")


# ------------------------------------------------------------------ the course's models


def _sequential(g: Graph, shape: tuple[int, int, int], convs: list[tuple], head: list[tuple]) -> None:
    """A Keras Sequential CNN with automatic layer names (conv2d, conv2d_1, ...).

    convs: ("conv", filters, padding) | ("pool",) | ("bn",); head: ("dense", units, act) |
    ("dropout", rate) | ("flatten",)."""
    x = g.input(shape)
    for item in convs + head:
        kind = item[0]
        if kind == "conv":
            x = g.conv(x, item[1], 3, 1, item[2], activation="relu")
        elif kind == "pool":
            x = g.pool(x, 2)
        elif kind == "bn":
            x = g.batchnorm(x)
        elif kind == "flatten":
            x = g.flatten(x)
        elif kind == "dropout":
            x = g.dropout(x, item[1])
        else:
            x = g.dense(x, item[1], activation=item[2])


def shapes_cnn(g: Graph, size: int) -> None:
    """001: triangles / rectangles / circles, 24×24×3 (Conv 32 → Conv 64 → pool → Dense 128 → 3)."""
    _sequential(g, (size, size, 3), [("conv", 32, "valid"), ("conv", 64, "valid"), ("pool",)],
                [("flatten",), ("dense", 128, "relu"), ("dense", 3, "softmax")])


def mnist_cnn(g: Graph, size: int) -> None:
    """004: the MNIST convnet, 28×28×1, 93,322 parameters."""
    _sequential(g, (size, size, 1), [("conv", 32, "valid"), ("pool",), ("conv", 64, "valid"), ("pool",),
                                     ("conv", 64, "valid")],
                [("flatten",), ("dense", 64, "relu"), ("dense", 10, "softmax")])


def animals10(g: Graph, size: int) -> None:
    """002: Animals-10, 150×150×3, five same-padded conv → pool → batch-norm blocks, 427,782."""
    convs: list[tuple] = []
    for filters in (256, 128, 64, 32, 16):
        convs += [("conv", filters, "same"), ("pool",), ("bn",)]
    _sequential(g, (size, size, 3), convs,
                [("flatten",), ("dense", 100, "relu"), ("dropout", 0.4), ("dense", 10, "softmax")])


def cats_dogs(g: Graph, size: int) -> None:
    """004: cats vs dogs from scratch with dropout, 150×150×3, one sigmoid output, 3,453,121."""
    convs: list[tuple] = []
    for filters in (32, 64, 128, 128):
        convs += [("conv", filters, "valid"), ("pool",)]
    _sequential(g, (size, size, 3), convs,
                [("flatten",), ("dropout", 0.5), ("dense", 512, "relu"), ("dense", 1, "sigmoid")])


@dataclass(frozen=True)
class Architecture:
    """An entry of the explorer: its builder, default input size, family and diagram blocks."""

    key: str
    builder: object
    default_size: int
    family: str  # "imagenet" | "course"
    options: dict = field(default_factory=dict)


ARCHITECTURES: dict[str, Architecture] = {a.key: a for a in (
    Architecture("alexnet", alexnet, 227, "imagenet"),
    Architecture("vgg16", vgg, 224, "imagenet", {"depth": "vgg16"}),
    Architecture("vgg19", vgg, 224, "imagenet", {"depth": "vgg19"}),
    Architecture("googlenet", googlenet, 224, "imagenet"),
    Architecture("resnet50", resnet50, 224, "imagenet"),
    Architecture("se_resnet50", resnet50, 224, "imagenet", {"se_ratio": 16}),
    Architecture("shapes_cnn", shapes_cnn, 24, "course"),
    Architecture("mnist_cnn", mnist_cnn, 28, "course"),
    Architecture("animals10", animals10, 150, "course"),
    Architecture("cats_dogs", cats_dogs, 150, "course"),
)}
FLOOR = 32  # smallest input of the ImageNet networks (keras.applications refuses less)


def _arch(key: str) -> Architecture:
    if key not in ARCHITECTURES:
        raise EngineError("bad_mode", mode=key)
    return ARCHITECTURES[key]


def _graph(key: str, size: int, width: float, overrides: dict[str, int]) -> Graph:
    arch = _arch(key)
    g = Graph(key, width, overrides)
    arch.builder(g, size, **arch.options)
    return g


@lru_cache(maxsize=None)
def minimum_size(key: str) -> int:
    """The smallest square input every layer of `key` fits (at least FLOOR for ImageNet nets)."""
    for size in range(FLOOR if _arch(key).family == "imagenet" else 1, MAX_SIZE + 1):
        try:
            _graph(key, size, 1.0, {})
        except EngineError:
            continue
        return size
    raise EngineError("arch_input_size", size=MAX_SIZE, minimum=MAX_SIZE, maximum=MAX_SIZE)


def _check_overrides(overrides: dict[str, int] | None) -> dict[str, int]:
    out = {}
    for name, value in (overrides or {}).items():
        if not checks.is_count(value) or value > MAX_UNITS:
            raise EngineError("bad_hyperparameter", name=name, value=value)
        out[str(name)] = int(value)
    return out


def build(key: str, size: int | None = None, width: float = 1.0,
          overrides: dict[str, int] | None = None) -> Graph:
    """The graph of architecture `key` for a size×size input (default: the architecture's own),
    conv filters × width, and {layer name: filters or units} overrides.

    Raises EngineError: 'bad_mode' (unknown key), 'arch_input_size' (size outside
    minimum_size..MAX_SIZE), 'bad_hyperparameter' (width not in WIDTHS, bad override),
    'arch_merge_mismatch' (an override breaks an add/concat), 'arch_bad_groups'.
    """
    arch = _arch(key)
    size = arch.default_size if size is None else size
    low = minimum_size(key)
    if not checks.is_count(size) or not low <= size <= MAX_SIZE:
        raise EngineError("arch_input_size", size=size, minimum=low, maximum=MAX_SIZE)
    if width not in WIDTHS:
        raise EngineError("bad_hyperparameter", name="width", value=width)
    return _graph(key, int(size), float(width), _check_overrides(overrides))


def weight_layers(g: Graph) -> list[Node]:
    """The conv and dense layers (the ones whose filters/units can be changed)."""
    return [n for n in g.rows() if n.kind in ("conv", "dense")]


# ------------------------------------------------------------------ two classic comparisons


@dataclass(frozen=True)
class Comparison:
    """Two ways to build the same thing, each a small graph, and how they compare."""

    left: Graph
    right: Graph

    def params(self) -> tuple[int, int]:
        return self.left.totals()[0], self.right.totals()[0]

    def macs(self) -> tuple[int, int]:
        return self.left.macs(), self.right.macs()

    def receptive_fields(self) -> tuple[object, object]:
        return self.left.output().receptive_field, self.right.output().receptive_field

    def saving(self) -> tuple[float, float]:
        """right / left for parameters and for MACs (below 1: the right one is cheaper)."""
        (pl, pr), (ml, mr) = self.params(), self.macs()
        return pr / pl, (mr / ml if ml else 0.0)


def stacked_vs_large(size: int = 28, channels: int = 1, layers_: int = 2) -> Comparison:
    """One (2n+1)×(2n+1) conv (left) against n stacked 3×3 convs (right), C channels in and
    out, same padding: equal receptive field, fewer weights (the notes: 26 against 2 × 10)."""
    size = checks.int_in("size", size, 1, MAX_SIZE)
    channels = checks.int_in("channels", channels, 1, 1024)
    n = checks.int_in("layers", layers_, 2, 3)
    big = Graph("large")
    x = big.input((size, size, channels))
    big.conv(x, channels, 2 * n + 1, 1, "same", name=f"conv_{2 * n + 1}x{2 * n + 1}")
    small = Graph("stacked")
    x = small.input((size, size, channels))
    for i in range(1, n + 1):
        x = small.conv(x, channels, 3, 1, "same", name=f"conv_3x3_{i}")
    return Comparison(big, small)


def reduction_saving(size: int = 28, c_in: int = 192, reduce: int = 16, c_out: int = 32,
                     kernel: int = 5) -> Comparison:
    """A k×k conv straight on C_in channels (left) against a 1×1 conv down to `reduce` channels
    first (right), as in an inception branch; both give size×size×c_out."""
    size = checks.int_in("size", size, 1, MAX_SIZE)
    c_in, reduce, c_out = (checks.int_in(n, v, 1, 2048) for n, v in
                           (("C_in", c_in), ("reduce", reduce), ("C_out", c_out)))
    kernel = checks.int_in("kernel", kernel, 1, 7)
    direct = Graph("direct")
    x = direct.input((size, size, c_in))
    direct.conv(x, c_out, kernel, 1, "same", name=f"conv_{kernel}x{kernel}")
    reduced = Graph("reduced")
    x = reduced.input((size, size, c_in))
    x = reduced.conv(x, reduce, 1, name="conv_1x1_reduce")
    reduced.conv(x, c_out, kernel, 1, "same", name=f"conv_{kernel}x{kernel}")
    return Comparison(direct, reduced)
