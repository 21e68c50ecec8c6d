"""Browser: the pooling, forward-pass, softmax/dropout and Harris pages in Chromium: each renders
without error elements in both languages, and a control drives an update whose number is
checked against the engine."""
import numpy as np
import pytest
from playwright.sync_api import expect

from engine.data import datasets
from engine.lessons import forward
from engine.ops import harris, losses
from tests.browser.conftest import screenshot
from tests.browser.helpers import (assert_no_error_elements, choose, click_text, open_app, runs,
                                   wait_for_rerun)
from ui.i18n import translate
from ui.registry import PLANNED
from visuals.formulas import fmt

pytestmark = pytest.mark.browser
PAGES = {p.key: p.url_path for p in PLANNED if p.key in ("pool", "forward", "softmax", "harris")}


def open_page(page, app_url, key: str, lang: str) -> None:
    """Open a lesson page from home through the sidebar link, as a student does."""
    open_app(page, app_url, "", lang)
    before = runs(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text(translate(lang, f"{key}.title"), exact=True).click()
    wait_for_rerun(page, before)
    expect(page.get_by_role("heading", name=translate(lang, f"{key}.heading"), exact=True)).to_be_visible()
    assert PAGES[key] in page.url


def metric_value(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').first.inner_text().strip()


def codes(page) -> str:
    return "\n".join(page.locator('[data-testid="stCode"]').all_inner_texts())


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("key", list(PAGES))
def test_page_renders_without_errors(page, app_url, key, lang):
    open_page(page, app_url, key, lang)
    assert page.locator(".js-plotly-plot, .convlab-tiles").count() >= 3  # Plotly charts and canvas tiles
    assert_no_error_elements(page)
    screenshot(page, f"{PAGES[key]}-{lang}")


def test_pooling_course_example_then_average(page, app_url):
    open_page(page, app_url, "pool", "en")
    assert "max(1, 1, 5, 6) = 6" in codes(page)
    expect(page.locator(".js-plotly-plot").filter(has_text="8").first).to_be_visible()
    click_text(page, translate("en", "pool.modes.avg"))
    expect(page.locator('[data-testid="stCode"]').first).to_contain_text("(1 + 1 + 5 + 6) / 4 = 13 / 4 = 3.25")
    choose(page, translate("en", "pool.grid"), translate("en", "pool.grids.gap6"))
    click_text(page, translate("en", "pool.modes.global_avg"))
    assert metric_value(page, translate("en", "pool.global_result_avg")) == "2"
    assert_no_error_elements(page)
    screenshot(page, "pooling-gap6-en")


def test_forward_softmax_cell_is_the_engines(page, app_url):
    open_page(page, app_url, "forward", "ko")
    digits, labels = datasets.mnist_subset()
    base = forward.handmade_steps((28, 28, 1), 10)
    step = forward.template_dense(forward.features_before_dense(digits[::5], base), labels[::5], 10)
    stages = forward.run(digits[3500].astype(np.float64), forward.handmade_steps((28, 28, 1), 10, step))
    top = int(np.argmax(stages[-1].values))
    assert metric_value(page, translate("ko", "forward.predicted")) == str(top)
    stage_label = f"7. {translate('ko', 'forward.kinds.softmax')} · (10,)"
    choose(page, translate("ko", "forward.stage"), stage_label)
    expect(page.locator('[data-testid="stCode"]').first).to_contain_text(
        f"= {fmt(stages[-1].values[top])}")
    assert_no_error_elements(page)
    screenshot(page, "forward-softmax-ko")


def test_softmax_huge_logits_warn_and_confident_wrong_is_clipped(page, app_url):
    open_page(page, app_url, "softmax", "en")
    choose(page, translate("en", "softmax.preset"), translate("en", "softmax.presets.huge"))
    expect(page.locator('[data-testid="stAlertContentWarning"]')).to_contain_text("709.78")
    choose(page, translate("en", "softmax.preset"), translate("en", "softmax.presets.confident_wrong"))
    detail = losses.cross_entropy_detail(np.array([0.0, 30.0, 0.0, 0.0]), 0)
    clipped = losses.cross_entropy_detail(detail.probs, 0, from_logits=False)
    expect(page.locator('[data-testid="stMetric"]').filter(has_text=translate("en", "softmax.loss_exact"))
           .locator('[data-testid="stMetricValue"]')).to_have_text(fmt(detail.loss_exact))
    assert metric_value(page, translate("en", "softmax.loss_keras_after_softmax")) == fmt(clipped.loss_keras)
    assert_no_error_elements(page)
    screenshot(page, "softmax-confident-wrong-en")


def test_harris_edge_pixel_and_corner_count(page, app_url):
    open_page(page, app_url, "harris", "en")
    result = harris.harris(harris.demo_image("square", 32), min_distance=3)
    assert metric_value(page, translate("en", "harris.corners_found")) == str(len(result.corners))
    click_text(page, translate("en", "harris.points.edge"))
    expect(page.locator('[data-testid="stMetric"]').filter(has_text=translate("en", "harris.kind"))
           .locator('[data-testid="stMetricValue"]')).to_have_text(translate("en", "harris.kinds.edge"))
    row, col = harris.example_points(result)["edge"]
    point = harris.harris_at(result.tensor, result.r, result.kinds, row, col, 0.05)
    assert metric_value(page, translate("en", "harris.response")) == fmt(point.r)
    assert_no_error_elements(page)
