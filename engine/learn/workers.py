"""Training in worker processes, so that a training never slows anyone's sliders down.

A class shares one server. TensorFlow's training threads took both cores, and the Keras loop held
Python's lock, so every rerun of every session waited while someone trained. Jobs therefore run
in warm worker processes (TensorFlow imported once, reused for the next job) at a lower CPU
priority (`os.nice`): the server's own threads always come first.

    pool = shared_pool()                      # None when CONVLAB_TRAIN_WORKERS=0
    result = pool.run(task, on_message, should_stop)

`task` is a picklable callable run in a worker as `task(channel)`; it reports with
`channel.send(payload)` and sees Stop with
`channel.stop_requested()`. `run` blocks the calling thread (a job's thread, or a page's script
for a short job) until the task returns, handing each report to `on_message`, and forwards Stop
when `should_stop()` turns true. An EngineError raised in the task is raised again here; any
other failure raises `TaskFailed(kind)`. A worker that dies (killed, crashed) gives
EngineError('worker_lost') and is replaced; one that grows over CONVLAB_WORKER_MEMORY_MB of
memory is killed and gives EngineError('worker_memory'). After WORKER_JOBS jobs a worker is
retired (its caches go with it) and a fresh one takes its place.

The protocol is pickled tuples over a socket pair (multiprocessing.connection.Connection):
parent -> worker ("run", token, task), ("stop", token); worker -> parent ("ready",),
("message", token, payload), ("result", token, value), ("engine_error", token, key, params),
("failed", token, kind). Workers are plain `python -m engine.learn.workers FD` processes (not
multiprocessing's spawn, which would import the server's main script).
"""
from __future__ import annotations

import atexit
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from engine import config
from engine.errors import EngineError

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]  # the clone, two folders above this file
NICE = 10  # the workers' CPU priority below the server's (0): the scheduler serves reruns first
POLL = 0.1  # seconds between the parent's checks (messages, Stop, the worker's memory)
WORKER_ERRORS = ("worker_lost", "worker_memory")  # the worker is gone: never lent again
SEND_GAP = 0.2  # seconds between two progress reports of a training job


class TaskFailed(Exception):
    """A task failed in its worker with an exception that is not an EngineError (`kind` names it)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


# ------------------------------------------------------------------ the worker's side


class Channel:
    """What a task sees of its worker: `send(payload)` reports, `stop_requested()` asks for Stop."""

    def __init__(self, conn: Connection, token: int, lock: threading.Lock) -> None:
        self._conn, self._token, self._lock = conn, token, lock
        self._stopped = False

    def send(self, payload: object) -> None:
        """Report `payload` to the server (a task paces its own reports)."""
        with self._lock:
            self._conn.send(("message", self._token, payload))

    def stop_requested(self) -> bool:
        while not self._stopped and self._conn.poll(0):
            message = self._conn.recv()
            if message[0] == "stop" and message[1] == self._token:
                self._stopped = True
        return self._stopped


def _serve(conn: Connection) -> None:
    """The worker's loop: run each task it is sent, until the server goes away."""
    send_lock = threading.Lock()
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            message = pickle.loads(message)
        except Exception as err:  # noqa: BLE001 - a task this worker cannot read (its module failed)
            log.exception("task could not be read in worker %s", os.getpid())
            message = ("unreadable", type(err).__name__)
        if message[0] == "unreadable":
            with send_lock:
                conn.send(("failed", None, message[1]))
            continue
        if message[0] != "run":
            continue  # a Stop that came after its task had ended
        _, token, task = message
        channel = Channel(conn, token, send_lock)
        try:
            value = task(channel)
            reply = ("result", token, value)
        except EngineError as err:
            reply = ("engine_error", token, err.key, dict(err.params))
        except Exception as err:  # noqa: BLE001 - the server shows a short notice
            log.exception("task failed in worker %s", os.getpid())
            reply = ("failed", token, type(err).__name__)
        try:
            with send_lock:
                conn.send(reply)
        except (EOFError, OSError):
            return
        _forget_models()


def _forget_models() -> None:
    """Drop what Keras keeps between models (graphs, names), so a worker's memory stays flat."""
    if "keras" in sys.modules:
        sys.modules["keras"].backend.clear_session()
    import gc

    gc.collect()


def worker_main(fd: int, warm: bool = True) -> None:
    os.nice(NICE)
    conn = Connection(fd)
    if warm:
        import keras  # noqa: F401 - the first job need not wait for TensorFlow
    _serve(conn)


# ------------------------------------------------------------------ the server's side


