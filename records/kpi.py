"""The indicators of domain.md §8 as SQL aggregates over hazards and inspections: queries only.

A Scope is a period [start, end) as UTC instants, the moment its state is read (`as_of`: the end
of the period, or now while it is running) and the filters (branches, teams, customer class,
industry). Every indicator is a pair of named sets — numerator ⊆ denominator — and one set
condition serves both the count on the dashboard and the list behind it, so the two agree.
The conditions themselves are in records/kpi_conditions.py, the Scope in records/kpi_scope.py.

Hazards cancelled as raised in error count nowhere from the moment the cancellation was approved. The state of a hazard at `as_of` (status,
deadline) is read from its timeline, so a past period gives the same numbers whenever it is asked; a
closed month is counted once and read back from its snapshot (records/snapshots.py) with the same result,
and a period of several months from its closed months' snapshots and the rest computed
(records/kpi_compose.py).
"""
from __future__ import annotations

import dataclasses

from sqlalchemy import Index, case, exists, func, join, not_, select, text
from sqlalchemy.orm import aliased

from .customers import Customer
from .documents import Document
from .hazards import Hazard, HazardEvent
from .inspections import Inspection
from .kpi_conditions import (ANSWERED, SHORT, _discovered, _event, _in_period, _late_without, _major_reported,
                             _notified_in_time, elapsed_days, events_in_period, filed, hazard_filters, in_ids,
                             in_written_order, inspection_filters, inspections_concerned, monitored,
                             not_cancelled, open_at, overdue_at, sure, unindexed)
from .kpi_scope import Scope, collect, groups_of, local_midnight, make_scope
from .risk import CustomerGrade
from . import kpi_compose, snapshots

__all__ = ["Scope", "make_scope", "local_midnight", "elapsed_days", "sure", "HAZARD_SETS",
           "INSPECTION_SETS", "hazard_condition", "inspection_condition", "hazard_counts", "hazard_counts_over",
           "inspection_counts",
           "hazard_filters", "inspection_filters"]

# the hazards a period concerns (open, or closed since its start) and the columns their sets read: counted
# from the index alone, the table read only for the few rows a set needs more of (photos)
Index("ix_hazard_kpi_state", Hazard.closed_at, Hazard.opened_at, Hazard.cancelled_at, Hazard.status, Hazard.deadline,
      Hazard.notified_at, Hazard.customer_id, Hazard.severity, Hazard.team_id, Hazard.branch_id,
      postgresql_include=["id"])    # SQLite's indexes hold the rowid (the id) anyway
# SQLite only: the open hazards by customer, for a grouping by class, read customer by customer in the class
# index's order (records.kpi_conditions.in_written_order) instead of sorting 36,500 rows by class (that pass
# of by class over the year to date, 200,000 hazards: 43 -> 20 ms). It holds every column the sets read, the
# always null closed_at too: SQLite reads the table for a column the index lacks, though the condition says
# it. PostgreSQL groups by hash (the same plan with or without it), so it would only cost every hazard's write
Index("ix_hazard_open_by_customer", Hazard.customer_id, Hazard.opened_at, Hazard.closed_at, Hazard.cancelled_at,
      Hazard.status, Hazard.deadline, Hazard.notified_at, Hazard.severity, Hazard.team_id, Hazard.branch_id,
      sqlite_where=Hazard.closed_at.is_(None)).ddl_if(dialect="sqlite")
Index("ix_hazard_notified", Hazard.notified_at)
Index("ix_hazard_cancelled", Hazard.cancelled_at, sqlite_where=Hazard.cancelled_at.is_not(None),
      postgresql_where=Hazard.cancelled_at.is_not(None))    # the few cancelled, not a path to the others
Index("ix_hazard_event_kind", HazardEvent.hazard_id, HazardEvent.kind, HazardEvent.at)
Index("ix_hazard_event_at", HazardEvent.hazard_id, HazardEvent.at)
Index("ix_hazard_event_kind_at", HazardEvent.kind, HazardEvent.at, HazardEvent.hazard_id)
Index("ix_document_hazard_kind", Document.hazard_id, Document.kind, Document.created_at)
Index("ix_customer_grade_history", CustomerGrade.customer_id, CustomerGrade.computed_at)
# the inspections a short period concerns (due in it, or completed in it: see inspections_concerned), and
# the few completed after a past moment (records.kpi_conditions: a periodic inspection overdue then)
Index("ix_inspection_due", Inspection.due_date)
Index("ix_inspection_completed", Inspection.completed_on)


