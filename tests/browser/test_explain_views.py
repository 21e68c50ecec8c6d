"""Browser: "why the model decided" in the training studio, in Chromium. The tiny preset trains
for two epochs, then every map is drawn (saliency, SmoothGrad, Grad-CAM, occlusion and the
filter pictures as queued jobs, filters while learning, the explanations) without an error, in
both languages. `walk_every_map` also makes the screenshots of the closing note."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import assert_no_error_elements, runs, wait_for_rerun, wait_idle
from tests.browser.test_training_page import TRAIN_TIMEOUT, metric_value, open_studio
from ui.i18n import translate

pytestmark = pytest.mark.browser
JOB_TIMEOUT = 90_000


def panel(page, lang):
    return page.locator('[data-testid="stExpander"]').filter(has_text=translate(lang, "explain.open")).first


def chart_with(page, text):
    return page.locator(".js-plotly-plot").filter(has_text=text).first


def pick(page, box, text):
    """Click a radio option inside the panel and wait for the rerun."""
    before = runs(page)
    box.get_by_text(text, exact=True).first.click()
    wait_for_rerun(page, before)


def open_tab(page, lang, code):
    before = runs(page)
    page.get_by_role("tab", name=translate(lang, f"explain.tabs.{code}")).click()
    wait_for_rerun(page, before)


def compute(page, lang):
    """Press this tab's Compute button and wait for the job's result (a full rerun)."""
    page.get_by_role("button", name=translate(lang, "explain.start")).click()
    expect(page.get_by_role("button", name=translate(lang, "explain.stop"))).to_have_count(0, timeout=JOB_TIMEOUT)
    wait_idle(page)


def walk_every_map(page, app_url, lang, shoot=lambda name: None):
    open_studio(page, app_url, lang)
    epochs = page.get_by_role("slider", name=translate(lang, "train.epochs"))
    for _ in range(3):  # 5 -> 2 epochs
        before = runs(page)
        epochs.press("ArrowLeft")
        wait_for_rerun(page, before)
    page.get_by_role("button", name=translate(lang, "train.start")).click()
    expect(metric_value(page, translate(lang, "train.test_accuracy"))).to_be_visible(timeout=TRAIN_TIMEOUT)
    wait_idle(page)
    box = panel(page, lang)
    before = runs(page)
    box.locator("summary").click()
    wait_for_rerun(page, before)
    pick(page, box, translate(lang, "explain.sources.test"))
    expect(chart_with(page, translate(lang, "explain.saliency.map_title"))).to_be_visible()
    shoot(f"explain-saliency-{lang}")
    pick(page, box, translate(lang, "explain.saliency.methods.smooth"))
    expect(chart_with(page, translate(lang, "explain.saliency.smooth_title"))).to_be_visible()
    shoot(f"explain-smoothgrad-{lang}")
    open_tab(page, lang, "gradcam")
    expect(chart_with(page, "Grad-CAM")).to_be_visible()
    expect(chart_with(page, translate(lang, "explain.gradcam.weights_title"))).to_be_visible()
    shoot(f"explain-gradcam-{lang}")
    open_tab(page, lang, "occlusion")
    compute(page, lang)
    words = max(translate(lang, "explain.occlusion.prob_title", name="@").split("P(@)"), key=len).strip()
    expect(chart_with(page, words)).to_be_visible()
    shoot(f"explain-occlusion-{lang}")
    open_tab(page, lang, "filters")
    compute(page, lang)
    expect(chart_with(page, translate(lang, "explain.filters.log_title"))).to_be_visible()
    shoot(f"explain-filters-{lang}")
    open_tab(page, lang, "learning")
    expect(chart_with(page, translate(lang, "explain.learning.title", e=2, n=2))).to_be_visible()
    shoot(f"explain-learning-{lang}")
    open_tab(page, lang, "about")
    expect(box.get_by_text("Grad-CAM").first).to_be_visible()
    shoot(f"explain-about-{lang}")
    assert_no_error_elements(page)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_map_in_the_training_studio(page, app_url, lang):
    def shoot(name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1440, "height": 2600})  # Streamlit scrolls inside its own container
        page.wait_for_timeout(500)
        panel(page, lang).screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))

    walk_every_map(page, app_url, lang, shoot)
