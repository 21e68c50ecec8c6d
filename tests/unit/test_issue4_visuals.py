"""The pooling, forward, softmax/dropout and Harris figure builders: inspect what they draw."""
import numpy as np

from engine.data.datasets import GRIDS
from engine.lessons import pooling_windows
from engine.ops import harris
from engine.ops.pooling import pool2d, pool_trace
from visuals import colors, forward as fviz, harris as hviz, pooling as pviz


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


def test_dropout_figure_hides_dropped_units():
    values = np.array([[2.0, 0.0], [0.0, 4.0]])
    keep = np.array([[True, False], [False, True]])
    fig = fviz.dropout_figure(values, keep, "t")
    z = np.array(fig.data[0].z, dtype=float)
    np.testing.assert_array_equal(np.isnan(z), ~keep)
    assert len(fig.data[2].x) == 2  # a cross on each dropped unit


def test_vector_and_probability_figures():
    fig = fviz.probabilities_figure(np.array([0.1, 0.7, 0.2]), ["a", "b", "c"], "t", true_class=2)
    assert list(fig.data[0].marker.color) == [fviz.BAR_COLOR, fviz.TOP_COLOR, fviz.BAR_COLOR]
    assert list(fig.data[0].marker.line.color)[2] == fviz.TRUE_COLOR
    assert fviz.vector_figure(np.arange(5.0)).data[0].type == "bar"
    assert fviz.vector_figure(np.arange(500.0)).data[0].type == "heatmap"
    assert fviz.tex_number(9.358e-14) == r"9.358 \times 10^{-14}" and fviz.tex_number(float("inf")) == r"\infty"


def test_harris_figures_and_formulas():
    result = harris.harris(harris.demo_image("square", 32))
    labels = ("flat", "edge", "corner")
    fig = hviz.kinds_figure(result.kinds, labels, "t")
    np.testing.assert_array_equal(np.array(fig.data[0].z, dtype=float), result.kinds)
    assert fig.data[0].customdata[8][8] == "corner"
    fig = hviz.corners_figure(harris.demo_image("square", 32), result.corners, "t")
    assert sorted(zip(fig.data[1].y, fig.data[1].x)) == sorted(map(tuple, result.corners))
    point = harris.harris_at(result.tensor, result.r, result.kinds, 8, 8, 0.05)
    lines = hviz.response_latex(point)
    assert lines[2].endswith(f"= {hviz.fmt(point.r)}") and len(lines) == 4
    assert hviz.fmt(point.sxx) in hviz.matrix_latex(point)
