"""Backpropagation: the gradient of every forward operation the pages use, in NumPy, NHWC.

Each `*_backward` takes the forward inputs and `grad_out` = dL/d(output) (the "upstream"
gradient, same shape as the forward output) and returns dL/d(input) and dL/d(each weight).
They are the chain rule of the course notes, delta^l = sigma'(x^l) (.) (W^(l+1))^T delta^(l+1),
grad_b C = delta^l, grad_W C = delta^l (a^(l-1))^T, written for each layer kind:

- conv2d: dK[a,b,c,f] = sum_{n,i,j} X_pad[n, i*S_h + a*D_h, j*S_w + b*D_w, c] * G[n,i,j,f]
  (the padded input correlated with the upstream gradient: engine.ops.conv.conv2d itself, with the
  roles of stride and dilation swapped), db[f] = sum_{n,i,j} G[n,i,j,f], and
  dX_pad = the upstream gradient (zeros inserted between its cells for a stride) convolved with
  the flipped kernel, i.e. conv2d with K[::-1, ::-1] and 'full' padding; then the padding is cut.
- max pooling: the whole upstream value goes to the window's winner (the first maximum in
  row-major order, as TensorFlow's MaxPoolGrad routes ties); overlapping windows add up.
- average pooling: each window's upstream value is shared equally by the real cells of the
  window (1 / their count; padding cells get nothing, as they were not counted).
- global pools: average spreads g / (H*W); max splits g equally among the tied maxima (the
  gradient of tf.reduce_max, which Keras' GlobalMaxPooling2D uses).
- dense: dX = G W^T, dW = X^T G, db = sum_n G; flatten: a reshape.
- activations: g * f'(x) (ReLU: 1 for x > 0, 0 otherwise, as TensorFlow).
- softmax: dz = p (.) (g - sum_j g_j p_j), the Jacobian dp_i/dz_j = p_i (delta_ij - p_j), which is
  p_i (1 - p_i) on the diagonal and -p_i p_j off it; with cross-entropy it collapses to p - y.
- BatchNorm in training mode: the notes' gradients of x_hat, sigma^2, mu, x, gamma and beta.
- dropout: the same mask, g * keep / (1 - rate).

The `*_trace` functions explain one gradient cell with its numbers. A whole network's
backpropagation, the gradient check and the learning steps are in engine.lessons.backprop.
"""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from engine import checks
from engine.errors import as_float_array, EngineError, require_finite
from engine.ops import activations, batchnorm, conv, pooling, windows
from engine.shapes.output_size import AxisOutput, conv_output_hw, require_ok


def _finite(name: str, value: object, ndim: int | None = None) -> np.ndarray:
    arr = as_float_array(name, value, ndim)
    require_finite(name, arr)
    return arr


def _upstream(grad_out: object, shape: tuple[int, ...]) -> np.ndarray:
    """grad_out as a finite float array of exactly `shape` (the forward output's)."""
    g = _finite("grad_out", grad_out)
    if g.shape != tuple(shape):
        raise EngineError("bad_shape", name="grad_out", expected=str(tuple(shape)), got=str(g.shape))
    return g


def _dtype(*arrays: np.ndarray) -> np.dtype:
    return np.result_type(*arrays)


# ------------------------------------------------------------------ convolution


@dataclass(frozen=True)
class ConvGrads:
    """Gradients of a conv2d: input (N,H,W,C_in), kernel (KH,KW,C_in,C_out), bias (C_out,)."""

    input: np.ndarray
    kernel: np.ndarray
    bias: np.ndarray


def _conv_axes(x: np.ndarray, kernel: np.ndarray, strides, padding, dilation) -> tuple[AxisOutput, AxisOutput]:
    axes = conv_output_hw(x.shape[1:3], kernel.shape[:2], strides, padding, dilation)
    require_ok(axes)
    return axes