HAZARD_SETS = {
    "discovered": lambda s, sc: _discovered(sc),
    "filed": lambda s, sc: _discovered(sc) & filed(s, sc),
    "unfiled": lambda s, sc: _discovered(sc) & not_(filed(s, sc)),
    "to_eliminate": lambda s, sc: (Hazard.opened_at < sc.as_of) & (Hazard.closed_at.is_(None)
                                                                    | (Hazard.closed_at >= sc.start)),
    "open_at_start": lambda s, sc: open_at(sc.start),
    "closed": lambda s, sc: _in_period(Hazard.closed_at, sc),
    "discovered_closed": lambda s, sc: _discovered(sc) & (Hazard.closed_at < sc.as_of),
    "open_at_end": lambda s, sc: open_at(sc.as_of),
    "monitored": lambda s, sc: open_at(sc.as_of) & monitored(sc),
    "unmonitored": lambda s, sc: open_at(sc.as_of) & not_(monitored(sc)),
    "overdue_at_end": lambda s, sc: open_at(sc.as_of) & overdue_at(sc),
    "notified": lambda s, sc: _in_period(Hazard.notified_at, sc),
    "signed": lambda s, sc: _in_period(Hazard.notified_at, sc) & _event("notice_signed", HazardEvent.at < sc.as_of),
    "notified_in_time": lambda s, sc: _discovered(sc) & _notified_in_time(s, sc),
    "closed_on_time": lambda s, sc: _in_period(Hazard.closed_at, sc) & not_(_event("overdue")),
    "went_overdue": lambda s, sc: events_in_period(sc, "overdue"),
    "supervised_in_time": lambda s, sc: events_in_period(sc, "overdue")
    & not_(_late_without(sc, ANSWERED["supervised_in_time"])),
    "acceptance_due": lambda s, sc: events_in_period(sc, "rectification_reported"),
    "accepted_in_time": lambda s, sc: events_in_period(sc, "rectification_reported")
    & not_(_late_without(sc, ANSWERED["accepted_in_time"])),
    "reported": lambda s, sc: events_in_period(sc, "reported"),
    "major_discovered": lambda s, sc: _discovered(sc) & (Hazard.severity == "major"),
    "major_reported": lambda s, sc: _discovered(sc) & (Hazard.severity == "major") & _major_reported(s, sc),
}


def _due(scope: Scope, periodic: bool):
    day = scope.as_of_day
    condition = ((Inspection.due_date >= scope.first_day) & (Inspection.due_date <= scope.last_day)
                 & ((Inspection.due_date <= day) | (Inspection.completed_on <= day)))
    return condition & (Inspection.kind == "periodic") if periodic else condition


def _on_time(scope: Scope):
    return Inspection.completed_on.is_not(None) & (Inspection.completed_on <= Inspection.due_date) \
        & (Inspection.completed_on <= scope.as_of_day)


INSPECTION_SETS = {
    "periodic_due": lambda sc: _due(sc, True),
    "periodic_on_time": lambda sc: _due(sc, True) & _on_time(sc),
    "periodic_late": lambda sc: _due(sc, True) & not_(_on_time(sc)),
    "tasks_due": lambda sc: _due(sc, False),
    "tasks_on_time": lambda sc: _due(sc, False) & _on_time(sc),
    "completed": lambda sc: (Inspection.completed_on >= sc.first_day) & (Inspection.completed_on <= sc.as_of_day),
}


def hazard_condition(session, scope: Scope, name: str):
    """The filters and the named set: what the hazard list shows for a number of the dashboard."""
    return hazard_filters(scope) & HAZARD_SETS[name](session, scope)


def inspection_condition(scope: Scope, name: str):
    return inspection_filters(scope) & INSPECTION_SETS[name](scope)


# --- counting ----------------------------------------------------------------------------------------

