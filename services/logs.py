"""Logs as one JSON object per line (python-json-logger on the standard library's logging), each carrying
the id of the request or scheduler tick it belongs to, the same id the audit trail stores
(engine.audit.REQUEST_ID). `gridsafe serve` and `gridsafe scheduler` configure it; GRIDSAFE_LOG_FORMAT=text
keeps plain lines for a developer's terminal."""
from __future__ import annotations

import logging
import sys
import uuid
from contextlib import contextmanager

from pythonjsonlogger.json import JsonFormatter

from engine.audit import REQUEST_ID

FIELDS = ["levelname", "name", "message"]
RENAMED = {"levelname": "level", "name": "logger"}
ENGINE_LOGGER = "spiff"


class RequestIdFilter(logging.Filter):
    """Put the current request id (or None) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(FIELDS, rename_fields=RENAMED, timestamp="time", json_ensure_ascii=False)


def make_handler(format: str = "json", stream=None) -> logging.Handler:
    """A stderr handler writing JSON lines (format json) or plain ones (text), with the request id."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    if format == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    handler.gridsafe = True
    return handler


def configure(config: dict, stream=None) -> logging.Handler:
    """One handler on the root logger (replacing an earlier one of ours); returns it."""
    handler = make_handler(config.get("LOG_FORMAT") or "json", stream)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "gridsafe", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(config.get("LOG_LEVEL") or "INFO")
    logging.getLogger(ENGINE_LOGGER).setLevel(engine_level(config))
    return handler


def engine_level(config: dict) -> str:
    """SpiffWorkflow logs each task's state changes at INFO with the task's whole data: personal data in the
    log and most of its lines (85% of a server's under the API bench). WARNING unless asked for."""
    return config.get("ENGINE_LOG_LEVEL") or "WARNING"


def gunicorn_logconfig(config: dict) -> dict:
    """gunicorn's logging (it applies this with dictConfig in the master and each worker): its own lines
    (start, worker boot and exit) and everything else go through our handler on the root logger."""
    return {"version": 1, "disable_existing_loggers": False,
            "handlers": {"gridsafe": {"()": "services.logs.make_handler",
                                      "format": config.get("LOG_FORMAT") or "json"}},
            "root": {"level": config.get("LOG_LEVEL") or "INFO", "handlers": ["gridsafe"]},
            "loggers": {"gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
                        ENGINE_LOGGER: {"level": engine_level(config), "handlers": [], "propagate": True},
                        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False}}}


def new_id(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex[:16]


def bind(value: str | None):
    """From now on (in this context) log lines and audit events carry `value`; a token for unbind."""
    return REQUEST_ID.set(value)


def unbind(token) -> None:
    try:
        REQUEST_ID.reset(token)
    except ValueError:                      # set in another context (a torn-down request): just clear it
        REQUEST_ID.set(None)


@contextmanager
def request_id(value: str):
    """Within the block, log lines and audit events carry `value`."""
    token = bind(value)
    try:
        yield value
    finally:
        unbind(token)
