"""AppTest: the BatchNorm inspector runs in both languages, every control changes what it shows,
the shown numbers are the engine's (which tests/unit/test_batchnorm_comparison.py checks against Keras),
the training steps live in the session, and the with/without-BN run completes."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.lessons import batchnorm_batches
from engine.ops.batchnorm import batchnorm_param_count
from tests.app.figure_data import tiles
from tests.app.helpers import assert_no_exception, open_in, open_page, shown_text
from ui.i18n import translate
from visuals.batchnorm import minus, stat
from visuals.formulas import fmt

PAGE = "pages/batchnorm.py"
ROOT = Path(__file__).resolve().parents[2]
DEFAULT = batchnorm_batches.BatchSetup("photo", 8, 32, batchnorm_batches.DEFAULT_FILTERS, False)


def metric(at, key, lang="en"):
    label = translate(lang, key)
    return next(m.value for m in at.metric if m.label == label)


def trajectory(setup=DEFAULT, steps=1, channel=0, gamma=1.0, beta=0.0, momentum=0.99, epsilon=1e-3):
    c = len(setup.filters)
    g = np.array([gamma if i == channel else 1.0 for i in range(c)])
    b = np.array([beta if i == channel else 0.0 for i in range(c)])
    return batchnorm_batches.run_training(setup, steps, g, b, momentum, epsilon)


def latex(at):
    return "\n".join(el.value for el in at.latex)


def assert_training_numbers(at, traj, channel=0):
    """The written-out mean/variance and the x_hat metrics are the engine's."""
    n = batchnorm_batches.channel_numbers(traj.last_maps, traj.last_result, channel, True)
    text = latex(at)
    assert rf"\frac{{{fmt(n.total, 4)}}}{{{n.count}}} = {fmt(n.used_mean, 6)}" in text
    assert rf"\frac{{{fmt(n.squared_deviations, 4)}}}{{{n.count}}} = {fmt(n.used_variance, 6)}" in text
    assert metric(at, "bn.metric_xhat_var") == stat(n.x_hat[1])
    assert metric(at, "bn.metric_y_mean") == stat(n.y[0])
    assert metric(at, "bn.metric_y_var") == stat(n.y[1])


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_in_both_languages_with_the_engine_numbers(lang):
    page = open_in(PAGE, lang)
    traj = trajectory()
    n = batchnorm_batches.channel_numbers(traj.last_maps, traj.last_result, 0, True)
    assert rf"= {fmt(n.used_mean, 6)}" in latex(page)
    assert metric(page, "bn.metric_xhat_var", lang) == stat(n.x_hat[1])
    assert translate(lang, "bn.batch_shapes", n=8, s=32, h=30, w=30, c=3, m=7200) in shown_text(page)
    rows = tiles(page, "bn_batch_fig")  # pictures, channel 0's maps, its BN output: the engine's arrays
    assert [r["title"] for r in rows] == [translate(lang, f"bn.row_{k}") for k in ("input", "map", "bn")]
    for i in range(8):
        np.testing.assert_array_equal(rows[0]["tiles"][i]["values"], traj.last_batch[i, ..., 0])
        np.testing.assert_array_equal(rows[1]["tiles"][i]["values"], traj.last_maps[i, ..., 0])
        np.testing.assert_array_equal(rows[2]["tiles"][i]["values"], traj.last_result.output[i, ..., 0])


def test_channel_table_is_the_engines(at):
    traj = trajectory()
    table = next(d.value for d in at.dataframe if translate("en", "bn.col_batch_mean") in d.value.columns)
    assert list(table[translate("en", "bn.col_batch_mean")]) == [stat(v, 5) for v in traj.last_result.mean]
    assert list(table[translate("en", "bn.col_batch_var")]) == [stat(v, 5) for v in traj.last_result.variance]
    assert list(table[translate("en", "bn.col_moving_var")]) == [stat(v, 5) for v in traj.state.moving_variance]
    assert_training_numbers(at, traj)


