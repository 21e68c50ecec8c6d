"""Background jobs owned by one browser session, stopped when that session ends.

A page registers each job it starts with `own(job)`. The register is a session-scoped
`st.cache_resource`: Streamlit clears a session's resources when its browser disconnects (tab
closed, network gone) or the session is shut down, and calls `on_release` with the register,
which stops every job in it. A running job then ends after its current batch and gives its
training slot back; a job still waiting in the server's line leaves it. The session's memory
(its st.session_state, the job's data and model) goes when Streamlit drops the session (at once
on close, after the reconnect grace period of a disconnected session).
"""
from __future__ import annotations

import threading
from typing import Protocol

import streamlit as st


class Stoppable(Protocol):
    finished: bool

    def stop(self) -> None: ...


class SessionJobs:
    """The jobs one session started (a job that already finished is harmless to stop)."""

    def __init__(self) -> None:
        self._jobs: list[Stoppable] = []
        self._lock = threading.Lock()

    def add(self, job: Stoppable) -> None:
        """Register `job`; finished ones are forgotten, so their models are not kept alive here."""
        with self._lock:
            self._jobs = [j for j in self._jobs if not j.finished] + [job]

    def stop_all(self) -> None:
        """Stop every job; safe to call from any thread, more than once."""
        with self._lock:
            jobs, self._jobs = self._jobs, []
        for job in jobs:
            job.stop()

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)


def release(jobs: SessionJobs) -> None:
    """on_release hook: the session ended."""
    jobs.stop_all()


@st.cache_resource(scope="session", on_release=release, show_spinner=False)
def session_jobs() -> SessionJobs:
    """This session's register (one per session, created on first use)."""
    return SessionJobs()


def own(job: Stoppable) -> None:
    """Stop `job` when this browser session ends."""
    session_jobs().add(job)