def conv2d_backward(x: object, kernel: object, grad_out: object, strides: object = 1,
                    padding: object = "valid", dilation: object = 1) -> ConvGrads:
    """Gradients of engine.ops.conv.conv2d(x, kernel, bias, strides, padding, dilation).

    x (N,H,W,C_in), kernel (KH,KW,C_in,C_out), grad_out (N,OH,OW,C_out) = dL/d(output)
    -> ConvGrads(input (N,H,W,C_in), kernel (KH,KW,C_in,C_out), bias (C_out,)).
    Every stride, padding and dilation conv2d takes. Both gradients are themselves computed by
    conv2d (see the module docstring). Raises conv2d's errors and 'bad_shape' for grad_out.
    """
    x, kernel, _ = conv.validate(x, kernel, None)
    ah, aw = _conv_axes(x, kernel, strides, padding, dilation)
    n, h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    g = _upstream(grad_out, (n, ah.output, aw.output, f))
    dt = _dtype(x, g)
    x, kernel, g = x.astype(dt), kernel.astype(dt), g.astype(dt)
    xp, ((pt, _), (pl, _)) = conv.pad_input(x, padding, (kh, kw), strides, dilation)
    # dK: channels act as the batch, the upstream gradient as a (OH, OW, N, F) kernel dilated by
    # the stride and moved by the dilation: out[c, a, b, f] = sum xp[n, a*D + i*S, b*D + j*S, c] g[n,i,j,f]
    dk = conv.conv2d(xp.transpose(3, 1, 2, 0), g.transpose(1, 2, 0, 3), None,
                     strides=(ah.dilation, aw.dilation), padding="valid",
                     dilation=(ah.stride, aw.stride))[:, :kh, :kw, :]
    # dX: the upstream gradient with S-1 zeros between cells, fully padded by K_eff - 1 (and the
    # rows/cols no window reached), correlated with the flipped kernel (C_out and C_in swapped)
    spread = np.zeros((n, (ah.output - 1) * ah.stride + 1, (aw.output - 1) * aw.stride + 1, f), dt)
    spread[:, ::ah.stride, ::aw.stride] = g
    eh, ew = ah.effective_kernel - 1, aw.effective_kernel - 1
    flipped = np.ascontiguousarray(kernel[::-1, ::-1].transpose(0, 1, 3, 2))
    dxp = conv.conv2d(spread, flipped, None, 1, ((eh, eh + ah.unused), (ew, ew + aw.unused)),
                      (ah.dilation, aw.dilation))
    return ConvGrads(input=dxp[:, pt:pt + h, pl:pl + w], kernel=dk.transpose(1, 2, 0, 3),
                     bias=g.sum(axis=(0, 1, 2)))


@dataclass(frozen=True)
class KernelGradTrace:
    """dL/dK[a, b, channel, filter] of one image, written out: one term per output position.

    in_rows (OH,), in_cols (OW,): the input cell under tap (a, b) for each output row / column
    (original coordinates; outside 0..H-1 / 0..W-1 means padding); inputs (OH,OW) those input
    values (0 on padding); upstream (OH,OW) dL/d(output)[..., filter]; products = inputs *
    upstream; total = their sum = the kernel gradient. bias_total: sum of upstream = dL/db[filter].
    """

    tap: tuple[int, int, int, int]
    in_rows: np.ndarray
    in_cols: np.ndarray
    is_padding: np.ndarray
    inputs: np.ndarray
    upstream: np.ndarray
    products: np.ndarray
    total: float
    bias_total: float


def kernel_grad_trace(image: object, kernel_shape: tuple[int, int, int, int], grad_out: object,
                      strides: object = 1, padding: object = "valid", dilation: object = 1,
                      a: int = 0, b: int = 0, channel: int = 0, filter: int = 0) -> KernelGradTrace:
    """Trace dL/dK[a, b, channel, filter] for one image (H,W,C_in) and its grad_out (OH,OW,C_out).

    kernel_shape (KH,KW,C_in,C_out). total equals conv2d_backward(...).kernel[a, b, channel, filter].
    Raises 'position_out_of_range' / 'channel_out_of_range' for a tap outside the kernel.
    """
    img = _finite("image", image, ndim=3)
    kh, kw, c_in, c_out = (int(v) for v in kernel_shape)
    if img.shape[2] != c_in:
        raise EngineError("channel_mismatch", input_channels=int(img.shape[2]), kernel_channels=c_in)
    ah, aw = conv_output_hw(img.shape[:2], (kh, kw), strides, padding, dilation)
    require_ok((ah, aw))
    g = _upstream(grad_out, (ah.output, aw.output, c_out))
    checks.position(a, b, kh, kw)
    check_channel(channel, c_in)
    check_channel(filter, c_out)
    rows = np.arange(ah.output) * ah.stride + a * ah.dilation - ah.pad_before
    cols = np.arange(aw.output) * aw.stride + b * aw.dilation - aw.pad_before
    is_pad = ~(((rows >= 0) & (rows < img.shape[0]))[:, None] & ((cols >= 0) & (cols < img.shape[1]))[None, :])
    values = img[np.clip(rows, 0, img.shape[0] - 1)[:, None], np.clip(cols, 0, img.shape[1] - 1)[None, :], channel]
    inputs = np.where(is_pad, 0.0, values)
    upstream = g[..., filter]
    products = inputs * upstream
    return KernelGradTrace(tap=(int(a), int(b), int(channel), int(filter)), in_rows=rows, in_cols=cols,
                           is_padding=is_pad, inputs=inputs, upstream=upstream, products=products,
                           total=float(products.sum()), bias_total=float(upstream.sum()))


