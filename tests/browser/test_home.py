"""Browser: the home page renders in Chromium in both languages, and the switch persists."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.helpers import assert_no_error_elements, open_app, wait_idle
from ui.i18n import translate

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_home_renders_without_errors(page, app_url, lang):
    open_app(page, app_url, "", lang)
    expect(page.get_by_role("heading", name=translate(lang, "home.heading"))).to_be_visible()
    assert_no_error_elements(page)
    screenshot(page, f"home-{lang}")


def test_language_switch_persists_after_reload(page, app_url):
    open_app(page, app_url, "", "en")
    page.get_by_text("한국어", exact=True).click()
    wait_idle(page)
    expect(page.get_by_role("heading", name=translate("ko", "home.heading"))).to_be_visible()
    assert "lang=ko" in page.url
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name=translate("ko", "home.heading"))).to_be_visible()
