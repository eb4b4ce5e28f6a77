"""The strategy team's dashboard: theme summaries and the words behind them."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

from app.dashboard import export_views, review_views, safeguarding, views  # noqa: E402,F401
