"""Problem sets a teacher can share: pick exercise kinds, how many, the level and a seed; the link
gives every student the same problems (in their own language) with a self-check and a score, and the
teacher downloads the answer key in Korean or English.

Thin page: ui.practice draws the form, the link, the answer key and the problems; every answer is
engine.exercises'. A tampered link falls back to the defaults with the share links' message.
"""
import streamlit as st

from ui import practice, share
from ui.i18n import t

share.restore(practice.set_params(), practice.SET_PREFIX)
st.title(t("practice.heading"))
st.caption(t("practice.intro"))
practice.teacher_form()
practice.problem_set_view()
