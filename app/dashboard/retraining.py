"""Retraining the coder's learned layer from the button, in the background.

Training takes ten seconds or more (several times that on a slow server):
too long to hold a web request. The button starts it on a daemon thread.
A lock file beside the model says a retraining is under way, so every worker
sees it and a second press does not start another; a lock older than
STALE_AFTER (a process killed mid-training) is ignored. When the model is
written, a re-coding job brings the stored codes up to date with it.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask, current_app

from app import audit
from app.codebook import recoding
from app.codebook.services import current as current_codebook
from app.coding import retrain_from_reviews
from app.extensions import db
from app.models import User, utcnow

STALE_AFTER = timedelta(minutes=30)
log = logging.getLogger(__name__)


def _lock_path(app: Flask) -> Path:
    model = Path(app.config["ANALYSIS_MODEL_PATH"])
    return model.with_name(model.name + ".retraining")


def retraining_since() -> datetime | None:
    """Return when the retraining under way started, or None if there is none."""
    try:
        started = datetime.fromtimestamp(_lock_path(current_app).stat().st_mtime, UTC)
    except FileNotFoundError:
        return None
    return started if utcnow() - started < STALE_AFTER else None


def start_retraining(user: User) -> bool:
    """Start retraining for `user`; return False if one is already under way.

    With RETRAIN_IN_BACKGROUND off (the tests), it runs before returning.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    lock = _lock_path(app)
    lock.parent.mkdir(parents=True, exist_ok=True)
    if retraining_since() is not None:
        return False
    lock.unlink(missing_ok=True)  # a stale lock from a process that died
    try:
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False  # another worker got there first
    user_id = user.id
    # End this request's transaction first: on SQLite it holds the write lock,
    # which the retraining's own session needs to record what it did.
    db.session.commit()
    if app.config.get("RETRAIN_IN_BACKGROUND", True):
        threading.Thread(
            target=_retrain, args=(app, user_id, lock), name="retrain", daemon=True
        ).start()
    else:
        _retrain(app, user_id, lock)
    return True


def _retrain(app: Flask, user_id: int, lock: Path) -> None:
    """Train, audit, and queue the re-coding of stored responses; always release the lock."""
    try:
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                result = retrain_from_reviews()
                audit.record(
                    "coder_retrained",
                    actor=user,
                    details={
                        "reviewed_rows": result.reviewed_rows,
                        "coder_version": result.coder_version,
                    },
                )
                recoding.queue_job(current_codebook().version, user)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("retraining the coder failed")
                audit.record("coder_retraining_failed", actor=db.session.get(User, user_id))
                db.session.commit()
            finally:
                db.session.remove()
        recoding.start_runner(app)
    finally:
        lock.unlink(missing_ok=True)
