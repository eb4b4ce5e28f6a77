"""Re-coding after a codebook change: small batches, progress, resume, people's codes kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from app.codebook import recoding, services
from app.coding import coder_for_version, recode
from app.extensions import db
from app.models import RecodeJob, Response, ResponseCode, User, utcnow
from tests.conftest import StaffMember

POINTS = [
    "Young people carry knives because they are scared",
    "The zorbleflap crew run the estate",
    "More youth clubs open in the evening",
    "Parents keep their children indoors after dark",
]


@pytest.fixture(autouse=True)
def _settings(app: Flask) -> Iterator[None]:
    keys = ("RECODE_IN_BACKGROUND", "RECODE_PAUSE_SECONDS", "RECODE_BATCH_SIZE")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(RECODE_IN_BACKGROUND=False, RECODE_PAUSE_SECONDS=0.0, RECODE_BATCH_SIZE=40)
    yield
    app.config.update(saved)


@pytest.fixture
def many_responses(make_session: Callable[..., int]) -> int:
    """Three hundred responses in six sessions; returns how many."""
    for number in range(6):
        make_session(
            points={"why": [f"{POINTS[i % 4]} ({number}-{i})" for i in range(50)]},
            facilitator=f"F{number}",
        )
    return 300


def _edit_fear(app: Flask, admin_id: int, based_on: int = 1) -> int:
    """Add a pattern to fear as `admin_id`; return the queued job's id."""
    with app.app_context():
        admin = db.session.get(User, admin_id)
        assert admin is not None
        theme = services.find_theme(services.current().content, "fear")
        assert theme is not None
        saved = services.edit_theme(
            "fear",
            based_on=based_on,
            label=theme["label"],
            definition=theme["definition"],
            patterns_text=services.patterns_as_text(theme["patterns"]) + "\n=zorbleflap",
            concept_ids=theme["concepts"],
            by=admin,
        )
        db.session.commit()
        job_id = saved.job.id
        db.session.remove()
    return job_id


def _job(app: Flask, job_id: int) -> RecodeJob:
    with app.app_context():
        job = db.session.get(RecodeJob, job_id)
        assert job is not None
        db.session.expunge(job)
        db.session.remove()
    return job


def test_the_runner_works_in_batches_reports_progress_and_keeps_peoples_codes(
    app: Flask, make_user: Callable[..., StaffMember], many_responses: int
) -> None:
    admin = make_user(role="admin")
    with app.app_context():
        # A person's decisions on two responses: one theme removed, one added,
        # and a whole response reviewed.
        first, second, reviewed = db.session.scalars(
            sa.select(Response).where(Response.text.like("The zorbleflap%")).limit(3)
        ).all()
        # As the review page does: a person's decision replaces the automatic code.
        db.session.execute(
            sa.delete(ResponseCode).where(
                ResponseCode.response_id.in_([first.id, second.id]),
                ResponseCode.theme_id.in_(["fear", "gang_culture"]),
            )
        )
        db.session.add_all(
            [
                ResponseCode(response=first, theme_id="fear", applied=False, source="human"),
                ResponseCode(response=second, theme_id="gang_culture", source="human"),
            ]
        )
        reviewed.reviewed_at = utcnow()
        db.session.execute(
            sa.delete(ResponseCode).where(
                ResponseCode.response_id == reviewed.id, ResponseCode.source == "auto"
            )
        )
        db.session.add(ResponseCode(response=reviewed, theme_id="peer_pressure", source="human"))
        db.session.commit()
        ids = first.id, second.id, reviewed.id
        human_before = {
            (c.response_id, c.theme_id, c.applied, c.id)
            for c in db.session.scalars(
                sa.select(ResponseCode).where(ResponseCode.source == "human")
            )
        }
        db.session.remove()
    job_id = _edit_fear(app, admin.id)
    reports: list[int] = []
    with app.app_context():
        runner = recoding.runner_id()
        assert recoding.claim_job(job_id, runner)
        # Only one runner gets a job.
        assert not recoding.claim_job(job_id, recoding.runner_id())
        summary = recoding.run_job(job_id, runner, progress=reports.append)
        db.session.remove()
    assert reports == [40] * 7 + [20]
    assert summary.responses == many_responses
    job = _job(app, job_id)
    assert (job.status, job.done, job.total, job.percent) == ("done", 300, 300, 100)
    assert job.started_at is not None and job.finished_at is not None
    assert job.codes == summary.codes > 0
    with app.app_context():
        version = coder_for_version(2).version
        assert set(db.session.scalars(sa.select(Response.coder_version))) == {version}
        human_after = {
            (c.response_id, c.theme_id, c.applied, c.id)
            for c in db.session.scalars(
                sa.select(ResponseCode).where(ResponseCode.source == "human")
            )
        }
        assert human_after == human_before
        codes = {
            (c.response_id, c.theme_id): c
            for c in db.session.scalars(
                sa.select(ResponseCode).where(ResponseCode.response_id.in_(ids))
            )
        }
        # The new pattern codes fear, except where a person removed it...
        assert codes[(ids[0], "fear")].source == "human" and not codes[(ids[0], "fear")].applied
        assert codes[(ids[1], "fear")].source == "auto"
        # ...and never on a response a person has reviewed.
        assert {theme for (rid, theme) in codes if rid == ids[2]} == {"peer_pressure"}
        db.session.remove()


