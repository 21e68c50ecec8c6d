"""The training page's notebook download: the run behind a trained model as a zip with a Jupyter
notebook, the same code as a .py script and the run's data (engine.learn.notebook_export).

`remember(job)` is called when a job starts: it keeps the job's Run (its data split, model spec,
settings and the data source chosen at that moment) in the session, for the job and the model
shown now. `download(result)` draws the button for a model trained here; the zip is built only
when the button is clicked (a deferred download), in the session's language.
"""
from __future__ import annotations

from functools import partial

import streamlit as st

from engine.learn import notebook_export, training
from ui.i18n import current_language, t, translate

RUNS_KEY = "train_notebook_runs"  # {job id: notebook_export.Run}
SOURCE_KEY = "train_source"  # the training page's data source radio
RESULT_KEY = "train_result"  # the training page's shown model


def remember(job: training.TrainingJob) -> None:
    """Keep the Run of a job that just started; drop older runs except the shown model's."""
    runs = st.session_state.setdefault(RUNS_KEY, {})
    shown = st.session_state.get(RESULT_KEY)
    keep = {job.id, getattr(shown, "id", None)}
    for old in [key for key in runs if key not in keep]:
        del runs[old]
    runs[job.id] = notebook_export.run_of(job, str(st.session_state.get(SOURCE_KEY) or ""))


def download(result: training.TrainedModel) -> None:
    """The download button of the shown model's run, or a note when it was not trained here."""
    run = st.session_state.get(RUNS_KEY, {}).get(result.id) if result.origin == "trained" else None
    if run is None:
        st.caption(t("notebook.not_trained_here"))
        return
    text = partial(translate, current_language())
    st.download_button(t("notebook.download"), data=lambda: notebook_export.export_zip(run, text),
                       file_name=notebook_export.ARCHIVE_NAME, mime="application/zip", on_click="ignore",
                       icon=":material/download:", key="train_notebook_download")
    st.caption(t("notebook.download_note"))
