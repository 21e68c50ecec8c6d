"""Both languages have every text, with the same placeholders, and pages hard-code no text."""
import ast
import string
from pathlib import Path

import pytest

from engine.errors import ERROR_KEYS
from ui import i18n

ROOT = Path(__file__).resolve().parents[2]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_exists_in_every_language():
    keys = {lang: set(i18n.catalog(lang)) for lang in i18n.LANGUAGES}
    assert keys["ko"] == keys["en"], keys["ko"] ^ keys["en"]
    assert len(keys["en"]) > 20


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_placeholders_agree_between_languages(lang):
    base = i18n.catalog("en")
    for key, text in i18n.catalog(lang).items():
        assert placeholders(text) == placeholders(base[key]), key
        assert text.strip(), key


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_every_engine_error_has_a_message(lang):
    texts = i18n.catalog(lang)
    for key, params in ERROR_KEYS.items():
        assert f"errors.{key}" in texts, key
        assert placeholders(texts[f"errors.{key}"]) <= set(params), key


def test_a_key_defined_twice_is_refused(tmp_path, monkeypatch):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "a.toml").write_text('[x]\ny = "1"\n')
    (tmp_path / "en" / "b.toml").write_text('[x]\ny = "2"\n')
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalog.cache_clear()
    try:
        with pytest.raises(ValueError, match="redefines"):
            i18n.catalog("en")
    finally:
        i18n.catalog.cache_clear()


def test_translate_formats_and_falls_back():
    assert i18n.translate("en", "errors.stride_lt_1", stride=0) == "Stride must be at least 1 (got 0)."
    assert "0" in i18n.translate("ko", "errors.stride_lt_1", stride=0)
    assert i18n.translate("xx", "home.title") == i18n.translate(i18n.DEFAULT_LANGUAGE, "home.title")
    assert i18n.translate("en", "no.such.key") == "no.such.key"


TEXT_CALLS = {"title", "header", "subheader", "markdown", "write", "caption", "info", "warning",
              "error", "success", "button", "slider", "selectbox", "radio", "checkbox", "text",
              "number_input", "toggle", "select_slider", "expander", "tabs", "metric", "latex_label"}


def literal_text_calls(path: Path) -> list[str]:
    """Calls like st.title("Hello") whose first argument is a non-empty string literal."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in TEXT_CALLS and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                and any(ch.isalpha() for ch in node.args[0].value)):
            found.append(f"{path.name}:{node.lineno} {node.func.attr}({node.args[0].value!r})")
    return found


def test_pages_hard_code_no_user_text():
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    offenders = [hit for f in files for hit in literal_text_calls(f)]
    assert offenders == []


def test_the_literal_text_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('import streamlit as st\nst.title("Hello")\n')
    assert literal_text_calls(bad) == ["bad.py:2 title('Hello')"]
