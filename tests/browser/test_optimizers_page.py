"""Browser: the optimizer lab in Chromium: it renders whole in both languages without error elements,
every path drawn on the contour map's canvas over the picture the app serves itself, and a huge learning rate stops exactly the runs the engine stops, each with its notice."""
import pytest
from playwright.sync_api import expect

from engine.lessons import loss_surfaces as S
from tests.browser.helpers import assert_no_error_elements, open_in, press_slider, tall_screenshot, url_path
from ui.i18n import translate
from visuals import optimizers as V

pytestmark = pytest.mark.browser
KEY = "opt"


def map_pixels(page) -> dict:
    """Canvas pixels of the path map in each optimizer's exact colour, and the contour picture's width."""
    colours = {code: [int(c[i:i + 2], 16) for i in (1, 3, 5)] for code, c in V.COLORS.items()}
    return page.evaluate("""(colours) => {
      const root = document.querySelector('.convlab-path-map'), canvas = root.querySelector('canvas');
      const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const out = {picture: (window.__convlabPictures[root.dataset.picture] || {}).naturalWidth || 0};
      for (const [code, [r, g, b]] of Object.entries(colours)) {
        let n = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i] === r && px[i + 1] === g && px[i + 2] === b) n++;
        out[code] = n;
      }
      return out;
    }""", colours)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_without_errors(page, app_url, lang):
    open_in(page, app_url, KEY, lang)
    assert page.locator(".js-plotly-plot").count() >= 2  # the loss and the step-size charts
    expect(page.locator(".convlab-path-map")).to_have_attribute("data-paths", str(len(S.OPTIMIZER_CODES)))
    drawn = map_pixels(page)
    assert drawn["picture"] > 0  # the contour picture came from the app's own address
    assert all(drawn[code] > 20 for code in S.OPTIMIZER_CODES), drawn  # every path is on the canvas
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
