"""The one clock of the runtime. Everything that asks "what time is it?" asks a Clock.

Times are timezone-aware UTC. Tests and `gridsafe tick --now` use a FixedClock
instead of sleeping.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone


def utc(dt: datetime) -> datetime:
    """Return dt as an aware UTC datetime (naive values are taken as UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive value is taken as UTC. Raises ValueError."""
    return utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


class Clock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, at: datetime | str):
        self._at = parse_instant(at) if isinstance(at, str) else utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime | str) -> None:
        self._at = parse_instant(at) if isinstance(at, str) else utc(at)

    def advance(self, **delta) -> datetime:
        self._at += timedelta(**delta)
        return self._at