def analytic(session) -> None:
    """Before an indicator query on PostgreSQL: no JIT for this transaction. These queries are wide CASE
    sums that JIT would compile for half a second to save a few milliseconds (measured: 650 ms → 60 ms).
    And a plan made for the period asked: the same query text serves a week and three years, and once
    psycopg runs it prepared (engine/database.py) PostgreSQL could settle on one generic plan for all."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan"))


HAZARD_GROUPS = {"branch": Hazard.branch_id, "team": Hazard.team_id, "class": Customer.importance,
                 "industry": Customer.industry, "severity": Hazard.severity}
INSPECTION_GROUPS = {"branch": Customer.branch_id, "team": Inspection.team_id, "class": Customer.importance,
                     "industry": Customer.industry}


def hazard_counts(session, scope: Scope, names, group: str | tuple | None = None, *, snapshot: bool = True) -> dict:
    """{group key (None without grouping): {set name: count}} over the hazards concerned, or from the
    month's snapshot when the scope is a closed month, or from the closed months it starts with and the rest
    computed when it is longer (snapshot=False: always computed). A tuple of groups,
    e.g. ("team", "class"), gives tuple keys: one count for several breakdowns (see roll_up). A group with
    no hazard in any of the sets asked has no row (read a missing group as zeros): which groups a closed
    month's snapshot or a pass of the rest happens to hold is not part of the answer."""
    counts = _hazard_counts(session, scope, list(names), group, snapshot)
    if not groups_of(group):
        return counts
    return {key: values for key, values in counts.items() if any(values.values())}


def _hazard_counts(session, scope: Scope, names: list, group, snapshot: bool) -> dict:
    month = snapshots.closed(session, scope) if snapshot else None
    kept = snapshots.counts(session, scope, month, snapshots.HAZARD, names, group) if month else None
    if kept is not None:
        return kept
    groups = groups_of(group)
    chosen = kpi_compose.plan(session, scope) if snapshot and month is None else None
    if chosen is not None and set(names) <= set(snapshots.HAZARD_COLUMNS):
        analytic(session)

        def recount(part: list, base: str, late: str | None, ids: list) -> dict:
            return kept_counts(session, scope, chosen, part, groups, group, base, late, ids)

        def live(part_scope: Scope, part: list, where: list | None, each: dict | None = None,
                 concern: Scope | None | bool = None, open_now: bool = False) -> dict:
            if where is None:
                return hazard_counts(session, part_scope, part, group, snapshot=False)
            concerned_by = [] if concern is False else loosely_concerned(concern or part_scope)
            return _count(session, part_scope, part, groups, group, [*concerned_by, *where], each, open_now)
        return kpi_compose.compose(session, scope, names, group, chosen, live, recount)
    analytic(session)
    parts: dict = {}
    for name in names:
        parts.setdefault(FOUND_BY.get(name), []).append(name)
    out: dict = {}
    for through, part in parts.items():
        for where in ([[*concerned(scope), *NARROWER[through](scope)]] if through else _concerned_ranges(session, scope)):
            for key, values in _count(session, scope, part, groups, group, where).items():
                target = out.setdefault(key, dict.fromkeys(names, 0))
                for name, value in values.items():
                    target[name] += value
    if not groups:
        out.setdefault(None, dict.fromkeys(names, 0))
    return out


# The sets whose hazards all meet a narrower condition than being concerned, read on its own index: they
# are counted over those few hazards instead of over every hazard concerned (the open ones, mostly). A
# set's count is the same either way, as the condition is part of the set's own: discovered, closed or
# notified in the period (an index on each column), or an event of a kind in the period (the hazards that
# have one, read on the events' (kind, at) index).
FOUND_BY = {**dict.fromkeys(("discovered", "filed", "unfiled", "discovered_closed", "notified_in_time",
                             "major_discovered", "major_reported"), "discovered"),
            **dict.fromkeys(("closed", "closed_on_time"), "closed"),
            **dict.fromkeys(("notified", "signed"), "notified"),
            **dict.fromkeys(("went_overdue", "supervised_in_time"), "overdue"),
            **dict.fromkeys(("acceptance_due", "accepted_in_time"), "rectification_reported"),
            "reported": "reported"}
