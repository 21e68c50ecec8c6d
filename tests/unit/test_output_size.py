"""Output-size formula: internal consistency, agreement with Keras' shapes, worked examples, errors."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from engine.errors import EngineError, ERROR_KEYS  # noqa: E402
from engine.shapes.output_size import (  # noqa: E402
    axis_output, conv_output_hw, require_ok, resolve_padding, same_padding)
from engine.ops.pooling import pool_output_hw  # noqa: E402

SETTINGS = settings(max_examples=80, deadline=None)

paddings = st.one_of(
    st.sampled_from(["valid", "same"]),
    st.integers(0, 3),
    st.tuples(st.integers(0, 3), st.integers(0, 3)),
)


def raises_key(key: str, func, *args, **kwargs) -> EngineError:
    """Assert func raises EngineError(key) whose params are exactly the key's names."""
    with pytest.raises(EngineError) as info:
        func(*args, **kwargs)
    assert info.value.key == key
    assert set(info.value.params) == set(ERROR_KEYS[key])
    return info.value


@SETTINGS
@given(i=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), d=st.integers(1, 3),
       p=paddings)
def test_fields_are_consistent_with_the_formula(i, k, s, d, p):
    a = axis_output(i, k, s, p, d)
    assert a.effective_kernel == d * (k - 1) + 1
    assert a.padded_input == i + a.pad_before + a.pad_after
    assert a.numerator == a.padded_input - a.effective_kernel
    if a.ok:
        assert a.output == a.numerator // s + 1 >= 1
        assert a.unused == a.numerator % s
        # last window start + effective kernel + unused rows == padded input
        assert (a.output - 1) * s + a.effective_kernel + a.unused == a.padded_input
        assert a.reason is None
    else:
        assert a.numerator < 0 and a.output == 0 and a.unused == 0
        assert a.reason == "kernel_too_large"
    if p == "same":
        assert a.ok and a.output == -(-i // s)
        assert a.pad_after - a.pad_before in (0, 1)


@SETTINGS
@given(i=st.integers(1, 40), eff=st.integers(1, 15), s=st.integers(1, 4))
def test_same_padding_is_tensorflows_split(i, eff, s):
    before, after = same_padding(i, eff, s)
    total = max((-(-i // s) - 1) * s + eff - i, 0)
    assert (before, after) == (total // 2, total - total // 2)


def _keras_conv_shape(hw, k, s, d, padding):
    """Keras' output (OH, OW) of Conv2D, explicit padding via ZeroPadding2D; None if it raises."""
    shape = (1, hw[0], hw[1], 1)
    try:
        if not isinstance(padding, str):
            shape = keras.layers.ZeroPadding2D(padding).compute_output_shape(shape)
            padding = "valid"
        layer = keras.layers.Conv2D(1, k, strides=s, padding=padding, dilation_rate=d)
        out = layer.compute_output_shape(shape)
    except ValueError:
        return None
    return out[1], out[2]


keras_paddings = st.one_of(
    st.sampled_from(["valid", "same"]),
    st.integers(0, 2),
    st.tuples(st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)),
              st.tuples(st.integers(0, 2), st.integers(0, 2))),
)


@SETTINGS
@given(h=st.integers(1, 12), w=st.integers(1, 12), k=st.tuples(st.integers(1, 6), st.integers(1, 6)),
       s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       d=st.tuples(st.integers(1, 3), st.integers(1, 3)), padding=keras_paddings,
       strided=st.booleans())
def test_conv_output_matches_keras(h, w, k, s, d, padding, strided):
    # Keras forbids stride > 1 together with dilation > 1: keep one of them at 1
    s, d = (s, (1, 1)) if strided else ((1, 1), d)
    ah, aw = conv_output_hw((h, w), k, s, padding, d)
    ref = _keras_conv_shape((h, w), k, s, d, padding)
    if ref is None:
        assert not (ah.ok and aw.ok)
        raises_key("kernel_too_large", require_ok, (ah, aw))
    else:
        assert ah.ok and aw.ok
        assert (ah.output, aw.output) == ref
        require_ok((ah, aw))


@SETTINGS
@given(h=st.integers(1, 12), w=st.integers(1, 12),
       pool=st.one_of(st.integers(1, 5), st.tuples(st.integers(1, 5), st.integers(1, 5))),
       strides=st.one_of(st.none(), st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))),
       padding=st.sampled_from(["valid", "same"]))
def test_pool_output_matches_keras(h, w, pool, strides, padding):
    ah, aw = pool_output_hw((h, w), pool, strides, padding)
    layer = keras.layers.MaxPooling2D(pool, strides=strides, padding=padding)
    try:
        ref = layer.compute_output_shape((1, h, w, 1))[1:3]
    except ValueError:
        ref = None
    if ref is None:
        assert not (ah.ok and aw.ok)
        raises_key("pool_too_large", require_ok, (ah, aw))
    else:
        assert (ah.output, aw.output) == tuple(ref)


def test_worked_examples():
    # 7x7 input, 3x3 filter: 5x5 without padding, 7x7 with one pixel of padding
    assert [a.output for a in conv_output_hw((7, 7), 3)] == [5, 5]
    assert [a.output for a in conv_output_hw((7, 7), 3, padding=1)] == [7, 7]
    assert [a.output for a in conv_output_hw((7, 7), 3, padding="same")] == [7, 7]
    # stride 2 -> 3x3; stride 3 -> 2 windows and one unused row
    assert axis_output(7, 3, 2).output == 3
    a = axis_output(7, 3, 3)
    assert (a.numerator, a.output, a.unused) == (4, 2, 1)
    # dilation 2 turns a 3-tap kernel into a 5-pixel window
    a = axis_output(7, 3, 1, "valid", 2)
    assert (a.effective_kernel, a.output) == (5, 3)
    # explicit (before, after)
    a = axis_output(5, 3, 2, (2, 1))
    assert (a.pad_before, a.pad_after, a.padded_input, a.output) == (2, 1, 8, 3)
    # 'same' with an even kernel puts the extra pixel after
    a = axis_output(4, 2, 1, "same")
    assert (a.pad_before, a.pad_after, a.output) == (0, 1, 4)


def test_impossible_combination_is_reported_not_raised():
    a = axis_output(3, 5)
    assert not a.ok and a.reason == "kernel_too_large" and a.output == 0
    assert (a.effective_kernel, a.padded_input, a.numerator) == (5, 3, -2)
    err = raises_key("kernel_too_large", require_ok, conv_output_hw((8, 3), 5))
    assert err.params == {"effective_kernel": 5, "padded_input": 3}
    err = raises_key("pool_too_large", require_ok, pool_output_hw((4, 4), 5))
    assert err.params == {"pool": 5, "padded_input": 4}


def test_resolve_padding_forms():
    assert resolve_padding("valid") == ("valid", "valid")
    assert resolve_padding("SAME") == ("same", "same")
    assert resolve_padding(2) == ((2, 2), (2, 2))
    assert resolve_padding((1, 3)) == ((1, 1), (3, 3))
    assert resolve_padding(((0, 1), (2, 3))) == ((0, 1), (2, 3))
    ah, aw = conv_output_hw((5, 6), 3, padding=((0, 1), (2, 3)))
    assert (ah.pad_before, ah.pad_after, aw.pad_before, aw.pad_after) == (0, 1, 2, 3)


def test_bad_arguments_raise_their_keys():
    raises_key("stride_lt_1", axis_output, 5, 3, 0)
    raises_key("stride_lt_1", conv_output_hw, (5, 5), 3, (1, 0))
    raises_key("dilation_lt_1", axis_output, 5, 3, 1, "valid", 0)
    raises_key("kernel_lt_1", axis_output, 5, 0)
    raises_key("kernel_lt_1", pool_output_hw, (5, 5), 0)
    raises_key("negative_padding", axis_output, 5, 3, 1, -1)
    raises_key("negative_padding", conv_output_hw, (5, 5), 3, 1, ((0, -1), (0, 0)))
    raises_key("bad_padding", axis_output, 5, 3, 1, "full")
    raises_key("bad_padding", conv_output_hw, (5, 5), 3, 1, 1.5)
    raises_key("bad_padding", conv_output_hw, (5, 5), 3, 1, (1, 2, 3))
    raises_key("bad_hyperparameter", axis_output, 5, 3, 1.5)
    raises_key("bad_hyperparameter", conv_output_hw, (5, 5), (3, 3, 3))
    raises_key("empty_input", axis_output, 0, 3)
    raises_key("bad_shape", conv_output_hw, (5,), 3)
