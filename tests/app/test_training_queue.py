"""AppTest: the training studio on a full server (a place in the waiting line, Leave the queue,
training starts by itself once a slot frees up) and a session that ends (its running job stops
and gives the slot back; a waiting job leaves the line). A session's end is what Streamlit does
on disconnect or shutdown: it clears the session's resource caches."""
import pytest
from streamlit.runtime import caching

from engine.learn import training
from tests.app.helpers import assert_no_exception, open_page
from ui.i18n import translate

PAGE = "pages/training.py"
APPTEST_SESSION = "test session id"  # the session id AppTest's script runner uses


@pytest.fixture
def at():
    page = open_page(PAGE, lang="en", timeout=120)
    assert_no_exception(page)
    return page


@pytest.fixture
def full_server():
    """Every slot of the server held by other sessions; released afterwards."""
    held = [f"other-{i}" for i in range(training.SLOTS.limit)]
    assert all(training.SLOTS.try_acquire(h) for h in held)
    yield held
    for h in held:
        training.SLOTS.release(h)


def infos(at) -> list[str]:
    return [i.value for i in at.info]


def progress_texts(at) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def test_full_server_shows_the_place_in_line_and_leaving_cancels(at, full_server):
    at.button(key="train_start").click().run()
    assert_no_exception(at)
    job = at.session_state["train_job"]
    assert job.snapshot().status == "queued" and training.SLOTS.position(job.id) == 1
    assert translate("en", "train.queue_position", k=1) in infos(at)
    assert at.button(key="train_start").disabled and not at.error
    at.button(key="train_cancel").click().run()
    assert job.wait(30) and job.snapshot().status == "cancelled"
    at.run()
    assert_no_exception(at)
    assert progress_texts(at) == [translate("en", "train.status.cancelled")]
    assert training.SLOTS.waiting() == 0 and not at.button(key="train_start").disabled
    assert "train_result" not in at.session_state


def test_a_waiting_job_trains_once_a_slot_frees_up(at, full_server):
    at.slider(key="train_epochs").set_value(1).run()
    at.button(key="train_start").click().run()
    job = at.session_state["train_job"]
    assert job.snapshot().status == "queued"
    training.SLOTS.release(full_server[0])
    assert job.wait(120) and job.snapshot().status == "completed"
    at.run()
    assert_no_exception(at)
    assert at.session_state["train_result"].id == job.id


def test_session_end_stops_the_running_job_and_frees_its_slot(at):
    at.slider(key="train_epochs").set_value(30).run()
    at.button(key="train_start").click().run()
    job = at.session_state["train_job"]
    caching.clear_session_resource_cache(APPTEST_SESSION)
    assert job.wait(120)
    assert job.snapshot().status == "stopped" and training.SLOTS.position(job.id) is None


def test_session_end_gives_the_place_in_line_up(at, full_server):
    at.button(key="train_start").click().run()
    job = at.session_state["train_job"]
    assert training.SLOTS.waiting() == 1
    caching.clear_session_resource_cache(APPTEST_SESSION)
    assert job.wait(30) and job.snapshot().status == "cancelled"
    assert training.SLOTS.waiting() == 0
