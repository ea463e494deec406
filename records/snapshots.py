"""Month-end snapshots of the indicators (domain.md §8): a closed month is counted once and read back.

A past month's numbers never change (everything is read as of the month's end), so once the month is
closed — after the 1 working day the notice rule may reach past its end — the counts of every named set
of records.kpi are written once per combination of the filters and groupings a query can ask for
(branch, team, customer class, industry; severity for hazards), and the grades customers stood at.
A query for that whole month then sums a few rows instead of re-reading every hazard's timeline.

Besides the rows per combination, each month keeps the same counts summed per single dimension and in
total (the `grain` of a row), so that a query with one filter or grouping, or none, sums a handful of
rows; and the hazards whose membership of a set may still change after the month's end (`pending`: not
yet filed, signed, notified or reported in time when the month closed), from which records/kpi_compose.py
reads a period of several months exactly.

Besides the months, each year's months up to its last closed one are counted as one run (the year to
date: `2026-01~2026-10`), so that the year to date, the most asked longer period, reads one run and the
few hazards still pending at its end instead of ten months and every hazard pending at any of their ends
(records/kpi_compose.py); a past whole year is its run. A run is kept like a month (its key in the same
column) and replaced by the next one of its year.

A snapshot is used only when it was written with the settings the query uses (zone, the supervision
and acceptance days, the working-day calendar: the `settings` fingerprint); otherwise, and for the
running month or any other period, the live computation answers. The model and reading here; counting a
month in records/snapshot_counts.py; who counts a month and when in services/snapshots.py.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta

from sqlalchemy import Index, Integer, String, delete, func, insert, select, text, update
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime
from .kpi_scope import Scope, collect, column_filters, groups_of, month_end

HAZARD = "hazard"
INSPECTION = "inspection"
GRADE = "grade"
PENDING = "pending"        # the kind of a counted row that names a pending hazard (see count, replace)
DIMENSIONS = ("branch_id", "team_id", "klass", "industry", "severity")
HAZARD_COLUMNS = ("discovered", "filed", "unfiled", "to_eliminate", "open_at_start", "closed", "discovered_closed", "open_at_end", "monitored", "unmonitored", "overdue_at_end", "notified", "signed", "notified_in_time", "closed_on_time", "went_overdue", "supervised_in_time", "acceptance_due", "accepted_in_time", "reported", "major_discovered", "major_reported")
INSPECTION_COLUMNS = ("periodic_due", "periodic_on_time", "periodic_late", "tasks_due", "tasks_on_time", "completed")
GRADE_COLUMNS = {"A": "grade_a", "B": "grade_b", "C": "grade_c", "-": "grade_none"}


class IndicatorMonth(Base):
    """A closed month: when it was counted and with which settings."""

    __tablename__ = "indicator_month"

    month: Mapped[str] = mapped_column(String(15), primary_key=True)         # 2026-03, or a run 2026-01~2026-10
    settings: Mapped[str] = mapped_column(String(40))                         # fingerprint (see settings_key)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hazards: Mapped[int] = mapped_column(Integer, default=0)                  # rows counted, for the admin


class IndicatorCount(Base):
    """The counts of every named set (a column each; the grades for kind "grade") of one combination of
    filter values in a closed month."""

    __tablename__ = "indicator_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(15))           # the month's or run's key (see key_of)
    kind: Mapped[str] = mapped_column(String(12))            # hazard | inspection | grade
    branch_id: Mapped[int | None] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(Integer)
    klass: Mapped[str | None] = mapped_column(String(20))
    industry: Mapped[str | None] = mapped_column(String(80))
    severity: Mapped[str | None] = mapped_column(String(12))
    grain: Mapped[str] = mapped_column(String(12), default="", server_default="")   # "", a dimension, "total"
    discovered: Mapped[int] = mapped_column(Integer, default=0)
    filed: Mapped[int] = mapped_column(Integer, default=0)
    unfiled: Mapped[int] = mapped_column(Integer, default=0)
    to_eliminate: Mapped[int] = mapped_column(Integer, default=0)
    open_at_start: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    discovered_closed: Mapped[int] = mapped_column(Integer, default=0)
    open_at_end: Mapped[int] = mapped_column(Integer, default=0)
    monitored: Mapped[int] = mapped_column(Integer, default=0)
    unmonitored: Mapped[int] = mapped_column(Integer, default=0)
    overdue_at_end: Mapped[int] = mapped_column(Integer, default=0)
    notified: Mapped[int] = mapped_column(Integer, default=0)
    signed: Mapped[int] = mapped_column(Integer, default=0)
    notified_in_time: Mapped[int] = mapped_column(Integer, default=0)
    closed_on_time: Mapped[int] = mapped_column(Integer, default=0)
    went_overdue: Mapped[int] = mapped_column(Integer, default=0)
    supervised_in_time: Mapped[int] = mapped_column(Integer, default=0)
    acceptance_due: Mapped[int] = mapped_column(Integer, default=0)
    accepted_in_time: Mapped[int] = mapped_column(Integer, default=0)
    reported: Mapped[int] = mapped_column(Integer, default=0)
    major_discovered: Mapped[int] = mapped_column(Integer, default=0)
    major_reported: Mapped[int] = mapped_column(Integer, default=0)
    periodic_due: Mapped[int] = mapped_column(Integer, default=0)
    periodic_on_time: Mapped[int] = mapped_column(Integer, default=0)
    periodic_late: Mapped[int] = mapped_column(Integer, default=0)
    tasks_due: Mapped[int] = mapped_column(Integer, default=0)
    tasks_on_time: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    grade_a: Mapped[int] = mapped_column(Integer, default=0)
    grade_b: Mapped[int] = mapped_column(Integer, default=0)
    grade_c: Mapped[int] = mapped_column(Integer, default=0)
    grade_none: Mapped[int] = mapped_column(Integer, default=0)


Index("ix_indicator_count_month", IndicatorCount.month, IndicatorCount.kind, IndicatorCount.grain)


class IndicatorPending(Base):
    """A hazard of a closed month that was not in a set when the month closed but may join it later: the
    month counted it in the set's base (discovered, notified) and not in the set. A period of several
    months counts these few again as of its own end (records/kpi_compose.py). Also an inspection due in
    the month and open when it closed (name inspection_open), which may be cancelled later."""

    __tablename__ = "indicator_pending"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(15))
    name: Mapped[str] = mapped_column(String(24))             # the set: filed, signed, notified_in_time, ...
    hazard_id: Mapped[int] = mapped_column(Integer)           # of the name inspection_open: an inspection's id


Index("ix_indicator_pending", IndicatorPending.month, IndicatorPending.name, IndicatorPending.hazard_id)
# which months kept some hazards (a period's corrections: records/kpi_compose.py), by hazard
Index("ix_indicator_pending_hazard", IndicatorPending.name, IndicatorPending.hazard_id, IndicatorPending.month)
VERSION = 3                # of what a month keeps: a snapshot of another version is counted again


def settings_key(scope: Scope) -> str:
    """What a month's counts depend on besides the records: the zone, the days and the calendar."""
    described = {"version": VERSION, "zone": scope.zone, "supervise": scope.supervise_days, "accept": scope.accept_days,
                 "holidays": sorted(d.isoformat() for d in scope.calendar.holidays),
                 "workdays": sorted(d.isoformat() for d in scope.calendar.workdays)}
    return hashlib.sha1(json.dumps(described, sort_keys=True).encode()).hexdigest()


