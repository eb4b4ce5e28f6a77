"""The residents' online survey: anonymous, no account, works on a phone."""

import time

from flask import Blueprint, session

bp = Blueprint("survey", __name__, url_prefix="/survey")

# How old the respondent's cookie may get before a page renews it.
RENEW_AFTER_SECONDS = 600


@bp.before_request
def _keep_the_respondent_session_alive() -> None:
    # A respondent may spend a long time on one answer: the cookie naming
    # their draft lasts a day (PERMANENT_SESSION_LIFETIME) from its last
    # renewal. Re-signing and re-sending it on every page would cost more than
    # most pages themselves, so a page renews it only once it is ten minutes
    # old: a draft survives at least 23 hours 50 minutes of inactivity.
    if not session.permanent:
        session.permanent = True
    renewed_at = session.get("renewed_at")
    now = int(time.time())
    if not isinstance(renewed_at, int) or now - renewed_at >= RENEW_AFTER_SECONDS:
        session["renewed_at"] = now


from app.survey import views  # noqa: E402,F401
