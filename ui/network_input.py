"""The small network and the image the forward-pass and backpropagation pages share: the digits, the
hand-made dense layer, the trained model's steps, the input chooser and the output classes' names.

Each page passes its widget-key prefix (`fwd`, `bp`), so the two pages keep their own choices.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from engine.data import datasets
from engine.errors import EngineError
from engine.lessons import forward
from ui.feedback import show_engine_error
from ui.i18n import labeler, t

MODEL_KEY = "trained_model"  # the training studio's model, for the pages that look inside it
SIZE = 28  # hand-made network input: 28 x 28 x 1 (MNIST size; shapes drawn at the same size)


@st.cache_resource(show_spinner=False)
def cached_digits() -> tuple[np.ndarray, np.ndarray]:
    return datasets.mnist_subset()


@st.cache_resource(show_spinner=False)
def template_layer(source: str) -> forward.Step:
    """The hand-made dense layer: class averages of the hand-made features (no training).

    Digits: every 5th digit of the subset (1,000); shapes: 200 per class (seed 1).
    """
    if source == "digit":
        images, labels = cached_digits()
        images, labels, units = images[::5], labels[::5], 10
    else:
        images, labels = datasets.make_shapes(200, datasets.ShapeOptions(size=SIZE), seed=1)
        units = len(datasets.SHAPE_CLASSES)
    base = forward.handmade_steps((SIZE, SIZE, 1), units)
    return forward.template_dense(forward.features_before_dense(images, base), labels, units)


def trained_steps(prefix: str, label: str, fallback: str,
                  classifier_only: bool = False) -> tuple[list[forward.Step], tuple[int, int, int]] | None:
    """The trained model's steps and input shape when chosen (radio `<prefix>_weights`) and readable,
    else None; a model the page cannot take shows its message and the `fallback` note.
    `classifier_only`: the last step must be a softmax."""
    model = st.session_state.get(MODEL_KEY)
    kinds = ("handmade", "trained") if model is not None else ("handmade",)
    kind = st.radio(t(label), kinds, format_func=labeler("forward.weights_kinds"), key=f"{prefix}_weights",
                    horizontal=True)
    if model is None:
        st.caption(t("forward.no_model"))
    if kind != "trained":
        return None
    try:
        steps, shape = forward.steps_from_keras(model), forward.keras_input_shape(model)
        if classifier_only and steps[-1].kind != "softmax":
            raise EngineError("model_not_classifier", shape=str(getattr(model, "output_shape", "?")))
    except EngineError as err:
        show_engine_error(err)
        st.caption(t(fallback))
        return None
    if steps[0].kind != "scale":  # the course feeds pixels / 255 (rescale=1./255)
        steps = [forward.Step("scale", factor=1.0 / 255.0)] + steps
        st.caption(t("forward.assumed_scale"))
    return steps, shape


def choose_input(shape: tuple[int, int, int], prefix: str) -> tuple[np.ndarray, str, int]:
    """The image (H, W, C) 0..255, its source ('digit' | 'shape') and its true class."""
    sources = ("digit", "shape") if shape[:2] == (28, 28) else ("shape",)
    source = st.radio(t("forward.source"), sources, format_func=labeler("forward.sources"),
                      key=f"{prefix}_source", horizontal=True)
    if source == "digit":
        index = st.number_input(t("forward.digit_index"), 0, datasets.MNIST_SUBSET_SIZE - 1, 3500,
                                key=f"{prefix}_digit")
        digits, labels = cached_digits()
        image, label = digits[int(index)].astype(np.float64), int(labels[int(index)])
    else:
        kind = st.selectbox(t("forward.shape"), datasets.SHAPE_CLASSES, format_func=labeler("shapes"),
                            key=f"{prefix}_shape")
        seed = st.number_input(t("forward.seed"), 0, 9999, 0, key=f"{prefix}_seed")
        if shape[0] != shape[1]:
            raise EngineError("bad_shape", name="model input", expected="(H, H, C)", got=str(shape))
        image = datasets.shape_image(kind, datasets.ShapeOptions(size=shape[0]), seed=int(seed))
        label = datasets.SHAPE_CLASSES.index(kind)
    return np.repeat(image, shape[2], axis=2), source, label


def handmade_steps(source: str, prefix: str, notes: bool = True) -> list[forward.Step]:
    """Hand-made network for the input's source, with the chosen dense layer (`notes`: say how it
    was made)."""
    kind = st.radio(t("forward.dense_kind"), ("templates", "random"),
                    format_func=labeler("forward.dense_kinds"), key=f"{prefix}_dense", horizontal=True)
    units = 10 if source == "digit" else len(datasets.SHAPE_CLASSES)
    if kind == "templates":
        if notes:
            st.caption(t(f"forward.templates_note_{source}"))
        return forward.handmade_steps((SIZE, SIZE, 1), units, template_layer(source))
    seed = st.number_input(t("forward.dense_seed"), 0, 9999, 0, key=f"{prefix}_dense_seed")
    if notes:
        st.caption(t("forward.random_note"))
    return forward.handmade_steps((SIZE, SIZE, 1), units, seed=int(seed))


def class_names(units: int, source: str, trained: bool) -> list[str]:
    """Labels of the output units: the trained model's class names (st.session_state
    ["trained_classes"], set with the model), digits, shape names or 'class k'."""
    given = st.session_state.get("trained_classes") if trained else None
    if given is not None and len(given) == units:
        return [str(name) for name in given]
    if units == len(datasets.SHAPE_CLASSES) and source == "shape":
        return [t(f"shapes.{k}") for k in datasets.SHAPE_CLASSES]
    if units == 10:
        return [str(k) for k in range(10)]
    return [t("forward.class_n", n=k) for k in range(units)]


def shape_text(values: np.ndarray) -> str:
    return " × ".join(str(n) for n in values.shape) if values.ndim > 1 else f"({values.shape[0]},)"


def stage_name(stage: forward.Stage) -> str:
    """'3. ReLU'; pooling stages are named by their mode (max / average), activations by name."""
    if stage.kind == "input":
        return f"0. {t('forward.kinds.input')}"
    if stage.kind == "activation":
        return f"{stage.index}. {t('forward.kinds.activation', name=stage.step.activation)}"
    kind = f"{stage.kind}_{stage.step.mode}" if stage.kind in ("pool", "global_pool") else stage.kind
    return f"{stage.index}. {t(f'forward.kinds.{kind}')}"
