"""AppTest: the shared job panel (ui.job_panel) on a stand-in job, for both pages that use it
("train" and "transfer"): nothing started, queued (place and Leave the queue), running (Stop),
failed (the translated message, the previous result kept) and a finished job collected exactly once."""
import pytest
from streamlit.testing.v1 import AppTest

from ui.i18n import translate

SCRIPT = '''
import streamlit as st
from types import SimpleNamespace
from engine.errors import EngineError
from ui import job_panel

class FakeJob:
    """A job whose state the test sets: status, finished, error."""
    def __init__(self, status, finished=False, error=None):
        self.id, self.status, self.finished, self.error, self.failure_kind = "job-1", status, finished, error, None
        self.stopped = False
    def snapshot(self):
        return SimpleNamespace(status=self.status, finished=self.finished, fraction=0.5, position=3)
    def stop(self):
        self.stopped = True

def keep(job):
    st.session_state["kept"] = st.session_state.get("kept", 0) + 1
    st.session_state[NAME + "_result"] = "a model"

NAME = st.session_state["name"]
PANEL = job_panel.JobPanel(NAME, 0.5, lambda snap: "status " + snap.status, keep, result_key=NAME + "_result")
if "make" in st.session_state:
    status, finished, error = st.session_state.pop("make")
    st.session_state[PANEL.job_key] = FakeJob(status, finished, EngineError(error) if error else None)
job_panel.collect_finished(PANEL)
job_panel.show(PANEL)
'''


def run_panel(name: str, make=None, kept_before: bool = False) -> AppTest:
    at = AppTest.from_string(SCRIPT, default_timeout=30)
    at.session_state["name"] = name
    at.session_state["lang"] = "en"
    if kept_before:
        at.session_state[f"{name}_result"] = "an older model"
    if make is not None:
        at.session_state["make"] = make
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text(key: str, **params) -> str:
    return translate("en", key, **params)


@pytest.mark.parametrize("name", ["train", "transfer"])
def test_nothing_started_says_how_to_start(name):
    at = run_panel(name)
    assert [i.value for i in at.info] == [text(f"{name}.not_started")]
    assert not at.get("progress")


@pytest.mark.parametrize("name", ["train", "transfer"])
def test_a_queued_job_shows_its_place_and_leaving_stops_it(name):
    at = run_panel(name, ("queued", False, None))
    assert [i.value for i in at.info] == [text(f"{name}.queue_position", k=3)]
    assert [p.proto.text for p in at.get("progress")] == ["status queued"]
    assert at.button(f"{name}_cancel").label == text(f"{name}.cancel")
    at.button(f"{name}_cancel").click().run()
    assert at.session_state[f"{name}_job"].stopped


@pytest.mark.parametrize("name", ["train", "transfer"])
def test_a_running_job_has_a_stop_button_that_stops_it(name):
    at = run_panel(name, ("running", False, None))
    assert text(f"{name}.keeps_running") in [c.value for c in at.caption]
    at.button(f"{name}_stop").click().run()
    assert at.session_state[f"{name}_job"].stopped
    assert "kept" not in at.session_state  # a running job is not collected


@pytest.mark.parametrize("name", ["train", "transfer"])
def test_a_failed_job_gives_its_message_and_keeps_the_previous_result(name):
    at = run_panel(name, ("failed", True, "worker_lost"), kept_before=True)
    assert [e.value for e in at.error] == [text("errors.worker_lost")]
    assert text(f"{name}.previous_kept") in [c.value for c in at.caption]


@pytest.mark.parametrize("name", ["train", "transfer"])
def test_a_finished_job_is_collected_once(name):
    at = run_panel(name, ("done", True, None))
    assert at.session_state["kept"] == 1
    assert at.session_state[f"{name}_collected"] == "job-1"
    at.run()
    at.run()
    assert at.session_state["kept"] == 1