NARROWER = {"discovered": lambda sc: [Hazard.opened_at >= sc.start, Hazard.opened_at < sc.as_of],
            "closed": lambda sc: [Hazard.closed_at >= sc.start, Hazard.closed_at < sc.as_of],
            "notified": lambda sc: [Hazard.notified_at >= sc.start, Hazard.notified_at < sc.as_of],
            **{kind: (lambda kind: lambda sc: [events_in_period(sc, kind)])(kind)
               for kind in ("overdue", "rectification_reported", "reported")}}


def _count(session, scope: Scope, names, groups: tuple, group, where: list, each: dict | None = None,
           open_now: bool = False) -> dict:
    """One pass: the named sets over the hazards that meet `where` (those the scope concerns, or some of
    them); each[name], when given, makes the set's condition of its own, from a function that builds
    the set's (records/kpi_compose.py). open_now: `where` holds the hazards still open (closed_at null)
    alone; grouped by class, they are read customer by customer (ix_hazard_open_by_customer)."""
    def condition(name):
        own = lambda: HAZARD_SETS[name](session, scope)    # noqa: E731 (built only when used: some are costly)
        return each[name](own) if each and name in each else own()
    columns = [func.coalesce(func.sum(case((condition(n), 1), else_=0)), 0).label(n) for n in names]
    by_customer = open_now and groups == ("class",)       # in the class index's order: no sort
    keys = [HAZARD_GROUPS[g] if by_customer else unindexed(HAZARD_GROUPS[g])   # else sorted, not read in a
            for g in groups]                                                  # team index's order
    if by_customer:
        source = in_written_order(Customer, Hazard, Customer.id == Hazard.customer_id)
    elif set(groups) & {"class", "industry"}:
        source = join(Hazard, Customer, Customer.id == Hazard.customer_id)
    else:
        source = Hazard
    query = select(*[k.label(f"key{i}") for i, k in enumerate(keys)], *columns).select_from(source)
    query = query.where(hazard_filters(scope), *where)
    if keys:
        query = query.group_by(*keys)
    return collect(session.execute(query).all(), names, group)


def concerned(scope: Scope) -> list:
    """The hazards any set of the scope may hold: opened by as_of and not closed before its start. A short
    period reads them on the closed_at index (the open ones, and the few closed since its start), where
    SQLite would otherwise pick the opened_at index for `opened_at < as_of`, which holds for nearly every
    hazard, and read the whole table through it. A long one reads them in the order they were opened:
    so many are closed since its start that the index's order costs more than it saves, as each row's
    timeline lookups then jump about (measured on SQLite with the bench's 200,000 hazards: the running
    month ~170 ms through opened_at, ~110 ms on the closed_at index; the year ~630 ms in the order of
    opening, ~900 ms on the closed_at index)."""
    opened = unindexed(Hazard.opened_at) if scope.as_of - scope.start <= SHORT else Hazard.opened_at
    return [opened < scope.as_of, Hazard.closed_at.is_(None) | (Hazard.closed_at >= scope.start)]


def kept_counts(session, scope: Scope, chosen, part: list, groups: tuple, group, base: str, late: str | None,
                ids: list) -> dict:
    """{group key: {name: count}}: what P's closed months (chosen: records.kpi_compose.Plan) counted of an
    event's set `base` (and of its in-time set, the other of `part`: those not among the month's `late`
    ids) over the hazards `ids`, summed over the months, in one pass over the ids each month kept: a hazard
    as its month counted it, with the scope's filters, not cancelled by the month's end, opened by then and
    not closed before its start (records.kpi_compose._events)."""
    months = chosen.months
    kept, held = aliased(snapshots.IndicatorPending), aliased(snapshots.IndicatorPending)
    start = case({m: sc.start for m, sc in zip(months, chosen.scopes)}, value=kept.month)
    end = case({m: sc.end for m, sc in zip(months, chosen.scopes)}, value=kept.month)
    counted = ((Hazard.cancelled_at.is_(None) | (Hazard.cancelled_at >= end)) & (Hazard.opened_at < end)
               & (Hazard.closed_at.is_(None) | (Hazard.closed_at >= start)))
    on_time = not_(exists().where(held.month == kept.month, held.name == late, held.hazard_id == kept.hazard_id))
    conditions = {base: counted, **{n: counted & on_time for n in part if n != base}}
    keys = [HAZARD_GROUPS[g] for g in groups]
    query = (select(*[k.label(f"key{i}") for i, k in enumerate(keys)],
                    *[func.coalesce(func.sum(case((conditions[n], 1), else_=0)), 0).label(n) for n in part])
             .select_from(kept).join(Hazard, Hazard.id == kept.hazard_id))
    if set(groups) & {"class", "industry"}:
        query = query.join(Customer, Customer.id == Hazard.customer_id)
    query = query.where(unindexed(kept.month).in_(months), kept.name == base, in_ids(kept.hazard_id, ids),
                        hazard_filters(dataclasses.replace(scope, hazard_ids=None), cancelled=True))
    if keys:
        query = query.group_by(*keys)
    return collect(session.execute(query).all(), part, group)


