"""Working days: Monday to Friday, minus the public holidays, plus the make-up working days (调休).

China's calendar moves every year (the State Council publishes the holidays and the weekend days
worked in exchange), so both lists are settings (GRIDSAFE_HOLIDAYS, GRIDSAFE_MAKEUP_WORKDAYS) rather
than rules. Without them only weekends are days off.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset = frozenset()      # dates off, weekdays or not
    workdays: frozenset = frozenset()      # weekend dates worked (调休上班)

    def is_working(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day.weekday() < 5 or day in self.workdays

    def add(self, day: date, days: int) -> date:
        """The day `days` working days after `day`."""
        while days > 0:
            day += timedelta(days=1)
            if self.is_working(day):
                days -= 1
        return day

    def max_span(self, days: int) -> int:
        """The most calendar days that `days` working days can take from any day, plus one (a time on the
        first day to the end of the last): beyond it a delay is never within `days` working days."""
        return _max_span(self, days)


@lru_cache(maxsize=64)
def _max_span(calendar: WorkCalendar, days: int) -> int:
    starts = {date(2026, 1, 5) + timedelta(days=i) for i in range(7)}       # an ordinary week
    for special in calendar.holidays | calendar.workdays:
        starts.update(special + timedelta(days=i) for i in range(-30, 2))
    return max((calendar.add(d, days) - d).days for d in starts) + 1


WEEKENDS_ONLY = WorkCalendar()


def _dates(entries, name: str) -> set[date]:
    if not isinstance(entries, list):
        raise ValueError(f"GRIDSAFE_{name} must be a JSON list of dates such as [\"2026-10-01..2026-10-08\", "
                         f"\"2026-09-28\"], not {entries!r}")
    out: set[date] = set()
    for entry in entries:
        text = str(entry).strip()
        first, _, last = text.partition("..")
        try:
            start = date.fromisoformat(first.strip())
            end = date.fromisoformat(last.strip()) if last else start
        except ValueError:
            raise ValueError(f"GRIDSAFE_{name}: {text!r} is not a date YYYY-MM-DD or a range "
                             f"YYYY-MM-DD..YYYY-MM-DD") from None
        if end < start or (end - start).days > 31:
            raise ValueError(f"GRIDSAFE_{name}: the range {text!r} must run forwards and span at most 31 days")
        out.update(start + timedelta(days=i) for i in range((end - start).days + 1))
    return out


def from_settings(settings: dict) -> WorkCalendar:
    """The calendar of the settings HOLIDAYS and MAKEUP_WORKDAYS (ValueError with the fix when malformed)."""
    holidays = _dates(settings.get("HOLIDAYS") or [], "HOLIDAYS")
    workdays = _dates(settings.get("MAKEUP_WORKDAYS") or [], "MAKEUP_WORKDAYS")
    both = holidays & workdays
    if both:
        raise ValueError(f"{min(both).isoformat()} is both in GRIDSAFE_HOLIDAYS and in GRIDSAFE_MAKEUP_WORKDAYS")
    if not holidays and not workdays:
        return WEEKENDS_ONLY
    return WorkCalendar(frozenset(holidays), frozenset(workdays))
