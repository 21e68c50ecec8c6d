"""AppTest: the softmax / cross-entropy / dropout page runs in both languages, every control
changes the result, the shown numbers are the engine's, and bad cells give translated messages."""
import numpy as np
import pytest

from engine.lessons import naive_vs_stable
from engine.ops import losses
from engine.ops.activations import softmax_trace
from engine.ops.dropout import dropout
from tests.app.figure_data import array, chart
from tests.app.helpers import assert_no_exception, open_in, shown_text
from ui.i18n import translate
from visuals.formulas import fmt

PAGE = "pages/softmax_dropout.py"
ACTIVATIONS = np.array([[0.8, 0.0, 1.5, 0.3, 2.0], [1.2, 0.6, 0.0, 0.9, 0.4],
                        [0.0, 1.7, 0.5, 1.1, 0.2], [0.7, 0.3, 1.4, 0.0, 1.0]])


def metric(at, key, lang="en", **params):
    label = translate(lang, key, **params)
    return next(m.value for m in at.metric if m.label == label)


def softmax_table(at):
    """The stable-softmax table (the grid editors are data frames too)."""
    return next(d.value for d in at.dataframe if "exp(z − max)" in d.value.columns)


def edit(at, key, row, col, value):
    at.session_state[key] = {"edited_rows": {row: {str(col): value}}, "added_rows": [], "deleted_rows": []}
    at.run()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_renders_in_both_languages(lang):
    open_in(PAGE, lang)  # no exception, no error box, the title and all text in `lang`


def test_default_logits_probabilities_and_loss(at):
    z = np.array([2.0, 1.0, 0.1])
    detail = losses.cross_entropy_detail(z, 0)
    assert metric(at, "softmax.p_true", k=0) == fmt(detail.p_true) == "0.659"
    assert metric(at, "softmax.loss_exact") == fmt(detail.loss_exact)
    assert metric(at, "softmax.loss_keras_logits") == fmt(detail.loss_keras)
    np.testing.assert_allclose(array(chart(at, "sm_probs")["data"][0]["y"]), detail.probs, rtol=1e-15)
    table = softmax_table(at)
    assert list(table["p"]) == [fmt(p) for p in softmax_trace(z).probs]
    assert list(table["exp(z − max)"]) == [fmt(v) for v in softmax_trace(z).exps]
    assert translate("en", "softmax.same_result") in shown_text(at)


def test_true_class_changes_the_loss(at):
    at.selectbox(key="sm_true_logits_example").set_value(2).run()
    detail = losses.cross_entropy_detail(np.array([2.0, 1.0, 0.1]), 2)
    assert metric(at, "softmax.loss_exact") == fmt(detail.loss_exact) == "2.317"


def test_confident_wrong_logits_exact_versus_clipped(at):
    at.selectbox(key="sm_preset_logits").set_value("confident_wrong").run()
    z = np.array([0.0, 30.0, 0.0, 0.0])
    detail = losses.cross_entropy_detail(z, 0)
    clipped = losses.cross_entropy_detail(detail.probs, 0, from_logits=False)
    assert metric(at, "softmax.loss_exact") == fmt(detail.loss_exact) == "30"
    assert metric(at, "softmax.loss_keras_after_softmax") == fmt(clipped.loss_keras) == "16.1181"
    assert translate("en", "softmax.clip_note", cap="16.1181") in [i.value for i in at.info]


def test_huge_logits_overflow_only_the_naive_way(at):
    at.selectbox(key="sm_preset_logits").set_value("huge").run()
    assert_no_exception(at)
    z = np.array([1000.0, 999.0, 998.0])
    assert naive_vs_stable.naive_softmax(z).failed
    table = softmax_table(at)
    assert list(table[translate("en", "softmax.col_naive_p")]) == ["NaN"] * 3
    assert list(table[translate("en", "softmax.col_naive_exp")]) == ["∞"] * 3
    assert list(table["p"]) == [fmt(p) for p in softmax_trace(z).probs]
    assert translate("en", "softmax.overflow", limit="709.78") in [w.value for w in at.warning]