def check_channel(channel: object, channels: int) -> None:
    if not (checks.is_int(channel) and 0 <= channel < channels):
        raise EngineError("channel_out_of_range", channel=channel, channels=int(channels))


@dataclass(frozen=True)
class InputGradTrace:
    """dL/dX[row, col, channel] of a conv, written out: every (output cell, weight) it reached.

    out_rows, out_cols, filters, taps_a, taps_b (T,): the output cell (out_row, out_col, filter)
    whose window read the input cell through kernel tap (a, b); weights (T,) K[a, b, channel,
    filter]; upstream (T,) dL/d(output) there; products = weights * upstream; total = their sum.
    """

    cell: tuple[int, int, int]
    out_rows: np.ndarray
    out_cols: np.ndarray
    filters: np.ndarray
    taps_a: np.ndarray
    taps_b: np.ndarray
    weights: np.ndarray
    upstream: np.ndarray
    products: np.ndarray
    total: float


def input_grad_trace(input_hw: tuple[int, int], kernel: object, grad_out: object, strides: object = 1,
                     padding: object = "valid", dilation: object = 1, row: int = 0, col: int = 0,
                     channel: int = 0) -> InputGradTrace:
    """Trace dL/dX[row, col, channel] for one image of size input_hw (H, W).

    kernel (KH,KW,C_in,C_out), grad_out (OH,OW,C_out). Output cell (i, j) reads padded input
    row i*S + a*D through tap a, so the cell (row + pad_top) is reached by every (i, a) with
    i*S + a*D = row + pad_top, 0 <= i < OH (and likewise for columns), for every filter.
    total equals conv2d_backward(...).input[0, row, col, channel].
    """
    k = _finite("kernel", kernel, ndim=4)
    kh, kw, c_in, c_out = k.shape
    ah, aw = conv_output_hw(tuple(int(v) for v in input_hw), (kh, kw), strides, padding, dilation)
    require_ok((ah, aw))
    g = _upstream(grad_out, (ah.output, aw.output, c_out))
    checks.position(row, col, ah.input, aw.input)
    check_channel(channel, c_in)

    def reached(axis: AxisOutput, pos: int) -> tuple[np.ndarray, np.ndarray]:
        taps = np.arange(axis.kernel)
        start = pos + axis.pad_before - taps * axis.dilation
        ok = (start >= 0) & (start % axis.stride == 0) & (start // axis.stride < axis.output)
        return start[ok] // axis.stride, taps[ok]

    out_r, tap_a = reached(ah, int(row))
    out_c, tap_b = reached(aw, int(col))
    # every combination (row hit, column hit, filter), in that order
    ri, ci, fi = (m.ravel() for m in np.meshgrid(np.arange(out_r.size), np.arange(out_c.size),
                                                   np.arange(c_out), indexing="ij"))
    weights = k[tap_a[ri], tap_b[ci], channel, fi]
    upstream = g[out_r[ri], out_c[ci], fi]
    products = weights * upstream
    return InputGradTrace(cell=(int(row), int(col), int(channel)), out_rows=out_r[ri], out_cols=out_c[ci],
                          filters=fi, taps_a=tap_a[ri], taps_b=tap_b[ci], weights=weights, upstream=upstream,
                          products=products, total=float(products.sum()))


# ------------------------------------------------------------------ pooling


def pool2d_backward(x: object, grad_out: object, pool_size: object = 2, strides: object = None,
                    padding: object = "valid", mode: str = "max") -> np.ndarray:
    """dL/dx of engine.ops.pooling.pool2d(x, pool_size, strides, padding, mode).

    x (N,H,W,C), grad_out (N,OH,OW,C) -> (N,H,W,C). max: each window's upstream value goes to its
    first maximum in row-major order (TensorFlow's routing of ties); avg: it is shared by the
    window's real cells, 1/count each. Overlapping windows add. Raises pool2d's errors.
    """
    mode = pooling.check_mode(mode)
    x = _finite("x", x, ndim=4)
    ah, aw = pooling.pool_output_hw(x.shape[1:3], pool_size, strides, padding)
    require_ok((ah, aw))
    g = _upstream(grad_out, (x.shape[0], ah.output, aw.output, x.shape[3]))
    dt = _dtype(x, g)
    xp = windows.pad_spatial(x.astype(dt), windows.axis_pads(ah, aw), -np.inf if mode == "max" else 0.0)
    dxp = np.zeros_like(xp)
    offsets = list(pooling.window_offsets(ah, aw))
    if mode == "max":
        best, winner = None, np.zeros(g.shape, dtype=np.int64)
        for k, (_, _, rows, cols) in enumerate(offsets):
            view = xp[:, rows, cols]
            if best is None:
                best = view.copy()
                continue
            better = view > best  # strictly: a tie keeps the earlier offset
            best = np.where(better, view, best)
            winner[better] = k
        for k, (_, _, rows, cols) in enumerate(offsets):
            dxp[:, rows, cols] += np.where(winner == k, g, 0)
    else:
        counts = pooling.real_counts(ah)[:, None] * pooling.real_counts(aw)[None, :]
        share = (g / counts[None, :, :, None]).astype(dt)
        for _, _, rows, cols in offsets:
            dxp[:, rows, cols] += share
    return dxp[:, ah.pad_before:ah.pad_before + ah.input, aw.pad_before:aw.pad_before + aw.input]


def global_pool_backward(x: object, grad_out: object, mode: str = "avg") -> np.ndarray:
    """dL/dx of engine.ops.pooling.global_pool: x (N,H,W,C), grad_out (N,C) -> (N,H,W,C).

    avg: g / (H*W) everywhere; max: g split equally among the cells equal to the maximum.
    """
    mode = pooling.check_mode(mode)
    x = _finite("x", x, ndim=4)
    g = _upstream(grad_out, (x.shape[0], x.shape[3]))
    dt = _dtype(x, g)
    if mode == "avg":
        return np.broadcast_to(g[:, None, None, :] / dt.type(x.shape[1] * x.shape[2]), x.shape).astype(dt)
    ties = (x == x.max(axis=(1, 2), keepdims=True)).astype(dt)
    return ties / ties.sum(axis=(1, 2), keepdims=True) * g[:, None, None, :]


@dataclass(frozen=True)
class PoolGradTrace:
    """dL/dx[row, col, channel] of a pooling layer: the windows that read the cell.

    out_rows, out_cols (T,) those windows' output cells; upstream (T,) dL/d(output) there; shares
    (T,) the part of it the cell gets (max: 1 for the window's winner, 0 otherwise; avg:
    1/count); winners (T,) bool (max only; all True for avg); products = shares * upstream;
    total = their sum.
    """

    cell: tuple[int, int, int]
    mode: str
    out_rows: np.ndarray
    out_cols: np.ndarray
    upstream: np.ndarray
    shares: np.ndarray
    winners: np.ndarray
    products: np.ndarray
    total: float


def pool_grad_trace(image: object, grad_out: object, pool_size: object = 2, strides: object = None,
                    padding: object = "valid", mode: str = "max", row: int = 0, col: int = 0,
                    channel: int = 0) -> PoolGradTrace:
    """Trace dL/dx[row, col, channel] of pool2d for one image (H,W,C) and grad_out (OH,OW,C).

    Uses engine.ops.pooling.pool_trace for each window reaching the cell (its winner, its count).
    total equals pool2d_backward(...)[0, row, col, channel].
    """
    mode = pooling.check_mode(mode)
    img = _finite("image", image, ndim=3)
    ah, aw = pooling.pool_output_hw(img.shape[:2], pool_size, strides, padding)
    require_ok((ah, aw))
    g = _upstream(grad_out, (ah.output, aw.output, img.shape[2]))
    checks.position(row, col, ah.input, aw.input)
    check_channel(channel, img.shape[2])

    def reached(axis: AxisOutput, pos: int) -> list[int]:
        return [i for i in range(axis.output) if 0 <= pos + axis.pad_before - i * axis.stride < axis.kernel]

    hits = [(i, j) for i in reached(ah, int(row)) for j in reached(aw, int(col))]
    shares, winners = [], []
    for i, j in hits:
        tr = pooling.pool_trace(img, pool_size, strides, padding, mode, i, j, int(channel))
        if mode == "max":
            won = (int(tr.in_rows[tr.winner[0]]), int(tr.in_cols[tr.winner[1]])) == (int(row), int(col))
            shares.append(1.0 if won else 0.0)
            winners.append(won)
        else:
            shares.append(1.0 / tr.count)
            winners.append(True)
    out_rows = np.array([i for i, _ in hits], dtype=np.int64)
    out_cols = np.array([j for _, j in hits], dtype=np.int64)
    upstream = g[out_rows, out_cols, channel] if hits else np.zeros(0)
    shares_a = np.array(shares, dtype=np.float64)
    products = shares_a * upstream
    return PoolGradTrace(cell=(int(row), int(col), int(channel)), mode=mode, out_rows=out_rows,
                         out_cols=out_cols, upstream=upstream, shares=shares_a,
                         winners=np.array(winners, dtype=bool), products=products, total=float(products.sum()))


# ------------------------------------------------------------------ dense, flatten, activations


@dataclass(frozen=True)
class DenseGrads:
    """Gradients of a dense layer: input (N,D), weights (D,U), bias (U,)."""

    input: np.ndarray
    weights: np.ndarray
    bias: np.ndarray


def dense_backward(x: object, weights: object, grad_out: object) -> DenseGrads:
    """x (N,D), weights (D,U), grad_out (N,U) = delta -> dX = delta W^T, dW = X^T delta (the notes'
    delta (a^(l-1))^T, per sample summed over the batch), db = sum_n delta."""
    x = _finite("x", x, ndim=2)
    w = _finite("weights", weights, ndim=2)
    if w.shape[0] != x.shape[1]:
        raise EngineError("bad_shape", name="weights", expected=f"({x.shape[1]}, units)", got=str(w.shape))
    g = _upstream(grad_out, (x.shape[0], w.shape[1]))
    return DenseGrads(input=g @ w.T, weights=x.T @ g, bias=g.sum(axis=0))


def flatten_backward(grad_out: object, input_shape: tuple[int, ...]) -> np.ndarray:
    """grad_out (N, d1*d2*...) back to input_shape (N, d1, d2, ...): Flatten only reorders cells."""
    g = _finite("grad_out", grad_out, ndim=2)
    shape = tuple(int(v) for v in input_shape)
    if g.shape[0] != shape[0] or g.shape[1] != int(np.prod(shape[1:])):
        raise EngineError("bad_shape", name="grad_out", expected=f"({shape[0]}, {int(np.prod(shape[1:]))})",
                          got=str(g.shape))
    return g.reshape(shape)


def activation_derivative(name: str | None, x: object) -> np.ndarray:
    """f'(x) element-wise for an activation of engine.ops.activations (any shape -> same shape).

    relu: 1 where x > 0 else 0; leaky_relu: 1 where x > 0 else 0.2; sigmoid: s(1 - s);
    tanh: 1 - tanh^2; elu: 1 where x > 0 else exp(x); linear / None: 1. TensorFlow's values at 0.
    """
    arr = _finite("x", x)
    one, zero = arr.dtype.type(1), arr.dtype.type(0)
    if name in (None, "linear"):
        return np.ones_like(arr)
    if name == "relu":
        return np.where(arr > 0, one, zero)
    if name == "leaky_relu":
        return np.where(arr > 0, one, arr.dtype.type(0.2))
    if name == "sigmoid":
        s = activations.sigmoid(arr)
        return s * (one - s)
    if name == "tanh":
        return one - np.square(np.tanh(arr))
    if name == "elu":
        return np.where(arr > 0, one, np.exp(np.minimum(arr, zero)))
    raise EngineError("bad_mode", mode=str(name))


def activation_backward(name: str | None, x: object, grad_out: object) -> np.ndarray:
    """g (.) f'(x): the notes' sigma'(x^l) (.) ... for an element-wise activation. Same shape as x."""
    d = activation_derivative(name, x)
    return _upstream(grad_out, d.shape) * d


def softmax_jacobian(probs: object) -> np.ndarray:
    """dp_i/dz_j of a softmax output p (K,) -> (K, K): p_i (1 - p_i) on the diagonal, -p_i p_j off it."""
    p = _finite("probs", probs, ndim=1)
    return np.diag(p) - np.outer(p, p)


def softmax_backward(probs: object, grad_out: object) -> np.ndarray:
    """dL/dz from dL/dp for p = softmax(z) on the last axis: p (.) (g - sum_j g_j p_j). Same shape."""
    p = _finite("probs", probs)
    g = _upstream(grad_out, p.shape)
    return p * (g - np.sum(g * p, axis=-1, keepdims=True))


def softmax_cross_entropy_backward(logits: object, labels: object) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) and its gradient: logits (N,K), labels (N,) integers
    -> (loss, dL/dz (N,K) = (p - y) / N). The loss is computed from the logits (log-softmax)."""
    from engine.ops import losses  # noqa: PLC0415 (losses imports activations only; kept local for clarity)

    z = _finite("logits", logits, ndim=2)
    y = losses.one_hot(labels, z.shape[1])
    if y.shape[0] != z.shape[0]:
        raise EngineError("bad_shape", name="labels", expected=f"({z.shape[0]},)", got=f"({y.shape[0]},)")
    p = activations.softmax(z)
    loss = float(-np.mean(np.sum(y * activations.log_softmax(z), axis=-1)))
    return loss, (p - y) / z.shape[0]


def dropout_backward(grad_out: object, keep: object, rate: float) -> np.ndarray:
    """dL/dx of inverted dropout with the forward pass's keep mask (same shape): g * keep / (1 - rate)."""
    from engine.ops import dropout  # noqa: PLC0415

    p = dropout.check_rate(rate)
    mask = np.asarray(keep, dtype=bool)
    g = _upstream(grad_out, mask.shape)
    return np.where(mask, g / g.dtype.type(1.0 - p), g.dtype.type(0))


