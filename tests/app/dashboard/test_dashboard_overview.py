"""The dashboard's numbers, checked against a small hand-counted data set."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from tests.conftest import StaffMember
from tests.factories import add_survey_answers, replace_codes

# Hand-counted: 2 sessions (Belgrave 10 people, Braunstone 20) with 5 points,
# and 3 Belgrave survey respondents with one answer each: 8 responses.
SESSION_POINTS = {
    "Belgrave": {
        "why": [
            ("Jamal said he is scared so he carries", ["fear", "protection"]),
            ("Everyone is frightened", ["fear"]),
        ],
        "help": [("Open the youth club", ["lack_of_provision"])],
    },
    "Braunstone": {
        "why": [("His mates pushed him into it", ["peer_pressure"])],
        "help": [("Clubs and mentors", ["lack_of_provision", "role_models"])],
    },
}
SURVEY_ANSWERS = [("I am scared", ["fear"]), ("Scared at night", ["fear"]), ("No idea", [])]


@pytest.fixture
def hand_counted(app: Flask, make_session: Callable[..., int]) -> None:
    """Build the data set, with exactly the codes listed above."""
    audiences = {"Belgrave": "residents", "Braunstone": "young_people"}
    participants = {"Belgrave": 10, "Braunstone": 20}
    codes: dict[str, list[str]] = {}
    for area, points in SESSION_POINTS.items():
        make_session(
            area=area,
            audience=audiences[area],
            participants=participants[area],
            held_on=date(2026, 3, 14),
            points={q: [text for text, _ in items] for q, items in points.items()},
        )
        for items in points.values():
            codes.update({text: themes for text, themes in items})
    with app.app_context():
        add_survey_answers("Belgrave", [text for text, _ in SURVEY_ANSWERS], "CV-TEST-000")
        codes.update({text: themes for text, themes in SURVEY_ANSWERS})
        replace_codes({text: [(t, 0.9, False) for t in themes] for text, themes in codes.items()})
        db.session.commit()
        db.session.remove()


def _page(client: FlaskClient, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _theme_cells(soup: BeautifulSoup, theme_id: str) -> list[str]:
    row = soup.select_one(f'#themes-table tr[data-theme="{theme_id}"]')
    assert row is not None
    return [td.get_text(strip=True) for td in row.select("td")]


def _text(soup: BeautifulSoup, selector: str) -> str:
    element = soup.select_one(selector)
    assert element is not None, selector
    return element.get_text(strip=True)


def test_overview_matches_hand_counts(
    client: FlaskClient, signed_in: Callable[..., StaffMember], hand_counted: None
) -> None:
    signed_in("strategy")
    soup = _page(client, "/dashboard/")
    assert _text(soup, "#total-responses") == "8"
    assert _text(soup, "#total-sessions") == "2"
    assert _text(soup, "#total-participants") == "30"
    assert _text(soup, "#total-respondents") == "fewer than 5"
    assert _theme_cells(soup, "fear") == ["50% (4)", "50% (1)", "fewer than 5"]
    assert _theme_cells(soup, "lack_of_provision") == ["25% (2)", "100% (2)", "fewer than 5"]
    assert _theme_cells(soup, "peer_pressure") == ["12% (1)", "50% (1)", "fewer than 5"]
    first = soup.select("#themes-table tbody tr")[0]
    assert first["data-theme"] == "fear"
    concepts = {
        row["data-concept"]: row.select_one("td").get_text(strip=True)
        for row in soup.select("#concepts-table tbody tr")
    }
    assert concepts["support_opportunities"] == "38% (3)"
    assert concepts["prevention_safety"] == "50% (4)"
    assert concepts["partnership"] == "0% (0)"
    headers = [th.get_text(strip=True) for th in soup.select("#area-matrix thead th")]
    belgrave = headers.index("Belgrave") - 1
    braunstone = headers.index("Braunstone") - 1
    fear_row = next(
        r
        for r in soup.select("#area-matrix tbody tr")
        if r.th and r.th.get_text() == "Fear and feeling unsafe"
    )
    cells = [td.get_text(strip=True) for td in fear_row.select("td")]
    assert cells[belgrave] == "67%"
    assert cells[braunstone] == "0%"


def test_filters_narrow_every_figure(
    client: FlaskClient, signed_in: Callable[..., StaffMember], hand_counted: None
) -> None:
    signed_in("admin")
    soup = _page(client, "/dashboard/")
    area_value = next(
        o["value"] for o in soup.select("#area option") if o.get_text() == "Braunstone"
    )
    braunstone = _page(client, f"/dashboard/?area={area_value}")
    assert _text(braunstone, "#total-responses") == "2"
    assert _text(braunstone, "#total-participants") == "20"
    assert _theme_cells(braunstone, "lack_of_provision") == ["50% (1)", "100% (1)", "fewer than 5"]
    survey = _page(client, "/dashboard/?source=survey")
    assert _text(survey, "#total-responses") == "3"
    assert _text(survey, "#total-sessions") == "0"
    assert _theme_cells(survey, "fear")[0] == "fewer than 5"
    young = _page(client, "/dashboard/?audience=young_people")
    assert _text(young, "#total-responses") == "2"
    by_question = _page(client, "/dashboard/?question=help")
    assert _text(by_question, "#total-responses") == "2"
    reviewed = _page(client, "/dashboard/?reviewed_only=y")
    assert _text(reviewed, "#total-responses") == "0"
    later = _page(client, "/dashboard/?date_from=2026-04-01&date_to=2026-04-30")
    assert _text(later, "#total-sessions") == "0"
    nonsense = _page(client, "/dashboard/?date_from=yesterday")
    assert _text(nonsense, "#total-responses") == "8"


def test_small_number_threshold_is_configurable(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember], hand_counted: None
) -> None:
    signed_in("strategy")
    app.config["SMALL_NUMBER_THRESHOLD"] = 2
    try:
        soup = _page(client, "/dashboard/")
    finally:
        app.config["SMALL_NUMBER_THRESHOLD"] = 5
    assert _text(soup, "#total-respondents") == "3"
    assert _theme_cells(soup, "fear")[2] == "67% (2)"


def test_theme_page_shows_redacted_highlighted_quotes(
    client: FlaskClient, signed_in: Callable[..., StaffMember], hand_counted: None
) -> None:
    signed_in("strategy")
    soup = _page(client, "/dashboard/themes/fear")
    assert _text(soup, "h1") == "Fear and feeling unsafe"
    counts = [dd.get_text(strip=True) for dd in soup.select("#theme-counts dd")]
    assert counts == ["50% (4)", "50% (1)", "fewer than 5"]
    quotes = soup.select("#quotes blockquote")
    assert len(quotes) == 4
    texts = [q.decode_contents() for q in quotes]
    assert any("[name] said he is <mark>scared</mark> so he carries" in t for t in texts)
    assert not any("Jamal" in t for t in texts)
    areas = [td.get_text(strip=True) for td in soup.select("#theme-areas td")]
    assert areas[0] == "67% (4)"
    # Every quote links to its response, survey answers included.
    review_links = [a["href"] for a in soup.select("#quotes a") if "/review/" in a["href"]]
    assert len(review_links) == 4
    assert client.get(review_links[-1]).status_code == 200
    assert client.get("/dashboard/themes/no-such-theme").status_code == 404


def test_only_strategy_and_admin_see_the_dashboard(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead")
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/themes/fear").status_code == 403


def test_theme_page_shows_the_trend_by_month(
    client: FlaskClient, signed_in: Callable[..., StaffMember], hand_counted: None
) -> None:
    signed_in("strategy")
    soup = _page(client, "/dashboard/themes/fear")
    months = {
        row.th.get_text(strip=True): row.td.get_text(strip=True)
        for row in soup.select("#theme-months tbody tr")
        if row.th and row.td
    }
    # Session points are dated by the session (14 March 2026), survey answers
    # by the day they were sent (today): fear is 2 of 5 points, 2 of 3 answers.
    this_month = date.today().strftime("%Y-%m")
    assert months == {"2026-03": "40% (2)", this_month: "67% (2)"}
    chart = soup.select_one("#theme-trend-chart")
    assert chart is not None and chart.name == "svg"
    survey_only = _page(client, "/dashboard/themes/fear?source=survey")
    cells = [td.get_text(strip=True) for td in survey_only.select("#theme-months td")]
    assert cells == ["fewer than 5"]


def test_overview_counts_responses_by_the_month_they_were_said(
    client: FlaskClient, signed_in: Callable[..., StaffMember], hand_counted: None
) -> None:
    signed_in("strategy")
    soup = _page(client, "/dashboard/")
    table = soup.select_one("#months-table")
    assert table is not None
    months = {
        row.th.get_text(strip=True): row.td.get_text(strip=True)
        for row in table.select("tbody tr")
        if row.th and row.td
    }
    assert months["2026-03"] == "5"
    assert sum(int(value) for value in months.values()) == 8
