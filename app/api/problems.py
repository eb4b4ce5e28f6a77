"""RFC 9457 problem documents: how the API says what went wrong.

Every error from /api/v1 is a JSON object with `type`, `title`, `status` and
`detail`, served as `application/problem+json`. A client never gets an HTML
page or a redirect to the sign-in form. The type is always "about:blank" (the
status says it all); an extension member `code` gives a stable name a script
can test (`invalid_token`, `invalid_parameter`, ...), listed in docs/api.md.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    429: "Too many requests",
    500: "Internal server error",
}

# A 401 tells the client which scheme to use (RFC 6750).
BEARER_CHALLENGE = 'Bearer realm="Community Voice API"'


class ApiProblem(Exception):
    """An error to answer with a problem document; views raise it, a handler renders it."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    status: int,
    detail: str,
    *,
    code: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Return a problem document response for `status`, explained by `detail`."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    response = Response(current_app.json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def render(problem: ApiProblem) -> Response:
    """Return the response for a raised ApiProblem."""
    return problem_response(
        problem.status,
        problem.detail,
        code=problem.code,
        headers=problem.headers,
        **problem.extra,
    )
