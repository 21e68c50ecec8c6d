"""AppTest: the home page renders in both languages and the language switch persists."""
import pytest

from tests.app.helpers import assert_renders_in, open_in, shown_text
from ui.i18n import translate


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_home_renders_in_each_language(lang):
    open_in(None, lang)


def test_language_switch_changes_texts_and_survives_reruns():
    at = open_in(None, "en")
    at.sidebar.radio(key="lang_switch").set_value("ko").run()
    assert_renders_in(at, "ko", "home")
    at.run()
    assert at.session_state["lang"] == "ko"
    assert_renders_in(at, "ko", "home")
    assert translate("ko", "home.intro").split()[0] in shown_text(at)
