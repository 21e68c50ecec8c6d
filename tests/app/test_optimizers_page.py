"""AppTest: the optimizer lab runs in both languages, every control reaches the optimizers it
belongs to, the shown numbers are the engine's, and diverging runs stop with a translated notice."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.lessons import loss_surfaces as S
from tests.app.figure_data import path_map
from tests.app.helpers import assert_no_exception, open_in, open_page, shown_text
from ui.i18n import translate
from visuals.formulas import fmt
from visuals.optimizers import vector_text

PAGE = "pages/optimizers.py"
ROOT = Path(__file__).resolve().parents[2]
KERAS_HP = dict(momentum=0.9, rho=0.9, beta_1=0.9, beta_2=0.999, epsilon=1e-7)


def engine_runs(surface="elongated", lr=None, steps=None, start=None, codes=S.OPTIMIZER_CODES, rates=None,
                **hp):
    s = S.get_surface(surface)
    settings = {**KERAS_HP, **hp}
    return {code: S.descend(s, code, s.start if start is None else start, steps or s.steps,
                            S.OptimizerSettings(learning_rate=(rates or {}).get(code, lr or s.learning_rate),
                                                **settings))
            for code in codes}


def table_with(at, column):
    """The shown table (a DataFrame) that has `column`."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def summary(at, lang="en"):
    """{optimizer label: (end point text, loss text, steps, status)} from the results table."""
    table = table_with(at, translate(lang, "opt.col_optimizer"))
    cols = [translate(lang, f"opt.col_{c}") for c in ("optimizer", "end", "loss", "steps", "status")]
    return {row[cols[0]]: (row[cols[1]], row[cols[2]], int(row[cols[3]]), row[cols[4]])
            for _, row in table.iterrows()}


def expected(runs, lang="en"):
    return {translate(lang, f"opt.names.{code}"): (
        vector_text(run.final_point, 4), fmt(run.losses[-1], 6), len(run.path.records),
        translate(lang, "opt.status_diverged", step=run.path.diverged_at) if run.path.diverged
        else translate(lang, "opt.status_ok")) for code, run in runs.items()}


def step_table(at):
    return next(m.value for m in at.markdown if m.value.startswith("| "))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_in_both_languages_with_the_engine_numbers(lang):
    page = open_in(PAGE, lang)
    assert not page.warning
    assert summary(page, lang) == expected(engine_runs(), lang)
    assert translate(lang, "opt.keras_epsilon") in shown_text(page)


def test_surface_start_steps_and_learning_rate_change_the_runs(at):
    at.selectbox(key="opt_surface").set_value("rosenbrock").run()
    assert summary(at) == expected(engine_runs("rosenbrock"))
    at.slider(key="opt_x0_rosenbrock").set_value(-1.0).run()
    at.slider(key="opt_y0_rosenbrock").set_value(0.5).run()
    at.slider(key="opt_steps_rosenbrock").set_value(40).run()
    at.select_slider(key="opt_lr_rosenbrock").set_value(0.0005).run()
    assert summary(at) == expected(engine_runs("rosenbrock", lr=0.0005, steps=40, start=(-1.0, 0.5)))
    assert_no_exception(at)


@pytest.mark.parametrize("widget, key, value, changed", [
    ("slider", "opt_momentum", 0.5, {"momentum", "nesterov"}),
    ("slider", "opt_rho", 0.5, {"rmsprop"}),
    ("slider", "opt_beta1", 0.5, {"adam"}),
    ("select_slider", "opt_beta2", 0.9, {"adam"}),
    ("select_slider", "opt_eps", 1.0, {"adam", "rmsprop", "adagrad"}),
])
def test_each_hyperparameter_reaches_exactly_its_optimizers(at, widget, key, value, changed):
    before = summary(at)
    getattr(at, widget)(key=key).set_value(value).run()
    after = summary(at)
    hp = {"opt_momentum": "momentum", "opt_rho": "rho", "opt_beta1": "beta_1", "opt_beta2": "beta_2",
          "opt_eps": "epsilon"}[key]
    assert after == expected(engine_runs(**{hp: value}))
    moved = {code for code in S.OPTIMIZER_CODES
             if before[translate("en", f"opt.names.{code}")] != after[translate("en", f"opt.names.{code}")]}
    assert moved == changed


def test_separate_learning_rates_start_from_the_surface_values(at):
    at.toggle(key="opt_own_lr").set_value(True).run()
    rates = S.get_surface("elongated").learning_rates
    assert summary(at) == expected(engine_runs(rates=rates))
    at.number_input(key="opt_lr_elongated_adam").set_value(0.05).run()
    assert summary(at) == expected(engine_runs(rates={**rates, "adam": 0.05}))


