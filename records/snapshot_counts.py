"""Counting a closed month (or a run of months, counted as one) for its snapshot (records/snapshots.py):
every named set of records.kpi per combination of branch, team, customer class, industry (and severity for
hazards), the grades customers stood at, and the hazards whose membership of a set may still change
(pending). Queries only; the rows are stored with records.snapshots.replace.
"""
from __future__ import annotations

from sqlalchemy import exists, func, not_, select

from . import kpi, kpi_compose, snapshots
from .kpi_conditions import ANSWERED, INSPECTION_OPEN, days_up, event_hazards, unanswered
from .customers import Customer
from .hazards import Hazard, HazardEvent
from .indicators import grade_at
from .inspections import Inspection
from .kpi_scope import Scope
from .risk import CustomerGrade


def count(session, scope: Scope) -> list[dict]:
    """Count the month (or run of months) of `scope` (whole, ended months, without filters): the rows of its
    snapshot, not yet stored (a dict of columns each). Reads only, so that the write transaction that stores
    them stays short."""
    month = snapshots.key_of(scope)
    if month is None or any(f is not None for f in (scope.branch_ids, scope.team_ids, scope.klass, scope.industry)):
        raise ValueError("a snapshot is counted for whole ended months without filters")
    rows = []
    hazard_keys = (Hazard.branch_id, Hazard.team_id, Customer.importance, Customer.industry, Hazard.severity)
    for keys, counts in kpi.grouped_hazard_counts(session, scope, snapshots.HAZARD_COLUMNS, hazard_keys):
        rows.append(_row(month, snapshots.HAZARD, keys, counts))
    inspection_keys = (Customer.branch_id, Inspection.team_id, Customer.importance, Customer.industry)
    for keys, counts in kpi.grouped_inspection_counts(session, scope, snapshots.INSPECTION_COLUMNS, inspection_keys):
        rows.append(_row(month, snapshots.INSPECTION, keys, counts))
    for keys, counts in _grades(session, scope):
        rows.append(_row(month, snapshots.GRADE, keys, {snapshots.GRADE_COLUMNS[g]: n for g, n in counts.items()}))
    for name, hazard_ids in pending(session, scope).items():
        rows.extend({"month": month, "kind": snapshots.PENDING, "name": name, "hazard_id": i} for i in hazard_ids)
    return rows


def _undecided(scope: Scope) -> dict:
    """Per set that a hazard may join after the month's end: (its base set, what else must hold of a
    hazard of the base that is not in the set for it to join later). Filed: the dossier may be completed
    later (and a notice delivered within 1 working day of a discovery on the month's last day counts);
    signed: a refusal may be followed by a signature; notified in time: a notice delivered after the
    month's end may still be within 1 working day of the discovery; a 重大 hazard's report after the end
    may still be within 5 working days. A hazard notified, or reported, by the month's end is decided: a
    later notice or report only comes later than the first."""
    reported = exists().where(HazardEvent.hazard_id == Hazard.id, HazardEvent.kind == "reported",
                              HazardEvent.at <= scope.as_of)
    return {"filed": ("discovered", []), "signed": ("notified", []),
            "notified_in_time": ("discovered", [Hazard.notified_at.is_(None) | (Hazard.notified_at > scope.as_of)]),
            "major_reported": ("major_discovered", [not_(reported)])}


def pending(session, scope: Scope) -> dict:
    """{name: [hazard id]}, what a period of several months reads of this month besides its counts
    (records/kpi_compose.py): per set of _undecided, the month's hazards of the set's base that are not in
    it and may join it, counted again as of the period's end; the hazards with an event of each kind of
    kpi_compose.EVENTS in the month (a hazard overdue in two months is one hazard of the period); and per
    in-time set, the hazards with an event unanswered when its days were up (late for good: name:late) or
    not yet up at the month's end (name:open); and the inspections due in the month and open when it is
    counted (their ids: taking a customer off the plan may cancel them later, see kpi_compose). Of each
    kind of event, also the hazards whose count in the month a longer period cannot take as its own
    (name:recount): with such an event before the month too (in the period it may be one hazard counted
    in two months), or closed before the month (e.g. a 重大 hazard reported after its close-out: not one
    of the month's hazards, but one of a period's that began before its close-out)."""
    out = {}
    for name, (base, more) in _undecided(scope).items():
        out[name] = list(session.scalars(select(Hazard.id).where(
            kpi.hazard_condition(session, scope, base), not_(kpi.sure(kpi.HAZARD_SETS[name](session, scope))),
            *more).order_by(Hazard.id)))
    earlier = HazardEvent.__table__.alias("earlier")
    for base, (kind, _in_time) in kpi_compose.EVENTS.items():
        out[base] = _ids(session, event_hazards(scope, kind))
        again = exists().where(earlier.c.hazard_id == HazardEvent.hazard_id, earlier.c.kind == kind,
                               earlier.c.at < scope.start)
        closed_before = exists().where(Hazard.id == HazardEvent.hazard_id, Hazard.closed_at < scope.start)
        out[base + kpi_compose.RECOUNT] = _ids(session, event_hazards(scope, kind, again | closed_before))
    for in_time, rule in ANSWERED.items():
        out[in_time + kpi_compose.LATE] = _ids(session, unanswered(scope, rule, days_up(scope, rule)))
        out[in_time + kpi_compose.OPEN] = _ids(session, unanswered(scope, rule, not_(days_up(scope, rule))))
    out[kpi_compose.OPEN_INSPECTIONS] = list(session.scalars(select(Inspection.id).where(   # may yet be cancelled
        Inspection.due_date >= scope.first_day, Inspection.due_date <= scope.last_day,
        Inspection.status.in_(INSPECTION_OPEN)).order_by(Inspection.id)))
    return out


def _ids(session, hazard_ids) -> list[int]:
    """The distinct ids of a subquery of hazard ids, in order."""
    found = hazard_ids.subquery()
    return list(session.scalars(select(found.c.hazard_id).distinct().order_by(found.c.hazard_id)))


def _row(month: str, kind: str, keys: tuple, counts: dict) -> dict:
    row = dict.fromkeys(snapshots.HAZARD_COLUMNS + snapshots.INSPECTION_COLUMNS
                        + tuple(snapshots.GRADE_COLUMNS.values()), 0)
    return {**row, "month": month, "kind": kind, "grain": "", **dict(zip(snapshots.DIMENSIONS, keys)), **counts}


def _grades(session, scope: Scope):
    """((branch, team, class, industry), {grade: customers}) as customers stood at the month's end."""
    rows = session.execute(
        select(Customer.branch_id, Customer.default_team_id, Customer.importance, Customer.industry,
               CustomerGrade.grade, func.count())
        .join(Customer, Customer.id == CustomerGrade.customer_id).where(*grade_at(scope.as_of))
        .group_by(Customer.branch_id, Customer.default_team_id, Customer.importance, Customer.industry,
                  CustomerGrade.grade)).all()
    out: dict = {}
    for branch, team, klass, industry, grade, count in rows:
        out.setdefault((branch, team, klass, industry), {})[grade or "-"] = count
    return list(out.items())
