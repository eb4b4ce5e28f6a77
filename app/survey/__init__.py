"""The residents' online survey: anonymous, no account, works on a phone."""

from flask import Blueprint, session

bp = Blueprint("survey", __name__, url_prefix="/survey")


@bp.before_request
def _keep_the_respondent_session_alive() -> None:
    # A respondent may spend a long time on one answer: the cookie naming
    # their draft is renewed on every page, for a day from the last visit.
    session.permanent = True
    session.modified = True


from app.survey import views  # noqa: E402,F401
