"""Browser latency of the convolution page: from a stride change to the redrawn feature map.

Runs in one go, interleaved: ConvLab's convolution page on a 128x128 RGB photo (the astronaut)
with a 3x3 filter, and a bare Streamlit app with one slider and one text. Each sample presses
the arrow key on a slider and stops the clock when the browser shows the result: for ConvLab,
when the feature map (a canvas heat map, ui.raster_heatmap) holds the new number of rows; for the bare app, when the text shows
the new value. Goal: median ratio <= 1.5.

    python -m benchmarks.ui_conv [--samples 24]
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from benchmarks.browser import chromium, streamlit_server
from tests.browser.helpers import choose, click_text, goto, open_app, wait_idle
from ui.i18n import translate

ROOT = Path(__file__).resolve().parents[1]
FMAP_ROWS_JS = """(title) => {
  for (const map of document.querySelectorAll('.convlab-raster'))
    if (map.dataset.title === title) return Number(map.dataset.rows);
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const text = gd.layout && gd.layout.title ? String(gd.layout.title.text).replace(/<[^>]+>/g, '') : '';
    if (text === title && gd._fullData && gd._fullData[0] && gd._fullData[0].z)
      return gd._fullData[0].z.length;
  }
  return -1;
}"""


def conv_page(browser, url: str):
    """The convolution page set to the 128x128 RGB astronaut, ready for stride changes."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    open_app(page, url, "convolution", "en")
    choose(page, translate("en", "conv.photo"), translate("en", "photos.astronaut"))
    click_text(page, translate("en", "conv.color.rgb"))
    return page


def time_conv_change(page, key: str, rows: int) -> float:
    """Press `key` on the row-stride slider; seconds until the feature map has `rows` rows."""
    slider = page.get_by_role("slider", name=translate("en", "conv.stride_h"))
    title = translate("en", "conv.feature_map", n=1)
    start = time.perf_counter()
    slider.press(key)
    page.wait_for_function(f"(t) => ({FMAP_ROWS_JS})(t) === {rows}", arg=title, polling="raf")
    elapsed = time.perf_counter() - start
    wait_idle(page)
    return elapsed


def time_bare_change(page, key: str, value: int) -> float:
    """Press `key` on the bare slider; seconds until the text shows `value`."""
    slider = page.get_by_role("slider", name="value")
    start = time.perf_counter()
    slider.press(key)
    page.get_by_text(f"bare value {value}", exact=True).wait_for()
    elapsed = time.perf_counter() - start
    wait_idle(page)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=24)
    args = parser.parse_args()
    page_ms, bare_ms = [], []
    with streamlit_server(ROOT / "app.py") as app_url, \
            streamlit_server(ROOT / "benchmarks" / "bare_app.py") as bare_url, chromium() as browser:
        conv = conv_page(browser, app_url)
        bare = browser.new_page(viewport={"width": 1440, "height": 1000})
        goto(bare, bare_url)
        wait_idle(bare)
        for i in range(args.samples + 2):  # the first two of each are warm-up
            key, rows, value = ("ArrowRight", 63, 2) if i % 2 == 0 else ("ArrowLeft", 126, 1)
            conv_s = time_conv_change(conv, key, rows)
            bare_s = time_bare_change(bare, key, value)
            if i >= 2:
                page_ms.append(conv_s * 1000)
                bare_ms.append(bare_s * 1000)
    p, b = statistics.median(page_ms), statistics.median(bare_ms)
    print(f"samples: {len(page_ms)}; page p90 {sorted(page_ms)[int(0.9 * len(page_ms))]:.0f} ms, "
          f"bare p90 {sorted(bare_ms)[int(0.9 * len(bare_ms))]:.0f} ms")
    print(f"conv page update / bare streamlit rerun: {p / b:.2f} (page {p:.0f} ms, bare {b:.0f} ms)")


if __name__ == "__main__":
    main()
