"""AppTest: training runs in a worker process; a worker killed mid-training (SIGKILL) gives the
student a translated message and a Train button that works again, and nothing else is lost: the
model trained before stays shown, the settings stay, the next training gets a fresh worker."""
import os
import signal
import time

from engine.learn import workers
from tests.app.helpers import assert_no_exception, open_page
from tests.app.test_training_page import train
from ui.i18n import translate

PAGE = "pages/training.py"


def wait_running(job, timeout=120):
    """Until the job's worker reports batches (it is training, not starting)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if job.snapshot().status == "running" and workers.shared_pool().busy_pids():
            return
        time.sleep(0.05)
    raise AssertionError(f"the job never ran: {job.snapshot().status}")


def test_a_worker_killed_mid_training_says_so_and_training_works_again():
    lang = "ko"  # the message's English text is checked with every other key by tests/unit/test_i18n.py
    at = open_page(PAGE, lang=lang, timeout=120)
    first = train(at, epochs=1)
    assert first.snapshot().status == "completed"
    trained = at.session_state["train_result"]

    at.slider(key="train_shape_count").set_value(300).run()
    at.select_slider(key="train_batch").set_value(8).run()
    at.slider(key="train_epochs").set_value(30).run()
    at.button(key="train_start").click().run()
    job = at.session_state["train_job"]
    wait_running(job)
    training_pid = next(iter(workers.shared_pool().busy_pids()))
    assert training_pid != os.getpid()
    os.kill(training_pid, signal.SIGKILL)
    assert job.wait(60)
    at.run()
    assert_no_exception(at)
    assert job.snapshot().status == "failed" and job.error.key == "worker_lost"
    assert translate(lang, "errors.worker_lost") in [e.value for e in at.error]
    assert at.session_state["train_result"] is trained  # the model trained before is kept
    assert at.slider(key="train_epochs").value == 30  # and the settings
    assert not at.button(key="train_start").disabled

    again = train(at, epochs=1)
    assert again.snapshot().status == "completed" and again.error is None
    assert at.session_state["train_result"].id == again.id
    assert training_pid not in workers.shared_pool().pids()
