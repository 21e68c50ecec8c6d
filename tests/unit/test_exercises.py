"""engine.lessons.exercises: every kind's answer against an independent computation (by hand in NumPy, the
notes' own numbers, tf.nn where TensorFlow is the reference), determinism by seed, and check() on
right, wrong and junk answers."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from engine.errors import EngineError
from engine.lessons import exercises as ex

SEEDS = range(12)


def answers(e: ex.Exercise) -> list[str]:
    return [ex.IMPOSSIBLE if p.value is None else repr(p.value) for p in e.parts]


def close(e: ex.Exercise, *expected: float | None) -> None:
    """The exercise's answers equal `expected` within its own stated tolerance (None: impossible)."""
    assert len(e.parts) == len(expected)
    for part, want in zip(e.parts, expected):
        if want is None:
            assert part.value is None, part
        else:
            assert part.value is not None and abs(part.value - want) <= max(part.tol, 1e-9), (part, want)


def everything(kind: str):
    for level in ex.LEVELS:
        for seed in SEEDS:
            yield ex.generate(kind, level, seed)


# ------------------------------------------------------------------ output size


def hand_output(i, k, p, s, d):
    """O = floor((I + 2P - D(K-1) - 1) / S) + 1, or None when no window fits."""
    numerator = i + 2 * p - d * (k - 1) - 1
    return None if numerator < 0 else numerator // s + 1


def test_output_size_by_hand():
    for e in everything("output_size"):
        axes = ("",) if e.variant == "square" else ("_h", "_w")
        want = [hand_output(*(e.given[f"{n}{a or '_h'}"] for n in "ikpsd")) for a in axes]
        close(e, *want)
    assert any(p.value is None for e in everything("output_size") for p in e.parts)  # impossible ones exist


@settings(max_examples=60, deadline=None)
@given(i=st.integers(1, 40), k=st.integers(1, 7), p=st.integers(0, 4), s=st.integers(1, 4), d=st.integers(1, 3))
def test_output_size_any_numbers(i, k, p, s, d):
    axis = {"i": i, "k": k, "p": p, "s": s, "d": d}
    close(ex.solve("output_size", 1, {"h": axis}), hand_output(i, k, p, s, d))


def test_output_size_from_page_settings():
    e = ex.generate("output_size", 2, 3, {"kernel": 5, "stride": 2, "dilation": 1, "padding": 1})
    assert (e.given["k_h"], e.given["s_w"], e.given["p_w"]) == (5, 2, 1)


# ------------------------------------------------------------------ conv and pooling cells, against TensorFlow


@pytest.fixture(scope="module")
def tf():
    import tensorflow as tf  # noqa: PLC0415

    return tf


def test_conv_cell_against_tf(tf):
    for e in everything("conv_cell"):
        g = e.given
        x = np.asarray(g["image"], np.float64)[None, :, :, None]
        kernel = np.asarray(g["kernel"], np.float64)[:, :, None, None]
        p = g["p"]
        out = tf.nn.conv2d(x, kernel, strides=g["s"], padding=[[0, 0], [p, p], [p, p], [0, 0]], dilations=g["d"])
        close(e, float(out[0, g["row"], g["col"], 0]) + g["bias"])


def test_pool_cell_against_tf(tf):
    for e in everything("pool_cell"):
        g = e.given
        x = np.asarray(g["image"], np.float64)[None, :, :, None]
        pool = tf.nn.max_pool2d if g["mode"] == "max" else tf.nn.avg_pool2d
        out = pool(x, g["size"], g["stride"], g["padding"].upper())
        close(e, float(out[0, g["row"], g["col"], 0]))
    assert {e.given["mode"] for e in everything("pool_cell")} == {"max", "avg"}


# ------------------------------------------------------------------ parameters: the notes' numbers by hand


def test_layer_params_by_hand():
    for e in everything("layer_params"):
        g = e.given
        if g["layer"] == "dense":
            close(e, (g["d"] + 1) * g["units"])
        elif g["layer"] == "conv":
            close(e, (g["k"] * g["k"] * g["c_in"] + 1) * g["filters"])
        else:
            close(e, 4 * g["channels"], 2 * g["channels"], 2 * g["channels"])


