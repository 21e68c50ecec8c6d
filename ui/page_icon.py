"""The browser tab's icon, drawn here: a 3x3 grid of cells (a kernel) in the theme's blue.

A Material icon name as `page_icon` makes every page load ask Google's font host for the icon's
picture, which fails offline and behind a classroom firewall; an image is served by the app itself.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

BLUE = (0, 114, 178)  # the theme's primaryColor, Okabe-Ito blue
SIZE = 48


@lru_cache(maxsize=1)
def page_icon() -> Image.Image:
    """A SIZE x SIZE RGBA picture: three rows of three rounded-off cells, the middle one full."""
    pixels = np.zeros((SIZE, SIZE, 4), dtype=np.uint8)
    cell, gap = 14, 3
    for r in range(3):
        for c in range(3):
            top, left = gap + r * (cell + gap // 2 + 1), gap + c * (cell + gap // 2 + 1)
            alpha = 255 if (r, c) == (1, 1) else 150
            pixels[top:top + cell, left:left + cell] = (*BLUE, alpha)
    return Image.fromarray(pixels, "RGBA")
