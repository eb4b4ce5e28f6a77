"""GET /summary and /themes: the hand-counted numbers, filters, suppression, bad values."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.dashboard.summaries import Filters, responses_by_month
from app.extensions import db
from app.models import ResponseCode, Theme, utcnow
from tests.app.api.conftest import api_get

SUPPRESSED = {"count": None, "share": None, "suppressed": True}


def _get(client: FlaskClient, url: str, token: str) -> dict[str, Any]:
    response = api_get(client, url, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def _shown(count: int, share: float | None) -> dict[str, Any]:
    return {"count": count, "share": share, "suppressed": False}


def _by_id(items: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {item["id"]: item for item in items}


def test_summary_matches_hand_counts(
    client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    body = _get(client, "/api/v1/summary", strategy_token)
    assert body["totals"] == {
        "responses": 8,
        "sessions": 2,
        "participants": 30,
        "respondents": SUPPRESSED,  # 3 respondents, under the threshold of 5
    }
    themes = _by_id(body["themes"])
    assert themes["fear"]["responses"] == _shown(4, 0.5)
    assert themes["fear"]["sessions"] == _shown(1, 0.5)
    assert themes["fear"]["respondents"] == SUPPRESSED
    assert themes["lack_of_provision"]["responses"] == _shown(2, 0.25)
    assert themes["lack_of_provision"]["sessions"] == _shown(2, 1.0)
    assert themes["peer_pressure"]["responses"] == _shown(1, 0.125)
    assert body["themes"][0]["id"] == "fear"  # most mentioned first
    concepts = _by_id(body["concepts"])
    assert concepts["support_opportunities"]["responses"] == _shown(3, 0.375)
    assert concepts["prevention_safety"]["responses"] == _shown(4, 0.5)
    assert concepts["partnership"]["responses"] == _shown(0, 0.0)
    areas = {area["name"]: area for area in body["areas"]}
    belgrave = {c["theme_id"]: c["responses"] for c in areas["Belgrave"]["themes"]}
    braunstone = {c["theme_id"]: c["responses"] for c in areas["Braunstone"]["themes"]}
    assert belgrave["fear"] == _shown(4, 0.6667)  # 4 of Belgrave's 6
    assert braunstone["fear"] == _shown(0, 0.0)
    assert braunstone["peer_pressure"] == _shown(1, 0.5)
    questions = _by_id(body["questions"])
    why = {c["theme_id"]: c["responses"] for c in questions["why"]["themes"]}
    assert why["fear"] == _shown(4, 0.6667)  # 4 of the 6 answers to "why"
    assert body["small_number_threshold"] == 5
    assert body["filters"]["area"] is None


def test_months_are_the_dashboards(
    app: Flask, client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    body = _get(client, "/api/v1/summary", strategy_token)
    with app.app_context():
        expected = responses_by_month(Filters())
        db.session.remove()
    assert [(m["month"], m["responses"]["count"]) for m in body["months"]] == expected
    assert sum(m["responses"]["count"] for m in body["months"]) == 8


@pytest.mark.parametrize(
    ("query", "responses", "sessions"),
    [
        ("area={Braunstone}", 2, 1),
        ("question=help", 2, 2),
        ("audience=young_people", 2, 1),
        ("source=session", 5, 2),
        ("date_from=2026-04-01", 5, 1),
        ("date_to=2026-03-31", 3, 1),
        ("date_from=2026-03-14&date_to=2026-03-14", 3, 1),
        ("reviewed_only=true", 0, 0),
        ("reviewed_only=false", 8, 2),
    ],
)
def test_filters_narrow_the_totals(
    client: FlaskClient,
    hand_counted: dict[str, int],
    strategy_token: str,
    area_ids: dict[str, int],
    query: str,
    responses: int,
    sessions: int,
) -> None:
    query = query.format(**area_ids)
    body = _get(client, f"/api/v1/summary?{query}", strategy_token)
    assert body["totals"]["responses"] == responses
    assert body["totals"]["sessions"] == sessions
    name, _, value = query.split("&")[0].partition("=")
    applied = body["filters"][name]
    assert str(applied).lower() == value or applied == int(value)


def test_reviewed_only_counts_what_a_person_confirmed(
    app: Flask, client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    with app.app_context():
        code = db.session.scalar(
            sa.select(ResponseCode).where(
                ResponseCode.response_id == hand_counted["His mates pushed him into it"]
            )
        )
        assert code is not None
        code.source = "human"
        db.session.commit()
        db.session.remove()
    body = _get(client, "/api/v1/summary?reviewed_only=true", strategy_token)
    assert body["totals"]["responses"] == 1
    assert _by_id(body["themes"])["peer_pressure"]["responses"] == _shown(1, 1.0)


def test_survey_only_figures_are_suppressed_and_never_sent(
    client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    response = api_get(client, "/api/v1/summary?source=survey&age_band=18-24", strategy_token)
    body = response.get_json()
    assert body["totals"]["responses"] == 3
    themes = _by_id(body["themes"])
    # Two survey answers mention fear: under 5, so neither the count nor the share is sent.
    assert themes["fear"]["responses"] == SUPPRESSED
    assert themes["fear"]["respondents"] == SUPPRESSED
    assert _by_id(body["concepts"])["prevention_safety"]["responses"] == SUPPRESSED
    areas = {area["name"]: area for area in body["areas"]}
    cells = {c["theme_id"]: c["responses"] for c in areas["Belgrave"]["themes"]}
    assert cells["fear"] == SUPPRESSED
    assert all(m["responses"] == SUPPRESSED for m in body["months"])
    themes_page = _get(client, "/api/v1/themes?source=survey", strategy_token)
    fear = next(t for t in themes_page["themes"] if t["id"] == "fear")
    assert fear["counts"]["responses"] == SUPPRESSED
    detail = _get(client, "/api/v1/themes/fear?source=survey", strategy_token)
    assert {a["name"]: a["responses"] for a in detail["areas"]}["Belgrave"] == SUPPRESSED


def test_a_lower_threshold_shows_the_numbers(
    app: Flask,
    client: FlaskClient,
    hand_counted: dict[str, int],
    strategy_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "SMALL_NUMBER_THRESHOLD", 2)
    body = _get(client, "/api/v1/summary?source=survey", strategy_token)
    assert body["small_number_threshold"] == 2
    assert body["totals"]["respondents"] == _shown(3, 1.0)
    assert _by_id(body["themes"])["fear"]["respondents"] == _shown(2, 0.6667)


def test_themes_list_definitions_concepts_and_counts(
    app: Flask, client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    body = _get(client, "/api/v1/themes", strategy_token)
    with app.app_context():
        active = list(
            db.session.scalars(
                sa.select(Theme.id).where(Theme.retired_at.is_(None)).order_by(Theme.position)
            )
        )
        definition = db.session.get(Theme, "fear").definition  # type: ignore[union-attr]
        db.session.remove()
    assert [t["id"] for t in body["themes"]] == active
    fear = next(t for t in body["themes"] if t["id"] == "fear")
    assert fear["definition"] == definition
    assert "prevention_safety" in {c["id"] for c in fear["concepts"]}
    assert fear["counts"]["responses"] == _shown(4, 0.5)
    assert fear["counts"]["sessions"] == _shown(1, 0.5)


def test_one_theme_by_area_and_question(
    client: FlaskClient,
    hand_counted: dict[str, int],
    strategy_token: str,
    area_ids: dict[str, int],
) -> None:
    body = _get(client, "/api/v1/themes/lack_of_provision", strategy_token)
    assert body["id"] == "lack_of_provision"
    assert body["counts"]["responses"] == _shown(2, 0.25)
    areas = {a["name"]: a["responses"] for a in body["areas"]}
    assert areas["Belgrave"] == _shown(1, 0.1667)
    assert areas["Braunstone"] == _shown(1, 0.5)
    assert areas["Highfields"] == _shown(0, None)  # no responses there at all
    questions = {q["id"]: q["responses"] for q in body["questions"]}
    assert questions["help"] == _shown(2, 1.0)
    braunstone = area_ids["Braunstone"]
    narrowed = _get(client, f"/api/v1/themes/lack_of_provision?area={braunstone}", strategy_token)
    assert narrowed["counts"]["responses"] == _shown(1, 0.5)


def test_unknown_or_retired_theme_is_404(
    app: Flask, client: FlaskClient, strategy_token: str
) -> None:
    response = api_get(client, "/api/v1/themes/no_such_theme", strategy_token)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "not_found"
    with app.app_context():
        theme = db.session.get(Theme, "peer_pressure")
        assert theme is not None
        theme.retired_at = utcnow()
        db.session.commit()
        db.session.remove()
    assert api_get(client, "/api/v1/themes/peer_pressure", strategy_token).status_code == 404


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("area=abc", "area"),
        ("area=2147483000", "area"),
        ("area=-1", "area"),
        ("area=", "area"),
        ("question=nope", "question"),
        ("source=email", "source"),
        ("audience=everyone", "audience"),
        ("age_band=ancient", "age_band"),
        ("date_from=2026-02-30", "date_from"),
        ("date_from=14/03/2026", "date_from"),
        ("date_to=9999-12-31", "date_to"),
        ("date_from=2026-05-01&date_to=2026-04-01", "date_to"),
        ("reviewed_only=maybe", "reviewed_only"),
        ("are=1", "are"),
        ("area=1&area=2", "area"),
        ("limit=10", "limit"),
    ],
)
def test_bad_filters_are_400_problems(
    client: FlaskClient, strategy_token: str, query: str, parameter: str
) -> None:
    for path in ("/api/v1/summary", "/api/v1/themes", "/api/v1/themes/fear"):
        response = api_get(client, f"{path}?{query}", strategy_token)
        assert response.status_code == 400, (path, query)
        assert response.mimetype == "application/problem+json"
        body = response.get_json()
        assert body["code"] == "invalid_parameter"
        assert body["errors"][0]["parameter"] == parameter
        assert parameter in body["detail"]
