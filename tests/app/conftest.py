"""AppTest fixtures shared by the page tests."""
import pytest

from tests.app.helpers import assert_no_exception, open_page


@pytest.fixture
def at(request):
    """The page named by the test module's PAGE, opened in English, with no exception."""
    page = open_page(request.module.PAGE, lang="en")
    assert_no_exception(page)
    return page
