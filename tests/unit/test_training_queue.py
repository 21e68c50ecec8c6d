"""engine.learn.training's waiting line in front of the server's training slots: positions, fairness,
cancelling, a full line, try_acquire unchanged; queued TrainingJobs wait, train in order, and a
stopped waiting job ends as 'cancelled' without ever holding a slot."""
import os
import threading

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import pytest  # noqa: E402

from engine.data import datasets  # noqa: E402
from engine.errors import EngineError  # noqa: E402
from engine.learn import models, training  # noqa: E402
from engine.learn.training import TrainingSlots, TrainSettings  # noqa: E402

TINY = models.PRESETS["tiny"]


@pytest.fixture(scope="module")
def split():
    images, labels = datasets.make_shapes(12, datasets.ShapeOptions(size=12), seed=1)
    return training.make_split(images, labels, datasets.SHAPE_CLASSES, 0.2, 0.2, seed=0)


# ------------------------------------------------------------------ the line itself


def test_free_slots_are_taken_at_once_then_the_line_counts_up():
    slots = TrainingSlots(2, queue_limit=5)
    assert [slots.enqueue(j) for j in "abcd"] == [0, 0, 1, 2]
    assert slots.active() == 2 and slots.waiting() == 2
    assert slots.enqueue("c") == 1  # joining twice keeps the place
    assert [slots.position(j) for j in "abcdz"] == [0, 0, 1, 2, None]


def test_a_freed_slot_goes_to_the_first_in_line():
    slots = TrainingSlots(1, queue_limit=5)
    for j in "abc":
        slots.enqueue(j)
    slots.release("a")
    assert slots.position("b") == 0 and slots.position("c") == 1
    assert slots.wait_turn("b", timeout=0) and not slots.wait_turn("c", timeout=0)


def test_try_acquire_cannot_jump_the_line():
    slots = TrainingSlots(1, queue_limit=5)
    assert slots.try_acquire("holder") and slots.enqueue("waiter") == 1
    slots.release("holder")
    assert not slots.try_acquire("newcomer")
    assert slots.position("waiter") == 0


def test_leaving_the_line_moves_the_others_up():
    slots = TrainingSlots(1, queue_limit=5)
    for j in "abcd":
        slots.enqueue(j)
    slots.leave("b")
    slots.release("c")  # release also gives up a place in line
    assert [slots.position(j) for j in "abcd"] == [0, None, None, 1]
    slots.leave("a")  # leave keeps a held slot
    assert slots.position("a") == 0


def test_a_full_line_says_no_and_a_free_slot_needs_no_line():
    slots = TrainingSlots(1, queue_limit=1)
    assert slots.enqueue("a") == 0 and slots.enqueue("b") == 1 and slots.enqueue("c") is None
    none_waiting = TrainingSlots(1, queue_limit=0)
    assert none_waiting.enqueue("a") == 0 and none_waiting.enqueue("b") is None


def test_wait_turn_wakes_when_a_slot_is_handed_over():
    slots = TrainingSlots(1, queue_limit=5)
    slots.enqueue("a")
    slots.enqueue("b")
    got = []
    waiter = threading.Thread(target=lambda: got.append(slots.wait_turn("b", timeout=30)))
    waiter.start()
    slots.release("a")
    waiter.join(30)
    assert got == [True]


def test_wait_turn_returns_false_for_a_job_that_left():
    slots = TrainingSlots(1, queue_limit=5)
    slots.enqueue("a")
    slots.enqueue("b")
    slots.leave("b")
    assert slots.wait_turn("b", timeout=5) is False


# ------------------------------------------------------------------ queued jobs


def test_queued_jobs_wait_then_train_in_order(split):
    slots = TrainingSlots(1, queue_limit=5)
    settings = TrainSettings(epochs=1, batch_size=8)
    assert slots.try_acquire("teacher")
    jobs = [training.TrainingJob(split, TINY, settings, slots=slots).start(queue=True) for _ in range(2)]
    snaps = [j.snapshot() for j in jobs]
    assert [(s.status, s.position) for s in snaps] == [("queued", 1), ("queued", 2)]
    assert not any(s.finished for s in snaps)
    slots.release("teacher")
    assert all(j.wait(120) for j in jobs)
    assert [j.snapshot().status for j in jobs] == ["completed", "completed"]
    assert slots.active() == 0 and slots.waiting() == 0


def test_stopping_a_waiting_job_cancels_it_and_frees_its_place(split):
    slots = TrainingSlots(1, queue_limit=5)
    assert slots.try_acquire("teacher")
    job = training.TrainingJob(split, TINY, TrainSettings(epochs=1), slots=slots).start(queue=True)
    job.stop()
    assert job.wait(30)
    assert job.snapshot().status == "cancelled" and job.model is None and job.snapshot().finished
    assert slots.waiting() == 0 and slots.active() == 1


def test_a_full_line_raises_busy(split):
    slots = TrainingSlots(1, queue_limit=0)
    assert slots.try_acquire("teacher")
    with pytest.raises(EngineError) as err:
        training.TrainingJob(split, TINY, TrainSettings(epochs=1), slots=slots).start(queue=True)
    assert err.value.key == "training_busy" and err.value.params == {"limit": 1}
    assert slots.waiting() == 0
