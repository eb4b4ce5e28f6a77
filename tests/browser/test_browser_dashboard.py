"""The strategy team's dashboard in a browser: filters, theme pages, axe-core."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.test_browser_staff import sign_in
from tests.conftest import StaffMember

Axe = Callable[[Page], None]


def test_strategy_user_filters_the_overview_and_opens_a_theme(
    page: Page,
    axe: Axe,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session(
        area="Braunstone",
        points={"why": ["Young people carry knives because they are scared of being jumped"]},
    )
    make_session(area="Belgrave", points={"help": ["We need more youth clubs open late"]})
    sign_in(page, make_user(role="strategy"))
    page.goto("/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("What the community told us")
    expect(page.locator("#total-responses")).to_have_text("2")
    axe(page)

    page.get_by_label("Area", exact=True).select_option(label="Braunstone")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#total-responses")).to_have_text("1")
    axe(page)

    page.get_by_role("link", name="Fear and feeling unsafe").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fear and feeling unsafe")
    quote = page.locator("#quotes blockquote").first
    expect(quote).to_contain_text("they are scared of being jumped")
    expect(quote.locator("mark")).not_to_have_count(0)
    axe(page)


def test_admin_acts_on_a_safeguarding_flag(
    page: Page,
    axe: Axe,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session(points={"what_where": ["My brother has a knife in his bag right now"]})
    sign_in(page, make_user(role="admin"))
    page.get_by_role("link", name="Safeguarding").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Safeguarding")
    axe(page)
    page.locator("#flags a").first.click()
    expect(page.locator("#flagged-text mark")).not_to_have_count(0)
    axe(page)
    page.get_by_role("button", name="Mark as actioned").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter what was done")
    axe(page)
    page.get_by_label("What was done").fill("Called 101 and passed it on")
    page.get_by_role("button", name="Mark as actioned").click()
    expect(page.get_by_text("There are no flags to act on")).to_be_visible()


def test_reviewing_with_the_keyboard(
    page: Page,
    axe: Axe,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session(points={"why": ["They carry knives because they are scared", "No idea"]})
    sign_in(page, make_user(role="strategy"))
    page.get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Which themes does this response carry?"
    )
    axe(page)
    # Tab to the first theme, tick it with the space bar, save with Enter.
    page.get_by_role("group", name="Themes in this response").get_by_label(
        "Peer pressure and belonging"
    ).focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save and review the next").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("1 added")
    page.goto("/dashboard/coder-quality")
    expect(page.get_by_role("heading", level=1)).to_have_text("Coder quality")
    axe(page)
