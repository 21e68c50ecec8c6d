"""visuals.harris, the Harris page's figures and formulas: inspect what they draw."""
import numpy as np

from engine.ops import harris
from visuals import harris as hviz


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
