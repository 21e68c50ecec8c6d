"""Practice exercises: generated problems whose answers come from the engine itself.

Every exercise kind has a `draw` (random parameters for a level 1..3 from a NumPy Generator, or
the page's current settings where given) and a `solve` (parameters -> Exercise, by calling the
engine module that the lesson page uses: engine.shapes.output_size, conv, pooling, architectures,
losses / activations, dropout, batchnorm, optimizers, harris, backward; no formula is typed a
second time here). An Exercise is language-free: numbers, arrays as nested tuples (NHWC where an
array is an image: (H, W) grids of one channel), and codes ("max", "adam", "mnist_cnn"); the
pages put them into translated sentences.

`generate(kind, level, seed, settings)` and `problem_set(kinds, count, level, seed)` are
deterministic: the same seed, kinds and level give the same problems. `check(answers, exercise)`
takes what a student typed ("1,234", "0,25", " -3 ", "7/4", or IMPOSSIBLE from a separate
choice) and never raises: junk gets the status "not_a_number".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from engine.errors import EngineError
from engine.ops import backward, batchnorm, conv, dense, dropout, harris, losses, optimizers, pooling
from engine.ops.activations import softmax_trace
from engine.shapes import architectures
from engine.shapes.output_size import conv_output_hw

LEVELS = (1, 2, 3)
IMPOSSIBLE = "impossible"  # the answer of a size that no window fits (a separate choice in the UI)
IMPOSSIBLE_WORDS = {"impossible", "불가능", "불가", "없음", "none", "n/a"}
MAX_COUNT = 20  # problems in a set
MAX_SEED = 99_999
MAX_ANSWER_CHARS = 60
STATUSES = ("right", "wrong", "empty", "not_a_number")


@dataclass(frozen=True)
class Part:
    """One number to find. value None means the answer is "impossible"; tol is absolute."""

    name: str
    value: float | None
    tol: float
    impossible_choice: bool = False  # offer "impossible" as an answer


@dataclass(frozen=True)
class Exercise:
    """One problem: what the question shows (`given`), the answers and the worked solution.

    given: {name: number | code | nested tuple}; steps: ((step code, {name: number | text |
    nested tuple}), ...), in the order the solution goes.
    """

    kind: str
    level: int
    variant: str
    given: dict = field(hash=False)
    parts: tuple[Part, ...]
    steps: tuple[tuple[str, dict], ...] = field(hash=False)


@dataclass(frozen=True)
class Verdict:
    """check()'s result: one status of STATUSES per part."""

    statuses: tuple[str, ...]

    @property
    def right(self) -> bool:
        return all(s == "right" for s in self.statuses)

    @property
    def complete(self) -> bool:
        """Every part got a number (or "impossible"): the answer counts as an attempt."""
        return all(s in ("right", "wrong") for s in self.statuses)


# ------------------------------------------------------------------ small helpers


def _tup(a: object) -> object:
    """An array as nested tuples of Python floats (ints where whole), comparable and picklable."""
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 0:
        v = float(arr)
        return int(v) if v.is_integer() else v
    return tuple(_tup(row) for row in arr)


def _tol(value: float, rel: float, floor: float) -> float:
    """An absolute tolerance: rel of |value|, at least floor, to two significant digits (as stated)."""
    return _two_digits(max(floor, rel * abs(value)))


def _two_digits(x: float) -> float:
    return float(f"{x:.2g}")


def _pick(rng: np.random.Generator, options: Sequence) -> object:
    return options[int(rng.integers(len(options)))]


def _setting(settings: dict | None, name: str, low: float, high: float) -> object | None:
    """A page setting clipped into the range this kind can use, or None."""
    if not settings or settings.get(name) is None:
        return None
    value = settings[name]
    if isinstance(value, str):
        return value
    return type(value)(min(max(value, low), high))


# ------------------------------------------------------------------ output size


