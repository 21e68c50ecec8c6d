"""Browser-test helpers: open a page of the app and wait until Streamlit has finished running.

Streamlit marks its root element with data-test-script-state ('initial', 'running',
'notRunning'); charts first appear as skeletons. A run counter installed in the page counts
transitions to 'notRunning', so a test can wait for the rerun that its own action caused.
"""
from __future__ import annotations

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

RUN_COUNTER_JS = """() => {
  if (window.__convlabRuns !== undefined) return;
  window.__convlabRuns = 0;
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'notRunning') window.__convlabRuns += 1;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""

SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
      && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0;
}"""


def wait_idle(pg: Page, timeout: float = 60_000) -> None:
    """Wait until the current script run has finished and every element has been drawn."""
    pg.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    pg.wait_for_function(SETTLED_JS, timeout=timeout)
    pg.evaluate(RUN_COUNTER_JS)
    pg.wait_for_timeout(250)
    pg.wait_for_function(SETTLED_JS, timeout=timeout)


def runs(pg: Page) -> int:
    """How many script runs have finished since the counter was installed."""
    return pg.evaluate("() => window.__convlabRuns || 0")


def wait_for_rerun(pg: Page, before: int, timeout: float = 60_000) -> None:
    """Wait until a run after `before` has finished and the page has settled."""
    pg.wait_for_function(f"() => (window.__convlabRuns || 0) > {before}", timeout=timeout)
    pg.wait_for_function(SETTLED_JS, timeout=timeout)


def open_app(pg: Page, base_url: str, path: str = "", lang: str = "en") -> None:
    """Navigate to `path` of the app in `lang` and wait for it."""
    pg.goto(f"{base_url}/{path}?lang={lang}")
    wait_idle(pg)
    close_page_not_found(pg)


def close_page_not_found(pg: Page) -> None:
    """Dismiss Streamlit's 'Page not found' modal, which its first session on a fresh server
    shows for a non-default URL although the right page runs (streamlit issue 9992)."""
    dialog = pg.locator('[role="dialog"]')
    if dialog.count():
        pg.keyboard.press("Escape")
        dialog.wait_for(state="detached", timeout=5_000)


def assert_no_error_elements(pg: Page) -> None:
    """No Streamlit exception box and no error alert is on the page."""
    expect(pg.locator('[data-testid="stException"]')).to_have_count(0)
    expect(pg.locator('[data-testid="stAlertContentError"]')).to_have_count(0)


def choose(pg: Page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label` and wait for the rerun."""
    before = runs(pg)
    box = pg.get_by_role("combobox", name=label)
    box.click()
    box.fill(option)  # filters a long (virtualised) option list down to the one wanted
    pg.get_by_role("option", name=option, exact=True).click()
    wait_for_rerun(pg, before)


def click_text(pg: Page, text: str) -> None:
    """Click the element showing exactly `text` (a radio option, a tab) and wait for the rerun."""
    before = runs(pg)
    target = pg.get_by_text(text, exact=True).first
    target.click()
    try:
        wait_for_rerun(pg, before, timeout=15_000)
    except PlaywrightTimeout:
        # on a loaded machine a click can land while the page redraws and get lost; clicking a
        # radio option or a tab again is harmless (it is already chosen if the first click counted)
        if runs(pg) == before:
            target.click()
        wait_for_rerun(pg, before)


def press_slider(pg: Page, label: str, key: str, times: int = 1) -> None:
    """Move the slider labelled `label` with the keyboard, waiting for each rerun."""
    slider = pg.get_by_role("slider", name=label)
    for _ in range(times):
        wait_idle(pg)
        before, value = runs(pg), slider.input_value()
        slider.press(key)
        try:
            wait_for_rerun(pg, before, timeout=15_000)
        except PlaywrightTimeout:
            # On a loaded machine a key press can land while the slider is being redrawn and
            # get lost; press again only if the value really did not move.
            if slider.input_value() == value:
                slider.press(key)
            wait_for_rerun(pg, before)
