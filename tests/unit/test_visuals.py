"""Figure builders and formula text: inspect what they would draw."""
from types import SimpleNamespace

import numpy as np
import pytest

from visuals import colors, formulas, heatmaps, stepper

CURVE_FILTER = np.array([[0, 0, 0, 0, 0, 30, 0], [0, 0, 0, 0, 30, 0, 0], [0, 0, 0, 30, 0, 0, 0],
                         [0, 0, 0, 30, 0, 0, 0], [0, 0, 0, 30, 0, 0, 0], [0, 0, 0, 30, 0, 0, 0],
                         [0, 0, 0, 0, 0, 0, 0]], float)
CURVE_FIELD = np.array([[0, 0, 0, 0, 0, 0, 30], [0, 0, 0, 0, 50, 50, 50], [0, 0, 0, 20, 50, 0, 0],
                        [0, 0, 0, 50, 50, 0, 0], [0, 0, 0, 50, 50, 0, 0], [0, 0, 0, 50, 50, 0, 0],
                        [0, 0, 0, 50, 50, 0, 0]], float)


@pytest.mark.parametrize("value, text", [(6600, "6600"), (-2.0, "-2"), (0.111111, "0.1111"),
                                         (1e-7, "1e-7"), (float("inf"), "∞"), (float("-inf"), "-∞")])
def test_fmt(value, text):
    assert formulas.fmt(value) == text


def test_products_sum_writes_the_course_example():
    total = float((CURVE_FIELD * CURVE_FILTER).sum())
    text = formulas.products_sum(CURVE_FIELD, CURVE_FILTER, total)
    assert text == "50×30 + 20×30 + 50×30 + 50×30 + 50×30 = 6600"


def test_products_sum_negative_terms_zero_and_overflow():
    assert formulas.products_sum(np.zeros(4), np.ones(4), 0.0) == "0 = 0"
    assert formulas.products_sum(np.array([2.0]), np.array([-3.0]), -6.0) == "2×-3 = -6"
    many = formulas.products_sum(np.ones(12), np.ones(12), 12.0, max_terms=3)
    assert many == "1×1 + 1×1 + 1×1 + … (9) = 12"
    assert formulas.with_bias(6600, -1.5, 6598.5) == "6600 - 1.5 = 6598.5"


def test_output_size_latex_shows_the_numbers():
    axis = SimpleNamespace(input=7, kernel=3, stride=2, dilation=1, pad_before=1, pad_after=1,
                           numerator=6, output=4, ok=True)
    tex = formulas.output_size_latex(axis, "O_H")
    assert r"O_H &= \left\lfloor \frac{7 + 1 + 1 - 1\cdot(3-1) - 1}{2}" in tex
    assert tex.startswith(r"\begin{aligned}") and tex.endswith(r"= 3 + 1 = 4 \end{aligned}")
    assert tex.count(r"\\") == 1  # two lines: the numbers, then the reduced fraction
    bad = SimpleNamespace(**{**axis.__dict__, "numerator": -2, "output": 0, "ok": False})
    assert "✗" in formulas.output_size_latex(bad, "O_H")
    both = formulas.output_sizes_latex((axis, bad))
    assert both.count(r"\begin{aligned}") == 1 and both.endswith(r"\end{aligned}")  # one block
    assert both.count(r"\\") == 3 and "O_H &=" in both and "O_W &=" in both and "✗" in both


def test_heatmap_keeps_values_orientation_and_symmetric_scale():
    values = np.array([[-2.0, 1.0], [0.5, 4.0]])
    fig = heatmaps.heatmap(values, "t")
    trace = fig.data[0]
    np.testing.assert_array_equal(np.asarray(trace.z), values)
    assert (trace.zmin, trace.zmax) == (-4.0, 4.0)
    assert fig.layout.yaxis.autorange == "reversed"
    assert trace.texttemplate == "%{text}"
    assert fig.layout.title.text == "t"


def test_heatmap_draws_padding_and_boxes():
    mask = np.zeros((4, 4), bool)
    mask[0, :] = True
    fig = heatmaps.heatmap(np.arange(16.0).reshape(4, 4), mask=mask, rect=(1, 1, 2, 3), cell=(0, 0))
    overlay = np.asarray(fig.data[1].z, dtype=float)
    assert np.all(overlay[0] == 1) and np.all(np.isnan(overlay[1:]))
    boxes = [(s.x0, s.x1, s.y0, s.y1) for s in fig.layout.shapes]
    assert (0.5, 3.5, 0.5, 2.5) in boxes and (-0.5, 0.5, -0.5, 0.5) in boxes
    assert fig.data[1].colorscale[0][1] == colors.PADDING


