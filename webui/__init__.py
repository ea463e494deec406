"""The Flask app factory: reads the configuration once and wires engine, handlers, forms and records."""
from __future__ import annotations

import functools
from pathlib import Path

from flask import Flask, g, request, session
from flask_login import current_user

import forms
from engine import Engine
from handlers import HANDLERS, Context
from records import FileStore

from . import config as settings
from . import db


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; test_config overrides settings (and may carry a CLOCK)."""
    config = settings.load(test_config)
    app = Flask(__name__, instance_path=str(settings.INSTANCE))
    _flask_settings(app, config)
    Path(config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    db.init_app(app, config)
    files = FileStore(Path(config["DATA_DIR"]) / "files")
    app.extensions["gridsafe.files"] = files
    app.extensions["gridsafe.engine"] = build_engine(config, (test_config or {}).get("CLOCK"), files)
    _extensions(app)
    _blueprints(app)
    return app


def _flask_settings(app: Flask, config: dict) -> None:
    secure = config["ENV"] == "production"
    app.config.update(
        GRIDSAFE=config, SECRET_KEY=config["SECRET_KEY"], MAX_CONTENT_LENGTH=config["MAX_REQUEST_BYTES"],
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SECURE=secure, REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None, RATELIMIT_STORAGE_URI=config["RATELIMIT_STORAGE_URI"],
        RATELIMIT_ENABLED=config.get("RATELIMIT_ENABLED", True),
        BABEL_DEFAULT_LOCALE=config["DEFAULT_LOCALE"], BABEL_DEFAULT_TIMEZONE=config["TIMEZONE"],
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
    )
    if config["ENV"] == "testing":
        app.config.update(TESTING=True, WTF_CSRF_ENABLED=config.get("WTF_CSRF_ENABLED", True))


def _extensions(app: Flask) -> None:
    from . import auth, errors, permissions, rendering
    from .extensions import babel, csrf, limiter
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_locale, timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"])
    auth.init_app(app)
    errors.init_app(app)
    rendering.init_app(app)
    app.before_request(permissions.enforce)
    app.context_processor(_navigation)


def _blueprints(app: Flask) -> None:
    from . import admin, api, auth, catalog, hazards, health, inbox, inspection_pages, people, reports
    from . import diagrams, library, migration, modeler
    from .extensions import csrf
    for blueprint in (health.bp, auth.bp, inbox.bp, admin.bp, people.bp, hazards.bp, catalog.bp, reports.bp,
                      inspection_pages.bp):
        app.register_blueprint(blueprint)
    for blueprint in (library.bp, modeler.bp, migration.bp, diagrams.bp):
        app.register_blueprint(blueprint)
    from . import outbox_admin, risk_pages
    for blueprint in (risk_pages.bp, outbox_admin.bp):
        app.register_blueprint(blueprint)
    from . import assessments, dashboard, summaries
    for blueprint in (dashboard.bp, summaries.bp, assessments.bp):
        app.register_blueprint(blueprint)
    api.init_app(app)
    for name in ("processes", "tasks", "instances", "messages", "attachments", "people_api", "hazards_api",
                 "models_api", "risk_api", "outbox_api", "kpi_api", "api-docs"):
        csrf.exempt(app.blueprints[name])   # the API authenticates by bearer token only, never by cookie


def _locale() -> str:
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale
    return session.get("lang") or request.accept_languages.best_match(["zh_CN", "zh", "en"]) or "zh_CN"


def _navigation() -> dict:
    if not getattr(current_user, "is_authenticated", False) or request.path.startswith("/api/"):
        return {}
    if "nav_counts" not in g:
        from records import notifications

        from . import work
        g.nav_counts = work.counts(db.session(), current_user)
        g.nav_counts["unread"] = notifications.unread_count(db.session(), current_user.id)
    return {"nav_counts": g.nav_counts}


def build_engine(config: dict, clock=None, files: FileStore | None = None) -> Engine:
    """The runtime with GridSafe's handlers, forms folder and settings."""
    forms_dir = Path(config["FORMS_DIR"])
    handler_settings = {k: v for k, v in config.items() if k not in ("SECRET_KEY", "CLOCK", "EXTRA_HANDLERS",
                                                                      "SMTP_PASSWORD", "SMS_PASSWORD", "SMS_TOKEN")}
    from . import decision_cases
    return Engine(
        handlers={**HANDLERS, **config.get("EXTRA_HANDLERS", {})},
        clock=clock,
        context_factory=functools.partial(Context, settings=handler_settings, files=files),
        form_check=functools.partial(forms.problem, folder=forms_dir),
        check_decisions=functools.partial(decision_cases.check, folder=Path(config["BPMN_DIR"]),
                                          factors=config.get("RISK_CLASS_FACTORS"),
                                          multiplier=config.get("RISK_OVERDUE_MULTIPLIER", 2)),
        max_model_bytes=config["MAX_MODEL_BYTES"],
    )


def engine_of(app: Flask) -> Engine:
    return app.extensions["gridsafe.engine"]
