"""Browser: a walk through every Korean page finds no request off the app's address; on a Korean
page, Streamlit's own widget texts are Korean too (ui.widget_texts): the file
uploader's button and size limit, the data editor's tool bar, the selectbox placeholder, the number
input's buttons, the heading links. An English page keeps Streamlit's English texts, and switching
the language back and forth swaps them."""
import re
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import assert_no_error_elements, click_text, open_app, wait_idle
from ui import i18n
from ui.registry import all_pages

pytestmark = pytest.mark.browser

ENGLISH = i18n.catalog("en")
STREAMLIT_TEXTS = {ENGLISH[key] for key in ENGLISH if key.startswith("st_widgets.")}
PER_FILE = re.compile(r"\d+(\.\d+)?\s*[KMG]?B per file")

# Every text node (outside charts and formulas) and every aria-label, title and placeholder.
SHOWN_JS = """() => {
  const shown = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('.js-plotly-plot, .katex, script, style, noscript')) continue;
    const text = node.nodeValue.trim();
    if (text) shown.push(text);
  }
  for (const element of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
    if (element.closest('.js-plotly-plot')) continue;
    for (const name of ['aria-label', 'title', 'placeholder']) {
      const value = element.getAttribute(name);
      if (value) shown.push(value.trim());
    }
  }
  return shown;
}"""


def streamlit_english(page) -> list[str]:
    """Streamlit's English texts shown on a page that is Korean."""
    page.wait_for_function("() => document.documentElement.dataset.widgetTexts === 'ko'")
    return [text for text in page.evaluate(SHOWN_JS) if text in STREAMLIT_TEXTS or PER_FILE.search(text)]


def test_a_walk_through_every_korean_page(page, app_url):
    """Every page, in Korean: none of Streamlit's English texts, no error, and nothing asked of any
    host but the app's own address (the tab icon, fonts, plotly.js and every chart come from the app,
    so ConvLab works offline and behind a classroom firewall)."""
    own = urlsplit(app_url).netloc
    asked, found = [], {}
    page.on("request", lambda request: asked.append(request.url))
    for info in all_pages():
        open_app(page, app_url, info.url_path, "ko")
        assert_no_error_elements(page)
        english = streamlit_english(page)
        if english:
            found[info.url_path] = sorted(set(english))
    assert found == {}
    outside = [url for url in asked
               if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != own]
    assert len(asked) > 20  # the walk really loaded the pages
    assert outside == []


def test_english_page_keeps_streamlits_texts_and_the_switch_swaps_them(page, app_url):
    open_app(page, app_url, "training-studio", "en")
    uploader = page.locator('[data-testid="stFileUploader"]').first
    assert "Upload" in uploader.inner_text()
    assert PER_FILE.search(uploader.inner_text())

    click_text(page, "한국어")
    wait_idle(page)
    assert streamlit_english(page) == []
    text = page.locator('[data-testid="stFileUploader"]').first.inner_text()
    assert "업로드" in text and "파일당 최대" in text

    click_text(page, "English")
    page.wait_for_function("() => document.documentElement.dataset.widgetTexts === 'en'")
    text = page.locator('[data-testid="stFileUploader"]').first.inner_text()
    assert "Upload" in text and PER_FILE.search(text)


def test_a_choice_survives_the_language_switch(page, app_url):
    """A radio sends back its option's shown text; after a switch that text is the other language's."""
    average = {lang: i18n.translate(lang, "pool.modes.avg") for lang in ("en", "ko")}
    open_app(page, app_url, "pooling-layers", "en")
    click_text(page, average["en"])
    click_text(page, "한국어")
    wait_idle(page)
    assert page.get_by_role("radio", name=average["ko"], exact=True).is_checked()
    click_text(page, "English")
    wait_idle(page)
    assert page.get_by_role("radio", name=average["en"], exact=True).is_checked()
    assert page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count() == 0
