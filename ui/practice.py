"""Practice: exercises with self-check at the end of every lesson page, and shared problem sets.

`practice_view(page_key, kinds, settings)` draws a closed expander at the end of a lesson page;
only when it is open does it run, inside an `st.fragment`, so answering reruns only the practice.
`settings` (optional) is the page's `share_params` function: the current values of those widgets
(share.current_values, read on every run of the practice) feed "from my current settings", through
PAGE_SETTINGS, which maps a page's widget keys to the exercise parameters they set.

`exercise_card` shows one engine.lessons.exercises.Exercise: the question (texts from
ui/locales/*/practice.toml, numbers formatted in), one input per answer, "check" and "show the
solution"; a first wrong answer gets the hint, a second one the worked solution in numbers.
The score lives in st.session_state[SCORE_KEY] per scope (a page, or a problem set).

The problem-set page (pages/practice.py) uses `set_params`, `teacher_form`, `problem_set_view`
and `answer_key` (markdown in either language).
"""
from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Callable, Sequence
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from engine.lessons import exercises
from engine.lessons.exercises import Exercise, IMPOSSIBLE
from ui import share
from ui.feedback import guarded
from ui.i18n import LANGUAGES, current_language, labeler, t, translate
from visuals.formulas import fmt

SCORE_KEY = "prac_score"  # {scope: {card key: True (right) | False (tried, not right)}}
RECORDS_KEY = "prac_records"  # {card key: {"wrong": int, "right": bool, "shown": bool, "junk": status | None}}
SET_PREFIX = "prac_set_"
SET_DEFAULTS = {"count": 6, "level": 1, "seed": 2024}

# a page's widget key -> the exercise parameter it sets (engine.lessons.exercises.generate's `settings`)
PAGE_SETTINGS = {
    "conv": {"conv_k": "kernel", "conv_sh": "stride", "conv_dil": "dilation", "conv_p": "padding"},
    "pool": {"pool_size": "size", "pool_stride": "stride", "pool_mode": "mode", "pool_padding": "padding"},
    "softmax": {"sm_drop_rate": "rate"},
    "bn": {"bn_gamma": "gamma", "bn_beta": "beta", "bn_eps": "epsilon"},
    "opt": {"opt_momentum": "momentum", "opt_beta1": "beta_1", "opt_beta2": "beta_2"},
    "harris": {"harris_k": "k"},
}
# arrays the question does not show (the student computes them, or they are hidden for the level)
HIDDEN = {("harris_value", 1): {"image"}, ("harris_value", 2): {"image"},
          ("weight_gradient", 1): {"weights", "bias"}, ("weight_gradient", 2): {"weights", "bias"}}


# ------------------------------------------------------------------ formatting (pure: language passed in)


def _number(value: object) -> str:
    if isinstance(value, (int, np.integer)) and abs(int(value)) >= 10_000:
        return f"{int(value):,}"
    return fmt(value, 4)


def _inline(value: object, lang: str) -> str:
    """A scalar, a code or a 1-D array as text."""
    if isinstance(value, tuple):
        return "[" + ", ".join(_inline(v, lang) for v in value) + "]"
    if isinstance(value, str):
        if value == IMPOSSIBLE:
            return translate(lang, "practice.impossible")
        return translate(lang, f"practice.codes.{value}") if f"practice.codes.{value}" in _codes(lang) else value
    if isinstance(value, float) and np.isnan(value):
        return "·"
    return _number(value)


@lru_cache(maxsize=None)
def _codes(lang: str) -> frozenset[str]:
    from ui.i18n import catalog  # noqa: PLC0415

    return frozenset(k for k in catalog(lang) if k.startswith("practice.codes."))


def _grid(rows: tuple) -> str:
    """A 2-D array as aligned rows ('·' for padding)."""
    cells = [[_inline(v, "en") for v in row] for row in rows]
    width = max(len(c) for row in cells for c in row)
    return "\n".join("  ".join(c.rjust(width) for c in row) for row in cells)


