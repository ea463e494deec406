"""The scope of an indicator query: a period as UTC instants, the moment its state is read and the
filters, and the shape of the counts answered for it (by group). Its own module, so that records/kpi.py
(the sets and counting), records/kpi_conditions.py (the conditions the sets are made of) and
records/snapshots.py (the counts kept per month) use it without importing each other. Plain data; no query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from .workdays import WEEKENDS_ONLY, WorkCalendar


@dataclass(frozen=True)
class Scope:
    """A period, the moment its state is read, and the filters (None: no restriction)."""

    first_day: date
    last_day: date
    start: datetime
    end: datetime
    as_of: datetime
    zone: str = "Asia/Shanghai"
    branch_ids: tuple | None = None
    team_ids: tuple | None = None
    klass: str | None = None          # a customer class, or "none" for customers without one
    industry: str | None = None
    live: bool = False                # as_of is now: the hazard's own columns are its state
    supervise_days: int = 3           # an overdue hazard is supervised (督导单 delivered) within this
    accept_days: int = 5              # a reported rectification is checked on site within this
    calendar: WorkCalendar = WEEKENDS_ONLY   # what a working day is (holidays, 调休)
    read_at: datetime | None = None   # when it is asked (now): a period's rule that reaches past its end, e.g.
                                      # a notice delivered within 1 working day of discovery, is read up to here
    hazard_ids: tuple | None = None   # only these hazards (a correction counts a few again: records/kpi_compose.py)
    cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def as_of_day(self) -> date:
        return (self.as_of - timedelta(microseconds=1)).astimezone(ZoneInfo(self.zone)).date()

    @property
    def running(self) -> bool:
        return self.as_of < self.end

    @property
    def future(self) -> bool:
        """Nothing of the period has happened yet: every set is empty."""
        return self.as_of <= self.start


def next_month(first_day: date) -> date:
    """The first day of the month after the one of first_day."""
    return date(first_day.year + (first_day.month == 12), first_day.month % 12 + 1, 1)


def month_end(day: date) -> date:
    """The last day of day's month."""
    return next_month(day.replace(day=1)) - timedelta(days=1)


def local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(timezone.utc)


def make_scope(first_day: date, last_day: date, now: datetime, zone: str = "Asia/Shanghai", **filters) -> Scope:
    """The scope of the local days first_day..last_day (inclusive), read as of min(end, now)."""
    start, end = local_midnight(first_day, zone), local_midnight(last_day + timedelta(days=1), zone)
    as_of = max(start, min(end, now))
    return Scope(first_day=first_day, last_day=last_day, start=start, end=end, as_of=as_of, zone=zone,
                 live=as_of >= now, read_at=now, **filters)


def column_filters(scope: Scope, branch, team, klass, industry) -> list:
    """The scope's filters (branches, teams, customer class — "none" for customers without one — and
    industry) as conditions on the given columns, for the tables that carry them (customers, snapshots)."""
    conditions = []
    if scope.branch_ids is not None:
        conditions.append(branch.in_(scope.branch_ids))
    if scope.team_ids is not None:
        conditions.append(team.in_(scope.team_ids))
    if scope.klass:
        conditions.append(klass.is_(None) if scope.klass == "none" else klass == scope.klass)
    if scope.industry:
        conditions.append(industry == scope.industry)
    return conditions


def groups_of(group) -> tuple:
    """A count's grouping as a tuple: none, one group ("team"), or several (("team", "class"))."""
    return () if group is None else (group,) if isinstance(group, str) else tuple(group)


def collect(rows, names, group) -> dict:
    """{key: {name: count}} from rows of (group values..., counts in the order of names): the key is the
    group's value, a tuple for several groups, None without one (then always present)."""
    width = len(groups_of(group))
    out = {}
    for row in rows:
        key = None if not width else row[0] if isinstance(group, str) else tuple(row[:width])
        out[key] = {n: int(v or 0) for n, v in zip(names, row[width:])}
    if not width and None not in out:
        out[None] = {n: 0 for n in names}
    return out
