"""Problem sets a teacher can share: pick exercise kinds, how many, the level and a seed; the link
gives every student the same problems (in their own language) with a self-check and a score, and the
teacher downloads the answer key in Korean or English.

Thin page: ui.practice draws the form, the link, the answer key and the problems; every answer is
engine.lessons.exercises'. A tampered link falls back to the defaults with the share links' message. The
Share button, as on every page, links the set in the page's language; the teacher form's own link
carries no language, so each student reads the set in theirs.
"""
import streamlit as st

from ui import practice, share
from ui.i18n import t


def share_params() -> list[share.Param]:
    """What a problem-set link carries (ui.practice.set_params)."""
    return practice.set_params()


share.restore(share_params(), "prac_set_")
st.title(t("practice.heading"))
st.caption(t("practice.intro"))
share.share_popover(share_params())
practice.teacher_form()
practice.problem_set_view()
