"""Browser: the forward-pass page in Chromium, opened from the sidebar: it renders whole in both
languages without error elements, and its softmax stage shows the engine's number."""
import numpy as np
import pytest
from playwright.sync_api import expect

from engine.data import datasets
from engine.lessons import forward
from tests.browser.conftest import screenshot
from tests.browser.helpers import (assert_no_error_elements, assert_page_drawn, choose, metric_value,
                                   open_from_sidebar)
from ui.i18n import translate
from visuals.formulas import fmt

pytestmark = pytest.mark.browser
KEY = "forward"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_without_errors(page, app_url, lang):
    assert_page_drawn(page, app_url, KEY, lang)  # Plotly charts and canvas tiles, no error element


def test_forward_softmax_cell_is_the_engines(page, app_url):
    open_from_sidebar(page, app_url, KEY, "ko")
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
