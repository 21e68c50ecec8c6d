"""Browser: the backpropagation page in Chromium, in Korean and English: it renders with its charts and
formulas and no error element, and its learning-step controls (steps, optimizer) drive updates whose
numbers are the engine's; at phone width it still shows its sections."""
import numpy as np
import pytest
from playwright.sync_api import expect

from engine.data import datasets
from engine.lessons import backprop, forward
from tests.browser.conftest import screenshot
from tests.browser.helpers import assert_no_error_elements, click_text, open_app, open_in, press_slider
from ui.i18n import translate
from ui.registry import LESSONS
from visuals.formulas import fmt

pytestmark = pytest.mark.browser
PATH = next(p.url_path for p in LESSONS if p.key == "bp")


def default_network():
    """The page's default: digit 3500 through the hand-made network with the template dense layer."""
    images, labels = datasets.mnist_subset()
    base = forward.handmade_steps((28, 28, 1), 10)
    dense = forward.template_dense(forward.features_before_dense(images[::5], base), labels[::5], 10)
    return images[3500].astype(np.float64), int(labels[3500]), forward.handmade_steps((28, 28, 1), 10, dense)


def metric_value(page, label):
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').first


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_learning_steps_in_the_browser_show_the_engines_losses(page, app_url, lang):
    open_in(page, app_url, "bp", lang, timeout=30_000)
    assert page.locator(".js-plotly-plot, .convlab-tiles").count() >= 10  # Plotly charts and canvas tiles
    assert page.locator(".katex").count() >= 3
    assert_no_error_elements(page)
    image, label, steps = default_network()
    _, grads = backprop.gradients(image, steps, label)
    expect(metric_value(page, translate(lang, "bp.loss"))).to_have_text(fmt(grads.loss, 4))
    press_slider(page, translate(lang, "bp.steps"), "End")  # 50 steps
    run = backprop.descend(image, steps, label, backprop.optimizer_factory("sgd", 0.01), 50)
    expect(metric_value(page, translate(lang, "bp.loss_after_n", n=50))).to_have_text(fmt(run.losses[-1], 6))
    click_text(page, translate(lang, "bp.optimizers.adam"))
    run = backprop.descend(image, steps, label, backprop.optimizer_factory("adam", 0.01), 50)
    expect(metric_value(page, translate(lang, "bp.loss_after_n", n=50))).to_have_text(fmt(run.losses[-1], 6))
    assert_no_error_elements(page)
    page.set_viewport_size({"width": 1440, "height": 9000})
    page.wait_for_timeout(1000)
    screenshot(page, f"backprop-{lang}")


def test_phone_width_shows_every_section(page, app_url):
    page.set_viewport_size({"width": 390, "height": 844})
    open_app(page, app_url, PATH, "ko")
    for key in ("bp.loss_heading", "bp.stages_heading", "bp.learn_heading", "bp.check_heading"):
        expect(page.get_by_role("heading", name=translate("ko", key))).to_be_attached()
    assert_no_error_elements(page)
    # nothing wider than the screen
    overflow = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollWidth")
    assert overflow <= 390 + 2
