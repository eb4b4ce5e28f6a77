"""Application settings, read from the environment.

Each class is one environment. Secrets never have a production default: the
production settings refuse to load until they are set, and say what to set.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigError(RuntimeError):
    """A setting the chosen environment needs is missing or unsafe."""


def _database_url(url: str) -> str:
    """Return `url` normalised so that SQLAlchemy picks psycopg 3 for PostgreSQL."""
    # Hosting platforms hand out "postgres://" URLs; SQLAlchemy wants an explicit driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'community_voice.db'}"
    )
    SQLALCHEMY_RECORD_QUERIES = False
    REDIS_URL: str | None = os.environ.get("REDIS_URL") or None

    # Sessions: the signed cookie lives a day from its last renewal, so a
    # survey respondent can take their time (survey pages renew it every ten
    # minutes, not on every request: see app/survey/__init__.py). Staff are
    # signed out after 30 idle minutes by the server (STAFF_IDLE_TIMEOUT),
    # whatever the cookie says, and after a day at most.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=24)
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "cv_session"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    STAFF_IDLE_TIMEOUT = timedelta(minutes=30)

    # Uploads and form posts larger than this are refused before they are read.
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024

    WTF_CSRF_ENABLED = True
    # The CSRF token lives as long as the signed-in session can.
    WTF_CSRF_TIME_LIMIT = 3600

    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = False
    SIGN_IN_FAILURES_PER_ACCOUNT = "10 per 15 minutes"
    SIGN_IN_ATTEMPTS_PER_ADDRESS = "50 per 15 minutes"

    # The survey: a school class of 30 may share one address, so the limits
    # are per address but generous; a flood from one address is still stopped.
    DEFAULT_SURVEY = "have-your-say"
    # Where survey definitions are read from (default: surveys/definitions).
    SURVEY_DEFINITIONS_DIR: str | None = os.environ.get("SURVEY_DEFINITIONS_DIR") or None
    SURVEY_POSTS_PER_ADDRESS = os.environ.get("SURVEY_POSTS_PER_ADDRESS", "1500 per 10 minutes")
    SURVEY_SUBMISSIONS_PER_ADDRESS = os.environ.get(
        "SURVEY_SUBMISSIONS_PER_ADDRESS", "200 per hour"
    )
    # How long a worker trusts its last reading of whether a survey is open.
    SURVEY_OPEN_STATE_SECONDS = 2.0
    # Days a respondent's follow-up contact details are kept.
    SURVEY_CONTACT_RETENTION_DAYS = int(os.environ.get("SURVEY_CONTACT_RETENTION_DAYS", "183"))

    # The learned layer retrained from staff reviews; the shipped model until it exists.
    ANALYSIS_MODEL_PATH = os.environ.get(
        "ANALYSIS_MODEL_PATH", str(INSTANCE_DIR / "models" / "theme_model.json")
    )
    # The JSON API: requests per token, and per address for requests without one.
    # A script paging through every response at the largest page size stays within.
    API_REQUESTS_PER_TOKEN = os.environ.get("API_REQUESTS_PER_TOKEN", "300 per minute")
    API_REQUESTS_PER_ADDRESS = os.environ.get("API_REQUESTS_PER_ADDRESS", "1200 per minute")
    # Background re-coding after a codebook change (app/codebook/recoding.py):
    # responses per batch, the pause after each batch (so requests get the
    # database between batches), and how long a silent runner is trusted.
    RECODE_BATCH_SIZE = int(os.environ.get("RECODE_BATCH_SIZE", "200"))
    RECODE_PAUSE_SECONDS = float(os.environ.get("RECODE_PAUSE_SECONDS", "0.1"))
    RECODE_STALE_SECONDS = float(os.environ.get("RECODE_STALE_SECONDS", "30"))
    RECODE_IN_BACKGROUND = _env_bool("RECODE_IN_BACKGROUND", True)
    # The coder-quality page's "Retrain" button trains on a background thread.
    RETRAIN_IN_BACKGROUND = _env_bool("RETRAIN_IN_BACKGROUND", True)
    # Survey figures from fewer respondents than this show "fewer than 5".
    SMALL_NUMBER_THRESHOLD = int(os.environ.get("SMALL_NUMBER_THRESHOLD", "5"))

    HSTS = False
    SERVICE_NAME = "Community Voice"
    COUNCIL_NAME = "Leicester City Council"
    # Invitations to set a password stay valid this long.
    INVITATION_LIFETIME = timedelta(days=7)

    @classmethod
    def validate(cls) -> None:
        """Raise ConfigError when a required setting is missing."""

    @classmethod
    def as_dict(cls) -> dict[str, Any]:
        """Return the upper-case settings of this class and its parents."""
        return {key: getattr(cls, key) for key in dir(cls) if key.isupper()}


class DevelopmentConfig(Config):
    """A developer's machine: SQLite under instance/, a throwaway key if none is set."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-key-not-for-production-use-0000"


class TestConfig(Config):
    """The test suite: its own database, and address limits high enough for a test run."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-that-is-long-enough-000000"  # noqa: S105 (tests only)
    # .ci/run points TEST_DATABASE_URL at PostgreSQL for its second pass. The
    # SQLite file is per process, so two test runs never share a database.
    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("TEST_DATABASE_URL")
        or f"sqlite:///{Path(tempfile.gettempdir()) / f'community-voice-test-{os.getpid()}.db'}"
    )
    RATELIMIT_STORAGE_URI = "memory://"
    ANALYSIS_MODEL_PATH = str(
        Path(tempfile.gettempdir()) / f"community-voice-test-{os.getpid()}-model.json"
    )
    # Background threads would outlive the test that started them: tests run
    # re-coding and retraining in their own thread (a test of the runner starts it).
    RECODE_IN_BACKGROUND = False
    RETRAIN_IN_BACKGROUND = False
    # Tests open and close surveys directly in the database: read the state every time.
    SURVEY_OPEN_STATE_SECONDS = 0.0
    # Every test signs in from 127.0.0.1; tests of the limit itself lower it.
    SIGN_IN_ATTEMPTS_PER_ADDRESS = "100000 per 15 minutes"
    REDIS_URL = None


class ProductionConfig(Config):
    """A council server: secrets and the database come only from the environment."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    HSTS = True

    @classmethod
    def validate(cls) -> None:
        """Refuse to start without a strong SECRET_KEY and an explicit DATABASE_URL."""
        key = cls.SECRET_KEY or ""
        if len(key.encode()) < 32:
            raise ConfigError(
                "Set SECRET_KEY to a random value of at least 32 bytes "
                "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if not os.environ.get("DATABASE_URL"):
            raise ConfigError(
                "Set DATABASE_URL to the production database "
                "(for example postgresql://user@host/community_voice)."
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    """Return the settings class for `name`, or for APP_ENV (default development)."""
    name = (name or os.environ.get("APP_ENV") or "development").lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"APP_ENV must be one of {', '.join(CONFIGS)}; got {name!r}.") from None
