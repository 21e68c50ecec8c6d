"""Browser: the home page renders in Chromium in both languages, and the switch persists."""
import pytest

from tests.app.helpers import assert_text_in, title_in
from tests.browser.conftest import screenshot
from tests.browser.helpers import assert_no_error_elements, assert_renders_in, open_app, wait_idle

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_home_renders_without_errors(page, app_url, lang):
    open_app(page, app_url, "", lang)
    assert_renders_in(page, lang, "home")
    assert_no_error_elements(page)
    screenshot(page, f"home-{lang}")


def test_the_language_check_fails_on_the_other_language(page, app_url):
    open_app(page, app_url, "", "en")
    with pytest.raises(AssertionError):
        assert_renders_in(page, "ko", "home", timeout=2_000)
    with pytest.raises(AssertionError):  # the English page's text, title left out, has no Hangul
        assert_text_in("ko", page.locator('[data-testid="stMain"]').inner_text().replace(title_in("en", "home"), ""))


def test_language_switch_persists_after_reload(page, app_url):
    open_app(page, app_url, "", "en")
    page.get_by_text("한국어", exact=True).click()
    wait_idle(page)
    assert_renders_in(page, "ko", "home")
    assert "lang=ko" in page.url
    page.reload()
    wait_idle(page)
    assert_renders_in(page, "ko", "home")
