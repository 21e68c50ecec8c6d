"""Browser: after a training run, the training studio's notebook button downloads a zip with the
notebook (its text in the page's language), the same code as a script, and the run's data."""
import io
import zipfile

import nbformat
import pytest

from tests.browser.helpers import open_app, wait_idle
from ui.i18n import translate

pytestmark = pytest.mark.browser


def test_a_trained_run_downloads_as_a_korean_notebook(page, app_url):
    open_app(page, app_url, "training-studio", "ko")
    page.locator(".st-key-train_start button").click()
    page.get_by_text(translate("ko", "notebook.download")).wait_for(timeout=180_000)
    wait_idle(page)
    with page.expect_download(timeout=60_000) as download:
        page.locator(".st-key-train_notebook_download button").click()
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
    assert {"convlab_run.ipynb", "convlab_run.py", "data/convlab_data.npz"} <= set(archive.namelist())
    notebook = nbformat.reads(archive.read("convlab_run.ipynb").decode(), as_version=4)
    nbformat.validate(notebook)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and any("\uac00" <= ch <= "\ud7a3" for ch in first.source)
    assert "model.fit(" in archive.read("convlab_run.py").decode()
