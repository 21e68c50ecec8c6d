"""Browser: the softmax and dropout page in Chromium, opened from the sidebar: it renders whole in both
languages without error elements; huge logits warn, and a confidently wrong prediction's loss is the
engine's (exact, and Keras' clipped one)."""
import numpy as np
import pytest
from playwright.sync_api import expect

from engine.ops import losses
from tests.browser.conftest import screenshot
from tests.browser.helpers import (assert_no_error_elements, assert_page_drawn, choose, metric_value,
                                   open_from_sidebar)
from ui.i18n import translate
from visuals.formulas import fmt

pytestmark = pytest.mark.browser
KEY = "softmax"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_without_errors(page, app_url, lang):
    assert_page_drawn(page, app_url, KEY, lang)  # Plotly charts and canvas tiles, no error element


def test_softmax_huge_logits_warn_and_confident_wrong_is_clipped(page, app_url):
    open_from_sidebar(page, app_url, KEY, "en")
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
