"""The context a service-task handler receives: everything it may touch, passed in, never global."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Callable
from zoneinfo import ZoneInfo


@dataclass
class Context:
    """The open session (never committed by a handler), the clock, who acts, on which instance."""

    session: Any
    clock: Any
    actor: str
    instance_id: int
    business_key: str | None
    element_id: str | None
    audit: Callable[..., None]
    describe: Callable[..., None] = lambda **_: None
    start_process: Callable[..., int] | None = None
    decide: Callable[[str, dict], tuple] | None = None     # (decision id, inputs) -> (outputs, "file vN")
    settings: dict = field(default_factory=dict)
    files: Any = None
    documents_queued: Callable[[Any], None] | None = None     # session -> None: a render job was queued in it

    def now(self) -> datetime:
        return self.clock.now()


def zone(ctx) -> str:
    """The company's time zone name (TIMEZONE; Asia/Shanghai when unset or empty)."""
    return ctx.settings.get("TIMEZONE") or "Asia/Shanghai"


def local_today(ctx) -> date:
    """Today in the company's time zone."""
    return ctx.now().astimezone(ZoneInfo(zone(ctx))).date()


def end_of_day(ctx, day: date) -> datetime:
    """23:59:59 of a local day, as a UTC instant (deadlines are whole days for the customer)."""
    return datetime.combine(day, time(23, 59, 59), ZoneInfo(zone(ctx))).astimezone(ZoneInfo("UTC"))