def _is_grid(value: object) -> bool:
    return isinstance(value, tuple) and bool(value) and isinstance(value[0], tuple) \
        and all(not isinstance(v, (tuple, str)) for v in value[0])


def _placeholders(values: dict, lang: str) -> dict[str, str]:
    return {k: _inline(v, lang) for k, v in values.items() if not _is_grid(v) and k not in ("stack", "layers")}


def _special_block(name: str, value: tuple) -> str:
    """The layer list of a receptive-field stack or a model, language-free (Keras' own names)."""
    if name == "stack":
        return "\n".join(f"{i + 1}. {'Conv2D' if kind == 'conv' else 'MaxPooling2D'} {k}×{k}, strides {s}"
                         for i, (kind, k, s) in enumerate(value))
    width = max(len(n) for n, _, _ in value)
    return "\n".join(f"{n.ljust(width)}  {cfg:<32}  {'×'.join(_inline(v, 'en') for v in shape)}"
                     for n, cfg, shape in value)


def question_blocks(ex: Exercise, lang: str) -> list[tuple[str, str]]:
    """The question as ("md", text) and ("code", text) blocks in `lang`."""
    values = {**ex.given}
    if "model" in values:
        values["model_name"] = translate(lang, f"arch.models.{values['model']}")
    blocks = [("md", translate(lang, f"practice.q.{ex.kind}.{ex.variant}", **_placeholders(values, lang)))]
    if ex.variant == "axes":  # output size per axis: a small table of I, K, P, S, D
        rows = [f"| {translate(lang, f'practice.codes.{a}')} | " + " | ".join(_inline(ex.given[f"{n}_{a}"], lang)
                                                                        for n in "ikpsd") + " |" for a in "hw"]
        blocks.append(("md", "| | I | K | P | S | D |\n| --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows)))
    hidden = HIDDEN.get((ex.kind, ex.level), set())
    for name, value in ex.given.items():
        if name in ("stack", "layers"):
            blocks.append(("code", _special_block(name, value)))
        elif _is_grid(value) and name not in hidden:
            blocks.append(("code", f"{translate(lang, f'practice.arrays.{name}')} =\n{_grid(value)}"))
    return blocks


def solution_blocks(ex: Exercise, lang: str) -> list[tuple[str, str]]:
    """The worked solution in numbers, step by step, then the answers."""
    blocks = []
    scalars = _placeholders(ex.given, lang)
    for code, data in ex.steps:
        key = f"practice.steps.{ex.kind}.{code}"
        if IMPOSSIBLE in data.values():
            key += "_impossible"
        blocks.append(("md", translate(lang, key, **{**scalars, **_placeholders(data, lang)})))
        blocks += [("code", f"{translate(lang, f'practice.arrays.{n}')} =\n{_grid(v)}")
                   for n, v in data.items() if _is_grid(v)]
    blocks.append(("md", translate(lang, "practice.answers", answers=answers_text(ex, lang))))
    return blocks


def answers_text(ex: Exercise, lang: str) -> str:
    return "; ".join(f"{translate(lang, f'practice.parts.{p.name}')} = "
                     f"{_inline(IMPOSSIBLE if p.value is None else p.value, lang)}" for p in ex.parts)


def tolerance_text(ex: Exercise, lang: str) -> str:
    if all(p.tol == 0 for p in ex.parts):
        return translate(lang, "practice.exact")
    tols = "; ".join(f"{translate(lang, f'practice.parts.{p.name}')} ±{fmt(p.tol, 6)}" for p in ex.parts)
    return translate(lang, "practice.tolerance", tols=tols)


def blocks_markdown(blocks: list[tuple[str, str]]) -> str:
    return "\n\n".join(text if kind == "md" else f"```\n{text}\n```" for kind, text in blocks)


def answer_key(exs: Sequence[Exercise], lang: str, level: int, seed: int) -> str:
    """The whole set with answers and worked solutions, as markdown in `lang`."""
    parts = [f"# {translate(lang, 'practice.key_title')}",
             translate(lang, "practice.key_intro", count=len(exs), level=translate(lang, f"practice.levels.{level}"),
                       seed=seed)]
    for i, ex in enumerate(exs, start=1):
        parts.append(f"## {translate(lang, 'practice.problem_n', n=i)}: {translate(lang, f'practice.kinds.{ex.kind}')}")
        parts.append(blocks_markdown(question_blocks(ex, lang)))
        parts.append(f"**{translate(lang, 'practice.answer_heading')}**: {answers_text(ex, lang)}  \n"
                     f"{tolerance_text(ex, lang)}")
        parts.append(blocks_markdown(solution_blocks(ex, lang)[:-1]))
    return "\n\n".join(parts) + "\n"


# ------------------------------------------------------------------ one exercise on screen


def _show(blocks: list[tuple[str, str]]) -> None:
    for kind, text in blocks:
        if kind == "md":
            st.markdown(text)
        else:
            st.code(text, language=None)


def _record(key: str) -> dict:
    return st.session_state.setdefault(RECORDS_KEY, {}).setdefault(
        key, {"wrong": 0, "right": False, "shown": False, "junk": None, "statuses": ()})


def _score(scope: str, key: str, right: bool) -> None:
    scores = st.session_state.setdefault(SCORE_KEY, {}).setdefault(scope, {})
    if not scores.get(key):  # a right answer stays right; after the solution, a late right answer does not count
        scores[key] = right and not _record(key)["shown"]


def score_of(scope: str) -> tuple[int, int]:
    """(right, tried) in one scope."""
    scores = st.session_state.get(SCORE_KEY, {}).get(scope, {})
    return sum(scores.values()), len(scores)


def _check(ex: Exercise, answers: list[object], key: str, scope: str) -> None:
    rec = _record(key)
    verdict = exercises.check(answers, ex)
    rec["statuses"] = verdict.statuses
    if not verdict.complete:
        rec["junk"] = "not_a_number" if "not_a_number" in verdict.statuses else "empty"
        return
    rec["junk"] = None
    if verdict.right:
        rec["right"] = True
    else:
        rec["wrong"] += 1
    _score(scope, key, verdict.right)
    if rec["wrong"] >= 2:
        rec["shown"] = True  # the second wrong answer reveals the solution: a later right one does not score


def _feedback(ex: Exercise, rec: dict, lang: str) -> None:
    if rec["junk"]:
        st.warning(t(f"practice.verdicts.{rec['junk']}"), icon=":material/help:")
    if rec["right"]:
        st.success(t("practice.right"), icon=":material/check_circle:")
    elif rec["wrong"]:
        marks = ", ".join(f"{t(f'practice.parts.{p.name}')} {t(f'practice.marks.{s}')}"
                          for p, s in zip(ex.parts, rec["statuses"])) if len(ex.parts) > 1 else ""
        st.warning(t("practice.wrong", marks=marks) + "\n\n" + t("practice.hint", hint=t(f"practice.hints.{ex.kind}")),
                   icon=":material/lightbulb:")
    if rec["shown"]:
        st.info(t("practice.solution_heading"), icon=":material/school:")
        _show(solution_blocks(ex, lang))


def exercise_card(ex: Exercise, key: str, scope: str) -> None:
    """Question, answer inputs, check / show-solution buttons and the verdict of one exercise."""
    lang = current_language()
    _show(question_blocks(ex, lang))
    answers: list[object] = []
    for i, part in enumerate(ex.parts):
        label = t(f"practice.parts.{part.name}")
        if part.impossible_choice:
            c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
            text = c1.text_input(label, key=f"{key}_a{i}")
            impossible = c2.checkbox(t("practice.impossible_choice"), key=f"{key}_i{i}")
            answers.append(IMPOSSIBLE if impossible else text)
        else:
            answers.append(st.text_input(label, key=f"{key}_a{i}"))
    st.caption(tolerance_text(ex, lang))
    b1, b2 = st.columns(2)
    if b1.button(t("practice.check"), key=f"{key}_check", icon=":material/done:", type="primary"):
        _check(ex, answers, key, scope)
    if b2.button(t("practice.show_solution"), key=f"{key}_show", icon=":material/visibility:"):
        _record(key)["shown"] = True
        _score(scope, key, False)
    _feedback(ex, _record(key), lang)


# ------------------------------------------------------------------ at the end of a lesson page


def page_settings(page_key: str, values: dict) -> dict:
    """A page's widget values as exercise parameters (PAGE_SETTINGS)."""
    mapped = {param: values[k] for k, param in PAGE_SETTINGS.get(page_key, {}).items() if k in values}
    if page_key == "conv" and values.get("conv_padding") in ("valid", "same"):
        mapped["padding"] = 0 if values["conv_padding"] == "valid" else "same"
    if page_key == "pool" and "stride" in mapped and values.get("pool_stride") is None:
        del mapped["stride"]
    return {k: v for k, v in mapped.items() if v is not None}


def _new_seed(key: str) -> None:
    st.session_state[key] = secrets.randbelow(exercises.MAX_SEED + 1)


def practice_view(page_key: str, kinds: Sequence[str], settings: Callable[[], list[share.Param]] | None = None) -> None:
    """A closed-by-default practice expander at the end of a lesson page (runs only when open)."""
    st.divider()
    box = st.expander(t("practice.open"), key=f"prac_{page_key}_open", on_change="rerun", icon=":material/quiz:")
    if box.open:
        with box:
            _lesson_practice(page_key, tuple(kinds), settings)


@st.fragment
def _lesson_practice(page_key: str, kinds: tuple[str, ...], settings: Callable[[], list[share.Param]] | None) -> None:
    """A fragment: checking an answer or asking for a new exercise reruns only the practice."""
    p = f"prac_{page_key}"
    seed_key = f"{p}_seed"
    if seed_key not in st.session_state:
        _new_seed(seed_key)
    c1, c2, c3 = st.columns([2, 2, 1.2], vertical_alignment="bottom")
    kind = c1.selectbox(t("practice.kind"), kinds, format_func=labeler("practice.kinds"), key=f"{p}_kind")
    level = c2.radio(t("practice.level"), exercises.LEVELS, format_func=labeler("practice.levels"),
                     key=f"{p}_level", horizontal=True)
    seed = c3.number_input(t("practice.seed"), 0, exercises.MAX_SEED, key=seed_key)
    c4, c5 = st.columns(2, vertical_alignment="center")
    c4.button(t("practice.new"), key=f"{p}_new", icon=":material/casino:", on_click=_new_seed, args=(seed_key,))
    mine = settings is not None and c5.toggle(t("practice.mine"), key=f"{p}_mine", help=t("practice.mine_help"))
    with guarded():
        given = page_settings(page_key, share.current_values(settings())) if mine else None
        ex = exercises.generate(kind, int(level), int(seed), given)
        signature = f"{p}_{kind}_{level}_{seed}_" + ("m" + "_".join(f"{v}" for v in given.values()) if mine else "f")
        with st.container(border=True):
            exercise_card(ex, signature, page_key)
    right, tried = score_of(page_key)
    scores = [score_of(scope) for scope in st.session_state.get(SCORE_KEY, {})]
    all_right, all_tried = sum(r for r, _ in scores), sum(n for _, n in scores)
    st.caption(t("practice.score", right=right, tried=tried, all_right=all_right, all_tried=all_tried))


# ------------------------------------------------------------------ problem sets (pages/practice.py)


def set_params() -> list[share.Param]:
    """What a problem-set link carries: the kinds, how many, the level and the seed."""
    return [share.choices(f"{SET_PREFIX}kinds", list(exercises.KINDS)),
            share.whole(f"{SET_PREFIX}count", 1, exercises.MAX_COUNT),
            share.choice(f"{SET_PREFIX}level", exercises.LEVELS),
            share.whole(f"{SET_PREFIX}seed", 0, exercises.MAX_SEED)]


def set_link(values: dict) -> str:
    """The problem set's query string, without a language: each student reads it in their own."""
    pairs = {p.key: share.encode(p, values[p.key]) for p in set_params() if p.key in values}
    return "?" + urlencode({k: v for k, v in pairs.items() if v is not None}, safe=",")


def _set_choice() -> tuple[list[str], int, int, int]:
    s = st.session_state
    return (list(s.get(f"{SET_PREFIX}kinds", [])), *(int(s.get(f"{SET_PREFIX}{name}", SET_DEFAULTS[name]))
                                                     for name in ("count", "level", "seed")))


def teacher_form() -> None:
    """The teacher's choices (always drawn, so a link's values stay), the link and the answer key."""
    from_link = any(k.startswith(SET_PREFIX) for k in st.query_params)
    for name, value in {"kinds": list(exercises.KINDS), **SET_DEFAULTS}.items():
        st.session_state.setdefault(f"{SET_PREFIX}{name}", value)  # widgets without defaults: a link may have set them
    with st.expander(t("practice.teacher"), expanded=not from_link, icon=":material/edit_note:"):
        st.multiselect(t("practice.kinds_label"), list(exercises.KINDS), format_func=labeler("practice.kinds"),
                       key=f"{SET_PREFIX}kinds")
        c1, c2, c3 = st.columns(3)
        c1.number_input(t("practice.count"), 1, exercises.MAX_COUNT, key=f"{SET_PREFIX}count")
        c2.radio(t("practice.level"), exercises.LEVELS, format_func=labeler("practice.levels"),
                 key=f"{SET_PREFIX}level", horizontal=True)
        c3.number_input(t("practice.seed"), 0, exercises.MAX_SEED, key=f"{SET_PREFIX}seed")
        kinds, count, level, seed = _set_choice()
        if not kinds:
            return
        st.caption(t("practice.link_explain"))
        values = {f"{SET_PREFIX}kinds": kinds, f"{SET_PREFIX}count": count, f"{SET_PREFIX}level": level,
                  f"{SET_PREFIX}seed": seed}
        st.code((st.context.url or "").split("?")[0] + set_link(values), language=None, wrap_lines=True)
        c4, c5 = st.columns([1, 2], vertical_alignment="bottom")
        lang = c4.radio(t("practice.key_lang"), list(LANGUAGES), format_func=LANGUAGES.get,
                        key=f"{SET_PREFIX}key_lang", horizontal=True)
        c5.download_button(t("practice.key_download"), on_click="ignore", icon=":material/download:",
                           data=lambda: answer_key(exercises.problem_set(kinds, count, level, seed), lang, level, seed),
                           file_name=f"convlab-answer-key-{lang}.md", mime="text/markdown", key=f"{SET_PREFIX}key")


def set_scope(kinds: Sequence[str], count: int, level: int, seed: int) -> str:
    """The score scope of one problem set; its cards' keys are f"{scope}_{i}"."""
    return f"set_{level}_{seed}_{'-'.join(kinds)}_{count}"


@st.fragment
def problem_set_view() -> None:
    """The set's problems, each with its check, and the student's score for the set."""
    kinds, count, level, seed = _set_choice()
    if not kinds:
        st.info(t("practice.no_kinds"))
        return
    with guarded():
        problems = exercises.problem_set(kinds, count, level, seed)
        scope = set_scope(kinds, count, level, seed)
        score_slot = st.container()
        for i, ex in enumerate(problems):
            with st.container(border=True):
                st.subheader(t("practice.problem_n", n=i + 1) + " · " + t(f"practice.kinds.{ex.kind}"))
                exercise_card(ex, f"{scope}_{i}", scope)
        right, tried = score_of(scope)
        with score_slot:
            st.metric(t("practice.set_score"), f"{right} / {count}")
            if right == count:
                st.success(t("practice.set_done"), icon=":material/celebration:")
