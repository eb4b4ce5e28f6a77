"""Community Voice: the Flask application factory."""

from __future__ import annotations

from flask import Flask
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from config import INSTANCE_DIR, Config, config_for


def create_app(config: str | type[Config] | None = None) -> Flask:
    """Build the application for an environment name or a settings class.

    With no argument the environment comes from APP_ENV (default development).
    Production refuses to start without its secrets (see config.py).
    """
    settings = config if isinstance(config, type) else config_for(config)
    settings.validate()

    app = Flask(__name__, instance_path=str(INSTANCE_DIR), static_folder=None)
    app.config.from_mapping(settings.as_dict())
    INSTANCE_DIR.mkdir(exist_ok=True)

    _configure_templates(app)

    from app import assets, database, errors, form_errors, navigation, security
    from app.extensions import csrf, limiter, login_manager, migrate, wtforms_helpers

    database.init_app(app)
    migrate.init_app(app, database.db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    _configure_limiter(app)
    limiter.init_app(app)
    wtforms_helpers.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    assets.init_app(app)
    navigation.init_app(app)
    form_errors.init_app(app)

    from app.admin import bp as admin_bp
    from app.auth import bp as auth_bp
    from app.auth.staff_sessions import init_login
    from app.core import bp as core_bp
    from app.dashboard import bp as dashboard_bp
    from app.sessions import bp as sessions_bp
    from app.survey import bp as survey_bp
    from app.survey import services as survey_services

    init_login(app)
    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(sessions_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(survey_bp)
    # Survey forms check their own CSRF token, which never times out: a
    # respondent who takes over an hour must not lose their answers.
    csrf.exempt(survey_bp)
    survey_services.init_app(app)

    from app import api

    # The JSON API (CSRF-exempt: bearer tokens, no cookies) and its tokens page.
    api.init_app(app)

    from app import cli

    cli.init_app(app)
    return app


def _configure_templates(app: Flask) -> None:
    """Let templates use the GOV.UK Frontend macros next to the app's own."""
    app.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
        [
            PackageLoader("app"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _configure_limiter(app: Flask) -> None:
    """Share rate-limit counters between workers through Redis when there is one."""
    if "RATELIMIT_STORAGE_URI" not in app.config:
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