def test_choosing_optimizers_filters_the_runs_and_none_asks_for_one(at):
    at.button_group(key="opt_show").set_value(["adam", "sgd"]).run()
    assert list(summary(at)) == ["SGD", "Adam"]  # the page's fixed order, not the click order
    at.button_group(key="opt_show").set_value([]).run()
    assert_no_exception(at)
    assert [i.value for i in at.info] == [translate("en", "opt.pick_one")]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_huge_learning_rate_gives_the_translated_divergence_notice(lang):
    page = open_page(PAGE, lang=lang)
    page.select_slider(key="opt_lr_elongated").set_value(100.0).run()
    assert_no_exception(page)
    runs = engine_runs(lr=100.0)
    diverged = [(c, r) for c, r in runs.items() if r.path.diverged]
    assert {c for c, _ in diverged} >= {"sgd", "momentum", "nesterov"}
    assert [w.value for w in page.warning] == [
        translate(lang, "opt.diverged", name=translate(lang, f"opt.names.{c}"), step=r.path.diverged_at,
                  done=len(r.path.records)) for c, r in diverged]
    assert summary(page, lang) == expected(runs, lang)
    assert not page.error


def test_adam_step_table_shows_the_optimizer_records(at):
    at.number_input(key="opt_t").set_value(3).run()
    run = engine_runs()["adam"]
    table = step_table(at)
    record = run.path.records[2]
    for row, value in (("m", record["m"]), ("v", record["v"]), ("m_hat", record["m_hat"]),
                       ("v_hat", record["v_hat"]), ("alpha", record["alpha"]), ("update", record["update"]),
                       ("m_prev", run.path.records[1]["m"]), ("theta", run.path.points[3])):
        line = next(l for l in table.splitlines() if l.startswith(f"| {translate('en', f'opt.rows.{row}')} |"))
        assert line.endswith(f"| {vector_text(value)} |"), (row, line)


@pytest.mark.parametrize("code, rows", [("momentum", ("velocity", "update")), ("rmsprop", ("square", "update")),
                                        ("nesterov", ("velocity", "update"))])
def test_momentum_and_rmsprop_step_tables(at, code, rows):
    at.radio(key="opt_detail").set_value(code).run()
    at.number_input(key="opt_t").set_value(2).run()
    record = engine_runs()[code].path.records[1]
    keys = {"velocity": "velocity", "square": "velocity", "update": "update"}
    table = step_table(at)
    for row in rows:
        assert f"| {translate('en', f'opt.rows.{row}')} |" in table
        assert f"| {vector_text(record[keys[row]])} |" in table
    assert translate("en", "opt.keras_epsilon") not in shown_text(at)


def test_step_number_beyond_a_diverged_run_is_clamped(at):
    at.radio(key="opt_detail").set_value("sgd").run()
    at.number_input(key="opt_t").set_value(80).run()
    at.select_slider(key="opt_lr_elongated").set_value(100.0).run()
    assert_no_exception(at)
    done = len(engine_runs(lr=100.0)["sgd"].path.records)
    assert at.number_input(key="opt_t").value <= done
    assert step_table(at)


def test_bias_correction_table_is_the_engines(at):
    table = table_with(at, translate("en", "opt.col_corrected"))
    s = S.get_surface("elongated")
    hp = S.OptimizerSettings(learning_rate=s.learning_rate, **KERAS_HP)
    on = S.descend(s, "adam", s.start, 10, hp, bias_correction=True)
    off = S.descend(s, "adam", s.start, 10, hp, bias_correction=False)
    assert list(table[translate("en", "opt.col_corrected")]) == [fmt(v, 6) for v in on.step_sizes]
    assert list(table[translate("en", "opt.col_uncorrected")]) == [fmt(v, 6) for v in off.step_sizes]
    assert off.step_sizes[0] > 2 * on.step_sizes[0]


def test_page_never_imports_tensorflow():
    code = ("import sys; from tests.app.helpers import open_page; at = open_page('pages/optimizers.py');"
            "assert not at.exception; print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_the_contour_map_draws_the_engine_paths_over_the_served_picture(at):
    at.slider(key="opt_x0_elongated").set_value(-6.0).run()
    shown = path_map(at, "opt_contour")
    runs = engine_runs(start=(-6.0, S.get_surface("elongated").start[1]))
    assert [p["label"] for p in shown["paths"]] == [translate("en", f"opt.names.{c}") for c in runs]
    for path, run in zip(shown["paths"], runs.values()):
        np.testing.assert_array_equal(path["points"], run.path.points)
        assert path["diverged"] == bool(run.path.diverged)
    assert shown["start"] == [-6.0, S.get_surface("elongated").start[1]]
    assert (ROOT / "static" / shown["picture"]).is_file() and (ROOT / "static" / shown["hover"]["file"]).is_file()
    hover = np.fromfile(ROOT / "static" / shown["hover"]["file"], dtype="<f4").reshape(
        shown["hover"]["rows"], shown["hover"]["cols"])
    np.testing.assert_allclose(hover, S.get_surface("elongated").grid(shown["hover"]["rows"])[2], rtol=1e-6)
