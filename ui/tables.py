"""Table layout shared by pages."""
from __future__ import annotations


def full_height(count: int) -> int:
    """A st.dataframe height that shows `count` rows (35 px each, plus the header) without scrolling."""
    return 35 * (count + 1) + 3