def _draw_output_size(level: int, rng: np.random.Generator, settings: dict | None) -> dict:
    axes = 1 if level == 1 else 2
    params: dict = {}
    for a in "hw"[:axes]:
        k = int(_pick(rng, (1, 2, 3, 5) if level == 1 else (2, 3, 4, 5, 7)))
        s = 1 if level == 1 else int(rng.integers(1, 4))
        d = int(rng.integers(1, 4)) if level == 3 else 1
        p = int(rng.integers(0, 3 if level == 1 else 4))
        i = int(rng.integers(5, 33))
        if level > 1 and rng.random() < (0.2 if level == 2 else 0.3):
            i = int(rng.integers(1, max(2, d * (k - 1) + 1 - 2 * p)))  # no window fits
        params[a] = {"i": i, "k": k, "p": p, "s": s, "d": d}
    mine = {"k": _setting(settings, "kernel", 1, 7), "s": _setting(settings, "stride", 1, 4),
            "d": _setting(settings, "dilation", 1, 3), "p": _setting(settings, "padding", 0, 6)}
    if isinstance(mine["p"], str):  # a padding mode: 'valid' is 0 on each side, 'same' stays a mode
        mine["p"] = {"valid": 0, "same": "same"}.get(mine["p"])
    for axis in params.values():
        axis.update({n: v for n, v in mine.items() if v is not None})
    return params


def _solve_output_size(level: int, params: dict) -> Exercise:
    names = list(params)
    h = params[names[0]]
    w = params[names[-1]]
    pad = (h["p"], w["p"]) if "same" not in (h["p"], w["p"]) else "same"
    axes = conv_output_hw((h["i"], w["i"]), (h["k"], w["k"]), (h["s"], w["s"]), pad, (h["d"], w["d"]))
    parts, steps, given = [], [], {}
    for name, ax in zip(names, axes):
        given.update({f"{n}_{name}": v for n, v in params[name].items()})
        parts.append(Part(f"out_{name}" if len(names) > 1 else "out", ax.output if ax.ok else None, 0.0, True))
        steps.append(("axis", {"axis": name, "i": ax.input, "k": ax.kernel, "d": ax.dilation, "s": ax.stride,
                               "before": ax.pad_before, "after": ax.pad_after, "k_eff": ax.effective_kernel,
                               "padded": ax.padded_input, "numerator": ax.numerator,
                               "output": ax.output if ax.ok else IMPOSSIBLE}))
    return Exercise("output_size", level, "square" if len(names) == 1 else "axes", given, tuple(parts), tuple(steps))


# ------------------------------------------------------------------ one cell of a convolution


def _draw_conv_cell(level: int, rng: np.random.Generator, settings: dict | None) -> dict:
    k = int(_pick(rng, (2, 3)) if level == 1 else 3)
    s = 1 if level == 1 else int(rng.integers(1, 3))
    p = 0 if level == 1 else int(rng.integers(0, 2))
    d = 1 if level < 3 else int(rng.integers(1, 3))
    mine = {"k": _setting(settings, "kernel", 1, 5), "s": _setting(settings, "stride", 1, 3),
            "d": _setting(settings, "dilation", 1, 2), "p": _setting(settings, "padding", 0, 2)}
    k, s, d, p = (v if mine[n] is None or isinstance(mine[n], str) else int(mine[n])
                  for n, v in (("k", k), ("s", s), ("d", d), ("p", p)))
    side = d * (k - 1) + 1 + int(rng.integers(1, 4))
    low, high = (-1, 3) if level == 1 else (-3, 5)
    image = rng.integers(0, 6 if level == 1 else 10, (side, side))
    kernel = rng.integers(low, high, (k, k))
    bias = 0 if level == 1 else int(rng.integers(-3, 4))
    out = conv_output_hw((side, side), k, s, p, d)
    row, col = int(rng.integers(out[0].output)), int(rng.integers(out[1].output))
    return {"image": _tup(image), "kernel": _tup(kernel), "bias": bias, "s": s, "p": p, "d": d,
            "row": row, "col": col}


