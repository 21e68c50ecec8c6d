"""One panel for a session's long background job (the training studio's training, the transfer
page's comparison): starting it, its progress bar, its place in the server's queue with a Cancel
button, Stop, the failure message, and taking the finished job's result into the session once.

A page describes its job with a `JobPanel` (its text namespace, which is also its widget-key and
session-key prefix, how often to poll, how to word the progress bar, what to draw under it and how
to keep the result), then calls `collect_finished` near the top of its run, `start` when its button
is pressed and `show` where the progress belongs. Keys: `<name>_job` (the job), `<name>_collected`
(the id of the job already collected), `<name>_stop` / `<name>_cancel` (the buttons). Texts, under
`<name>.`: not_started, stop, keeps_running, queue_position, cancel, queue_note, previous_kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

from engine.errors import EngineError
from ui.feedback import guarded, show_engine_error
from ui.i18n import t
from ui.session_jobs import own


def _nothing(_snap: Any) -> None:
    return None


@dataclass(frozen=True)
class JobPanel:
    """How one page's job is shown. `status_text(snapshot)` words the progress bar; `below(snapshot)`
    draws what follows the controls (live curves, scores so far) on every poll; `keep(job)` takes a
    finished job's result into st.session_state; `result_key` names where that result lives, for the
    "your previous result is kept" note under a failure (None: no note)."""

    name: str
    poll_seconds: float
    status_text: Callable[[Any], str]
    keep: Callable[[Any], None]
    below: Callable[[Any], None] = _nothing
    result_key: str | None = None

    @property
    def job_key(self) -> str:
        return f"{self.name}_job"

    @property
    def collected_key(self) -> str:
        return f"{self.name}_collected"


def running(panel: JobPanel):
    """This session's job while it has not finished, else None."""
    job = st.session_state.get(panel.job_key)
    return job if job is not None and not job.finished else None


def start(panel: JobPanel, make_job: Callable[[], Any]) -> None:
    """Start this session's job (`make_job()` builds and starts it); bad settings or a full server
    give a translated message and whatever the session had stays. The job is stopped (or leaves the
    queue) when this browser session ends."""
    try:
        job = make_job()
    except EngineError as err:
        show_engine_error(err)
        return
    own(job)
    st.session_state[panel.job_key] = job
    st.rerun()  # redraw with the start button disabled and the progress polling


def show(panel: JobPanel) -> None:
    """The progress panel, as a fragment that polls while the job runs."""
    every = panel.poll_seconds if running(panel) is not None else None
    st.fragment(_progress, run_every=every)(panel)


def _progress(panel: JobPanel) -> None:
    """Progress bar, queue place or Stop, the failure message, then the page's own view of the job."""
    job = st.session_state.get(panel.job_key)
    if job is None:
        st.info(t(f"{panel.name}.not_started"))
        return
    snap = job.snapshot()
    st.progress(snap.fraction, text=panel.status_text(snap))
    if snap.status == "queued":
        _queue_place(panel, job, snap.position)
    elif not snap.finished:
        if st.button(t(f"{panel.name}.stop"), icon=":material/stop_circle:", key=f"{panel.name}_stop"):
            job.stop()
        st.caption(t(f"{panel.name}.keeps_running"))
    elif snap.status == "failed":
        _failure(panel, job)
    panel.below(snap)
    if snap.finished and st.session_state.get(panel.collected_key) != job.id:
        st.rerun()  # the whole page picks the finished job up


def _queue_place(panel: JobPanel, job, position: int) -> None:
    """Where this session's job waits for a free slot, and a Cancel button."""
    st.info(t(f"{panel.name}.queue_position", k=position), icon=":material/hourglass_top:")
    if st.button(t(f"{panel.name}.cancel"), icon=":material/cancel:", key=f"{panel.name}_cancel"):
        job.stop()
    st.caption(t(f"{panel.name}.queue_note"))


def _failure(panel: JobPanel, job) -> None:
    if job.error is not None:
        show_engine_error(job.error)
    else:
        st.error(t("app.unexpected_error", kind=job.failure_kind or "?"), icon=":material/error:")
    if panel.result_key is not None and st.session_state.get(panel.result_key) is not None:
        st.caption(t(f"{panel.name}.previous_kept"))


def collect_finished(panel: JobPanel) -> None:
    """Once per job: hand the finished (or stopped) job to `panel.keep`."""
    job = st.session_state.get(panel.job_key)
    if job is None or not job.finished or st.session_state.get(panel.collected_key) == job.id:
        return
    st.session_state[panel.collected_key] = job.id
    with guarded():
        panel.keep(job)
