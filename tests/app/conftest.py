"""AppTest fixtures shared by the page tests."""
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from tests.app.helpers import assert_no_exception, open_page


@pytest.fixture
def at(request):
    """The page named by the test module's PAGE, opened in English, with no exception."""
    page = open_page(request.module.PAGE, lang="en")
    assert_no_exception(page)
    return page


@pytest.fixture
def deferred(monkeypatch):
    """(callable, mime type, file name) of deferred downloads, by file id (AppTest throws its media
    manager away after each run)."""
    found = {}
    original = MediaFileManager.add_deferred

    def recording(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        file_id = original(self, data_callable, mimetype, coordinates, file_name, **kwargs)
        found[file_id] = (data_callable, mimetype, file_name)
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", recording)
    return found
