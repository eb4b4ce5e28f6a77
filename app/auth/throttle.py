"""Sign-in throttling per account.

Failures are counted per typed email address, whether or not an account has
it, so the lock-out itself reveals nothing. Counters live in the same storage
as Flask-Limiter's (Redis when REDIS_URL is set), so every worker shares them.
"""

from __future__ import annotations

from flask import current_app
from limits import RateLimitItem, parse, storage, strategies

_NAMESPACE = "sign-in-failures"


class SignInThrottle:
    """Counts failed sign-ins per account within a moving window."""

    def __init__(self, storage_uri: str, limit: str) -> None:
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))
        self._item: RateLimitItem = parse(limit)

    def is_locked(self, email: str) -> bool:
        """Return True when `email` has used up its failures in the window."""
        return not self._limiter.test(self._item, _NAMESPACE, email.lower())

    def record_failure(self, email: str) -> None:
        """Count one failed sign-in for `email`."""
        self._limiter.hit(self._item, _NAMESPACE, email.lower())

    def reset(self, email: str) -> None:
        """Forget the failures of `email` (after a successful sign-in)."""
        self._limiter.clear(self._item, _NAMESPACE, email.lower())


def sign_in_throttle() -> SignInThrottle:
    """Return the app's throttle, created on first use."""
    throttle = current_app.extensions.get("sign_in_throttle")
    if throttle is None:
        throttle = SignInThrottle(
            current_app.config["RATELIMIT_STORAGE_URI"],
            current_app.config["SIGN_IN_FAILURES_PER_ACCOUNT"],
        )
        current_app.extensions["sign_in_throttle"] = throttle
    return throttle