def _solve_conv_cell(level: int, params: dict) -> Exercise:
    image = np.asarray(params["image"], dtype=np.float64)[..., None]  # (H, W, 1)
    kernel = np.asarray(params["kernel"], dtype=np.float64)[..., None, None]  # (K, K, 1, 1)
    tr = conv.conv_trace(image, kernel, np.array([params["bias"]], dtype=np.float64), params["s"],
                         params["p"], params["d"], params["row"], params["col"])
    steps = (("window", {"window": _tup(tr.window[..., 0]), "rows": _tup(tr.in_rows), "cols": _tup(tr.in_cols)}),
             ("products", {"products": _tup(tr.products[..., 0]), "total": _tup(tr.total)}),
             ("bias", {"total": _tup(tr.total), "bias": _tup(tr.bias), "result": _tup(tr.result)}))
    return Exercise("conv_cell", level, "cell", dict(params), (Part("value", tr.result, 0.0),), steps)  # whole numbers


# ------------------------------------------------------------------ one cell of max / average pooling


def _draw_pool_cell(level: int, rng: np.random.Generator, settings: dict | None) -> dict:
    size = 2 if level == 1 else int(rng.integers(2, 4))
    stride = size if level == 1 else int(rng.integers(1, size + 1))
    mode = "max" if level == 1 else str(_pick(rng, ("max", "avg")))
    padding = "same" if level == 3 and rng.random() < 0.5 else "valid"
    size = _setting(settings, "size", 1, 4) or size
    stride = _setting(settings, "stride", 1, 4) or stride
    mine_mode = _setting(settings, "mode", 0, 0)
    mode = mine_mode if mine_mode in ("max", "avg") else mode
    padding = _setting(settings, "padding", 0, 0) or padding
    side = size + int(rng.integers(2, 4))
    image = rng.integers(0, 10, (side, side))
    out = pooling.pool_output_hw((side, side), size, stride, padding)
    row, col = int(rng.integers(out[0].output)), int(rng.integers(out[1].output))
    if padding == "same" and level == 3:  # an edge cell, where the window reaches the padding
        row, col = out[0].output - 1, out[1].output - 1
    return {"image": _tup(image), "size": size, "stride": stride, "mode": mode, "padding": padding,
            "row": row, "col": col}


def _solve_pool_cell(level: int, params: dict) -> Exercise:
    image = np.asarray(params["image"], dtype=np.float64)[..., None]
    tr = pooling.pool_trace(image, params["size"], params["stride"], params["padding"], params["mode"],
                            params["row"], params["col"])
    window = np.where(tr.is_padding, np.nan, tr.window)
    info = {"window": _tup(window), "rows": _tup(tr.in_rows), "cols": _tup(tr.in_cols), "result": _tup(tr.result)}
    if tr.mode == "avg":
        info.update(total=_tup(tr.total), count=tr.count)
    return Exercise("pool_cell", level, tr.mode, dict(params), (Part("value", tr.result, 0.005),),
                    ((tr.mode, info),))


# ------------------------------------------------------------------ parameters of a layer, of a model


def _draw_layer_params(level: int, rng: np.random.Generator, settings: dict | None) -> dict:
    if level == 1:
        return {"layer": "dense", "d": int(_pick(rng, (16, 64, 100, 128, 256, 784))),
                "units": int(_pick(rng, (10, 32, 64, 100, 128)))}
    if level == 2:
        return {"layer": "conv", "k": int(_pick(rng, (1, 3, 5))), "c_in": int(_pick(rng, (1, 3, 16, 32, 64))),
                "filters": int(_pick(rng, (8, 16, 32, 64, 128)))}
    return {"layer": "batchnorm", "channels": int(_pick(rng, (16, 32, 64, 128, 256)))}


def _solve_layer_params(level: int, params: dict) -> Exercise:
    g = architectures.Graph("layer")
    if params["layer"] == "dense":
        x = g.dense(g.input((params["d"],)), params["units"])
    elif params["layer"] == "conv":
        x = g.conv(g.input((8, 8, params["c_in"])), params["filters"], params["k"], 1, "same")
    else:
        x = g.batchnorm(g.input((8, 8, params["channels"])))
    node = g[x]
    parts = [Part("params", node.params, 0.0)]
    if params["layer"] == "batchnorm":
        parts += [Part("trainable", node.trainable, 0.0), Part("non_trainable", node.non_trainable, 0.0)]
    return Exercise("layer_params", level, params["layer"], dict(params), tuple(parts),
                    (("formula", {"formula": node.formulas["params"]}),))


