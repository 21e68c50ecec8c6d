"""Browser-test helpers: open a page of the app and wait until Streamlit has finished running.

Streamlit marks its root element with data-test-script-state ('initial', 'running',
'notRunning'); charts first appear as skeletons. A run tracker installed in the page before the
app's scripts counts the runs the server reports finished, so a test can wait for the rerun that
its own action caused. `open_in` / `assert_renders_in` check that a page is shown whole in one
language (the browser side of tests/app/helpers.assert_renders_in).
"""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.app.helpers import assert_text_in, title_in
from ui.i18n import translate
from ui.registry import all_pages

# Installed before the app's own scripts (Page.add_init_script): counts the script runs the server
# reports finished, read from the websocket itself. A counter on the DOM's script-state attribute
# missed runs: when a loaded browser handles a run's first and last messages in one task, React
# renders once and the attribute never leaves 'notRunning'. It also notes when the page last
# changed, so a test can wait until the finished run has been drawn.
RUN_TRACKER_JS = """(() => {
  if (window.__convlabRuns !== undefined) return;
  window.__convlabRuns = 0;
  window.__convlabLastChange = performance.now();
  // ForwardMsg.script_finished is field 6, a varint; statuses 0, 1 and 3 end a run (2 means
  // "stopped early for a rerun", which another run follows)
  const finishedStatus = (bytes) => {
    let i = 0;
    const varint = () => {
      let value = 0, scale = 1, b;
      do { b = bytes[i++]; value += (b & 0x7f) * scale; scale *= 128; } while (b & 0x80 && i < bytes.length);
      return value;
    };
    while (i < bytes.length) {
      const tag = varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) { const v = varint(); if (field === 6) return v; }
      else if (wire === 2) { const length = varint(); i += length; }  // not `i += varint()`: that reads i first
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return -1;
    }
    return -1;
  };
  const count = (buffer) => {
    const status = finishedStatus(new Uint8Array(buffer));
    if (status === 0 || status === 1 || status === 3) window.__convlabRuns += 1;
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (event.data instanceof ArrayBuffer) count(event.data);
        else if (event.data instanceof Blob) event.data.arrayBuffer().then(count);
      });
    }
  };
  const watch = () => new MutationObserver(() => { window.__convlabLastChange = performance.now(); })
    .observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
  if (document.documentElement) watch(); else document.addEventListener('DOMContentLoaded', watch);
})()"""

QUIET_MS = 150  # the page counts as drawn once nothing in it has changed for this long
# ... and every Plotly chart (ui.live_chart) has drawn its newest figure: plotly.js loads as a
# script of its own, during which the page does not change

SETTLED_JS = f"""() => {{
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
      && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
      && document.querySelectorAll('.convlab-live-chart[data-pending]').length === 0
      && performance.now() - window.__convlabLastChange > {QUIET_MS};
}}"""


def goto(pg: Page, url: str):
    """Navigate to `url` with the run tracker installed (see RUN_TRACKER_JS)."""
    if not getattr(pg, "_convlab_tracked", False):
        pg.add_init_script(RUN_TRACKER_JS)
        pg._convlab_tracked = True
    return pg.goto(url)


def wait_idle(pg: Page, timeout: float = 60_000) -> None:
    """Wait until the current script run has finished and every element has been drawn."""
    pg.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    if pg.evaluate("() => window.__convlabRuns === undefined"):
        raise AssertionError("open pages with helpers.goto or open_app, which install the run tracker")
    pg.wait_for_function(SETTLED_JS, timeout=timeout)


def runs(pg: Page) -> int:
    """How many script runs the server has reported finished since the page was loaded."""
    return pg.evaluate("() => window.__convlabRuns")


def wait_for_rerun(pg: Page, before: int, timeout: float = 60_000) -> None:
    """Wait until a run after `before` has finished and the page has settled."""
    pg.wait_for_function(f"() => window.__convlabRuns > {before}", timeout=timeout)
    pg.wait_for_function(SETTLED_JS, timeout=timeout)


def open_app(pg: Page, base_url: str, path: str = "", lang: str = "en") -> None:
    """Navigate to `path` of the app in `lang` and wait for it."""
    goto(pg, f"{base_url}/{path}?lang={lang}")
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
    pg.get_by_text(text, exact=True).first.click()
    wait_for_rerun(pg, before)


def press_slider(pg: Page, label: str, key: str, times: int = 1) -> None:
    """Move the slider labelled `label` with the keyboard, waiting for each rerun."""
    slider = pg.get_by_role("slider", name=label)
    for _ in range(times):
        before = runs(pg)
        slider.press(key)
        wait_for_rerun(pg, before)


# ------------------------------------------------------------------ one language, whole


def url_path(key: str) -> str:
    """The URL path of the page with registry key `key` ("conv", "pool", ..., "home")."""
    return next(p.url_path for p in all_pages() if p.key == key)


def assert_renders_in(pg: Page, lang: str, key: str, timeout: float = 30_000) -> None:
    """The open page is page `key` whole in `lang`: its title heading is `title_in(lang, key)`
    (`<key>.heading` in that language, see tests/app/helpers), once the page has settled the rest of
    the main area's text is in `lang` (`assert_text_in`: Hangul in Korean, none in English), and no
    error element is shown."""
    title = title_in(lang, key)
    expect(pg.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=timeout)
    wait_idle(pg, timeout)
    main = pg.locator('[data-testid="stMain"]').inner_text()
    assert title in main
    assert_text_in(lang, main.replace(title, "", 1))
    assert_no_error_elements(pg)


def open_in(pg: Page, base_url: str, key: str, lang: str, timeout: float = 30_000) -> None:
    """Open page `key` by its URL path in `lang` (`open_app`) and check it with `assert_renders_in`."""
    open_app(pg, base_url, url_path(key), lang)
    assert_renders_in(pg, lang, key, timeout)


def open_from_sidebar(pg: Page, base_url: str, key: str, lang: str, timeout: float = 30_000) -> None:
    """Open home in `lang`, then page `key` through its sidebar link, as a student does; check it
    with `assert_renders_in` and that the address is the page's own."""
    open_app(pg, base_url, "", lang)
    before = runs(pg)
    pg.locator('[data-testid="stSidebarNav"]').get_by_text(translate(lang, f"{key}.title"), exact=True).click()
    wait_for_rerun(pg, before, timeout)
    assert_renders_in(pg, lang, key, timeout)
    assert url_path(key) in pg.url


def metric_value(pg: Page, label: str) -> str:
    """The text of the first metric whose label contains `label`."""
    box = pg.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').first.inner_text().strip()


def tall_screenshot(pg: Page, name: str, height: int = 3600, settle_ms: int = 800) -> None:
    """A full-page picture: Streamlit scrolls inside its own container, so grow the window first."""
    from tests.browser.conftest import screenshot

    pg.set_viewport_size({"width": 1440, "height": height})
    pg.wait_for_timeout(settle_ms)
    screenshot(pg, name)


def assert_page_drawn(pg: Page, base_url: str, key: str, lang: str, charts: int = 3) -> None:
    """Page `key` opened from the sidebar in `lang` shows at least `charts` Plotly charts or canvas tile
    grids and no error element; a screenshot of it is saved."""
    from tests.browser.conftest import screenshot

    open_from_sidebar(pg, base_url, key, lang)
    assert pg.locator(".js-plotly-plot, .convlab-tiles").count() >= charts
    assert_no_error_elements(pg)
    screenshot(pg, f"{url_path(key)}-{lang}")
