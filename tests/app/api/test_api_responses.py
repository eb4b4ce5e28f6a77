"""GET /responses and /responses/{id}: codes, redaction, pagination, filters, 404s."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.dashboard.summaries import Filters, filtered_responses
from app.exports import response_rows
from app.extensions import db
from app.models import ConversationSession, Response, ResponseCode, SafeguardingFlag, utcnow
from tests.app.api.conftest import api_get

RESPONSE_KEYS = {
    "id",
    "source",
    "area",
    "question",
    "audience",
    "held_on",
    "created_at",
    "reviewed",
    "text",
    "codes",
}


def _page(client: FlaskClient, url: str, token: str) -> dict[str, Any]:
    response = api_get(client, url, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def test_every_response_with_its_codes(
    client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    body = _page(client, "/api/v1/responses", strategy_token)
    assert body["total"] == 8
    assert body["next"] is None and body["next_after"] is None
    assert [r["id"] for r in body["responses"]] == sorted(hand_counted.values())
    by_id = {r["id"]: r for r in body["responses"]}
    for item in body["responses"]:
        assert set(item) == RESPONSE_KEYS
    clubs = by_id[hand_counted["Clubs and mentors"]]
    assert clubs["source"] == "session"
    assert clubs["area"]["name"] == "Braunstone"
    assert clubs["question"] == "help"
    assert clubs["audience"] == "young_people"
    assert clubs["held_on"] == "2026-04-02"
    assert {c["theme_id"] for c in clubs["codes"]} == {"lack_of_provision", "role_models"}
    code = clubs["codes"][0]
    assert set(code) == {"theme_id", "theme_label", "score", "source", "evidence"}
    assert code["score"] == 0.9 and code["source"] == "auto"
    survey = by_id[hand_counted["No idea"]]
    assert survey["source"] == "survey" and survey["codes"] == []
    assert survey["audience"] is None and survey["held_on"] is None


def test_text_and_evidence_are_redacted_like_the_exports(
    app: Flask, client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    body = _page(client, "/api/v1/responses", strategy_token)
    raw = body and api_get(client, "/api/v1/responses", strategy_token).get_data(as_text=True)
    assert "Jamal" not in raw and "07700" not in raw and "900123" not in raw
    with app.app_context():
        exported = {int(row[0]): row[4] for row in response_rows(redact=True)}
        db.session.remove()
    for item in body["responses"]:
        assert item["text"] == exported[item["id"]]
    by_id = {r["id"]: r for r in body["responses"]}
    jamal = by_id[hand_counted["Jamal said he is scared so he carries"]]
    assert jamal["text"] == "[name] said he is scared so he carries"
    span = jamal["codes"][0]["evidence"][0]
    # The offsets moved with the redaction and still point at the word.
    assert span == {"start": 18, "end": 24, "text": "scared"}
    assert jamal["text"][span["start"] : span["end"]] == "scared"
    club = by_id[hand_counted["Open the youth club, ring 07700 900123"]]
    assert club["text"] == "Open the youth club, ring [phone]"
    phone_span = club["codes"][0]["evidence"][0]
    # Evidence that covered the number now covers the placeholder, not the digits.
    assert phone_span["text"] == "ring [phone]"
    assert club["text"][phone_span["start"] : phone_span["end"]] == "ring [phone]"


def test_safeguarding_flags_and_session_details_are_not_exposed(
    app: Flask, client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    flagged = hand_counted["Jamal said he is scared so he carries"]
    with app.app_context():
        # Saving the session flagged it already (it speaks of carrying); make sure.
        if db.session.scalar(sa.select(SafeguardingFlag).filter_by(response_id=flagged)) is None:
            db.session.add(
                SafeguardingFlag(
                    response_id=flagged,
                    categories=["carrying"],
                    evidence=[],
                    score=0.9,
                    detector_version="test",
                )
            )
        db.session.commit()
        db.session.remove()
    for url in ("/api/v1/responses", f"/api/v1/responses/{flagged}"):
        raw = api_get(client, url, strategy_token).get_data(as_text=True).lower()
        for word in ("safeguard", "flag", "facilitator", "community centre", "cv-test"):
            assert word not in raw, (url, word)


def test_pages_follow_on_without_gaps_or_repeats(
    client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    seen: list[int] = []
    url: str | None = "/api/v1/responses?limit=3"
    pages = 0
    while url:
        body = _page(client, url, strategy_token)
        assert body["total"] == 8 and body["limit"] == 3
        assert len(body["responses"]) <= 3
        seen.extend(r["id"] for r in body["responses"])
        url = body["next"]
        pages += 1
    assert pages == 3
    assert seen == sorted(hand_counted.values())
    exact = _page(client, "/api/v1/responses?limit=8", strategy_token)
    assert exact["next"] is None and len(exact["responses"]) == 8
    after = _page(client, f"/api/v1/responses?after={seen[5]}", strategy_token)
    assert [r["id"] for r in after["responses"]] == seen[6:]


def test_the_next_link_keeps_the_filters(
    client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    first = _page(client, "/api/v1/responses?source=session&limit=2", strategy_token)
    assert first["total"] == 5
    assert "source=session" in first["next"]
    second = _page(client, first["next"], strategy_token)
    assert all(r["source"] == "session" for r in second["responses"])


@pytest.mark.parametrize(
    ("query", "texts"),
    [
        ("theme=fear", 4),
        ("theme=fear&source=survey", 2),
        ("theme=lack_of_provision&area={Braunstone}", 1),
        ("source=survey&age_band=18-24", 3),
        ("age_band=65-plus", 0),
        ("question=why&audience=residents", 2),
        ("date_from=2026-05-01", 3),
    ],
)
def test_filters_and_theme_narrow_the_list(
    client: FlaskClient,
    hand_counted: dict[str, int],
    strategy_token: str,
    area_ids: dict[str, int],
    query: str,
    texts: int,
) -> None:
    body = _page(client, f"/api/v1/responses?{query.format(**area_ids)}", strategy_token)
    assert body["total"] == texts == len(body["responses"])


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("after=-1", "after"),
        ("after=99999999999", "after"),
        ("theme=nope", "theme"),
        ("theme=fear&theme=fear", "theme"),
        ("area=2147483000", "area"),
        ("page=2", "page"),
    ],
)
def test_bad_page_parameters_are_400(
    client: FlaskClient, strategy_token: str, query: str, parameter: str
) -> None:
    response = api_get(client, f"/api/v1/responses?{query}", strategy_token)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["parameter"] == parameter


def test_the_page_size_is_capped(
    app: Flask, client: FlaskClient, make_session: Any, strategy_token: str
) -> None:
    make_session(points={"why": [f"Point number {n}" for n in range(205)]})
    body = _page(client, "/api/v1/responses?limit=200", strategy_token)
    assert len(body["responses"]) == 200 and body["total"] == 205
    assert len(_page(client, "/api/v1/responses", strategy_token)["responses"]) == 50


def test_one_response(
    client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    listed = _page(client, "/api/v1/responses", strategy_token)["responses"]
    for item in listed:
        assert _page(client, f"/api/v1/responses/{item['id']}", strategy_token) == item


def test_only_applied_codes_are_listed_and_reviews_show(
    app: Flask, client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    response_id = hand_counted["Clubs and mentors"]
    with app.app_context():
        for code in db.session.scalars(
            sa.select(ResponseCode).where(ResponseCode.response_id == response_id)
        ):
            code.source = "human"
            code.applied = code.theme_id != "role_models"
        db.session.commit()
        db.session.remove()
    item = _page(client, f"/api/v1/responses/{response_id}", strategy_token)
    assert [c["theme_id"] for c in item["codes"]] == ["lack_of_provision"]
    assert item["codes"][0]["source"] == "human"
    assert item["reviewed"] is True


@pytest.mark.parametrize("path", ["999999", "99999999999999999999", "0", "-1", "abc"])
def test_unknown_response_is_404(
    client: FlaskClient, hand_counted: dict[str, int], strategy_token: str, path: str
) -> None:
    response = api_get(client, f"/api/v1/responses/{path}", strategy_token)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_deleted_sessions_points_are_gone(
    app: Flask, client: FlaskClient, hand_counted: dict[str, int], strategy_token: str
) -> None:
    response_id = hand_counted["His mates pushed him into it"]
    with app.app_context():
        response = db.session.get(Response, response_id)
        assert response is not None
        session = db.session.get(ConversationSession, response.session_id)
        assert session is not None
        session.deleted_at = utcnow()
        db.session.commit()
        remaining = len(list(db.session.scalars(filtered_responses(Filters()))))
        db.session.remove()
    assert api_get(client, f"/api/v1/responses/{response_id}", strategy_token).status_code == 404
    body = _page(client, "/api/v1/responses", strategy_token)
    assert body["total"] == remaining == 6
    assert response_id not in {r["id"] for r in body["responses"]}
