"""Browser: the optimizer lab in Chromium: it renders whole in both languages without error elements,
and a huge learning rate stops exactly the runs the engine stops, each with its notice."""
import pytest
from playwright.sync_api import expect

from engine.lessons import loss_surfaces as S
from tests.browser.conftest import screenshot
from tests.browser.helpers import assert_no_error_elements, open_in, press_slider, url_path
from ui.i18n import translate

pytestmark = pytest.mark.browser
KEY = "opt"


def tall_screenshot(page, name, height=3600):
    """A full-page picture: Streamlit scrolls inside its own container, so grow the window."""
    page.set_viewport_size({"width": 1440, "height": height})
    page.wait_for_timeout(800)
    screenshot(page, name)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_without_errors(page, app_url, lang):
    open_in(page, app_url, KEY, lang)
    assert page.locator(".js-plotly-plot").count() >= 3
    assert page.locator(".convlab-tiles canvas").count() == 0
    assert page.locator(".katex").count() >= 3
    assert_no_error_elements(page)
    tall_screenshot(page, f"{url_path(KEY)}-{lang}", 3400)


def test_a_huge_learning_rate_stops_the_runs_with_a_notice(page, app_url):
    open_in(page, app_url, KEY, "en")
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
    tall_screenshot(page, "optimizers-diverged-en")
