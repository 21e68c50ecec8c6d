"""Browser: a server with one training slot. A second student's Train puts them in the queue
(their place and Leave the queue shown); when the first student closes their tab, Streamlit ends
that session, its job stops and gives the slot up, and the waiting job starts by itself."""
import pytest
from playwright.sync_api import expect

from benchmarks.servers import convlab
from tests.browser.helpers import assert_no_error_elements, open_app, press_slider, wait_idle
from ui.i18n import translate

pytestmark = pytest.mark.browser
LANG = "en"
TRAIN_TIMEOUT = 180_000  # a fresh server imports TensorFlow on the first run


@pytest.fixture(scope="module")
def one_slot_url(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("one-slot")
    with convlab(log_dir, env={"CONVLAB_MAX_CONCURRENT_JOBS": "1"}) as (url, _):
        yield url
    for log in log_dir.glob("server-*.log"):
        assert "Traceback" not in log.read_text(errors="replace"), log


def studio(browser, url):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    open_app(page, url, "", LANG)
    page.get_by_role("link", name=translate(LANG, "train.title")).first.click()
    expect(page.get_by_role("heading", name=translate(LANG, "train.heading"))).to_be_visible(timeout=30_000)
    wait_idle(page)
    return context, page


def test_closing_a_tab_frees_the_slot_for_the_next_in_line(browser, one_slot_url):
    first_ctx, first = studio(browser, one_slot_url)
    press_slider(first, translate(LANG, "train.shape_count"), "End")
    press_slider(first, translate(LANG, "train.epochs"), "End")  # a long run
    first.get_by_role("button", name=translate(LANG, "train.start")).click()
    running = translate(LANG, "train.status.running", epoch=1, epochs=1, step=1, steps=1, seconds=1).split(" ")[0]
    expect(first.locator('[data-testid="stProgress"]')).to_contain_text(running, timeout=TRAIN_TIMEOUT)

    second_ctx, second = studio(browser, one_slot_url)
    second.get_by_role("button", name=translate(LANG, "train.start")).click()
    expect(second.get_by_text(translate(LANG, "train.queue_position", k=1))).to_be_visible(timeout=30_000)
    expect(second.get_by_role("button", name=translate(LANG, "train.cancel"))).to_be_visible()
    assert_no_error_elements(second)

    first_ctx.close()  # the tab closes: its session ends, its job stops
    expect(second.get_by_text(translate(LANG, "train.queue_position", k=1))).to_have_count(0, timeout=60_000)
    done = translate(LANG, "train.status.completed", epochs=5, seconds="").split(" in ")[0]
    expect(second.locator('[data-testid="stProgress"]')).to_contain_text(done, timeout=TRAIN_TIMEOUT)
    assert_no_error_elements(second)
    second_ctx.close()
