"""Home page: what ConvLab teaches, and a link to each lesson page."""
import streamlit as st

from ui.i18n import t
from ui.registry import LESSONS

st.title(t("home.heading"))
st.markdown(t("home.intro"))

st.subheader(t("home.lessons"))
if not LESSONS:
    st.info(t("home.no_lessons"))
for page in LESSONS:
    with st.container(border=True):
        st.page_link(page.path, label=t(f"{page.key}.title"), icon=page.icon)
        st.caption(t(f"{page.key}.summary"))

st.subheader(t("home.how_heading"))
st.markdown(t("home.how"))
