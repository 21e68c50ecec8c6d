"""pool2d / global_pool / pool_trace checked against Keras pooling layers on generated cases."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from engine.ops.pooling import global_pool, pool2d, pool_output_hw, pool_trace  # noqa: E402
from tests.unit.checks import raises_key  # noqa: E402

SETTINGS = settings(max_examples=80, deadline=None)
KERAS_LAYERS = {"max": keras.layers.MaxPooling2D, "avg": keras.layers.AveragePooling2D}


def close(got: np.ndarray, ref: np.ndarray) -> None:
    """float32 agreement: rtol 1e-5, atol scaled to the magnitude of the values."""
    ref = np.asarray(ref)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(ref).max()))


@st.composite
def pool_cases(draw):
    """Random float32 input (N,H,W,C), pool size and strides (None = pool size)."""
    pool = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    strides = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    h, w = pool[0] + draw(st.integers(0, 8)), pool[1] + draw(st.integers(0, 8))
    n, c = draw(st.integers(1, 3)), draw(st.sampled_from([1, 3, 16]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, h, w, c)).astype(np.float32)
    if draw(st.booleans()):
        x = np.round(x)  # many ties for max
    return x, pool, strides


@SETTINGS
@given(case=pool_cases(), padding=st.sampled_from(["valid", "same"]),
       mode=st.sampled_from(["max", "avg"]))
def test_matches_keras_pooling(case, padding, mode):
    x, pool, strides = case
    ref = KERAS_LAYERS[mode](pool, strides=strides, padding=padding)(x)
    got = pool2d(x, pool, strides, padding, mode)
    assert got.dtype == np.float32
    close(got, ref)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9),
       c=st.sampled_from([1, 3, 16]), seed=st.integers(0, 2**32 - 1))
def test_global_pooling_matches_keras(n, h, w, c, seed):
    x = np.random.default_rng(seed).standard_normal((n, h, w, c)).astype(np.float32)
    close(global_pool(x, "avg"), keras.layers.GlobalAveragePooling2D()(x))
    close(global_pool(x, "max"), keras.layers.GlobalMaxPooling2D()(x))
    assert global_pool(x).shape == (n, c)


def naive_pool(x, pool, strides, pads, mode):
    """Per-window float64 reference that skips padding (tests only)."""
    n, h, w, c = x.shape
    (pt, pb), (pl, pr) = pads
    oh = (h + pt + pb - pool[0]) // strides[0] + 1
    ow = (w + pl + pr - pool[1]) // strides[1] + 1
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * strides[0] - pt, j * strides[1] - pl
            win = x[:, max(r0, 0):r0 + pool[0], max(c0, 0):c0 + pool[1]].astype(np.float64)
            out[:, i, j] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
    return out


@settings(max_examples=40, deadline=None)
@given(case=pool_cases(), data=st.data(), mode=st.sampled_from(["max", "avg"]))
def test_explicit_padding_ignores_padding_pixels(case, data, mode):
    x, pool, strides = case
    strides = strides or pool
    pads = tuple(tuple(data.draw(st.integers(0, k - 1)) for _ in range(2)) for k in pool)
    x64 = x.astype(np.float64)
    got = pool2d(x64, pool, strides, pads, mode)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, naive_pool(x64, pool, strides, pads, mode), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(case=pool_cases(), padding=st.one_of(st.sampled_from(["valid", "same"]), st.just(1)),
       mode=st.sampled_from(["max", "avg"]))
def test_trace_equals_pool2d_at_every_position(case, padding, mode):
    x, pool, strides = case
    if padding == 1 and min(pool) < 2:
        padding = "same"  # explicit padding must be smaller than the window
    image = x[0]
    full = pool2d(image[None], pool, strides, padding, mode)[0]
    oh, ow, c = full.shape
    ch = c - 1
    traces = [pool_trace(image, pool, strides, padding, mode, row=i, col=j, channel=ch)
              for i in range(oh) for j in range(ow)]
    results = np.array([t.result for t in traces]).reshape(oh, ow)
    np.testing.assert_array_equal(results, full[..., ch])  # same summation order: exact
    for t in traces:
        assert np.isnan(t.window[t.is_padding]).all()
        assert not np.isnan(t.window[~t.is_padding]).any()
        real = t.window[~t.is_padding]
        if mode == "max":
            r, cc = t.winner
            assert not t.is_padding[r, cc] and t.window[r, cc] == t.result == real.max()
            # first maximum in row-major order
            flat = np.where(t.is_padding, -np.inf, t.window).ravel()
            assert r * t.window.shape[1] + cc == int(np.argmax(flat))
            assert t.total is None and t.count is None
        else:
            assert t.winner is None and t.count == real.size
            assert t.total == pytest.approx(real.sum(), rel=1e-6, abs=1e-6)


def test_course_max_pool_example():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])[None, :, :, None]
    np.testing.assert_array_equal(pool2d(x, 2, 2)[0, :, :, 0], [[6, 8], [3, 4]])
    t = pool_trace(x[0], 2, 2, row=0, col=1)
    assert t.result == 8 and t.winner == (1, 1)
    np.testing.assert_array_equal(t.in_rows, [0, 1])
    np.testing.assert_array_equal(t.in_cols, [2, 3])
    np.testing.assert_array_equal(pool2d(x, 2, 2, mode="avg")[0, :, :, 0], [[3.25, 5.25], [2, 2]])
    t = pool_trace(x[0], 2, 2, mode="avg", row=1, col=1)
    assert (t.total, t.count, t.result) == (8, 4, 2)


def test_same_padding_windows_count_only_real_pixels():
    x = np.ones((1, 5, 5, 1), np.float32)
    np.testing.assert_array_equal(pool2d(x, 3, 2, "same", "avg"), np.ones((1, 3, 3, 1)))
    neg = -np.ones((1, 2, 2, 1), np.float32)
    np.testing.assert_array_equal(pool2d(neg, 4, 1, "same", "max"), neg)  # not the 0 of padding
    t = pool_trace(neg[0], 4, 1, "same", "avg", row=0, col=0)
    assert t.count == 4 and t.is_padding.sum() == 12 and t.result == -1


def test_bad_inputs_raise_their_keys():
    x = np.ones((1, 4, 4, 2))
    raises_key("bad_mode", pool2d, x, mode="min")
    raises_key("bad_mode", global_pool, x, mode="sum")
    raises_key("bad_mode", pool_trace, x[0], mode="median")
    err = raises_key("pool_too_large", pool2d, x, 5)
    assert err.params == {"pool": 5, "padded_input": 4}
    raises_key("bad_padding", pool2d, x, 2, 2, 2)  # padding as large as the window
    raises_key("bad_padding", pool2d, x, 2, 2, "full")
    raises_key("bad_shape", pool2d, x[0])
    raises_key("bad_shape", global_pool, x[0])
    raises_key("bad_shape", pool_trace, x)
    bad = x.copy()
    bad[0, 0, 0, 0] = np.inf
    raises_key("nonfinite", pool2d, bad)
    raises_key("nonfinite", global_pool, bad)
    raises_key("nonfinite", pool_trace, bad[0])
    raises_key("kernel_lt_1", pool2d, x, 0)
    raises_key("stride_lt_1", pool2d, x, 2, 0)
    raises_key("position_out_of_range", pool_trace, x[0], row=2)
    raises_key("channel_out_of_range", pool_trace, x[0], channel=2)
    assert pool_output_hw((4, 4), 2)[0].output == 2
