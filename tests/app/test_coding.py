"""Responses are coded as they are saved; re-coding never overrides a person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

import analysis
from analysis.redaction import redact_text, redaction_key
from app.coding import (
    ResponseText,
    code_in_advance,
    code_responses,
    current_coder,
    insert_coded_responses,
    recode,
)
from app.extensions import db
from app.models import Response, ResponseCode, SafeguardingFlag, Theme, User, utcnow
from tests.conftest import StaffMember, csrf_token

SCARED = "Young people carry knives for protection because they are scared"


def _codes(app: Flask, text: str) -> dict[str, ResponseCode]:
    with app.app_context():
        response = db.session.scalar(sa.select(Response).where(Response.text == text))
        assert response is not None
        codes = {code.theme_id: code for code in response.codes}
        for code in codes.values():
            db.session.expunge(code)
        db.session.remove()
    return codes


def test_a_saved_session_is_coded_with_evidence(
    app: Flask, make_session: Callable[..., int]
) -> None:
    make_session(points={"why": [SCARED], "help": ["More youth clubs and sport in the evenings"]})
    codes = _codes(app, SCARED)
    assert {"fear", "protection"} <= set(codes)
    fear = codes["fear"]
    assert fear.source == "auto" and fear.applied
    assert 0 < fear.score <= 1
    assert fear.coder_version == analysis.coder_version()
    assert fear.evidence and all(
        SCARED[span["start"] : span["end"]] == span["text"] for span in fear.evidence
    )
    assert "lack_of_provision" in _codes(app, "More youth clubs and sport in the evenings")
    with app.app_context():
        versions = set(db.session.scalars(sa.select(Response.coder_version)))
        db.session.remove()
    assert versions == {analysis.coder_version()}


def test_codes_through_the_record_form_and_edit(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead", ("Belgrave",))
    page = client.get("/sessions/new").get_data(as_text=True)
    import re

    area = re.search(r'<option value="(\d+)">Belgrave</option>', page)
    assert area is not None
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="submission_key"[^>]*value="([^"]+)"', page
    )
    form = {
        "csrf_token": csrf_token(page),
        "submission_key": key.group(1) if key else "",
        "area": area.group(1),
        "held_on": ["3", "3", "2026"],
        "venue": "Hall",
        "audience": "residents",
        "participants": "10",
        "facilitator": "F",
        "notes_why": f"{SCARED}\nThe drill videos on social media glamorise it",
    }
    response = client.post("/sessions/new", data=form)
    session_id = int(response.headers["Location"].rsplit("/", 1)[1])
    before = _codes(app, SCARED)
    assert "media_influence" in _codes(app, "The drill videos on social media glamorise it")
    edit_page = client.get(f"/sessions/{session_id}/edit").get_data(as_text=True)
    form.update(
        csrf_token=csrf_token(edit_page),
        notes_why=f"{SCARED}\nThe drill videos on social media glamorise knives",
    )
    assert client.post(f"/sessions/{session_id}/edit", data=form).status_code == 302
    after = _codes(app, SCARED)
    assert {t: c.id for t, c in after.items()} == {t: c.id for t, c in before.items()}
    assert "media_influence" in _codes(app, "The drill videos on social media glamorise knives")


def test_recoding_keeps_decisions_made_by_a_person(
    app: Flask, make_session: Callable[..., int], make_user: Callable[..., StaffMember]
) -> None:
    make_session(points={"why": [SCARED]})
    reviewer = make_user(role="strategy")
    with app.app_context():
        response = db.session.scalar(sa.select(Response).where(Response.text == SCARED))
        assert response is not None
        fear = next(code for code in response.codes if code.theme_id == "fear")
        db.session.delete(fear)
        db.session.flush()
        db.session.add_all(
            [
                ResponseCode(
                    response=response,
                    theme_id="fear",
                    applied=False,
                    source="human",
                    decided_by=db.session.get(User, reviewer.id),
                ),
                ResponseCode(
                    response=response,
                    theme_id="peer_pressure",
                    applied=True,
                    source="human",
                    decided_by=db.session.get(User, reviewer.id),
                ),
            ]
        )
        response.coder_version = "an-older-coder"
        db.session.commit()
        summary = recode()
        assert summary.responses == 1
        db.session.remove()
    codes = _codes(app, SCARED)
    assert codes["fear"].source == "human" and codes["fear"].applied is False
    assert codes["peer_pressure"].source == "human" and codes["peer_pressure"].applied
    assert codes["protection"].source == "auto"
    with app.app_context():
        assert recode().responses == 0
        assert recode(everything=True).responses == 1
        db.session.remove()
    assert _codes(app, SCARED)["fear"].applied is False


def test_new_responses_are_inserted_coded_redacted_and_flagged(app: Flask) -> None:
    risky = "My little brother has a knife in his school bag right now"
    named = "Ring Sarah Jones on 07700 900123, she is scared to walk home from the park"
    with app.app_context():
        # A retired theme's codes are not stored, even by a coder that still knows it.
        db.session.get(Theme, "protection").retired_at = utcnow()
        db.session.commit()
        ids = insert_coded_responses(
            [
                {"source": "survey", "question_id": "why", "text": SCARED, "position": 0},
                {"source": "survey", "question_id": "what_where", "text": risky, "position": 1},
                {"source": "survey", "question_id": "impact", "text": named, "position": 2},
            ]
        )
        db.session.commit()
        rows = [db.session.get(Response, response_id) for response_id in ids]
        assert [r.text for r in rows if r is not None] == [SCARED, risky, named]
        scared, weapon, personal = (r for r in rows if r is not None)
        version = current_coder().version
        assert {r.coder_version for r in rows if r is not None} == {version}
        assert all(r is not None and r.coded_at is not None for r in rows)
        themes = {code.theme_id: code for code in scared.codes}
        assert "fear" in themes and "protection" not in themes
        assert all(
            SCARED[span["start"] : span["end"]] == span["text"] for span in themes["fear"].evidence
        )
        assert weapon.safeguarding_flag is not None
        assert "weapon_now" in weapon.safeguarding_flag.categories
        assert scared.safeguarding_flag is None
        assert personal.redacted_text == redact_text(named)
        assert "07700" not in (personal.redacted_text or "")
        assert personal.redaction_key == redaction_key(named)
        assert insert_coded_responses([]) == []
        db.session.remove()


def test_codes_worked_out_in_advance_are_used_only_for_the_same_texts(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import coding

    risky = "My little brother has a knife in his school bag right now"
    with app.app_context():
        in_advance = code_in_advance([ResponseText(0, SCARED, "why")])
        coded_now: list[str] = []
        compute = coding.compute_codes

        def counting(items: Any, coder: Any) -> Any:
            coded_now.extend(item.text for item in items)
            return compute(items, coder)

        monkeypatch.setattr(coding, "compute_codes", counting)
        row = {"source": "survey", "question_id": "why", "position": 0}
        [same] = insert_coded_responses([{**row, "text": SCARED}], in_advance=in_advance)
        assert coded_now == []
        # The answer changed after it was coded: it is coded again, as it now reads.
        [changed] = insert_coded_responses([{**row, "text": risky}], in_advance=in_advance)
        assert coded_now == [risky]
        db.session.commit()
        first, second = db.session.get(Response, same), db.session.get(Response, changed)
        assert first is not None and "fear" in {code.theme_id for code in first.codes}
        assert second is not None and second.safeguarding_flag is not None
        db.session.remove()


def test_a_codebook_version_saved_after_coding_in_advance_is_used(app: Flask) -> None:
    from app.codebook.versions import latest_version, new_version

    with app.test_request_context():
        in_advance = code_in_advance([ResponseText(0, SCARED, "why")])
        latest = latest_version()
        assert latest is not None
        # Another worker saves a new codebook version before the submission is stored.
        content = {**latest.content, "version": latest.version + 1}
        new_version(content, summary="A newer version")
        db.session.commit()
        [response_id] = insert_coded_responses(
            [{"source": "survey", "question_id": "why", "text": SCARED, "position": 0}],
            in_advance=in_advance,
        )
        db.session.commit()
        response = db.session.get(Response, response_id)
        assert response is not None
        assert response.coder_version == current_coder().version != in_advance.coder_version
        db.session.remove()


def test_safeguarding_flags_are_stored(app: Flask, make_session: Callable[..., int]) -> None:
    risky = "My little brother has a knife in his school bag right now"
    make_session(points={"what_where": [risky, "We need more youth clubs"]})
    with app.app_context():
        flags = list(db.session.scalars(sa.select(SafeguardingFlag)))
        assert len(flags) == 1
        assert flags[0].response.text == risky
        assert "weapon_now" in flags[0].categories
        assert flags[0].evidence and flags[0].actioned_at is None
        db.session.remove()


def test_actioned_flags_survive_recoding(app: Flask, make_session: Callable[..., int]) -> None:
    risky = "I'm going to stab him tomorrow after school"
    make_session(points={"why": [risky]})
    with app.app_context():
        flag = db.session.scalar(sa.select(SafeguardingFlag))
        assert flag is not None
        from app.models import utcnow

        flag.actioned_at = utcnow()
        flag.action_note = "Referred to the safeguarding team"
        db.session.commit()
        response_id = flag.response_id
        code_responses([ResponseText(response_id, risky, "why")])
        db.session.commit()
        flags = list(db.session.scalars(sa.select(SafeguardingFlag)))
        assert len(flags) == 1 and flags[0].action_note == "Referred to the safeguarding team"
        db.session.remove()


def test_recode_command_shows_progress(app: Flask, make_session: Callable[..., int]) -> None:
    make_session()
    with app.app_context():
        db.session.execute(sa.update(Response).values(coder_version=None))
        db.session.commit()
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["analysis", "recode"])
    assert result.exit_code == 0, result.output
    assert "6 response(s) to code." in result.output
    assert "Coded 6 responses:" in result.output
    again = app.test_cli_runner().invoke(args=["analysis", "recode"])
    assert "0 response(s) to code." in again.output
