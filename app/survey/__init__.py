"""The residents' online survey: anonymous, no account, works on a phone."""

from flask import Blueprint

bp = Blueprint("survey", __name__, url_prefix="/survey")

from app.survey import views  # noqa: E402,F401
