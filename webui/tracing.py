"""Each request gets an id (the caller's X-Request-ID when it is a sane token, a new one otherwise): it is
set for the engine's audit events and the log lines of the request, sent back in X-Request-ID, and the
request ends with one JSON log line (route, status, time taken, who)."""
from __future__ import annotations

import logging
import re
import time

from flask import g, request
from flask_login import current_user

from services import logs

LOG = logging.getLogger("gridsafe.http")
SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def init_app(app) -> None:
    app.before_request(_begin)
    app.after_request(_end)
    app.teardown_request(_reset)


def _begin() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if SANE.fullmatch(given) else logs.new_id()
    request.environ["gridsafe.request_id"] = g.request_id      # named by gridsafe serve's watchdog if it hangs
    g.request_id_token = logs.bind(g.request_id)
    g.request_started = time.perf_counter()


def _end(response):
    rid = g.get("request_id")
    if rid is None:
        return response
    response.headers["X-Request-ID"] = rid
    took = time.perf_counter() - g.get("request_started", time.perf_counter())
    user = getattr(current_user, "username", None) if getattr(current_user, "is_authenticated", False) else None
    LOG.info("%s %s %s", request.method, request.path, response.status_code,
             extra={"event": "request", "method": request.method, "path": request.path,
                    "route": request.url_rule.rule if request.url_rule is not None else None,
                    "status": response.status_code, "duration_ms": round(took * 1000, 1), "user": user})
    return response


def _reset(_error=None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        logs.unbind(token)