COURSE_MODELS = {1: ("mnist_cnn", "shapes_cnn"), 2: ("cats_dogs", "mnist_cnn"), 3: ("animals10",)}
MODEL_SIZES = {"mnist_cnn": (28, 32, 36), "shapes_cnn": (24, 32), "cats_dogs": (150, 128, 180),
               "animals10": (150, 128, 96)}


def _draw_model_params(level: int, rng: np.random.Generator, settings: dict | None) -> dict:
    key = str(_pick(rng, COURSE_MODELS[level]))
    # level 1 keeps the notes' input sizes (93,322 for MNIST); later levels change the input too
    size = MODEL_SIZES[key][0] if level == 1 else int(_pick(rng, MODEL_SIZES[key]))
    return {"model": key, "size": size}


def _solve_model_params(level: int, params: dict) -> Exercise:
    g = architectures.build(params["model"], params["size"])
    total, trainable, non_trainable = g.totals()
    layers_ = tuple((n.name, n.config, _tup(n.shape)) for n in g.rows())
    split = params["model"] == "animals10"
    parts = ((Part("trainable", trainable, 0.0), Part("non_trainable", non_trainable, 0.0)) if split
             else (Part("params", total, 0.0),))
    steps = tuple(("layer", {"name": n.name, "formula": n.formulas["params"], "params": n.params,
                             "trainable": n.trainable}) for n in g.rows() if n.params)
    steps += (("total", {"total": total, "trainable": trainable, "non_trainable": non_trainable}),)
    return Exercise("model_params", level, "split" if split else "total", {**params, "layers": layers_},
                    parts, steps)


# ------------------------------------------------------------------ receptive field


def _draw_receptive_field(level: int, rng: np.random.Generator, settings: dict | None) -> dict:
    count = int(rng.integers(2, 4)) if level == 1 else int(rng.integers(3, 5 if level == 2 else 6))
    stack = []
    for _ in range(count):
        if level > 1 and rng.random() < 0.35:
            stack.append(("pool", 2, 2))
        else:
            k = 3 if level == 1 else int(_pick(rng, (3, 5) if level == 2 else (3, 5, 7)))
            stack.append(("conv", k, 1 if level < 3 else int(_pick(rng, (1, 1, 2)))))
    return {"stack": tuple(stack)}


def _solve_receptive_field(level: int, params: dict) -> Exercise:
    g = architectures.Graph("stack")
    x = g.input((256, 256, 1))
    for kind, k, s in params["stack"]:
        x = g.conv(x, 1, k, s, "same") if kind == "conv" else g.pool(x, k, s, "same")
    steps = tuple(("layer", {"name": n.name, "formula": n.formulas["rf"]}) for n in g.rows()[1:])
    return Exercise("receptive_field", level, "stack", dict(params),
                    (Part("rf", g.output().receptive_field, 0.0),), steps)


# ------------------------------------------------------------------ softmax and cross-entropy, dropout


def _draw_softmax_ce(level: int, rng: np.random.Generator, settings: dict | None) -> dict:
    classes = level + 2
    z = rng.integers(-2, 4, classes) if level == 1 else np.round(rng.uniform(-3, 4, classes), 1)
    return {"logits": _tup(z), "true": int(rng.integers(classes))}


def _solve_softmax_ce(level: int, params: dict) -> Exercise:
    z = np.asarray(params["logits"], dtype=np.float64)
    detail = losses.cross_entropy_detail(z, params["true"], from_logits=True)
    tr = softmax_trace(z)
    parts = [Part("p_true", detail.p_true, 0.002)]
    if level > 1:
        parts.append(Part("loss", detail.loss_exact, _tol(detail.loss_exact, 0.005, 0.005)))
    steps = (("shift", {"max": _tup(tr.max), "shifted": _tup(tr.shifted)}),
             ("exps", {"exps": _tup(np.round(tr.exps, 6)), "total": _tup(round(tr.total, 6))}),
             ("probs", {"probs": _tup(np.round(tr.probs, 6)), "true": params["true"], "p": detail.p_true}),
             ("loss", {"p": detail.p_true, "loss": detail.loss_exact}))
    return Exercise("softmax_ce", level, "p" if level == 1 else "p_loss", dict(params), tuple(parts), steps)


