"""Closing months: the indicators of each ended month counted once (records/snapshots.py), so that a past
month, the 12-month trend and the dashboard read a few rows instead of every hazard's timeline.

A month is closed once the 1 working day of the notice rule can no longer reach back into it (a hazard
found on its last evening and notified after its end still counts as filed on time): from the day after
its end plus the calendar's longest working day. The scheduler closes every such month not yet closed
(or closed with other settings), back to the first hazard, at most SNAPSHOT_BACKFILL_MONTHS, and the run of
each of their years up to its last closed month (the year to date, counted as one: records/snapshots.py);
each is counted in a read transaction and stored in a short write transaction. `gridsafe indicators
snapshot` counts a month again by hand (e.g. after a correction of past records), and the run that holds it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from records import Hazard, snapshot_counts, snapshots
from records.kpi_scope import month_end, next_month

from . import access
from .errors import Conflict, Invalid, NotFound
from .i18n import _
from .indicators import make_scope
from .periods import PeriodError, period_days

LOG = logging.getLogger("gridsafe.snapshots")


class Busy(Conflict):
    """Another process is storing the month's (or run's) snapshot."""


@dataclass
class Closed:
    months: list[str] = field(default_factory=list)
    rows: int = 0


def closable(rt, first_day: date) -> bool:
    """Whether the month starting on first_day can be closed today."""
    scope = make_scope(rt, *_bounds(first_day))
    grace = scope.calendar.max_span(1)
    return rt.today() > scope.last_day + timedelta(days=grace)


def due(rt) -> list[tuple[date, date]]:
    """The months to close now, oldest first, then the runs of their years up to their last closed month
    (records/snapshots.py), each as (first day, last day): those not written, or written with other settings."""
    today = rt.today()
    with rt.read_sessions() as session:
        first = session.scalar(select(func.min(Hazard.opened_at)))
        written = dict(session.execute(select(snapshots.IndicatorMonth.month, snapshots.IndicatorMonth.settings)).all())
    if first is None:
        return []
    back = int(rt.config.get("SNAPSHOT_BACKFILL_MONTHS", 24))
    start = max(first.date().replace(day=1), _month_back(today.replace(day=1), back))
    closed, month = [], start
    while month < today.replace(day=1) and closable(rt, month):
        closed.append(month)
        month = next_month(month)
    out = []
    for first_day, last_day in [_bounds(m) for m in closed] + snapshots.year_runs(closed):
        scope = make_scope(rt, first_day, last_day)
        if written.get(snapshots.key_of(scope)) != snapshots.settings_key(scope):
            out.append((first_day, last_day))
    return out


def close_due(rt) -> Closed:
    """The scheduler's daily job: close every month that can be closed and is not, and the run of its year
    (idempotent)."""
    report = Closed()
    for first_day, last_day in due(rt):
        try:
            report.rows += _close(rt, first_day, last_day)
        except Busy as err:                  # another process is counting it: the next round sees to it
            LOG.warning("%s", err)
            continue
        report.months.append(snapshots.period_key(first_day, last_day))
    if report.months:
        LOG.info("indicator snapshots written for %s (%d rows)", ", ".join(report.months), report.rows)
    return report


def rewrite(rt, actor, month: str) -> int:
    """Count a closed month again (the command; the system only). Returns the rows written."""
    if actor is not access.SYSTEM:
        raise NotFound()
    try:
        first_day, _last, kind = period_days(month)
    except PeriodError:
        kind = None
    if kind != "month":
        raise Invalid(_("A month is written YYYY-MM, e.g. 2026-03."))
    if not closable(rt, first_day):
        raise Invalid(_("%(month)s is not closed yet: its indicators are still computed from the records.",
                        month=month))
    rows = _close(rt, *_bounds(first_day))
    with rt.read_sessions() as session:              # the run of its year that holds it: counted again too
        runs = snapshots.runs_holding(session, first_day)
    for run_first, run_last in runs:
        rows += _close(rt, run_first, run_last)
    return rows


def _close(rt, first_day: date, last_day: date) -> int:
    """Count a month (or run) in a read transaction, then store it in short write transactions (a run of ten
    months is some 80,000 rows, most of them the hazards of its event sets: 1-2 s in one transaction, a
    write lock other requests would wait for): the key taken for writing (queries compute it meanwhile), its
    old rows deleted and the new ones inserted a part at a time, then opened to queries; the runs it
    replaces are deleted the same way. Two closers of one key: the second finds it taken and stops."""
    scope = make_scope(rt, first_day, last_day)
    key = snapshots.key_of(scope)
    with rt.read_sessions() as session:
        rows = snapshot_counts.count(session, scope)
    started = rt.now()
    with rt.sessions() as session:
        if not snapshots.begin(session, key, started):
            raise Busy(_("The indicators of %(month)s are being counted by another process; try again later.",
                         month=key))
        replaced = snapshots.replaced_runs(session, key)
        session.commit()
    _forget(rt, key)
    for part in snapshots.batches(snapshots.prepared(rows)):
        with rt.sessions() as session:
            snapshots.store(session, key, part)
            session.commit()
    with rt.sessions() as session:
        finished = snapshots.finish(session, scope, key, started, snapshots.hazards_in(rows))
        session.commit()
    if not finished:                       # taken over (a stale writer's key): its rows are not ours alone
        _forget(rt, key)
        raise Busy(_("The indicators of %(month)s were taken over by another process while being stored; "
                     "they are counted again on the next round.", month=key))
    for gone in replaced:
        with rt.sessions() as session:
            snapshots.drop(session, gone)
            session.commit()
        _forget(rt, gone)
    with rt.sessions() as session:
        snapshots.analyze(session)
    return len(rows)


def _forget(rt, key: str) -> None:
    """Delete the key's stored rows, a part per short transaction."""
    while True:
        with rt.sessions() as session:
            deleted = snapshots.forget_some(session, key)
            session.commit()
        if not deleted:
            return


def _bounds(first_day: date) -> tuple[date, date]:
    return first_day, month_end(first_day)


def _month_back(first_day: date, months: int) -> date:
    index = first_day.year * 12 + first_day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
