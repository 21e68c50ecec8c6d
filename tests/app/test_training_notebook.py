"""AppTest: after training the tiny preset, the training studio offers the run as a notebook zip
(built only on click); its data, model and texts are the run's, in the session's language."""
import io
import zipfile

import nbformat
import numpy as np
import pytest

from engine.learn import models, notebook_export as ne
from tests.app.helpers import assert_no_exception, open_page, shown_text
from tests.app.test_training_page import CLASS_ZIP, metric, train
from ui.i18n import translate

PAGE = "pages/training.py"
KEY = "train_notebook_download"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_trained_run_downloads_as_a_notebook_zip(lang, deferred):
    at = open_page(PAGE, lang=lang, timeout=120)
    assert_no_exception(at)
    assert not [b for b in at.download_button if b.key == KEY]  # nothing trained yet
    at.slider(key="train_shape_count").set_value(40).run()
    job = train(at, epochs=1)
    button = at.download_button(key=KEY)
    assert button.label == translate(lang, "notebook.download")
    make, mime, file_name = deferred[button.proto.deferred_file_id]
    assert (mime, file_name) == ("application/zip", ne.ARCHIVE_NAME)
    data = make()
    assert isinstance(data, bytes) and len(data) > 1000
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert set(archive.namelist()) == {ne.NOTEBOOK_NAME, ne.SCRIPT_NAME, ne.NPZ_PATH}
        nb = nbformat.reads(archive.read(ne.NOTEBOOK_NAME).decode("utf-8"), as_version=4)
        with np.load(io.BytesIO(archive.read(ne.NPZ_PATH))) as npz:
            np.testing.assert_array_equal(npz["x_train"], job.data.x_train)
            np.testing.assert_array_equal(npz["y_test"], job.data.y_test)
    nbformat.validate(nb)
    intro = nb.cells[0].source
    assert intro.startswith(translate(lang, "notebook.title"))
    assert metric(at, "train.total_params", lang) in intro  # the parameter count the page shows
    assert translate(lang, "train.sources.shapes") in intro
    code = "\n".join(ne.code_cells(nb))
    assert f"SEED = {job.settings.seed}\n" in code and f"EPOCHS = 1\n" in code
    assert "model.add(keras.layers.Conv2D(8, (3, 3), activation='relu'))" in code


def test_uploaded_class_folders_come_back_as_class_folders(deferred):
    at = open_page(PAGE, lang="en", timeout=120)
    at.radio(key="train_source").set_value("folders").run()
    at.slider(key="train_target_size").set_value(16).run()
    at.file_uploader(key="train_zip").set_value(("animals.zip", CLASS_ZIP, "application/zip")).run()
    job = train(at, epochs=1)
    at.radio(key="train_source").set_value("shapes").run()  # the run's source was recorded when it started
    assert_no_exception(at)
    make, _, _ = deferred[at.download_button(key=KEY).proto.deferred_file_id]
    with zipfile.ZipFile(io.BytesIO(make())) as archive:
        names = set(archive.namelist())
        nb = nbformat.reads(archive.read(ne.NOTEBOOK_NAME).decode("utf-8"), as_version=4)
    pictures = {n for n in names if n.endswith(".png")}
    assert len(pictures) == sum(job.data.sizes) == 12
    assert {n.split("/")[2] for n in pictures} == {"cat", "dog"}
    assert ne.NPZ_PATH not in names
    code = "\n".join(ne.code_cells(nb))
    assert "keras.utils.image_dataset_from_directory(" in code and "color_mode='rgb'" in code
    assert "IMAGE_SHAPE = (16, 16, 3)" in code


def test_a_loaded_model_has_no_notebook(tmp_path):
    at = open_page(PAGE, lang="ko", timeout=120)
    train(at, epochs=1)
    saved = models.save_bytes(at.session_state["trained_model"], ("a", "b", "c"))
    at.file_uploader(key="train_model_file").set_value(("m.keras", saved, "application/octet-stream")).run()
    at.run()
    assert_no_exception(at)
    assert at.session_state["train_result"].origin == "loaded"
    assert not [b for b in at.download_button if b.key == KEY]
    assert translate("ko", "notebook.not_trained_here") in shown_text(at)
