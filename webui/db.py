"""The database for the web app: one session per request, from the runtime's session factories.

GET and HEAD requests get a read-only session (on SQLite it never takes the write lock); other
requests get a session whose transactions start as writers.
"""
from __future__ import annotations

from flask import current_app, g, has_request_context, request

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def init_app(app, rt) -> None:
    app.extensions["gridsafe.sa"] = rt.sa
    app.extensions["gridsafe.sessions"] = rt.sessions
    app.extensions["gridsafe.read_sessions"] = rt.read_sessions
    app.teardown_appcontext(_close)


def session():
    """This request's (or command's) session, opened on first use."""
    if "db_session" not in g:
        read_only = has_request_context() and request.method in READ_METHODS
        factory = current_app.extensions["gridsafe.read_sessions" if read_only else "gridsafe.sessions"]
        g.db_session = factory()
    return g.db_session


def session_factory():
    """For work that opens its own transactions (the scheduler sweep)."""
    return current_app.extensions["gridsafe.sessions"]


def release() -> None:
    """Close this request's (or command's) session now, ending its transaction."""
    s = g.pop("db_session", None)
    if s is not None:
        s.close()


def _close(_exc=None) -> None:
    release()