def test_large_heatmap_hides_cell_text():
    fig = heatmaps.heatmap(np.zeros((40, 40)))
    assert fig.data[0].texttemplate is None


def test_image_figure_gray_and_rgb():
    gray = heatmaps.image_figure(np.full((5, 6, 1), 200.0))
    assert np.asarray(gray.data[0].z).shape == (5, 6)
    rgb = heatmaps.image_figure(np.full((5, 6, 3), 300.0))
    assert np.asarray(rgb.data[0].z).max() == 255


def test_stepper_has_one_frame_per_position_with_its_boxes():
    inputs = np.arange(25.0).reshape(5, 5)
    outputs = np.zeros((3, 3))
    positions = [(r, c) for r in range(3) for c in range(3)]
    windows = [[(r + i, c + j) for i in range(3) for j in range(3)] for r, c in positions]
    captions = [f"p{i}" for i in range(9)]
    fig = stepper.window_stepper(inputs, outputs, windows, positions, captions, input_title="in",
                                 output_title="out", play="Play", pause="Pause", start=4)
    assert len(fig.frames) == 9
    assert fig.layout.title.text == "p4"
    frame = fig.frames[8]
    window_box, out_box = frame.layout.shapes
    assert (window_box.x0, window_box.x1, window_box.y0, window_box.y1) == (1.5, 4.5, 1.5, 4.5)
    assert (out_box.xref, out_box.x0, out_box.y0) == ("x2", 1.5, 1.5)
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["Play", "Pause"]
    assert len(fig.layout.sliders[0].steps) == 9


def test_stepper_outlines_dilated_cells_one_by_one():
    windows = [[(0, 0), (0, 2), (2, 0), (2, 2)]]
    fig = stepper.window_stepper(np.zeros((3, 3)), np.zeros((1, 1)), windows, [(0, 0)], ["c"],
                                 input_title="i", output_title="o", play="p", pause="q")
    input_boxes = [s for s in fig.frames[0].layout.shapes if s.xref == "x"]
    assert len(input_boxes) == 4


def test_stepper_axes_use_real_coordinates_of_a_zoomed_region():
    fig = stepper.window_stepper(np.zeros((4, 4)), np.zeros((2, 2)), [[(-1, 5), (-1, 6)]], [(3, 7)], ["c"],
                                 input_title="i", output_title="o", play="p", pause="q",
                                 input_origin=(-1, 5), output_origin=(3, 7), input_mask=np.ones((4, 4), bool))
    assert list(fig.data[0].y) == [-1, 0, 1, 2] and list(fig.data[0].x) == [5, 6, 7, 8]
    assert list(fig.data[1].x) == [5, 6, 7, 8]  # the padding overlay lines up
    assert list(fig.data[2].x) == [7, 8]
    box = fig.layout.shapes[0]
    assert (box.x0, box.x1, box.y0, box.y1) == (4.5, 6.5, -1.5, -0.5)


def test_heatmap_panels_put_each_grid_on_its_own_axes():
    mask = np.zeros((3, 3), bool)
    mask[0] = True
    panels = [{"values": np.full((3, 3), i + 1.0), "title": f"p{i}", "mask": mask if i == 1 else None}
              for i in range(6)]
    fig = heatmaps.heatmap_panels(panels, columns=3)
    heat = [d for d in fig.data if d.name != "padding"]
    assert [d.xaxis for d in heat] == ["x", "x2", "x3", "x4", "x5", "x6"]
    assert [np.asarray(d.z)[0, 0] for d in heat] == [1, 2, 3, 4, 5, 6]
    overlay = [d for d in fig.data if d.name == "padding"]
    assert len(overlay) == 1 and overlay[0].xaxis == "x2"
    assert [a.text for a in fig.layout.annotations] == [f"<b>p{i}</b>" for i in range(6)]
    assert fig.layout.xaxis4.domain[0] == 0 and fig.layout.yaxis4.domain[1] < fig.layout.yaxis.domain[0]
    assert fig.layout.yaxis2.scaleanchor == "x2" and fig.layout.height == 2 * (240 + 52)


def test_heatmap_panels_domains_stay_inside_the_unit_interval():
    panels = [{"values": np.ones((3, 3)), "title": str(i)} for i in range(9)]
    for height in (100, 183, 250):
        fig = heatmaps.heatmap_panels(panels, columns=3, height_per_row=height)
        for name in ("yaxis", "yaxis4", "yaxis7", "xaxis3"):
            low, high = fig.layout[name].domain
            assert 0 <= low < high <= 1
