"""The database for the web app and the CLI: one SQLAlchemy engine, one session per request."""
from __future__ import annotations

from flask import current_app, g

from engine.database import make_engine, make_session_factory


def init_app(app, config: dict) -> None:
    sa = make_engine(config["DATABASE_URL"], sqlite_synchronous=config["SQLITE_SYNCHRONOUS"],
                     busy_timeout_ms=config["DB_BUSY_TIMEOUT_MS"])
    app.extensions["gridsafe.sa"] = sa
    app.extensions["gridsafe.sessions"] = make_session_factory(sa)
    app.teardown_appcontext(_close)


def session():
    """This request's (or command's) session, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["gridsafe.sessions"]()
    return g.db_session


def session_factory():
    return current_app.extensions["gridsafe.sessions"]


def _close(_exc=None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()