def _concerned_ranges(session, scope: Scope) -> list[list]:
    """The hazards the scope concerns, as the conditions of passes whose counts add up. On PostgreSQL two:
    those still open and those closed since the period's start, each one range of the state index, which
    holds every column the sets read, the id too, so that neither reads the table (as an OR, the planner
    reads the table's pages of every open hazard: the running month's state at 200,000 hazards 46 -> 11 ms,
    EXPLAIN ANALYZE). SQLite reads both ranges of the index in one pass."""
    if session.get_bind().dialect.name != "postgresql":
        return [concerned(scope)]
    opened = Hazard.opened_at < scope.as_of
    return [[opened, Hazard.closed_at.is_(None)], [opened, Hazard.closed_at >= scope.start]]


def loosely_concerned(scope: Scope) -> list:
    """The hazards the scope concerns, written so that no index is taken for it: for a pass narrowed by
    another condition, on its own index."""
    closed = unindexed(Hazard.closed_at)
    return [unindexed(Hazard.opened_at) < scope.as_of, closed.is_(None) | (closed >= scope.start)]


def hazard_counts_over(session, scopes: list[Scope], names, one_pass: bool | None = None, *,
                       snapshot: bool = True) -> list[dict]:
    """hazard_counts for several periods with the same filters (a trend): [{set name: count}].

    one_pass: one scan of the hazards any of the periods concerns, a column per (period, set), instead
    of a query per period over mostly the same rows. By default on PostgreSQL only — measured on 200,000
    hazards (bench/kpi_scale.py), 12 months: PostgreSQL 1.5 s -> 1.07 s; SQLite 1.23 s -> 1.43 s, as its
    cost is the per-row timeline subqueries, paid per month either way, and the wide rows cost more."""
    names, scopes = list(names), list(scopes)
    if not scopes:
        return []
    months = [snapshots.closed(session, sc) if snapshot and set(names) <= set(snapshots.HAZARD_COLUMNS) else None
              for sc in scopes]
    if any(months):                       # closed months from their snapshots, the others computed
        live = [sc for sc, m in zip(scopes, months) if m is None]
        computed = iter(hazard_counts_over(session, live, names, one_pass, snapshot=False))
        return [snapshots.counts(session, sc, m, snapshots.HAZARD, names)[None] if m else next(computed)
                for sc, m in zip(scopes, months)]
    if one_pass is None:
        one_pass = session.get_bind().dialect.name == "postgresql"
    if not one_pass:
        return [hazard_counts(session, scope, names, snapshot=snapshot)[None] for scope in scopes]
    analytic(session)
    # the filters of the earliest period (its cancellations are the fewest); each period's own in its columns
    columns = [func.coalesce(func.sum(case((not_cancelled(sc.as_of) & HAZARD_SETS[n](session, sc), 1), else_=0)),
                             0).label(f"{n}__{i}")
               for i, sc in enumerate(scopes) for n in names]
    query = select(*columns).select_from(Hazard).where(
        hazard_filters(min(scopes, key=lambda sc: sc.as_of)), Hazard.opened_at < max(sc.as_of for sc in scopes),
        Hazard.closed_at.is_(None) | (Hazard.closed_at >= min(sc.start for sc in scopes)))
    row = session.execute(query).one()._mapping
    return [{n: int(row[f"{n}__{i}"] or 0) for n in names} for i in range(len(scopes))]


