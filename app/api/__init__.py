"""The read-only JSON API for the strategy team, and the page where they get its tokens.

Two blueprints: `api` answers /api/v1/* in JSON and authenticates with
bearer tokens (no cookies, so no CSRF); `api_tokens` is an ordinary staff
page, behind the staff sign-in and CSRF like every other form.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

bp = Blueprint("api", __name__, url_prefix="/api/v1")
tokens_bp = Blueprint(
    "api_tokens", __name__, url_prefix="/account/api-tokens", template_folder="templates"
)

# Requests per token (or per address for requests without one). A script
# paging through every response at the largest page size stays well within.
DEFAULT_REQUESTS_PER_TOKEN = "300 per minute"  # noqa: S105 (a rate, not a secret)
DEFAULT_REQUESTS_PER_ADDRESS = "1200 per minute"


def init_app(app: Flask) -> None:
    """Register both blueprints, exempt the API from CSRF, and answer its errors in JSON."""
    from app.api import errors, token_views, views  # noqa: F401 (register the routes)
    from app.extensions import csrf

    # Set in config.py from the environment; these defaults serve a bare config.
    app.config.setdefault("API_REQUESTS_PER_TOKEN", DEFAULT_REQUESTS_PER_TOKEN)
    app.config.setdefault("API_REQUESTS_PER_ADDRESS", DEFAULT_REQUESTS_PER_ADDRESS)
    app.register_blueprint(bp)
    app.register_blueprint(tokens_bp)
    # The API reads a bearer token from a header and ignores cookies, so a
    # forged cross-site request carries no credentials: CSRF cannot apply.
    csrf.exempt(bp)
    errors.init_app(app)
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = _NoCookieForApi()


class _NoCookieForApi(SecureCookieSessionInterface):
    """Flask's cookie sessions, except that API responses never set or refresh the cookie.

    The API is for scripts with a token. A browser that happens to hold a
    staff cookie must not have it refreshed (or cleared) by an API call.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer, built once per set of secret keys instead of on every request."""
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        """Save the session as usual, unless this is an API request."""
        if request.blueprint == bp.name or request.path.startswith(f"{bp.url_prefix}/"):
            return
        super().save_session(app, session, response)
