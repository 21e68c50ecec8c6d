"""Browser: a walk through every page asks nothing of any host but the app's own address (the tab
icon, fonts, plotly.js and every chart come from the app), so ConvLab works offline and behind a
classroom firewall; and the Plotly charts are drawn by the in-place component (ui.live_chart)."""
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import assert_no_error_elements, open_app
from ui.registry import all_pages

pytestmark = pytest.mark.browser


def test_every_page_requests_only_the_apps_own_address(page, app_url):
    own = urlsplit(app_url).netloc
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    for info in all_pages():
        open_app(page, app_url, info.url_path, "ko")
        assert_no_error_elements(page)
    outside = [url for url in asked
               if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != own]
    assert len(asked) > 20  # the walk really loaded the pages
    assert outside == []


def test_plotly_js_comes_from_the_app(page, app_url):
    served = []
    page.on("response", lambda response: served.append((response.url, response.status)))
    open_app(page, app_url, "optimizer-lab", "en")
    page.locator(".convlab-live-chart.js-plotly-plot").first.wait_for()
    assert any(url.endswith("/app/static/plotly.min.js") and status == 200 for url, status in served)
