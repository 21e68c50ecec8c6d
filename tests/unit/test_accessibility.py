"""Colour-blind safety of every colour in visuals/, and the pure parts of the table view and presentation mode.

Colour-vision deficiencies are simulated with the matrices of Machado, Oliveira & Fernandes (2009, severity
1.0) applied to linear sRGB; colours are compared in CIELAB (D65). Sequential scales must get steadily darker
(or lighter) for every viewer, diverging scales must be lightest at 0 with clearly different ends, and the
colours a figure uses side by side (lines, bars, marks) must stay apart.
"""
from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.colors
import pytest

from tests.app.figure_data import array
from ui.heat_table import figure_tables, frame
from visuals import batchnorm, colors, forward, harris, heatmaps, optimizers, pooling, presentation, training
from visuals import architecture_diagrams, transfer

VISUALS = Path(__file__).resolve().parents[2] / "visuals"
MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
VISIONS = (None, *MACHADO)  # None: typical colour vision
MIN_APART = 15.0  # CIE76 distance between colours used together (about 2.3 is "just noticeable")

SEQUENTIAL = {
    "gray": colors.GRAY,
    "cividis (magnitudes, Harris, channel mosaics)": colors.SEQUENTIAL,
    "confusion-matrix counts": training.COUNTS,
    "optimizer loss contours": optimizers.CONTOUR_SCALE,
}
TOGETHER = {  # colours one figure shows side by side
    "optimizer paths": list(optimizers.COLORS.values()),
    "train vs validation curves": [training.TRAIN_COLOR, training.VAL_COLOR],
    "right vs wrong": [training.GOOD, training.BAD],
    "transfer curves and unfreeze line": [training.TRAIN_COLOR, training.VAL_COLOR, transfer.UNFREEZE_COLOR],
    "BN histograms": [batchnorm.BLUE, batchnorm.GREY, batchnorm.ORANGE],
    "BN train vs inference": [batchnorm.ORANGE, batchnorm.GREEN],
    "probabilities: top, others, true outline": [forward.TOP_COLOR, forward.BAR_COLOR, forward.TRUE_COLOR],
    "Harris flat / edge / corner": list(harris.KIND_COLORS),
    "window box and winner": [colors.HIGHLIGHT, colors.WINNER],
    "pooled cells unchanged vs changed": [pooling.UNCHANGED, pooling.CHANGED],
}
DIAGRAM_FILLS = ["#CFE5F5", "#FBE3C8", "#CDEFE3", "#EBD9E7", "#F2F2F2"]  # labelled boxes, so only a hint
# marks told apart by shape or text, not by colour: the optimum star (outlined), diagram notes, a cross
ACCENTS = {"#F0E442", "#1F3B57", "#5A1F00"}


def hex_rgb(color: str) -> np.ndarray:
    """'#RRGGBB' or '#RGB' -> sRGB in 0..1."""
    h = color.lstrip("#")
    h = "".join(ch * 2 for ch in h) if len(h) == 3 else h
    return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)]) / 255.0


