"""Start ConvLab for load runs: one server, or several replicas behind Debian's nginx on loopback,
and measure the memory of their process trees.

Replicas share nothing, so each browser session must stay on one of them: nginx pins a browser to
a replica with a cookie it sets itself (`convlab_route`, a random id on the first request; OSS
nginx's `hash ... consistent` maps it to a replica) and passes the websocket upgrade through.
`nginx_config` writes that configuration (deploy/nginx/convlab.conf is its output for two
replicas on ports 8501 and 8502, nginx on port 80); every answer carries `X-ConvLab-Replica` (the upstream's
address) so a test can see where a session landed.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Iterator

from tests.browser.conftest import free_port, start_streamlit, wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]
ROUTE_COOKIE = "convlab_route"
REPLICA_HEADER = "X-ConvLab-Replica"


def nginx_config(ports: list[int], listen: str, prefix: Path | None = None) -> str:
    """nginx.conf text: `listen` (nginx's form: "80", "127.0.0.1:8080") in front of the replicas on `ports`. With `prefix`
    (a scratch folder), a self-contained file for `nginx -p prefix -c ...` run by any user."""
    servers = "".join(f"        server 127.0.0.1:{p} max_fails=0;\n" for p in ports)
    scratch = "" if prefix is None else (
        f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
        + ("user root;\n" if os.geteuid() == 0 else ""))
    temp = "" if prefix is None else "".join(
        f"    {name}_temp_path {prefix}/{name};\n" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    logs = "    access_log off;\n" if prefix is not None else ""
    return f"""# ConvLab behind nginx: {len(ports)} replicas, sticky sessions by cookie, websockets passed through.
{scratch}worker_processes 1;
events {{ worker_connections 4096; }}

http {{
{temp}{logs}    # A browser keeps the replica it was first sent to: nginx gives it a random route id in a
    # cookie and hashes that id to a replica. (ip_hash works too when every student has their
    # own address, but a school network often shows the whole class as one address.)
    map $cookie_{ROUTE_COOKIE} $convlab_route {{
        ""      $request_id;
        default $cookie_{ROUTE_COOKIE};
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}
    upstream convlab {{
        hash $convlab_route consistent;
{servers}    }}
    server {{
        listen {listen};
        client_max_body_size 100m;  # above the app's own upload caps (engine.config)
        location / {{
            proxy_pass http://convlab;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;          # the app's websocket: /_stcore/stream
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;                # with the port: Streamlit checks Origin
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 3600s;                        # a session's socket stays open for hours
            proxy_buffering off;
            add_header Set-Cookie "{ROUTE_COOKIE}=$convlab_route; Path=/; HttpOnly; SameSite=Lax" always;
            add_header {REPLICA_HEADER} $upstream_addr always;
        }}
    }}
}}
"""


def nginx_path() -> str:
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(path).exists():
        raise RuntimeError("nginx not found: `apt-get install -y nginx` (scripts/setup.sh test does it)")
    return path


@contextlib.contextmanager
def nginx(ports: list[int]) -> Iterator[tuple[str, subprocess.Popen]]:
    """Debian's nginx on a free loopback port in front of `ports`; yields (URL, process)."""
    prefix = Path(tempfile.mkdtemp(prefix="convlab-nginx-"))
    listen = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(ports, f"127.0.0.1:{listen}", prefix))
    proc = subprocess.Popen([nginx_path(), "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=open(prefix / "stderr.log", "wb"))
    url = f"http://127.0.0.1:{listen}"
    try:
        wait_until_healthy(url, proc, timeout=30)
        yield url, proc
    finally:
        stop(proc)
        shutil.rmtree(prefix, ignore_errors=True)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextlib.contextmanager
def convlab(log_dir: Path, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """One ConvLab server (scripts/serve.py) on a free port; yields (URL, process)."""
    port = free_port()
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        proc = start_streamlit(ROOT / "app.py", port, log_dir / f"server-{port}.log")
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, proc)
        yield url, proc
    finally:
        stop(proc)


@contextlib.contextmanager
def replicas(count: int, log_dir: Path, env: dict[str, str] | None = None) -> Iterator[tuple[str, list]]:
    """`count` ConvLab servers; with more than one, behind nginx. Yields (entry URL, processes)."""
    with contextlib.ExitStack() as stack:
        started = [stack.enter_context(convlab(log_dir, env)) for _ in range(count)]
        procs = [p for _, p in started]
        if count == 1:
            yield started[0][0], procs
            return
        url, _ = stack.enter_context(nginx([int(u.rsplit(":", 1)[1]) for u, _ in started]))
        yield url, procs


def route_cookie(url: str) -> tuple[str, str]:
    """What a browser gets when it loads the app: (Cookie header value, replica that answered)."""
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=30) as resp:
        cookies = [c.split(";", 1)[0] for c in resp.headers.get_all("Set-Cookie") or []]
        return "; ".join(c for c in cookies if c.startswith(ROUTE_COOKIE)), resp.headers.get(REPLICA_HEADER, "")


def replica_of(url: str, cookie: str) -> str:
    """The replica nginx sends a browser with `cookie` to."""
    req = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": cookie})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.headers.get(REPLICA_HEADER, "")


# ------------------------------------------------------------------ memory


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def _rss_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def tree_rss_mib(pids: list[int]) -> float:
    """Resident memory of these processes and all their descendants, MiB (read from /proc)."""
    seen, todo, total = set(), list(pids), 0
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kib(pid)
        todo += _children(pid)
    return total / 1024


class PeakRss:
    """Samples the process trees' RSS every `every` seconds in a thread; `peak` in MiB."""

    def __init__(self, pids: list[int], every: float = 0.5) -> None:
        import threading

        self.pids, self.every, self.peak = pids, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mib(self.pids))
            self._stop.wait(self.every)