def test_a_job_whose_runner_died_is_taken_over_and_resumed(
    app: Flask, make_user: Callable[..., StaffMember], many_responses: int
) -> None:
    admin = make_user(role="admin")
    job_id = _edit_fear(app, admin.id)
    with app.app_context():
        dead = "dead-process"
        assert recoding.claim_job(job_id, dead)
        # The dead runner did three batches, then stopped beating.
        app.config["RECODE_BATCH_SIZE"] = 40
        done: list[int] = []

        def stop_after_three(count: int) -> None:
            done.append(count)
            if len(done) == 3:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            recoding.run_job(job_id, dead, progress=stop_after_three)
        job = db.session.get(RecodeJob, job_id, populate_existing=True)
        assert job is not None and job.status == "running" and job.done == 120
        cursor = job.last_response_id
        # A runner with a recent heartbeat is left alone.
        assert recoding.run_pending_jobs() == 0
        job.heartbeat_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        assert recoding.job_is_stalled(job)
        assert recoding.run_pending_jobs() == 1
        job = db.session.get(RecodeJob, job_id, populate_existing=True)
        assert job is not None
        assert job.status == "done" and job.done == job.total == 300
        assert job.runner != dead
        version = coder_for_version(2).version
        # Nothing before the cursor was coded twice: the new runner started after it.
        assert set(db.session.scalars(sa.select(Response.coder_version))) == {version}
        assert cursor > 0
        db.session.remove()


def test_a_newer_change_supersedes_a_running_job(
    app: Flask, make_user: Callable[..., StaffMember], make_session: Callable[..., int]
) -> None:
    make_session()
    admin = make_user(role="admin")
    first = _edit_fear(app, admin.id)
    with app.app_context():
        runner = recoding.runner_id()
        assert recoding.claim_job(first, runner)
        db.session.remove()
    with app.app_context():
        admin_user = db.session.get(User, admin.id)
        assert admin_user is not None
        saved = services.set_retired("volunteering", retired=True, based_on=2, by=admin_user)
        db.session.commit()
        second = saved.job.id
        summary = recoding.run_job(first, runner)
        assert summary.responses == 0
        db.session.remove()
    assert _job(app, first).status == "superseded"
    with app.app_context():
        assert recoding.run_pending_jobs() == 1
        db.session.remove()
    assert _job(app, second).status == "done"


def test_the_recode_command_runs_the_same_job(app: Flask, make_session: Callable[..., int]) -> None:
    make_session()
    with app.app_context():
        db.session.execute(sa.update(Response).values(coder_version="an-older-coder"))
        db.session.commit()
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["analysis", "recode"])
    assert result.exit_code == 0, result.output
    assert "Codebook version 1" in result.output and "6 response(s) to code." in result.output
    with app.app_context():
        job = db.session.scalar(sa.select(RecodeJob))
        assert job is not None and job.status == "done" and job.done == 6
        assert job.created_by_id is None
        assert recode().responses == 0
        db.session.remove()


def test_a_failed_job_records_its_error_and_can_be_started_again(
    app: Flask, make_user: Callable[..., StaffMember], make_session: Callable[..., int]
) -> None:
    make_session()
    admin = make_user(role="admin")
    job_id = _edit_fear(app, admin.id)
    with app.app_context():
        runner = recoding.runner_id()
        assert recoding.claim_job(job_id, runner)

        def broken(_count: int) -> None:
            raise RuntimeError("disk full")

        with pytest.raises(RuntimeError):
            recoding.run_job(job_id, runner, progress=broken)
        db.session.remove()
    job = _job(app, job_id)
    assert job.status == "failed" and job.error == "RuntimeError: disk full"
    with app.app_context():
        admin_user = db.session.get(User, admin.id)
        assert admin_user is not None
        retry = services.retry_recoding(admin_user)
        db.session.commit()
        assert recoding.run_pending_jobs() == 1
        db.session.refresh(retry)
        assert retry.status == "done" and retry.codebook_version == 2
        db.session.remove()
