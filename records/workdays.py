"""Working days: Monday to Friday, minus the public holidays, plus the make-up working days (调休).

China's calendar moves every year: the State Council publishes the holidays and the weekend days worked
in exchange each autumn. They come from the kept calendar of the `chinese_calendar` package (the State
Council's notices, 2004 up to the year its release covers); the settings GRIDSAFE_HOLIDAYS and
GRIDSAFE_MAKEUP_WORKDAYS add to it or override it day by day (a year the package does not cover yet, a
local holiday). GRIDSAFE_WORKDAY_CALENDAR=weekends leaves the package out: then only the settings count.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

KEPT = "chinese_calendar"          # the State Council's calendar, published each year
WEEKENDS = "weekends"              # only weekends and the configured days
SOURCES = (KEPT, WEEKENDS)


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


@lru_cache(maxsize=1)
def _kept() -> tuple[frozenset, frozenset, range]:
    """(holidays, make-up working days, years covered) of the kept calendar."""
    from chinese_calendar import constants
    years = {day.year for day in constants.holidays}
    return frozenset(constants.holidays), frozenset(constants.workdays), range(min(years), max(years) + 1)


def covered_years() -> range:
    """The years whose holidays and make-up days the kept calendar knows."""
    return _kept()[2]


def uncovered_years(settings: dict, years) -> list[int]:
    """Those of `years` for which nobody says which days are off: neither the kept calendar (when used)
    nor a configured holiday in that year. Deadlines in them count only weekends as days off."""
    configured = {day.year for day in _dates(settings.get("HOLIDAYS") or [], "HOLIDAYS")}
    kept = covered_years() if _source(settings) == KEPT else range(0)
    return [year for year in years if year not in kept and year not in configured]


def _source(settings: dict) -> str:
    source = settings.get("WORKDAY_CALENDAR") or KEPT
    if source not in SOURCES:
        raise ValueError(f"GRIDSAFE_WORKDAY_CALENDAR must be {KEPT} or {WEEKENDS}, not {source!r}")
    return source


def from_settings(settings: dict) -> WorkCalendar:
    """The kept calendar with the settings HOLIDAYS and MAKEUP_WORKDAYS laid over it: a configured day
    wins over the package's (ValueError with the fix when malformed)."""
    holidays = _dates(settings.get("HOLIDAYS") or [], "HOLIDAYS")
    workdays = _dates(settings.get("MAKEUP_WORKDAYS") or [], "MAKEUP_WORKDAYS")
    both = holidays & workdays
    if both:
        raise ValueError(f"{min(both).isoformat()} is both in GRIDSAFE_HOLIDAYS and in GRIDSAFE_MAKEUP_WORKDAYS")
    if _source(settings) == KEPT:
        kept_holidays, kept_workdays, _ = _kept()
        holidays, workdays = (kept_holidays - workdays) | holidays, (kept_workdays - holidays) | workdays
    if not holidays and not workdays:
        return WEEKENDS_ONLY
    return _calendar(frozenset(holidays), frozenset(workdays))


@lru_cache(maxsize=8)
def _calendar(holidays: frozenset, workdays: frozenset) -> WorkCalendar:
    """The same object for the same days, so max_span is computed once per calendar and process."""
    return WorkCalendar(holidays, workdays)
