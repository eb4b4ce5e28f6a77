"""Re-coding stored responses after a codebook change, in the background, in small batches.

A `RecodeJob` row is the durable record: which codebook version, how many
responses, how many done, and where it got to. Whoever runs a job first
claims it in the database (status "running" with its own runner id), so only
one runner works a job however many threads or processes try. Each batch is a
is read, then coded with no transaction open (the slow part), then stored in
one short transaction that also beats the job's heartbeat: SQLite's write
lock is held only for the database work of one batch. After each batch the
runner waits at least as long as the batch took, so web requests (in the
same process, sharing its CPU) and writers waiting for the lock get in.
A job whose runner died (no heartbeat for RECODE_STALE_SECONDS) is taken over
by the next runner, which carries on after the last response done.

Runners are daemon threads started after a change commits (and again by the
progress page if a job is waiting with no live runner), so the same thing
happens under `flask run` and gunicorn; `flask analysis recode` runs the same
job code in the foreground.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from app.codebook.versions import latest_key
from app.coding import (
    CodingSummary,
    ResponseText,
    coder_for_version,
    compute_codes,
    store_codes,
)
from app.extensions import db
from app.models import RecodeJob, Response, User, utcnow

log = logging.getLogger("community_voice.recoding")

BATCH_SIZE = 200
PAUSE_SECONDS = 0.1
STALE_SECONDS = 30.0

_local_runner: threading.Thread | None = None
_local_runner_lock = threading.Lock()


def _setting(name: str, default: float) -> float:
    return float(current_app.config.get(name, default))


def runner_id() -> str:
    """Return a new id naming this process and thread as a job's runner."""
    host = socket.gethostname()[:30]
    return f"{host}:{os.getpid()}:{threading.get_ident() % 100000}:{uuid.uuid4().hex[:8]}"


