"""What a use case answers when it refuses: the interfaces turn each into their own form of no.

Pages show an error page or the form again with the field errors; the API answers a problem
document with the status; the CLI prints the message and exits non-zero. Messages are already
translated for the actor (services.i18n) when they are raised.
"""
from __future__ import annotations


class ServiceError(Exception):
    """A refusal with an HTTP-like status and a message a person can act on."""

    status = 400

    def __init__(self, message: str = "", *, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(ServiceError):
    """Absent, or outside the actor's scope: the two are answered alike, so scope leaks nothing."""

    status = 404


class Forbidden(ServiceError):
    """The actor sees the object but may not do this to it (e.g. a task offered to someone else)."""

    status = 403


class Conflict(ServiceError):
    """Someone else changed the object first, or it is no longer in a state that allows this."""

    status = 409


class Invalid(ServiceError):
    """The input is refused; `errors` maps field names to messages."""

    status = 422


class NotYet(ServiceError):
    """Not possible yet, and the same request will be in a moment (e.g. the document a task delivers is
    still being generated): 503 with Retry-After, which a queue sends again."""

    status = 503
    retry_after = 2


# What the engine and the database answer, named here so that the interfaces map them without
# reaching into the engine themselves.
from engine import STATUSES as INSTANCE_STATUSES, Conflict as EngineConflict, EngineError  # noqa: E402
from engine.transient import is_busy, is_outage  # noqa: E402

__all__ = ["ServiceError", "NotFound", "Forbidden", "Conflict", "Invalid", "NotYet", "EngineError", "EngineConflict", "INSTANCE_STATUSES",
           "is_busy", "is_outage"]
