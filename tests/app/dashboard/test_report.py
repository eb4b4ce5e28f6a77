"""The report "What the community told us", checked against a hand-counted data set."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from app.dashboard.report import PDF_STYLESHEET_PATH, excerpt, pdf_url_fetcher
from app.extensions import db
from app.models import (
    Area,
    AuditEvent,
    Response,
    SafeguardingFlag,
)
from tests.conftest import StaffMember
from tests.factories import add_survey_answers, replace_codes

EMAIL = "sam.jones@example.org"
PHONE = "07700 900123"
NAME = "Jamal"

# Hand-counted: Belgrave (1 session, 10 people) and Braunstone (1 session, 20
# people) with 5 points, and 3 Belgrave survey respondents with one "why"
# answer each: 8 responses, 6 of them under "why" and 2 under "help".
# (text, themes, score, confirmed by a person)
SESSION_POINTS = {
    "Belgrave": {
        "why": [
            (f"{NAME} said he is scared so he carries", ["fear", "protection"], 0.5, False),
            (f"Everyone is frightened, ring me on {PHONE}", ["fear"], 0.8, False),
        ],
        "help": [(f"Open the youth club, email {EMAIL}", ["lack_of_provision"], 0.9, False)],
    },
    "Braunstone": {
        "why": [("His mates pushed him into it", ["peer_pressure"], 0.9, False)],
        "help": [("Clubs and mentors", ["lack_of_provision", "role_models"], 0.9, False)],
    },
}
SURVEY_ANSWERS = [
    ("I am scared every day", ["fear"], 0.95, False),
    ("Scared at night", ["fear"], 0.6, True),
    ("No idea", [], 0.0, False),
]


@pytest.fixture
def hand_counted(app: Flask, make_session: Callable[..., int]) -> None:
    """Build the data set, with exactly the codes listed above and no safeguarding flags."""
    codes: dict[str, tuple[list[str], float, bool]] = {}
    people = {"Belgrave": 10, "Braunstone": 20}
    audiences = {"Belgrave": "residents", "Braunstone": "young_people"}
    held = {"Belgrave": date(2026, 3, 14), "Braunstone": date(2026, 3, 21)}
    for area, points in SESSION_POINTS.items():
        make_session(
            area=area,
            audience=audiences[area],
            participants=people[area],
            held_on=held[area],
            points={q: [item[0] for item in items] for q, items in points.items()},
        )
        for items in points.values():
            codes.update({text: (themes, score, human) for text, themes, score, human in items})
    with app.app_context():
        add_survey_answers("Belgrave", [answer[0] for answer in SURVEY_ANSWERS], "CV-REPORT-")
        codes.update(
            {text: (themes, score, human) for text, themes, score, human in SURVEY_ANSWERS}
        )
        replace_codes(
            {
                text: [(theme, score, human) for theme in themes]
                for text, (themes, score, human) in codes.items()
            }
        )
        db.session.execute(sa.delete(SafeguardingFlag))
        db.session.commit()
        db.session.remove()


def _get(client: FlaskClient, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _text(soup: BeautifulSoup, selector: str) -> str:
    element = soup.select_one(selector)
    assert element is not None, selector
    return " ".join(element.get_text(" ").split())


def _clean(text: str) -> str:
    """Whitespace as a reader sees it, with no space before punctuation."""
    return re.sub(r" ([,.;:)])", r"\1", " ".join(text.split()))


def _area_id(app: Flask, name: str) -> int:
    with app.app_context():
        area_id = db.session.scalar(sa.select(Area.id).where(Area.name == name))
        db.session.remove()
    assert area_id is not None
    return int(area_id)


def test_report_words_the_hand_counted_figures(
    client: FlaskClient, signed_in: Callable[..., StaffMember], hand_counted: None
) -> None:
    signed_in("strategy")
    soup = _get(client, "/dashboard/report")
    assert _text(soup, "h1") == "What the community told us"
    assert _text(soup, "#report-responses") == "8"
    assert _text(soup, "#report-filters") == "None: every response"
    assert re.fullmatch(r"\d{1,2} \w+ 20\d\d at \d\d:\d\d", _text(soup, "#report-generated"))

    summary = _clean(_text(soup, "#report-summary"))
    assert (
        "This report draws on 8 responses: 5 points made in 2 community sessions "
        "(30 people taking part) and 3 open survey answers from fewer than 5 respondents."
    ) in summary
    assert (
        "Across the two areas with responses, the theme raised most often was fear and "
        "feeling unsafe, in 50% of responses (4). Next came youth and community "
        "provision, 25% (2) and carrying for protection, 12% (1)."
    ) in summary

    why = _clean(_text(soup, "#question-why .app-report-question__summary"))
    assert why == (
        "Across the two areas with responses, 6 responses answered this question. The most "
        "common theme was fear and feeling unsafe, raised in 67% of the responses to this "
        "question (4 of 6). It was followed by carrying for protection, 17% (1) and peer "
        "pressure and belonging, 17% (1)."
    )
    help_ = _clean(_text(soup, "#question-help .app-report-question__summary"))
    assert "youth and community provision, raised in 100% of the responses to this question" in (
        help_
    )
    assert "(2 of 2)" in help_
    assert "role models and mentors, 50% (1)." in help_
    assert "No responses to this question match these filters." in _text(soup, "#question-impact")
    shares = [_text(t, ".app-report-share") for t in soup.select("#question-why .app-report-theme")]
    assert shares == ["67% (4)", "17% (1)", "17% (1)"]

    concepts = {
        row["data-concept"]: _text(row, "td")
        for row in soup.select("#report-concepts-table tbody tr")
    }
    assert concepts == {
        "support_opportunities": "38% (3)",
        "prevention_safety": "50% (4)",
        "community_involvement": "25% (2)",
        "partnership": "0% (0)",
        "outdoor_safety_resilience": "50% (4)",
    }
    assert "in 50% of responses (4)" in _text(soup, "#report-concepts")
    assert soup.select_one("#report-concepts svg[role=img]") is not None

    belgrave = _clean(_text(soup, f"#area-{_area_id(client.application, 'Belgrave')}"))
    assert (
        "6 responses: 3 points made in 1 session (10 people taking part) and 3 survey answers "
        "from fewer than 5 respondents."
    ) in belgrave
    assert (
        "Fear and feeling unsafe: 67% (4) of the responses in Belgrave, 17 percentage points "
        "above the city-wide 50%"
    ) in belgrave
    assert "Carrying for protection: 17% (1) of the responses in Belgrave, 5 percentage" in (
        belgrave
    )
    assert "8 percentage points below the city-wide 25%" in belgrave
    braunstone = _clean(_text(soup, f"#area-{_area_id(client.application, 'Braunstone')}"))
    assert "2 responses: 2 points made in 1 session (20 people taking part)." in braunstone
    assert "Peer pressure and belonging: 50% (1) of the responses in Braunstone" in braunstone
    assert "No responses under these filters from" in _text(soup, "#report-areas-without")
    assert "Highfields" in _text(soup, "#report-areas-without")


def test_quotes_prefer_confirmed_and_stronger_codes_and_are_redacted(
    client: FlaskClient, signed_in: Callable[..., StaffMember], hand_counted: None
) -> None:
    signed_in("admin")
    html = client.get("/dashboard/report").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    fear = soup.select("#question-why-fear blockquote")
    texts = [q.decode_contents() for q in fear]
    # The confirmed code first, then by score; three distinct responses.
    assert texts == [
        "“<mark>Scared</mark> at night”",
        "“I am <mark>scared</mark> every day”",
        "“Everyone is frightened, ring me on [phone]”",
    ]
    protection = [q.decode_contents() for q in soup.select("#question-why-protection blockquote")]
    assert protection == ["“[name] said he is <mark>scared</mark> so he carries”"]
    provision = _text(soup, "#question-help-lack_of_provision")
    assert "Open the youth club, email [email]" in provision
    # Quoted under provision already, but role models would have no quote without it.
    assert "Clubs and mentors" in _text(soup, "#question-help-role_models")
    captions = [_text(c, "figcaption") for c in soup.select("#question-why-fear figure")]
    assert captions == ["Online survey, Belgrave"] * 2 + ["Community session, Belgrave"]
    for secret in (NAME, PHONE, EMAIL, "900123", "sam.jones"):
        assert secret not in html


def test_safeguarding_flagged_responses_are_never_quoted(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember], hand_counted: None
) -> None:
    with app.app_context():
        response = db.session.scalar(sa.select(Response).where(Response.text == "Scared at night"))
        assert response is not None
        db.session.add(SafeguardingFlag(response=response, detector_version="test", score=1.0))
        db.session.commit()
        db.session.remove()
    signed_in("strategy")
    soup = _get(client, "/dashboard/report")
    assert "Scared at night" not in soup.get_text()
    # Still counted: flags change what is quoted, not the figures.
    assert _text(soup, "#question-why-fear .app-report-share") == "67% (4)"


def test_filters_apply_and_are_stated(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember], hand_counted: None
) -> None:
    signed_in("strategy")
    braunstone = _area_id(app, "Braunstone")
    soup = _get(client, f"/dashboard/report?area={braunstone}&question=why")
    assert _text(soup, "#report-responses") == "1"
    assert _text(soup, "#report-filters") == "Area: Braunstone Question: Why"
    assert soup.select_one("#question-help") is None
    assert _clean(_text(soup, "#question-why .app-report-question__summary")) == (
        "In Braunstone, 1 response answered this question. The most common theme was peer "
        "pressure and belonging, raised in 100% of the responses to this question (1 of 1)."
    )
    # City-wide still means every area, under the other filters (here: "why" only).
    assert "83 percentage points above the city-wide 17%" in _text(soup, f"#area-{braunstone}")
    assert soup.select_one("#report-areas-without") is None
    link = soup.select_one("#report-pdf-link")
    assert link is not None
    assert f"area={braunstone}" in link["href"] and "question=why" in link["href"]

    dated = _get(client, "/dashboard/report?date_from=2026-03-20&source=session")
    assert _text(dated, "#report-responses") == "2"
    assert "From: 20 March 2026" in _text(dated, "#report-filters")
    assert "Source: Community session" in _text(dated, "#report-filters")
    nonsense = _get(client, "/dashboard/report?date_from=yesterday")
    assert _text(nonsense, "#report-responses") == "8"
    assert _text(nonsense, "#report-filters") == "None: every response"


def test_small_survey_numbers_are_suppressed(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember], hand_counted: None
) -> None:
    signed_in("strategy")
    soup = _get(client, "/dashboard/report?source=survey")
    page = soup.get_text(" ")
    assert _text(soup, "#report-responses") == "fewer than 5"
    assert "Fewer than 5 responses match these filters" in _text(soup, "#report-summary")
    assert soup.select(".app-report-quote") == []
    assert "Scared at night" not in page and "67%" not in page
    assert soup.select_one("#report-areas") is None

    app.config["SMALL_NUMBER_THRESHOLD"] = 2
    try:
        soup = _get(client, "/dashboard/report?source=survey")
    finally:
        app.config["SMALL_NUMBER_THRESHOLD"] = 5
    assert _text(soup, "#report-responses") == "3"
    assert "3 open survey answers from 3 respondents" in _clean(_text(soup, "#report-summary"))
    why = _clean(_text(soup, "#question-why .app-report-question__summary"))
    assert "raised in 67% of the responses to this question (2 of 3)" in why


def _pdf_objects(pdf: bytes) -> list[bytes]:
    """Every object's bytes, streams inflated and object streams opened."""
    found: list[bytes] = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            found.append(zlib.decompress(match.group(1)))
        except zlib.error:
            found.append(match.group(1))
    return [pdf, *found]


