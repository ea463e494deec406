"""The Flask app factory: reads the configuration once and wires engine, handlers, forms and records.

Flask is imported inside the functions, not here: `gridsafe tick` and `gridsafe scheduler` (webui.cli)
import this package and must run without the web framework.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import services
from engine import Engine
from services import config as settings
from services import i18n

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; test_config overrides settings (and may carry a CLOCK)."""
    from flask import Flask

    from . import db
    rt = services.build(test_config)
    config = rt.config
    app = Flask(__name__, instance_path=str(settings.INSTANCE))
    _flask_settings(app, config)
    app.extensions["gridsafe.runtime"] = rt
    app.extensions["gridsafe.files"] = rt.files
    app.extensions["gridsafe.engine"] = rt.engine
    db.init_app(app, rt)
    i18n.install(_translate)
    _extensions(app)
    _blueprints(app)
    return app


def _translate(message: str, **params) -> str:
    """services.i18n's translator: the request's language inside a request, the message id outside."""
    import flask_babel
    from flask import has_request_context
    if has_request_context():
        return flask_babel.gettext(message, **params)
    return message % params if params else message


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
    from . import api, auth
    from .pages import admin, diagrams, inbox
    from .pages import catalog, hazards, reports
    from .pages import health, people
    from .pages import inspections
    from .pages import library, migration, modeler
    from .extensions import csrf
    for blueprint in (health.bp, auth.bp, inbox.bp, admin.bp, people.bp, hazards.bp, catalog.bp, reports.bp,
                      inspections.bp):
        app.register_blueprint(blueprint)
    for blueprint in (library.bp, modeler.bp, migration.bp, diagrams.bp):
        app.register_blueprint(blueprint)
    from .pages import outbox, risk
    for blueprint in (risk.bp, outbox.bp):
        app.register_blueprint(blueprint)
    from .pages import assessments, dashboard, summaries
    for blueprint in (dashboard.bp, summaries.bp, assessments.bp):
        app.register_blueprint(blueprint)
    api.init_app(app)
    for name in ("processes", "tasks", "instances", "messages", "attachments", "people_api", "hazards_api",
                 "models_api", "risk_api", "outbox_api", "kpi_api", "api-docs"):
        csrf.exempt(app.blueprints[name])   # the API authenticates by bearer token only, never by cookie


def _locale() -> str:
    from flask import request, session
    from flask_login import current_user
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale
    return session.get("lang") or request.accept_languages.best_match(["zh_CN", "zh", "en"]) or "zh_CN"


def _navigation() -> dict:
    from flask import g, request
    from flask_login import current_user
    if not getattr(current_user, "is_authenticated", False) or request.path.startswith("/api/"):
        return {}
    if "nav_counts" not in g:
        from records import notifications
        from services import work

        from . import current, db
        g.nav_counts = work.counts(current.runtime(), db.session(), current.actor())
        g.nav_counts["unread"] = notifications.unread_count(db.session(), current_user.id)
    return {"nav_counts": g.nav_counts}


def engine_of(app: Flask) -> Engine:
    return app.extensions["gridsafe.engine"]
