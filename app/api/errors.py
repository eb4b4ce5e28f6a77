"""Errors under /api/v1 answered as problem documents instead of the HTML error page.

Errors raised in an API view reach the blueprint's handlers. A URL under
/api/v1 that matches no route (404), or a route called with the wrong method
(405), fails before any blueprint is chosen, so those two are handled at the
application level and passed on to the HTML pages for every other path.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, request
from flask.typing import ResponseReturnValue
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from app import errors as html_errors
from app.api import bp
from app.api.problems import TITLES, ApiProblem, problem_response, render

log = logging.getLogger("community_voice.api")

_DETAILS = {
    404: "There is nothing at this address. /api/v1/openapi.json lists the API's operations.",
    405: "The API is read-only: use GET.",
    429: "Too many requests with this token or from this address. Wait a minute and try again.",
}
_CODES = {404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}


def _is_api_request() -> bool:
    prefix = bp.url_prefix or "/api/v1"
    return request.path == prefix or request.path.startswith(prefix + "/")


@bp.errorhandler(ApiProblem)
def handle_problem(problem: ApiProblem) -> ResponseReturnValue:
    """Render a problem a view raised."""
    return render(problem)


@bp.errorhandler(RateLimitExceeded)
def handle_rate_limit(error: RateLimitExceeded) -> ResponseReturnValue:
    """Say the limit was reached and when to come back."""
    from app.extensions import limiter

    del error
    headers = {}
    breached = limiter.current_limit
    if breached is not None:
        headers["Retry-After"] = str(max(1, int(breached.reset_at - time.time())))
    return problem_response(429, _DETAILS[429], code=_CODES[429], headers=headers)


def _http_problem(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    if status not in TITLES or status >= 500:
        status = 400 if status < 500 else 500
    headers = {}
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    detail = _DETAILS.get(status) or (error.description or TITLES[status])
    return problem_response(status, detail, code=_CODES.get(status, "bad_request"), headers=headers)


@bp.errorhandler(HTTPException)
def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    """An HTTP error raised inside an API view (a 404, a 400 from Werkzeug)."""
    return _http_problem(error)


@bp.errorhandler(Exception)
def handle_unexpected_error(error: Exception) -> ResponseReturnValue:
    """Log the failure; tell the client only that it failed."""
    if isinstance(error, HTTPException):
        return _http_problem(error)
    log.exception("unhandled API error on %s %s", request.method, request.path)
    from app.extensions import db

    db.session.rollback()
    return problem_response(
        500, "Something went wrong on our side. Try again later.", code="server_error"
    )


def _routing_error(error: HTTPException) -> ResponseReturnValue:
    if _is_api_request():
        return _http_problem(error)
    return html_errors.handle_http_error(error)


def init_app(app: Flask) -> None:
    """Answer unrouted API addresses and wrong methods with problem documents."""
    app.register_error_handler(404, _routing_error)
    app.register_error_handler(405, _routing_error)
