"""The both-languages check of tests/app/helpers can fail: a page shown in the other language, a
text in the other language, a missing or untranslated title all fail it."""
import pytest

from tests.app.helpers import assert_renders_in, assert_text_in, open_in, title_in
from ui import i18n


@pytest.mark.parametrize("shown, other", [("en", "ko"), ("ko", "en")])
def test_a_page_in_the_other_language_or_another_page_fails(shown, other):
    at = open_in("pages/pooling.py", shown)
    with pytest.raises(AssertionError):
        assert_renders_in(at, other, "pool")
    with pytest.raises(AssertionError):
        assert_renders_in(at, shown, "conv")


def test_the_texts_are_told_apart_by_hangul():
    assert_text_in("ko", "풀링 layer")
    assert_text_in("en", "Switch to 한국어 at any time")  # a language's own name is not Korean text
    for lang, text in (("ko", "Pooling only"), ("ko", "한국어"), ("en", "Pooling 풀링"), ("en", " \n")):
        with pytest.raises(AssertionError):
            assert_text_in(lang, text)


def test_a_missing_or_untranslated_title_fails(monkeypatch):
    assert title_in("ko", "pool") == i18n.catalog("ko")["pool.heading"]
    with pytest.raises(AssertionError):
        title_in("en", "no_such_page")
    texts = {lang: dict(i18n.catalog(lang)) for lang in i18n.LANGUAGES}
    monkeypatch.setattr(i18n, "catalog", lambda lang: texts[lang])
    del texts["en"]["pool.heading"]  # English falls back to the Korean title
    with pytest.raises(AssertionError):
        title_in("en", "pool")
    texts["en"]["pool.heading"] = texts["ko"]["pool.heading"]  # the same text in both languages
    with pytest.raises(AssertionError):
        title_in("en", "pool")
    with pytest.raises(AssertionError):
        title_in("ko", "pool")


def test_an_error_box_fails_the_check():
    at = open_in("pages/conv.py", "ko")
    at.number_input(key="conv_filters").set_value(2).run()
    at.slider(key="conv_k").set_value(5).run()  # filter 1's preset stays 3×3: a translated error
    assert at.error and not at.exception
    with pytest.raises(AssertionError):
        assert_renders_in(at, "ko", "conv")
