"""AppTest: the home page renders in both languages and the language switch persists."""
import pytest

from tests.app.helpers import assert_no_exception, open_page, shown_text
from ui.i18n import translate


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_home_renders_in_each_language(lang):
    at = open_page(lang=lang)
    assert_no_exception(at)
    assert at.title[0].value == translate(lang, "home.heading")


def test_language_switch_changes_texts_and_survives_reruns():
    at = open_page(lang="en")
    assert at.title[0].value == translate("en", "home.heading")
    at.sidebar.radio(key="lang_switch").set_value("ko").run()
    assert at.title[0].value == translate("ko", "home.heading")
    at.run()
    assert at.session_state["lang"] == "ko"
    assert at.title[0].value == translate("ko", "home.heading")
    assert translate("ko", "home.intro").split()[0] in shown_text(at)
