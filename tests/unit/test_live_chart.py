"""ui.live_chart writes a figure exactly as plotly.py's own to_plotly_json + to_json would (minus
Streamlit's template), without deep-copying it first: arrays as base64 typed arrays, 64-bit integers
narrowed, text and booleans as lists, skipped keys untouched."""
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ui import live_chart
from visuals import batchnorm, optimizers


def reference(fig) -> dict:
    spec = fig.to_plotly_json()
    spec["layout"].pop("template", None)
    spec.pop("frames", None)
    return json.loads(pio.to_json(spec, validate=False, remove_uids=False))


def ours(fig) -> dict:
    out = json.loads(live_chart.figure_json(fig))
    out.pop("frames", None)
    return out


RAW = np.random.default_rng(0).normal(size=(4, 6, 6))
FIGURES = [
    batchnorm.histogram_figure(RAW, RAW, RAW, titles=("a", "b"), names=("x", "y", "z")),
    optimizers.loss_figure({"sgd": np.arange(5.0), "adam": np.arange(5.0) ** 2}, {"sgd": "S", "adam": "A"},
                           x_title="t", y_title="f", log_y=True),
    go.Figure(go.Heatmap(z=np.arange(12).reshape(3, 4), x=np.arange(4, dtype=np.int64) * 10 ** 10,
                         text=np.array([["a"] * 4] * 3))),
    go.Figure(go.Scatter(x=[1, 2, 3], y=np.array([True, False, True]),
                         marker={"color": np.array([1, 2, 300], dtype=np.uint64)})),
    go.Figure(go.Scatter(x=np.zeros(0), y=np.zeros(0)), layout={"xaxis": {"range": np.array([0.0, 1.0])}}),
]


@pytest.mark.parametrize("fig", FIGURES)
def test_figure_json_is_plotlys_own(fig):
    assert ours(fig) == reference(fig)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.uint8, np.uint64]),
                  hnp.array_shapes(max_dims=2, max_side=5)))
def test_any_numeric_array_is_written_as_plotly_writes_it(values):
    fig = go.Figure(go.Heatmap(z=values) if values.ndim == 2 else go.Scatter(y=values))
    assert ours(fig) == reference(fig)


def test_the_figure_is_not_changed_by_writing_it():
    fig = FIGURES[0]
    before = fig.data[0].y.copy()
    live_chart.figure_json(fig)
    np.testing.assert_array_equal(fig.data[0].y, before)
    assert isinstance(fig.data[0].y, np.ndarray)
