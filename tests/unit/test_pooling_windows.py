"""engine.lessons.pooling_windows: which cells the pooling windows cover, and what shifting the input does."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from engine.data.datasets import GRIDS
from engine.errors import EngineError
from engine.lessons import pooling_windows as G
from engine.ops.pooling import pool_output_hw, pool_trace


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12), p=st.integers(1, 4), s=st.integers(1, 5),
       padding=st.sampled_from(["valid", "same"]))
def test_coverage_counts_the_windows_pool_trace_reads(h, w, p, s, padding):
    ah, aw = pool_output_hw((h, w), p, s, padding)
    if not (ah.ok and aw.ok):
        with pytest.raises(EngineError):
            G.coverage((h, w), p, s, padding)
        return
    counts, ((pt, pb), (pl, pr)) = G.coverage((h, w), p, s, padding)
    assert counts.shape == (h + pt + pb, w + pl + pr)
    ref = np.zeros_like(counts)
    img = np.zeros((h, w, 1))
    for r in range(ah.output):
        for c in range(aw.output):
            t = pool_trace(img, p, s, padding, "max", r, c)
            ref[np.ix_(t.in_rows + pt, t.in_cols + pl)] += 1
    np.testing.assert_array_equal(counts, ref)


def test_valid_drops_the_odd_border_and_same_pads_it():
    counts, pads = G.coverage((5, 5), 2, None, "valid")
    assert pads == ((0, 0), (0, 0))
    assert (counts[4, :] == 0).all() and (counts[:, 4] == 0).all() and (counts[:4, :4] == 1).all()
    counts, pads = G.coverage((5, 5), 2, None, "same")
    assert pads == ((0, 1), (0, 1)) and (counts == 1).all()


def test_shift_moves_content_and_repeats_the_border():
    x = np.arange(12.0).reshape(3, 4, 1)
    moved = G.shift_image(x, 1, -1)
    np.testing.assert_array_equal(moved[..., 0], [[1, 2, 3, 3], [1, 2, 3, 3], [5, 6, 7, 7]])
    np.testing.assert_array_equal(G.shift_image(x, 0, 0), x)


def test_shift_effect_on_the_course_grid():
    e = G.shift_effect(GRIDS["pool4"][..., None], 0, 1)
    np.testing.assert_array_equal(e.pooled[..., 0], [[6, 8], [3, 4]])
    np.testing.assert_array_equal(e.pooled_shifted[..., 0], [[5, 7], [3, 3]])
    np.testing.assert_array_equal(e.pooled_changed[..., 0], [[True, True], [False, True]])
    assert e.pooled_fraction == 0.75
    assert e.input_fraction == np.mean(e.input_changed)


def test_max_pooling_hides_a_one_pixel_shift_inside_its_window():
    x = np.zeros((8, 8, 1))
    x[2, 2, 0] = 9.0  # a single bright pixel; moving it one pixel right stays in window (1, 1)
    e = G.shift_effect(x, 0, 1, 2)
    assert not e.pooled_changed.any() and e.input_changed.sum() == 2
    e = G.shift_effect(x, 0, 2, 2)  # two pixels: it lands in the next window
    assert e.pooled_changed.sum() == 2


def test_shift_larger_than_the_map_is_refused():
    with pytest.raises(EngineError) as info:
        G.shift_effect(np.zeros((4, 4, 1)), 4, 0)
    assert info.value.key == "bad_hyperparameter"
