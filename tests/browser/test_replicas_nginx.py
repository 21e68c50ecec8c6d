"""Two ConvLab replicas behind Debian's nginx on loopback (the configuration benchmarks.servers
generates, as in deploy/nginx/convlab.conf): real Chromium pages work through nginx (the
websocket upgrade and Streamlit's Origin check pass), a browser stays on its replica, and
sessions land on both replicas. Needs nginx (`bash scripts/setup.sh test` installs it)."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.servers import REPLICA_HEADER, replica_of, replicas, route_cookie
from benchmarks.st_client import StreamlitClient
from tests.browser.helpers import assert_no_error_elements, open_app, press_slider
from ui.i18n import translate


@pytest.fixture(scope="module")
def through_nginx(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("replicas")
    with replicas(2, log_dir) as (url, procs):
        yield url
    for log in log_dir.glob("server-*.log"):
        assert "Traceback" not in log.read_text(errors="replace"), log


def test_a_route_cookie_pins_a_browser_and_spreads_browsers_over_both_replicas(through_nginx):
    cookies = [route_cookie(through_nginx) for _ in range(24)]
    assert all(c.startswith("convlab_route=") and where for c, where in cookies)
    assert len({where for _, where in cookies}) == 2
    for cookie, where in cookies[:6]:
        assert {replica_of(through_nginx, cookie) for _ in range(3)} == {where}


async def drive(url: str, cookie: str) -> list[str]:
    client = StreamlitClient(url, cookie, cookie=cookie)
    await client.connect()
    try:
        await client.open("convolution")
        await client.set("conv_sh", 2)
        await client.open("pooling-layers")
        await client.set("pool_size", 3)
    finally:
        await client.close()
    return client.errors


def test_sessions_on_each_replica_run_pages(through_nginx):
    by_replica = {}
    while len(by_replica) < 2:
        cookie, where = route_cookie(through_nginx)
        by_replica.setdefault(where, cookie)

    async def both():
        return await asyncio.gather(*(drive(through_nginx, c) for c in by_replica.values()))

    # in a thread of its own: Playwright's sync API may already run an event loop in this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, both()).result() == [[], []]


def test_chromium_pages_work_through_nginx(browser, through_nginx):
    seen = set()
    for _ in range(3):
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            response = page.goto(f"{through_nginx}/_stcore/health")
            seen.add(response.headers.get(REPLICA_HEADER.lower()))
            open_app(page, through_nginx, "convolution", "en")
            press_slider(page, translate("en", "conv.stride_h"), "ArrowRight")
            assert page.get_by_role("slider", name=translate("en", "conv.stride_h")).input_value() == "2"
            assert_no_error_elements(page)
            cookie = next(c for c in context.cookies() if c["name"] == "convlab_route")
            assert replica_of(through_nginx, f"convlab_route={cookie['value']}") in seen
        finally:
            context.close()
    assert None not in seen
