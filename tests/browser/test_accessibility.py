"""Browser: keyboard-only use, every page on a phone-wide screen, and presentation mode in Chromium.

Screenshots land in artifacts/screenshots/ (phone-<page>.png, present-*.png) for a person to look at.
"""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM_ARGS, chromium_path, screenshot
from tests.browser.helpers import (assert_no_error_elements, close_page_not_found, goto, open_app, runs,
                                   wait_for_rerun, wait_idle)
from ui.i18n import translate
from ui.registry import all_pages

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}

OVERFLOW_JS = """() => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  const limit = window.innerWidth + 1;
  const scrolls = el => el.closest('[data-testid="stDataFrame"], [data-testid="stCode"], .katex-display, '
                                   + '.katex-mathml, [role="tablist"], svg');  // scroll, clip or are hidden
  const hidden = el => { const s = getComputedStyle(el); return s.position === 'fixed' || s.clipPath === 'inset(50%)'
                                                                  || el.type === 'range'; };
  const wide = [...main.querySelectorAll('*')].filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 2 && box.right > limit && !scrolls(el) && !hidden(el);
  });
  const name = el => (el.getAttribute('data-testid') || el.tagName) + ' "' + (el.innerText || el.value || '').slice(0, 30)
                     + '" ' + Math.round(el.getBoundingClientRect().right);
  return {page: document.documentElement.scrollWidth, main: main.scrollWidth, view: window.innerWidth,
          wide: wide.slice(0, 6).map(name)};
}"""
TALL_JS = "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"


@pytest.fixture(scope="module")
def phone_browser(browser):
    """A Chromium of its own for the phone pages: after mobile, touch contexts had run in the shared
    browser, later desktop tests in it lost clicks (seen in the full suite, not understood yet)."""
    own = browser.browser_type.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield own
    own.close()


@pytest.fixture
def phone(phone_browser):
    context = phone_browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True,
                                        locale="ko-KR")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def focus_by_tab(pg, target, key: str = "Tab", limit: int = 80) -> int:
    """Press Tab (or Shift+Tab) until `target` has the keyboard focus; returns how many presses it took."""
    handle = target.element_handle()
    for presses in range(1, limit + 1):
        pg.keyboard.press(key)
        if pg.evaluate("el => el === document.activeElement || el.contains(document.activeElement)", handle):
            return presses
    raise AssertionError("Tab never reached the control")


def test_keyboard_only_moves_a_slider_and_picks_a_radio_option(page, app_url):
    open_app(page, app_url, "pooling-layers", "en")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # tab from the top
    slider = page.get_by_role("slider", name=translate("en", "pool.pool_size"))
    assert focus_by_tab(page, slider) > 1
    before = runs(page)
    page.keyboard.press("ArrowRight")
    wait_for_rerun(page, before)
    expect(slider).to_have_value("3")
    group = page.locator('[data-testid="stRadio"]').filter(has=page.get_by_text(translate("en", "pool.mode"),
                                                                              exact=True))
    focus_by_tab(page, group.locator("input[type=radio]:checked"), "Shift+Tab")  # the mode is above
    before = runs(page)
    page.keyboard.press("ArrowDown")
    wait_for_rerun(page, before)
    expect(group.get_by_role("radio", name=translate("en", "pool.modes.avg"), exact=True)).to_be_checked()
    expect(page.locator('[data-testid="stCode"]').first).to_contain_text("/ 9 =")
    assert_no_error_elements(page)


@pytest.mark.parametrize("info", all_pages(), ids=lambda p: p.url_path)
def test_every_page_fits_a_phone(phone, app_url, info):
    open_app(phone, app_url, info.url_path, "ko")
    expect(phone.get_by_role("heading", name=translate("ko", f"{info.key}.heading"), exact=True)).to_be_visible()
    phone.set_viewport_size({"width": PHONE["width"], "height": min(int(phone.evaluate(TALL_JS)), 8000)})
    phone.wait_for_timeout(800)  # the whole page in one screenshot; charts settle their width
    sizes = phone.evaluate(OVERFLOW_JS)
    screenshot(phone, f"phone-{info.url_path}")
    assert sizes["page"] <= sizes["view"] + 1, sizes
    assert sizes["main"] <= sizes["view"] + 1 and not sizes["wide"], sizes
    assert_no_error_elements(phone)


def test_presentation_mode_from_the_address_enlarges_text(page, app_url):
    goto(page, f"{app_url}/convolution?lang=en&present=1")
    wait_idle(page)
    close_page_not_found(page)
    toggle = page.get_by_role("switch", name=translate("en", "a11y.present_mode"))
    expect(toggle).to_be_checked()
    heading = page.get_by_role("heading", name=translate("en", "conv.heading"), exact=True)
    size = float(heading.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    label = page.locator('[data-testid="stWidgetLabel"] p').first
    assert size >= 48 and float(label.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 20
    screenshot(page, "present-convolution-en")
    before = runs(page)
    toggle.focus()
    page.keyboard.press("Space")  # off again, by keyboard: the normal sizes come back
    wait_for_rerun(page, before)
    assert float(heading.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) < size
    assert_no_error_elements(page)


def test_a_tapped_grid_editors_toolbar_leaves_the_control_above_it_visible(phone, app_url):
    open_app(phone, app_url, "pooling-layers", "ko")
    editor = phone.locator('[data-testid="stDataFrame"]').first
    editor.tap()
    toolbar = phone.locator('[data-testid="stElementToolbar"]').first
    expect(toolbar).to_be_visible()
    grid_choice = phone.get_by_role("combobox", name=translate("ko", "pool.grid"))
    assert toolbar.bounding_box()["y"] >= grid_choice.bounding_box()["y"] + grid_choice.bounding_box()["height"]
