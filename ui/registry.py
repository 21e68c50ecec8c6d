"""The list of ConvLab's pages: file, translated title key, icon and URL path.

app.py builds `st.navigation` from it and the home page links every page from it, so a new
page is registered in one place.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    """One page of the app."""

    path: str  # relative to app.py
    key: str  # locale section: "<key>.title", "<key>.summary"
    icon: str
    url_path: str


HOME = PageInfo("pages/home.py", "home", ":material/home:", "home")

# The teaching pages, in the order of the course chapter.
LESSONS: list[PageInfo] = [
    PageInfo("pages/conv.py", "conv", ":material/blur_on:", "convolution"),
]


def all_pages() -> list[PageInfo]:
    """Home first, then the lessons."""
    return [HOME, *LESSONS]
