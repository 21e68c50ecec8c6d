"""Lazy tabs: only the open tab's content runs, and the open tab survives a language switch.

Streamlit (>= 1.67) runs only the selected tab's content when `st.tabs(..., on_change="rerun")`
is used and the page checks each tab's `.open`. The selected tab is remembered under `key` by its
label; labels are translated, so after a language switch the old label is mapped to the same tab
in the new language.
"""
from __future__ import annotations

import streamlit as st

from ui.i18n import LANGUAGES, t, translate


def _code_of_label(label: str, codes: tuple[str, ...], prefix: str) -> str | None:
    """The tab code whose label, in any language, is `label`."""
    for code in codes:
        if any(translate(lang, f"{prefix}.{code}") == label for lang in LANGUAGES):
            return code
    return None


def open_tab(key: str, code: str, prefix: str) -> None:
    """Select the tab `code` of the tabs under `key` (call before they are drawn, e.g. in a callback)."""
    st.session_state[key] = t(f"{prefix}.{code}")


def keep(keys) -> None:
    """Keep the settings of widgets that this run may not draw (those of a closed tab): Streamlit
    forgets the state of a widget a run does not draw, so each value is written back. Call before
    any of these widgets is drawn in the run."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def lazy_tabs(codes: tuple[str, ...], prefix: str, key: str) -> dict[str, object]:
    """Draw tabs labelled t(f"{prefix}.{code}"); returns {code: tab}. Run a tab's content only if tab.open."""
    labels = {code: t(f"{prefix}.{code}") for code in codes}
    chosen = st.session_state.get(key)
    if chosen is not None and chosen not in labels.values():
        code = _code_of_label(chosen, codes, prefix)
        if code is None:
            del st.session_state[key]
        else:
            st.session_state[key] = labels[code]
    tabs = st.tabs(list(labels.values()), key=key, on_change="rerun")
    return dict(zip(codes, tabs))
