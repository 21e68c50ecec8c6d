"""conv2d / conv_trace checked against keras Conv2D and tf.nn.conv2d on generated cases."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from engine.ops import conv  # noqa: E402
from engine.ops.conv import conv2d, conv_trace, pad_input  # noqa: E402
from engine.shapes.layers import conv2d_macs  # noqa: E402
from tests.unit.checks import raises_key  # noqa: E402

SETTINGS = settings(max_examples=80, deadline=None)

# implementation choices of the engine: both layouts, tiny chunks (many chunk borders) and threads
impls = st.fixed_dictionaries({
    "path": st.sampled_from(["nhwc", "chw"]),
    "rows_per_chunk": st.sampled_from([None, 1, 2, 3]),
    "threads": st.sampled_from([1, 2]),
})


def close(got: np.ndarray, ref: np.ndarray) -> None:
    """float32 agreement: rtol 1e-5, atol scaled to the magnitude of the sums."""
    ref = np.asarray(ref)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(ref).max()))


@st.composite
def conv_cases(draw, strided_and_dilated=False):
    """Random sizes that fit: x, kernel, bias, strides, dilation (float32 data)."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    if not strided_and_dilated and draw(st.booleans()):
        s = (1, 1)  # Keras forbids stride > 1 with dilation > 1
    elif not strided_and_dilated:
        d = (1, 1)
    # input at least as large as the dilated kernel, so 'valid' fits too
    h = d[0] * (kh - 1) + 1 + draw(st.integers(0, 7))
    w = d[1] * (kw - 1) + 1 + draw(st.integers(0, 7))
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.sampled_from([1, 3, 16])), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, h, w, c_in)).astype(np.float32)
    kernel = rng.standard_normal((kh, kw, c_in, c_out)).astype(np.float32)
    bias = rng.standard_normal(c_out).astype(np.float32) if draw(st.booleans()) else None
    return x, kernel, bias, s, d


def dodge_onednn_bug(x, kernel, strides, dilation):
    """Inputs for the TensorFlow reference, avoiding a oneDNN bug of TF 2.21 on CPU.

    tf.nn.conv2d / Conv2D return wrong values (zeros, or garbage like 6e21) when C_in == 1,
    stride_h == 1, stride_w > 1, dilation_w == 1 and the output is one column wide (see
    test_tensorflow_onednn_corner_case). For C_in == 1 with those strides the reference gets
    one extra all-zero channel (zero input and zero weights): the same convolution.
    """
    (sh, sw), (_, dw) = strides, dilation
    if x.shape[3] == 1 and sh == 1 and sw > 1 and dw == 1:
        x = np.concatenate([x, np.zeros_like(x)], axis=3)
        kernel = np.concatenate([kernel, np.zeros_like(kernel)], axis=2)
    return x, kernel


def keras_conv(x, kernel, bias, strides, padding, dilation):
    """keras Conv2D with the given weights."""
    x, kernel = dodge_onednn_bug(x, kernel, strides, dilation)
    layer = keras.layers.Conv2D(kernel.shape[3], kernel.shape[:2], strides=strides, padding=padding,
                                dilation_rate=dilation, use_bias=bias is not None)
    layer.build((None,) + x.shape[1:])
    layer.set_weights([kernel] + ([bias] if bias is not None else []))
    return np.asarray(layer(x))


@SETTINGS
@given(case=conv_cases(), padding=st.sampled_from(["valid", "same"]), impl=impls)
def test_matches_keras_conv2d(case, padding, impl):
    x, kernel, bias, s, d = case
    got = conv._conv2d(x, kernel, bias, s, padding, d, **impl)
    assert got.dtype == np.float32
    close(got, keras_conv(x, kernel, bias, s, padding, d))


@SETTINGS
@given(case=conv_cases(), pads=st.tuples(*[st.integers(0, 3)] * 4), form=st.integers(0, 2),
       impl=impls)
def test_explicit_padding_matches_zeropadding_then_valid(case, pads, form, impl):
    x, kernel, bias, s, d = case
    t, b, left, r = pads
    # the three explicit forms of the spec, and the same amounts for ZeroPadding2D
    if form == 0:
        spec, zp = t, ((t, t), (t, t))
    elif form == 1:
        spec, zp = (t, left), ((t, t), (left, left))
    else:
        spec, zp = ((t, b), (left, r)), ((t, b), (left, r))
    padded = np.asarray(keras.layers.ZeroPadding2D(zp)(x))
    got = conv._conv2d(x, kernel, bias, s, spec, d, **impl)
    close(got, keras_conv(padded, kernel, bias, s, "valid", d))


@SETTINGS
@given(case=conv_cases(strided_and_dilated=True),
       padding=st.one_of(st.sampled_from(["valid", "same"]),
                         st.tuples(st.tuples(st.integers(0, 3), st.integers(0, 3)),
                                   st.tuples(st.integers(0, 3), st.integers(0, 3)))),
       impl=impls)
