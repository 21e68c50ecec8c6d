"""Browser: the training studio in Chromium. The tiny model trains on shapes end to end (live
curves, then the confusion matrix and the other views), and Stop ends a long run cleanly with
the model kept. Both languages."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.helpers import assert_no_error_elements, open_app, press_slider, wait_idle
from ui.i18n import translate

pytestmark = pytest.mark.browser
TRAIN_TIMEOUT = 180_000  # the first run on a fresh server also imports TensorFlow


def open_studio(page, app_url, lang):
    """Home first, then the sidebar link, as a student would. (Loading /training directly can run
    pages/training.py without app.py on a fresh session: Streamlit's old pages/ folder rule.)"""
    open_app(page, app_url, "", lang)
    page.get_by_role("link", name=translate(lang, "train.title")).first.click()
    expect(page.get_by_role("heading", name=translate(lang, "train.heading"))).to_be_visible(timeout=30_000)
    wait_idle(page)


def metric_value(page, label):
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]')


def tall_screenshot(page, name, height=6000):
    """Streamlit scrolls inside its own container: grow the window to see the whole page."""
    page.set_viewport_size({"width": 1440, "height": height})
    page.wait_for_timeout(1000)
    screenshot(page, name)


def test_train_tiny_model_on_shapes_end_to_end(page, app_url):
    lang = "en"
    open_studio(page, app_url, lang)
    assert_no_error_elements(page)
    page.get_by_role("button", name=translate(lang, "train.start")).click()
    expect(page.locator('[data-testid="stProgress"]')).to_be_visible(timeout=30_000)
    expect(metric_value(page, translate(lang, "train.test_accuracy"))).to_have_text(re.compile(r"\d+\.\d%"),
                                                                                   timeout=TRAIN_TIMEOUT)
    expect(page.locator('[data-testid="stProgress"]')).to_contain_text(
        translate(lang, "train.status.completed", epochs=5, seconds="").split(" in ")[0])
    for title in ("train.confusion", "train.per_class", "train.softmax"):
        expect(page.locator(".js-plotly-plot").filter(has_text=translate(lang, title)).first).to_be_visible()
    curves = page.locator(".js-plotly-plot").filter(has_text=translate(lang, "train.curve.val"))
    expect(curves.first).to_be_visible()
    assert page.locator(".js-plotly-plot").filter(has_text="conv2d (Conv2D)").count() == 1
    expect(metric_value(page, translate(lang, "train.test_images"))).to_have_text("60")
    assert_no_error_elements(page)
    tall_screenshot(page, f"training-done-{lang}")


def test_stop_ends_a_long_run_and_keeps_the_model(page, app_url):
    lang = "ko"
    open_studio(page, app_url, lang)
    press_slider(page, translate(lang, "train.shape_count"), "End")  # 1000 images per class
    press_slider(page, translate(lang, "train.epochs"), "End")  # the server's maximum
    press_slider(page, translate(lang, "train.batch_size"), "Home")  # batch 8: many batches
    page.get_by_role("button", name=translate(lang, "train.start")).click()
    progress = page.locator('[data-testid="stProgress"]')
    running = translate(lang, "train.status.running", epoch=1, epochs=1, step=1, steps=1, seconds=1).split(" ")[0]
    expect(progress).to_contain_text(running, timeout=TRAIN_TIMEOUT)
    expect(page.locator(".js-plotly-plot").filter(has_text=translate(lang, "train.curve.loss")).first).to_be_visible()
    page.wait_for_timeout(1500)
    page.get_by_role("button", name=translate(lang, "train.stop")).click()
    expect(page.get_by_text(translate(lang, "train.final.stopped"), exact=False).first).to_be_visible(timeout=60_000)
    expect(metric_value(page, translate(lang, "train.test_images"))).to_have_text("600")
    expect(page.get_by_role("button", name=translate(lang, "train.stop"))).to_have_count(0, timeout=10_000)
    assert_no_error_elements(page)
    tall_screenshot(page, f"training-stopped-{lang}")
