"""AppTest: the transfer-learning page in both languages. A comparison with tiny settings runs end
to end (the background job is waited on, then the page reruns) and every shown number equals the
engine's result; the shapes task, the one-layer base, cached ImageNet files and a full server
are checked too."""
import pytest

from engine.learn import training, transfer
from tests.app.figure_data import array, chart, tiles
from tests.app.helpers import assert_no_exception, open_in, open_page, shown_text
from ui.i18n import translate

PAGE = "pages/transfer.py"
TINY = {"transfer_per_class": 2, "transfer_epochs": 2, "transfer_source_per_class": 20,
        "transfer_pretrain_epochs": 1}


def tiny(at):
    for key, value in TINY.items():
        at.slider(key=key).set_value(value)
    at.run()
    assert_no_exception(at)
    return at


def run_comparison(at, timeout=180):
    at.button(key="transfer_run").click().run()
    assert_no_exception(at)
    job = at.session_state["transfer_job"]
    assert job.wait(timeout)
    at.run()
    assert_no_exception(at)
    return job


def metric(at, label):
    return next(m for m in at.metric if m.label == label)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_and_describes_the_plan(lang):
    at = open_in(PAGE, lang, timeout=60)
    data = transfer.make_task(transfer.datasets.load_mnist(), "digits", 10, 300, 0)
    plan = translate(lang, "transfer.plan", source=len(data.source.y_train), pretrain=3, epochs=10,
                     n=len(data.target.y_train), per_class=10, test=len(data.target.y_test), head=5, k=1, rest=5,
                     lr_ft="0.0001")
    assert plan in shown_text(at)
    assert translate(lang, "transfer.not_started") in shown_text(at)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_comparison_end_to_end_shows_the_engine_numbers(lang):
    at = tiny(open_page(PAGE, lang=lang, timeout=60))
    job = run_comparison(at)
    assert job.snapshot().status == "completed" and not at.error
    result = job.result
    assert result.settings.per_class == 2 and result.settings.epochs == 2
    shown = metric(at, translate(lang, "transfer.pretrain_accuracy")).value
    assert shown == f"{result.pretrain.accuracy:.1%}"
    scratch = result.runs["scratch"].accuracy
    for method, run in result.runs.items():
        m = metric(at, translate(lang, f"transfer.methods.{method}"))
        assert m.value == f"{run.accuracy:.1%}"
        if method != "scratch":
            assert m.delta == translate(lang, "transfer.vs_scratch", delta=100 * (run.accuracy - scratch))
    table = at.dataframe[0].value
    rows = [result.pretrain] + [result.runs[m] for m in transfer.METHODS]
    assert table[translate(lang, "transfer.col_trainable")].tolist() == [f"{r.trainable:,}" for r in rows]
    assert table[translate(lang, "transfer.col_frozen")].tolist() == [f"{r.frozen:,}" for r in rows]
    assert table[translate(lang, "transfer.col_seconds")].tolist() == [f"{r.seconds_per_epoch:.3f}" for r in rows]
    fig = chart(at, "transfer_curves")
    heldout = [array(d["y"]).tolist() for d in fig["data"] if d["name"] == translate(lang, "transfer.heldout")]
    assert heldout == [result.runs[m].history["val_accuracy"] for m in transfer.METHODS]


def test_shapes_task_and_the_one_layer_base():
    at = open_page(PAGE, lang="ko", timeout=60)
    at.radio(key="transfer_task").set_value("shapes").run()
    at.selectbox(key="transfer_base").set_value("tiny").run()
    assert_no_exception(at)
    titles = [tile["caption"] for row in tiles(at, "transfer_examples") for tile in row["tiles"]]
    assert {translate("ko", f"shapes.{n}") for n in ("triangle", "rectangle", "circle")} <= set(titles)
    assert "transfer_unfreeze" not in [s.key for s in at.slider]
    assert translate("ko", "transfer.unfreeze_fixed") in shown_text(at)


def test_cached_imagenet_weights_are_offered(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    (tmp_path / "models" / name).write_bytes(b"x")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    at = open_page(PAGE, lang="en", timeout=60)
    box = at.selectbox(key="transfer_base")
    assert box.options[-1] == translate("en", "transfer.imagenet_base", app="MobileNetV2", alpha="0.35")
    assert translate("en", "transfer.imagenet_found", n=1) in shown_text(at)
    box.set_value(transfer.IMAGENET_PREFIX + name).run()
    assert_no_exception(at)
    assert at.slider(key="transfer_pretrain_epochs").disabled
    assert translate("en", "transfer.imagenet_note") in shown_text(at)


def test_a_full_server_gives_the_translated_message():
    at = tiny(open_page(PAGE, lang="ko", timeout=60))
    holders = [f"other-{i}" for i in range(training.SLOTS.limit)]
    try:
        for holder in holders:
            training.SLOTS.try_acquire(holder)
        at.button(key="transfer_run").click().run()
    finally:
        for holder in holders:
            training.SLOTS.release(holder)
    assert_no_exception(at)
    assert [e.value for e in at.error] == [translate("ko", "errors.training_busy", limit=training.SLOTS.limit)]
    assert "transfer_job" not in at.session_state


def test_session_end_stops_the_comparison_and_frees_its_slot():
    from streamlit.runtime import caching

    at = open_page(PAGE, lang="en", timeout=120)
    at.button(key="transfer_run").click().run()
    job = at.session_state["transfer_job"]
    caching.clear_session_resource_cache("test session id")  # what Streamlit does when a session ends
    assert job.wait(120)
    assert job.snapshot().status == "stopped" and training.SLOTS.active() == 0
