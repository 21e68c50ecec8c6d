"""Training studio, section 6: files. Download the model (.keras), the run as a notebook and script,
and load a .keras file back (each upload read once; a bad file shows its message and the model the
session had stays)."""
from __future__ import annotations

import streamlit as st

from engine import config
from engine.errors import EngineError
from engine.learn import models, training
from ui import notebook_download
from ui.feedback import engine_error_text, upload_limit_hint
from ui.i18n import t
from ui.safe_text import markdown_text
from ui.studio.state import RESULT_KEY, set_result


def save_and_load(result: training.TrainedModel | None, split: training.DataSplit | None) -> None:
    st.header(t("train.files_heading"))
    c1, c2 = st.columns(2)
    with c1:
        if result is not None:
            model, names = result.model, result.class_names
            st.download_button(t("train.download"), data=lambda: models.save_bytes(model, names),
                               file_name="convlab_model.keras", mime="application/zip", on_click="ignore",
                               icon=":material/download:", key="train_download")
            st.caption(t("train.download_note"))
            notebook_download.download(result)
        else:
            st.caption(t("train.nothing_to_save"))
    with c2:
        file = st.file_uploader(t("train.load"), type=["keras"], key="train_model_file",
                                max_upload_size=config.widget_limit_mb(config.MAX_MODEL_BYTES))
        upload_limit_hint(config.MAX_MODEL_BYTES)
        if file is not None:
            load_model_file(file, split)


def load_model_file(file, split: training.DataSplit | None) -> None:
    """Load each uploaded file once; a bad file shows its message while it stays in the uploader."""
    errors = st.session_state.setdefault("train_load_errors", {})
    if file.file_id not in errors:
        try:
            set_result(training.from_loaded(models.load_bytes(file.getvalue()), split))
            errors[file.file_id] = None
            st.rerun()
        except EngineError as err:
            errors[file.file_id] = engine_error_text(err)
    if errors[file.file_id]:
        st.error(errors[file.file_id], icon=":material/error:")
        if st.session_state.get(RESULT_KEY) is not None:
            st.caption(t("train.previous_kept"))
    else:
        st.success(t("train.loaded_ok", name=markdown_text(file.name)))
