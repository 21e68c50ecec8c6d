"""Browser: the BatchNorm inspector and the optimizer lab in Chromium, in both languages: they render
without error elements, and their controls drive updates whose numbers are the engine's."""
import pytest
from playwright.sync_api import expect

from engine.lessons import batchnorm_batches, loss_surfaces as S
from tests.browser.conftest import screenshot
from tests.browser.helpers import assert_no_error_elements, open_app, press_slider, runs, wait_for_rerun
from ui.i18n import translate
from ui.registry import LESSONS
from visuals.batchnorm import stat

pytestmark = pytest.mark.browser
PAGES = {p.key: p.url_path for p in LESSONS if p.key in ("bn", "opt")}


def open_page(page, app_url, key, lang):
    open_app(page, app_url, PAGES[key], lang)
    expect(page.get_by_role("heading", name=translate(lang, f"{key}.heading"))).to_be_visible()


def tall_screenshot(page, name, height=3600):
    """A full-page picture: Streamlit scrolls inside its own container, so grow the window."""
    page.set_viewport_size({"width": 1440, "height": height})
    page.wait_for_timeout(800)
    screenshot(page, name)


def metric_value(page, label):
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]')


def click_and_wait(page, name, timeout=60_000):
    before = runs(page)
    page.get_by_role("button", name=name).click()
    wait_for_rerun(page, before, timeout)


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("key, charts, tiles", [("bn", 3, 24), ("opt", 3, 0)])
def test_page_renders_without_errors(page, app_url, key, charts, tiles, lang):
    open_page(page, app_url, key, lang)
    assert page.locator(".js-plotly-plot").count() >= charts
    assert page.locator(".convlab-tiles canvas").count() == tiles  # BatchNorm: 3 rows of the batch's 8
    assert page.locator(".katex").count() >= 3
    assert_no_error_elements(page)
    tall_screenshot(page, f"issue5-{PAGES[key]}-{lang}", 4400 if key == "bn" else 3400)


def test_a_huge_learning_rate_stops_the_runs_with_a_notice(page, app_url):
    open_page(page, app_url, "opt", "en")
    expect(page.locator('[data-testid="stAlertContentWarning"]')).to_have_count(0)
    press_slider(page, translate("en", "opt.lr"), "End")  # the largest learning rate: 100
    surface = S.get_surface("elongated")
    diverged = []
    for code in S.OPTIMIZER_CODES:
        run = S.descend(surface, code, surface.start, surface.steps, S.OptimizerSettings(learning_rate=100.0))
        if run.path.diverged:
            diverged.append(translate("en", "opt.diverged", name=translate("en", f"opt.names.{code}"),
                                      step=run.path.diverged_at, done=len(run.path.records)))
    warnings = page.locator('[data-testid="stAlertContentWarning"]')
    expect(warnings).to_have_count(len(diverged))
    shown = warnings.all_inner_texts()  # each starts with its icon's name
    assert len(shown) == len(diverged) and all(want in got for want, got in zip(diverged, shown))
    assert_no_error_elements(page)
    tall_screenshot(page, "issue5-optimizers-diverged-en")


def test_next_batch_moves_the_inference_statistics(page, app_url):
    open_page(page, app_url, "bn", "ko")
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
    open_page(page, app_url, "bn", "en")
    press_slider(page, translate("en", "bn.cmp_samples"), "Home")  # 60 pictures
    press_slider(page, translate("en", "bn.cmp_epochs"), "Home")  # 1 epoch
    click_and_wait(page, translate("en", "bn.cmp_run"), timeout=180_000)
    expect(page.get_by_text(translate("en", "bn.cmp_params_note", c1=8, c2=16, total=96, frozen=48))).to_be_visible()
    expect(page.get_by_text("48 training and 12 validation pictures", exact=False)).to_be_visible()
    assert_no_error_elements(page)
    tall_screenshot(page, "issue5-batchnorm-trained-en", 5200)
