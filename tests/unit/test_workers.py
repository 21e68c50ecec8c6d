"""engine.learn.workers: tasks run in worker processes at a lower priority, report, stop, fail politely,
and a worker that dies or grows too large is replaced without taking the server down."""
import os
import signal
import threading
import time

import pytest

from engine.errors import EngineError
from engine.learn import workers


# Tasks: module-level classes, so a worker can unpickle them (it imports this module).
class Echo:
    def __init__(self, value):
        self.value = value

    def __call__(self, channel):
        return {"value": self.value, "pid": os.getpid(), "nice": os.nice(0)}


class Count:
    """Reports 1..n, each at once."""

    def __init__(self, n):
        self.n = n

    def __call__(self, channel):
        for i in range(1, self.n + 1):
            channel.send(i)
        return "done"


class UntilStopped:
    def __call__(self, channel):
        began = time.monotonic()
        while not channel.stop_requested():
            if time.monotonic() - began > 30:
                return "never stopped"
            time.sleep(0.01)
        return "stopped"


class Raises:
    def __init__(self, error):
        self.error = error

    def __call__(self, channel):
        raise self.error


class Sleeps:
    def __call__(self, channel):
        channel.send("started")
        time.sleep(60)


class Grows:
    def __call__(self, channel):
        kept = [bytearray(50 * 2**20) for _ in range(20)]  # 1 GiB, 50 MiB at a time
        for block in kept:
            block[::4096] = b"x" * len(block[::4096])  # touch every page: resident
        time.sleep(30)


@pytest.fixture
def pool():
    made = workers.WorkerPool(1, memory_mb=400, jobs_per_worker=3, warm=False)
    yield made
    made.close()


def test_a_task_runs_in_another_process_at_a_lower_priority(pool):
    result = pool.run(Echo(41))
    assert result["value"] == 41
    assert result["pid"] != os.getpid()
    assert result["nice"] >= os.nice(0) + workers.NICE


def test_a_worker_is_reused_then_retired_after_its_jobs(pool):
    pids = [pool.run(Echo(i))["pid"] for i in range(4)]
    assert pids[0] == pids[1] == pids[2]  # warm: the same process
    assert pids[3] != pids[0]  # jobs_per_worker=3: a fresh one


def test_reports_arrive_in_order_and_none_is_lost(pool):
    seen = []
    assert pool.run(Count(25), seen.append) == "done"
    assert seen == list(range(1, 26))


def test_stop_reaches_the_task(pool):
    asked = threading.Event()
    threading.Timer(0.5, asked.set).start()
    assert pool.run(UntilStopped(), should_stop=asked.is_set) == "stopped"
    assert pool.run(Echo("next"))["value"] == "next"  # a late Stop does not stop the next task


def test_an_engine_error_comes_back_as_itself(pool):
    with pytest.raises(EngineError) as err:
        pool.run(Raises(EngineError("training_busy", limit=3)))
    assert err.value.key == "training_busy" and err.value.params == {"limit": 3}
    assert pool.run(Echo(1))["value"] == 1


def test_any_other_failure_is_named_not_raised_as_itself(pool):
    with pytest.raises(workers.TaskFailed) as err:
        pool.run(Raises(ZeroDivisionError("x")))
    assert err.value.kind == "ZeroDivisionError"


def test_a_killed_worker_is_worker_lost_and_the_next_task_gets_a_new_one(pool):
    def kill_when_started(message):
        for pid in pool.busy_pids():
            os.kill(pid, signal.SIGKILL)

    with pytest.raises(EngineError) as err:
        pool.run(Sleeps(), kill_when_started)
    assert err.value.key == "worker_lost"
    assert pool.busy_pids() == []
    assert pool.run(Echo("after"))["value"] == "after"


def test_a_worker_over_its_memory_is_stopped(pool):
    with pytest.raises(EngineError) as err:
        pool.run(Grows())
    assert err.value.key == "worker_memory" and err.value.params == {"limit": 400}
    assert pool.run(Echo("after"))["value"] == "after"


def test_warm_starts_the_workers_before_any_task(pool):
    pool.warm()
    deadline = time.monotonic() + 30
    while not pool.pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    started = pool.pids()
    assert len(started) == 1
    assert pool.run(Echo(0))["pid"] == started[0]


def test_the_server_without_workers_trains_in_its_own_threads(monkeypatch):
    monkeypatch.setattr(workers.config, "TRAIN_WORKERS", 0)
    assert workers.shared_pool() is None