def _pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages, decoded through each font's ToUnicode map."""
    objects = _pdf_objects(pdf)
    streams: dict[int, bytes] = {}
    for match in re.finditer(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S):
        body = re.search(rb"stream\r?\n(.*)\r?\nendstream", match.group(2), re.S)
        if body:
            streams[int(match.group(1))] = body.group(1)
    fonts: dict[str, dict[int, str]] = {}
    for data in objects:
        for tag, ref in re.findall(rb"/BaseFont /([A-Z]{6})\+[^/]*/ToUnicode (\d+) 0 R", data):
            cmap = zlib.decompress(streams[int(ref)]).decode("latin-1")
            table: dict[int, str] = {}
            for src, dst in re.findall(r"<([0-9a-fA-F]+)> <([0-9a-fA-F]+)>", cmap):
                table[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
            for lo, hi, dst in re.findall(
                r"<([0-9a-fA-F]+)> <([0-9a-fA-F]+)> <([0-9a-fA-F]+)>", cmap
            ):
                for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    table[code] = chr(int(dst, 16) + offset)
            fonts[tag.decode()] = table
    assert fonts, "no fonts with a ToUnicode map"
    lines: list[str] = []
    for data in objects:
        if b" Tf" not in data or b"BT" not in data:
            continue
        font: dict[int, str] = {}
        for token in re.finditer(
            rb"/([A-Z]{6}) [\d.]+ Tf|\[(.*?)\] TJ|<([0-9a-f]+)> Tj|ET", data, re.S
        ):
            if token.group(1):
                font = fonts.get(token.group(1).decode(), {})
            elif token.group(0) == b"ET":
                lines.append("\n")
            else:
                hexes = re.findall(
                    rb"<([0-9a-f]+)>", token.group(2) or b"<" + token.group(3) + b">"
                )
                for chunk in hexes:
                    codes = [int(chunk[i : i + 4], 16) for i in range(0, len(chunk), 4)]
                    lines.append("".join(font.get(code, "?") for code in codes))
    return "".join(lines)


def test_pdf_is_tagged_titled_redacted_and_audited(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember], hand_counted: None
) -> None:
    member = signed_in("strategy")
    braunstone = _area_id(app, "Braunstone")
    response = client.get("/dashboard/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert re.fullmatch(
        r'attachment; filename="what-the-community-told-us-\d{4}-\d\d-\d\d\.pdf"',
        response.headers["Content-Disposition"],
    )
    assert response.headers["Cache-Control"] == "no-store"
    pdf = response.data
    assert pdf.startswith(b"%PDF-")
    everything = b"\n".join(_pdf_objects(pdf))
    assert re.search(rb"/MarkInfo\s*<<\s*/Marked true\s*>>", everything)
    assert b"/StructTreeRoot" in everything
    assert b"/Lang (en-GB)" in everything
    assert b"What the community told us - Leicester City Council" in everything
    assert b"pdfuaid:part" in everything

    text = _pdf_text(pdf)
    flat = " ".join(text.split())
    assert "What the community told us" in flat
    assert "[name] said he is scared so he carries" in flat
    assert "[phone]" in flat and "[email]" in flat
    assert "raised in 67% of the responses to this question (4 of 6)" in flat
    for secret in (NAME, PHONE, EMAIL, "900123", "sam.jones"):
        assert secret not in flat
        assert secret.encode() not in everything

    filtered = client.get(f"/dashboard/report.pdf?area={braunstone}")
    assert filtered.status_code == 200
    assert "Area: Braunstone" in " ".join(_pdf_text(filtered.data).split())

    with app.app_context():
        events = list(
            db.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action == "report_downloaded")
                .order_by(AuditEvent.id)
            )
        )
        assert [e.actor_id for e in events] == [member.id, member.id]
        assert events[0].details["filters"] == {}
        assert events[1].details["filters"] == {"area_id": str(braunstone)}
        assert events[1].details["format"] == "pdf"
        db.session.remove()


