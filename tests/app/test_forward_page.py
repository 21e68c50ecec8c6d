"""AppTest: the forward-pass page runs in both languages, every stage and control works, each
explained cell shows the engine's numbers, and a trained model (a stand-in with Keras' layer
interface) is used when present, or refused with a message when it cannot be shown."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.data import datasets
from engine.lessons import forward
from engine.ops import conv
from tests.app.figure_data import array, chart, drawn_keys
from tests.app.helpers import assert_no_exception, open_in, open_page, shown_text
from ui.i18n import translate
from visuals import formulas, pooling as pviz

PAGE = "pages/forward.py"
ROOT = Path(__file__).resolve().parents[2]


def codes(at) -> list[str]:
    return [str(c.value) for c in at.code]


def metric(at, key, lang="en"):
    return next(m.value for m in at.metric if m.label == translate(lang, key))


@pytest.fixture(scope="module")
def digits():
    return datasets.mnist_subset()


def template_stages(image, source="digit"):
    """The page's hand-made network, rebuilt from the engine the same way."""
    if source == "digit":
        imgs, labels = datasets.mnist_subset()
        imgs, labels, units = imgs[::5], labels[::5], 10
    else:
        imgs, labels = datasets.make_shapes(200, datasets.ShapeOptions(size=28), seed=1)
        units = 3
    base = forward.handmade_steps((28, 28, 1), units)
    step = forward.template_dense(forward.features_before_dense(imgs, base), labels, units)
    return forward.run(image, forward.handmade_steps((28, 28, 1), units, step))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_renders_in_both_languages(lang):
    page = open_in(PAGE, lang)
    assert sum(k.startswith("fwd_stage_") for k in drawn_keys(page)) == 8


def test_default_digit_prediction_and_conv_cell_are_the_engines(at, digits):
    image = digits[0][3500].astype(np.float64)
    stages = template_stages(image)
    probs = stages[-1].values
    assert metric(at, "forward.predicted") == str(int(np.argmax(probs)))
    np.testing.assert_allclose(array(chart(at, "fwd_probs")["data"][0]["y"]), probs, rtol=1e-12)
    tr = conv.conv_trace(stages[1].values, stages[2].step.kernel, stages[2].step.bias, row=13, col=13, filter=0)
    expected = formulas.products_sum(tr.window, tr.weights, tr.total, max_terms=27)
    assert any(c.startswith(expected) for c in codes(at))
    assert translate("en", "forward.trace_matches", value=formulas.fmt(stages[2].values[13, 13, 0]),
                     stage="2. Convolution") in shown_text(at)


def test_every_stage_can_be_explained(at, digits):
    stages = template_stages(digits[0][3500].astype(np.float64))
    seen = {}
    for index in range(1, 8):
        at.selectbox(key="fwd_stage").set_value(index).run()
        assert_no_exception(at)
        assert not at.error
        seen[stages[index].kind] = codes(at)
    pool = forward.trace_cell(stages, 4, (6, 6, 0))
    assert pviz.trace_text(pool, max_terms=40) in seen["pool"]
    top = int(np.argmax(stages[6].values))
    dense_tr = forward.trace_cell(stages, 6, (top,))
    assert any(formulas.with_bias(dense_tr.total, dense_tr.bias, dense_tr.result) in c for c in seen["dense"])
    assert any(c.startswith("ReLU: max(0, ") for c in seen["relu"])
    assert any("flat[" in c for c in seen["flatten"])
    sm = forward.trace_cell(stages, 7, (top,))
    assert any(f"= {formulas.fmt(sm.probs[top])}" in c for c in seen["softmax"])
    table = next(d.value for d in at.dataframe if "p" in d.value.columns)
    assert list(table["p"]) == [formulas.fmt(p) for p in sm.probs]


def test_position_and_channel_change_the_explanation(at):
    before = codes(at)
    at.slider(key="fwd_row_2").set_value(5).run()
    assert codes(at) != before
    after_row = codes(at)
    at.selectbox(key="fwd_ch_2").set_value(2).run()
    assert codes(at) != after_row
    assert_no_exception(at)


def test_digit_and_dense_choice_change_the_prediction(at, digits):
    at.number_input(key="fwd_digit").set_value(4500).run()
    stages = template_stages(digits[0][4500].astype(np.float64))
    np.testing.assert_allclose(array(chart(at, "fwd_probs")["data"][0]["y"]), stages[-1].values, rtol=1e-12)
    at.radio(key="fwd_dense").set_value("random").run()
    rnd = forward.run(digits[0][4500].astype(np.float64), forward.handmade_steps((28, 28, 1), 10, seed=0))
    np.testing.assert_allclose(array(chart(at, "fwd_probs")["data"][0]["y"]), rnd[-1].values, rtol=1e-12)
    at.number_input(key="fwd_dense_seed").set_value(7).run()
    rnd7 = forward.run(digits[0][4500].astype(np.float64), forward.handmade_steps((28, 28, 1), 10, seed=7))
    np.testing.assert_allclose(array(chart(at, "fwd_probs")["data"][0]["y"]), rnd7[-1].values, rtol=1e-12)


