"""Fixtures for the API tests: a hand-counted data set and tokens for each role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.api import services
from app.extensions import db
from app.models import ApiToken, Area, User, token_digest
from tests.conftest import StaffMember
from tests.factories import add_survey_answers, replace_codes, scared_evidence

# Hand-counted: 2 sessions (Belgrave 10 people in March, Braunstone 20 in
# April) with 5 points, and 3 Belgrave survey respondents aged 18-24 with one
# answer each (in May): 8 responses. Theme ids as coded below.
SESSION_POINTS: dict[str, dict[str, list[tuple[str, list[str]]]]] = {
    "Belgrave": {
        "why": [
            ("Jamal said he is scared so he carries", ["fear", "protection"]),
            ("Everyone is frightened", ["fear"]),
        ],
        "help": [("Open the youth club, ring 07700 900123", ["lack_of_provision"])],
    },
    "Braunstone": {
        "why": [("His mates pushed him into it", ["peer_pressure"])],
        "help": [("Clubs and mentors", ["lack_of_provision", "role_models"])],
    },
}
SESSION_DAYS = {"Belgrave": date(2026, 3, 14), "Braunstone": date(2026, 4, 2)}
SURVEY_ANSWERS = [("I am scared", ["fear"]), ("Scared at night", ["fear"]), ("No idea", [])]
SURVEY_DAY = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)


def _evidence(text: str) -> list[dict[str, Any]]:
    """The word "scared", and "ring 07700 ..." to the end (evidence covering personal data)."""
    spans = scared_evidence(text)
    start = text.find("ring 07700")
    if start >= 0:
        spans.append({"start": start, "end": len(text), "text": "x"})
    return spans


@pytest.fixture
def hand_counted(app: Flask, make_session: Callable[..., int]) -> dict[str, int]:
    """Build the data set with exactly the codes listed above; return response ids by text.

    Evidence is the word "scared" (or "ring 07700 900123" for the phone
    number, to check evidence that covers personal data).
    """
    audiences = {"Belgrave": "residents", "Braunstone": "young_people"}
    participants = {"Belgrave": 10, "Braunstone": 20}
    codes: dict[str, list[str]] = {}
    for area, points in SESSION_POINTS.items():
        make_session(
            area=area,
            audience=audiences[area],
            participants=participants[area],
            held_on=SESSION_DAYS[area],
            points={q: [text for text, _ in items] for q, items in points.items()},
        )
        for items in points.values():
            codes.update({text: themes for text, themes in items})
    with app.app_context():
        add_survey_answers(
            "Belgrave", [text for text, _ in SURVEY_ANSWERS], "CV-TEST-000", SURVEY_DAY
        )
        codes.update({text: themes for text, themes in SURVEY_ANSWERS})
        ids = replace_codes(
            {text: [(theme, 0.9, False) for theme in themes] for text, themes in codes.items()},
            evidence=_evidence,
        )
        db.session.commit()
        db.session.remove()
    return ids


@pytest.fixture
def make_token(app: Flask) -> Callable[..., str]:
    """Make a token for a member of staff through the service; return its secret.

    For a role that may not hold tokens (a lead, or someone since moved to
    that role) the row is written directly, as if made before the change.
    """

    def make(member: StaffMember, **fields: Any) -> str:
        with app.app_context():
            user = db.session.get(User, member.id)
            assert user is not None
            if user.role in services.API_ROLES and not fields:
                _token, secret = services.create_token(user, f"Token {member.id}", 90)
            else:
                secret = services.TOKEN_PREFIX + f"direct-{member.id}-{len(fields)}"
                db.session.add(
                    ApiToken(
                        user=user,
                        name="Direct",
                        token_hash=token_digest(secret),
                        expires_at=fields.pop("expires_at", datetime.now(UTC) + timedelta(days=1)),
                        **fields,
                    )
                )
            db.session.commit()
            db.session.remove()
        return secret

    return make


@pytest.fixture
def strategy_token(make_user: Callable[..., StaffMember], make_token: Callable[..., str]) -> str:
    """A live token of a strategy team member."""
    return make_token(make_user(role="strategy"))


@pytest.fixture
def area_ids(app: Flask) -> dict[str, int]:
    """The areas' ids by name (ids differ between runs on PostgreSQL)."""
    with app.app_context():
        ids = {area.name: area.id for area in db.session.scalars(sa.select(Area))}
        db.session.remove()
    return ids


def api_get(client: FlaskClient, url: str, token: str | None) -> TestResponse:
    """GET `url` with `token` as a bearer token (no header when None)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get(url, headers=headers)
