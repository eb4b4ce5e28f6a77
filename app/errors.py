"""Error pages. They say what happened in plain words and never show a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("community_voice.errors")

MESSAGES = {
    400: ("Sorry, there is a problem with that request", "Go back and try again."),
    403: ("You do not have permission to see this page", "Ask an administrator if you need it."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Sorry, that did not work", "Go back and try again."),
    413: (
        "That file or form is too large",
        "Files must be smaller than 10 MB. Split the file and try again.",
    ),
    429: (
        "Too many attempts",
        "Wait a few minutes and try again.",
    ),
    500: ("Sorry, there is a problem with the service", "Try again later."),
    503: ("Sorry, the service is unavailable", "Try again later."),
}


def _render(code: int, detail: str | None = None) -> ResponseReturnValue:
    title, advice = MESSAGES.get(code, MESSAGES[500])
    return render_template("error.html", code=code, title=title, advice=detail or advice), code


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    """Render an HTTP error with the service's layout."""
    code = error.code or 500
    if code == 413:
        # The body was not read: its form (and CSRF token) never reached us.
        return _render(413)
    return _render(code if code in MESSAGES else 400)


def handle_csrf_error(error: CSRFError) -> ResponseReturnValue:
    """A form came back without a valid token: usually a page left open too long."""
    log.info("csrf refused path=%s reason=%s", request.path, error.description)
    return _render(
        400,
        "The form had expired or was sent from somewhere else. "
        "Go back, reload the page and try again.",
    )


def handle_unexpected_error(error: Exception) -> ResponseReturnValue:
    """Log the failure with its traceback; show the person only a plain message."""
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        return handle_http_error(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    from app.extensions import db

    db.session.rollback()
    return _render(500)


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
