"""503 with Retry-After when the database says "not now": it does not answer (an outage), or a write
could not get its lock within the busy timeout (SQLite) or lost a deadlock. Nothing of the request was
saved, and the client is told when to try again instead of reading a 500. Other database errors stay
500s."""
from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError

from services import errors as faults

from .errors import problem

RETRY_BUSY_SECONDS = 5
RETRY_OUTAGE_SECONDS = 30


def init_app(app) -> None:
    app.register_error_handler(DBAPIError, database_error)


def database_error(err: DBAPIError):
    if "_login_user" not in g:      # who is asking cannot be known without the database: no one, for this answer
        g._login_user = current_app.login_manager.anonymous_user()
    if faults.is_outage(err):
        detail, seconds = _("The database cannot be reached at the moment; nothing was saved. "
                            "Please try again in a minute."), RETRY_OUTAGE_SECONDS
    elif faults.is_busy(err):
        detail, seconds = _("The database is busy with other changes; nothing was saved. "
                            "Please try again in a moment."), RETRY_BUSY_SECONDS
    else:
        current_app.logger.error("database error on %s %s", request.method, request.path, exc_info=err)
        if request.path.startswith("/api/"):
            return problem(500, "Internal Server Error")
        return render_template("error.html", code=500, title=_("Something went wrong")), 500
    current_app.logger.warning("503 on %s %s: %s", request.method, request.path, str(err).splitlines()[0])
    title = _("The service is briefly unavailable")
    if request.path.startswith("/api/"):
        response = problem(503, "Service Unavailable", detail)
    else:
        response = current_app.make_response(
            (render_template("error.html", code=503, title=title, detail=detail), 503))
    response.headers["Retry-After"] = str(seconds)
    return response

