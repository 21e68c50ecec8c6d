"""engine.ops.windows: padding, one window's cells and the rectangle a set of windows reads,
against np.pad and the traces of conv2d and pool2d."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from engine.ops import conv, pooling, windows
from engine.shapes.output_size import conv_output_hw


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 7), w=st.integers(1, 7), k=st.integers(1, 4), s=st.integers(1, 3),
       d=st.integers(1, 2), padding=st.sampled_from(["valid", "same", 1, ((0, 2), (1, 0))]))
def test_padding_matches_numpy_and_every_window_reads_inside_the_padded_input(h, w, k, s, d, padding):
    ah, aw = conv_output_hw((h, w), k, s, padding, d)
    pads = windows.axis_pads(ah, aw)
    x = np.arange(2 * h * w * 3, dtype=np.float64).reshape(2, h, w, 3)
    np.testing.assert_array_equal(windows.pad_spatial(x, pads, -1.0),
                                  np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=-1.0))
    mask = windows.padding_mask((h, w), pads)
    assert mask.shape == (ah.padded_input, aw.padded_input) and np.count_nonzero(~mask) == h * w
    if not (ah.ok and aw.ok):
        return
    padded = windows.pad_spatial(x, pads, np.nan)[0]
    for row in range(ah.output):
        for col in range(aw.output):
            rows, cols, is_pad, values = windows.window_at(x[0], ah, aw, row, col, fill=np.nan)
            np.testing.assert_array_equal(is_pad, mask[rows[:, None] + pads[0][0], cols[None, :] + pads[1][0]])
            np.testing.assert_array_equal(values, padded[rows[:, None] + pads[0][0], cols[None, :] + pads[1][0]])


def test_reach_is_the_rectangle_of_the_traced_windows():
    x = np.arange(36, dtype=np.float64).reshape(6, 6, 1)
    kernel = np.ones((3, 3, 1, 1))
    traces = [conv.conv_trace(x, kernel, padding="same", strides=2, row=r, col=c) for r, c in [(0, 0), (1, 2)]]
    reach = windows.reach(traces)
    assert (reach.top, reach.bottom, reach.left, reach.right) == (0, 4, 0, 6)  # 'same' pads one after
    pads = ((0, 1), (0, 1))
    rows, cols = reach.in_padded(pads)
    assert windows.pad_spatial(x[None], pads)[0, rows, cols, 0].shape == (5, 7)
    pooled = [pooling.pool_trace(x, 2, None, "valid", "max", row=2, col=1)]
    assert windows.reach(pooled) == windows.Reach(4, 5, 2, 3)


def test_an_empty_set_of_windows_has_no_reach():
    with pytest.raises(ValueError):
        windows.reach([])