def test_pdf_renderer_fetches_only_the_apps_own_files() -> None:
    base = "http://localhost/"
    fetcher = pdf_url_fetcher(base)
    stylesheet = fetcher.fetch(base + PDF_STYLESHEET_PATH.lstrip("/"))
    assert b"@page" in stylesheet.read()
    stylesheet.close()
    for url in (
        "http://example.com/tracker.png",
        "https://localhost/dashboard/report",
        "http://localhost/assets/app.css",
        "file:///etc/passwd",
        "file:///usr/share/fonts/../../../etc/passwd",
        "data:text/plain,hello",
    ):
        with pytest.raises(ValueError, match="not one of the app's own files"):
            fetcher.fetch(url)


def test_excerpt_shortens_around_the_evidence_and_never_splits_personal_data() -> None:
    text = (
        "It started years ago. " * 10
        + "Call 07700 900123 because we are scared to walk home "
        + "and it goes on. " * 20
    )
    start = text.index("scared")
    html = str(excerpt(text, [(start, start + 6)]))
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>scared</mark>" in html
    assert "[phone]" in html
    assert "900123" not in html and "07700" not in html
    assert len(html) < 320


def test_overview_links_to_the_report_with_its_filters(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("strategy")
    soup = _get(client, "/dashboard/?source=session&date_from=2026-03-01")
    link = soup.select_one("#report-link")
    assert link is not None
    assert link["href"].startswith("/dashboard/report?")
    assert "source=session" in link["href"] and "date_from=2026-03-01" in link["href"]
    report = _get(client, link["href"])
    assert "Source: Community session" in _text(report, "#report-filters")


def test_report_is_for_strategy_and_admin_only(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    assert client.get("/dashboard/report").status_code == 302
    assert client.get("/dashboard/report.pdf").status_code == 302
    signed_in("lead")
    assert client.get("/dashboard/report").status_code == 403
    assert client.get("/dashboard/report.pdf").status_code == 403
