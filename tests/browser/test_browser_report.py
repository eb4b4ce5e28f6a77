"""The report "What the community told us" in a browser: reading, printing, the PDF, axe."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_browser_staff import sign_in
from tests.conftest import StaffMember

Axe = Callable[[Page], None]


def test_strategy_user_reads_prints_and_downloads_the_report(
    page: Page,
    axe: Axe,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
    tmp_path: Path,
) -> None:
    make_session(
        area="Braunstone",
        points={"why": ["Young people carry knives because they are scared of being jumped"]},
    )
    make_session(area="Belgrave", points={"help": ["We need more youth clubs open late"]})
    sign_in(page, make_user(role="strategy"))
    page.goto("/dashboard/")
    page.get_by_label("Area", exact=True).select_option(label="Braunstone")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("link", name="Write these figures up as a report").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("What the community told us")
    expect(page.locator("#report-filters")).to_have_text("Area: Braunstone")
    expect(page.locator("#report-responses")).to_have_text("1")
    quote = page.locator("#question-why blockquote").first
    expect(quote).to_contain_text("scared of being jumped")
    axe(page)

    # Printed, the filters and links give way to the report itself.
    page.emulate_media(media="print")
    expect(page.locator(".app-filter")).to_be_hidden()
    expect(page.locator(".app-report-actions")).to_be_hidden()
    expect(quote).to_be_visible()
    page.emulate_media(media="screen")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download this report as a PDF").click()
    download = download_info.value
    assert re.fullmatch(
        r"what-the-community-told-us-\d{4}-\d\d-\d\d\.pdf", download.suggested_filename
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