def queue_job(version: int, by: User | None = None, *, everything: bool = False) -> RecodeJob:
    """Add a job re-coding with codebook `version` to the caller's transaction.

    Waiting and running jobs for earlier changes are marked superseded: their
    runners stop at their next batch, and this job re-codes what they had not.
    """
    now = utcnow()
    db.session.execute(
        sa.update(RecodeJob)
        .where(RecodeJob.status.in_(("queued", "running")))
        .values(status="superseded", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    job = RecodeJob(codebook_version=version, everything=everything, created_by=by, created_at=now)
    db.session.add(job)
    db.session.flush()
    return job


def _stale_before() -> sa.ColumnElement[bool]:
    limit = utcnow() - timedelta(seconds=_setting("RECODE_STALE_SECONDS", STALE_SECONDS))
    return sa.or_(RecodeJob.heartbeat_at.is_(None), RecodeJob.heartbeat_at < limit)


def _claimable() -> sa.ColumnElement[bool]:
    return sa.or_(
        RecodeJob.status == "queued", sa.and_(RecodeJob.status == "running", _stale_before())
    )


def claim_job(job_id: int, runner: str) -> bool:
    """Take a waiting job, or one whose runner stopped beating; commit; True if taken.

    The claim is one conditional UPDATE, so of several runners trying at
    once exactly one succeeds.
    """
    now = utcnow()
    result = db.session.execute(
        sa.update(RecodeJob)
        .where(RecodeJob.id == job_id, _claimable())
        .values(status="running", runner=runner, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    claimed = result.rowcount == 1  # type: ignore[attr-defined]
    if claimed:
        job = db.session.get(RecodeJob, job_id, populate_existing=True)
        assert job is not None
        if job.started_at is None:
            job.started_at = now
    db.session.commit()
    return claimed


def _stale_ids(job: RecodeJob, coder_version: str, limit: int) -> list[int]:
    query = sa.select(Response.id).where(Response.id > job.last_response_id)
    if not job.everything:
        query = query.where(
            sa.or_(Response.coder_version.is_(None), Response.coder_version != coder_version)
        )
    return list(db.session.scalars(query.order_by(Response.id).limit(limit)))


def _count_to_do(job: RecodeJob, coder_version: str) -> int:
    query = sa.select(sa.func.count(Response.id)).where(Response.id > job.last_response_id)
    if not job.everything:
        query = query.where(
            sa.or_(Response.coder_version.is_(None), Response.coder_version != coder_version)
        )
    return db.session.scalar(query) or 0


def _fail(job_id: int, runner: str, error: BaseException) -> None:
    db.session.rollback()
    log.exception("re-coding job %s failed", job_id, exc_info=error)
    db.session.execute(
        sa.update(RecodeJob)
        .where(RecodeJob.id == job_id, RecodeJob.runner == runner)
        .values(
            status="failed", error=f"{type(error).__name__}: {error}"[:2000], finished_at=utcnow()
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def run_job(
    job_id: int,
    runner: str,
    *,
    progress: Callable[[int], None] | None = None,
    pause: float | None = None,
) -> CodingSummary:
    """Work a job this runner has claimed, batch by batch, until it is done or taken away.

    Each batch reads up to RECODE_BATCH_SIZE responses, codes them with no
    transaction open, then in one short transaction checks the job is still
    this runner's (not superseded or taken over), stores the codes, moves the
    job's counts and position on, and commits. Codes a person set are never
    touched (see `app.coding.store_codes`).
    """
    summary = CodingSummary()
    batch_size = int(_setting("RECODE_BATCH_SIZE", BATCH_SIZE))
    if pause is None:
        pause = _setting("RECODE_PAUSE_SECONDS", PAUSE_SECONDS)
    try:
        job = db.session.get(RecodeJob, job_id, populate_existing=True)
        if job is None or job.runner != runner or job.status != "running":
            db.session.commit()
            return summary
        coder = coder_for_version(job.codebook_version)
        if job.done == 0 and job.last_response_id == 0:
            job.total = _count_to_do(job, coder.version)
        db.session.commit()
        while True:
            # 1. Read the next batch (a few milliseconds).
            job = db.session.get(RecodeJob, job_id, populate_existing=True)
            if job is None or job.runner != runner or job.status != "running":
                db.session.commit()
                return summary
            ids = _stale_ids(job, coder.version, batch_size)
            rows = (
                db.session.execute(
                    sa.select(Response.id, Response.text, Response.question_id)
                    .where(Response.id.in_(ids))
                    .order_by(Response.id)
                ).all()
                if ids
                else []
            )
            db.session.commit()
            # 2. Code it with no transaction open: the slow part holds no lock.
            started = time.perf_counter()
            coded = compute_codes([ResponseText(*row) for row in rows], coder)
            # 3. Store it in one short transaction, if the job is still ours.
            owned = db.session.execute(
                sa.update(RecodeJob)
                .where(
                    RecodeJob.id == job_id,
                    RecodeJob.runner == runner,
                    RecodeJob.status == "running",
                )
                .values(heartbeat_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if owned.rowcount != 1:  # type: ignore[attr-defined]
                db.session.commit()
                return summary
            job = db.session.get(RecodeJob, job_id, populate_existing=True)
            assert job is not None
            if not ids:
                job.status = "done"
                job.finished_at = utcnow()
                job.total = max(job.total, job.done)
                db.session.commit()
                return summary
            # A response edited since it was read was coded again when it was
            # saved: keep that, and skip it here. FOR UPDATE (PostgreSQL) makes
            # a request saving one of these responses finish first, or wait.
            texts = {
                row.id: row.text
                for row in db.session.execute(
                    sa.select(Response.id, Response.text)
                    .where(Response.id.in_(ids))
                    .with_for_update()
                )
            }
            unchanged = [c for c in coded if texts.get(c.item.id) == c.item.text]
            done = store_codes(unchanged, coder.version)
            job.done += len(ids)
            job.codes += done.codes
            job.flagged += done.flagged
            job.last_response_id = ids[-1]
            job.total = max(job.total, job.done)
            db.session.commit()
            summary.responses += done.responses
            summary.codes += done.codes
            summary.flagged += done.flagged
            if progress is not None:
                progress(len(ids))
            if pause:
                # Give way to web requests: wait at least as long as the batch
                # took (at most half the CPU in this process; SQLite writers
                # waiting for the lock get it).
                time.sleep(max(pause, time.perf_counter() - started))
    except Exception as error:
        _fail(job_id, runner, error)
        raise


def start_job_here(*, everything: bool = False, by: User | None = None) -> RecodeJob:
    """Queue a job for the latest codebook version and claim it for this thread.

    What `flask analysis recode` does before running the job in the foreground.
    """
    latest = latest_key()
    if latest is None:
        raise LookupError("no codebook is stored yet: run 'flask reference load' first")
    job = queue_job(latest[0], by, everything=everything)
    db.session.commit()
    runner = runner_id()
    if not claim_job(job.id, runner):
        raise RuntimeError(f"re-coding job {job.id} was taken by another runner")
    db.session.refresh(job)
    # The total is counted when the job starts running; count it now for the progress bar.
    job.total = _count_to_do(job, coder_for_version(job.codebook_version).version)
    db.session.commit()
    return job


def run_pending_jobs() -> int:
    """Claim and work claimable jobs (newest first) until none is left; return how many ran."""
    ran = 0
    while True:
        job_id = db.session.scalar(
            sa.select(RecodeJob.id).where(_claimable()).order_by(RecodeJob.id.desc()).limit(1)
        )
        db.session.commit()
        if job_id is None:
            return ran
        runner = runner_id()
        if not claim_job(job_id, runner):
            continue
        # A failure is recorded on the job and logged by run_job; go on to the next.
        with contextlib.suppress(Exception):
            run_job(job_id, runner)
        ran += 1


def _thread_main(app: Flask) -> None:
    with app.app_context():
        try:
            run_pending_jobs()
        except Exception:
            log.exception("re-coding runner stopped")
        finally:
            db.session.remove()


def start_runner(app: Flask) -> threading.Thread | None:
    """Start a daemon thread that works waiting jobs (unless RECODE_IN_BACKGROUND is off).

    Call it after the transaction that queued a job has committed.
    """
    global _local_runner
    if not app.config.get("RECODE_IN_BACKGROUND", True):
        return None
    thread = threading.Thread(target=_thread_main, args=(app,), name="recode-runner", daemon=True)
    with _local_runner_lock:
        _local_runner = thread
    thread.start()
    return thread


def ensure_runner(app: Flask) -> threading.Thread | None:
    """Start a runner if a job is waiting (or its runner died) and none runs in this process."""
    with _local_runner_lock:
        if _local_runner is not None and _local_runner.is_alive():
            return None
    waiting = db.session.scalar(sa.select(RecodeJob.id).where(_claimable()).limit(1))
    if waiting is None:
        return None
    return start_runner(app)


def latest_job() -> RecodeJob | None:
    """Return the most recent job, or None."""
    return db.session.scalar(sa.select(RecodeJob).order_by(RecodeJob.id.desc()).limit(1))


def job_is_stalled(job: RecodeJob) -> bool:
    """True when a running job's runner has not beaten for RECODE_STALE_SECONDS."""
    if job.status != "running" or job.heartbeat_at is None:
        return False
    limit = utcnow() - timedelta(seconds=_setting("RECODE_STALE_SECONDS", STALE_SECONDS))
    return job.heartbeat_at < limit