def _draw_dropout(level: int, rng: np.random.Generator, settings: dict | None) -> dict:
    rate = float(_pick(rng, (0.5, 0.2, 0.25) if level == 1 else (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)))
    rate = _setting(settings, "rate", 0.05, 0.9) or rate
    x = rng.integers(1, 10, 5 if level == 3 else 4) / (1 if level == 1 else 2)
    return {"x": _tup(x), "rate": float(rate), "seed": int(rng.integers(MAX_SEED))}


def _solve_dropout(level: int, params: dict) -> Exercise:
    x = np.asarray(params["x"], dtype=np.float64)
    seed = params["seed"]
    y, keep = dropout.dropout(x, params["rate"], training=True, seed=seed)
    while not keep.any():  # a mask that drops every unit has no kept unit to ask about
        seed += 1
        y, keep = dropout.dropout(x, params["rate"], training=True, seed=seed)
    unit = int(np.flatnonzero(keep)[0])
    inference, _ = dropout.dropout(x, params["rate"], training=False)
    scale = float(y[unit] / x[unit])
    given = {**params, "seed": seed, "keep": _tup(keep.astype(int)), "unit": unit, "x_unit": _tup(x[unit])}
    if level == 3:
        parts = (Part("sum", float(y.sum()), 0.01),)
    else:
        parts = (Part("kept", float(y[unit]), 0.01),) + ((Part("inference", float(inference[unit]), 0.01),)
                                                          if level == 2 else ())
    steps = (("scale", {"rate": params["rate"], "scale": scale}),
             ("outputs", {"y": _tup(np.round(y, 6)), "sum": float(y.sum()), "unit": unit, "kept": float(y[unit])}),
             ("inference", {"x": _tup(inference), "unit": unit}))
    return Exercise("dropout", level, ("kept", "kept_inference", "sum")[level - 1], given, parts, steps)


# ------------------------------------------------------------------ batch normalization


def _draw_batchnorm_value(level: int, rng: np.random.Generator, settings: dict | None) -> dict:
    n = 4 if level < 3 else 5
    x = rng.integers(0, 9, n) if level == 1 else np.round(rng.uniform(-2, 4, n), 1)
    gamma = 1.0 if level == 1 else float(np.round(rng.uniform(0.5, 2.0), 1))
    beta = 0.0 if level == 1 else float(np.round(rng.uniform(-1.0, 1.0), 1))
    mine = {n: _setting(settings, n, -3.0, 3.0) for n in ("gamma", "beta")}
    gamma = float(gamma if mine["gamma"] is None else mine["gamma"])
    beta = float(beta if mine["beta"] is None else mine["beta"])
    eps = float(_setting(settings, "epsilon", 1e-5, 0.1) or 1e-3)
    return {"x": _tup(x), "index": int(rng.integers(n)), "gamma": gamma, "beta": beta, "epsilon": eps,
            "moving_mean": float(np.round(rng.uniform(0.0, 2.0), 1)),
            "moving_variance": float(np.round(rng.uniform(0.5, 3.0), 1))}


def _solve_batchnorm_value(level: int, params: dict) -> Exercise:
    x = np.asarray(params["x"], dtype=np.float64)[:, None]  # (N, C=1)
    state = batchnorm.BatchNormState(np.array([params["gamma"]]), np.array([params["beta"]]),
                                     np.array([params["moving_mean"]]), np.array([params["moving_variance"]]))
    i = params["index"]
    modes = {1: ("train",), 2: ("infer",), 3: ("train", "infer")}[level]
    parts, steps = [], []
    for mode in modes:
        res = batchnorm.batchnorm(x, state, training=(mode == "train"), epsilon=params["epsilon"])
        y = float(res.output[i, 0])
        parts.append(Part(f"y_{mode}", y, _tol(y, 0.005, 0.005)))
        steps.append((mode, {"mean": float(res.mean[0]), "variance": float(res.variance[0]),
                             "x": float(x[i, 0]), "x_hat": float(res.x_hat[i, 0]), "y": y,
                             "gamma": params["gamma"], "beta": params["beta"], "epsilon": params["epsilon"]}))
    given = {**params, "x_i": _tup(x[i, 0])}
    return Exercise("batchnorm_value", level, "_".join(modes), given, tuple(parts), tuple(steps))