def key_of(scope: Scope) -> str | None:
    """The key a snapshot of the scope is kept under when the scope is whole calendar months read as of their
    end: 'YYYY-MM' for one, 'YYYY-MM~YYYY-MM' for a run of them; else None."""
    first, last = scope.first_day, scope.last_day
    if first.day != 1 or scope.running or scope.live or last != month_end(last):
        return None
    return period_key(first, last)


def period_key(first_day: date, last_day: date) -> str:
    """'YYYY-MM' of a month, 'YYYY-MM~YYYY-MM' of a run of months (first_day..last_day, whole months)."""
    first, last = f"{first_day:%Y-%m}", f"{last_day:%Y-%m}"
    return first if first == last else f"{first}~{last}"


def period_bounds(key: str) -> tuple[date, date]:
    """(first day, last day) of a key period_key made."""
    first, _, last = key.partition("~")
    return date.fromisoformat(f"{first}-01"), month_end(date.fromisoformat(f"{last or first}-01"))


def year_runs(months: list[date]) -> list[tuple[date, date]]:
    """The runs kept besides the months (first day, last day): per year of the closed months (their first
    days), from its January to the last of them, when that is later than January."""
    last: dict = {}
    for first_day in months:
        last[first_day.year] = max(last.get(first_day.year, first_day), first_day)
    return [(date(year, 1, 1), month_end(month)) for year, month in sorted(last.items()) if month.month > 1]


def closed(session, scope: Scope) -> str | None:
    """The month (or run of months) to read from its snapshot for this scope, or None (compute it live)."""
    key = key_of(scope)
    if key is None:
        return None
    kept = session.scalar(select(IndicatorMonth.settings).where(IndicatorMonth.month == key))
    return key if kept == settings_key(scope) else None


