"""The residents' survey in a real browser, at phone size, with and without JavaScript.

Each test drives headless Chromium against the live server (see conftest.py),
answering questions by their labels and pressing buttons by their names, as a
resident on their phone would. axe-core checks every page, normal and in error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import BrowserContext, Locator, Page, expect

from app.extensions import db
from app.models import Response, SurveySubmission

Axe = Callable[[Page], None]
NewContext = Callable[..., BrowserContext]

SURVEY = "/survey/have-your-say"
PHONE = {"width": 320, "height": 640}
REFERENCE = re.compile(r"CV-[A-Z0-9]{4}-[A-Z0-9]{4}")

AREA = "Which area of Leicester do you live in or know best?"
CONNECTION = "How are you connected to this area?"
AGE = "How old are you?"
WHAT_WHERE = "What worries you about knife crime or violence where you live?"
WHY = "Why do you think some people carry knives?"
IMPACT = "How has knife crime affected you, your family or the people around you?"
HELP = "What would help stop knife crime?"
SAFETY = "How safe do you feel?"
SAFE_DAY = "How safe do you feel in your area during the day?"
SAFE_AFTER_DARK = "How safe do you feel in your area after dark?"
ABOUT_YOU = "About you"
GENDER = "Which of these best describes you?"
ETHNIC_GROUP = "What is your ethnic group?"
CONTACT = "Would you like us to contact you about this work?"

# The same open answers as ADULT_ANSWERS in tests/app/survey/conftest.py.
OPEN_ANSWERS = {
    WHAT_WHERE: "Fights by the park and robberies at the bus station",
    WHY: "People carry knives for protection because they are scared",
    IMPACT: "Parents keep their kids inside after dark",
    HELP: "Open the youth club in the evenings and more mentors",
}
# Two lines, and something that looks like markup: shown as typed, line by line.
CHANGED_WHY = (
    "Young people carry knives because they feel they have to\n<b>Older lads</b> make them"
)

# What check your answers shows for the adult path.
ADULT_SUMMARY = {
    AREA: "Highfields",
    CONNECTION: "I live there, I go to school, college or university there",
    AGE: "18 to 24",
    **OPEN_ANSWERS,
    SAFE_DAY: "4: Quite safe",
    SAFE_AFTER_DARK: "2: Quite unsafe",
    GENDER: "Woman",
    ETHNIC_GROUP: "Asian or Asian British: Indian",
    CONTACT: "Not answered",
}


# --- what a resident does ----------------------------------------------------------


@dataclass
class Respondent:
    """A resident on their phone: answers each page and notes every page they see.

    `on_page` runs on every page they arrive at (after its heading has appeared):
    the tests use it to check the page fits the screen, or to run axe.
    """

    page: Page
    on_page: Callable[[Page], None] = lambda page: None
    seen: list[str] = field(default_factory=list)

    def arrive(self, heading: str | re.Pattern[str]) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_have_text(heading)
        self.seen.append(self.page.url)
        self.on_page(self.page)

    def press(self, name: str) -> None:
        self.page.get_by_role("button", name=name).click()

    def start(self) -> None:
        self.page.goto("/survey")
        expect(self.page).to_have_url(re.compile(rf"{SURVEY}/$"))
        self.arrive("Knife crime and serious violence: have your say")
        self.page.get_by_role("button", name="Start now").click()

    def choose(self, question: str, *labels: str) -> None:
        """Tick or select each option of a radio or checkbox question."""
        group = self.page.get_by_role("group", name=question)
        for label in labels:
            group.get_by_label(label, exact=True).check()

    def answer_first_pages(self, age: str) -> None:
        self.arrive(AREA)
        self.choose(AREA, "Highfields")
        self.press("Continue")

        self.arrive(CONNECTION)
        self.choose(CONNECTION, "I live there", "I go to school, college or university there")
        self.press("Continue")

        self.arrive(AGE)
        self.choose(AGE, age)
        self.press("Continue")

    def answer_open_questions(self) -> None:
        for question, text in OPEN_ANSWERS.items():
            self.arrive(question)
            self.page.get_by_label(question).fill(text)
            self.press("Continue")

    def answer_safety(self) -> None:
        self.arrive(SAFETY)
        self.choose(SAFE_DAY, "4 - Quite safe")
        self.choose(SAFE_AFTER_DARK, "2 - Quite unsafe")
        self.press("Continue")

    def answer_as_adult(self) -> None:
        """From the start page to check your answers, as ADULT_ANSWERS does."""
        self.start()
        self.answer_first_pages("18 to 24")
        self.answer_open_questions()
        self.answer_safety()

        self.arrive(ABOUT_YOU)
        self.choose(GENDER, "Woman")
        self.choose(ETHNIC_GROUP, "Asian or Asian British: Indian")
        self.press("Continue")

        self.arrive(CONTACT)
        expect(self.page.get_by_label("Yes, I'm happy to be contacted")).not_to_be_checked()
        self.press("Continue")

        self.arrive("Check your answers")

    def send(self) -> str:
        """Send the answers from check your answers; return the reference shown."""
        self.press("Send my answers")
        self.arrive("Thank you, your answers have been sent")
        panel = self.page.locator(".govuk-panel")
        expect(panel).to_contain_text("Your reference")
        match = REFERENCE.search(panel.inner_text())
        assert match, panel.inner_text()
        return match.group(0)


def summary_value(page: Page, question: str) -> Locator:
    """The answer shown for `question` on check your answers."""
    row = page.locator(".govuk-summary-list__row").filter(
        has=page.locator(".govuk-summary-list__key", has_text=question)
    )
    return row.locator(".govuk-summary-list__value")


def assert_fits(page: Page, width: int = PHONE["width"]) -> None:
    """Nothing makes the page scroll sideways."""
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide at a {width}px viewport"


def counts(app: Flask) -> tuple[int, int]:
    """(survey submissions, survey responses) in the database."""
    with app.app_context():
        submissions = db.session.scalar(sa.select(sa.func.count()).select_from(SurveySubmission))
        responses = db.session.scalar(
            sa.select(sa.func.count()).select_from(Response).where(Response.source == "survey")
        )
        db.session.remove()
    return int(submissions or 0), int(responses or 0)


def close_survey(app: Flask) -> None:
    from app.survey.services import survey_row

    with app.app_context():
        survey_row("have-your-say").accepting = False
        db.session.commit()
        db.session.remove()


# --- 1 and 6. An adult on a 320px phone, with JavaScript, and no third parties ------------


def test_adult_completes_changes_and_sends_on_a_phone(
    app: Flask, live_server: str, new_context: NewContext
) -> None:
    page = new_context(viewport=PHONE).new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    resident = Respondent(page, on_page=assert_fits)

    resident.answer_as_adult()
    # GOV.UK Frontend's scripts ran.
    assert "govuk-frontend-supported" in (page.locator("body").get_attribute("class") or "")
    for question, answer in ADULT_SUMMARY.items():
        expect(summary_value(page, question)).to_have_text(answer)

    page.get_by_role("link", name=f"Change {WHY}").click()
    resident.arrive(WHY)
    why_box = page.get_by_label(WHY)
    expect(why_box).to_have_value(OPEN_ANSWERS[WHY])
    why_box.fill(CHANGED_WHY)
    resident.press("Continue")
    resident.arrive("Check your answers")
    changed = summary_value(page, WHY)
    expect(changed).to_contain_text("<b>Older lads</b> make them")
    assert changed.inner_text().strip() == CHANGED_WHY
    expect(changed.locator("b")).to_have_count(0)
    expect(summary_value(page, IMPACT)).to_have_text(OPEN_ANSWERS[IMPACT])

    reference = resident.send()

    assert counts(app) == (1, 4)
    with app.app_context():
        submission = db.session.scalars(sa.select(SurveySubmission)).one()
        texts = {r.question_id: r.text for r in submission.responses}
        assert submission.reference == reference
        assert submission.age_band == "18-24"
        assert submission.area_answer == "highfields"
        db.session.remove()
    assert texts == {
        "what_where": OPEN_ANSWERS[WHAT_WHERE],
        "why": CHANGED_WHY,
        "impact": OPEN_ANSWERS[IMPACT],
        "help": OPEN_ANSWERS[HELP],
    }

    # 6. Every request the pages made went to the service itself.
    assert requests, "no requests were recorded"
    elsewhere = [url for url in requests if not url.startswith(live_server + "/")]
    assert elsewhere == [], f"requests to other hosts: {elsewhere}"


# --- 2. Without JavaScript --------------------------------------------------------------


def test_adult_completes_and_sends_without_javascript(app: Flask, new_context: NewContext) -> None:
    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    resident = Respondent(page, on_page=assert_fits)

    resident.answer_as_adult()
    # GOV.UK Frontend's scripts did not run.
    assert "govuk-frontend-supported" not in (page.locator("body").get_attribute("class") or "")
    for question, answer in ADULT_SUMMARY.items():
        expect(summary_value(page, question)).to_have_text(answer)
    resident.send()

    assert counts(app) == (1, 4)


# --- 3. Under 16 ----------------------------------------------------------------------------


def test_under_16_never_sees_about_you_or_contact(app: Flask, new_context: NewContext) -> None:
    page = new_context(viewport=PHONE).new_page()
    resident = Respondent(page, on_page=assert_fits)

    resident.start()
    resident.answer_first_pages("Under 16")
    resident.answer_open_questions()
    resident.answer_safety()
    # Straight from the safety questions to check your answers.
    resident.arrive("Check your answers")

    visited = [url.split(SURVEY, 1)[1] for url in resident.seen]
    assert not any("about-you" in url or "contact" in url for url in visited), visited
    expect(summary_value(page, AGE)).to_have_text("Under 16")
    for question in (GENDER, ETHNIC_GROUP, CONTACT):
        expect(page.locator(".govuk-summary-list__key", has_text=question)).to_have_count(0)

    # Not by typing the address either: back to a page they can answer.
    for page_id in ("about-you", "contact", "contact-details"):
        page.goto(f"{SURVEY}/{page_id}")
        expect(page).not_to_have_url(re.compile(rf"/{page_id}$"))
        expect(page.get_by_role("heading", name=ABOUT_YOU)).to_have_count(0)
        expect(page.get_by_role("heading", name=CONTACT)).to_have_count(0)

    page.goto(f"{SURVEY}/check-your-answers")
    resident.send()
    assert counts(app) == (1, 4)
    with app.app_context():
        submission = db.session.scalars(sa.select(SurveySubmission)).one()
        assert submission.age_band == "under-16"
        assert "gender" not in submission.answers
        assert "ethnic_group" not in submission.answers
        db.session.remove()


# --- 4. axe on every page, normal and error states ------------------------------------------


def expect_error(page: Page, message: str) -> None:
    """The error summary and the field both say what to do, and the title says Error."""
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    link = summary.get_by_role("link", name=message)
    expect(link).to_be_visible()
    # The link goes to the answer that needs fixing.
    target = link.get_attribute("href") or ""
    assert target.startswith("#"), target
    expect(page.locator(f"[id='{target[1:]}']")).to_have_count(1)
    link.click()
    expect(page.locator(f"[id='{target[1:]}']")).to_be_focused()
    expect(page.locator(".govuk-error-message", has_text=message)).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))


def assert_honeypot_hidden(page: Page) -> None:
    """The honeypot is never shown, and Tab never reaches it."""
    honeypot = page.locator("input[name=website]")
    expect(honeypot).to_have_count(1)
    expect(honeypot).to_be_hidden()
    page.locator("body").focus()
    reached: list[str] = []
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e ? `${e.tagName.toLowerCase()}[name=${e.getAttribute('name')}]` : ''; }"
        )
        assert focused != "input[name=website]", f"Tab reached the honeypot on {page.url}"
        reached.append(focused)
    # Tab did move through the form (the answers and the Continue button).
    assert any(item.startswith(("input", "textarea")) for item in reached), reached
    assert any(item.startswith("button") for item in reached), reached


def test_axe_every_survey_page(app: Flask, new_context: NewContext, axe: Axe) -> None:
    page = new_context(viewport=PHONE).new_page()

    def check(page: Page) -> None:
        assert_fits(page)
        axe(page)

    resident = Respondent(page, on_page=check)
    resident.start()

    # The area, connection and age pages, first with no answer (the error state).
    resident.arrive(AREA)
    assert_honeypot_hidden(page)
    resident.press("Continue")
    expect_error(page, "Select the area you live in or know best")
    check(page)
    resident.choose(AREA, "Highfields")
    resident.press("Continue")

    resident.arrive(CONNECTION)
    resident.press("Continue")
    expect_error(page, "Select how you are connected to this area")
    check(page)
    resident.choose(CONNECTION, "I live there")
    resident.press("Continue")

    resident.arrive(AGE)
    resident.press("Continue")
    expect_error(page, "Select how old you are")
    check(page)
    resident.choose(AGE, "25 to 34")
    resident.press("Continue")

    # An open question answered at too great a length.
    resident.arrive(WHAT_WHERE)
    assert_honeypot_hidden(page)
    page.get_by_label(WHAT_WHERE).fill("a" * 2001)
    resident.press("Continue")
    expect_error(page, "Your answer must be 2,000 characters or fewer")
    check(page)
    page.get_by_label(WHAT_WHERE).fill(OPEN_ANSWERS[WHAT_WHERE])
    resident.press("Continue")

    for question in (WHY, IMPACT, HELP):
        resident.arrive(question)
        resident.press("Continue")

    resident.answer_safety()
    resident.arrive(ABOUT_YOU)
    resident.press("Continue")

    # Asking to be contacted opens the contact details page.
    resident.arrive(CONTACT)
    page.get_by_label("Yes, I'm happy to be contacted about this work").check()
    resident.press("Continue")
    resident.arrive("Email address or phone number")
    assert_honeypot_hidden(page)
    page.get_by_label("Email address or phone number").fill("resident@example.org")
    resident.press("Continue")

    resident.arrive("Check your answers")
    resident.send()

    page.goto("/survey/privacy")
    resident.arrive("Privacy notice")

    close_survey(app)
    page.goto(f"{SURVEY}/")
    resident.arrive("Knife crime and serious violence: have your say")
    expect(page.get_by_text("This survey is closed.")).to_be_visible()
    page.goto(f"{SURVEY}/area")
    expect(page.get_by_text("This survey is closed.")).to_be_visible()
    check(page)


# --- 5. Sending twice ---------------------------------------------------------------------


def send_twice(app: Flask, context: BrowserContext, expected_posts: int) -> None:
    """Double-click "Send my answers", go back, then send the same form from a second tab."""
    page = context.new_page()
    posts: list[str] = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )
    resident = Respondent(page)
    resident.answer_as_adult()
    # The same check-your-answers form, open in a second tab (or kept by the phone).
    stale = context.new_page()
    stale.goto(page.url)
    expect(stale.get_by_role("heading", level=1)).to_have_text("Check your answers")
    posts.clear()

    page.get_by_role("button", name="Send my answers").dblclick()
    resident.arrive("Thank you, your answers have been sent")
    assert len(posts) == expected_posts, posts
    match = REFERENCE.search(page.locator(".govuk-panel").inner_text())
    assert match
    reference = match.group(0)
    assert counts(app) == (1, 4)

    # Back does not bring the form back: check your answers is never cached, and once
    # sent it goes straight to the confirmation.
    page.go_back()
    resident.arrive("Thank you, your answers have been sent")
    expect(page.locator(".govuk-panel")).to_contain_text(reference)
    expect(page.get_by_role("button", name="Send my answers")).to_have_count(0)

    # The same form sent again: the same submission and reference, nothing new saved.
    stale.get_by_role("button", name="Send my answers").click()
    expect(stale.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your answers have been sent"
    )
    expect(stale.locator(".govuk-panel")).to_contain_text(reference)
    assert counts(app) == (1, 4)


def test_double_click_back_and_resend_save_once(app: Flask, new_context: NewContext) -> None:
    # GOV.UK Frontend's preventDoubleClick: the second click of the double-click is ignored.
    send_twice(app, new_context(viewport=PHONE), expected_posts=1)


def test_double_click_back_and_resend_save_once_without_javascript(
    app: Flask, new_context: NewContext
) -> None:
    send_twice(app, new_context(java_script_enabled=False, viewport=PHONE), expected_posts=1)


def test_the_same_form_sent_four_times_at_once_saves_once(
    app: Flask, new_context: NewContext
) -> None:
    """Four copies of the form arriving together (taps on a slow connection, retries)."""
    page = new_context(viewport=PHONE).new_page()
    Respondent(page).answer_as_adult()
    statuses = page.evaluate(
        """async () => {
            const form = document.querySelector("main form[method=post]");
            const send = () => fetch(location.href,
                {method: "POST", body: new FormData(form), redirect: "manual"});
            const responses = await Promise.all([send(), send(), send(), send()]);
            return responses.map(response => response.type);
        }"""
    )
    # Every one is answered with a redirect (none fails), and one submission is saved.
    assert statuses == ["opaqueredirect"] * 4, statuses
    assert counts(app) == (1, 4)


def test_resend_with_the_cookie_from_before_sending_shows_the_confirmation(
    app: Flask, new_context: NewContext
) -> None:
    context = new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    resident = Respondent(page)
    resident.answer_as_adult()
    cookie_before_sending = context.cookies()
    stale = Respondent(context.new_page())
    stale.page.goto(page.url)
    stale.arrive("Check your answers")
    reference = resident.send()

    # The form sent again by a browser that never stored the first response's cookie.
    context.clear_cookies()
    context.add_cookies(cookie_before_sending)  # type: ignore[arg-type]
    assert stale.send() == reference
    assert counts(app) == (1, 4)
