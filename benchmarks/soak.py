"""Soak: a server that has trained all day must not grow. 200 trainings of the tiny preset one after
another, while 500 sessions open a lesson page and close again, with the RSS of every server process
(the server and its training workers) sampled throughout.

Growth is the RSS of all server processes at the end (after a short rest) against the same after
the first `--base-after` trainings, when TensorFlow, the workers and the caches are all warm; each is
the largest sample over a few seconds (a worker retired after its jobs is replaced at any moment). The
sessions go over Streamlit's own websocket protocol (benchmarks.st_client), as in
benchmarks.classroom. Goal: no error, growth <= 15 %.

    python -m benchmarks.soak [--trainings 200] [--sessions 500] [--epochs 1]

Last line: `soak: trainings T, sessions S, errors E, rss growth G%`.
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.classroom import Tally, connect, server_errors, train_tiny
from benchmarks.servers import _rss_kib, replicas, tree_rss_mib

PAGES = ("convolution", "pooling-layers", "forward-pass", "softmax-and-dropout", "hand-made-features",
         "batch-norm", "optimizer-lab", "training-studio", "cnn-architectures", "transfer-learning")
REST_SECONDS = 5.0  # before the last sample: the sessions' clean-up has run
WINDOW_SECONDS = 5.0  # a sample is the largest RSS over this window: a retired worker's successor
# may be starting at any moment, and one instant could miss it


async def settled_rss(pids: list[int]) -> tuple[float, float]:
    """(all server processes, the server alone) in MiB, the largest over WINDOW_SECONDS."""
    tree = alone = 0.0
    for _ in range(int(WINDOW_SECONDS / 0.5)):
        tree = max(tree, tree_rss_mib(pids))
        alone = max(alone, sum(_rss_kib(p) for p in pids) / 1024)
        await asyncio.sleep(0.5)
    return tree, alone


async def trainings(url: str, args, tally: Tally, pids: list[int], samples: dict) -> None:
    """`args.trainings` tiny trainings, one after another, each in a new session."""
    for i in range(args.trainings):
        client = None
        try:
            client = await connect(url, f"trainer-{i}", tally, False)
            tally.trained += await train_tiny(client, args.train_timeout, epochs=args.epochs)
        except Exception as err:  # noqa: BLE001 - counted as an error
            tally.errors.append(f"trainer-{i}: {type(err).__name__}: {err}")
        finally:
            if client is not None:
                tally.errors += client.errors
                await client.close()
        if i + 1 == args.base_after:
            samples["base"], samples["base_server"] = await settled_rss(pids)
        if (i + 1) % 20 == 0:
            print(f"{i + 1} trainings, {samples.get('sessions', 0)} sessions, rss {tree_rss_mib(pids):.0f} MiB",
                  flush=True)


async def sessions(url: str, args, tally: Tally, samples: dict, trainings_done) -> None:
    """`args.sessions` sessions, one after another, each opening one lesson page and closing,
    spread over the time the trainings take."""
    for i in range(args.sessions):
        client = None
        try:
            client = await connect(url, f"visitor-{i}", tally, False)
            await client.open(PAGES[i % len(PAGES)])
        except Exception as err:  # noqa: BLE001
            tally.errors.append(f"visitor-{i}: {type(err).__name__}: {err}")
        finally:
            if client is not None:
                tally.errors += client.errors
                await client.close()
        samples["sessions"] = i + 1
        left = args.sessions - i - 1
        if left and not trainings_done.done():  # keep pace with the trainings
            await asyncio.sleep(max(0.0, args.session_gap))


async def run(url: str, args, pids: list[int]) -> tuple[Tally, dict]:
    tally, samples = Tally(), {}
    training_task = asyncio.create_task(trainings(url, args, tally, pids, samples))
    await asyncio.gather(sessions(url, args, tally, samples, training_task), training_task)
    await asyncio.sleep(REST_SECONDS)
    samples["end"], samples["end_server"] = await settled_rss(pids)
    return tally, samples


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainings", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=1, help="epochs of each tiny training")
    parser.add_argument("--base-after", type=int, default=20, help="trainings before the base RSS sample")
    parser.add_argument("--session-gap", type=float, default=0.5, help="seconds between two visitors")
    parser.add_argument("--train-timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    args.base_after = min(args.base_after, args.trainings)
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="convlab-soak-"))
    began = time.monotonic()
    with replicas(1, log_dir) as (url, procs):
        tally, samples = asyncio.run(run(url, args, [p.pid for p in procs]))
    errors = tally.errors + server_errors(log_dir)
    errors += [f"{args.trainings - tally.trained} trainings did not complete"] if tally.trained < args.trainings else []
    for err in errors[:20]:
        print("error:", err)
    base, end = samples.get("base", float("nan")), samples["end"]
    print(f"rss after {args.base_after} trainings {base:.0f} MiB, at the end {end:.0f} MiB (the server alone "
          f"{samples.get('base_server', 0):.0f} -> {samples['end_server']:.0f} MiB); {time.monotonic() - began:.0f} s")
    print(f"soak: trainings {tally.trained}, sessions {samples.get('sessions', 0)}, errors {len(errors)}, "
          f"rss growth {100 * (end - base) / base:.1f}%")


if __name__ == "__main__":
    main()
