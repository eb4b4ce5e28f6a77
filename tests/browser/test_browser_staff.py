"""Staff journeys in a real browser, and axe on every page in its normal and error states.

Each test drives headless Chromium against the live server (see conftest.py),
finding fields by their labels and buttons by their names, as a person would.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import BrowserContext, Locator, Page, expect

from app.extensions import db
from app.models import Area, ConversationSession, Response
from tests.conftest import StaffMember

Axe = Callable[[Page], None]
MakeUser = Callable[..., StaffMember]
MakeSession = Callable[..., int]
NewContext = Callable[..., BrowserContext]

QUESTION_LABELS = {
    "what_where": "What and where knife crime issues exist within the local area and community",
    "why": "Why people carry knives and become involved in knife crime and other serious violence",
    "impact": "How knife crime has impacted on and affected local communities",
    "help": (
        "How communities, organisations and services can help to reduce knife crime "
        "and serious violence"
    ),
}

NOTES = {
    "what_where": "- Groups gather by the shops after school\n- Robberies near the underpass",
    "why": "1. Young people carry knives because they are scared\n2. Older lads recruit them",
    "impact": "- Parents keep their children indoors after dark",
    "help": "1. More youth clubs open in the evening\n2. Mentors with lived experience",
}

POINTS = {
    "what_where": ["Groups gather by the shops after school", "Robberies near the underpass"],
    "why": ["Young people carry knives because they are scared", "Older lads recruit them"],
    "impact": ["Parents keep their children indoors after dark"],
    "help": ["More youth clubs open in the evening", "Mentors with lived experience"],
}

CSV_HEADER = "session_ref,area,held_on,venue,audience,participants,facilitator,question,text\n"
VALID_CSV = CSV_HEADER + (
    "BEL-2026-03-14,Belgrave,14/03/2026,Community centre,residents,12,A. Facilitator,"
    "what_where,Groups gather by the shops after school\n"
    "BEL-2026-03-14,Belgrave,14/03/2026,Community centre,residents,12,A. Facilitator,"
    "help,More youth clubs open in the evening\n"
)
INVALID_CSV = CSV_HEADER + (
    "BEL-1,Nowhere,14/03/2026,Community centre,residents,12,A. Facilitator,why,A point\n"
    "BEL-1,Belgrave,31/02/2026,Community centre,everyone,12,A. Facilitator,why,A point\n"
    "BEL-2,Belgrave,14/03/2026,Library,residents,lots,A. Facilitator,when,Another point\n"
)


# --- what a person does ------------------------------------------------------


def sign_in(page: Page, member: StaffMember) -> None:
    """Sign in through the form and land on the role's start page.

    Community leads start on the sessions list; the strategy team and
    administrators on the dashboard's overview.
    """
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(member.email)
    page.get_by_label("Password", exact=True).fill(member.password)
    page.get_by_role("button", name="Sign in").click()
    landing = "Sessions" if member.role == "lead" else "What the community told us"
    expect(page.get_by_role("heading", level=1, name=landing)).to_be_visible()


def fill_session_form(page: Page, notes: dict[str, str] = NOTES) -> None:
    """Fill in the record-a-session form for a residents' session in Belgrave."""
    page.get_by_label("Area", exact=True).select_option(label="Belgrave")
    date = page.get_by_role("group", name="Date the session was held")
    date.get_by_label("Day").fill("14")
    date.get_by_label("Month").fill("3")
    date.get_by_label("Year").fill("2026")
    page.get_by_label("Venue", exact=True).fill("Belgrave Neighbourhood Centre")
    page.get_by_role("group", name="Who took part").get_by_label("Residents").check()
    page.get_by_label("Number of people taking part").fill("14")
    page.get_by_label("Facilitator", exact=True).fill("A. Facilitator")
    for question_id, text in notes.items():
        page.get_by_label(QUESTION_LABELS[question_id]).fill(text)


def record_session(page: Page) -> None:
    """From the sessions list, record a session with points under all four questions."""
    page.get_by_role("button", name="Record a session").click()
    expect(page.get_by_role("heading", level=1, name="Record a session")).to_be_visible()
    fill_session_form(page)
    page.get_by_role("button", name="Save session").click()


def banner(page: Page) -> Locator:
    """The notification banner on the page."""
    return page.locator(".govuk-notification-banner")


def write_csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def session_count(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(ConversationSession))
        db.session.remove()
    return int(count or 0)


def area_id(app: Flask, name: str) -> int:
    with app.app_context():
        found = db.session.scalar(sa.select(Area.id).where(Area.name == name))
        db.session.remove()
    assert found is not None
    return int(found)


# --- (a) record, read, change, sign out ----------------------------------------


