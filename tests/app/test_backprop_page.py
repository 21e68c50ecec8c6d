"""AppTest: the backpropagation page runs in both languages; every control (image, network, inspected
stage and cell, kernel and dense weight, optimizer, learning rate, steps, checked weight and h, the
BatchNorm expander) changes what is shown, and every shown number is the engine's; a trained model is
used, and a model the page cannot take, NaN weights or an overflowing learning rate give a translated
message while the page keeps working."""
import numpy as np
import pytest

from engine.data import datasets
from engine.lessons import backprop, forward
from engine.ops import backward
from tests.app.figure_data import array, chart, chart_keys, drawn_keys, tiles
from tests.app.helpers import assert_no_exception, open_in, open_page, shown_text
from tests.app.test_forward_page import fake_model, layer, template_stages
from ui.i18n import translate
from visuals.formulas import fmt, products_sum

PAGE = "pages/backprop.py"


def codes(at) -> list[str]:
    return [str(c.value) for c in at.code]


def table_with(at, column):
    """The first table shown with this column (AppTest's dataframes carry no key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def metric(at, key, lang="en", **params):
    return next(m.value for m in at.metric if m.label == translate(lang, key, **params))


@pytest.fixture(scope="module")
def digit():
    images, labels = datasets.mnist_subset()
    return images[3500].astype(np.float64), int(labels[3500])


@pytest.fixture(scope="module")
def engine(digit):
    """The page's default network, image and gradients, rebuilt from the engine."""
    image, label = digit
    stages = template_stages(image)
    steps = [s.step for s in stages[1:]]
    return image, label, steps, stages, backprop.network_backward(stages, label)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_renders_in_both_languages_with_a_gradient_card_per_stage(lang, engine):
    page = open_in(PAGE, lang)
    stages = engine[3]
    assert sorted(k for k in drawn_keys(page) if k.startswith("bp_grad_")) == sorted(
        f"bp_grad_{s.index}" for s in stages)
    assert translate(lang, "bp.stages_heading") in shown_text(page)


def test_loss_and_output_gradient_are_the_engines(at, engine):
    image, label, steps, stages, grads = engine
    assert metric(at, "bp.loss") == fmt(grads.loss, 4)
    np.testing.assert_allclose(array(chart(at, "bp_probs")["data"][0]["y"]), grads.probs, rtol=1e-12)
    table = table_with(at, "∂L/∂z = p − y")
    assert list(table["∂L/∂z = p − y"]) == [fmt(v) for v in grads.probs - np.eye(10)[label]]
    assert any(fmt(grads.stage_grads[-2][label]) in str(x.value) for x in at.latex)
    # every stage's drawn gradient is the engine's (the first channel of maps)
    for stage in stages:
        key = f"bp_grad_{stage.index}"
        if key in chart_keys(at):  # a vector: bars or a strip
            fig = chart(at, key)
            z = array(fig["data"][0]["z"] if "z" in fig["data"][0] else fig["data"][0]["y"])
        else:  # maps: tiles, the first channel first
            z = tiles(at, key)[0]["tiles"][0]["values"]
        want = grads.stage_grads[stage.index]
        want = want[..., 0] if want.ndim == 3 else want
        np.testing.assert_allclose(z.reshape(want.shape), want, rtol=1e-12, atol=1e-300)
    relu = stages[3]  # before the max pool: only the windows' winners get a gradient
    nonzero = int(np.count_nonzero(grads.stage_grads[3]))
    assert translate("en", "bp.routing_note", nonzero=nonzero, total=grads.stage_grads[3].size) in shown_text(at)
    assert relu.kind == "relu"
    kernel_fig = chart(at, "bp_kernels")
    np.testing.assert_allclose(array(kernel_fig["data"][3]["z"]), grads.param_grads[2]["kernel"][:, :, 0, 0])