# ------------------------------------------------------------------ batch normalization (training)


@dataclass(frozen=True)
class BatchNormGrads:
    """The notes' BatchNorm gradients (training mode), per channel c over its m values:

    x_hat (like x) dL/dx_hat = dL/dy * gamma; variance (C,) dL/dsigma^2 =
    sum dL/dx_hat (x - mu) * -1/2 (sigma^2 + eps)^(-3/2); mean (C,) dL/dmu =
    sum dL/dx_hat * -1/sqrt(sigma^2 + eps) + dL/dsigma^2 * sum(-2 (x - mu)) / m; input (like x)
    dL/dx = dL/dx_hat / sqrt(sigma^2 + eps) + dL/dsigma^2 * 2 (x - mu) / m + dL/dmu / m;
    gamma (C,) = sum dL/dy * x_hat; beta (C,) = sum dL/dy. m: values per channel; batch_mean,
    batch_variance (C,) and normalized (x_hat, like x) are the forward pass's.
    """

    input: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    x_hat: np.ndarray
    variance: np.ndarray
    mean: np.ndarray
    m: int
    batch_mean: np.ndarray
    batch_variance: np.ndarray
    normalized: np.ndarray


def batchnorm_backward(x: object, gamma: object, grad_out: object, epsilon: float = 1e-3) -> BatchNormGrads:
    """Gradients of engine.ops.batchnorm.batchnorm(x, state, training=True) w.r.t. x, gamma and beta.

    x (N,H,W,C) or (N,C), gamma (C,), grad_out like x. The statistics are the batch's (the
    forward function's own, through batchnorm.batchnorm), so the gradient flows through them.
    """
    arr = _finite("x", x)
    gam = _finite("gamma", gamma, ndim=1)
    channels = arr.shape[-1]
    state = batchnorm.BatchNormState(gamma=gam, beta=np.zeros(channels), moving_mean=np.zeros(channels),
                                     moving_variance=np.ones(channels))
    fwd = batchnorm.batchnorm(arr, state, training=True, epsilon=epsilon)
    g = _upstream(grad_out, arr.shape)
    axes = tuple(range(arr.ndim - 1))
    m = int(np.prod(arr.shape[:-1]))
    centred = arr - fwd.mean
    var_eps = fwd.variance + epsilon
    d_xhat = g * gam
    d_var = np.sum(d_xhat * centred, axis=axes) * -0.5 * var_eps ** -1.5
    d_mean = np.sum(-d_xhat / np.sqrt(var_eps), axis=axes) + d_var * np.sum(-2.0 * centred, axis=axes) / m
    d_x = d_xhat / np.sqrt(var_eps) + d_var * 2.0 * centred / m + d_mean / m
    return BatchNormGrads(input=d_x, gamma=np.sum(g * fwd.x_hat, axis=axes), beta=np.sum(g, axis=axes),
                          x_hat=d_xhat, variance=d_var, mean=d_mean, m=m, batch_mean=fwd.mean,
                          batch_variance=fwd.variance, normalized=fwd.x_hat)
