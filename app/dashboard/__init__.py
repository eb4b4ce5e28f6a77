"""The strategy team's dashboard: theme summaries and the words behind them."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

from app.dashboard import (  # noqa: E402,F401
    export_views,
    report_views,
    review_views,
    safeguarding,
    views,
)
