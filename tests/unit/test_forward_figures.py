"""visuals.forward, the figures of the forward-pass and softmax/dropout pages: inspect what they draw."""
import numpy as np

from visuals import forward as fviz


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
