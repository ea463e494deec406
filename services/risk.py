"""Customer risk (domain.md §5.2): the risk list (red / yellow / blue, grey for none, and 未监控 —
monitoring gap — for customers without open hazards whose periodic inspection is overdue), one
customer's grade with its history and warnings, and grading outside a process instance: by hand,
after a customer's class changed, when a hazard is cancelled, and once a day (then the A/B reminders).

Scope: the list is filtered by `access.customers` inside its SQL query; a single customer is found
through `access.customer_or_404` before anything is read or written. The grading itself is
handlers/risk.py, given the context the engine gives handlers (ctx.decide reaches the deployed
table), so a grade is computed the same way everywhere. Safe to run twice: an unchanged grade writes
nothing, and warnings are unique per customer, grade and day. Imports no web framework.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, func, or_, select

from engine import EngineError, audit
from handlers import risk as grading
from handlers import warnings, wording
from records import Customer, Document, Hazard, customers, inspections, jobs, people, risk
from records.hazards import OPEN
from records.inspections import Inspection
from records.outbox import OutboxMessage

from . import access
from .errors import Conflict
from .i18n import _, _l

PAGE_SIZE = 50
_CODE = re.compile(r"\b[A-Z]{2}\d{2}\b")         # a dictionary item's code inside a stored driver
STATUSES = ("A", "B", "C", "none", "gap")
COLOURS = {"A": "red", "B": "yellow", "C": "blue", "none": "grey", "gap": "gap"}
CLASS_FILTERS = customers.CLASSES + ("high_risk", "none")
CLASS_NAMES = customers.CLASS_NAMES
DAILY = "risk_daily"
GradingError = grading.GradingError


@dataclass
class RiskQuery:
    """The list's filters; values it does not know are dropped (a bad link shows the whole list)."""

    status: str | None = None
    branch: str | None = None
    klass: str | None = None
    q: str | None = None
    page: int = 1

    def __post_init__(self):
        self.status = self.status if self.status in STATUSES else None
        self.klass = self.klass if self.klass in CLASS_FILTERS else None
        self.branch = (self.branch or "").strip()[:40] or None
        self.q = (self.q or "").strip()[:60] or None
        self.page = max(1, int(self.page or 1))


# --- the list -------------------------------------------------------------------------------------

def risk_list(rt, session, actor, q: RiskQuery) -> tuple[list[dict], int, dict]:
    """(rows on this page, total, count per status over the other filters), worst score first; only the
    customers the actor reaches."""
    status, open_count, joined, condition = _base(session, actor, q, rt.today())
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
    words = reasons(session, [(r["customer"], r["grade"]) for r in rows])
    for r, sentence in zip(rows, words):
        r["reasons"] = sentence
    return rows, total or 0, counts


# why a grade was computed (CustomerGrade.reason), in words: the history table shows these, not the codes
GRADE_REASONS = {
    "event": _l("a change in the hazard's process"), "opened": _l("a hazard was opened"),
    "notice_signed": _l("the notice was signed"), "notice_refused": _l("the customer refused to sign the notice"),
    "notice_overdue": _l("the notice was not delivered in time"), "overdue": _l("rectification overdue"),
    "supervision": _l("the supervision order's deadline passed"), "extended": _l("the deadline was extended"),
    "refused_to_rectify": _l("the customer refused to rectify"),
    "rectification_reported": _l("the customer reported the rectification"),
    "acceptance": _l("acceptance inspection"), "close_refused": _l("closing was refused"),
    "closed": _l("a hazard was closed"), "cancelled": _l("a hazard file was cancelled"),
    "manual": _l("graded again by hand"), "class_changed": _l("the customer's class changed"),
    "daily": _l("daily grading"), "temporary_window_opened": _l("the temporary supply period began"),
    "temporary_window_closed": _l("the temporary supply period ended"),
}


def reason_name(reason: str | None) -> str:
    """Why a grade was computed, in the reader's words (an unknown code: "graded again")."""
    return str(GRADE_REASONS.get(reason or "", _l("graded again")))


