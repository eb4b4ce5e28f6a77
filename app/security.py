"""Security headers, sent on every response.

The Content Security Policy allows no inline script or style except scripts
carrying this request's nonce (GOV.UK Frontend's one-line `js-enabled`
script), and no third-party host at all.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request


def csp_nonce() -> str:
    """Return this request's CSP nonce, creating it on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def content_security_policy(nonce: str) -> str:
    """Return the CSP header value for a page whose scripts carry `nonce`."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# The same on every response; built once, since this runs on every request.
_FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # same-origin still sends the Referer to this site, which Flask-WTF's
    # CSRF check needs over HTTPS, and nothing to anyone else.
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _set_security_headers(response: Response) -> Response:
    headers = response.headers
    # A view may set its own value of any of these (a looser CSP for one
    # page, say); a header it set is left alone.
    present = {key.lower() for key, _ in headers.items()}
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy", content_security_policy(csp_nonce()))
    wanted = [*_FIXED_HEADERS, _HSTS] if current_app.config.get("HSTS") else _FIXED_HEADERS
    for key, value in wanted:
        if key.lower() not in present:
            headers.add(key, value)
    # Staff pages show personal and sensitive notes: never keep them in a
    # browser or proxy cache. Front-end assets are the only cacheable files.
    if not request.path.startswith("/assets/"):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    """Send the security headers on every response and expose the nonce to templates."""
    app.after_request(_set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
