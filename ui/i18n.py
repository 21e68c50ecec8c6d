"""Translations: every user-facing string lives in `ui/locales/<lang>/*.toml`, never in page code.

Each page keeps its texts in its own file (`conv.toml`, ...); the files of a language are
merged, and a key defined in two files is an error.

`translate(lang, key, **params)` is pure (tested for every key in every language);
`t(key, **params)` reads the session's language. Keys are "section.name" after flattening
the TOML tables.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

LANGUAGES: dict[str, str] = {"ko": "한국어", "en": "English"}
DEFAULT_LANGUAGE = "ko"
LANG_STATE_KEY = "lang"
LOCALE_DIR = Path(__file__).parent / "locales"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    """{"a": {"b": "x"}} -> {"a.b": "x"}."""
    flat: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, full + "."))
        else:
            flat[full] = str(value)
    return flat


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """All texts of one language, flattened, from every TOML file of ui/locales/<lang>/."""
    merged: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / lang).glob("*.toml")):
        with open(path, "rb") as fh:
            texts = _flatten(tomllib.load(fh))
        clash = merged.keys() & texts.keys()
        if clash:
            raise ValueError(f"{path.name} redefines {sorted(clash)[:5]}")
        merged.update(texts)
    return merged


def translate(lang: str, key: str, **params: object) -> str:
    """The text for `key` in `lang`, formatted with `params`.

    Falls back to the default language, then to the key itself, so a missing text shows
    up visibly instead of crashing a page (a test keeps the catalogs complete).
    """
    texts = catalog(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    text = texts.get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def current_language() -> str:
    """The session's language code ('ko' or 'en')."""
    import streamlit as st

    lang = st.session_state.get(LANG_STATE_KEY, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **params: object) -> str:
    """Translate `key` into the session's language."""
    return translate(current_language(), key, **params)


def labeler(prefix: str):
    """A format_func for option widgets: code -> translated "<prefix>.<code>".

    The language is captured now, so the function also works outside a script run
    (AppTest calls format_func in the test process).
    """
    lang = current_language()
    return lambda code: translate(lang, f"{prefix}.{code}")


def formatter(key: str, param: str, offset: int = 0):
    """A format_func for numbered options: i -> t(key, **{param: i + offset}), language captured now."""
    lang = current_language()
    return lambda i: translate(lang, key, **{param: i + offset})