def calculation(drivers: list[str] | None) -> list[str]:
    """A grade's working for specialists, in Chinese (the table's rule and the score formula)."""
    return wording.calculation(drivers)


def reasons(session, grades) -> list[str]:
    """Each (customer, grade row) as the sentence people read ("一级客户存在1项重大隐患（IL01 …）已逾期"),
    never the stored drivers' shorthand or the score formula; one query for all the items named."""
    codes = {code for _c, g in grades if g is not None for d in g.drivers or [] for code in _CODE.findall(d)}
    names = wording.item_names(session, codes) if codes else {}
    return [wording.grade_reasons(session, c, list(g.drivers or []), names) if g is not None else ""
            for c, g in grades]


def _status_column(today: date):
    open_count = (select(func.count(Hazard.id)).where(Hazard.customer_id == Customer.id, Hazard.status.in_(OPEN))
                  .correlate(Customer).scalar_subquery())
    late_inspection = exists().where(Inspection.customer_id == Customer.id, Inspection.kind == "periodic",
                                     Inspection.status.in_(inspections.OPEN), Inspection.due_date < today)
    gap = and_(open_count == 0, or_(Customer.next_inspection_due < today, late_inspection))
    return case((risk.CustomerGrade.grade.is_not(None), risk.CustomerGrade.grade), (gap, "gap"), else_="none"), \
        open_count


def _base(session, actor, q: RiskQuery, today: date):
    status, open_count = _status_column(today)
    joined = and_(risk.CustomerGrade.customer_id == Customer.id, risk.CustomerGrade.current.is_(True))
    condition = access.customers(session, actor)
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


# --- one customer ---------------------------------------------------------------------------------

def customer_risk(rt, session, actor, number: str) -> dict:
    """One customer in reach: its row in the list, the history of grades, the warnings sent and their
    messages, its open hazards. NotFound when absent or out of scope."""
    customer = access.customer_or_404(session, actor, number)
    rows, _total, _counts = risk_list(rt, session, actor, RiskQuery(q=customer.number))
    row = next((r for r in rows if r["customer"].id == customer.id), None)
    found = risk.warnings_of(session, customer.id)
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.warning_id.in_([w.id for w in found]))
                               .order_by(OutboxMessage.id)).all() if found else []
    by_warning: dict = {}
    for m in messages:
        by_warning.setdefault(m.warning_id, []).append(m)
    reports = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(
        [w.report_document_id for w in found if w.report_document_id])))} if found else {}
    hazards = session.scalars(select(Hazard).where(Hazard.customer_id == customer.id, Hazard.status.in_(OPEN))
                              .order_by(Hazard.deadline)).all()
    history = risk.history(session, customer.id)
    return {"customer": customer, "row": row, "history": history, "warnings": found,
            "messages": by_warning, "reports": reports, "hazards": hazards,
            "history_reasons": reasons(session, [(customer, h) for h in history]),
            "history_why": [reason_name(h.reason) for h in history],
            "calculation": calculation(row["grade"].drivers if row and row["grade"] else [])}


def regrade_by_hand(rt, session, actor, number: str) -> dict:
    """Grade a customer in reach again now (e.g. after a new table was deployed); one transaction.
    NotFound out of scope, Forbidden without the right, Conflict when it cannot be graded."""
    customer = access.regrade_customer_or_404(session, actor, number)
    try:
        result = regrade(rt, session, customer, "manual", actor.username)
        session.commit()
    except (EngineError, ValueError) as err:         # GradingError is a ValueError
        session.rollback()
        raise Conflict(_("The customer could not be graded: %(error)s", error=str(err))) from err
    return result


# --- grading, for the other areas and the scheduler -----------------------------------------------

def context(rt, session, actor_name: str, chain: str):
    """A handler context on this session; its audit events go to the named chain."""
    eng = rt.engine

    def record(action, *, before=None, after=None, reason=None, element_id=None):
        audit.record(session, chain, at=eng.clock.now(), actor=actor_name, action=action, before=before,
                     after=after, reason=reason)
    return eng.context_factory(session=session, clock=eng.clock, actor=actor_name, instance_id=None,
                               business_key=None, element_id=None, audit=record,
                               decide=lambda decision_id, inputs: eng.decide(session, decision_id, inputs))