def test_strides_with_dilation_match_tf_nn_conv2d(case, padding, impl):
    x, kernel, bias, s, d = case
    tf_pad = padding.upper() if isinstance(padding, str) else [[0, 0], *map(list, padding), [0, 0]]
    ref = tf.nn.conv2d(*dodge_onednn_bug(x, kernel, s, d), strides=s, padding=tf_pad,
                       dilations=d).numpy()
    if bias is not None:
        ref = ref + bias
    close(conv._conv2d(x, kernel, bias, s, padding, d, **impl), ref)


def naive_conv(x, kernel, bias, s, pads, d):
    """Per-pixel reference in float64 (tests only): pads ((pt, pb), (pl, pr))."""
    xp = np.pad(x.astype(np.float64), ((0, 0), pads[0], pads[1], (0, 0)))
    kh, kw, _, c_out = kernel.shape
    oh = (xp.shape[1] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (xp.shape[2] - d[1] * (kw - 1) - 1) // s[1] + 1
    out = np.zeros((x.shape[0], oh, ow, c_out))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, i * s[0]:i * s[0] + d[0] * (kh - 1) + 1:d[0],
                     j * s[1]:j * s[1] + d[1] * (kw - 1) + 1:d[1]]
            out[:, i, j] = np.tensordot(win, kernel, axes=3)
    return out + (0 if bias is None else bias)


@settings(max_examples=60, deadline=None)
@given(case=conv_cases(strided_and_dilated=True), pads=st.tuples(*[st.integers(0, 2)] * 4),
       impl=impls)
def test_float64_and_integer_inputs_compute_in_float64(case, pads, impl):
    x, kernel, bias, s, d = case
    x64 = np.round(x * 10).astype(np.int64)  # integers: exact in float64
    k64 = kernel.astype(np.float64)
    pad = ((pads[0], pads[1]), (pads[2], pads[3]))
    got = conv._conv2d(x64, k64, bias, s, pad, d, **impl)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, naive_conv(x64, k64, bias, s, pad, d), rtol=1e-12, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(case=conv_cases(strided_and_dilated=True),
       padding=st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 2)))
def test_trace_equals_conv2d_at_every_position(case, padding):
    x, kernel, bias, s, d = case
    image = x[0]
    full = conv2d(image[None], kernel, bias, s, padding, d)[0]
    oh, ow, c_out = full.shape
    f = c_out - 1
    traces = [conv_trace(image, kernel, bias, s, padding, d, row=i, col=j, filter=f)
              for i in range(oh) for j in range(ow)]
    results = np.array([t.result for t in traces]).reshape(oh, ow)
    close(results, full[..., f])
    # the trace's own numbers are consistent with the padded input
    xp, ((pt, _), (pl, _)) = pad_input(image[None], padding, kernel.shape[:2], s, d)
    for t in traces[:: max(1, len(traces) // 5)]:
        rows, cols = t.in_rows + pt, t.in_cols + pl
        np.testing.assert_array_equal(t.window, xp[0][rows[:, None], cols[None, :]])
        np.testing.assert_array_equal(t.is_padding, ~((t.in_rows[:, None] >= 0)
                                      & (t.in_rows[:, None] < image.shape[0])
                                      & (t.in_cols[None, :] >= 0)
                                      & (t.in_cols[None, :] < image.shape[1])))
        np.testing.assert_array_equal(t.weights, kernel[..., f])
        np.testing.assert_array_equal(t.products, t.window * t.weights)
        assert t.result == pytest.approx(t.total + t.bias, rel=1e-6)


def test_tensorflow_onednn_corner_case():
    # a case TF 2.21 (oneDNN) gets wrong on this machine; the engine matches the plain sum
    x = np.array([0.12573022, -0.13210486, 0.64042264, 0.10490011], np.float32).reshape(2, 1, 2, 1)
    k = np.array([-0.5356694, 0.36159506], np.float32).reshape(1, 2, 1, 1)
    got = conv2d(x, k, strides=(1, 3), padding=1)
    np.testing.assert_allclose(got[:, :, 0, 0], [[0, 0.12573022 * 0.36159506, 0],
                                                 [0, 0.64042264 * 0.36159506, 0]], rtol=1e-6)
    ref = keras_conv(np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))), k, None, (1, 3), "valid", (1, 1))
    close(got, ref)


CURVE_FILTER = np.array([
    [0, 0, 0, 0, 0, 30, 0], [0, 0, 0, 0, 30, 0, 0], [0, 0, 0, 30, 0, 0, 0],
    [0, 0, 0, 30, 0, 0, 0], [0, 0, 0, 30, 0, 0, 0], [0, 0, 0, 30, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0]])