@pytest.mark.parametrize("change, setup", [
    (("radio", "bn_source", "digit"), batchnorm_batches.BatchSetup("digit", 8, 28, batchnorm_batches.DEFAULT_FILTERS, False)),
    (("radio", "bn_source", "shape"), batchnorm_batches.BatchSetup("shape", 8, 32, batchnorm_batches.DEFAULT_FILTERS, False)),
    (("slider", "bn_size", 20), batchnorm_batches.BatchSetup("photo", 8, 20, batchnorm_batches.DEFAULT_FILTERS, False)),
    (("slider", "bn_n", 3), batchnorm_batches.BatchSetup("photo", 3, 32, batchnorm_batches.DEFAULT_FILTERS, False)),
    (("button_group", "bn_filters", ["sharpen", "emboss"]), batchnorm_batches.BatchSetup("photo", 8, 32, ("sharpen", "emboss"))),
])
def test_batch_controls_change_the_numbers(at, change, setup):
    before = latex(at)
    kind, key, value = change
    getattr(at, kind)(key=key).set_value(value).run()
    assert_no_exception(at)
    assert latex(at) != before
    assert_training_numbers(at, trajectory(setup))


def test_relu_changes_a_signed_channel(at):
    at.radio(key="bn_channel").set_value(1).run()  # Sobel x: negative and positive values
    before = latex(at)
    at.toggle(key="bn_relu").set_value(True).run()
    assert latex(at) != before
    assert_training_numbers(at, trajectory(batchnorm_batches.BatchSetup("photo", 8, 32, batchnorm_batches.DEFAULT_FILTERS, True),
                                           channel=1), channel=1)


def test_channel_gamma_and_beta(at):
    at.radio(key="bn_channel").set_value(2).run()
    at.slider(key="bn_gamma").set_value(2.0).run()
    at.slider(key="bn_beta").set_value(-0.5).run()
    traj = trajectory(channel=2, gamma=2.0, beta=-0.5)
    assert_training_numbers(at, traj, channel=2)
    n = batchnorm_batches.channel_numbers(traj.last_maps, traj.last_result, 2, True)
    assert metric(at, "bn.metric_y_mean") == "-0.5"
    assert n.y[1] == pytest.approx(4 * n.x_hat[1])  # gamma^2 times the variance of x_hat
    assert r"y_i = \gamma \hat x_i + \beta = 2 \cdot \hat x_i - 0.5" in latex(at)


def test_momentum_epsilon_and_the_step_buttons(at):
    at.select_slider(key="bn_momentum").set_value(0.9).run()
    at.select_slider(key="bn_eps").set_value(0.1).run()
    at.button(key="bn_next").click().run()
    at.button(key="bn_next10").click().run()
    assert at.session_state["bn_steps"] == 12
    traj = trajectory(steps=12, momentum=0.9, epsilon=0.1)
    assert_training_numbers(at, traj)
    assert translate("en", "bn.steps_done", k=12, max=batchnorm_batches.MAX_STEPS) in shown_text(at)
    mean_line = (rf"\text{{moving mean}}_{{12}} = 0.9 \cdot {fmt(traj.moving_means[11, 0], 5)} + 0.1 \cdot "
                 rf"{fmt(traj.batch_means[11, 0], 5)} = {fmt(traj.moving_means[12, 0], 5)}")
    assert mean_line in latex(at)
    at.button(key="bn_reset").click().run()
    assert at.session_state["bn_steps"] == 1
    assert_training_numbers(at, trajectory(momentum=0.9, epsilon=0.1))


