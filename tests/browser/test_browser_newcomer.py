"""The strategy team's journey on the demo data, as issue 5's "done when" describes it.

Sign in as the demo strategy user, filter the overview to one area, open a
theme, review ten responses, download the report as PDF and the responses as
XLSX; every figure is checked against the database.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import openpyxl
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from app.demo import DEMO_USERS, load_demo_data
from app.extensions import db
from app.models import Area, ConversationSession, Response, ResponseCode, User

Axe = Callable[[Page], None]


def _load_demo(app: Flask) -> dict[str, int]:
    """Load the demo data; return Belgrave's id and hand-checkable counts from the database."""
    with app.app_context():
        load_demo_data()
        db.session.commit()
        belgrave = db.session.scalar(sa.select(Area.id).where(Area.name == "Belgrave"))
        in_area = (
            sa.select(sa.func.count(Response.id))
            .join(ConversationSession, ConversationSession.id == Response.session_id)
            .where(Response.area_id == belgrave, ConversationSession.deleted_at.is_(None))
        )
        responses = db.session.scalar(in_area)
        fear = db.session.scalar(
            in_area.join(ResponseCode, ResponseCode.response_id == Response.id).where(
                ResponseCode.theme_id == "fear", ResponseCode.applied.is_(True)
            )
        )
        db.session.remove()
    assert belgrave and responses and fear
    return {"area": belgrave, "responses": responses, "fear": fear}


def test_newcomer_journey_on_the_demo_data(page: Page, axe: Axe, app: Flask) -> None:
    counts = _load_demo(app)
    strategy = next(user for user in DEMO_USERS if user.role == "strategy")
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(strategy.email)
    page.get_by_label("Password", exact=True).fill(strategy.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What the community told us")

    page.get_by_label("Area", exact=True).select_option(label="Belgrave")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#total-responses")).to_have_text(str(counts["responses"]))
    share = round(100 * counts["fear"] / counts["responses"])
    fear_row = page.locator('#themes-table tr[data-theme="fear"] td').first
    expect(fear_row).to_have_text(f"{share}% ({counts['fear']})")
    axe(page)

    page.get_by_role("link", name="Fear and feeling unsafe").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fear and feeling unsafe")
    expect(page.locator("#theme-counts dd").first).to_have_text(f"{share}% ({counts['fear']})")
    expect(page.locator("#quotes blockquote")).to_have_count(min(counts["fear"], 10))
    axe(page)

    page.get_by_role("link", name="Review", exact=True).click()
    for number in range(1, 11):
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Which themes does this response carry?"
        )
        page.get_by_role("button", name="Save and review the next").click()
        expect(page.locator(".govuk-notification-banner")).to_be_visible()
        del number
    with app.app_context():
        reviewer = db.session.scalar(sa.select(User.id).where(User.email == strategy.email))
        reviewed = db.session.scalar(
            sa.select(sa.func.count(Response.id)).where(Response.reviewed_by_id == reviewer)
        )
        db.session.remove()
    assert reviewed == 10

    page.goto(f"/dashboard/report?area={counts['area']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("What the community told us")
    with page.expect_download() as pdf_download:
        page.locator("#report-pdf-link").click()
    pdf = pdf_download.value
    assert pdf.suggested_filename.endswith(".pdf")
    assert pdf.path().read_bytes().startswith(b"%PDF")

    page.goto(f"/dashboard/?area={counts['area']}")
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Excel", exact=True).click()
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes()))
    rows = list(workbook["Responses"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == counts["responses"]
    assert sum(1 for row in rows if "fear" in str(row[6]).split(";")) == counts["fear"]
