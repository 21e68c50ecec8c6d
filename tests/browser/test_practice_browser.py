"""Browser: a Korean student opens a teacher's problem-set link and solves every problem (the answers
computed here with engine.lessons.exercises), sees the full score and no error; the same link at phone width
and in English."""
import pytest
from playwright.sync_api import expect

from engine.lessons import exercises as ex
from tests.browser.conftest import screenshot
from tests.browser.helpers import assert_no_error_elements, goto, open_app, runs, wait_for_rerun, wait_idle
from ui import practice
from ui.i18n import translate

pytestmark = pytest.mark.browser

KINDS = ["output_size", "conv_cell", "softmax_ce", "optimizer_step", "harris_value", "model_params"]
COUNT, LEVEL, SEED = 6, 2, 4245  # problem 1 has an axis where no window fits


def set_link(app_url: str, lang: str) -> str:
    values = {"prac_set_kinds": KINDS, "prac_set_count": COUNT, "prac_set_level": LEVEL, "prac_set_seed": SEED}
    return f"{app_url}/practice-sets{practice.set_link(values)}&lang={lang}"


def type_answer(pg, key: str, text: str) -> None:
    box = pg.locator(f".st-key-{key} input")
    before = runs(pg)
    box.fill(text)
    box.press("Enter")
    wait_for_rerun(pg, before)


def click(pg, selector: str) -> None:
    before = runs(pg)
    pg.locator(selector).first.click()
    wait_for_rerun(pg, before)


def test_a_korean_student_solves_a_shared_problem_set(page, app_url, browser):
    problems = ex.problem_set(KINDS, COUNT, LEVEL, SEED)
    assert any(p.value is None for p in problems[0].parts)  # "impossible" is ticked, not typed
    scope = practice.set_scope(KINDS, COUNT, LEVEL, SEED)
    goto(page, set_link(app_url, "ko"))
    wait_idle(page)
    expect(page.get_by_role("heading", name=translate("ko", "practice.heading"))).to_be_visible()
    expect(page.locator('[data-testid="stMetricValue"]')).to_have_text(f"0 / {COUNT}")
    for i, e in enumerate(problems):
        card = f"{scope}_{i}"
        for j, part in enumerate(e.parts):
            if part.value is None:
                click(page, f".st-key-{card}_i{j} label")
            else:
                type_answer(page, f"{card}_a{j}", repr(part.value))
        click(page, f".st-key-{card}_check button")
        expect(page.locator('[data-testid="stAlertContentSuccess"]').nth(i)).to_contain_text(
            translate("ko", "practice.right"))
    expect(page.locator('[data-testid="stMetricValue"]')).to_have_text(f"{COUNT} / {COUNT}")
    expect(page.get_by_text(translate("ko", "practice.set_done"))).to_be_visible()
    assert_no_error_elements(page)
    screenshot(page, "practice-set-solved-ko")
    page.locator('[data-testid="stMetricValue"]').scroll_into_view_if_needed()
    screenshot(page, "practice-set-score-ko")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="ko-KR").new_page()
    goto(phone, set_link(app_url, "ko"))
    wait_idle(phone)
    expect(phone.locator(f".st-key-{scope}_0_check button")).to_be_visible()
    assert_no_error_elements(phone)
    screenshot(phone, "practice-set-phone-ko")
    phone.context.close()

    english = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    goto(english, set_link(app_url, "en"))
    wait_idle(english)
    expect(english.get_by_role("heading", name=translate("en", "practice.heading"))).to_be_visible()
    first = practice.question_blocks(problems[0], "en")[0][1]
    expect(english.get_by_text(first.split("(")[0][:40]).first).to_be_visible()
    assert_no_error_elements(english)
    screenshot(english, "practice-set-en")
    english.context.close()


def test_a_lesson_pages_practice_gives_the_hint_then_the_solution(page, app_url):
    open_app(page, app_url, "softmax-and-dropout", "ko")
    click(page, f'[data-testid="stExpander"] summary:has-text("{translate("ko", "practice.open")}")')
    answer = page.locator('.st-key-prac_softmax_open [data-testid="stTextInput"] input')
    check = page.get_by_role("button", name=translate("ko", "practice.check"))
    for wrong in ("5", "6"):  # a probability above 1 is always wrong (a changed text reruns)
        before = runs(page)
        answer.fill(wrong)
        answer.press("Enter")
        wait_for_rerun(page, before)
        before = runs(page)
        check.click()
        wait_for_rerun(page, before)
    expect(page.get_by_text(translate("ko", "practice.hints.softmax_ce"), exact=False)).to_be_visible()
    expect(page.get_by_text(translate("ko", "practice.solution_heading"))).to_be_visible()
    assert_no_error_elements(page)
    page.get_by_text(translate("ko", "practice.solution_heading")).scroll_into_view_if_needed()
    screenshot(page, "practice-lesson-solution-ko")
