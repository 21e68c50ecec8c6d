"""Turning failures into messages in the user's language: a user never sees a traceback."""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from engine.errors import EngineError
from ui.i18n import t

log = logging.getLogger("convlab")


def engine_error_text(err: EngineError) -> str:
    """The translated message of an engine error (codes inside params are translated too)."""
    params = dict(err.params)
    if err.key == "bad_image" and "reason" in params:
        params["reason"] = t(f"image_reasons.{params['reason']}")
    return t(f"errors.{err.key}", **params)


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