class Worker:
    """One worker process and the server's end of its socket."""

    def __init__(self, warm: bool = True) -> None:
        mine, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        command = [sys.executable, "-m", "engine.learn.workers", str(theirs.fileno()), "warm" if warm else "cold"]
        self.process = subprocess.Popen(command,
                                        pass_fds=[theirs.fileno()], cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
        theirs.close()
        self.conn = Connection(mine.detach())
        self.jobs = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def memory_mb(self) -> float:
        """Resident memory (MiB), from /proc; 0 when it cannot be read."""
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def close(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        if self.alive():
            self.process.kill()
        self.process.wait(timeout=10)


class WorkerPool:
    """Up to `size` warm workers; `run` lends one to a task and takes it back."""

    def __init__(self, size: int, memory_mb: float, jobs_per_worker: int, warm: bool = True) -> None:
        """`warm`: workers import TensorFlow when they start (tests of the protocol alone need not)."""
        self.size, self.memory_mb, self.jobs_per_worker = int(size), float(memory_mb), int(jobs_per_worker)
        self.warm_imports = warm
        self._warming = False
        self._idle: list[Worker] = []
        self._busy: dict[int, Worker] = {}
        self._lock = threading.Lock()
        self._tokens = 0

    def warm(self) -> None:
        """Start idle workers up to `size` now (in the background), so the first job need not wait."""
        with self._lock:
            missing = self.size - len(self._idle) - len(self._busy)
            if missing <= 0 or self._warming:
                return
            self._warming = True

        def start() -> None:
            started = [Worker(self.warm_imports) for _ in range(missing)]
            with self._lock:
                self._idle.extend(started)
                self._warming = False
        threading.Thread(target=start, name="convlab-warm-workers", daemon=True).start()

    def busy_pids(self) -> list[int]:
        """The processes running a task now (tests kill one to check the server copes)."""
        with self._lock:
            return [w.pid for w in self._busy.values()]

    def pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in [*self._idle, *self._busy.values()]]

    def run(self, task, on_message=None, should_stop=lambda: False):
        worker, token = self._lend()
        clean = False
        try:
            worker.conn.send(("run", token, task))
            value = self._follow(worker, token, on_message, should_stop)
            clean = True
            return value
        except EngineError as err:
            clean = err.key not in WORKER_ERRORS  # the task's own error: the worker is fine
            raise
        except TaskFailed:
            clean = True
            raise
        finally:
            self._take_back(worker, token, clean)

    def _follow(self, worker: Worker, token: int, on_message, should_stop):
        stop_sent = False
        while True:
            if not stop_sent and should_stop():
                worker.conn.send(("stop", token))
                stop_sent = True
            try:
                if worker.conn.poll(POLL):
                    reply = worker.conn.recv()
                    if reply[0] == "message" and on_message is not None:  # ("ready",) needs nothing
                        on_message(reply[2])
                    elif reply[0] == "result":
                        return reply[2]
                    elif reply[0] == "engine_error":
                        raise EngineError(reply[2], **reply[3])
                    elif reply[0] == "failed":
                        raise TaskFailed(reply[2])
                    continue
            except (EOFError, OSError, ConnectionError):
                raise EngineError("worker_lost") from None
            if not worker.alive():
                raise EngineError("worker_lost")
            if worker.memory_mb() > self.memory_mb:
                worker.process.kill()
                raise EngineError("worker_memory", limit=int(self.memory_mb))

    def _lend(self) -> tuple[Worker, int]:
        with self._lock:
            while self._idle and not self._idle[-1].alive():
                self._idle.pop().close()
            worker = self._idle.pop() if self._idle else None
            self._tokens += 1
            token = self._tokens
        worker = worker or Worker(self.warm_imports)  # started outside the lock: it takes a moment
        with self._lock:
            self._busy[token] = worker
        return worker, token

    def _take_back(self, worker: Worker, token: int, clean: bool) -> None:
        worker.jobs += 1
        with self._lock:
            self._busy.pop(token, None)
            keep = clean and worker.alive() and worker.jobs < self.jobs_per_worker
            if keep:
                self._idle.append(worker)
        if not keep:
            worker.close()
            log.info("worker %s retired after %s jobs (clean=%s)", worker.pid, worker.jobs, clean)

    def close(self) -> None:
        with self._lock:
            workers, self._idle = [*self._idle, *self._busy.values()], []
            self._busy = {}
        for worker in workers:
            worker.close()


_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def shared_pool() -> WorkerPool | None:
    """The server's pool (one per process), or None when CONVLAB_TRAIN_WORKERS=0 (jobs then run
    in the server's own threads)."""
    global _POOL
    if config.TRAIN_WORKERS == 0:
        return None
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = WorkerPool(config.TRAIN_WORKERS, config.WORKER_MEMORY_MB, config.WORKER_JOBS)
            atexit.register(_POOL.close)
        return _POOL


def warm_shared_pool() -> None:
    """Start the server's workers in the background if they are not running (a training page calls
    it when it is opened, so that Train starts at once)."""
    pool = shared_pool()
    if pool is not None:
        pool.warm()


if __name__ == "__main__":
    worker_main(int(sys.argv[1]), warm=sys.argv[2:] != ["cold"])
