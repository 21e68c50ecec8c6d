"""Turning failures into messages in the user's language: a user never sees a traceback."""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

import streamlit as st

from engine import config
from engine.errors import EngineError
from ui.i18n import t
from ui.safe_text import markdown_text

T = TypeVar("T")

log = logging.getLogger("convlab")
# parameters that carry a user's own text (class or file names, CSV columns, typed cells)
USER_TEXT_PARAMS = {"one_class_only": ("name",), "archive_unsafe_path": ("name",),
                    "archive_suspicious_ratio": ("name",), "csv_missing_column": ("column",),
                    "csv_no_files_found": ("column",), "csv_bad_label_column": ("column",),
                    "not_numeric_cell": ("value",), "bad_hyperparameter": ("value",)}


def engine_error_text(err: EngineError) -> str:
    """The translated message of an engine error (codes inside params are translated too, a
    user's own text is Markdown-escaped)."""
    params = dict(err.params)
    for name in USER_TEXT_PARAMS.get(err.key, ()):
        if name in params:
            params[name] = markdown_text(params[name])
    if err.key == "bad_image" and "reason" in params:
        params["reason"] = t(f"image_reasons.{params['reason']}")
    return t(f"errors.{err.key}", **params)


def upload_limit_hint(limit_bytes: int) -> None:
    """A caption under an uploader with the engine's limit in the user's language (the widget's
    own note, and its message for a far larger file, are Streamlit's English)."""
    st.caption(t("app.upload_limit", limit_mb=f"{limit_bytes / config.MB:.0f}"))


def show_engine_error(err: EngineError) -> None:
    st.error(engine_error_text(err), icon=":material/error:")


@contextmanager
def guarded(keep_going_key: str = "app.unexpected_error") -> Iterator[None]:
    """Show EngineError as a translated message, and any other failure as a short notice.

    The unexpected case is logged with its traceback on the server, never shown to the user.
    With CONVLAB_STRICT=1 (set by the test suite) it is raised instead, so no test can pass
    over a bug that a user would only see as the polite notice.
    """
    try:
        yield
    except EngineError as err:
        show_engine_error(err)
    except Exception as err:  # noqa: BLE001 - the page must keep working whatever happens
        if os.environ.get("CONVLAB_STRICT") == "1":
            raise
        log.exception("unexpected failure in a page section")
        st.error(t(keep_going_key, kind=type(err).__name__), icon=":material/error:")


def input_or_stop(choose: Callable[[], T | None]) -> T:
    """The page's input from `choose()`, run under guarded(); without one (nothing uploaded yet,
    a bad file), the run stops here. Stopped, not finished: the widgets further down the page keep
    their values until there is an input again."""
    chosen = None
    with guarded():
        chosen = choose()
    if chosen is None:
        st.stop()
    return chosen
