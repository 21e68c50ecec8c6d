"""Browser: the architectures explorer in Chromium renders without error elements in Korean, a
new network and a smaller input update the totals and the table to the engine's numbers, and the
block diagram draws the engine's tensor shapes."""
import pytest
from playwright.sync_api import expect

from engine.shapes import architectures as A
from tests.browser.conftest import screenshot
from tests.browser.helpers import assert_no_error_elements, choose, open_app, press_slider, wait_idle
from ui.i18n import translate
from ui.registry import PLANNED

pytestmark = pytest.mark.browser
URL = next(p.url_path for p in PLANNED if p.key == "arch")


def metric_value(page, label: str) -> str:
    """The first metric whose label contains `label` (the total comes before trainable ones)."""
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').first.inner_text().strip()


def test_network_and_input_size_update_the_numbers(page, app_url):
    lang = "ko"
    open_app(page, app_url, URL, lang)
    expect(page.get_by_role("heading", name=translate(lang, "arch.heading"), exact=True)).to_be_visible()
    assert_no_error_elements(page)
    params = translate(lang, "arch.total_params")
    assert metric_value(page, params) == f"{A.build('alexnet').totals()[0]:,}"
    choose(page, translate(lang, "arch.model"), translate(lang, "arch.models.vgg16"))
    assert metric_value(page, params) == f"{A.build('vgg16').totals()[0]:,}"
    press_slider(page, translate(lang, "arch.size"), "ArrowLeft", times=2)
    vgg = A.build("vgg16", 222)
    expect(page.locator('[data-testid="stMetric"]').filter(has_text=params)
           .locator('[data-testid="stMetricValue"]').first).to_have_text(f"{vgg.totals()[0]:,}")
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    assert_no_error_elements(page)
    screenshot(page, "architectures-vgg16-222-ko")


def test_residual_block_diagram_shows_the_shapes(page, app_url):
    open_app(page, app_url, URL, "en")
    page.get_by_role("tab", name=translate("en", "arch.tab_blocks")).click()
    wait_idle(page)
    choose(page, translate("en", "arch.block"), "inception_4a")
    plot = page.locator(".js-plotly-plot").first
    g = A.build("googlenet")
    for text in ("14×14×480", diagrams_shape(g["inception_4a_5x5"].shape)):
        expect(plot).to_contain_text(text)
    assert_no_error_elements(page)
    screenshot(page, "architectures-inception-en")


def diagrams_shape(shape) -> str:
    return "×".join(map(str, shape))
