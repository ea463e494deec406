"""What an operator on call needs to see: the database, the schedulers, timers, the outbox, instances in
error, sizes, and the years the working-day calendar does not cover. Read-only; the admin page 系统状态
and /metrics read it, the runtime logs the calendar's gaps when it starts."""
from __future__ import annotations

import logging
from datetime import timedelta

from records import workdays

LOG = logging.getLogger("gridsafe.status")
CALENDAR_HORIZON_DAYS = 60          # deadlines reach this far ahead: a year within it must be known


def calendar_gaps(config: dict, today) -> list[int]:
    """The years of today and the next CALENDAR_HORIZON_DAYS whose holidays nobody gives (the package
    does not cover them yet and no GRIDSAFE_HOLIDAYS entry falls in them)."""
    years = sorted({today.year, (today + timedelta(days=CALENDAR_HORIZON_DAYS)).year})
    return workdays.uncovered_years(config, years)


def log_calendar_gaps(config: dict, today) -> list[int]:
    """Warn once per start about the years counted with weekends only."""
    gaps = calendar_gaps(config, today)
    for year in gaps:
        LOG.warning("working-day calendar does not cover %s: only weekends count as days off; update the "
                    "chinese-calendar package or set GRIDSAFE_HOLIDAYS and GRIDSAFE_MAKEUP_WORKDAYS for %s",
                    year, year, extra={"event": "calendar_not_covered", "year": year})
    return gaps
