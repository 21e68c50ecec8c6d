"""AppTest helpers: open the app on a page in a language, and read what it shows."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page_path: str | None = None, lang: str = "en", timeout: float = 30) -> AppTest:
    """Run app.py, switch language, then switch to `page_path` (relative to app.py) and run it."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state["lang"] = lang
    at.run()
    if page_path:
        at.switch_page(page_path)
        at.run()
    return at


def shown_text(at: AppTest) -> str:
    """All markdown, titles, captions and alerts of the current run, joined."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                 "error", "success", "latex", "code"):
        parts.extend(str(el.value) for el in getattr(at, kind))
    return "\n".join(parts)


def assert_no_exception(at: AppTest) -> None:
    """No uncaught exception reached the page."""
    assert not at.exception, [e.value for e in at.exception]