def test_model_params_are_the_notes_numbers():
    # 004, MNIST: conv 3x3x1x32, conv 3x3x32x64, conv 3x3x64x64, dense 576->64, dense 64->10
    mnist = (3 * 3 * 1 + 1) * 32 + (3 * 3 * 32 + 1) * 64 + (3 * 3 * 64 + 1) * 64 + (3 * 3 * 64 + 1) * 64 + (64 + 1) * 10
    assert mnist == 93_322
    close(ex.solve("model_params", 1, {"model": "mnist_cnn", "size": 28}), 93_322)
    # 004, cats vs dogs: four conv + pool blocks on 150x150x3, flatten 7x7x128, dense 512, dense 1
    cats = ((3 * 3 * 3 + 1) * 32 + (3 * 3 * 32 + 1) * 64 + (3 * 3 * 64 + 1) * 128 + (3 * 3 * 128 + 1) * 128
            + (7 * 7 * 128 + 1) * 512 + (512 + 1) * 1)
    assert cats == 3_453_121
    close(ex.solve("model_params", 2, {"model": "cats_dogs", "size": 150}), 3_453_121)
    # 002, Animals-10: trainable 426,790, non-trainable 992 (2 moving statistics x 496 channels)
    convs = [(3, 256), (256, 128), (128, 64), (64, 32), (32, 16)]
    conv_weights = sum((9 * c_in + 1) * c_out for c_in, c_out in convs)
    gamma_beta = sum(2 * c for _, c in convs)
    trainable = conv_weights + gamma_beta + (4 * 4 * 16 + 1) * 100 + (100 + 1) * 10
    assert (trainable, sum(2 * c for _, c in convs)) == (426_790, 992)
    close(ex.solve("model_params", 3, {"model": "animals10", "size": 150}), 426_790, 992)


def test_generated_models_are_the_notes_models():
    keys = {(e.given["model"], e.given["size"]) for e in everything("model_params")}
    assert ("mnist_cnn", 28) in keys and "animals10" in {k for k, _ in keys}
    for e in everything("model_params"):
        assert e.steps[-1][0] == "total"


# ------------------------------------------------------------------ receptive field


def test_receptive_field_by_hand():
    for e in everything("receptive_field"):
        r, j = 1, 1
        for _, k, s in e.given["stack"]:
            r, j = r + (k - 1) * j, j * s
        close(e, r)


# ------------------------------------------------------------------ softmax, cross-entropy, dropout


def test_softmax_ce_by_hand():
    for e in everything("softmax_ce"):
        z = np.asarray(e.given["logits"], np.float64)
        p = np.exp(z) / np.exp(z).sum()
        p_true = p[e.given["true"]]
        close(e, *((p_true,) if e.level == 1 else (p_true, -math.log(p_true))))


def test_softmax_ce_course_example():
    e = ex.solve("softmax_ce", 2, {"logits": (2.0, 1.0, 0.1), "true": 0})
    close(e, 0.6590011388859679, 0.4170300162778335)


def test_dropout_by_hand():
    for e in everything("dropout"):
        g = e.given
        x = np.asarray(g["x"], np.float64)
        keep = np.random.default_rng(g["seed"]).random(x.shape) >= g["rate"]  # the mask Keras-style dropout draws
        assert tuple(keep.astype(int)) == g["keep"] and keep[g["unit"]]
        y = np.where(keep, x / (1 - g["rate"]), 0.0)
        want = {1: (y[g["unit"]],), 2: (y[g["unit"]], x[g["unit"]]), 3: (y.sum(),)}[e.level]
        close(e, *want)


# ------------------------------------------------------------------ BatchNorm, optimizers


def test_batchnorm_by_hand():
    for e in everything("batchnorm_value"):
        g = e.given
        x = np.asarray(g["x"], np.float64)
        xi = x[g["index"]]
        train = g["gamma"] * (xi - x.mean()) / math.sqrt(x.var() + g["epsilon"]) + g["beta"]
        infer = g["gamma"] * (xi - g["moving_mean"]) / math.sqrt(g["moving_variance"] + g["epsilon"]) + g["beta"]
        close(e, *{1: (train,), 2: (infer,), 3: (train, infer)}[e.level])


def test_optimizer_steps_by_hand():
    for e in everything("optimizer_step"):
        g = e.given
        w, lr = g["w"], g["lr"]
        if e.level == 1:
            close(e, w - lr * g["grads"][0])
        elif e.level == 2:
            v = 0.0
            for grad in g["grads"]:
                v = g["momentum"] * v - lr * grad
                w += v
            close(e, v, w)
        else:
            b1, b2, m, v = g["beta_1"], g["beta_2"], 0.0, 0.0
            for t, grad in enumerate(g["grads"], start=1):
                m, v = b1 * m + (1 - b1) * grad, b2 * v + (1 - b2) * grad ** 2
                m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
                w -= lr * m_hat / (math.sqrt(v_hat) + g["epsilon"])  # the textbook form
            close(e, m, v, m_hat, v_hat, w)


# ------------------------------------------------------------------ Harris, a weight's gradient


SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)


