"""Reviewing codes: least confident first, decisions kept through re-coding, agreement."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from app.coding import recode
from app.extensions import db
from app.models import AuditEvent, Response
from tests.conftest import StaffMember, csrf_token

CONFIDENT = "Young people carry knives for protection because they are scared"
UNSURE = "It is just how things are round here now"


def _response_id(app: Flask, text: str) -> int:
    with app.app_context():
        response_id = db.session.scalar(sa.select(Response.id).where(Response.text == text))
        db.session.remove()
    assert response_id is not None
    return response_id


def _codes(app: Flask, text: str) -> dict[str, tuple[bool, str, float | None, float]]:
    with app.app_context():
        response = db.session.scalar(sa.select(Response).where(Response.text == text))
        assert response is not None
        codes = {c.theme_id: (c.applied, c.source, c.coder_score, c.score) for c in response.codes}
        db.session.remove()
    return codes


def test_review_goes_least_confident_first_and_keeps_the_decision(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session(points={"why": [CONFIDENT, UNSURE]})
    reviewer = signed_in("strategy")
    first = client.get("/dashboard/review/")
    assert first.headers["Location"].endswith(f"/dashboard/review/{_response_id(app, UNSURE)}")
    confident_id = _response_id(app, CONFIDENT)
    page = client.get(f"/dashboard/review/{confident_id}")
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    ticked = {box["value"] for box in soup.select("input[name=themes][checked]")}
    assert {"fear", "protection"} <= ticked
    assert soup.select("#review-text mark")
    before = _codes(app, CONFIDENT)
    decision = (ticked - {"fear"}) | {"peer_pressure"}
    saved = client.post(
        f"/dashboard/review/{confident_id}",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "themes": sorted(decision)},
    )
    assert saved.status_code == 302
    after = _codes(app, CONFIDENT)
    assert before["fear"][:2] == (True, "auto")
    # The person's decision keeps the score the coder had given.
    assert after["fear"][:3] == (False, "human", before["fear"][3])
    assert after["peer_pressure"][:3] == (True, "human", None)
    assert after["protection"][0:2] == (True, "human")
    with app.app_context():
        response = db.session.get(Response, confident_id)
        assert response is not None and response.reviewed_by_id == reviewer.id
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "response_reviewed")
        )
        assert event is not None
        assert event.details == {"confirmed": len(ticked) - 1, "removed": 1, "added": 1}
        db.session.execute(sa.update(Response).values(coder_version="an-older-coder"))
        db.session.commit()
        recode(everything=True)
        db.session.remove()
    assert _codes(app, CONFIDENT) == after


def test_coder_quality_counts_agreement(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session(points={"why": [CONFIDENT]})
    signed_in("admin")
    response_id = _response_id(app, CONFIDENT)
    page = client.get(f"/dashboard/review/{response_id}").get_data(as_text=True)
    coder = {t for t, code in _codes(app, CONFIDENT).items() if code[0]}
    kept = coder - {"fear"}
    client.post(
        f"/dashboard/review/{response_id}",
        data={"csrf_token": csrf_token(page), "themes": sorted(kept | {"peer_pressure"})},
    )
    soup = BeautifulSoup(
        client.get("/dashboard/coder-quality").get_data(as_text=True), "html.parser"
    )

    def cells(theme: str) -> list[str]:
        row = soup.select_one(f'#agreement tr[data-theme="{theme}"]')
        assert row is not None
        return [td.get_text(strip=True) for td in row.select("td")]

    assert cells("fear") == ["0", "1", "0", "0.00", "–", "0.00"]
    assert cells("peer_pressure") == ["0", "0", "1", "–", "0.00", "0.00"]
    assert cells("protection") == ["1", "0", "0", "1.00", "1.00", "1.00"]
    assert "1 reviewed response" in soup.get_text()


def test_review_pages_need_the_strategy_or_admin_role(
    client: FlaskClient, signed_in: Callable[..., StaffMember], make_session: Callable[..., int]
) -> None:
    make_session()
    signed_in("lead")
    assert client.get("/dashboard/review/").status_code == 403
    assert client.get("/dashboard/coder-quality").status_code == 403


def test_nothing_left_to_review(client: FlaskClient, signed_in: Callable[..., StaffMember]) -> None:
    signed_in("strategy")
    page = client.get("/dashboard/review/")
    assert "Every response has been reviewed" in page.get_data(as_text=True)
    assert client.get("/dashboard/review/999999").status_code == 404


def test_retraining_learns_from_reviews_and_changes_the_coder(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    from pathlib import Path

    make_session(points={"why": [CONFIDENT]})
    signed_in("strategy")
    model_path = Path(app.config["ANALYSIS_MODEL_PATH"])
    try:
        before = BeautifulSoup(
            client.get("/dashboard/coder-quality").get_data(as_text=True), "html.parser"
        )
        old_version = before.select_one("code")
        assert old_version is not None and not model_path.exists()
        response_id = _response_id(app, CONFIDENT)
        page = client.get(f"/dashboard/review/{response_id}").get_data(as_text=True)
        client.post(
            f"/dashboard/review/{response_id}",
            data={"csrf_token": csrf_token(page), "themes": ["fear", "peer_pressure"]},
        )
        quality = client.get("/dashboard/coder-quality").get_data(as_text=True)
        done = client.post(
            "/dashboard/coder-quality/retrain", data={"csrf_token": csrf_token(quality)}
        )
        assert done.status_code == 302
        after = BeautifulSoup(
            client.get("/dashboard/coder-quality").get_data(as_text=True), "html.parser"
        )
        assert "The coder has learned from the reviewed responses" in after.get_text()
        new_version = after.select_one("code")
        assert new_version is not None and new_version.get_text() != old_version.get_text()
        assert model_path.exists()
        result = app.test_cli_runner().invoke(args=["analysis", "retrain"])
        assert "Retrained with 1 reviewed responses" in result.output
        with app.app_context():
            actions = list(
                db.session.scalars(
                    sa.select(AuditEvent.action).where(AuditEvent.action == "coder_retrained")
                )
            )
            db.session.remove()
        assert len(actions) == 2
    finally:
        model_path.unlink(missing_ok=True)


def test_a_second_retrain_waits_for_the_first(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    from pathlib import Path

    signed_in("admin")
    model = Path(app.config["ANALYSIS_MODEL_PATH"])
    lock = model.with_name(model.name + ".retraining")
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.touch()
    try:
        page = client.get("/dashboard/coder-quality").get_data(as_text=True)
        soup = BeautifulSoup(page, "html.parser")
        status = soup.select_one("#retraining-status")
        assert status is not None and "Retraining since" in status.get_text()
        assert soup.find("button", string="Retrain the coder") is None
        pressed = client.post(
            "/dashboard/coder-quality/retrain",
            data={"csrf_token": csrf_token(page)},
            follow_redirects=True,
        )
        assert "already being retrained" in pressed.get_data(as_text=True)
        assert not model.exists()
    finally:
        lock.unlink(missing_ok=True)


def test_retraining_runs_in_the_background_and_releases_its_lock(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    import time
    from pathlib import Path

    signed_in("strategy")
    model = Path(app.config["ANALYSIS_MODEL_PATH"])
    lock = model.with_name(model.name + ".retraining")
    app.config["RETRAIN_IN_BACKGROUND"] = True
    try:
        page = client.get("/dashboard/coder-quality").get_data(as_text=True)
        started = client.post(
            "/dashboard/coder-quality/retrain",
            data={"csrf_token": csrf_token(page)},
            follow_redirects=True,
        )
        assert "Retraining has started" in started.get_data(as_text=True)
        deadline = time.monotonic() + 120
        while lock.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not lock.exists() and model.exists()
        with app.app_context():
            from app.models import RecodeJob

            assert db.session.scalar(sa.select(sa.func.count(RecodeJob.id))) == 1
            db.session.remove()
    finally:
        app.config["RETRAIN_IN_BACKGROUND"] = False
        model.unlink(missing_ok=True)