def test_lead_records_changes_and_signs_out(app: Flask, page: Page, make_user: MakeUser) -> None:
    lead = make_user(role="lead", areas=("Belgrave",))
    sign_in(page, lead)

    record_session(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Session on 14 March 2026")
    expect(banner(page)).to_contain_text("Session saved with 7 points.")
    for question_id, points in POINTS.items():
        section = page.locator("ul.app-points").nth(list(POINTS).index(question_id))
        expect(section.locator(".app-point-text")).to_have_text(points)
    expect(page.get_by_text("Belgrave Neighbourhood Centre")).to_be_visible()
    scared = page.get_by_role("listitem").filter(has_text="because they are scared")
    expect(scared.locator(".app-theme-tag")).to_contain_text(["Fear and feeling unsafe"])

    page.get_by_role("button", name="Change session").click()
    expect(page.get_by_role("heading", level=1, name="Change session")).to_be_visible()
    why = page.get_by_label(QUESTION_LABELS["why"])
    expect(why).to_have_value(
        "Young people carry knives because they are scared\nOlder lads recruit them"
    )
    why.fill("Young people carry knives because they are frightened\nOlder lads recruit them")
    page.get_by_role("button", name="Save session").click()

    expect(banner(page)).to_contain_text(
        "Session updated: 0 added, 1 edited, 0 removed, 6 unchanged."
    )
    expect(
        page.get_by_role("listitem").filter(has_text="because they are frightened")
    ).to_be_visible()
    expect(page.get_by_text("because they are scared")).to_have_count(0)
    with app.app_context():
        texts = set(db.session.scalars(sa.select(Response.text)))
        db.session.remove()
    assert "Young people carry knives because they are frightened" in texts

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(banner(page)).to_contain_text("You have signed out.")

    # The browser's back button does not bring the notes back (they are never cached).
    page.go_back()
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    expect(page.get_by_text("Belgrave Neighbourhood Centre")).to_have_count(0)

    page.goto("/sessions/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fsessions%2F$"))
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()


# --- (b) axe on every page, normal and error states ----------------------------


def test_axe_signed_out_pages(page: Page, axe: Axe, make_user: MakeUser) -> None:
    lead = make_user(role="lead")

    page.goto("/sign-in")
    axe(page)

    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    axe(page)

    page.get_by_label("Email address").fill(lead.email)
    page.get_by_label("Password", exact=True).fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter a correct email address and password")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    axe(page)

    # A staff page while signed out: back to sign in, with an "Important" banner.
    page.goto("/sessions/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    axe(page)

    response = page.goto("/set-password/not-a-real-token")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This link has expired or has already been used"
    )
    axe(page)

    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1, name="Page not found")).to_be_visible()
    axe(page)


def test_axe_lead_pages(
    app: Flask,
    page: Page,
    axe: Axe,
    tmp_path: Path,
    make_user: MakeUser,
    make_session: MakeSession,
) -> None:
    session_id = make_session(area="Belgrave")
    make_session(area="Belgrave", audience="young_people", venue="Youth club")
    sign_in(page, make_user(role="lead", areas=("Belgrave",)))
    axe(page)

    # The list, filtered through the filter form.
    page.get_by_label("Area", exact=True).select_option(label="Belgrave")
    page.get_by_label("Who took part").select_option(label="Young people")
    page.get_by_label("Held on or after").fill("2026-01-01")
    page.get_by_label("Held on or before").fill("2026-12-31")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("1 session.", exact=True)).to_be_visible()
    axe(page)
    # Filters that cannot be understood are ignored, with a message.
    page.goto("/sessions/?held_from=yesterday")
    expect(page.get_by_text("Some filters were not understood")).to_be_visible()
    axe(page)

    page.goto("/sessions/new")
    axe(page)
    page.get_by_role("button", name="Save session").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Enter the venue")
    expect(page).to_have_title(re.compile(r"^Error: "))
    axe(page)
    # The details are right but no point was written down.
    fill_session_form(page, notes={})
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Enter at least one point made in the session"
    )
    axe(page)

    page.goto(f"/sessions/{session_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Session on 14 March 2026")
    axe(page)

    page.goto(f"/sessions/{session_id}/edit")
    axe(page)
    page.get_by_label("Venue", exact=True).fill("")
    for label in QUESTION_LABELS.values():
        page.get_by_label(label).fill("")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the venue")
    axe(page)

    page.goto(f"/sessions/{session_id}/delete")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Are you sure you want to delete this session?"
    )
    axe(page)

    page.goto("/sessions/import")
    axe(page)
    page.get_by_role("button", name="Import notes").click()
    expect(page.get_by_role("alert")).to_contain_text("Select a CSV or XLSX file")
    axe(page)
    page.get_by_label("Upload a file").set_input_files(write_csv(tmp_path, "bad.csv", INVALID_CSV))
    page.get_by_role("button", name="Import notes").click()
    expect(page.get_by_role("heading", name="Problems found in the file")).to_be_visible()
    axe(page)

    response = page.goto("/admin/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You do not have permission to see this page"
    )
    axe(page)
    assert session_count(app) == 2