def inspection_counts(session, scope: Scope, names, group: str | tuple | None = None, *,
                      snapshot: bool = True) -> dict:
    """As hazard_counts, for the inspection sets: a closed month from its snapshot, a period of several
    months from its closed months' and the rest computed (records/kpi_compose.py), else computed."""
    names = list(names)
    month = snapshots.closed(session, scope) if snapshot else None
    kept = snapshots.counts(session, scope, month, snapshots.INSPECTION, names, group) if month else None
    if kept is not None:
        return kept
    analytic(session)
    chosen = kpi_compose.plan(session, scope) if snapshot and month is None else None
    if chosen is not None and set(names) <= set(snapshots.INSPECTION_COLUMNS):
        def live(part_scope: Scope, where: list, cancelled: bool = False) -> dict:
            return _count_inspections(session, part_scope, names, group, where, cancelled)
        return kpi_compose.compose_inspections(session, scope, names, group, chosen, live)
    return _count_inspections(session, scope, names, group, inspections_concerned(scope))


def _count_inspections(session, scope: Scope, names, group, where: list, cancelled: bool = False) -> dict:
    """One pass: the named sets over the inspections that meet `where` (cancelled: those cancelled too)."""
    columns = [func.coalesce(func.sum(case((INSPECTION_SETS[n](scope), 1), else_=0)), 0).label(n) for n in names]
    groups = groups_of(group)
    keys = [INSPECTION_GROUPS[g] for g in groups]
    query = select(*[k.label(f"key{i}") for i, k in enumerate(keys)], *columns).select_from(Inspection)
    if set(groups) & {"branch", "class", "industry"}:
        query = query.join(Customer, Customer.id == Inspection.customer_id)
    query = query.where(inspection_filters(scope, cancelled=cancelled), *where)
    if keys:
        query = query.group_by(*keys)
    return collect(session.execute(query).all(), names, group)


def grouped_hazard_counts(session, scope: Scope, names, keys) -> list[tuple[tuple, dict]]:
    """[(values of `keys`, {set name: count})] for every combination of the keys (columns of Hazard and
    Customer) that has hazards: the month snapshot's rows."""
    analytic(session)
    columns = [func.coalesce(func.sum(case((HAZARD_SETS[n](session, scope), 1), else_=0)), 0).label(n)
               for n in names]
    query = (select(*keys, *columns).select_from(Hazard).join(Customer, Customer.id == Hazard.customer_id)
             .where(hazard_filters(scope), *concerned(scope)).group_by(*keys))
    width = len(keys)
    return [(tuple(row[:width]), {n: int(v or 0) for n, v in zip(names, row[width:])})
            for row in session.execute(query).all()]


def grouped_inspection_counts(session, scope: Scope, names, keys) -> list[tuple[tuple, dict]]:
    """As grouped_hazard_counts, for the inspection sets."""
    analytic(session)
    columns = [func.coalesce(func.sum(case((INSPECTION_SETS[n](scope), 1), else_=0)), 0).label(n) for n in names]
    query = (select(*keys, *columns).select_from(Inspection).join(Customer, Customer.id == Inspection.customer_id)
             .where(inspection_filters(scope), *inspections_concerned(scope)).group_by(*keys))
    width = len(keys)
    return [(tuple(row[:width]), {n: int(v or 0) for n, v in zip(names, row[width:])})
            for row in session.execute(query).all()]


def roll_up(counts: dict, index: int | None, names) -> dict:
    """Counts grouped by a tuple of groups summed to one of them (its position), or to the total (None):
    what hazard_counts answers for that grouping, without another pass."""
    out: dict = {}
    for key, values in counts.items():
        target = out.setdefault(None if index is None else key[index], dict.fromkeys(names, 0))
        for name in names:
            target[name] += values.get(name, 0)
    if index is None and None not in out:
        out[None] = dict.fromkeys(names, 0)
    return out
