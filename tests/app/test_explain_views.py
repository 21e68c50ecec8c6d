"""AppTest: "why the model decided" in the training studio (a tiny preset trained for one epoch)
and on the transfer page (a nested-base model), in both languages: every map is drawn and equals
the engine's numbers; occlusion and filter pictures run as queued jobs; bad input gives the
translated message and the trained model stays."""
import io

import keras
import numpy as np
import pytest
from PIL import Image

from engine.learn import explain, models, training, transfer
from tests.app.figure_data import array, chart, chart_keys
from tests.app.helpers import assert_no_exception, open_page, shown_text
from tests.app.test_training_page import train
from ui.i18n import translate

PAGE = "pages/training.py"


def jpeg(size=(40, 30)) -> bytes:
    picture = Image.new("RGB", size, (10, 10, 10))
    for x in range(8, 30):
        picture.putpixel((x, 15), (250, 250, 250))
    out = io.BytesIO()
    picture.save(out, format="JPEG")
    return out.getvalue()


def open_tab(at, code, lang, prefix="xp"):
    at.session_state[f"{prefix}_tabs"] = translate(lang, f"explain.tabs.{code}")
    at.run()
    assert_no_exception(at)


def finish_job(at, kind, prefix="xp"):
    job, _ = at.session_state[f"{prefix}_{kind}_job"]
    assert job.wait(60)
    at.run()
    assert_no_exception(at)
    return job


def errors(at):
    return [e.value for e in at.error]


@pytest.fixture(scope="module", params=["en", "ko"])
def studio(request):
    """The training studio with a tiny trained model and the explain panel open on test image 3."""
    lang = request.param
    at = open_page(PAGE, lang=lang, timeout=120)
    train(at, epochs=2)
    at.session_state["xp_open"] = True
    at.run()
    at.radio(key="xp_source").set_value("test").run()
    at.number_input(key="xp_test_index").set_value(3).run()
    assert_no_exception(at)
    return at, lang


def explained(at):
    result = at.session_state["train_result"]
    pixels = result.test_images[3]
    cls = int(np.argmax(models.predict(result.model, pixels[None])[0]))
    return result, pixels, cls


def test_saliency_and_smoothgrad_show_the_engines_maps(studio):
    at, lang = studio
    open_tab(at, "saliency", lang)
    result, pixels, cls = explained(at)
    assert translate(lang, "explain.heading") in [s.value for s in at.subheader]
    fig = chart(at, "xp_saliency")
    np.testing.assert_allclose(array(fig["data"][1]["z"]), explain.saliency(result.model, pixels, cls).map, rtol=1e-5)
    assert fig["layout"]["annotations"][1]["text"] == translate(lang, "explain.saliency.map_title")
    at.radio(key="xp_sal_method").set_value("smooth").run()
    at.slider(key="xp_sal_count").set_value(4).run()
    assert_no_exception(at)
    smooth = explain.smoothgrad(result.model, pixels, cls, 0.15, 4)
    np.testing.assert_allclose(array(chart(at, "xp_saliency")["data"][1]["z"]), smooth.map, rtol=1e-5)
    at.selectbox(key="xp_class").set_value((cls + 1) % 3).run()
    assert_no_exception(at)
    other = explain.smoothgrad(result.model, pixels, (cls + 1) % 3, 0.15, 4)
    np.testing.assert_allclose(array(chart(at, "xp_saliency")["data"][1]["z"]), other.map, rtol=1e-5)
    at.selectbox(key="xp_class").set_value(-1).run()


