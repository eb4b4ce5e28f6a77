"""factory_boy factories for the models, bound to Flask-SQLAlchemy's session.

Use them inside an app context (the fixtures in conftest.py do).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import factory
import sqlalchemy as sa

from app.auth.passwords import hash_password
from app.coding import code_saved
from app.extensions import db
from app.models import Area, ConversationSession, Response, User

_ARGON2_CACHE: dict[str, str] = {}


def _hash(password: str) -> str:
    # argon2 is deliberately slow: hash each test password once per run.
    if password not in _ARGON2_CACHE:
        _ARGON2_CACHE[password] = hash_password(password)
    return _ARGON2_CACHE[password]


def area_named(name: str) -> Area:
    """Return the reference area called `name`."""
    area = db.session.scalar(sa.select(Area).where(Area.name == name))
    assert area is not None, f"no area {name}"
    return area


class UserFactory(factory.alchemy.SQLAlchemyModelFactory):
    """A staff account with a known password."""

    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        exclude = ("area_names", "password")

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Sequence(lambda n: f"Person {n}")
    role = "lead"
    active = True
    password = "a long enough password 1"
    area_names: tuple[str, ...] = ("Belgrave",)
    password_hash = factory.LazyAttribute(lambda o: _hash(o.password))
    areas = factory.LazyAttribute(lambda o: [area_named(n) for n in o.area_names])


DEFAULT_POINTS = {
    "what_where": ["Groups gather by the shops after school", "Robberies near the underpass"],
    "why": ["Young people carry knives because they are scared"],
    "impact": ["Parents will not let their children walk to the park"],
    "help": ["More youth clubs open in the evening", "Mentors with lived experience"],
}


class SessionFactory(factory.alchemy.SQLAlchemyModelFactory):
    """A conversation session with a few points under each question.

    Pass `points={"why": ["..."], ...}` to choose the points.
    """

    class Meta:
        model = ConversationSession
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        exclude = ("area_name",)

    area_name = "Belgrave"
    area = factory.LazyAttribute(lambda o: area_named(o.area_name))
    held_on = date(2026, 3, 14)
    venue = "Community centre"
    audience = "residents"
    participants = 12
    facilitator = "A. Facilitator"

    @factory.post_generation
    def points(obj: ConversationSession, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        """Add the points as responses, each under its question."""
        del create, kwargs
        for question_id, texts in (extracted or DEFAULT_POINTS).items():
            for position, text in enumerate(texts):
                obj.responses.append(
                    Response(
                        source="session",
                        question_id=question_id,
                        area=obj.area,
                        position=position,
                        text=text,
                    )
                )
        # As the app does on every save: code the points and flag any risk.
        db.session.flush()
        code_saved(obj.responses)


def add_survey_answers(
    area_name: str, texts: list[str], reference_prefix: str, sent_at: Any = None
) -> None:
    """Add one survey submission (aged 18-24) per text, each with a "why" answer, unflushed."""
    from app.models import SurveySubmission
    from app.survey.services import survey_row

    survey_row("have-your-say")
    area = area_named(area_name)
    dated = {"created_at": sent_at} if sent_at is not None else {}
    for number, text in enumerate(texts):
        submission = SurveySubmission(
            survey_id="have-your-say",
            reference=f"{reference_prefix}{number}",
            area=area,
            age_band="18-24",
            answers={},
            **dated,
        )
        submission.responses.append(
            Response(source="survey", question_id="why", area=area, text=text, **dated)
        )
        db.session.add(submission)


def scared_evidence(text: str) -> list[dict[str, Any]]:
    """Evidence spans for the word "scared" in `text`, if it is there."""
    start = text.lower().find("scared")
    return [{"start": start, "end": start + 6, "text": "scared"}] if start >= 0 else []


def replace_codes(
    codes: dict[str, list[tuple[str, float, bool]]],
    evidence: Any = scared_evidence,
) -> dict[str, int]:
    """Replace every stored code with `codes` (text -> (theme, score, by a person)).

    Returns response ids by text. `evidence(text)` gives each code's spans.
    """
    from app.models import ResponseCode

    db.session.flush()
    db.session.execute(sa.delete(ResponseCode))
    ids = {}
    for response in db.session.scalars(sa.select(Response)):
        ids[response.text] = response.id
        for theme, score, human in codes[response.text]:
            db.session.add(
                ResponseCode(
                    response=response,
                    theme_id=theme,
                    score=score,
                    evidence=evidence(response.text),
                    source="human" if human else "auto",
                )
            )
    return ids
