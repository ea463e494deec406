"""The Flask app factory: builds the services' runtime from the settings once and wires the web parts
(sign-in, the role matrix, errors, rendering, the pages and the API) around it. HTTP only: every
decision is made in services/."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import flask_babel
from flask import Flask, g, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import services
from services import config as settings
from services import i18n, work

from . import api, auth, cleaning, current, db, errors, headers, metrics, permissions, rendering, tracing, unavailable
from .extensions import babel, compress, csrf
from .pages import (admin, assessments, catalog, dashboard, diagrams, hazards, health, inbox, inspections, library,
                    migration, modeler, offline, outbox, people, reports, risk, scenarios, status, summaries, trips)

PAGES = (health, auth, inbox, admin, people, hazards, catalog, reports, inspections, library, modeler, migration,
         diagrams, risk, outbox, dashboard, summaries, assessments, status, trips, offline, scenarios)


class BoundedInt(IntegerConverter):
    """An id in a path as the database can compare it (64 bits): a larger number becomes -1, an id that
    no row has, so the route answers as for any absent object instead of overflowing the driver."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= 2 ** 63 - 1 else -1


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; test_config overrides settings (and may carry a CLOCK)."""
    rt = services.build(test_config)
    app = Flask(__name__, instance_path=str(settings.INSTANCE))
    app.request_class = cleaning.CleanRequest
    app.url_map.converters["int"] = BoundedInt
    _flask_settings(app, rt.config)
    app.extensions["gridsafe.runtime"] = rt
    app.extensions["gridsafe.files"] = rt.files
    app.extensions["gridsafe.engine"] = rt.engine
    db.init_app(app, rt)
    tracing.init_app(app)                           # first, so that refused requests are logged and timed too
    metrics.init_app(app, rt.engine)
    i18n.install(_translate)
    _extensions(app)
    for module in PAGES:
        app.register_blueprint(module.bp)
    api.init_app(app)
    for name in api.BLUEPRINTS:
        csrf.exempt(app.blueprints[name])   # the API authenticates by bearer token only, never by cookie
    _behind_proxies(app, rt.config["PROXY_HOPS"])
    return app


def _behind_proxies(app: Flask, hops: int) -> None:
    """Behind a TLS proxy, take the client's address (the sign-in limit per address), the scheme (https
    links, secure cookies) and the host from the X-Forwarded-* headers the last `hops` proxies set; with 0,
    those headers are ignored, since a client could write them itself."""
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)


def _translate(message: str, **params) -> str:
    """services.i18n's translator: the request's language inside a request, the message id outside."""
    if has_request_context():
        return flask_babel.gettext(message, **params)
    return message % params if params else message


def _flask_settings(app: Flask, config: dict) -> None:
    secure = config["ENV"] == "production"
    app.config.update(
        GRIDSAFE=config, SECRET_KEY=config["SECRET_KEY"], MAX_CONTENT_LENGTH=config["MAX_REQUEST_BYTES"],
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SECURE=secure, REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None, PERMANENT_SESSION_LIFETIME=timedelta(days=config["REMEMBER_DAYS"]),
        BABEL_DEFAULT_LOCALE=config["DEFAULT_LOCALE"], BABEL_DEFAULT_TIMEZONE=config["TIMEZONE"],
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        # static text (scripts, styles, diagram bundles) and JSON go out compressed; HTML pages do not:
        # they carry the CSRF token next to what the user typed (BREACH)
        COMPRESS_MIMETYPES=["text/css", "text/javascript", "application/javascript", "application/json",
                            "image/svg+xml", "application/manifest+json"],
        COMPRESS_ALGORITHM=["br", "gzip"], COMPRESS_MIN_SIZE=500, COMPRESS_STREAMS=False,
    )
    if config["ENV"] == "testing":
        app.config.update(TESTING=True, WTF_CSRF_ENABLED=config.get("WTF_CSRF_ENABLED", True))


def _extensions(app: Flask) -> None:
    csrf.init_app(app)
    compress.init_app(app)
    app.after_request(_compressible_static)     # runs before compression (after_request runs last-first)
    babel.init_app(app, locale_selector=_locale, timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"])
    auth.init_app(app)
    errors.init_app(app)
    unavailable.init_app(app)
    headers.init_app(app)
    rendering.init_app(app)
    app.before_request(permissions.enforce)
    app.context_processor(_navigation)


def _compressible_static(response):
    """Static files are sent straight from disk, which compression leaves alone: read them instead."""
    if request.endpoint == "static" and response.status_code == 200:
        response.direct_passthrough = False
        response.get_data()                      # now a body in memory, no longer a stream
    return response


def _locale() -> str:
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale
    return session.get("lang") or request.accept_languages.best_match(["zh_CN", "zh", "en"]) or "zh_CN"


def _navigation() -> dict:
    if not getattr(current_user, "is_authenticated", False) or request.path.startswith("/api/"):
        return {}
    if "nav_counts" not in g:
        g.nav_counts = work.counts(current.runtime(), db.session(), current.actor())
    return {"nav_counts": g.nav_counts}


def engine_of(app: Flask):
    """The app's engine (tests and benchmarks reach it this way)."""
    return app.extensions["gridsafe.engine"]
