"""Month-end snapshots of the indicators (domain.md §8): a closed month is counted once and read back.

A past month's numbers never change (everything is read as of the month's end), so once the month is
closed — after the 1 working day the notice rule may reach past its end — the counts of every named set
of records.kpi are written once per combination of the filters and groupings a query can ask for
(branch, team, customer class, industry; severity for hazards), and the grades customers stood at.
A query for that whole month then sums a few rows instead of re-reading every hazard's timeline.

A snapshot is used only when it was written with the settings the query uses (zone, the supervision
and acceptance days, the working-day calendar: the `settings` fingerprint); otherwise, and for the
running month or any other period, the live computation answers. The model and reading here; counting a
month in records/snapshot_counts.py; who counts a month and when in services/snapshots.py.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from sqlalchemy import JSON, Index, Integer, String, and_, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime
from .kpi_scope import Scope

HAZARD = "hazard"
INSPECTION = "inspection"
GRADE = "grade"
DIMENSIONS = ("branch_id", "team_id", "klass", "industry", "severity")


class IndicatorMonth(Base):
    """A closed month: when it was counted and with which settings."""

    __tablename__ = "indicator_month"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)          # 2026-03
    settings: Mapped[str] = mapped_column(String(40))                         # fingerprint (see settings_key)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hazards: Mapped[int] = mapped_column(Integer, default=0)                  # rows counted, for the admin


class IndicatorCount(Base):
    """The counts of every named set (or grade) of one combination of filter values in a closed month."""

    __tablename__ = "indicator_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(12))            # hazard | inspection | grade
    branch_id: Mapped[int | None] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(Integer)
    klass: Mapped[str | None] = mapped_column(String(20))
    industry: Mapped[str | None] = mapped_column(String(80))
    severity: Mapped[str | None] = mapped_column(String(12))
    counts: Mapped[dict] = mapped_column(JSON)


Index("ix_indicator_count_month", IndicatorCount.month, IndicatorCount.kind)


def settings_key(scope: Scope) -> str:
    """What a month's counts depend on besides the records: the zone, the days and the calendar."""
    described = {"zone": scope.zone, "supervise": scope.supervise_days, "accept": scope.accept_days,
                 "holidays": sorted(d.isoformat() for d in scope.calendar.holidays),
                 "workdays": sorted(d.isoformat() for d in scope.calendar.workdays)}
    return hashlib.sha1(json.dumps(described, sort_keys=True).encode()).hexdigest()


def month_of(scope: Scope) -> str | None:
    """'YYYY-MM' when the scope is one whole calendar month read as of its end, else None."""
    first, last = scope.first_day, scope.last_day
    if first.day != 1 or scope.running or scope.live:
        return None
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    if (following - last).days != 1:
        return None
    return f"{first:%Y-%m}"


def closed(session, scope: Scope) -> str | None:
    """The month to read from the snapshot for this scope, or None (compute it live)."""
    month = month_of(scope)
    if month is None:
        return None
    key = session.scalar(select(IndicatorMonth.settings).where(IndicatorMonth.month == month))
    return month if key == settings_key(scope) else None


def replace(session, scope: Scope, rows: list, now: datetime) -> None:
    """Store a month's counted rows in place of what it had, in the caller's transaction."""
    month = month_of(scope)
    session.execute(delete(IndicatorCount).where(IndicatorCount.month == month))
    session.execute(delete(IndicatorMonth).where(IndicatorMonth.month == month))
    session.add_all(rows)
    hazards = sum(r.counts.get("to_eliminate", 0) for r in rows if r.kind == HAZARD)
    session.add(IndicatorMonth(month=month, settings=settings_key(scope), written_at=now, hazards=hazards))


# --- reading ---------------------------------------------------------------------------------------

HAZARD_GROUPS = {"branch": "branch_id", "team": "team_id", "class": "klass", "industry": "industry",
                 "severity": "severity"}
INSPECTION_GROUPS = {"branch": "branch_id", "team": "team_id", "class": "klass", "industry": "industry"}


def counts(session, scope: Scope, month: str, kind: str, names, group: str | None = None) -> dict:
    """{group key (None without grouping): {set name: count}}, as records.kpi's counting answers, summed
    from the month's rows that the scope's filters select."""
    names = list(names)
    column = getattr(IndicatorCount, HAZARD_GROUPS[group]) if group else None
    rows = session.execute(select(column if column is not None else IndicatorCount.id, IndicatorCount.counts)
                           .where(IndicatorCount.month == month, IndicatorCount.kind == kind,
                                  *filters(scope))).all()
    out: dict = {}
    for key, values in rows:
        bucket = out.setdefault(key if column is not None else None, {n: 0 for n in names})
        for n in names:
            bucket[n] += int(values.get(n, 0))
    if column is None and None not in out:
        out[None] = {n: 0 for n in names}
    return out


def filters(scope: Scope) -> list:
    """The scope's filters on the count rows (the same meaning as records.kpi_conditions' filters)."""
    conditions = []
    if scope.branch_ids is not None:
        conditions.append(IndicatorCount.branch_id.in_(scope.branch_ids))
    if scope.team_ids is not None:
        conditions.append(IndicatorCount.team_id.in_(scope.team_ids))
    if scope.klass:
        conditions.append(IndicatorCount.klass.is_(None) if scope.klass == "none" else IndicatorCount.klass == scope.klass)
    if scope.industry:
        conditions.append(IndicatorCount.industry == scope.industry)
    return conditions


def grades(session, scope: Scope, month: str) -> dict:
    """{grade: customers} at the month's end, of the customers the scope's filters select."""
    out: dict = {}
    for (values,) in session.execute(select(IndicatorCount.counts).where(
            and_(IndicatorCount.month == month, IndicatorCount.kind == GRADE, *filters(scope)))):
        for grade, n in values.items():
            out[grade] = out.get(grade, 0) + int(n)
    return out