def test_every_stage_and_cell_can_be_explained(at, engine):
    image, label, steps, stages, grads = engine
    for index in range(len(stages)):
        at.selectbox(key="bp_stage").set_value(index).run()
        assert_no_exception(at)
        assert not at.error
        values = stages[index].values
        if values.ndim == 3:
            pos = (values.shape[0] // 3, values.shape[1] // 2, values.shape[2] - 1)
            if values.shape[0] > 1:
                at.slider(key=f"bp_row_{index}").set_value(pos[0])
                at.slider(key=f"bp_col_{index}").set_value(pos[1])
            if values.shape[2] > 1:
                at.selectbox(key=f"bp_ch_{index}").set_value(pos[2])
            at.run()
        elif values.size == 10:
            pos = (label,)
            at.selectbox(key=f"bp_unit_{index}").set_value(label).run()
        else:
            pos = (int(np.argmax(np.abs(grads.stage_grads[index]))),)
        trace = backprop.stage_grad_trace(stages, grads, index, pos)
        value = grads.stage_grads[index][pos]
        shown = shown_text(at)
        stage_label = at.selectbox(key="bp_stage").format_func(index).split(" · ")[0]
        assert translate("en", "bp.trace_matches", value=fmt(value), stage=stage_label) in shown
        total = getattr(trace, "total", getattr(trace, "result", None))
        assert any(f"= {fmt(total)}" in c for c in codes(at)), (index, codes(at))


def test_kernel_and_dense_weight_gradients_are_written_out(at, engine):
    image, label, steps, stages, grads = engine
    at.selectbox(key="bp_wf").set_value(2)
    at.slider(key="bp_wa").set_value(0)
    at.slider(key="bp_wb").set_value(2).run()
    assert_no_exception(at)
    tr = backward.kernel_grad_trace(stages[1].values, steps[1].kernel.shape, grads.stage_grads[2], 1, "valid", 1,
                                    0, 2, 0, 2)
    assert any(products_sum(tr.inputs, tr.upstream, tr.total, max_terms=12) in c for c in codes(at))
    assert translate("en", "bp.weight_matches", value=fmt(grads.param_grads[2]["kernel"][0, 2, 0, 2])) in shown_text(at)
    at.slider(key="bp_wd").set_value(100)
    at.slider(key="bp_wu").set_value(3).run()
    dt = backprop.dense_weight_trace(stages, grads, 5, 100, 3)
    assert any(f"= {fmt(dt.activation)} × {fmt(dt.delta)} = {fmt(dt.result)}" in c for c in codes(at))
    assert dt.result == pytest.approx(grads.param_grads[6]["weights"][100, 3])


@pytest.mark.parametrize("name, lr, count", [("sgd", 0.05, 7), ("adam", 0.01, 4)])
def test_learning_steps_show_the_engines_losses(name, lr, count, engine):
    image, label, steps, stages, grads = engine
    at = open_page(PAGE)
    at.radio(key="bp_opt").set_value(name)
    at.number_input(key="bp_lr").set_value(lr)
    at.slider(key="bp_steps").set_value(count).run()
    assert_no_exception(at)
    run = backprop.descend(image, steps, label, backprop.optimizer_factory(name, lr), count)
    assert metric(at, "bp.loss_before") == fmt(run.losses[0], 6)
    assert metric(at, "bp.loss_after_one") == fmt(run.losses[1], 6)
    assert metric(at, "bp.loss_after_n", n=count) == fmt(run.losses[-1], 6)
    np.testing.assert_allclose(array(chart(at, "bp_curve")["data"][0]["y"]), run.losses, rtol=1e-12)
    table = table_with(at, "g = ∂L/∂w")
    assert list(table[translate("en", "bp.col_new")]) == [fmt(v, 6) for v in run.kernels[1][:, :, 0, 0].ravel()]
    if name == "adam":
        assert list(table["m̂"]) == [fmt(v, 6) for v in run.records[0]["m_hat"][:, :, 0, 0].ravel()]
    learned = tiles(at, "bp_filters_learned")  # rows: the filters before, after the steps, the change
    np.testing.assert_allclose(learned[1]["tiles"][0]["values"], run.kernels[-1][:, :, 0, 0])
    np.testing.assert_allclose(learned[2]["tiles"][0]["values"], run.kernels[-1][:, :, 0, 0] - run.kernels[0][:, :, 0, 0])


def test_an_overflowing_learning_rate_gives_a_notice_and_the_page_keeps_working():
    at = open_page(PAGE)
    at.number_input(key="bp_lr").set_value(1e12).run()
    assert_no_exception(at)
    assert translate("en", "bp.diverged", step=1, lr=fmt(1e12)) in shown_text(at)
    at.number_input(key="bp_lr").set_value(0.01).run()
    assert translate("en", "bp.diverged", step=1, lr=fmt(0.01)) not in shown_text(at)
    assert not at.warning


def test_gradient_check_shows_both_numbers_and_flags_a_relu_corner(engine):
    image, label, steps, stages, grads = engine
    at = open_page(PAGE, lang="ko")
    at.selectbox(key="bp_check_param").set_value("5.weights").run()
    at.slider(key="bp_check_index").set_value(482 * 10 + 7)
    at.select_slider(key="bp_check_h").set_value(1e-4).run()
    assert_no_exception(at)
    res = backprop.gradient_check(image, steps, label, 5, "weights", (482, 7), 1e-4)
    text = "\n".join(codes(at))
    assert fmt(res.analytic, 8) in text and fmt(res.numeric, 8) in text
    assert res.relative_error < 1e-6 and not at.info
    # the conv bias of filter 2 sits on ReLU corners (flat background: conv output exactly 0)
    at.selectbox(key="bp_check_param").set_value("1.bias").run()
    at.slider(key="bp_check_index").set_value(1)
    at.select_slider(key="bp_check_h").set_value(1e-5).run()
    corner = backprop.gradient_check(image, steps, label, 1, "bias", (1,), 1e-5)
    assert corner.kink
    assert translate("ko", "bp.check_kink", right=fmt(corner.right_slope, 6), left=fmt(corner.left_slope, 6)) \
        in shown_text(at)


def test_batchnorm_expander_plugs_in_the_engines_numbers(at, engine):
    image, label, steps, stages, grads = engine
    at.session_state["bp_bn_box"] = True  # the lazy expander runs its body once open
    at.run()
    assert_no_exception(at)
    res = backward.batchnorm_backward(stages[2].values[None], np.ones(3), grads.stage_grads[2][None])
    latex = "\n".join(str(x.value) for x in at.latex)
    assert fmt(res.gamma[0]) in latex and fmt(res.beta[0]) in latex and fmt(res.variance[0]) in latex


def test_shapes_and_random_dense_layer(engine):
    at = open_page(PAGE)
    at.radio(key="bp_source").set_value("shape").run()
    at.selectbox(key="bp_shape").set_value("circle")
    at.number_input(key="bp_seed").set_value(4)
    at.radio(key="bp_dense").set_value("random").run()
    at.number_input(key="bp_dense_seed").set_value(2).run()
    assert_no_exception(at)
    image = datasets.shape_image("circle", datasets.ShapeOptions(size=28), seed=4)
    steps = forward.handmade_steps((28, 28, 1), 3, seed=2)
    stages, grads = backprop.gradients(image, steps, datasets.SHAPE_CLASSES.index("circle"))
    assert metric(at, "bp.loss") == fmt(grads.loss, 4)
    assert metric(at, "bp.true_class") == translate("en", "shapes.circle")


def test_a_trained_model_is_backpropagated(digit):
    image, label = digit
    at = open_page(PAGE)
    model = fake_model()
    at.session_state["trained_model"] = model
    at.run()
    at.radio(key="bp_weights").set_value("trained").run()
    assert_no_exception(at)
    steps = [forward.Step("scale", factor=1 / 255)] + forward.steps_from_keras(model)
    stages, grads = backprop.gradients(image, steps, label)
    assert metric(at, "bp.loss") == fmt(grads.loss, 4)
    assert sum(k.startswith("bp_grad_") for k in drawn_keys(at)) == len(stages)
    at.selectbox(key="bp_check_param").set_value("5.weights").run()  # the model's dense layer (after the added rescale)
    assert_no_exception(at)
    res = backprop.gradient_check(image, steps, label, 5, "weights", (0, 0), 1e-5)
    assert fmt(res.analytic, 8) in "\n".join(codes(at))


@pytest.mark.parametrize("bad, key", [
    (lambda: fake_model(extra=(layer("LayerNormalization"),)), "errors.bad_mode"),
    (lambda: _nan_model(), "errors.nonfinite"),
])
def test_a_model_the_page_cannot_take_gives_a_translated_message(bad, key):
    at = open_page(PAGE, lang="ko")
    at.session_state["trained_model"] = bad()
    at.run()
    at.radio(key="bp_weights").set_value("trained").run()
    assert_no_exception(at)
    assert at.error
    first = translate("ko", key, mode="LayerNormalization", name="kernel").split("{")[0][:12]
    assert any(first in str(e.value) for e in at.error)
    at.radio(key="bp_weights").set_value("handmade").run()  # the page keeps working
    assert not at.error and metric(at, "bp.loss", "ko")


def _nan_model():
    model = fake_model()
    model.layers[0]._weights[0] = np.full((3, 3, 1, 4), np.nan)
    return model


def test_share_link_round_trips_the_settings():
    from tests.app.helpers import open_link
    from tests.app.test_share_pages import assert_refused, assert_round_trip

    at = open_link(PAGE, {"lang": "en"})
    at.radio(key="bp_dense").set_value("random").run()
    at.selectbox(key="bp_stage").set_value(4).run()
    at.slider(key="bp_row_4").set_value(5).run()
    at.selectbox(key="bp_wf").set_value(1).run()
    at.radio(key="bp_opt").set_value("adam").run()
    at.number_input(key="bp_lr").set_value(0.02).run()
    at.slider(key="bp_steps").set_value(3).run()
    at.selectbox(key="bp_check_param").set_value("5.bias").run()
    at.slider(key="bp_check_index").set_value(2).run()
    assert_no_exception(at)
    shown = [str(c.value) for c in at.code]
    changed = {"bp_dense": "random", "bp_stage": "4", "bp_row_4": "5", "bp_wf": "1", "bp_opt": "adam",
               "bp_lr": "0.02", "bp_steps": "3", "bp_check_param": "5.bias", "bp_check_index": "2"}
    again = assert_round_trip(PAGE, at, changed)
    assert [str(c.value) for c in again.code] == shown  # the same cells, the same numbers
    bad = open_link(PAGE, {"lang": "ko", "bp_lr": "nan", "bp_steps": "999", "bp_opt": "lion", "bp_check_index": "9"})
    assert_refused(bad, "ko", ["bp_lr", "bp_steps", "bp_opt"])
    assert not bad.error and bad.number_input(key="bp_lr").value == 0.01
