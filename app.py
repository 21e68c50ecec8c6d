"""ConvLab entry point: page routing and what every page shares (language, page setup).

Run with `streamlit run app.py`. Streamlit executes this file on every rerun; it draws the
sidebar's language switch and presentation-mode toggle, then runs the selected page from `ui.registry`.
"""
import streamlit as st

from ui import i18n, present
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
present.sidebar_toggle()
pages = [
    st.Page(p.path, title=t(f"{p.key}.title"), icon=p.icon, url_path=p.url_path, default=(i == 0))
    for i, p in enumerate(all_pages())
]
st.navigation(pages).run()
st.sidebar.caption(t("app.footer"))