# ------------------------------------------------------------------ optimizer steps


def _draw_optimizer_step(level: int, rng: np.random.Generator, settings: dict | None) -> dict:
    w = float(np.round(rng.uniform(-2, 2), 1))
    grads = tuple(float(g) for g in np.round(rng.uniform(-3, 3, 1 if level == 1 else 2), 1))
    grads = tuple(g if g != 0 else 0.5 for g in grads)
    params = {"w": w, "grads": grads, "lr": float(_pick(rng, (0.1, 0.05, 0.2)))}
    if level == 2:
        params["momentum"] = float(_setting(settings, "momentum", 0.0, 0.99) or _pick(rng, (0.9, 0.8, 0.5)))
    if level == 3:
        params.update(beta_1=float(_setting(settings, "beta_1", 0.0, 0.99) or 0.9),
                      beta_2=float(_setting(settings, "beta_2", 0.0, 0.9999) or 0.999), epsilon=1e-7)
    return params


def _solve_optimizer_step(level: int, params: dict) -> Exercise:
    if level == 1:
        opt = optimizers.SGD(params["lr"])
    elif level == 2:
        opt = optimizers.SGD(params["lr"], momentum=params["momentum"])
    else:
        opt = optimizers.Adam(params["lr"], params["beta_1"], params["beta_2"], params["epsilon"])
    w = np.array([params["w"]])
    opt_code = ("sgd", "momentum", "adam")[level - 1]
    steps = []
    for t, g in enumerate(params["grads"], start=1):
        before = float(w[0])
        w = opt.step(w, np.array([g]))
        steps.append((opt_code, {"t": t, "g": g, "w_before": before, "w": float(w[0]),
                               **{k: float(np.ravel(v)[0]) for k, v in opt.last.items() if k != "grad"}}))
    last = steps[-1][1]
    move = abs(last["update"])
    w_tol = _two_digits(min(_tol(last["w"], 0.001, 0.001), 0.1 * move)) if move else 0.001
    parts = [Part("w", last["w"], w_tol)]
    if level == 2:
        parts.insert(0, Part("velocity", last["velocity"], _tol(last["velocity"], 0.005, 0.001)))
    if level == 3:
        parts[:0] = [Part(n, last[n], _tol(last[n], 0.005, 1e-5)) for n in ("m", "v", "m_hat", "v_hat")]
    return Exercise("optimizer_step", level, opt_code, dict(params),
                    tuple(parts), tuple(steps))


# ------------------------------------------------------------------ Harris response


HARRIS_SIDE = 5  # the 3x3 window around the centre needs Sobel of every pixel of a 5x5 patch


def _draw_harris_value(level: int, rng: np.random.Generator, settings: dict | None) -> dict:
    shape = str(_pick(rng, ("corner", "edge", "flat")))
    image = np.zeros((HARRIS_SIDE, HARRIS_SIDE), dtype=np.int64)
    if shape == "corner":
        image[2:, 2:] = 2
    elif shape == "edge":
        image[:, 2:] = 2
    image += rng.integers(0, 2, image.shape)
    k = _setting(settings, "k", 0.02, 0.25) or float(_pick(rng, (0.04, 0.05, 0.06)))
    return {"image": _tup(image), "k": float(k)}


