"""Counting a closed month for its snapshot (records/snapshots.py): every named set of records.kpi per
combination of branch, team, customer class, industry (and severity for hazards), and the grades customers
stood at. Queries only; the rows are stored with records.snapshots.replace.
"""
from __future__ import annotations

from sqlalchemy import func, select

from . import kpi, snapshots
from .customers import Customer
from .hazards import Hazard
from .indicators import grade_at
from .inspections import Inspection
from .kpi_scope import Scope
from .risk import CustomerGrade


def count(session, scope: Scope) -> list[dict]:
    """Count the month of `scope` (a whole, ended month, without filters): the rows of its snapshot, not
    yet stored (a dict of columns each). Reads only, so that the write transaction that stores them stays
    short."""
    month = snapshots.month_of(scope)
    if month is None or any(f is not None for f in (scope.branch_ids, scope.team_ids, scope.klass, scope.industry)):
        raise ValueError("a snapshot is counted for a whole ended month without filters")
    rows = []
    hazard_keys = (Hazard.branch_id, Hazard.team_id, Customer.importance, Customer.industry, Hazard.severity)
    for keys, counts in kpi.grouped_hazard_counts(session, scope, snapshots.HAZARD_COLUMNS, hazard_keys):
        rows.append(_row(month, snapshots.HAZARD, keys, counts))
    inspection_keys = (Customer.branch_id, Inspection.team_id, Customer.importance, Customer.industry)
    for keys, counts in kpi.grouped_inspection_counts(session, scope, snapshots.INSPECTION_COLUMNS, inspection_keys):
        rows.append(_row(month, snapshots.INSPECTION, keys, counts))
    for keys, counts in _grades(session, scope):
        rows.append(_row(month, snapshots.GRADE, keys, {snapshots.GRADE_COLUMNS[g]: n for g, n in counts.items()}))
    return rows


def _row(month: str, kind: str, keys: tuple, counts: dict) -> dict:
    row = dict.fromkeys(snapshots.HAZARD_COLUMNS + snapshots.INSPECTION_COLUMNS
                        + tuple(snapshots.GRADE_COLUMNS.values()), 0)
    return {**row, "month": month, "kind": kind, **dict(zip(snapshots.DIMENSIONS, keys)), **counts}


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
