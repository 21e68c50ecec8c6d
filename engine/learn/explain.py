"""Why a trained model decided: saliency, SmoothGrad, Grad-CAM, occlusion sensitivity, and the
input a filter responds to most (gradient ascent).

Shapes (NHWC, one image at a time unless said otherwise):
    image      (H, W, C) float 0..255, C = 1 or 3, exactly the model's input shape
    saliency   gradient (H, W, C) of the class score by the model's input, map (H, W) = max_c |grad|
    Grad-CAM   activations A (h, w, K) and gradients (h, w, K) of a conv layer, weights
               alpha_k = mean_ij dS/dA_ijk, cam (h, w) = ReLU(sum_k alpha_k A_k), heat (H, W) = cam
               upsampled (bilinear, pixel centres) and divided by its maximum
    occlusion  probabilities (R, C) of the class with a grey patch whose top-left corner is at
               (rows[r], cols[c]); pixel (H, W) = mean drop of the probability over the patches
               covering each pixel
    filters    images (F, H, W, C) 0..255 and a log (steps + 1, F) of each filter's mean activation

Gradients are taken by the model's own input (0..1 pixels unless the model starts with a
Rescaling layer, engine.learn.models.model_inputs). The class score is the class's logit (the input of
the final softmax: a Dense(softmax) output layer is applied as its linear part) or, with
score="probability", the softmax output itself.

Layers are named by a path: ("conv2d",) for a layer of the model, ("mobilenet", "conv1") for a
layer inside a model nested in it (a transfer model's base). `_through` builds, once per model and
path, a function x -> (that layer's output, the score vector) from Keras models over the right
graph: for a layer inside a nested base it splits the outer graph at the base's node (the part
before it, the base up to the layer and to its output, the part after it), which is where a plain
keras.Model(model.inputs[0], layer.output) fails (the nested layer's output lives in the base's own
graph). Sequential models are run layer by layer.

ExplainJob runs occlusion and filter visualisation in a background thread that takes one of the
training queue's server slots (engine.learn.training.SLOTS), with progress and Stop.
TensorFlow is imported inside the functions only.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Callable

import numpy as np

from engine import checks
from engine.errors import EngineError
from engine.learn import models, training

SCORES = ("logit", "probability")
CONV_KINDS = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D")
GREY = 127.5  # the occlusion patch, in 0..255 pixels
MAX_SMOOTH_COUNT = 64
MAX_ASCENT_STEPS = 200
MAX_FILTERS_AT_ONCE = 64
_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

Progress = Callable[[int, int], None]
Stop = Callable[[], bool]


# ------------------------------------------------------------------ layers


@dataclass(frozen=True)
class ConvLayer:
    """A conv layer that can be explained: its path, Keras class and output shape (h, w, K)."""

    path: tuple[str, ...]
    kind: str
    shape: tuple[int, int, int]

    @property
    def name(self) -> str:
        return "/".join(self.path)


def _is_model(layer) -> bool:
    return hasattr(layer, "layers") and hasattr(layer, "inputs")


def conv_layers(model) -> list[ConvLayer]:
    """Every Conv2D-like layer with a 4-D output, in order, also inside nested models."""
    found = []
    for layer in model.layers:
        if _is_model(layer):
            found += [ConvLayer((layer.name,) + c.path, c.kind, c.shape) for c in conv_layers(layer)]
        elif type(layer).__name__ in CONV_KINDS:
            shape = tuple(layer.output.shape)
            if len(shape) == 4 and None not in shape[1:]:
                found.append(ConvLayer((layer.name,), type(layer).__name__, tuple(int(v) for v in shape[1:])))
    return found


def find_layer(model, path: tuple[str, ...]) -> ConvLayer:
    """The conv layer at `path`, or EngineError: no conv layer at all, or this one cannot be explained."""
    layers = conv_layers(model)
    if not layers:
        raise EngineError("explain_no_conv")
    for layer in layers:
        if layer.path == tuple(path):
            return layer
    raise EngineError("explain_bad_layer", layer="/".join(str(p) for p in path))


def last_conv(model) -> ConvLayer:
    """The last conv layer (Grad-CAM's usual choice: the most semantic maps that keep positions)."""
    layers = conv_layers(model)
    if not layers:
        raise EngineError("explain_no_conv")
    return layers[-1]


# ------------------------------------------------------------------ checks


def check_image(model, image: np.ndarray) -> np.ndarray:
    """The image as (H, W, C) float32 0..255, or EngineError when it is not the model's input shape."""
    expected = models.input_shape_of(model)
    arr = np.asarray(image, dtype=np.float32)
    if arr.shape != tuple(expected):
        raise EngineError("explain_bad_image", expected="×".join(map(str, expected)),
                          got="×".join(map(str, arr.shape)))
    if not np.all(np.isfinite(arr)):
        raise EngineError("nonfinite", name="image")
    return arr


def check_class(model, cls: int) -> int:
    classes = models.classes_of(model)
    if isinstance(cls, bool) or not isinstance(cls, (int, np.integer)) or not 0 <= int(cls) < classes:
        raise EngineError("bad_label", label=cls, classes=classes)
    return int(cls)


def _check_score(score: str) -> str:
    if score not in SCORES:
        raise EngineError("bad_mode", mode=score)
    return score


def _real(name: str, value: object, low: float, high: float) -> float:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise EngineError("bad_hyperparameter", name=name, value=value) from None
    if not low <= f <= high:
        raise EngineError("bad_hyperparameter", name=name, value=value)
    return f


# ------------------------------------------------------------------ through the graph


def _softmax_head(layer):
    """For the output layer: a function from its input to the logits when it ends in a softmax
    (Dense(softmax): its linear part; Softmax / Activation('softmax'): its input), else None."""
    from keras import ops

    kind = type(layer).__name__
    activation = getattr(getattr(layer, "activation", None), "__name__", "")
    if kind == "Dense" and activation == "softmax":
        def linear(h):
            z = ops.matmul(h, layer.kernel)
            return z + layer.bias if layer.bias is not None else z
        return linear
    if kind == "Softmax" or (kind == "Activation" and activation == "softmax"):
        return lambda h: h
    return None


def _output_layer(model):
    """The layer making a functional model's (single) output, and the node of that call."""
    op, node_index, _ = model.outputs[0]._keras_history  # noqa: SLF001 - Keras' graph record
    return op, op._inbound_nodes[node_index]  # noqa: SLF001


def _node_in(model, layer):
    """The node of `layer`'s call inside `model`'s graph (a layer reused elsewhere has several)."""
    import keras

    for node in reversed(layer._inbound_nodes):  # noqa: SLF001 - Keras' graph record
        if len(node.input_tensors) != 1 or len(node.output_tensors) != 1:
            continue
        try:
            keras.Model(model.inputs[0], node.output_tensors[0])
        except ValueError:
            continue  # a call in another graph
        return node
    raise EngineError("explain_bad_layer", layer=layer.name)


def _sequential(model, path: tuple[str, ...], head) -> Callable:
    layers = list(model.layers)
    last = len(layers) - 1

    def run(x):
        captured = None
        for i, layer in enumerate(layers):
            if head is not None and i == last:
                return captured, head(x)
            if path and layer.name == path[0]:
                if len(path) == 1:
                    x = layer(x, training=False)
                    captured = x
                else:
                    captured, x = _through(layer, path[1:], "probability")(x)
            else:
                x = layer(x, training=False)
        return captured, x
    return run


def _functional(model, path: tuple[str, ...], head) -> Callable:
    import keras

    out_layer, out_node = _output_layer(model)
    end = out_node.input_tensors[0] if head is not None else model.outputs[0]
    finish = head if head is not None else (lambda z: z)
    if not path:
        whole = keras.Model(model.inputs[0], end)
        return lambda x: (None, finish(whole(x, training=False)))
    layer = model.get_layer(path[0])
    node = _node_in(model, layer)
    if len(path) == 1:
        both = keras.Model(model.inputs[0], [node.output_tensors[0], end])

        def run(x):
            captured, z = both(x, training=False)
            return captured, finish(z)
        return run
    try:
        before = keras.Model(model.inputs[0], node.input_tensors[0])
        after = (keras.Model(node.output_tensors[0], end) if end is not node.output_tensors[0]
                 else lambda y, training=False: y)  # the base feeds the softmax layer directly
    except ValueError as exc:  # the base's output is not the only way to the output
        raise EngineError("explain_bad_layer", layer="/".join(path)) from exc
    inner = _through(layer, path[1:], "probability")

    def nested(x):
        captured, y = inner(before(x, training=False))
        return captured, finish(after(y, training=False))
    return nested


def _through(model, path: tuple[str, ...], score: str) -> Callable:
    """x (N, H, W, C) model inputs -> (output of the layer at `path` or None, scores (N, K)),
    built once per model, path and score. The scores are logits (score="logit", when the model
    ends in a softmax) or the model's output."""
    import keras

    cache = _CACHE.setdefault(model, {})
    key = (tuple(path), score)
    if key not in cache:
        is_seq = isinstance(model, keras.Sequential)
        last = model.layers[-1] if is_seq else _output_layer(model)[0]
        head = _softmax_head(last) if score == "logit" else None
        cache[key] = (_sequential if is_seq else _functional)(model, tuple(path), head)
    return cache[key]


def _tensor(model, images: np.ndarray):
    """(N, H, W, C) 0..255 -> what the model takes, as a tensor of its input dtype."""
    import tensorflow as tf

    x = np.asarray(images, dtype=np.float64)  # float64 until the model's own dtype (a float64 model keeps it)
    x = x if models.takes_raw_pixels(model) else x / 255.0
    return tf.convert_to_tensor(x, dtype=model.inputs[0].dtype)


def class_scores(model, images: np.ndarray, score: str = "logit") -> np.ndarray:
    """(N, K) float64: every class's score (logits or probabilities) of images (N, H, W, C) 0..255."""
    _, s = _through(model, (), _check_score(score))(_tensor(model, images))
    return np.asarray(s, dtype=np.float64)


# ------------------------------------------------------------------ saliency


@dataclass(frozen=True)
class Saliency:
    """gradient (H, W, C) of the class score by the model's input (SmoothGrad: the mean of |gradient|
    over the noisy copies), map (H, W) = max over channels of |gradient|; score of the clean image."""

    gradient: np.ndarray
    map: np.ndarray
    score: float


def _input_gradients(model, x, cls: int, score: str):
    """(gradients (N, H, W, C), scores (N,)) of the class score by the model inputs x (a tensor)."""
    import tensorflow as tf

    run = _through(model, (), score)
    with tf.GradientTape() as tape:
        tape.watch(x)
        _, s = run(x)
        target = s[:, cls]
    return np.asarray(tape.gradient(target, x), dtype=np.float64), np.asarray(target, dtype=np.float64)


def saliency(model, image: np.ndarray, cls: int, score: str = "logit") -> Saliency:
    """|d score / d input| for one image (H, W, C) 0..255."""
    image, cls, score = check_image(model, image), check_class(model, cls), _check_score(score)
    grads, s = _input_gradients(model, _tensor(model, image[None]), cls, score)
    return Saliency(grads[0], np.abs(grads[0]).max(axis=-1), float(s[0]))


def input_span(model) -> float:
    """The range of the model's input values: 1 for 0..1 inputs, 255 when it rescales itself."""
    return 255.0 if models.takes_raw_pixels(model) else 1.0


def smoothgrad(model, image: np.ndarray, cls: int, noise: float = 0.15, count: int = 20, seed: int = 0,
               score: str = "logit", batch: int = 32) -> Saliency:
    """SmoothGrad: the mean of |gradient| over `count` copies of the image with Gaussian noise of
    standard deviation `noise` x the input range added (in batches of `batch` copies)."""
    image, cls, score = check_image(model, image), check_class(model, cls), _check_score(score)
    noise = _real("noise", noise, 0.0, 1.0)
    count = checks.int_in("count", count, 1, MAX_SMOOTH_COUNT)
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    clean = image[None].astype(np.float64) / (1.0 if models.takes_raw_pixels(model) else 255.0)
    copies = clean + rng.normal(0.0, noise * input_span(model), size=(count,) + image.shape)
    total = np.zeros(image.shape)
    for i in range(0, count, batch):
        x = tf.convert_to_tensor(copies[i:i + batch], dtype=model.inputs[0].dtype)
        grads, _ = _input_gradients(model, x, cls, score)
        total += np.abs(grads).sum(axis=0)
    mean = total / count
    _, s = _input_gradients(model, _tensor(model, image[None]), cls, score)
    return Saliency(mean, mean.max(axis=-1), float(s[0]))


# ------------------------------------------------------------------ Grad-CAM


@dataclass(frozen=True)
class GradCam:
    """Grad-CAM of one class at one conv layer: activations and gradients (h, w, K), weights (K,),
    cam (h, w) >= 0, heat (H, W) in 0..1 (cam upsampled, divided by its maximum; all 0 when the
    class gets no positive evidence at this layer), the layer and the class score."""

    layer: ConvLayer
    activations: np.ndarray
    gradients: np.ndarray
    weights: np.ndarray
    cam: np.ndarray
    heat: np.ndarray
    score: float


def upsample(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a map (h, w) to (H, W), sampling at pixel centres (edges repeated),
    like tf.image.resize(..., 'bilinear')."""
    values = np.asarray(values, dtype=np.float64)
    h, w = values.shape

    def axis(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0.0, n_in - 1)
        low = np.floor(pos).astype(int)
        high = np.minimum(low + 1, n_in - 1)
        return low, high, pos - low

    r0, r1, fr = axis(h, size[0])
    c0, c1, fc = axis(w, size[1])
    top = values[r0][:, c0] * (1 - fc) + values[r0][:, c1] * fc
    bottom = values[r1][:, c0] * (1 - fc) + values[r1][:, c1] * fc
    return top * (1 - fr)[:, None] + bottom * fr[:, None]


def grad_cam(model, image: np.ndarray, cls: int, path: tuple[str, ...] | None = None,
             score: str = "logit") -> GradCam:
    """Grad-CAM (Selvaraju et al.) of class `cls` at the conv layer at `path` (default: the last)."""
    import tensorflow as tf

    image, cls, score = check_image(model, image), check_class(model, cls), _check_score(score)
    layer = last_conv(model) if path is None else find_layer(model, tuple(path))
    run = _through(model, layer.path, score)
    with tf.GradientTape() as tape:
        acts, s = run(_tensor(model, image[None]))
        target = s[:, cls]
    grads = np.asarray(tape.gradient(target, acts), dtype=np.float64)[0]
    acts = np.asarray(acts, dtype=np.float64)[0]
    weights = grads.mean(axis=(0, 1))
    cam = np.maximum((acts * weights).sum(axis=-1), 0.0)
    big = upsample(cam, image.shape[:2])
    top = big.max()
    heat = big / top if top > 0 else np.zeros_like(big)
    return GradCam(layer, acts, grads, weights, cam, heat, float(np.asarray(target)[0]))


# ------------------------------------------------------------------ occlusion


@dataclass(frozen=True)
class Occlusion:
    """probabilities (R, C) of the class with the patch at (rows[r], cols[c]) (NaN where not yet
    computed, when stopped), the clean image's probability, pixel (H, W): the mean drop
    (clean - occluded) over the computed patches covering each pixel (NaN where none)."""

    probabilities: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    patch: int
    stride: int
    clean: float
    pixel: np.ndarray
    complete: bool


def occlusion_positions(height: int, width: int, patch: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-left corners of the patches: every `stride` pixels while the patch fits, and the last
    position flush with the far edge (so with stride <= patch every pixel is covered)."""
    def starts(n: int) -> np.ndarray:
        s = list(range(0, n - patch + 1, stride))
        if s[-1] != n - patch:
            s.append(n - patch)
        return np.array(s)
    return starts(height), starts(width)


def check_occlusion(model, patch: int, stride: int) -> tuple[int, int]:
    h, w, _ = models.input_shape_of(model)
    patch = checks.int_in("patch", patch, 1, 10**6)
    stride = checks.int_in("stride", stride, 1, 10**6)
    if patch > min(h, w):
        raise EngineError("explain_patch_too_large", patch=patch, height=h, width=w)
    return patch, stride


def occluded(image: np.ndarray, corners: list[tuple[int, int]], patch: int, fill: float = GREY) -> np.ndarray:
    """(N, H, W, C) copies of the image, each with a patch x patch square of `fill` at one corner."""
    out = np.repeat(np.asarray(image, dtype=np.float32)[None], len(corners), axis=0)
    for i, (r, c) in enumerate(corners):
        out[i, r:r + patch, c:c + patch, :] = fill
    return out


def occlusion(model, image: np.ndarray, cls: int, patch: int = 6, stride: int = 2, batch: int = 128,
              progress: Progress | None = None, should_stop: Stop | None = None) -> Occlusion:
    """Slide a grey patch over the image; the class probability for every position, predicted in
    batches of `batch` occluded copies. progress(done, total) after each batch; should_stop()
    ends early (the rest of the map stays NaN)."""
    image, cls = check_image(model, image), check_class(model, cls)
    patch, stride = check_occlusion(model, patch, stride)
    rows, cols = occlusion_positions(image.shape[0], image.shape[1], patch, stride)
    corners = [(int(r), int(c)) for r in rows for c in cols]
    probs = np.full(len(corners), np.nan)
    clean = float(models.predict(model, image[None])[0, cls])
    complete = True
    for i in range(0, len(corners), batch):
        if should_stop is not None and should_stop():
            complete = False
            break
        chunk = corners[i:i + batch]
        probs[i:i + len(chunk)] = models.predict(model, occluded(image, chunk, patch))[:, cls]
        if progress is not None:
            progress(i + len(chunk), len(corners))
    drop_sum = np.zeros(image.shape[:2])
    covered = np.zeros(image.shape[:2])
    for (r, c), p in zip(corners, probs):
        if np.isfinite(p):
            drop_sum[r:r + patch, c:c + patch] += clean - p
            covered[r:r + patch, c:c + patch] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        pixel = np.where(covered > 0, drop_sum / np.maximum(covered, 1), np.nan)
    return Occlusion(probs.reshape(len(rows), len(cols)), rows, cols, patch, stride, clean, pixel, complete)


# ------------------------------------------------------------------ what a filter looks for


@dataclass(frozen=True)
class AscentSettings:
    """Gradient ascent on the input: `steps` steps of size `step` (a fraction of the input range,
    along the gradient divided by its RMS), jitter (random shift of up to `jitter` pixels before
    each gradient), a Gaussian blur of `blur` pixels every `blur_every` steps, an L2 penalty
    `l2` x mean((x - grey)^2) (x in units of the input range) subtracted from the objective. A step (or blur) is kept only when it raises the filter's mean
    activation; otherwise that image's step is halved (a kept one grows by 1.25, up to 4 x step).
    A ReLU filter that gives 0 everywhere on the start image has no gradient and stays silent."""

    steps: int = 40
    step: float = 0.05
    jitter: int = 1
    blur: float = 0.5
    blur_every: int = 4
    l2: float = 0.01
    seed: int = 0


def check_ascent(s: AscentSettings) -> AscentSettings:
    checks.int_in("steps", s.steps, 1, MAX_ASCENT_STEPS)
    _real("step", s.step, 1e-6, 1.0)
    checks.int_in("jitter", s.jitter, 0, 8)
    _real("blur", s.blur, 0.0, 4.0)
    checks.int_in("blur_every", s.blur_every, 1, MAX_ASCENT_STEPS)
    _real("l2", s.l2, 0.0, 10.0)
    checks.int_in("seed", s.seed, 0, 2**31 - 1)
    return s


@dataclass(frozen=True)
class FilterImages:
    """images (F, H, W, C) 0..255 that maximise each filter's mean activation, the filters, and the
    log (steps done + 1, F) of the mean activations (row 0: the grey start), never decreasing."""

    layer: ConvLayer
    filters: tuple[int, ...]
    images: np.ndarray
    log: np.ndarray
    complete: bool


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(x, sigma=(0, sigma, sigma, 0), mode="nearest") if sigma > 0 else x


def filter_visualisation(model, path: tuple[str, ...], filters, settings: AscentSettings = AscentSettings(),
                         progress: Progress | None = None, should_stop: Stop | None = None) -> FilterImages:
    """For each filter f of the conv layer at `path`: the input that maximises mean_ij A_ijf,
    found by regularised gradient ascent from a grey image (all filters at once, one image each)."""
    import tensorflow as tf

    layer = find_layer(model, tuple(path))
    filters = tuple(int(f) for f in filters)
    if not filters or len(filters) > MAX_FILTERS_AT_ONCE:
        raise EngineError("bad_hyperparameter", name="filters", value=len(filters))
    for f in filters:
        if not 0 <= f < layer.shape[2]:
            raise EngineError("channel_out_of_range", channel=f, channels=layer.shape[2])
    s = check_ascent(settings)
    run = _through(model, layer.path, "probability")
    dtype, span = model.inputs[0].dtype, input_span(model)
    shape = tuple(models.input_shape_of(model))
    n, pick = len(filters), np.array(filters)
    rng = np.random.default_rng(s.seed)
    mid = 0.5 * span
    x = np.clip(mid + 0.1 * span * rng.standard_normal((n,) + shape), 0.0, span)  # grey with some noise
    onehot = tf.constant(np.eye(layer.shape[2])[pick][:, None, None, :], dtype=dtype)  # (F, 1, 1, K)

    def activation(images: np.ndarray) -> np.ndarray:
        acts, _ = run(tf.convert_to_tensor(images, dtype=dtype))
        return np.asarray(tf.reduce_mean(acts * onehot, axis=(1, 2, 3)), dtype=np.float64) * layer.shape[2]

    def gradient(images: np.ndarray) -> np.ndarray:
        t = tf.convert_to_tensor(images, dtype=dtype)
        with tf.GradientTape() as tape:
            tape.watch(t)
            acts, _ = run(t)
            objective = tf.reduce_sum(tf.reduce_mean(acts * onehot, axis=(1, 2, 3)))
        return np.asarray(tape.gradient(objective, t), dtype=np.float64)

    current = activation(x)
    log = [current.copy()]
    steps = np.full(n, s.step * span)
    complete = True
    for k in range(s.steps):
        if should_stop is not None and should_stop():
            complete = False
            break
        dy, dx = (rng.integers(-s.jitter, s.jitter + 1, size=2) if s.jitter else (0, 0))
        g = np.roll(gradient(np.roll(x, (dy, dx), axis=(1, 2))), (-dy, -dx), axis=(1, 2))
        g -= 2.0 * s.l2 * (x - mid) / (span * x[0].size)  # gradient of -l2 * mean((x - grey)^2)
        rms = np.sqrt(np.mean(g ** 2, axis=(1, 2, 3), keepdims=True))
        step = np.where(rms > 0, g / np.maximum(rms, 1e-12), 0.0) * steps[:, None, None, None]
        plain = np.clip(x + step, 0.0, span)
        tried = activation(plain)
        if s.blur > 0 and (k + 1) % s.blur_every == 0:
            smooth = np.clip(_blur(plain, s.blur), 0.0, span)
            smooth_act = activation(smooth)
            use = smooth_act >= current
            plain[use], tried[use] = smooth[use], smooth_act[use]
        better = tried > current
        x[better], current[better] = plain[better], tried[better]
        steps[~better] *= 0.5
        steps[better] = np.minimum(steps[better] * 1.25, 4 * s.step * span)  # a kept step may grow again
        log.append(current.copy())
        if progress is not None:
            progress(k + 1, s.steps)
    images = x / span * 255.0
    return FilterImages(layer, filters, images, np.array(log), complete)


# ------------------------------------------------------------------ as a queued job


class ExplainJob(training.TrainingJob):
    """Occlusion or filter visualisation in a background thread holding one of the training
    queue's server slots: `work(progress, should_stop)` runs once a slot is free; `result` holds
    what it returned. The snapshot's `step` / `steps_per_epoch` count the work done."""

    remote = False  # short work on the session's own model (at most a second or two): here, in the queue

    def __init__(self, kind: str, work: Callable[[Progress, Stop], object],
                 slots: training.TrainingSlots = training.SLOTS) -> None:
        self.init_job(slots, epochs=1)
        self.kind, self.result, self._explain = kind, None, work

    def _work(self):
        self._update(status="running")
        self.result = self._explain(self._count, self.should_stop)
        return None

    def _count(self, done: int, total: int) -> None:
        self._update(step=int(done), steps_per_epoch=int(total))


def occlusion_job(model, image: np.ndarray, cls: int, patch: int, stride: int) -> ExplainJob:
    """An unstarted job computing `occlusion` (the inputs are checked now)."""
    image, cls = check_image(model, image), check_class(model, cls)
    patch, stride = check_occlusion(model, patch, stride)
    return ExplainJob("occlusion", lambda progress, stop: occlusion(model, image, cls, patch, stride,
                                                                    progress=progress, should_stop=stop))


def filters_job(model, path: tuple[str, ...], filters, settings: AscentSettings) -> ExplainJob:
    """An unstarted job computing `filter_visualisation` (the inputs are checked now)."""
    layer = find_layer(model, tuple(path))
    check_ascent(settings)
    filters = tuple(int(f) for f in filters)
    if any(not 0 <= f < layer.shape[2] for f in filters) or not 0 < len(filters) <= MAX_FILTERS_AT_ONCE:
        raise EngineError("bad_hyperparameter", name="filters", value=len(filters))
    return ExplainJob("filters", lambda progress, stop: filter_visualisation(
        model, layer.path, filters, settings, progress=progress, should_stop=stop))


def filter_frames(history: list[np.ndarray]) -> np.ndarray:
    """The first layer's kernels recorded during training, (epochs + 1, k, k, C_in, F), epoch 0 = start."""
    if not history:
        return np.zeros((0, 1, 1, 1, 1))
    return np.stack([np.asarray(k, dtype=np.float64) for k in history])