def _solve_harris_value(level: int, params: dict) -> Exercise:
    image = np.asarray(params["image"], dtype=np.float64)
    tensor = harris.structure_tensor(image, window="box", size=3)
    r = harris.response(tensor, params["k"])
    c = HARRIS_SIDE // 2
    point = harris.harris_at(tensor, r, harris.classify(r), c, c, params["k"])
    window = (slice(c - 1, c + 2), slice(c - 1, c + 2))
    given = dict(params)
    if level == 1:
        given.update(sxx=point.sxx, sxy=point.sxy, syy=point.syy)
    elif level == 2:
        given.update(ix=_tup(tensor.ix[window]), iy=_tup(tensor.iy[window]))
    steps = (("gradients", {"ix": _tup(tensor.ix[window]), "iy": _tup(tensor.iy[window])}),
             ("sums", {"sxx": point.sxx, "sxy": point.sxy, "syy": point.syy}),
             ("response", {"det": point.det, "trace": point.trace, "k": point.k, "r": point.r, "kind": point.kind}))
    return Exercise("harris_value", level, ("tensor", "gradients", "image")[level - 1], given,
                    (Part("r", point.r, _tol(point.r, 0.001, 0.01)),), steps[3 - level:])


# ------------------------------------------------------------------ the gradient of one weight


def _draw_weight_gradient(level: int, rng: np.random.Generator, settings: dict | None) -> dict:
    d, units = (2, 3) if level < 3 else (3, 3)
    x = rng.integers(-2, 4, d).astype(float)
    weights = np.round(rng.uniform(-1, 1, (d, units)), 1)
    bias = np.round(rng.uniform(-0.5, 0.5, units), 1)
    x[x == 0] = 1.0
    return {"x": _tup(x), "weights": _tup(weights), "bias": _tup(bias), "label": int(rng.integers(units)),
            "d": int(rng.integers(d)), "u": int(rng.integers(units))}


def _solve_weight_gradient(level: int, params: dict) -> Exercise:
    x = np.asarray(params["x"], dtype=np.float64)
    w = np.asarray(params["weights"], dtype=np.float64)
    logits = dense.dense(x[None], w, np.asarray(params["bias"], dtype=np.float64))[0]
    _, delta = backward.softmax_cross_entropy_backward(logits[None], [params["label"]])
    grads = backward.dense_backward(x[None], w, delta)
    d, u = params["d"], params["u"]
    value = float(grads.weights[d, u])
    probs = delta[0] + losses.one_hot([params["label"]], w.shape[1])[0]  # p = (p - y) + y
    given = dict(params)
    if level == 1:
        given["probs"] = _tup(np.round(probs, 4))
    elif level == 2:
        given["logits"] = _tup(np.round(logits, 4))
    steps = (("logits", {"logits": _tup(np.round(logits, 6))}),
             ("probs", {"probs": _tup(np.round(probs, 6))}),
             ("delta", {"delta": _tup(np.round(delta[0], 6)), "label": params["label"]}),
             ("product", {"a": float(x[d]), "delta_u": float(delta[0, u]), "d": d, "u": u, "result": value}))
    return Exercise("weight_gradient", level, ("probs", "logits", "weights")[level - 1], given,
                    (Part("grad", value, _tol(value, 0.005, 0.002)),), steps[3 - level:])


# ------------------------------------------------------------------ the registry


@dataclass(frozen=True)
class Kind:
    draw: Callable[[int, np.random.Generator, dict | None], dict]
    solve: Callable[[int, dict], Exercise]


KINDS: dict[str, Kind] = {
    "output_size": Kind(_draw_output_size, _solve_output_size),
    "conv_cell": Kind(_draw_conv_cell, _solve_conv_cell),
    "pool_cell": Kind(_draw_pool_cell, _solve_pool_cell),
    "layer_params": Kind(_draw_layer_params, _solve_layer_params),
    "model_params": Kind(_draw_model_params, _solve_model_params),
    "receptive_field": Kind(_draw_receptive_field, _solve_receptive_field),
    "softmax_ce": Kind(_draw_softmax_ce, _solve_softmax_ce),
    "dropout": Kind(_draw_dropout, _solve_dropout),
    "batchnorm_value": Kind(_draw_batchnorm_value, _solve_batchnorm_value),
    "optimizer_step": Kind(_draw_optimizer_step, _solve_optimizer_step),
    "harris_value": Kind(_draw_harris_value, _solve_harris_value),
    "weight_gradient": Kind(_draw_weight_gradient, _solve_weight_gradient),
}


