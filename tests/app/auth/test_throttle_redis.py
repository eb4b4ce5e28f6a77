"""Sign-in throttling is shared between workers through Redis when REDIS_URL is set."""

from __future__ import annotations

import uuid

import pytest
import redis

from app.auth.throttle import SignInThrottle

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not _redis_available(), reason="no Redis on 127.0.0.1:6379")


def test_two_workers_share_failure_counts() -> None:
    email = f"{uuid.uuid4().hex}@example.org"
    worker_one = SignInThrottle(REDIS_URL, "10 per 15 minutes")
    worker_two = SignInThrottle(REDIS_URL, "10 per 15 minutes")
    for _ in range(5):
        worker_one.record_failure(email)
    for _ in range(4):
        worker_two.record_failure(email)
    assert not worker_one.is_locked(email)
    worker_two.record_failure(email)
    assert worker_one.is_locked(email)
    assert worker_two.is_locked(email)
    worker_one.reset(email)
    assert not worker_two.is_locked(email)


def test_app_uses_redis_for_rate_limits_when_configured() -> None:
    from app import create_app
    from config import DevelopmentConfig

    class WithRedis(DevelopmentConfig):
        REDIS_URL = REDIS_URL
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(WithRedis)
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
