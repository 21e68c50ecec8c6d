"""Presentation mode: larger text and controls for a projector, for this session only.

The sidebar toggle (drawn by app.py on every run) keeps its value in st.session_state
["present_mode"], which every page reads through `is_on()`. `?present=1` in the address turns it on
once per session. A small always-on style sheet lets cut labels wrap on a phone. The look comes
from our own fixed CSS (never user text) and, for figures, from
`visuals.presentation.enlarge`.
"""
from __future__ import annotations

import streamlit as st

from ui.i18n import t
from ui.live_chart import live_chart
from visuals.presentation import PRESENT_FACTOR, enlarge

STATE_KEY = "present_mode"
URL_DONE_KEY = "present_from_url_done"
URL_PARAM = "present"

# Always on: on a phone-wide screen, labels that Streamlit would cut with "..." wrap instead,
# Plotly's tool bar (always shown on touch screens) no longer covers the charts' titles, and a
# table's tool bar no longer covers the control above it.
WRAP_LABELS = """.stMarkdownEllipsis, .stMarkdownEllipsis p {
  white-space: normal !important; text-overflow: clip !important; overflow: visible !important; }"""
NO_MODEBAR = ".js-plotly-plot .modebar-container { display: none !important; }"
# a tapped table shows its tool bar 44 px above itself: give it room instead of covering the control above
TABLE_TOOLBAR_ROOM = '[data-testid="stElementContainer"]:has([data-testid="stDataFrame"]) { margin-top: 2.8rem; }'
BASE_CSS = f"<style>@media (max-width: 640px) {{ {WRAP_LABELS} {NO_MODEBAR} {TABLE_TOOLBAR_ROOM} }}</style>"

# Our own fixed style sheet: body text, widget labels, buttons and tables about 1.3x larger.
CSS = """<style>
.stApp { --convlab-present: 1; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label,
[data-testid="stSidebar"] p, [data-testid="stSidebar"] label,
[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"],
[data-testid="stWidgetLabel"] p, [data-testid="stExpander"] summary p { font-size: 1.3rem !important; }
[data-testid="stMain"] h1 { font-size: 3.2rem !important; }
[data-testid="stMain"] h2 { font-size: 2.4rem !important; }
[data-testid="stMain"] h3 { font-size: 1.9rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p { font-size: 2.4rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.3rem !important; }
[data-testid="stCode"] code, .stCode code { font-size: 1.15rem !important; }
.stButton button, .stDownloadButton button, [data-testid="stPopover"] button {
  font-size: 1.25rem !important; min-height: 3rem; padding: 0.5rem 1.1rem; }
[data-testid="stSelectbox"] input, [data-testid="stMultiSelect"] input, [data-testid="stNumberInput"] input,
[data-testid="stTextInput"] input, [data-testid="stTextArea"] textarea, [role="option"] {
  font-size: 1.25rem !important; min-height: 2.6rem; }
[data-testid="stSlider"] [role="slider"] { width: 1.5rem; height: 1.5rem; }
[data-testid="stSliderThumbValue"], [data-testid="stSliderTickBarMin"],
[data-testid="stSliderTickBarMax"] { font-size: 1.2rem !important; }
[data-testid="stRadio"] [role="radiogroup"] label, [data-testid="stCheckbox"] label { min-height: 2.2rem; }
[data-baseweb="tab"] p { font-size: 1.3rem !important; }
""" + WRAP_LABELS + "</style>"


def sync_from_url() -> None:
    """Take ?present=1 from the address once per session (a teacher's bookmark opens in this mode)."""
    if URL_DONE_KEY in st.session_state:
        return
    st.session_state[URL_DONE_KEY] = True
    if st.query_params.get(URL_PARAM) in ("1", "true", "on"):
        st.session_state[STATE_KEY] = True


def is_on() -> bool:
    """Whether this session shows the presentation look."""
    return bool(st.session_state.get(STATE_KEY, False))


def sidebar_toggle() -> None:
    """The sidebar switch, and the style sheets (phone, presentation when on). Call on every run, before the page."""
    sync_from_url()
    st.html(BASE_CSS)
    st.session_state.setdefault(STATE_KEY, False)
    st.sidebar.toggle(t("a11y.present_mode"), key=STATE_KEY, help=t("a11y.present_help"))
    if is_on():
        st.html(CSS)


def figure(fig):
    """`fig` as this session shows it: fonts enlarged in presentation mode, else unchanged."""
    return enlarge(fig, PRESENT_FACTOR) if is_on() else fig


def chart(where, fig, key: str, config: dict | None = None) -> None:
    """Draw a Plotly figure in `where` (st or a column), enlarged in presentation mode. It updates
    in place when a later run changes it (ui.live_chart), instead of being rebuilt."""
    live_chart(figure(fig), key, where, config=config)