def _check_args(kind: object, level: object, seed: object) -> None:
    if kind not in KINDS:
        raise EngineError("bad_mode", mode=kind)
    if level not in LEVELS:
        raise EngineError("bad_hyperparameter", name="level", value=level)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise EngineError("bad_hyperparameter", name="seed", value=seed)


def solve(kind: str, level: int, params: dict) -> Exercise:
    """The exercise of `kind` for given parameters (as `draw` makes them; tests pass the notes' own)."""
    _check_args(kind, level, 0)
    return KINDS[kind].solve(level, params)


def generate(kind: str, level: int, seed: int, settings: dict | None = None) -> Exercise:
    """A fresh exercise of `kind` at `level` from `seed`; `settings` (a page's current values by
    parameter name: kernel, stride, dilation, padding, size, mode, rate, gamma, beta, epsilon,
    momentum, beta_1, beta_2, k) replace the drawn ones where the kind uses them.
    Raises EngineError('bad_mode') for an unknown kind, ('bad_hyperparameter') for a bad level or seed."""
    _check_args(kind, level, seed)
    return _generate(kind, level, np.random.default_rng([int(seed)]), settings)


def _generate(kind: str, level: int, rng: np.random.Generator, settings: dict | None) -> Exercise:
    spec = KINDS[kind]
    return spec.solve(level, spec.draw(level, rng, settings))


def problem_set(kinds: Sequence[str], count: int, level: int, seed: int) -> tuple[Exercise, ...]:
    """`count` problems cycling through `kinds`; problem i is drawn from the generator [seed, i],
    so every student opening the same set gets the same problems."""
    if not kinds or isinstance(count, bool) or not isinstance(count, (int, np.integer)) or not 1 <= count <= MAX_COUNT:
        raise EngineError("bad_hyperparameter", name="count", value=count)
    for kind in kinds:
        _check_args(kind, level, seed)
    return tuple(_generate(kinds[i % len(kinds)], level, np.random.default_rng([int(seed), i]), None)
                 for i in range(count))


# ------------------------------------------------------------------ checking an answer

_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_FRACTION = re.compile(r"([+-]?\d+(?:\.\d*)?)/(\d+(?:\.\d*)?)")


def parse_answer(text: object) -> float | str | None:
    """A typed answer as a number, IMPOSSIBLE, or None (empty or not a number). Never raises."""
    if not isinstance(text, str) or len(text) > MAX_ANSWER_CHARS:
        return None
    if text == IMPOSSIBLE or text.strip().lower() in IMPOSSIBLE_WORDS:
        return IMPOSSIBLE
    s = re.sub(r"\s|_|'", "", text).replace("−", "-").replace("–", "-")
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    elif s.count(",") == 1 and "." not in s:
        s = s.replace(",", ".")  # a decimal comma
    fraction = _FRACTION.fullmatch(s)
    try:
        value = float(fraction[1]) / float(fraction[2]) if fraction else float(s)
    except (ValueError, ZeroDivisionError):
        return None
    return value if np.isfinite(value) else None


def _status(text: object, part: Part) -> str:
    given = parse_answer(text)
    if given is None:
        return "empty" if not isinstance(text, str) or not text.strip() else "not_a_number"
    if given == IMPOSSIBLE:
        return "right" if part.value is None else "wrong"
    if part.value is None:
        return "wrong"
    return "right" if abs(given - part.value) <= part.tol + 1e-9 * max(1.0, abs(part.value)) else "wrong"


def check(answers: Sequence[object], exercise: Exercise) -> Verdict:
    """Compare a student's answers (one per part: text, or IMPOSSIBLE) with the exercise's. Never raises."""
    try:
        given = list(answers)
    except TypeError:
        given = []
    given += [None] * (len(exercise.parts) - len(given))
    return Verdict(tuple(_status(a, p) for a, p in zip(given, exercise.parts)))
