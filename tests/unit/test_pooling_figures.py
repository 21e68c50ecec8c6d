"""visuals.pooling, the pooling page's figures and formula text: inspect what they draw."""
import numpy as np

from engine.data.datasets import GRIDS
from engine.lessons import pooling_windows
from engine.ops.pooling import pool2d, pool_trace
from visuals import colors, pooling as pviz


def test_max_and_mean_texts_leave_padding_out():
    x = GRIDS["pool4"][..., None]
    assert pviz.trace_text(pool_trace(x, 2)) == "max(1, 1, 5, 6) = 6"
    assert pviz.trace_text(pool_trace(x, 2, mode="avg", row=1, col=1)) == "(1 + 0 + 3 + 4) / 4 = 8 / 4 = 2"
    odd = pooling_windows.ODD_GRID[..., None]
    corner = pool_trace(odd, 2, None, "same", "avg", row=2, col=2)  # only the 9 is real
    assert pviz.trace_text(corner) == "(9) / 1 = 9 / 1 = 9"
    long = pool_trace(np.arange(36.0).reshape(6, 6, 1), 6)
    assert pviz.trace_text(long, max_terms=4) == "max(0, 1, 2, 3, … (32)) = 35"


def test_coverage_figure_marks_dropped_cells_and_padding():
    counts, pads = pooling_windows.coverage((5, 5), 2, None, "valid")
    fig = pviz.coverage_figure(pooling_windows.ODD_GRID, counts, pads, "t", (2, 2), (2, 2), (2, 2))
    dropped = [tr for tr in fig.data if tr.type == "heatmap" and tr.colorscale[0][1] == pviz.DROPPED]
    assert len(dropped) == 1
    z = np.array(dropped[0].z, dtype=float)
    np.testing.assert_array_equal(~np.isnan(z), counts == 0)
    crosses = [tr for tr in fig.data if tr.type == "scatter"]
    assert len(crosses) == 1 and len(crosses[0].x) == 9
    assert len(fig.layout.shapes) == 4  # one dashed box per window
    counts, pads = pooling_windows.coverage((5, 5), 2, None, "same")
    fig = pviz.coverage_figure(pooling_windows.ODD_GRID, counts, pads, "t", (2, 2), (2, 2), (3, 3))
    assert not [tr for tr in fig.data if tr.type == "scatter"]
    assert fig.data[0].text[5][5] == "" and fig.data[0].text[4][4] == "9"  # padding has no number


def test_pool_stepper_marks_each_windows_winner():
    x = GRIDS["pool4"]
    traces = [pool_trace(x[..., None], 2, row=r, col=c) for r in range(2) for c in range(2)]
    positions = [(t.row, t.col) for t in traces]
    texts = {"input_title": "in", "output_title": "out", "play": "p", "pause": "s"}
    fig = pviz.pool_stepper(x, pool2d(x[None, ..., None], 2)[0, ..., 0], traces, positions, input_mask=None,
                            input_origin=(0, 0), output_origin=(0, 0), start=1, texts=texts)
    winners = [(1, 1), (1, 3), (2, 0), (3, 3)]  # 6, 8, 3, 4
    for frame, (r, c) in zip(fig.frames, winners):
        box = frame.layout.shapes[-1]
        assert box.line.color == colors.WINNER and (box.x0 + box.x1) / 2 == c and (box.y0 + box.y1) / 2 == r
    assert fig.layout.shapes[-1].x0 < 3 < fig.layout.shapes[-1].x1  # start=1: the 8 at (1, 3)
    assert fig.frames[1].layout.title.text == "(0, 1): max(2, 4, 7, 8) = 8"


def test_changed_figure_is_a_two_colour_map_with_old_and_new():
    before, after = np.array([[6.0, 8.0]]), np.array([[5.0, 8.0]])
    fig = pviz.changed_figure(before, after, before != after, "t", ("same", "changed"))
    np.testing.assert_array_equal(np.array(fig.data[0].z, dtype=float), [[1.0, 0.0]])
    assert list(fig.data[0].text[0]) == ["6→5", "8"]
