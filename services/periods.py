"""Periods as people name them: "2026-03" (a month), "2026-Q1" (a quarter), "2026" (a year), and the
labels the indicators, the government reports and the team assessments use for them. Plain dates;
no query, no scope.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from records.kpi_scope import month_end

from .errors import ServiceError
from .i18n import _

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ServiceError):
    """A period or filter that cannot be answered (the message says why): 400."""


def month_period(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def quarter_period(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def period_days(text: str) -> tuple[date, date, str]:
    """(first day, last day, kind) of '2026-03', '2026-Q1' or '2026'; PeriodError otherwise."""
    text = (text or "").strip()
    if m := MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(_("There is no month %(month)s.", month=text))
        first = date(year, month, 1)
        return first, month_end(first), "month"
    if m := QUARTER.match(text):
        year, quarter = int(m.group(1)), int(m.group(2))
        first = date(year, 3 * quarter - 2, 1)
        return first, month_end(date(year, 3 * quarter, 1)), "quarter"
    if m := YEAR.match(text):
        year = int(m.group(1))
        return date(year, 1, 1), date(year, 12, 31), "year"
    raise PeriodError(_("Give the period as a month (2026-03), a quarter (2026-Q1), a year (2026) or two dates."))


def month_or_quarter(text: str, message: str) -> tuple[date, date, str, str]:
    """(first day, last day, kind, label) of a month or a quarter; PeriodError(message) for a year."""
    first, last, kind = period_days(text)
    if kind not in ("month", "quarter"):
        raise PeriodError(message)
    return first, last, kind, month_period(first) if kind == "month" else quarter_period(first)


def day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(_("%(what)s is not a date (YYYY-MM-DD).", what=what)) from None


def last_period(kind: str, today: date) -> str:
    """The newest month or quarter that has ended by today."""
    first_of_month = today.replace(day=1)
    if kind == "quarter":
        first_of_quarter = first_of_month.replace(month=3 * ((today.month - 1) // 3) + 1)
        return quarter_period(first_of_quarter - timedelta(days=1))
    return month_period(first_of_month - timedelta(days=1))


def refuse_future(first: date, today: date) -> None:
    if first > today:
        raise PeriodError(_("The period %(period)s lies in the future: there is nothing to count yet.",
                            period=first.isoformat()))
