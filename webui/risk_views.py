"""The customer risk list (domain.md §5.2): red / yellow / blue, grey for none, and 未监控 (monitoring gap)
for customers without open hazards whose periodic inspection is overdue. Shared by the pages and the API.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import and_, case, exists, func, or_, select

from records import Customer, Document, Hazard, customers, inspections, people, risk
from records.hazards import OPEN
from records.inspections import Inspection
from records.outbox import OutboxMessage

from .rendering import page_number

PAGE_SIZE = 50
STATUSES = ("A", "B", "C", "none", "gap")
COLOURS = {"A": "red", "B": "yellow", "C": "blue", "none": "grey", "gap": "gap"}


@dataclass
class RiskQuery:
    status: str | None = None
    branch: str | None = None
    klass: str | None = None
    q: str | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "RiskQuery":
        status = args.get("status") or None
        klass = args.get("class") or None
        return cls(status=status if status in STATUSES else None, branch=(args.get("branch") or "").strip()[:40] or None,
                   klass=klass if klass in customers.CLASSES + ("high_risk", "none") else None,
                   q=(args.get("q") or "").strip()[:60] or None, page=page_number(args))


def _status_column(today: date):
    open_count = (select(func.count(Hazard.id)).where(Hazard.customer_id == Customer.id, Hazard.status.in_(OPEN))
                  .correlate(Customer).scalar_subquery())
    late_inspection = exists().where(Inspection.customer_id == Customer.id, Inspection.kind == "periodic",
                                     Inspection.status.in_(inspections.OPEN), Inspection.due_date < today)
    gap = and_(open_count == 0, or_(Customer.next_inspection_due < today, late_inspection))
    return case((risk.CustomerGrade.grade.is_not(None), risk.CustomerGrade.grade), (gap, "gap"), else_="none"), \
        open_count


def _base(session, q: RiskQuery, today: date):
    status, open_count = _status_column(today)
    joined = and_(risk.CustomerGrade.customer_id == Customer.id, risk.CustomerGrade.current.is_(True))
    condition = Customer.id.is_not(None)
    if q.branch:
        found = session.scalars(select(people.Branch).where(people.Branch.code == q.branch)).first()
        codes = people.branch_codes_under(session, found) if found is not None else {q.branch}
        condition &= Customer.branch_id.in_(select(people.Branch.id).where(people.Branch.code.in_(codes)))
    if q.klass == "high_risk":
        condition &= Customer.importance.is_(None) & Customer.high_risk.is_(True)
    elif q.klass == "none":
        condition &= Customer.importance.is_(None) & Customer.high_risk.is_not(True)
    elif q.klass:
        condition &= Customer.importance == q.klass
    if q.q:
        condition &= or_(Customer.number == q.q, Customer.name.like(f"%{q.q.replace('%', '').replace('_', '')}%"))
    return status, open_count, joined, condition


def risk_page(session, q: RiskQuery, today: date) -> tuple[list[dict], int, dict]:
    """(rows on this page, total, count per status over the other filters), worst score first."""
    status, open_count, joined, condition = _base(session, q, today)
    counted = (select(status.label("s"), func.count()).select_from(Customer).outerjoin(risk.CustomerGrade, joined)
               .where(condition).group_by(status))
    counts = {s: 0 for s in STATUSES} | dict(session.execute(counted).all())
    if q.status:
        condition &= status == q.status
    total = session.scalar(select(func.count()).select_from(Customer).outerjoin(risk.CustomerGrade, joined)
                           .where(condition))
    query = (select(Customer, risk.CustomerGrade, status.label("status"), open_count.label("open_count"))
             .outerjoin(risk.CustomerGrade, joined).where(condition)
             .order_by(func.coalesce(risk.CustomerGrade.score, 0).desc(), status, Customer.number)
             .limit(PAGE_SIZE).offset((q.page - 1) * PAGE_SIZE))
    rows = [{"customer": c, "grade": g, "status": s, "colour": COLOURS[s], "open_hazards": n}
            for c, g, s, n in session.execute(query).all()]
    return rows, total or 0, counts


def row_json(row: dict) -> dict:
    c, g = row["customer"], row["grade"]
    return {"number": c.number, "name": c.name, "class": c.importance, "class_name": c.class_name,
            "high_risk": bool(c.high_risk), "branch": c.branch.code, "status": row["status"], "colour": row["colour"],
            "grade": g.grade if g else None, "score": g.score if g else 0.0, "drivers": list(g.drivers or []) if g else [],
            "model_version": g.model_version if g else None,
            "computed_at": g.computed_at.isoformat() if g else None, "open_hazards": row["open_hazards"],
            "next_inspection_due": c.next_inspection_due.isoformat() if c.next_inspection_due else None}


def customer_or_404(session, number: str) -> Customer:
    found = customers.by_number(session, number[:20])
    if found is None:
        abort(404)
    return found


def customer_risk(session, customer: Customer, today: date) -> dict:
    """One customer: its row in the list, the history of grades, the warnings sent and their messages."""
    rows, _total, _counts = risk_page(session, RiskQuery(q=customer.number), today)
    row = next((r for r in rows if r["customer"].id == customer.id), None)
    warnings = risk.warnings_of(session, customer.id)
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.warning_id.in_([w.id for w in warnings]))
                               .order_by(OutboxMessage.id)).all() if warnings else []
    by_warning: dict = {}
    for m in messages:
        by_warning.setdefault(m.warning_id, []).append(m)
    reports = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(
        [w.report_document_id for w in warnings if w.report_document_id])))} if warnings else {}
    hazards = session.scalars(select(Hazard).where(Hazard.customer_id == customer.id, Hazard.status.in_(OPEN))
                              .order_by(Hazard.deadline)).all()
    return {"row": row, "history": risk.history(session, customer.id), "warnings": warnings,
            "messages": by_warning, "reports": reports, "hazards": hazards}


def customer_json(view: dict) -> dict:
    return {**row_json(view["row"]),
            "history": [{"grade": g.grade, "score": g.score, "drivers": g.drivers, "model_version": g.model_version,
                         "reason": g.reason, "computed_at": g.computed_at.isoformat(), "current": g.current}
                        for g in view["history"]],
            "warnings": [{"kind": w.kind, "grade": w.grade, "previous": w.previous, "day": w.day.isoformat(),
                          "recipients": w.recipients, "report_document_id": w.report_document_id,
                          "messages": [{"channel": m.channel, "recipient": m.recipient, "status": m.status,
                                        "last_error": m.last_error} for m in view["messages"].get(w.id, [])]}
                         for w in view["warnings"]],
            "open_hazards_list": [{"file_number": h.file_number, "item_code": h.item_code, "severity": h.severity,
                                   "status": h.status, "deadline": h.deadline.isoformat()} for h in view["hazards"]]}
