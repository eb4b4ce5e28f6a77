"""Bearer-token authentication for the API's views.

`token_required` is the API's counterpart of `staff_required`: it records the
roles a view allows on the view function (so tests/app/test_route_permissions.py
can check every route declares them) and answers 401 or 403 with a problem
document, never a redirect. Cookies are ignored: a signed-in browser session
does not open the API.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import request

from app.api import services
from app.api.problems import BEARER_CHALLENGE, ApiProblem

F = TypeVar("F", bound=Callable[..., Any])


def _challenge(code: str) -> dict[str, str]:
    if code == "invalid_token":
        return {"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="invalid_token"'}
    return {"WWW-Authenticate": BEARER_CHALLENGE}


def token_required(*roles: str) -> Callable[[F], F]:
    """Allow a view only to requests bearing a live token of a user holding one of `roles`."""
    allowed = roles or services.API_ROLES

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            secret = services.bearer_token(request.headers.get("Authorization"))
            try:
                token = services.authenticate(secret)
            except services.TokenRejected as rejected:
                headers = _challenge(rejected.code) if rejected.status == 401 else {}
                raise ApiProblem(
                    rejected.status, rejected.detail, code=rejected.code, headers=headers
                ) from None
            user = token.user
            if user.role not in allowed:
                raise ApiProblem(
                    403, "Your role may not use this part of the API.", code="forbidden"
                )
            services.record_use(token)
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed  # type: ignore[attr-defined]
        wrapper.token_auth = True  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
