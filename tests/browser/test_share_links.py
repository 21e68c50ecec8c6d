"""Browser: a teacher's share link. The Share popover shows a link with the page's settings;
opening it in another browser context (a student) restores those settings and the language."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.helpers import (assert_no_error_elements, click_text, goto, open_app, press_slider,
                                   wait_idle)
from ui.i18n import translate

pytestmark = pytest.mark.browser


def shared_link(page) -> str:
    page.get_by_role("button", name=translate("ko", "share.button")).click()
    code = page.locator('[data-testid="stPopoverBody"] [data-testid="stCode"]')
    expect(code).to_contain_text("?lang=")
    return code.inner_text().strip()


def test_pooling_link_opens_with_the_teachers_settings(page, app_url, browser):
    open_app(page, app_url, "pooling-layers", "ko")
    click_text(page, translate("ko", "pool.modes.avg"))
    press_slider(page, translate("ko", "pool.pool_size"), "ArrowRight")
    link = shared_link(page)
    screenshot(page, "share-popover-ko")
    assert link.startswith(app_url + "/pooling-layers?lang=ko")
    assert "pool_mode=avg" in link and "pool_size=3" in link
    student = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    goto(student, link)
    wait_idle(student)
    expect(student.get_by_role("heading", name=translate("ko", "pool.heading"))).to_be_visible()
    expect(student.get_by_role("slider", name=translate("ko", "pool.pool_size"))).to_have_value("3")
    expect(student.get_by_role("radio", name=translate("ko", "pool.modes.avg"), exact=True)).to_be_checked()
    assert_no_error_elements(student)
    student.context.close()


def test_tampered_link_shows_a_notice_and_the_defaults(page, app_url):
    goto(page, f"{app_url}/pooling-layers?lang=en&pool_size=999&pool_stride=1")
    wait_idle(page)
    expect(page.locator('[data-testid="stAlertContentWarning"]')).to_contain_text("pool_size")
    expect(page.get_by_role("slider", name=translate("en", "pool.pool_size"))).to_have_value("2")
    expect(page.get_by_role("slider", name=translate("en", "pool.stride"))).to_have_value("1")


def test_conv_link_follows_a_stride_change_made_inside_the_pages_fragment(page, app_url):
    """Stride reruns only the conv page's fragment; the link (drawn by that fragment) must follow."""
    open_app(page, app_url, "convolution", "ko")
    press_slider(page, translate("ko", "conv.stride_h"), "ArrowRight")
    press_slider(page, translate("ko", "conv.dilation"), "ArrowRight")
    link = shared_link(page)
    assert "conv_sh=2" in link and "conv_dil=2" in link
    page.keyboard.press("Escape")
    student = page.context.browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    goto(student, link)
    wait_idle(student)
    expect(student.get_by_role("slider", name=translate("ko", "conv.stride_h"))).to_have_value("2")
    expect(student.get_by_role("slider", name=translate("ko", "conv.dilation"))).to_have_value("2")
    assert_no_error_elements(student)
    student.context.close()
