"""Browser: the Harris (hand-made features) page in Chromium, opened from the sidebar: it renders whole
in both languages without error elements; its corner count and an edge pixel's kind and response are
the engine's."""
import pytest
from playwright.sync_api import expect

from engine.ops import harris
from tests.browser.helpers import (assert_no_error_elements, assert_page_drawn, click_text, metric_value,
                                   open_from_sidebar)
from ui.i18n import translate
from visuals.formulas import fmt

pytestmark = pytest.mark.browser
KEY = "harris"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_without_errors(page, app_url, lang):
    assert_page_drawn(page, app_url, KEY, lang)  # Plotly charts and canvas tiles, no error element


def test_harris_edge_pixel_and_corner_count(page, app_url):
    open_from_sidebar(page, app_url, KEY, "en")
    result = harris.harris(harris.demo_image("square", 32), min_distance=3)
    assert metric_value(page, translate("en", "harris.corners_found")) == str(len(result.corners))
    click_text(page, translate("en", "harris.points.edge"))
    expect(page.locator('[data-testid="stMetric"]').filter(has_text=translate("en", "harris.kind"))
           .locator('[data-testid="stMetricValue"]')).to_have_text(translate("en", "harris.kinds.edge"))
    row, col = harris.example_points(result)["edge"]
    point = harris.harris_at(result.tensor, result.r, result.kinds, row, col, 0.05)
    assert metric_value(page, translate("en", "harris.response")) == fmt(point.r)
    assert_no_error_elements(page)