RECEPTIVE_FIELD = np.array([
    [0, 0, 0, 0, 0, 0, 30], [0, 0, 0, 0, 50, 50, 50], [0, 0, 0, 20, 50, 0, 0],
    [0, 0, 0, 50, 50, 0, 0], [0, 0, 0, 50, 50, 0, 0], [0, 0, 0, 50, 50, 0, 0],
    [0, 0, 0, 50, 50, 0, 0]])


def test_curve_detector_worked_example():
    x = RECEPTIVE_FIELD[None, :, :, None]
    k = CURVE_FILTER[:, :, None, None]
    assert conv2d(x, k).item() == 6600
    t = conv_trace(RECEPTIVE_FIELD[:, :, None], k)
    assert t.total == 6600 and t.result == 6600 and not t.is_padding.any()


def test_seven_by_seven_with_three_by_three():
    x = np.arange(49, dtype=np.float32).reshape(1, 7, 7, 1)
    k = np.ones((3, 3, 1, 1), np.float32)
    valid = conv2d(x, k)
    assert valid.shape == (1, 5, 5, 1)
    assert valid[0, 0, 0, 0] == x[0, :3, :3].sum()
    padded = conv2d(x, k, padding=1)
    assert padded.shape == (1, 7, 7, 1)
    assert padded[0, 0, 0, 0] == x[0, :2, :2].sum()  # corner: 5 of 9 taps on zero padding
    np.testing.assert_array_equal(padded, conv2d(x, k, padding="same"))
    t = conv_trace(x[0], k, padding=1, row=0, col=0)
    assert t.is_padding.sum() == 5 and list(t.in_rows) == [-1, 0, 1]


def test_benchmark_sized_cases_both_paths():
    # the shapes the benchmark times, with the default (cache-sized, threaded) chunking
    rng = np.random.default_rng(1)
    for shape, kshape, padding in [((1, 64, 256, 3), (3, 3, 3, 8), "same"),
                                   ((4, 28, 28, 32), (3, 3, 32, 64), "valid")]:
        x = rng.standard_normal(shape).astype(np.float32)
        k = rng.standard_normal(kshape).astype(np.float32)
        ref = tf.nn.conv2d(x, k, 1, padding.upper()).numpy()
        for path in ("nhwc", "chw"):
            close(conv._conv2d(x, k, None, 1, padding, 1, path=path), ref)
        close(conv2d(x, k, padding=padding), ref)


def test_pad_input_and_macs():
    x = np.ones((2, 4, 5, 3), np.float32)
    xp, pads = pad_input(x, "same", (4, 3), strides=1)
    assert pads == ((1, 2), (1, 1)) and xp.shape == (2, 7, 7, 3)
    assert xp[:, 1:5, 1:6].all() and xp.sum() == x.sum()
    xp, pads = pad_input(x, ((0, 1), (2, 0)), 3, value=-1.0)
    assert pads == ((0, 1), (2, 0)) and xp[0, 4, 0, 0] == -1.0
    assert pad_input(x, "valid", 3)[0] is x
    assert conv2d_macs((5, 5), (3, 3), 3, 8) == 5 * 5 * 3 * 3 * 3 * 8


def test_bad_inputs_raise_their_keys():
    x = np.ones((1, 5, 5, 2))
    k = np.ones((3, 3, 2, 4))
    raises_key("bad_shape", conv2d, x[0], k)
    raises_key("bad_shape", conv2d, x, k[0])
    raises_key("bad_shape", conv2d, x, k, np.ones(3))
    err = raises_key("channel_mismatch", conv2d, x, np.ones((3, 3, 3, 4)))
    assert err.params == {"input_channels": 2, "kernel_channels": 3}
    bad = x.copy()
    bad[0, 1, 1, 0] = np.nan
    assert raises_key("nonfinite", conv2d, bad, k).params == {"name": "x"}
    bad_k = k.copy()
    bad_k[0, 0, 0, 0] = np.inf
    assert raises_key("nonfinite", conv2d, x, bad_k).params == {"name": "kernel"}
    assert raises_key("nonfinite", conv2d, x, k, [0, 0, np.nan, 0]).params == {"name": "bias"}
    raises_key("not_numeric", conv2d, np.full((1, 5, 5, 2), "a"), k)
    raises_key("empty_input", conv2d, np.ones((0, 5, 5, 2)), k)
    raises_key("kernel_too_large", conv2d, np.ones((1, 2, 5, 2)), k)
    raises_key("stride_lt_1", conv2d, x, k, strides=0)
    raises_key("dilation_lt_1", conv2d, x, k, dilation=(1, 0))
    raises_key("bad_padding", conv2d, x, k, padding="full")
    raises_key("negative_padding", conv2d, x, k, padding=-1)
    raises_key("position_out_of_range", conv_trace, x[0], k, row=3)
    raises_key("position_out_of_range", conv_trace, x[0], k, col=-1)
    raises_key("channel_out_of_range", conv_trace, x[0], k, filter=4)
    raises_key("bad_shape", conv_trace, x, k)