def test_grad_cam_shows_the_engines_map(studio):
    at, lang = studio
    open_tab(at, "gradcam", lang)
    result, pixels, cls = explained(at)
    cam = explain.grad_cam(result.model, pixels, cls, ("conv2d",))
    fig = chart(at, "xp_gradcam")
    np.testing.assert_allclose(array(fig["data"][1]["z"]), cam.cam, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(array(fig["data"][3]["z"]), cam.heat, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(array(chart(at, "xp_cam_weights")["data"][0]["y"]), cam.weights, rtol=1e-5, atol=1e-8)
    assert translate(lang, "explain.gradcam.cam_title", layer="conv2d", h=22, w=22) == fig["layout"]["annotations"][1]["text"]


def test_occlusion_runs_as_a_queued_job(studio):
    at, lang = studio
    open_tab(at, "occlusion", lang)
    result, pixels, cls = explained(at)
    at.number_input(key="xp_occ_patch").set_value(6).run()
    at.number_input(key="xp_occ_stride").set_value(3).run()
    at.button(key="xp_occ_start").click().run()
    job = finish_job(at, "occlusion")
    assert job.snapshot().status == "completed" and training.SLOTS.active() == 0
    occ = explain.occlusion(result.model, pixels, cls, 6, 3)
    fig = chart(at, "xp_occlusion")
    np.testing.assert_allclose(array(fig["data"][1]["z"]), occ.probabilities, rtol=1e-5)
    assert array(fig["data"][1]["x"]).tolist() == occ.cols.tolist()
    at.number_input(key="xp_occ_stride").set_value(4).run()  # other settings: the old map is marked stale
    assert translate(lang, "explain.stale") in shown_text(at)


def test_filter_pictures_run_as_a_queued_job(studio):
    at, lang = studio
    open_tab(at, "filters", lang)
    at.slider(key="xp_fv_steps").set_value(10).run()
    at.button(key="xp_fv_start").click().run()
    job = finish_job(at, "filters")
    assert job.result.images.shape == (8, 24, 24, 1)
    assert {"xp_fv_grid", "xp_fv_log"} <= set(chart_keys(at))
    log = np.stack([array(tr["y"]) for tr in chart(at, "xp_fv_log")["data"]], axis=1)
    assert np.all(np.diff(log, axis=0) >= 0)
    at.radio(key="xp_fv_which").set_value("one").run()
    at.number_input(key="xp_fv_filter").set_value(99).run()
    at.button(key="xp_fv_start").click().run()
    assert errors(at) == [translate(lang, "errors.channel_out_of_range", channel=99, channels=8)]


def test_filters_while_learning_and_the_explanations(studio):
    at, lang = studio
    open_tab(at, "learning", lang)
    result = at.session_state["train_result"]
    assert len(result.filter_history) == 3
    z = array(chart(at, "xp_learning")["data"][0]["z"])
    assert np.nanmax(np.abs(z)) == pytest.approx(np.abs(result.filter_history[-1].mean(axis=2)).max(), rel=1e-5)
    at.slider(key="xp_epoch").set_value(0).run()
    assert chart(at, "xp_learning")["layout"]["title"]["text"] == translate(lang, "explain.learning.start_title")
    open_tab(at, "about", lang)
    assert translate(lang, "explain.about.text").strip()[:40] in shown_text(at)


def test_bad_input_gives_translated_messages_and_keeps_the_model(studio):
    at, lang = studio
    model = at.session_state["trained_model"]
    open_tab(at, "occlusion", lang)
    at.number_input(key="xp_occ_patch").set_value(40).run()
    at.button(key="xp_occ_start").click().run()
    assert translate(lang, "errors.explain_patch_too_large", patch=40, height=24, width=24) in errors(at)
    at.radio(key="xp_source").set_value("upload").run()
    at.file_uploader(key="xp_upload").set_value(("x.png", b"not a picture", "image/png")).run()
    assert_no_exception(at)
    assert len(at.error) == 1 and at.error[0].value.startswith(translate(lang, "errors.bad_image", reason="")[:6])
    at.radio(key="xp_source").set_value("camera").run()
    assert translate(lang, "explain.camera_hint") in shown_text(at)
    at.camera_input(key="xp_camera").set_value(("photo.jpg", jpeg(), "image/jpeg")).run()
    open_tab(at, "saliency", lang)
    assert "xp_saliency" in chart_keys(at) and not at.error
    at.radio(key="xp_source").set_value("test").run()
    assert at.session_state["trained_model"] is model


def test_a_loaded_model_without_conv_layers_explains_what_it_can():
    at = open_page(PAGE, lang="ko", timeout=120)
    keras.utils.set_random_seed(0)
    dense = keras.Sequential([keras.Input((24, 24, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    at.file_uploader(key="train_model_file").set_value(
        ("dense.keras", models.save_bytes(dense, ("a", "b", "c")), "application/zip")).run()
    assert_no_exception(at)
    at.session_state["xp_open"] = True
    at.run()
    at.radio(key="xp_source").set_value("test").run()
    open_tab(at, "saliency", "ko")
    assert "xp_saliency" in chart_keys(at)
    open_tab(at, "gradcam", "ko")
    assert translate("ko", "errors.explain_no_conv") in errors(at)
    open_tab(at, "learning", "ko")
    assert translate("ko", "explain.learning.none") in shown_text(at)


def nested_transfer_model(classes=5):
    """Like the ImageNet transfer model: a base model nested in the functional model."""
    keras.utils.set_random_seed(5)
    base_in = keras.Input((28, 28, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="b1")(base_in)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(6, 3, activation="relu", name="b2")(x)
    base = keras.Model(base_in, keras.layers.GlobalAveragePooling2D()(x), name="base")
    inp = keras.Input((28, 28, 1))
    rgb = keras.layers.Concatenate()([inp, inp, inp])
    return keras.Model(inp, keras.layers.Dense(classes, activation="softmax")(base(rgb)))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_transfer_page_explains_a_nested_base(lang):
    at = open_page("pages/transfer.py", lang=lang, timeout=120)
    settings = transfer.TransferSettings(per_class=2, source_per_class=10)
    model = nested_transfer_model()
    run = transfer.RunResult("feature", {"val_accuracy": [0.5]}, (0.1,), 10, 20)
    result = transfer.TransferResult(settings, None, {"feature": run}, ("0",) * 5, tuple("56789"),
                                     models={"feature": model})
    at.session_state["transfer_result"] = (result, "completed")
    at.session_state["xt_open"] = True
    at.run()
    assert_no_exception(at)
    open_tab(at, "gradcam", lang, "xt")
    assert at.session_state["xt_cam_layer"] == "base/b2"
    task = transfer.make_task(__import__("engine.data.datasets", fromlist=["x"]).load_mnist(prefer_full=True), "digits", 2,
                              10, 0)
    pixels = task.target.x_test[0]
    cls = int(np.argmax(models.predict(model, pixels[None])[0]))
    cam = explain.grad_cam(model, pixels, cls, ("base", "b2"))
    np.testing.assert_allclose(array(chart(at, "xt_gradcam")["data"][1]["z"]), cam.cam, rtol=1e-5, atol=1e-8)
    at.selectbox(key="xt_cam_layer").set_value("base/b1").run()
    assert_no_exception(at)
    open_tab(at, "saliency", lang, "xt")
    assert "xt_saliency" in chart_keys(at)
