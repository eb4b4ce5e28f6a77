"""Administration: staff accounts, surveys, the codebook and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import codebook_views, views  # noqa: E402,F401
