"""Settings per environment; production refuses to start without its secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, ProductionConfig, config_for

ROOT = Path(__file__).resolve().parent.parent


def _start_production(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env={**clean, "APP_ENV": "production", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_refuses_with_one_line() -> None:
    result = _start_production({"DATABASE_URL": "sqlite://"})
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "Set SECRET_KEY to a random value of at least 32 bytes" in last_line


def test_production_with_short_key_refuses() -> None:
    result = _start_production({"SECRET_KEY": "short", "DATABASE_URL": "sqlite://"})
    assert "at least 32 bytes" in result.stderr


def test_production_without_database_url_refuses() -> None:
    result = _start_production({"SECRET_KEY": "k" * 32})
    assert result.returncode != 0
    assert "Set DATABASE_URL" in result.stderr.strip().splitlines()[-1]


def test_production_starts_with_both() -> None:
    result = _start_production({"SECRET_KEY": "k" * 32, "DATABASE_URL": "sqlite://"})
    assert result.returncode == 0, result.stderr


def test_validate_raises_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(ConfigError):
        ProductionConfig.validate()


def test_unknown_environment_is_named() -> None:
    with pytest.raises(ConfigError, match="APP_ENV must be one of"):
        config_for("staging")


def test_postgres_urls_use_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    from config import _database_url

    assert _database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert _database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert _database_url("sqlite:///x.db") == "sqlite:///x.db"