def replace(session, scope: Scope, rows: list, now: datetime) -> None:
    """Store a month's (or run's) counted rows (records.snapshot_counts.count: the counts per combination, and
    the pending hazards as rows of kind PENDING) in place of what it had, and drop the runs of its year that
    it replaces (a run up to an earlier month), all in the caller's transaction (services/snapshots.py
    stores them in short transactions of their own: begin, store, finish)."""
    key = key_of(scope)
    for gone in [*replaced_runs(session, key), key]:
        drop(session, gone)
        while forget_some(session, gone):
            pass
    for part in batches(prepared(rows)):
        store(session, key, part)
    session.execute(insert(IndicatorMonth).values(month=key, settings=settings_key(scope), written_at=now,
                                                  hazards=hazards_in(rows)))


WRITING = "writing"          # the settings of a key whose rows are being stored: no reader takes it


def batches(rows: list, size: int = 5000):
    """The rows in parts of `size`, each stored in one short write transaction."""
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def prepared(rows: list) -> list:
    """The rows to store: the counts with their sums per dimension and in total (the grains), then the
    pending hazards."""
    counts = [r for r in rows if r["kind"] != PENDING]
    return counts + _grains(counts) + [r for r in rows if r["kind"] == PENDING]


def hazards_in(rows: list) -> int:
    """The hazards a month's counts concern (for the admin)."""
    return sum(r["to_eliminate"] for r in rows if r["kind"] == HAZARD)


def begin(session, key: str, now: datetime, stale_after: timedelta = timedelta(hours=1)) -> bool:
    """Take the key for writing: its marker says WRITING, so that no query reads its rows until finish();
    False when another writer holds it (a WRITING marker younger than stale_after)."""
    marker = session.get(IndicatorMonth, key, with_for_update=True)
    if marker is not None and marker.settings == WRITING and now - marker.written_at < stale_after:
        return False
    if marker is None:
        session.add(IndicatorMonth(month=key, settings=WRITING, written_at=now, hazards=0))
    else:
        marker.settings, marker.written_at, marker.hazards = WRITING, now, 0
    return True


def forget_some(session, key: str, size: int = 5000) -> int:
    """Delete up to `size` of the key's stored rows (a short transaction each); the number deleted."""
    deleted = 0
    for table in (IndicatorCount, IndicatorPending):
        ids = select(table.id).where(table.month == key).limit(size - deleted).scalar_subquery()
        deleted += session.execute(delete(table).where(table.id.in_(ids))).rowcount
        if deleted >= size:
            break
    return deleted


def store(session, key: str, rows: list) -> None:
    """Insert prepared rows of the key (counts and pending hazards)."""
    counts = [{**r, "month": key} for r in rows if r["kind"] != PENDING]
    if counts:
        session.execute(insert(IndicatorCount), counts)
    pending = [{"month": key, "name": r["name"], "hazard_id": r["hazard_id"]} for r in rows if r["kind"] == PENDING]
    if pending:
        session.execute(insert(IndicatorPending), pending)


def finish(session, scope: Scope, key: str, written_at: datetime, hazards: int) -> bool:
    """Open the key to queries (its settings fingerprint in place of WRITING), if this writer still holds it."""
    result = session.execute(update(IndicatorMonth).where(
        IndicatorMonth.month == key, IndicatorMonth.settings == WRITING, IndicatorMonth.written_at == written_at)
        .values(settings=settings_key(scope), hazards=hazards))
    return result.rowcount == 1


def drop(session, key: str) -> None:
    """The key's marker gone (its rows, if any left, are deleted by forget_some)."""
    session.execute(delete(IndicatorMonth).where(IndicatorMonth.month == key))


def replaced_runs(session, key: str) -> list[str]:
    """The runs of the key's year up to an earlier month (a run replaces them once stored)."""
    if "~" not in key:
        return []
    return list(session.scalars(select(IndicatorMonth.month).where(_runs_from(key.partition("~")[0]),
                                                                   IndicatorMonth.month < key)))


def runs_holding(session, first_day: date) -> list[tuple[date, date]]:
    """(first day, last day) of the kept runs of first_day's year that hold its month."""
    january = date(first_day.year, 1, 1)
    keys = session.scalars(select(IndicatorMonth.month).where(
        _runs_from(f"{january:%Y-%m}"), IndicatorMonth.month >= period_key(january, first_day))).all()
    return [period_bounds(key) for key in keys]


def _runs_from(first: str):
    """The keys of the runs that start with the month `first` ('YYYY-MM')."""
    return IndicatorMonth.month.like(first + "~%")


