"""Session keys the training studio's sections share, and where a trained model is kept."""
from __future__ import annotations

import streamlit as st

from engine.learn import training

RESULT_KEY = "train_result"  # this session's TrainedModel (trained here or loaded from a file)
LINKED_KEY = "train_linked_layers"  # (preset, ModelSpec, count): the layers a share link brought
LAYERS_NOW_KEY = "train_layers_now"  # the tables' layers as text, as the last run built them


def set_result(result: training.TrainedModel) -> None:
    """This session's model, also handed to the forward-pass page."""
    st.session_state[RESULT_KEY] = result
    st.session_state["trained_model"] = result.model
    st.session_state["trained_classes"] = list(result.class_names)


def current_result() -> training.TrainedModel | None:
    return st.session_state.get(RESULT_KEY)