def test_axe_admin_pages(page: Page, axe: Axe, make_user: MakeUser) -> None:
    admin = make_user(role="admin", name="Ada Admin")
    make_user(role="lead", name="Lee Lead")
    sign_in(page, admin)

    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", level=1, name="Users")).to_be_visible()
    axe(page)

    page.get_by_role("link", name="Lee Lead").click()
    expect(page.get_by_role("heading", level=1, name="Lee Lead")).to_be_visible()
    axe(page)

    page.goto("/admin/users/invite")
    axe(page)
    page.get_by_role("button", name="Create invitation").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter their full name")
    expect(summary).to_contain_text("Select a role")
    axe(page)
    # A community lead must hold an area: the error is on the checkboxes.
    page.get_by_label("Full name").fill("Nia New")
    page.get_by_label("Email address").fill("nia.new@example.org")
    page.get_by_role("group", name="Role").get_by_label("Community lead").check()
    page.get_by_role("button", name="Create invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("Select at least one area")
    axe(page)

    page.get_by_role("group", name="Areas they lead").get_by_label("Belgrave").check()
    page.get_by_role("button", name="Create invitation").click()
    expect(page.get_by_role("heading", level=1, name="Invitation created")).to_be_visible()
    axe(page)
    link = page.locator("#invitation-link").inner_text().strip()

    page.goto("/admin/audit")
    expect(page.get_by_role("heading", level=1, name="Audit log")).to_be_visible()
    axe(page)

    # The invitation link, opened signed out as the new person would.
    page.get_by_role("button", name="Sign out").click()
    page.goto(link)
    expect(page.get_by_role("heading", level=1, name="Create a password")).to_be_visible()
    axe(page)
    page.get_by_label("Create a password").fill("a long enough password 2")
    page.get_by_label("Confirm password").fill("a different password 2")
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("alert")).to_contain_text("Passwords must match")
    axe(page)


# --- (c) importing a spreadsheet -----------------------------------------------


def test_lead_imports_a_csv(app: Flask, page: Page, tmp_path: Path, make_user: MakeUser) -> None:
    sign_in(page, make_user(role="lead", areas=("Belgrave",)))
    page.get_by_role("link", name="Import notes from a spreadsheet").click()
    expect(page.get_by_role("heading", level=1, name="Import session notes")).to_be_visible()

    page.get_by_label("Upload a file").set_input_files(write_csv(tmp_path, "notes.csv", VALID_CSV))
    page.get_by_role("button", name="Import notes").click()

    expect(page.get_by_role("heading", level=1, name="Sessions")).to_be_visible()
    expect(banner(page)).to_contain_text("Imported 1 session with 2 points.")
    expect(page.get_by_role("cell", name="Community centre", exact=True)).to_be_visible()
    assert session_count(app) == 1


def test_invalid_csv_lists_row_errors_and_saves_nothing(
    app: Flask, page: Page, tmp_path: Path, make_user: MakeUser
) -> None:
    sign_in(page, make_user(role="lead", areas=("Belgrave",)))
    page.goto("/sessions/import")

    page.get_by_label("Upload a file").set_input_files(write_csv(tmp_path, "bad.csv", INVALID_CSV))
    page.get_by_role("button", name="Import notes").click()

    expect(page.get_by_role("alert")).to_contain_text("Nothing has been saved")
    table = page.get_by_role("table", name=re.compile(r"problems?\. Nothing has been saved"))
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    assert rows.count() >= 5, table.inner_text()
    problems = table.inner_text()
    for column in ("area", "held_on", "audience", "participants", "question"):
        assert column in problems, problems
    assert session_count(app) == 0

    page.get_by_role("link", name="Sessions", exact=True).click()
    expect(page.get_by_text("0 sessions.", exact=True)).to_be_visible()


# --- (d) without JavaScript ------------------------------------------------------


def test_sign_in_and_record_without_javascript(
    app: Flask, new_context: NewContext, make_user: MakeUser
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, make_user(role="lead", areas=("Belgrave",)))
    # GOV.UK Frontend's scripts did not run.
    assert "govuk-frontend-supported" not in (page.locator("body").get_attribute("class") or "")

    record_session(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Session on 14 March 2026")
    expect(banner(page)).to_contain_text("Session saved with 7 points.")
    assert session_count(app) == 1


# --- (e) a narrow screen ---------------------------------------------------------


def test_no_horizontal_scroll_at_320px(
    new_context: NewContext, make_user: MakeUser, make_session: MakeSession
) -> None:
    page = new_context(viewport={"width": 320, "height": 640}).new_page()

    def assert_fits(name: str) -> None:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 320, f"{name} is {width}px wide at a 320px viewport"

    page.goto("/sign-in")
    assert_fits("the sign-in page")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_fits("the sign-in page with errors")

    sign_in(page, make_user(role="lead", areas=("Belgrave",)))
    page.goto("/sessions/new")
    assert_fits("the record-a-session form")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_fits("the record-a-session form with errors")
    expect(page.get_by_text("Select the area").first).to_be_visible()
    expect(page.get_by_text("Enter at least one point made in the session").first).to_be_visible()

    make_session(area="Belgrave", venue="A venue with a rather long name for a narrow screen")
    page.goto("/sessions/")
    expect(page.get_by_role("region", name="Sessions")).to_be_visible()
    assert_fits("the sessions list")
