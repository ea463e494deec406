"""Database errors that say "not now" rather than "never": a deadlock, a serialization failure, a lock
that could not be had in time, a lost connection, a database that does not answer.

Such an error inside an engine call is never stored as the instance's own error: the call is rolled
back and raised, and whoever runs it retries a bounded number of times (the scheduler) or answers
503 with Retry-After (a request). `attempts` is the one bounded retry loop.
"""
from __future__ import annotations

import logging
import time
from typing import Callable, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")

# SQLSTATE: serialization_failure, deadlock_detected, lock_not_available, and the connection classes
_RETRY_CODES = {"40001", "40P01", "55P03"}
_OUTAGE_CLASSES = ("08", "57P")          # connection exception; operator intervention (admin shutdown...)
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
_SQLITE_GONE = ("unable to open database", "disk i/o error")


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__


def _code(exc: BaseException) -> str:
    orig = getattr(exc, "orig", exc)
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")


def is_outage(exc: BaseException | None) -> bool:
    """The database cannot be reached (or dropped the connection): nothing to do but wait."""
    for err in _chain(exc):
        if isinstance(err, DBAPIError) and err.connection_invalidated:
            return True
        if isinstance(err, OperationalError):
            if type(getattr(err, "orig", None)).__module__.startswith("sqlite3"):
                if any(words in str(err).lower() for words in _SQLITE_GONE):
                    return True
            elif not _code(err) or _code(err).startswith(_OUTAGE_CLASSES):
                return True
    return False


def is_busy(exc: BaseException | None) -> bool:
    """Another transaction was in the way (deadlock, serialization, lock wait): trying again may work."""
    for err in _chain(exc):
        if isinstance(err, DBAPIError):
            if _code(err) in _RETRY_CODES or any(words in str(err).lower() for words in _SQLITE_BUSY):
                return True
    return False


def is_conflict(exc: BaseException | None) -> bool:
    """PostgreSQL gave up on this transaction for another's sake (deadlock, serialization failure):
    running it again at once usually works. (SQLite's "locked" has waited its busy timeout already.)"""
    return any(isinstance(err, DBAPIError) and _code(err) in ("40001", "40P01") for err in _chain(exc))


def is_transient(exc: BaseException | None) -> bool:
    return is_busy(exc) or is_outage(exc)


def database_error(exc: BaseException) -> BaseException:
    """The database's own error behind wrappers (a failed service task), or exc itself."""
    for err in _chain(exc):
        if isinstance(err, DBAPIError):
            return err
    return exc


def attempts(work: Callable[[], T], *, tries: int = 3, pause: float = 0.2, what: str = "",
             retry_if: Callable[[BaseException], bool] = is_transient) -> T:
    """work(), again after a short pause (doubling) while it fails with a transient error (`retry_if`);
    at most `tries` times, then the last error is raised. work must start its own transaction (or run
    in a session that the failure rolled back)."""
    for attempt in range(1, tries + 1):
        try:
            return work()
        except Exception as err:
            if attempt == tries or not retry_if(err):
                raise
            log.warning("%s: transient database error (attempt %d of %d), trying again: %s",
                        what or "database work", attempt, tries, str(err).splitlines()[0])
            time.sleep(pause * 2 ** (attempt - 1))
    raise AssertionError("unreachable")
