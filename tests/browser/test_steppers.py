"""Browser: the window steppers. Moving the position slider shows the next window's numbers
(from the engine's traces), on the pooling page and on the convolution page."""
import pytest
from playwright.sync_api import expect

from engine.data import datasets
from engine.ops import conv, kernels
from tests.browser.helpers import assert_no_error_elements, choose, click_text, open_app, press_slider
from ui.i18n import translate
from ui.registry import LESSONS

pytestmark = pytest.mark.browser


def url(key: str) -> str:
    return next(p.url_path for p in LESSONS if p.key == key)


def first_code(page):
    return page.locator('[data-testid="stCode"]').first


def test_pooling_stepper_moves_to_the_next_window(page, app_url):
    open_app(page, app_url, url("pool"), "en")
    expect(first_code(page)).to_contain_text("max(1, 1, 5, 6) = 6")
    press_slider(page, translate("en", "pool.position"), "ArrowRight")
    expect(first_code(page)).to_contain_text("max(2, 4, 7, 8) = 8")
    press_slider(page, translate("en", "pool.position"), "ArrowRight")
    expect(first_code(page)).to_contain_text("max(3, 2, 1, 2) = 3")
    assert_no_error_elements(page)


def test_conv_stepper_products_follow_the_position(page, app_url):
    open_app(page, app_url, url("conv"), "en")
    click_text(page, translate("en", "conv.sources.grid"))
    choose(page, translate("en", "conv.preset"), translate("en", "presets.box_blur"))
    grid = datasets.GRIDS["grid5"][..., None]
    weights = kernels.preset_kernel("box_blur", 3)[..., None, None]
    for step, (row, col) in enumerate([(0, 0), (0, 1), (0, 2), (1, 0)]):
        if step:
            press_slider(page, translate("en", "conv.position"), "ArrowRight")
        expected = conv.conv_trace(grid, weights, row=row, col=col).result
        expect(first_code(page)).to_contain_text(f"= {round(expected, 4):g}".rstrip("0").rstrip("."))
    assert_no_error_elements(page)
