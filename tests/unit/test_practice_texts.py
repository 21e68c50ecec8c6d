"""ui.practice's texts: every kind at every level reads as whole sentences in both languages (no
placeholder or key left), the answer key holds every answer, and page settings reach the exercises."""
import pytest
from hypothesis import given, settings, strategies as st

from engine.lessons import exercises as ex
from ui import practice
from ui.i18n import LANGUAGES


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_question_and_solution_is_filled_in(lang):
    for kind in ex.KINDS:
        for level in ex.LEVELS:
            for seed in range(6):
                e = ex.generate(kind, level, seed)
                text = practice.blocks_markdown(practice.question_blocks(e, lang) + practice.solution_blocks(e, lang))
                text += practice.tolerance_text(e, lang) + practice.answers_text(e, lang)
                assert "{" not in text and "practice." not in text, (kind, level, seed, text)


def test_the_answer_key_has_every_problem_and_answer():
    problems = ex.problem_set(list(ex.KINDS), 12, 3, 5)
    for lang in LANGUAGES:
        key = practice.answer_key(problems, lang, 3, 5)
        assert all(practice.answers_text(e, lang) in key for e in problems)
        assert key.count("\n## ") == 12


PAGE_VALUES = {
    "conv": [{"conv_k": 7, "conv_sh": 4, "conv_dil": 3, "conv_p": 6, "conv_padding": "explicit"},
             {"conv_k": 1, "conv_sh": 1, "conv_dil": 1, "conv_padding": "same"}, {"conv_padding": "valid", "conv_k": 5}],
    "pool": [{"pool_size": 6, "pool_stride": 6, "pool_mode": "avg", "pool_padding": "same"},
             {"pool_size": 1, "pool_mode": "global_max", "pool_padding": "valid"}],
    "softmax": [{"sm_drop_rate": 0.0}, {"sm_drop_rate": 0.9}],
    "bn": [{"bn_gamma": -3.0, "bn_beta": 3.0, "bn_eps": 1.0}, {"bn_gamma": 0.0, "bn_eps": 1e-5}],
    "opt": [{"opt_momentum": 0.0, "opt_beta1": 0.0, "opt_beta2": 0.9999}, {"opt_momentum": 0.99, "opt_beta1": 0.99}],
    "harris": [{"harris_k": 0.25}, {"harris_k": 0.02}],
}


@pytest.mark.parametrize("page", list(PAGE_VALUES))
def test_page_settings_give_exercises_that_check(page):
    for values in PAGE_VALUES[page]:
        mapped = practice.page_settings(page, values)
        assert mapped
        for kind in ex.KINDS:
            for level in ex.LEVELS:
                e = ex.generate(kind, level, 3, mapped)
                assert ex.check([ex.IMPOSSIBLE if p.value is None else repr(p.value) for p in e.parts], e).right


def test_settings_reach_the_exercise():
    mapped = practice.page_settings("conv", {"conv_k": 3, "conv_sh": 2, "conv_dil": 1, "conv_padding": "same"})
    e = ex.generate("output_size", 2, 0, mapped)
    assert (e.given["k_h"], e.given["s_w"], e.given["p_h"]) == (3, 2, "same")
    assert ex.generate("dropout", 1, 0, practice.page_settings("softmax", {"sm_drop_rate": 0.3})).given["rate"] == 0.3
    assert ex.generate("harris_value", 1, 0, practice.page_settings("harris", {"harris_k": 0.1})).given["k"] == 0.1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), st.none(), st.integers(), st.floats()), max_size=6))
def test_check_never_raises(answers):
    e = ex.generate("optimizer_step", 3, 2)
    assert set(ex.check(answers, e).statuses) <= set(ex.STATUSES)