def to_linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def lab(linear: np.ndarray) -> np.ndarray:
    """Linear sRGB -> CIELAB (D65)."""
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 216 / 24389, np.cbrt(t), (24389 / 27 * t + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(rgb: np.ndarray, vision: str | None) -> np.ndarray:
    """The CIELAB colour a viewer with `vision` sees for sRGB `rgb`."""
    linear = to_linear(rgb)
    if vision:
        linear = np.clip(np.array(MACHADO[vision]) @ linear, 0.0, 1.0)
    return lab(linear)


def distance(a: str, b: str, vision: str | None) -> float:
    return float(np.linalg.norm(seen(hex_rgb(a), vision) - seen(hex_rgb(b), vision)))


def stops(scale) -> list[tuple[float, np.ndarray]]:
    """A Plotly colour scale (named or spelled out) as (position, sRGB) stops."""
    if isinstance(scale, str):
        scale = plotly.colors.get_colorscale(scale)
    out = []
    for pos, color in scale:
        rgb = (hex_rgb(color) if color.startswith("#")
               else np.array([float(v) for v in re.findall(r"[\d.]+", color)[:3]]) / 255.0)
        out.append((float(pos), rgb))
    return out


def sample(scale, count: int = 41) -> list[np.ndarray]:
    """`count` colours along the scale, interpolated in sRGB as Plotly.js does."""
    points = stops(scale)
    positions = [p for p, _ in points]
    channels = np.array([c for _, c in points])
    return [np.array([np.interp(x, positions, channels[:, k]) for k in range(3)]) for x in np.linspace(0, 1, count)]


def lightness(scale, vision: str | None) -> np.ndarray:
    return np.array([seen(rgb, vision)[0] for rgb in sample(scale)])


@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize("name", list(SEQUENTIAL))
def test_sequential_scales_change_lightness_steadily(name, vision):
    steps = np.diff(lightness(SEQUENTIAL[name], vision))
    assert np.all(steps > 0) or np.all(steps < 0), (name, vision)
    assert abs(steps.sum()) >= 30, (name, vision)  # the ends are far apart in lightness alone


@pytest.mark.parametrize("vision", VISIONS)
def test_diverging_scale_is_lightest_at_zero_with_distinct_sides(vision):
    light = lightness(colors.DIVERGING, vision)
    middle = len(light) // 2
    assert np.all(np.diff(light[:middle + 1]) > 0) and np.all(np.diff(light[middle:]) < 0), vision
    rgb = sample(colors.DIVERGING)
    for i in range(middle - 6):  # -v and +v look different (not just equally dark) away from 0
        mirrored = float(np.linalg.norm(seen(rgb[i], vision) - seen(rgb[-1 - i], vision)))
        assert mirrored >= MIN_APART, (vision, i, mirrored)


def test_the_diverging_scale_has_no_red_green_pair():
    """Its two hues stay apart for red-green deficiencies (the classic red-white-green would not)."""
    low, high = colors.DIVERGING[0][1], colors.DIVERGING[-1][1]
    assert min(distance(low, high, v) for v in ("protanopia", "deuteranopia")) >= 50
    assert distance("#D7191C", "#1A9641", "deuteranopia") < 40  # the check would catch red vs green


@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize("name", list(TOGETHER))
def test_colours_used_together_stay_apart(name, vision):
    pairs = itertools.combinations(TOGETHER[name], 2)
    closest = min((distance(a, b, vision), a, b) for a, b in pairs)
    assert closest[0] >= MIN_APART, (name, vision, closest)


@pytest.mark.parametrize("vision", VISIONS)
def test_optimizer_paths_close_in_colour_differ_in_dash(vision):
    """Six paths share a plot: pairs that come closest under a deficiency are also dashed differently."""
    for (a, ca), (b, cb) in itertools.combinations(optimizers.COLORS.items(), 2):
        if distance(ca, cb, vision) < 25:
            assert optimizers.DASHES[a] != optimizers.DASHES[b], (a, b, vision)


@pytest.mark.parametrize("vision", VISIONS)
def test_diagram_fills_differ(vision):
    closest = min(distance(a, b, vision) for a, b in itertools.combinations(DIAGRAM_FILLS, 2))
    assert closest >= 3, vision  # pale fills behind labelled boxes: the words say the kind, colour only hints


def _is_grey(color: str) -> bool:
    rgb = hex_rgb(color)
    return float(rgb.max() - rgb.min()) < 0.02


def test_every_colour_in_visuals_is_audited():
    """A new colour literal in visuals/ must join one of the sets above (or be a grey)."""
    audited = {c.upper() for group in TOGETHER.values() for c in group} | set(DIAGRAM_FILLS) | ACCENTS
    for scale in (colors.DIVERGING, training.COUNTS, optimizers.CONTOUR_SCALE):
        audited |= {c.upper() for _, c in scale}
    found = {m.upper() for f in VISUALS.glob("*.py")
             for m in re.findall(r"#[0-9A-Fa-f]{6}\b|#[0-9A-Fa-f]{3}\b", f.read_text(encoding="utf-8"))}
    unaudited = sorted(c for c in found if c not in audited and not _is_grey(c))
    assert unaudited == []
    assert architecture_diagrams.COLORS["conv"] in DIAGRAM_FILLS


def test_heatmaps_use_the_audited_scales():
    signed = heatmaps.heatmap(np.array([[-1.0, 2.0]]))
    unsigned = heatmaps.heatmap(np.array([[0.0, 2.0]]), signed=False)
    assert signed.data[0].colorscale == tuple(tuple(s) for s in colors.DIVERGING)
    assert unsigned.data[0].colorscale == tuple(tuple(s) for s in colors.GRAY)


# ------------------------------------------------------------------ table view and presentation (pure parts)


def test_figure_tables_read_every_map_and_skip_overlays():
    mask = np.zeros((3, 3), bool)
    mask[0] = True
    values = np.arange(9.0).reshape(3, 3) - 4
    (title, table, rows, cols), = figure_tables(heatmaps.heatmap(values, "T", mask=mask))
    assert title == "T" and np.array_equal(table, values) and list(rows) == [0, 1, 2] and list(cols) == [0, 1, 2]
    panels = heatmaps.heatmap_panels([{"values": values, "title": "a"}, {"values": -values, "title": "b"}], 2)
    assert [(t[0], t[1].tolist()) for t in figure_tables(panels)] == [("a", values.tolist()), ("b", (-values).tolist())]


def test_frame_numbers_rows_and_columns_like_the_axes():
    table = frame(np.arange(6).reshape(2, 3))
    assert list(table.index) == [0, 1] and list(table.columns) == ["0", "1", "2"]
    labelled = frame(np.eye(2), rows=[-1, 0], cols=["cat", "dog"])
    assert list(labelled.index) == [-1, 0] and list(labelled.columns) == ["cat", "dog"]
    assert frame(np.zeros((300, 2))).shape == (256, 2)


def test_enlarge_scales_every_font_and_keeps_the_data():
    fig = heatmaps.heatmap(np.ones((3, 3)), "T")
    big = presentation.enlarge(fig, 1.5)
    assert big.layout.title.font.size == pytest.approx(fig.layout.title.font.size * 1.5)
    assert big.data[0].textfont.size == pytest.approx(fig.data[0].textfont.size * 1.5)
    assert big.layout.font.size == pytest.approx(presentation.BASE_FONT * 1.5)
    assert np.array_equal(array(big.data[0].z), np.asarray(fig.data[0].z))
    assert presentation.enlarge(fig, 1.0) is fig


def test_enlarge_pins_the_sizes_a_chart_theme_would_otherwise_set():
    """Streamlit's Plotly template sizes ticks, legends and colour bars itself, beating inheritance."""
    bars = go.Figure(go.Bar(x=[0, 1], y=[0.3, 0.7]), layout={"xaxis2": {"visible": True}, "legend": {"font": {"size": 10}}})
    big = presentation.enlarge(bars, 1.5).to_dict()["layout"]
    size = presentation.BASE_FONT * 1.5
    for axis in ("xaxis", "yaxis", "xaxis2"):
        assert big[axis]["tickfont"]["size"] == size and big[axis]["title"]["font"]["size"] == size
    assert big["legend"]["font"]["size"] == 15  # a set size is scaled, not replaced
    heat = presentation.enlarge(heatmaps.heatmap(np.ones((20, 20)), "T"), 1.5).to_dict()["data"][0]
    assert heat["colorbar"]["tickfont"]["size"] == size
