"""The codebook editor in a real browser: edit a theme, see the error, watch re-coding; axe.

The live server runs re-coding in its background thread, as in production,
and the progress page follows it with its script.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import CodebookVersion, Response, ResponseCode
from tests.browser.test_browser_staff import sign_in
from tests.conftest import StaffMember

Axe = Callable[[Page], None]


@pytest.fixture
def background_recoding(app: Flask) -> Iterator[None]:
    """Let the save start its real background runner (the test config runs jobs in-thread)."""
    saved = app.config["RECODE_IN_BACKGROUND"]
    app.config["RECODE_IN_BACKGROUND"] = True
    yield
    app.config["RECODE_IN_BACKGROUND"] = saved


def test_admin_edits_a_theme_and_watches_recoding(
    app: Flask,
    page: Page,
    axe: Axe,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
    background_recoding: None,
) -> None:
    make_session(points={"what_where": ["The zorbleflap boys hang round the shops"]})
    admin = make_user(role="admin")
    sign_in(page, admin)

    page.get_by_role("link", name="Codebook").click()
    expect(page.get_by_role("heading", level=1, name="Codebook")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Fear and feeling unsafe", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Fear and feeling unsafe")).to_be_visible()
    page.get_by_text("How to write patterns").click()
    axe(page)

    patterns = page.get_by_label("Patterns")
    original = patterns.input_value()
    patterns.fill(original + "\n~2 zorbleflap")
    page.get_by_role("button", name="Save as a new version").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("a gap (~N) must come after a word")
    expect(page.locator("#patterns-error")).to_contain_text("~2 zorbleflap")
    axe(page)

    page.get_by_label("Patterns").fill(original + "\n=zorbleflap ~1 boys")
    page.get_by_label("Why are you making this change? (optional)").fill("Local slang")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_role("heading", level=1, name="Re-coding responses")).to_be_visible()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Saved as version 2")
    # The script polls the job's status until the background runner has finished.
    expect(page.locator("#recode-status")).to_have_text("Finished", timeout=30_000)
    expect(page.locator("#recode-percent")).to_have_text("100%")
    expect(page.locator("#recode-announce")).to_contain_text("1 responses re-coded")
    axe(page)

    page.get_by_role("link", name="Back to the codebook").click()
    page.get_by_role("link", name="Version history").click()
    expect(page.get_by_role("heading", level=2, name="Version 2")).to_be_visible()
    page.get_by_text("What changed in version 2").click()
    expect(page.get_by_text("=zorbleflap ~1 boys")).to_be_visible()
    axe(page)

    page.get_by_role("link", name="Codebook", exact=True).first.click()
    page.get_by_role("link", name="Retire Fear and feeling unsafe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retire Fear and feeling unsafe?")
    axe(page)

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.max(CodebookVersion.version))) == 2
        code = db.session.scalar(
            sa.select(ResponseCode)
            .join(Response)
            .where(Response.text.like("The zorbleflap%"), ResponseCode.theme_id == "fear")
        )
        assert code is not None and code.source == "auto"
        db.session.remove()


def test_add_theme_page_passes_axe_in_its_error_state(
    page: Page, axe: Axe, make_user: Callable[..., StaffMember]
) -> None:
    sign_in(page, make_user(role="admin"))
    page.goto("/admin/codebook/themes/new")
    expect(page.get_by_role("heading", level=1, name="Add a theme")).to_be_visible()
    axe(page)
    page.get_by_label("Theme id").fill("Not Valid")
    page.get_by_role("button", name="Add theme").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a label")
    expect(page.locator("#theme_id-error")).to_contain_text("lower-case letters")
    axe(page)
