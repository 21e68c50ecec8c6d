"""Two students on one server: two AppTest sessions in one process (so they share Streamlit's
caches, as on the server). What one sets, uploads or loads never shows up in the other; only
read-only data (built-in photos, MNIST, the shapes set) is shared through st.cache_data and
st.cache_resource, and an upload cached by its bytes is only reachable with those same bytes."""
import io

import keras
import numpy as np
import pytest
from PIL import Image

from engine.learn import models
from tests.app.helpers import assert_no_exception, assert_renders_in, open_page, shown_text
from ui.i18n import translate


def png_bytes(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def model_file() -> bytes:
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Flatten()(keras.layers.Conv2D(2, 3)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))
    return models.save_bytes(model, ("apples", "pears"))


def test_conv_settings_and_uploads_stay_in_their_session():
    a, b = open_page("pages/conv.py", "en"), open_page("pages/conv.py", "ko")
    a.slider(key="conv_sh").set_value(2).run()
    a.radio(key="conv_source").set_value("upload").run()
    a.file_uploader(key="conv_upload").set_value(("mine.png", png_bytes(1), "image/png")).run()
    assert_no_exception(a)
    assert a.session_state["conv_last_upload"] is not None
    b.run()
    assert_no_exception(b)
    assert b.slider(key="conv_sh").value == 1 and b.radio(key="conv_source").value == "photo"
    assert "conv_last_upload" not in b.session_state
    assert_renders_in(b, "ko", "conv")
    assert_renders_in(a, "en", "conv")
    b.radio(key="conv_source").set_value("upload").run()
    assert "conv_last_upload" not in b.session_state  # the upload box of B is empty
    assert translate("ko", "conv.upload_hint") in shown_text(b)
    b.radio(key="conv_source").set_value("photo").run()
    b.slider(key="conv_sw").set_value(3).run()
    a.run()
    assert a.slider(key="conv_sw").value == 1 and a.slider(key="conv_sh").value == 2
    assert a.session_state["conv_last_upload"] is not None


def test_a_loaded_model_and_its_class_names_belong_to_one_session(model_file):
    a, b = open_page("pages/training.py", "en"), open_page("pages/training.py", "en")
    a.file_uploader(key="train_model_file").set_value(("mine.keras", model_file, "application/zip")).run()
    a.run()
    assert_no_exception(a)
    assert a.session_state["trained_classes"] == ["apples", "pears"]
    b.run()
    assert_no_exception(b)
    for key in ("trained_model", "trained_classes", "train_result", "train_load_errors"):
        assert key not in b.session_state, key
    assert "apples" not in shown_text(b) and "apples" in shown_text(a)
    forward_b = open_page("pages/forward.py", "en")
    assert "trained_model" not in forward_b.session_state and "apples" not in shown_text(forward_b)


def test_the_same_cache_entry_is_a_copy_per_session():
    """st.cache_data hands each caller its own copy: one session cannot change another's picture."""
    a, b = open_page("pages/conv.py", "en"), open_page("pages/conv.py", "en")
    for at in (a, b):
        at.radio(key="conv_source").set_value("upload").run()
        at.file_uploader(key="conv_upload").set_value(("same.png", png_bytes(7), "image/png")).run()
    first, second = a.session_state["conv_last_upload"], b.session_state["conv_last_upload"]
    assert first is not second and np.array_equal(first.pixels, second.pixels)
    first.pixels[...] = 0
    assert second.pixels.any()
