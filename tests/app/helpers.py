"""AppTest helpers: open the app on a page in a language (or from a share link), and read what it shows."""
from pathlib import Path
from urllib.parse import parse_qsl

from streamlit.testing.v1 import AppTest

from ui import share

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


# ------------------------------------------------------------------ share links


def open_link(page_path: str, query: dict[str, str]) -> AppTest:
    """A new session opened on `page_path` with the link's query parameters.

    (AppTest runs a page without app.py if it is switched to before the first run, so app.py
    runs once first; the query parameters are set again for the page, as a link would bring them.)
    """
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["lang"] = query.get("lang", "ko")
    at.run()
    at.switch_page(page_path)
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def page_params(page_path: str) -> list[share.Param]:
    """A page's share_params(), read from its source without running the page."""
    source = (Path(APP).parent / page_path).read_text()
    namespace: dict = {}
    exec(compile(source.split("\nshare.restore(")[0], page_path, "exec"), namespace)
    return namespace["share_params"]()


def shared_link(at: AppTest) -> dict[str, str]:
    """Open the share popover; the query parameters of the link it shows."""
    at.session_state["share_popover"] = True
    at.run()
    link = next(str(c.value) for c in at.code if "?lang=" in str(c.value))
    return dict(parse_qsl(link.split("?", 1)[1]))