def regrade(rt, session, customer: Customer, reason: str, actor_name: str) -> dict:
    """Grade one customer in the caller's transaction (the caller has checked scope, and commits)."""
    return grading.grade(context(rt, session, actor_name, f"customer:{customer.number}"), customer.id, reason)


def needs_grading(session, customer: Customer) -> bool:
    """Whether a change of the customer can change its grade: it has open hazards or a grade."""
    if session.scalar(select(Hazard.id).where(Hazard.customer_id == customer.id, Hazard.status.in_(OPEN)).limit(1)):
        return True
    current = risk.current_grade(session, customer.id)
    return current is not None and current.grade is not None


def customer_class_changed(before: dict, customer: Customer) -> bool:
    """Whether an edit touched what the grade depends on (class, temporary window, high-risk flag)."""
    return any(before.get(name) != getattr(customer, name)
               for name in ("importance", "temporary_from", "temporary_to", "high_risk"))


class GradingFailed(Exception):
    """The grade could not be computed (e.g. no decision table deployed); the caller saves nothing."""


def after_customer_edit(rt, session, customer: Customer, before: dict | None, actor_name: str) -> None:
    """Grade again in the edit's transaction when the class, temporary window or high-risk flag changed."""
    if before is None or not customer_class_changed(before, customer) or not needs_grading(session, customer):
        return
    try:
        regrade(rt, session, customer, "class_changed", actor_name)
    except (EngineError, GradingError) as err:
        raise GradingFailed(str(err)) from err


def daily(rt, *, force: bool = False, logger=None) -> dict | None:
    """Once per local day: regrade every customer with open hazards or a grade, then send the reminders.

    The day is claimed first (records.jobs.claim_period), so several schedulers run it once; force
    runs it again (harmless: nothing unchanged is written, warnings are unique per day). One
    transaction per customer; a customer that fails is logged and left for its next event or day.
    Returns the report, or None when today's run was claimed already.
    """
    today = rt.today()
    with rt.sessions() as session:
        claimed = jobs.claim_period(session, DAILY, today.isoformat(), rt.now())
        session.commit()
        if not claimed and not force:
            return None
        graded = select(risk.CustomerGrade.customer_id).where(risk.CustomerGrade.current.is_(True),
                                                               risk.CustomerGrade.grade.is_not(None))
        ids = list(session.scalars(select(Customer.id).where(or_(
            Customer.id.in_(select(Hazard.customer_id).where(Hazard.status.in_(OPEN))), Customer.id.in_(graded)))
            .order_by(Customer.id)))
    report = {"graded": 0, "updated": 0, "changed": 0, "reminders": 0, "errors": []}
    for customer_id in ids:
        _daily_one(rt, customer_id, today, report, logger)
    return report


def _daily_one(rt, customer_id: int, today: date, report: dict, logger) -> None:
    with rt.sessions() as session:
        customer = session.get(Customer, customer_id)
        try:
            ctx = context(rt, session, "scheduler", f"customer:{customer.number}")
            result = grading.grade(ctx, customer.id, _daily_reason(customer, today))
            current = risk.current_grade(session, customer.id)
            if current is not None and current.grade in ("A", "B") and warnings.remind(ctx, customer, current):
                report["reminders"] += 1
            session.commit()
        except Exception as err:  # noqa: BLE001 - one customer's failure must not stop the others
            session.rollback()
            report["errors"].append(f"{customer.number}: {err}")
            if logger is not None:
                logger.error("risk grading of customer %s failed: %s", customer.number, err)
            return
        report["graded"] += 1
        report["updated"] += bool(result["stored"])
        report["changed"] += bool(result["changed"])


def _daily_reason(customer: Customer, today: date) -> str:
    if customer.importance == "temporary":
        if customer.temporary_from == today:
            return "temporary_window_opened"
        if customer.temporary_to and customer.temporary_to + timedelta(days=1) == today:
            return "temporary_window_closed"
    return "daily"
