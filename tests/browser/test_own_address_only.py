"""Browser: plotly.js comes from the app itself (ui.live_chart). The walk through every page that
checks no request leaves the app's own address is in tests/browser/test_korean_widgets.py (one walk
for both checks)."""
import pytest

from tests.browser.helpers import open_app

pytestmark = pytest.mark.browser


def test_plotly_js_comes_from_the_app(page, app_url):
    served = []
    page.on("response", lambda response: served.append((response.url, response.status)))
    open_app(page, app_url, "optimizer-lab", "en")
    page.locator(".convlab-live-chart.js-plotly-plot").first.wait_for()
    assert any(url.endswith("/app/static/plotly.min.js") and status == 200 for url, status in served)
