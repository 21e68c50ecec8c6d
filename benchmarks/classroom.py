"""A class on one server: N students at once, 5 of them training the tiny model, against one alone.

Starts ConvLab (or `--replicas R` copies behind Debian's nginx with sticky sessions) and drives
sessions over Streamlit's own websocket protocol (benchmarks.st_client: the server does the same
work as for a browser, without 30 Chromium pages competing for the 2 cores). Every student goes
through the convolution page (stride, kernel size, padding), the pooling page (window, stride,
mode) and the optimizer lab (momentum, rho, surface), thinking `--think` seconds before each
change, for `--rounds` rounds. The trainers first press Train on the training studio (the tiny
preset on shapes, the page's defaults) at the same moment, follow their job as the page does (the
progress fragment every POLL_SECONDS; with 2 server slots the others wait in the queue), then do
one round like the others.

Measured in the same run: a warm-up session (one tiny training, so TensorFlow is loaded, as on a
server that has been up), then one student alone (`--alone-rounds` rounds), then the class.
Latency is control-to-update: from sending a widget change to the server's "script finished"
for that run. Errors: exception elements, error alerts, lost connections and timeouts in any
session, and tracebacks in the server logs. Memory: the peak RSS of the server process trees
(nginx excluded), sampled from /proc. Goal: 0 errors, ratio <= 3, all trainings complete, peak
memory <= 3 GiB.

    python -m benchmarks.classroom [--sessions 30] [--trainers 5] [--replicas 1]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.servers import PeakRss, replica_of, replicas, route_cookie
from benchmarks.st_client import StreamlitClient
from engine.learn import training
from ui.i18n import translate

# (page URL path, ((widget key, value in even rounds, value in odd rounds), ...))
STUDENT = (
    ("convolution", (("conv_sh", 2, 3), ("conv_k", 5, 3), ("conv_padding", 1, 0), ("conv_sh", 1, 1))),
    ("pooling-layers", (("pool_size", 3, 2), ("pool_stride", 1, 2), ("pool_mode", 1, 0))),
    ("optimizer-lab", (("opt_momentum", 0.5, 0.9), ("opt_rho", 0.5, 0.9), ("opt_surface", 0, 1))),
)

def shows_status(text: str, statuses=training.FINISHED) -> bool:
    """Is `text` the progress line (English) of a job in one of `statuses`, whatever its numbers?"""
    for status in statuses:
        template = re.escape(translate("en", f"train.status.{status}"))
        if re.fullmatch(re.sub(r"\\\{[a-z_]+\\\}", ".*", template), text):
            return True
    return False


@dataclass
class Tally:
    """What all sessions of one phase saw."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    trained: int = 0
    replicas: dict[str, int] = field(default_factory=dict)


async def connect(url: str, name: str, tally: Tally, via_nginx: bool) -> StreamlitClient:
    """A client that first loads the app like a browser (getting nginx's route cookie)."""
    cookie = ""
    if via_nginx:
        cookie, _ = await asyncio.to_thread(route_cookie, url)
        where = await asyncio.to_thread(replica_of, url, cookie)
        tally.replicas[where] = tally.replicas.get(where, 0) + 1
    client = StreamlitClient(url, name, cookie=cookie)
    await client.connect()
    return client


async def student_rounds(client: StreamlitClient, rounds: int, think: tuple[float, float], rng: random.Random,
                         tally: Tally) -> None:
    for r in range(rounds):
        for page, steps in STUDENT:
            await client.open(page)
            for key, even, odd in steps:
                await asyncio.sleep(rng.uniform(*think))
                tally.latencies.append(await client.set(key, even if r % 2 == 0 else odd))


async def train_tiny(client: StreamlitClient, timeout: float, epochs: int | None = None) -> bool:
    """Press Train (tiny preset on shapes), follow the progress fragment; True if it completed
    and the page showed the trained model's confusion matrix."""
    await client.open("training-studio")
    if epochs is not None:
        await client.set("train_epochs", epochs)
    await client.click("train_start")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(shows_status(text) for text in client.run.progress):
            break
        await asyncio.sleep(client.fragment[1] if client.fragment else 1.0)
        await client.poll_fragment(timeout=timeout)
    await client.rerun(timeout=timeout)  # the page picks the finished model up
    ok = "train_confusion" in client.run.keys and any(shows_status(t, ("completed",)) for t in client.run.progress)
    if not ok:
        print(f"{client.name}: training not completed; progress {client.run.progress}", flush=True)
    return ok


