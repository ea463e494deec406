"""Error responses: application/problem+json for the API, a page with a way back for people."""
from __future__ import annotations

from flask import current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

import services
from services.errors import EngineError


def problem(status: int, title: str, detail: str | None = None, *, errors: dict | None = None, **extra):
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def engine_status(err: EngineError) -> int:
    return getattr(err, "status", 400)


def render_page_error(err: HTTPException):
    """The error page for people (with a way back), for any HTTP error outside the API."""
    detail = getattr(err, "description", None) if (err.code or 500) in (409, 429) else None
    if err.code == 413:
        detail = too_large()
    return render_template("error.html", code=err.code, title=_page_title(err.code), detail=detail), err.code


def too_large() -> str:
    """What a request over the byte limit is told: the limit."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return _("A request may carry at most %(limit)s MB; send fewer or smaller photos at a time.",
             limit=round(limit / (1024 * 1024), 1) if limit % (1024 * 1024) else limit // (1024 * 1024))


def init_app(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if request.path.startswith("/api/"):
            return problem(err.code or 500, err.name, too_large() if err.code == 413 else err.description)
        return render_page_error(err)

    app.register_error_handler(services.ServiceError, service_error)

    @app.errorhandler(EngineError)
    def engine_error(err: EngineError):
        status = engine_status(err)
        if request.path.startswith("/api/"):
            return problem(status, type(err).__name__, str(err))
        return render_template("error.html", code=status, title=_page_title(status), detail=str(err)), status


def service_error(err: services.ServiceError):
    """A use case's refusal: a problem document for the API, the error page for people (NotYet: with
    Retry-After)."""
    if request.path.startswith("/api/"):
        response = problem(err.status, _api_title(err.status), err.message or None, errors=err.errors or None)
    else:
        response = make_response(render_template("error.html", code=err.status, title=_page_title(err.status),
                                                 detail=err.message or None), err.status)
    if isinstance(err, services.NotYet):
        response.headers["Retry-After"] = str(err.retry_after)
    return response


def _api_title(code: int) -> str:
    return {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
            422: "Unprocessable Entity", 503: "Service Unavailable"}.get(code, "Error")


def _page_title(code: int | None) -> str:
    return {
        400: _("The request could not be understood"),
        401: _("Please sign in"),
        403: _("You do not have access to this page"),
        404: _("Not found"),
        405: _("Not allowed"),
        409: _("Someone else changed this first"),
        413: _("The upload is too large"),
        422: _("Please correct the marked fields"),
        429: _("Too many attempts; wait a minute and try again"),
    }.get(code or 500, _("Something went wrong"))
