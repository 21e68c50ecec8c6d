"""Browser: the transfer-learning page in Chromium, reached through the sidebar. With the smallest
settings the comparison runs end to end in both languages: progress, then the side-by-side accuracy
curves, the parameter/time table and the three methods' scores, with no error element."""
import re

import pytest
from playwright.sync_api import expect

from engine.learn import transfer
from tests.browser.conftest import screenshot
from tests.browser.helpers import assert_no_error_elements, assert_renders_in, open_app, press_slider, wait_idle
from ui.i18n import translate

pytestmark = pytest.mark.browser
RUN_TIMEOUT = 240_000  # the first run on a fresh server also imports TensorFlow
SMALLEST = ("transfer.per_class", "transfer.epochs", "transfer.source_per_class", "transfer.pretrain_epochs")


def open_transfer(page, app_url, lang):
    """Home first, then the sidebar link, as a student would."""
    open_app(page, app_url, "", lang)
    page.get_by_role("link", name=translate(lang, "transfer.title")).first.click()
    assert_renders_in(page, lang, "transfer", timeout=30_000)  # waits until the page has settled


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_smallest_comparison_end_to_end(page, app_url, lang):
    open_transfer(page, app_url, lang)
    assert_no_error_elements(page)
    for key in SMALLEST:
        press_slider(page, translate(lang, key), "Home")
    page.get_by_role("button", name=translate(lang, "transfer.run")).click()
    expect(page.locator('[data-testid="stProgress"]')).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name=translate(lang, "transfer.results_heading"))).to_be_visible(
        timeout=RUN_TIMEOUT)
    wait_idle(page)
    curves = page.locator(".js-plotly-plot").filter(has_text=translate(lang, "transfer.heldout"))
    expect(curves.first).to_be_visible()
    for method in transfer.METHODS:
        expect(curves.first).to_contain_text(translate(lang, f"transfer.methods.{method}"))
        box = page.locator('[data-testid="stMetric"]').filter(has_text=translate(lang, f"transfer.methods.{method}"))
        expect(box.first.locator('[data-testid="stMetricValue"]')).to_have_text(re.compile(r"\d+\.\d%"))
    table = page.locator('[data-testid="stDataFrame"]')
    expect(table).to_be_visible()
    expect(table).to_contain_text(translate(lang, "transfer.col_frozen"))
    assert_no_error_elements(page)
    page.set_viewport_size({"width": 1440, "height": 3200})
    page.wait_for_timeout(1000)
    screenshot(page, f"transfer-done-{lang}")
