"""Community session notes: record, list, read, edit, delete and import."""

from flask import Blueprint

bp = Blueprint("sessions", __name__, url_prefix="/sessions")

from app.sessions import views  # noqa: E402,F401
