"""Shared by the browser benchmarks: start a Streamlit script on a free port, launch Chromium."""
from __future__ import annotations

import contextlib
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

from tests.browser.conftest import CHROMIUM_ARGS, chromium_path, free_port, start_streamlit, wait_until_healthy


@contextlib.contextmanager
def streamlit_server(script: Path) -> Iterator[str]:
    """Run `streamlit run script` headless; yield its base URL; stop it afterwards."""
    port = free_port()
    log = Path(tempfile.mkdtemp()) / "server.log"
    proc = start_streamlit(script, port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


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
