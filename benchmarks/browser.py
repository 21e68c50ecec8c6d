"""Shared by the browser benchmarks: start a Streamlit script on a free port, launch Chromium."""
from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Iterator

from tests.browser.conftest import CHROMIUM_ARGS, chromium_path, serving


def streamlit_server(script: Path):
    """Run `script` headless (ConvLab as scripts/start.sh does); a context yielding its URL."""
    return serving(script, Path(tempfile.mkdtemp()) / "server.log")


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