def correlate_zero(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """'same' cross-correlation with zeros outside, written out."""
    pad = np.pad(img, 1)
    out = np.zeros_like(img)
    for r in range(img.shape[0]):
        for c in range(img.shape[1]):
            out[r, c] = (pad[r:r + 3, c:c + 3] * kernel).sum()
    return out


def test_harris_by_hand():
    for e in everything("harris_value"):
        img = np.asarray(e.given["image"], np.float64)
        ix, iy = correlate_zero(img, SOBEL_X), correlate_zero(img, SOBEL_X.T)
        c = img.shape[0] // 2
        win = (slice(c - 1, c + 2), slice(c - 1, c + 2))
        sxx, syy, sxy = (ix[win] ** 2).sum(), (iy[win] ** 2).sum(), (ix[win] * iy[win]).sum()
        close(e, sxx * syy - sxy ** 2 - e.given["k"] * (sxx + syy) ** 2)
        if e.level == 1:
            assert (e.given["sxx"], e.given["syy"], e.given["sxy"]) == pytest.approx((sxx, syy, sxy))


def test_weight_gradient_against_tf(tf):
    for e in everything("weight_gradient"):
        g = e.given
        x = tf.constant([g["x"]], tf.float64)
        w = tf.Variable(np.asarray(g["weights"], np.float64))
        with tf.GradientTape() as tape:
            logits = x @ w + tf.constant(g["bias"], tf.float64)
            loss = tf.keras.losses.sparse_categorical_crossentropy(tf.constant([g["label"]]), logits, from_logits=True)
        close(e, float(tape.gradient(loss, w)[g["d"], g["u"]]))
        probs = np.exp(logits[0]) / np.exp(logits[0]).sum()  # by hand too: a[d] (p[u] - y[u])
        close(e, g["x"][g["d"]] * (probs[g["u"]] - (g["u"] == g["label"])))


# ------------------------------------------------------------------ determinism, sets, check()


def test_same_seed_same_problems():
    for kind in ex.KINDS:
        for level in ex.LEVELS:
            assert ex.generate(kind, level, 42) == ex.generate(kind, level, 42)
    kinds = list(ex.KINDS)
    one, two = ex.problem_set(kinds, 14, 2, 9), ex.problem_set(kinds, 14, 2, 9)
    assert one == two and [e.kind for e in one] == (kinds * 2)[:14]
    assert one != ex.problem_set(kinds, 14, 2, 10)


def test_every_answer_checks_right_and_a_wrong_one_wrong():
    for kind in ex.KINDS:
        for e in everything(kind):
            assert ex.check(answers(e), e).right
            wrong = [("0" if p.value is None else repr(p.value + 10 * p.tol + 1)) for p in e.parts]
            verdict = ex.check(wrong, e)
            assert not verdict.right and verdict.complete


@pytest.mark.parametrize("text, value", [("93,322", 93322), ("93 322", 93322), ("0,25", 0.25), (" −3 ", -3),
                                          ("7/4", 1.75), ("1_000", 1000), ("2.5e-1", 0.25)])
def test_typed_numbers(text, value):
    assert ex.parse_answer(text) == pytest.approx(value)


@pytest.mark.parametrize("junk", ["abc", "1..2", "∞", "nan", "inf", "1e400", "3/0", "1,2,3", "x" * 100, None, 5, [1]])
def test_junk_is_not_a_number_and_never_raises(junk):
    e = ex.generate("softmax_ce", 1, 0)
    status = ex.check([junk], e).statuses[0]
    assert status in ("not_a_number", "empty")
    assert not ex.check([junk], e).complete


def test_empty_and_missing_answers():
    e = ex.generate("optimizer_step", 3, 1)
    assert ex.check([], e).statuses == ("empty",) * len(e.parts)
    assert ex.check(None, e).statuses == ("empty",) * len(e.parts)
    assert ex.check(["  "], e).statuses[0] == "empty"


def test_impossible_is_an_answer():
    e = ex.solve("output_size", 1, {"h": {"i": 2, "k": 5, "p": 0, "s": 1, "d": 1}})
    assert e.parts[0].value is None and e.parts[0].impossible_choice
    assert ex.check([ex.IMPOSSIBLE], e).right and ex.check(["불가능"], e).right
    assert ex.check(["0"], e).statuses == ("wrong",)
    assert ex.check([ex.IMPOSSIBLE], ex.generate("conv_cell", 1, 0)).statuses == ("wrong",)


@pytest.mark.parametrize("args", [("nope", 1, 0), ("conv_cell", 4, 0), ("conv_cell", 1, -1),
                                  ("conv_cell", 1, ex.MAX_SEED + 1), ("conv_cell", 1, 1.5)])
def test_bad_requests_raise_engine_errors(args):
    with pytest.raises(EngineError):
        ex.generate(*args)


def test_bad_sets_raise_engine_errors():
    for kinds, count in (([], 3), (["conv_cell"], 0), (["conv_cell"], ex.MAX_COUNT + 1), (["nope"], 2)):
        with pytest.raises(EngineError):
            ex.problem_set(kinds, count, 1, 0)
