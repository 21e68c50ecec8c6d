"""The list of ConvLab's pages: file, translated title key, icon and URL path.

app.py builds `st.navigation` from it and the home page links every page from it, so a new
page is registered in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

APP_DIR = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class PageInfo:
    """One page of the app."""

    path: str  # relative to app.py
    key: str  # locale section: "<key>.title", "<key>.summary"
    icon: str
    url_path: str


HOME = PageInfo("pages/home.py", "home", ":material/home:", "welcome")

# The teaching pages, in the order of the course chapter.
PLANNED: list[PageInfo] = [
    PageInfo("pages/conv.py", "conv", ":material/blur_on:", "convolution"),
    PageInfo("pages/pooling.py", "pool", ":material/grid_view:", "pooling-layers"),
    PageInfo("pages/forward.py", "forward", ":material/account_tree:", "forward-pass"),
    PageInfo("pages/softmax_dropout.py", "softmax", ":material/percent:", "softmax-and-dropout"),
    PageInfo("pages/harris.py", "harris", ":material/crop_free:", "hand-made-features"),
    PageInfo("pages/batchnorm.py", "bn", ":material/equalizer:", "batch-norm"),
    PageInfo("pages/optimizers.py", "opt", ":material/trending_down:", "optimizer-lab"),
    PageInfo("pages/backprop.py", "bp", ":material/undo:", "how-cnns-learn"),
    PageInfo("pages/training.py", "train", ":material/model_training:", "training-studio"),
    PageInfo("pages/architectures.py", "arch", ":material/schema:", "cnn-architectures"),
    PageInfo("pages/transfer.py", "transfer", ":material/swap_horiz:", "transfer-learning"),
    PageInfo("pages/practice.py", "practice", ":material/quiz:", "practice-sets"),
]
# URL paths never equal a page's file name: before app.py has run once, Streamlit would serve
# such a URL by running the page file alone (see scripts/serve.py).
# A planned page is listed once its file exists, so pages can land one at a time.
LESSONS: list[PageInfo] = [p for p in PLANNED if (APP_DIR / p.path).is_file()]


def all_pages() -> list[PageInfo]:
    """Home first, then the lessons."""
    return [HOME, *LESSONS]
