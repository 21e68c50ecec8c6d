"""Browser: one student trains a long run while another moves the convolution page's sliders in
another browser session. The training runs in a worker process (engine.learn.workers), so the other
student's every change is answered with the engine's numbers while the run goes on; the trainer's
progress keeps moving and Stop keeps the model."""
import pytest
from playwright.sync_api import expect

from engine.shapes import output_size
from tests.browser.helpers import assert_no_error_elements, open_app, press_slider
from tests.browser.test_training_page import metric_value, open_studio
from ui.i18n import translate

pytestmark = pytest.mark.browser
TRAIN_TIMEOUT = 180_000


@pytest.fixture
def second_page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def test_sliders_answer_while_another_student_trains(page, second_page, app_url):
    lang = "en"
    open_studio(page, app_url, lang)
    press_slider(page, translate(lang, "train.shape_count"), "End")
    press_slider(page, translate(lang, "train.epochs"), "End")
    press_slider(page, translate(lang, "train.batch_size"), "Home")
    page.get_by_role("button", name=translate(lang, "train.start")).click()
    progress = page.locator('[data-testid="stProgress"]')
    running = translate(lang, "train.status.running", epoch=1, epochs=1, step=1, steps=1, seconds=1).split(" ")[0]
    expect(progress).to_contain_text(running, timeout=TRAIN_TIMEOUT)
    before = progress.inner_text()

    open_app(second_page, app_url, "convolution", lang)
    shape = second_page.locator('[data-testid="stMetric"]').filter(has_text="Output shape") \
        .locator('[data-testid="stMetricValue"]')
    for key, stride in (("ArrowRight", 2), ("ArrowRight", 3), ("ArrowRight", 4), ("ArrowLeft", 3)):
        press_slider(second_page, translate(lang, "conv.stride_h"), key)
        h = output_size.conv_output_hw((85, 128), (3, 3), (stride, 1))[0].output
        expect(shape).to_have_text(f"{h} × 126 × 1")
        assert page.get_by_role("button", name=translate(lang, "train.stop")).count() == 1  # still training
    assert_no_error_elements(second_page)

    expect(progress).not_to_have_text(before, timeout=30_000)  # the run went on meanwhile
    expect(progress).to_contain_text(running)
    page.get_by_role("button", name=translate(lang, "train.stop")).click()
    expect(page.get_by_text(translate(lang, "train.final.stopped"), exact=False).first).to_be_visible(timeout=60_000)
    expect(metric_value(page, translate(lang, "train.test_images"))).to_have_text("600")
    assert_no_error_elements(page)