def test_shapes_have_three_named_classes(at):
    at.radio(key="fwd_source").set_value("shape").run()
    at.selectbox(key="fwd_shape").set_value("triangle").run()
    assert_no_exception(at)
    img = datasets.shape_image("triangle", datasets.ShapeOptions(size=28), seed=0)
    stages = template_stages(img, "shape")
    names = [translate("en", f"shapes.{k}") for k in datasets.SHAPE_CLASSES]
    fig = chart(at, "fwd_probs")
    assert list(fig["data"][0]["x"]) == names
    np.testing.assert_allclose(array(fig["data"][0]["y"]), stages[-1].values, rtol=1e-12)
    assert metric(at, "forward.predicted") == names[int(np.argmax(stages[-1].values))]


# ---- a trained model: a stand-in with Keras' layer interface (no TensorFlow in this process)

class FakeLayer:
    def __init__(self, config, weights=()):
        self._config, self._weights = config, list(weights)

    def get_config(self):
        return dict(self._config)

    def get_weights(self):
        return list(self._weights)


def layer(kind, config=None, weights=()):
    return type(kind, (FakeLayer,), {})(config or {}, weights)


class FakeModel:
    input_shape = (None, 28, 28, 1)

    def __init__(self, layers):
        self.layers = layers


def fake_model(extra=()):
    rng = np.random.default_rng(0)
    return FakeModel([
        layer("Conv2D", {"strides": (1, 1), "padding": "valid", "dilation_rate": (1, 1),
                         "activation": "relu", "groups": 1},
              [rng.normal(0, 0.3, (3, 3, 1, 4)), rng.normal(0, 0.1, 4)]),
        layer("MaxPooling2D", {"pool_size": (2, 2), "strides": (2, 2), "padding": "valid"}),
        *extra,
        layer("Flatten"),
        layer("Dense", {"activation": "softmax"}, [rng.normal(0, 0.05, (13 * 13 * 4, 10)), np.zeros(10)]),
    ])


def test_trained_model_weights_are_used(digits):
    page = open_page(PAGE, lang="en")
    model = fake_model()
    page.session_state["trained_model"] = model
    page.run()
    page.radio(key="fwd_weights").set_value("trained").run()
    assert_no_exception(page)
    assert translate("en", "forward.assumed_scale") in shown_text(page)
    steps = [forward.Step("scale", factor=1 / 255)] + forward.steps_from_keras(model)
    stages = forward.run(digits[0][3500].astype(np.float64), steps)
    np.testing.assert_allclose(array(chart(page, "fwd_probs")["data"][0]["y"]), stages[-1].values, rtol=1e-12)
    assert translate("en", "forward.total_params", n=f"{sum(s.params for s in stages):,}") in shown_text(page)
    assert sum(k.startswith("fwd_stage_") for k in drawn_keys(page)) == len(stages)


def test_trained_model_with_batchnorm_and_class_names(digits):
    rng = np.random.default_rng(1)
    bn = layer("BatchNormalization", {"axis": -1, "epsilon": 1e-3, "center": True, "scale": True},
               [rng.uniform(0.5, 1.5, 4), rng.normal(0, 0.2, 4), rng.normal(0, 0.2, 4), rng.uniform(0.5, 2, 4)])
    model = fake_model(extra=(bn,))
    page = open_page(PAGE, lang="en")
    page.session_state["trained_model"] = model
    page.session_state["trained_classes"] = [f"c{k}" for k in range(10)]
    page.run()
    page.radio(key="fwd_weights").set_value("trained").run()
    steps = [forward.Step("scale", factor=1 / 255)] + forward.steps_from_keras(model)
    stages = forward.run(digits[0][3500].astype(np.float64), steps)
    assert [s.kind for s in stages][5] == "batchnorm"
    assert list(chart(page, "fwd_probs")["data"][0]["x"]) == [f"c{k}" for k in range(10)]
    page.selectbox(key="fwd_stage").set_value(5).run()
    assert_no_exception(page)
    tr = forward.trace_cell(stages, 5, (6, 6, 0))
    assert any(c.endswith(f"= {formulas.fmt(tr.result)}") and "γ·x̂ + β" in c for c in codes(page))


def test_unsupported_model_gives_a_message_and_falls_back():
    page = open_page(PAGE, lang="ko")
    page.session_state["trained_model"] = fake_model(extra=(layer("LayerNormalization"),))
    page.run()
    page.radio(key="fwd_weights").set_value("trained").run()
    assert_no_exception(page)
    assert translate("ko", "errors.bad_mode", mode="LayerNormalization") in [e.value for e in page.error]
    assert translate("ko", "forward.fallback") in shown_text(page)
    assert sum(k.startswith("fwd_stage_") for k in drawn_keys(page)) == 8  # hand-made network shown


def test_pooling_forward_softmax_and_harris_pages_never_import_tensorflow():
    code = ("import sys; from pathlib import Path; from tests.app.helpers import open_page\n"
            "for p in ('pooling', 'forward', 'softmax_dropout', 'harris'):\n"
            "    if not Path(f'pages/{p}.py').exists(): continue\n"
            "    at = open_page(f'pages/{p}.py'); assert not at.exception, p\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd=str(ROOT))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False"
