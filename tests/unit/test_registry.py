"""The page registry: every page file exists, keys and URLs are unique, and no URL path equals a
page's file name (Streamlit would run that file alone before app.py has run once)."""
from pathlib import Path

from ui import registry
from ui.i18n import LANGUAGES, catalog

ROOT = Path(__file__).resolve().parents[2]


def test_listed_pages_exist_and_are_unique():
    pages = registry.all_pages()
    assert pages[0] == registry.HOME
    assert all((ROOT / p.path).is_file() for p in pages)
    assert len({p.url_path for p in pages}) == len(pages)
    assert len({p.key for p in pages}) == len(pages)


def test_no_url_path_equals_a_page_file_name():
    stems = {path.stem for path in (ROOT / "pages").glob("*.py")}
    clashes = [p.url_path for p in registry.PLANNED + [registry.HOME] if p.url_path.replace("-", "_") in stems]
    assert clashes == []


def test_every_listed_page_has_a_title_and_summary():
    for lang in LANGUAGES:
        texts = catalog(lang)
        for page in registry.LESSONS:
            assert texts.get(f"{page.key}.title") and texts.get(f"{page.key}.summary"), (lang, page.key)