def test_course_wrong_probabilities_infinite_loss(at):
    at.radio(key="sm_mode").set_value("probs").run()
    at.selectbox(key="sm_preset_probs").set_value("course_wrong").run()
    detail = losses.cross_entropy_detail(np.array([0.0, 1.0, 0.0, 0.0, 0.0]), 0, from_logits=False)
    assert detail.loss_exact == np.inf
    assert metric(at, "softmax.loss_exact") == "∞"
    assert metric(at, "softmax.loss_keras_probs") == fmt(detail.loss_keras) == "16.1181"
    assert any(r"\infty" in el.value for el in at.latex)
    at.selectbox(key="sm_preset_probs").set_value("course_right").run()
    assert metric(at, "softmax.loss_exact") == "0"


def test_editing_logits_and_bad_cells(at):
    key = "sm_cells_logits_example"
    edit(at, key, 0, 2, "3")
    detail = losses.cross_entropy_detail(np.array([2.0, 1.0, 3.0]), 0)
    assert metric(at, "softmax.p_true", k=0) == fmt(detail.p_true)
    edit(at, key, 0, 1, "abc")
    assert_no_exception(at)
    name = translate("en", "softmax.name_logits")
    assert translate("en", "errors.not_numeric_cell", name=name, row=1, col=2, value="abc") in [
        e.value for e in at.error]
    assert metric(at, "softmax.p_true", k=0) == fmt(detail.p_true)  # last valid logits kept
    edit(at, key, 0, 1, "inf")
    assert translate("en", "errors.nonfinite_cell", name=name, row=1, col=2) in [e.value for e in at.error]


def test_negative_probability_is_refused(at):
    at.radio(key="sm_mode").set_value("probs").run()
    edit(at, "sm_cells_probs_course_right", 0, 1, "-0.5")
    assert_no_exception(at)
    assert translate("en", "errors.bad_probabilities", name="y_pred") in [e.value for e in at.error]


def test_dropout_rate_seed_and_phase(at):
    y, keep = dropout(ACTIVATIONS, 0.5, training=True, seed=0)
    assert metric(at, "softmax.kept") == f"{int(keep.sum())} / 20"
    assert metric(at, "softmax.scale") == "2"
    assert metric(at, "softmax.sums") == f"{fmt(ACTIVATIONS.sum())} → {fmt(y.sum())}"
    z = array(chart(at, "sm_drop_output")["data"][0]["z"])
    np.testing.assert_array_equal(np.isnan(z), ~keep)
    np.testing.assert_allclose(z[keep], y[keep])
    at.slider(key="sm_drop_rate").set_value(0.2).run()
    y, keep = dropout(ACTIVATIONS, 0.2, training=True, seed=0)
    assert metric(at, "softmax.kept") == f"{int(keep.sum())} / 20"
    assert metric(at, "softmax.scale") == "1.25"
    at.number_input(key="sm_drop_seed").set_value(5).run()
    y, keep = dropout(ACTIVATIONS, 0.2, training=True, seed=5)
    np.testing.assert_array_equal(np.isnan(array(chart(at, "sm_drop_output")["data"][0]["z"])), ~keep)
    at.radio(key="sm_drop_phase").set_value("inference").run()
    assert metric(at, "softmax.kept") == "20 / 20" and metric(at, "softmax.scale") == "1"
    assert translate("en", "softmax.inference_note") in [s.value for s in at.success]


def test_dropout_average_over_masks_is_close_to_the_input(at):
    z = array(chart(at, "sm_drop_mean")["data"][0]["z"])
    many, _ = dropout(np.broadcast_to(ACTIVATIONS, (1000, 4, 5)), 0.5, training=True, seed=0)
    np.testing.assert_allclose(z, many.mean(axis=0))
    assert np.max(np.abs(z - ACTIVATIONS)) < 0.2


def test_bad_activation_cell_keeps_the_last_grid(at):
    edit(at, "sm_drop_cells", 0, 0, "")
    assert_no_exception(at)
    name = translate("en", "softmax.activations_name")
    assert translate("en", "errors.empty_cell", name=name, row=1, col=1) in [e.value for e in at.error]
    assert metric(at, "softmax.sums").startswith(fmt(ACTIVATIONS.sum()))
