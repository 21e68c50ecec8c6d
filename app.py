"""ConvLab entry point: page routing and what every page shares (language, page setup).

Run with `streamlit run app.py`. Streamlit executes this file on every rerun; it draws the
sidebar's language switch and presentation-mode toggle, puts Streamlit's own widget texts in
the page's language (ui.widget_texts), then runs the selected page from `ui.registry`.
"""
import streamlit as st

from ui import i18n, present, widget_texts
from ui.i18n import t
from ui.page_icon import page_icon
from ui.registry import all_pages

st.set_page_config(page_title="ConvLab", page_icon=page_icon(), layout="wide")


def sync_language_from_url() -> None:
    """Take ?lang=ko|en from the URL once per session, so a shared link opens in its language."""
    if "lang_from_url_done" in st.session_state:
        return
    st.session_state["lang_from_url_done"] = True
    wanted = st.query_params.get("lang")
    if wanted in i18n.LANGUAGES:
        st.session_state[i18n.LANG_STATE_KEY] = wanted


def _keep_switched_language() -> None:
    st.session_state[i18n.LANG_STATE_KEY] = st.session_state["lang_switch"]
    _keep_choices()


def _keep_choices() -> None:
    """Keep every choice a student made through a language switch.

    A keyed radio or selectbox sends back the *shown* text of its option; after a switch the shown
    texts are those of the other language, so its old text matches no option and Streamlit would
    hand the page that text instead of the option's code. Setting each value again from Python (a
    code, a number) makes Streamlit send the widget the option in the new language.
    """
    for key, value in list(st.session_state.items()):
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) \
                or isinstance(value, list) and all(isinstance(item, str) for item in value):
            try:
                st.session_state[key] = value
            except st.errors.StreamlitAPIException:  # a button or uploader: not settable, nothing shown
                pass


def language_switch() -> None:
    """A sidebar switch; the choice lives in st.session_state['lang'], which every page reads.

    The widget has its own key and copies its value on change, so the language survives
    page switches (Streamlit forgets a widget's own state when a run does not draw it).
    """
    st.session_state.setdefault(i18n.LANG_STATE_KEY, i18n.DEFAULT_LANGUAGE)
    st.session_state["lang_switch"] = i18n.current_language()
    st.sidebar.radio(
        t("app.language"),
        options=list(i18n.LANGUAGES),
        format_func=i18n.LANGUAGES.get,
        key="lang_switch",
        on_change=_keep_switched_language,
        horizontal=True,
    )
    st.query_params["lang"] = i18n.current_language()


sync_language_from_url()
language_switch()
widget_texts.install()
present.sidebar_toggle()
pages = [
    st.Page(p.path, title=t(f"{p.key}.title"), icon=p.icon, url_path=p.url_path, default=(i == 0))
    for i, p in enumerate(all_pages())
]
st.navigation(pages, expanded=True).run()  # every page listed: no "View more" after the tenth
st.sidebar.caption(t("app.footer"))
