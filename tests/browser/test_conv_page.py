"""Browser: the convolution playground in Chromium: renders in both languages, controls update the
numbers the engine computes, and a corrupt upload gives a message while the page keeps working."""
import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from playwright.sync_api import expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.st_client import StreamlitClient
from engine.data import images
from engine.ops import conv, kernels
from engine.shapes import output_size
from tests.browser.conftest import screenshot
from tests.browser.helpers import (assert_no_error_elements, choose, click_text, open_app, open_in,
                                   press_slider, runs, wait_for_rerun)
from ui.i18n import translate

pytestmark = pytest.mark.browser
PATH = "convolution"


def metric_value(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_in_both_languages(page, app_url, lang):
    open_in(page, app_url, "conv", lang)
    # the maps tab: padded input and kernel (Plotly), feature map and ReLU (canvas); the
    # step-through tab has not run
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    expect(page.locator(".convlab-raster canvas")).to_have_count(2)
    expect(page.locator('[data-testid="stCode"]')).to_have_count(0)
    assert_no_error_elements(page)
    screenshot(page, f"conv-photo-{lang}")
    page.get_by_role("tab", name=translate(lang, "conv.views.step")).click()
    expect(page.locator('[data-testid="stCode"]')).to_have_count(1)  # the window's sum, written out
    expect(page.locator(".js-plotly-plot")).to_have_count(2)  # the stepper and the window's numbers
    assert_no_error_elements(page)
    screenshot(page, f"conv-step-{lang}")


def test_stride_and_kernel_change_the_output_shape(page, app_url):
    open_app(page, app_url, PATH, "en")
    assert metric_value(page, "Output shape") == "83 × 126 × 1"
    press_slider(page, translate("en", "conv.stride_h"), "ArrowRight")
    h = output_size.conv_output_hw((85, 128), (3, 3), (2, 1))[0].output
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Output shape")
           .locator('[data-testid="stMetricValue"]')).to_have_text(f"{h} × 126 × 1")
    click_text(page, translate("en", "conv.paddings.same"))
    assert metric_value(page, "Output shape") == "43 × 128 × 1"
    assert_no_error_elements(page)


def test_course_curve_example_shows_6600(page, app_url):
    open_app(page, app_url, PATH, "en")
    click_text(page, translate("en", "conv.sources.grid"))
    choose(page, translate("en", "conv.grid"), translate("en", "grids.curve_receptive_field"))
    choose(page, translate("en", "conv.preset"), translate("en", "presets.curve_detector"))
    code = page.locator('[data-testid="stCode"]').first.inner_text()
    assert "50×30 + 20×30 + 50×30 + 50×30 + 50×30 = 6600" in code
    assert metric_value(page, "Output shape") == "1 × 1 × 1"
    screenshot(page, "conv-curve-en")


def test_corrupt_upload_shows_a_message_and_keeps_working(page, app_url, tmp_path):
    open_app(page, app_url, PATH, "ko")
    click_text(page, translate("ko", "conv.sources.upload"))
    bad = tmp_path / "photo.png"
    bad.write_bytes(b"definitely not a png")
    before = runs(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(bad))
    wait_for_rerun(page, before)
    alert = page.locator('[data-testid="stAlertContentError"]')
    expect(alert).to_contain_text(translate("ko", "image_reasons.not_an_image"))
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    screenshot(page, "conv-bad-upload-ko")
    click_text(page, translate("ko", "conv.sources.shape"))
    assert metric_value(page, translate("ko", "conv.output_shape")) == "22 × 22 × 1"


def test_hovering_a_feature_map_shows_the_engines_value(page, app_url):
    open_app(page, app_url, PATH, "en")
    press_slider(page, translate("en", "conv.stride_h"), "ArrowRight")
    fmap = page.locator('.convlab-raster[data-title="Feature map 1"]')
    expect(fmap).to_have_attribute("data-rows", "42")
    canvas = fmap.locator("canvas")
    box = canvas.bounding_box()
    rows, cols = 42, 126
    # the middle of cell (30, 100)
    canvas.hover(position={"x": (100.5 / cols) * box["width"], "y": (30.5 / rows) * box["height"]})
    photo = images.builtin_photo(images.BUILTIN_PHOTOS[0], max_side=images.WORKING_SIZE).pixels
    kernel = kernels.stack_filters([kernels.stack_filter(kernels.preset_kernel("sobel_x", 3), 1)])
    x = conv.conv2d(np.rint(images.to_grayscale(photo))[None], kernel, np.zeros(1), strides=(2, 1),
                    padding="valid", dilation=1)[0, ..., 0]
    tip = fmap.locator(".tip")
    expect(tip).to_be_visible()
    # the pointer lands on a whole pixel, so the cell can be a neighbour of the one aimed at; the
    # value shown must be the engine's for the cell the tip names
    row, col, shown = re.fullmatch(r"\((\d+), (\d+)\) = (\S+)", tip.inner_text().strip()).groups()
    row, col = int(row), int(col)
    assert abs(row - 30) <= 1 and abs(col - 100) <= 1
    assert shown == f"{float(f'{x[row, col]:.4g}'):g}"
    screenshot(page, "conv-raster-hover-en")


async def stride_through_the_client(url: str) -> tuple[set, dict, int, list]:
    """What benchmarks.classroom's headless client sees when it moves the stride on the conv page."""
    client = StreamlitClient(url, "student")
    await client.connect()
    try:
        await client.open("convolution")
        keys, fragments = set(client.run.keys), dict(client.run.fragments)
        await client.set("conv_sh", 2)
        return keys, fragments, client.last_status, client.errors
    finally:
        await client.close()


def test_the_classroom_client_reruns_only_the_fragment_of_a_widget_in_one(app_url):
    """Like a browser, benchmarks.st_client sends a stride change as a rerun of the page's fragment."""
    with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright's sync API may run a loop in this thread
        keys, fragments, status, errors = pool.submit(asyncio.run, stride_through_the_client(app_url)).result()
    assert not errors
    assert {"conv_sh", "conv_sw", "conv_padding", "conv_dil"} <= fragments.keys()  # the layer's controls
    assert "conv_k" in keys and "conv_k" not in fragments  # the filters are drawn by the full run
    assert status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
