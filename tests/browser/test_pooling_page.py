"""Browser: the pooling page in Chromium, opened from the sidebar: it renders whole in both languages
without error elements, and its controls (mode, grid) drive updates whose numbers are the engine's."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.helpers import (assert_no_error_elements, assert_page_drawn, choose, click_text,
                                   metric_value, open_from_sidebar)
from ui.i18n import translate

pytestmark = pytest.mark.browser
KEY = "pool"


def codes(page) -> str:
    return "\n".join(page.locator('[data-testid="stCode"]').all_inner_texts())


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_without_errors(page, app_url, lang):
    assert_page_drawn(page, app_url, KEY, lang)  # Plotly charts and canvas tiles, no error element


def test_pooling_course_example_then_average(page, app_url):
    open_from_sidebar(page, app_url, KEY, "en")
    assert "max(1, 1, 5, 6) = 6" in codes(page)
    expect(page.locator(".js-plotly-plot").filter(has_text="8").first).to_be_visible()
    click_text(page, translate("en", "pool.modes.avg"))
    expect(page.locator('[data-testid="stCode"]').first).to_contain_text("(1 + 1 + 5 + 6) / 4 = 13 / 4 = 3.25")
    choose(page, translate("en", "pool.grid"), translate("en", "pool.grids.gap6"))
    click_text(page, translate("en", "pool.modes.global_avg"))
    assert metric_value(page, translate("en", "pool.global_result_avg")) == "2"
    assert_no_error_elements(page)
    screenshot(page, "pooling-gap6-en")
