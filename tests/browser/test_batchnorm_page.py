"""Browser: the BatchNorm inspector in Chromium: it renders whole in both languages without error
elements, "next batch" moves the inference statistics as the engine does, and the with/without-BN
comparison trains in the browser."""
import pytest
from playwright.sync_api import expect

from engine.lessons import batchnorm_batches
from tests.browser.helpers import (assert_no_error_elements, open_in, press_slider, runs, tall_screenshot,
                                   url_path, wait_for_rerun)
from ui.i18n import translate
from visuals.batchnorm import stat

pytestmark = pytest.mark.browser
KEY = "bn"


def metric_value(page, label):
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]')


def click_and_wait(page, name, timeout=60_000):
    before = runs(page)
    page.get_by_role("button", name=name).click()
    wait_for_rerun(page, before, timeout)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_without_errors(page, app_url, lang):
    open_in(page, app_url, KEY, lang)
    assert page.locator(".js-plotly-plot").count() >= 3
    assert page.locator(".convlab-tiles canvas").count() == 24  # 3 rows of the batch's 8
    # the channel's formulas (m, mean, variance, x-hat, y) and the two moving statistics, typeset without error
    assert page.locator(".katex").count() >= 2 and page.locator(".katex-error").count() == 0
    assert page.locator(".katex .mord.mathnormal", has_text="m").count() >= 1
    assert all(part in page.locator(".katex").first.inner_text() for part in ("N", "H", "W"))
    assert_no_error_elements(page)
    tall_screenshot(page, f"{url_path(KEY)}-{lang}", 4400)


def test_next_batch_moves_the_inference_statistics(page, app_url):
    open_in(page, app_url, KEY, "ko")
    label = translate("ko", "bn.metric_infer_mean")
    setup = batchnorm_batches.BatchSetup()
    c = len(setup.filters)
    for steps in (1, 2, 12):
        traj = batchnorm_batches.run_training(setup, steps, [1.0] * c, [0.0] * c)
        n = batchnorm_batches.channel_numbers(traj.last_maps, batchnorm_batches.inference(traj), 0, False)
        expect(metric_value(page, label)).to_have_text(stat(n.y[0]))
        expect(page.get_by_text(translate("ko", "bn.steps_done", k=steps, max=batchnorm_batches.MAX_STEPS))).to_be_visible()
        click_and_wait(page, translate("ko", "bn.next_batch") if steps == 1 else translate("ko", "bn.next_10"))
    assert_no_error_elements(page)


def test_with_and_without_bn_trains_in_the_browser(page, app_url):
    open_in(page, app_url, KEY, "en")
    press_slider(page, translate("en", "bn.cmp_samples"), "Home")  # 60 pictures
    press_slider(page, translate("en", "bn.cmp_epochs"), "Home")  # 1 epoch
    click_and_wait(page, translate("en", "bn.cmp_run"), timeout=180_000)
    expect(page.get_by_text(translate("en", "bn.cmp_params_note", c1=8, c2=16, total=96, frozen=48))).to_be_visible()
    expect(page.get_by_text("48 training and 12 validation pictures", exact=False)).to_be_visible()
    assert_no_error_elements(page)
    tall_screenshot(page, "batchnorm-trained-en", 5200)