def test_inference_mode_uses_the_moving_statistics(at):
    at.button(key="bn_next100").click().run()
    at.radio(key="bn_mode").set_value("infer").run()
    assert_no_exception(at)
    traj = trajectory(steps=101)
    infer = batchnorm_batches.inference(traj)
    n = batchnorm_batches.channel_numbers(traj.last_maps, infer, 0, False)
    assert translate("en", "bn.inference_uses", mean=fmt(n.used_mean, 6), var=fmt(n.used_variance, 6),
                     batch_mean=fmt(n.mean, 6)) in [m.value for m in at.markdown]
    assert rf"\frac{{x_i {minus(n.used_mean)}}}{{\sqrt{{{fmt(n.used_variance, 6)} + 0.001}}}}" in latex(at)
    assert translate("en", "bn.xhat_note_infer") in shown_text(at)
    assert n.used_mean == traj.state.moving_mean[0]
    assert metric(at, "bn.metric_y_mean") == stat(n.y[0]) == metric(at, "bn.metric_infer_mean")
    train = batchnorm_batches.channel_numbers(traj.last_maps, traj.last_result, 0, True)
    assert metric(at, "bn.metric_train_var") == stat(train.y[1])
    assert metric(at, "bn.metric_infer_var") == stat(n.y[1]) != stat(train.y[1])


def test_parameter_counts_match_the_engine_and_the_notes_summary(at):
    assert (metric(at, "bn.params_total"), metric(at, "bn.params_trainable"),
            metric(at, "bn.params_frozen")) == tuple(str(v) for v in batchnorm_param_count(3))
    at.button_group(key="bn_filters").set_value(["sobel_x"]).run()
    assert metric(at, "bn.params_total") == "4"
    notes = next(d.value for d in at.dataframe if translate("en", "bn.col_layer") in d.value.columns)
    assert list(notes[translate("en", "bn.col_params")]) == ["1,024", "512", "256", "128", "64"]
    assert translate("en", "bn.notes_totals", total="427,782", trainable="426,790", frozen="992") in shown_text(at)


def test_filter_choice_limits(at):
    at.button_group(key="bn_filters").set_value([]).run()
    assert_no_exception(at)
    assert translate("en", "bn.pick_filter") in [i.value for i in at.info]
    five = ["identity", "box_blur", "sharpen", "sobel_x", "sobel_y"]
    at.button_group(key="bn_filters").set_value(five).run()
    assert translate("en", "bn.too_many_filters", n=4) in shown_text(at)
    assert metric(at, "bn.params_total") == "16"


def test_with_and_without_bn_run_completes_and_is_kept(at):
    assert translate("en", "bn.cmp_hint") in [i.value for i in at.info]
    at.slider(key="bn_cmp_samples").set_value(60).run()
    at.slider(key="bn_cmp_epochs").set_value(1).run()
    at.button(key="bn_cmp_run").click().run(timeout=180)
    assert_no_exception(at)
    assert not at.error
    result = at.session_state["bn_compare_result"]
    assert (result.settings.samples, result.settings.epochs, result.train_count) == (60, 1, 48)
    table = next(d.value for d in at.dataframe if translate("en", "bn.cmp_final_loss") in d.value.columns)
    assert list(table[translate("en", "bn.cmp_final_loss")]) == [fmt(result.with_bn.loss[-1], 4),
                                                                  fmt(result.without_bn.loss[-1], 4)]
    assert list(table[translate("en", "bn.col_frozen")]) == ["48", "0"]
    assert translate("en", "bn.cmp_params_note", c1=8, c2=16, total=96, frozen=48) in shown_text(at)
    at.slider(key="bn_cmp_epochs").set_value(2).run()  # the old result stays, marked as stale
    assert translate("en", "bn.cmp_stale") in shown_text(at)
    assert at.session_state["bn_compare_result"] is not None


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_busy_server_gives_the_translated_message(lang):
    from engine.learn.training import SLOTS

    page = open_page(PAGE, lang=lang)
    taken = [h for h in (f"app-test-{i}" for i in range(SLOTS.limit)) if SLOTS.try_acquire(h)]
    try:
        page.button(key="bn_cmp_run").click().run()
    finally:
        for h in taken:
            SLOTS.release(h)
    assert_no_exception(page)
    assert [e.value for e in page.error] == [translate(lang, "errors.training_busy", limit=SLOTS.limit)]
    assert "bn_compare_result" not in page.session_state


def test_page_never_imports_tensorflow_until_asked():
    code = ("import sys; from tests.app.helpers import open_page; at = open_page('pages/batchnorm.py');"
            "at.button(key='bn_next').click().run(); assert not at.exception;"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False"
