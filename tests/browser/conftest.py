"""Real-browser fixtures: a `streamlit run app.py` server on a free port and Debian's Chromium.

Playwright cannot download browsers here, so Chromium comes from Debian (scripts/setup.sh
installs it) and is launched through `executable_path`. A missing Chromium fails the tests
instead of skipping them.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """Debian's Chromium (or $CONVLAB_CHROMIUM)."""
    path = os.environ.get("CONVLAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Chromium not found: run `bash scripts/setup.sh test` (installs Debian's chromium)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    """Poll Streamlit's health endpoint until it answers 'ok'."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not become healthy in time")


def start_streamlit(script: Path, port: int, log_path: Path) -> subprocess.Popen:
    """Start `script` headless on 127.0.0.1:port: ConvLab through scripts/serve.py (as
    scripts/start.sh does), any other script with `streamlit run`."""
    launch = ([str(ROOT / "scripts" / "serve.py")] if script == ROOT / "app.py"
              else ["-m", "streamlit", "run", str(script)])
    cmd = [sys.executable, *launch,
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    log = open(log_path, "wb")
    return subprocess.Popen(cmd, cwd=script.parent, stdout=log, stderr=subprocess.STDOUT)


@contextlib.contextmanager
def serving(script: Path, log_path: Path) -> Iterator[str]:
    """Start `script` on a free port, yield its base URL, stop it afterwards."""
    port = free_port()
    proc = start_streamlit(script, port, log_path)
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


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The URL of a ConvLab server started for this test session; its log must end clean."""
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    with serving(ROOT / "app.py", log_path) as url:
        yield url
    server_log = log_path.read_text(errors="replace")
    assert "Traceback" not in server_log, server_log[-4000:]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ko-KR")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def screenshot(pg, name: str) -> Path:
    """Save a full-page PNG under artifacts/screenshots/ for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path