def analyze(session) -> None:
    """After a month's rows are stored (its own transaction): on PostgreSQL, the planner's statistics of the
    tables they went to, so that a period's lookups of the kept ids find their index before autovacuum's
    next round (measured at 200,000 hazards: the year to date 450 -> 170 ms). SQLite: nothing (the app
    never runs ANALYZE there)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE indicator_count, indicator_pending"))
        session.commit()


def _grains(rows: list) -> list:
    """The rows summed per dimension (a row per value, the other dimensions empty) and in total, per kind."""
    out: dict = {}
    for row in rows:
        counted = {c: v for c, v in row.items() if c not in (*DIMENSIONS, "month", "kind", "grain")}
        for grain in (*DIMENSIONS, "total"):
            value = None if grain == "total" else row.get(grain)
            target = out.get((row["kind"], grain, value))
            if target is None:
                target = out[(row["kind"], grain, value)] = {
                    **dict.fromkeys(DIMENSIONS), "month": row["month"], "kind": row["kind"], "grain": grain,
                    **({grain: value} if grain != "total" else {}), **dict.fromkeys(counted, 0)}
            for column, n in counted.items():
                target[column] += n
    return list(out.values())


# --- reading ---------------------------------------------------------------------------------------

HAZARD_GROUPS = {"branch": "branch_id", "team": "team_id", "class": "klass", "industry": "industry",
                 "severity": "severity"}
INSPECTION_GROUPS = {"branch": "branch_id", "team": "team_id", "class": "klass", "industry": "industry"}


def counts(session, scope: Scope, month: str | list, kind: str, names,
           group: str | tuple | None = None) -> dict | None:
    """{group key (None without grouping): {set name: count}}, as records.kpi's counting answers (a tuple
    of groups: tuple keys), summed in SQL from the rows of the month (or months) that the scope's filters
    select; None when a set asked for is not kept."""
    names = list(names)
    if not set(names) <= set(HAZARD_COLUMNS if kind == HAZARD else INSPECTION_COLUMNS):
        return None
    keys = [getattr(IndicatorCount, HAZARD_GROUPS[g]) for g in groups_of(group)]
    sums = [func.coalesce(func.sum(getattr(IndicatorCount, n)), 0) for n in names]
    query = select(*keys, *sums).where(*_rows(scope, month, kind, group))
    return collect(session.execute(query.group_by(*keys) if keys else query).all(), names, group)


def counts_per_month(session, scope: Scope, months: list, kind: str, names,
                     group: str | tuple | None = None) -> dict[str, dict]:
    """{month: what counts() answers for that month alone}, in one query for all of them."""
    names = list(names)
    keys = [getattr(IndicatorCount, HAZARD_GROUPS[g]) for g in groups_of(group)]
    sums = [func.coalesce(func.sum(getattr(IndicatorCount, n)), 0) for n in names]
    rows = session.execute(select(IndicatorCount.month, *keys, *sums).where(*_rows(scope, months, kind, group))
                           .group_by(IndicatorCount.month, *keys)).all()
    return {month: collect([row[1:] for row in rows if row[0] == month], names, group) for month in months}


def _rows(scope: Scope, month: str | list, kind: str, group) -> list:
    """The conditions that select the rows of the month(s) and kind for the scope's filters and the
    grouping: the rows of one dimension's sums when that is the only one used, of the total when none is."""
    used = {HAZARD_GROUPS[g] for g in groups_of(group)} | filtered(scope)
    grain = "" if len(used) > 1 else used.pop() if used else "total"
    months = IndicatorCount.month.in_(month) if isinstance(month, list) else IndicatorCount.month == month
    return [months, IndicatorCount.kind == kind, IndicatorCount.grain == grain, *filters(scope)]


def filtered(scope: Scope) -> set:
    """The dimensions the scope's filters restrict."""
    return {column for column, used in (("branch_id", scope.branch_ids is not None),
                                        ("team_id", scope.team_ids is not None), ("klass", bool(scope.klass)),
                                        ("industry", bool(scope.industry))) if used}


def filters(scope: Scope) -> list:
    """The scope's filters on the count rows (the same meaning as records.kpi_conditions' filters)."""
    return column_filters(scope, IndicatorCount.branch_id, IndicatorCount.team_id, IndicatorCount.klass,
                          IndicatorCount.industry)


def grades(session, scope: Scope, month: str) -> dict:
    """{grade: customers} at the month's end, of the customers the scope's filters select."""
    sums = [func.coalesce(func.sum(getattr(IndicatorCount, c)), 0) for c in GRADE_COLUMNS.values()]
    row = session.execute(select(*sums).where(*_rows(scope, month, GRADE, None))).one()
    return {grade: int(n) for grade, n in zip(GRADE_COLUMNS, row) if n}


def pending(months: list, name: str):
    """The hazards pending in the set in any of the months (a subquery of their ids)."""
    return select(IndicatorPending.hazard_id).where(IndicatorPending.month.in_(months), IndicatorPending.name == name)
