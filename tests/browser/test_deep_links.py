"""Browser: a deep link opened as the very first visit of a freshly started server shows the
right page with the app's frame (language switch, navigation) and no "Page not found" dialog."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, serving
from tests.browser.helpers import goto, wait_idle
from ui.i18n import translate
from ui.registry import LESSONS

pytestmark = pytest.mark.browser


@pytest.fixture
def fresh_server(tmp_path):
    with serving(ROOT / "app.py", tmp_path / "server.log") as url:
        yield url


def test_first_visit_to_a_deep_link_on_a_fresh_server(page, fresh_server):
    target = next(p for p in LESSONS if p.key == "pool")
    goto(page, f"{fresh_server}/{target.url_path}?lang=en")
    wait_idle(page)
    expect(page.get_by_role("heading", name=translate("en", "pool.heading"), exact=True)).to_be_visible()
    expect(page.locator('[role="dialog"]')).to_have_count(0)
    expect(page.get_by_text(translate("en", "app.language"))).to_be_visible()