async def session(url: str, name: str, args, tally: Tally, trains: bool, rounds: int, start_in: float) -> None:
    """One student from connecting to closing; every failure is counted as an error."""
    await asyncio.sleep(start_in)
    rng = random.Random(name)
    client = None
    try:
        client = await connect(url, name, tally, args.replicas > 1)
        if trains:
            completed = await train_tiny(client, args.train_timeout)
            tally.trained += completed  # (not `+= await`: that reads the count before waiting)
        await student_rounds(client, rounds, tuple(args.think), rng, tally)
    except Exception as err:  # noqa: BLE001 - reported as an error of this session
        tally.errors.append(f"{name}: {type(err).__name__}: {err}")
    finally:
        if client is not None:
            tally.errors += client.errors
            await client.close()


async def warm_up(url: str, args) -> Tally:
    """One session through every page and one 1-epoch tiny training (TensorFlow loaded)."""
    tally = Tally()
    client = await connect(url, "warm-up", tally, args.replicas > 1)
    try:
        if not await train_tiny(client, args.train_timeout, epochs=1):
            tally.errors.append("warm-up: the tiny training did not complete")
        await student_rounds(client, 1, (0.0, 0.0), random.Random(0), Tally())
    finally:
        tally.errors += client.errors
        await client.close()
    return tally


async def phase(url: str, args, sessions: int, trainers: int, rounds: int, ramp: float) -> Tally:
    tally = Tally()
    jobs = [session(url, f"s{i:02d}", args, tally, i < trainers, 1 if i < trainers else rounds,
                    0.0 if i < trainers else ramp * i / max(sessions, 1)) for i in range(sessions)]
    await asyncio.gather(*jobs)
    return tally


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] if ordered else float("nan")


def server_errors(log_dir: Path) -> list[str]:
    return [f"server log {p.name}: Traceback" for p in log_dir.glob("server-*.log")
            if "Traceback" in p.read_text(errors="replace")]


async def run(url: str, args) -> tuple[Tally, Tally, Tally]:
    warm = await warm_up(url, args)
    alone = await phase(url, args, 1, 0, args.alone_rounds, 0.0)
    load = await phase(url, args, args.sessions, args.trainers, args.rounds, args.ramp)
    return warm, alone, load


def report(args, warm: Tally, alone: Tally, load: Tally, peak: float, log_dir: Path) -> None:
    errors = warm.errors + alone.errors + load.errors + server_errors(log_dir)
    for err in errors[:20]:
        print("error:", err)
    a, b = p95(alone.latencies), p95(load.latencies)
    print(f"alone: {len(alone.latencies)} changes, p95 {a * 1000:.0f} ms; "
          f"load: {len(load.latencies)} changes, p95 {b * 1000:.0f} ms, median {p95_median(load.latencies):.0f} ms")
    if args.replicas > 1:
        print("sessions per replica:", ", ".join(f"{k}: {v}" for k, v in sorted(load.replicas.items())))
    print(f"classroom N={args.sessions}: errors {len(errors)}, p95 load/alone {b / a:.2f}, "
          f"trainings {load.trained}/{args.trainers}, peak rss {peak:.0f} MiB")


def p95_median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] * 1000 if ordered else float("nan")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--trainers", type=int, default=5)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the three pages per student")
    parser.add_argument("--alone-rounds", type=int, default=2)
    parser.add_argument("--think", type=float, nargs=2, default=(3.0, 9.0), metavar=("MIN", "MAX"),
                        help="seconds a student looks at the page before the next change")
    parser.add_argument("--ramp", type=float, default=15.0, help="seconds over which students arrive")
    parser.add_argument("--train-timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    args.trainers = min(args.trainers, args.sessions)
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="convlab-classroom-"))
    with replicas(args.replicas, log_dir) as (url, procs), PeakRss([p.pid for p in procs]) as rss:
        warm, alone, load = asyncio.run(run(url, args))
    report(args, warm, alone, load, rss.peak, log_dir)


if __name__ == "__main__":
    main()
