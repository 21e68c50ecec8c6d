"""Browser-test helpers: open a page of the app and wait until Streamlit has finished running."""
from __future__ import annotations

from playwright.sync_api import Page, expect


def wait_idle(pg: Page, timeout: float = 30_000) -> None:
    """Wait until the app is drawn and no script run is in progress."""
    pg.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    pg.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') !== 'running'
                && !document.querySelector('[data-testid="stSkeleton"]');
        }""",
        timeout=timeout,
    )
    pg.wait_for_timeout(300)


def open_app(pg: Page, base_url: str, path: str = "", lang: str = "en") -> None:
    """Navigate to `path` of the app in `lang` and wait for it."""
    pg.goto(f"{base_url}/{path}?lang={lang}")
    wait_idle(pg)


def assert_no_error_elements(pg: Page) -> None:
    """No Streamlit exception box and no error alert is on the page."""
    expect(pg.locator('[data-testid="stException"]')).to_have_count(0)
    expect(pg.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
