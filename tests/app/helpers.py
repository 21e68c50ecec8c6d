"""AppTest helpers: open the app on a page in a language (or from a share link), read what it shows,
and check that a page is shown whole in one language."""
import re
from pathlib import Path
from urllib.parse import parse_qsl

from streamlit.testing.v1 import AppTest

from ui import share
from ui.i18n import LANGUAGES, translate
from ui.registry import all_pages

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


def shown_text(at: AppTest, without: tuple[str, ...] = ()) -> str:
    """All markdown, titles, captions and alerts of the current run, joined (leaving out the
    element kinds named in `without`, e.g. ("title",))."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                 "error", "success", "latex", "code"):
        if kind not in without:
            parts.extend(str(el.value) for el in getattr(at, kind))
    return "\n".join(parts)


def assert_no_exception(at: AppTest) -> None:
    """No uncaught exception reached the page."""
    assert not at.exception, [e.value for e in at.exception]


# ------------------------------------------------------------------ one language, whole

HANGUL = re.compile("[\uac00-\ud7a3]")  # the Hangul syllables: any Korean sentence has some


def page_key(page_path: str | None) -> str:
    """The registry key ("conv", "pool", ...) of the page file `page_path`; None is home."""
    path = page_path or "pages/home.py"
    return next(p.key for p in all_pages() if p.path == path)


def title_in(lang: str, key: str) -> str:
    """Page `key`'s title (`<key>.heading`) in `lang`, from ui/locales/<lang>/*.toml.

    Fails if that text is missing (translate falls back to Korean, then to the key) or is the
    same in both languages: a title that does not tell the languages apart checks nothing."""
    title = translate(lang, f"{key}.heading")
    assert title != f"{key}.heading", f"no {key}.heading text"
    others = {translate(other, f"{key}.heading") for other in LANGUAGES if other != lang}
    assert title not in others, f"{key}.heading is the same text in every language"
    assert bool(HANGUL.search(title)) == (lang == "ko"), (lang, title)
    return title


def assert_text_in(lang: str, text: str) -> None:
    """`text` (what a page shows besides its title) is in `lang`: Korean has Hangul, English none.

    The languages' own names ("한국어", as the language switch shows them) are left out first: the
    home page's English tells students they can switch to 한국어."""
    for name in LANGUAGES.values():
        text = text.replace(name, "")
    assert text.strip(), "the page shows no text besides its title"
    if lang == "ko":
        assert HANGUL.search(text), text[:500]
    else:
        korean = sorted({line for line in text.splitlines() if HANGUL.search(line)})
        assert not korean, korean[:5]


def assert_renders_in(at: AppTest, lang: str, key: str) -> None:
    """The run shows page `key` whole in `lang`: no exception, no error box, its title is
    `title_in(lang, key)`, and the rest of its text is in `lang` too (`assert_text_in`)."""
    assert_no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert at.title, "the page shows no title"
    assert at.title[0].value == title_in(lang, key)
    assert_text_in(lang, shown_text(at, without=("title",)))


def open_in(page_path: str | None, lang: str, timeout: float = 30) -> AppTest:
    """`open_page(page_path, lang)`, checked with `assert_renders_in` for the page's registry key."""
    at = open_page(page_path, lang, timeout)
    assert_renders_in(at, lang, page_key(page_path))
    return at


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
