"""Start ConvLab's Streamlit server: `python scripts/serve.py [streamlit options]`.

Same as `streamlit run app.py`, with one difference: the server treats the app as an
`st.navigation` app from its very first request. Streamlit otherwise starts in the old
"pages/ directory" mode until some session has run app.py, so the first visitor of a deep
link (a teacher's shared /convolution URL on a freshly started server) gets a "Page not
found" dialog, and a URL equal to a page's file name would run that page without app.py
(streamlit issue 9992). app.py's first st.navigation call sets this same flag; we only set
it before the first session instead of during it. tests/browser/test_deep_links.py checks it.
It also keeps Keras' session between script runs (ui/server_tuning.py says why).
"""
from __future__ import annotations

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ui.server_tuning import keep_keras_session  # noqa: E402

APP = Path(__file__).resolve().parents[1] / "app.py"


def main() -> None:
    PagesManager.uses_pages_directory = False
    keep_keras_session()
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
