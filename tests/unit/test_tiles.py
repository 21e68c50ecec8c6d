"""visuals.tiles: the pixels and values of tile grids (ui.tile_grid) are the given arrays, coloured
with the same scales and ranges as the raster heat maps."""
import base64

import numpy as np

from visuals import colors, heatmaps, tiles
from visuals.raster import colorize


def test_heat_row_shares_one_symmetric_range_and_keeps_the_values():
    stack = np.array([[[1.0, -2.0]], [[0.5, 4.0]]])  # (2, 1, 2)
    row = tiles.heat_row("maps", stack, ["a", "b"])
    assert (row.zmin, row.zmax) == (-4.0, 4.0)
    for tile, m in zip(row.tiles, stack):
        np.testing.assert_array_equal(tile.values, m)
        np.testing.assert_array_equal(tile.rgba, colorize(m, -4.0, 4.0, colors.DIVERGING))
    assert [t.caption for t in row.tiles] == ["a", "b"]


def test_own_range_row_scales_each_tile_alone():
    stack = np.array([[[0.0, 2.0]], [[0.0, 10.0]]])
    row = tiles.own_range_row("", stack, ["1", "2"], signed=False)
    # each tile's largest value is white on its own gray range
    assert [tuple(t.rgba[0, 1, :3]) for t in row.tiles] == [(255, 255, 255), (255, 255, 255)]


def test_flat_and_empty_ranges_stay_drawable():
    assert heatmaps.symmetric_range(np.zeros((2, 2))) == (-1.0, 1.0)
    assert heatmaps.value_range(np.full((2, 2), 3.0)) == (3.0, 4.0)
    assert heatmaps.value_range(np.array([np.nan, np.inf])) == (0.0, 1.0)


def test_image_row_turns_gray_and_rgb_into_opaque_pixels():
    gray = tiles.image_row("g", np.array([[[[0.0], [1.0]]]]), ["x"])
    np.testing.assert_array_equal(gray.tiles[0].rgba[0], [[0, 0, 0, 255], [255, 255, 255, 255]])
    rgb = tiles.image_row("c", np.array([[[[1.0, 0.5, 2.0]]]]), ["y"])  # out of range is clipped
    np.testing.assert_array_equal(rgb.tiles[0].rgba[0, 0], [255, 128, 255, 255])
    assert gray.tiles[0].values is None


def test_payload_round_trips_pixels_and_values():
    grid = tiles.TileGrid([tiles.heat_row("r", np.arange(6.0).reshape(1, 2, 3))], columns=1, tile_px=90)
    data = grid.payload()
    tile = data["rows"][0]["tiles"][0]
    assert (tile["h"], tile["w"], data["columns"], data["tile_px"]) == (2, 3, 1, 90)
    values = np.frombuffer(base64.b64decode(tile["values"]), dtype="<f8").reshape(2, 3)
    np.testing.assert_array_equal(values, np.arange(6.0).reshape(2, 3))
    rgba = np.frombuffer(base64.b64decode(tile["rgba"]), dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(rgba, grid.rows[0].tiles[0].rgba)


def test_small_maps_carry_their_numbers_and_large_ones_do_not():
    small = tiles.own_range_row("", np.array([[[0.5, -1.25], [2.0, 0.0]]]), ["k"], numbers=True)
    assert small.tiles[0].texts == ["0.5", "-1.25", "2", "0"]
    assert tiles.TileGrid([small], columns=1).payload()["rows"][0]["tiles"][0]["texts"] == ["0.5", "-1.25", "2", "0"]
    large = tiles.own_range_row("", np.zeros((1, 16, 16)), ["m"], numbers=True)
    assert large.tiles[0].texts is None and "texts" not in tiles._tile_payload(large.tiles[0])


def test_a_small_heat_map_becomes_one_canvas_tile_with_its_cells():
    from visuals import heatmaps
    values = np.arange(12.0).reshape(3, 4) - 5
    mask = np.zeros((3, 4), bool)
    mask[0, :] = True
    fig = heatmaps.heatmap(values, "map", mask=mask, rect=(1, 1, 2, 2), cell=(0, 3))
    grid = tiles.heatmap_tile(fig)
    row = grid.rows[0]
    tile = row.tiles[0]
    assert row.title == "map" and (row.zmin, row.zmax) == (-6.0, 6.0)
    np.testing.assert_array_equal(tile.values, values)
    np.testing.assert_array_equal(tile.rgba, colorize(values, -6.0, 6.0, colors.DIVERGING))
    assert tile.texts == [str(t) for r in fig.data[0].text for t in r]  # the figure's own cell texts
    assert tile.cells["mask"] == mask.ravel().astype(int).tolist()
    assert [b[:4] for b in tile.cells["boxes"]] == [[1, 1, 2, 2], [0, 3, 0, 3]]


def test_other_figures_stay_plotly_charts():
    from visuals import heatmaps
    import plotly.graph_objects as go
    assert tiles.heatmap_tile(heatmaps.heatmap(np.zeros((16, 16)), show_values=True)) is None  # numbers, > 15 a side
    assert tiles.heatmap_tile(heatmaps.heatmap(np.zeros((97, 97)))) is None  # no numbers, larger than 96 a side
    assert tiles.heatmap_tile(go.Figure(go.Bar(y=[1, 2]))) is None
    with_points = heatmaps.heatmap(np.zeros((3, 3)))
    with_points.add_trace(go.Scatter(x=[0], y=[0]))
    assert tiles.heatmap_tile(with_points) is None
    rgb_scale = go.Figure(go.Heatmap(z=[[1, 2]], colorscale=[[0, "rgb(0,0,0)"], [1, "rgb(9,9,9)"]]))
    assert tiles.heatmap_tile(rgb_scale) is None  # only scales spelled out in hex are coloured here
    named = tiles.heatmap_tile(go.Figure(go.Heatmap(z=[[1, 2]], colorscale="Viridis")))
    assert named.rows[0].tiles[0].rgba[0, 0, :3].tolist() == [0x44, 0x01, 0x54]  # plotly.py's own Viridis


def test_a_larger_map_without_numbers_is_a_canvas_tile_about_320_px_wide():
    from visuals import heatmaps
    values = np.arange(32 * 40, dtype=float).reshape(32, 40)
    grid = tiles.heatmap_tile(heatmaps.heatmap(values, "gradient", show_values=False))
    tile = grid.rows[0].tiles[0]
    np.testing.assert_array_equal(tile.values, values)
    assert tile.texts is None and tile.cells["px"] == 320 // 40 == tiles.cell_px(40)
    assert tiles.cell_px(15) == 32 and tiles.cell_px(96) == 3
