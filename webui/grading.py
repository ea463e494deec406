"""Risk grading outside a process instance: after a customer's class changes, when a hazard is cancelled,
and once a day (every customer with open hazards or a grade is graded again, so deadlines that passed
and temporary windows that opened or closed count; then the A/B reminders).

The context is the one the engine gives handlers (ctx.decide reaches the deployed decision table),
so handlers/risk.py grades the same way everywhere. Safe to run twice: an unchanged grade writes
nothing, and warnings are unique per customer, grade and day.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, select

from engine import EngineError, audit
from handlers import risk as grading
from handlers import warnings
from records import Customer, jobs, risk
from records.hazards import OPEN, Hazard

from .work import local_day

DAILY = "risk_daily"


def context(eng, session, actor: str, chain: str):
    """A handler context on this session; its audit events go to the named chain."""
    def record(action, *, before=None, after=None, reason=None, element_id=None):
        audit.record(session, chain, at=eng.clock.now(), actor=actor, action=action, before=before, after=after,
                     reason=reason)
    return eng.context_factory(session=session, clock=eng.clock, actor=actor, instance_id=None, business_key=None,
                               element_id=None, audit=record,
                               decide=lambda decision_id, inputs: eng.decide(session, decision_id, inputs))


def regrade(eng, session, customer: Customer, reason: str, actor: str) -> dict:
    """Grade one customer in the caller's transaction (the caller commits)."""
    return grading.grade(context(eng, session, actor, f"customer:{customer.number}"), customer.id, reason)


def needs_grading(session, customer: Customer) -> bool:
    """Whether a change of the customer can change its grade: it has open hazards or a grade."""
    if session.scalar(select(Hazard.id).where(Hazard.customer_id == customer.id, Hazard.status.in_(OPEN)).limit(1)):
        return True
    current = risk.current_grade(session, customer.id)
    return current is not None and current.grade is not None


def _reason(customer: Customer, today: date) -> str:
    if customer.importance == "temporary":
        if customer.temporary_from == today:
            return "temporary_window_opened"
        if customer.temporary_to and customer.temporary_to + timedelta(days=1) == today:
            return "temporary_window_closed"
    return "daily"


def daily(eng, session_factory, config: dict, logger=None, *, force: bool = False) -> dict | None:
    """Once per local day: regrade every customer with open hazards or a grade, then send the reminders.

    The day is claimed first (records.jobs.claim_period), so several schedulers run it once; force
    runs it again (harmless: nothing unchanged is written, warnings are unique per day). One
    transaction per customer; a customer that fails is logged and left for its next event or day.
    Returns the report, or None when today's run was claimed already.
    """
    today = local_day(eng, config)
    with session_factory() as session:
        claimed = jobs.claim_period(session, DAILY, today.isoformat(), eng.clock.now())
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
        _one(eng, session_factory, customer_id, today, report, logger)
    return report


def _one(eng, session_factory, customer_id: int, today: date, report: dict, logger) -> None:
    with session_factory() as session:
        customer = session.get(Customer, customer_id)
        try:
            ctx = context(eng, session, "scheduler", f"customer:{customer.number}")
            result = grading.grade(ctx, customer.id, _reason(customer, today))
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


def customer_class_changed(before: dict, customer: Customer) -> bool:
    """Whether an edit touched what the grade depends on (class, temporary window, high-risk flag)."""
    return any(before.get(name) != getattr(customer, name)
               for name in ("importance", "temporary_from", "temporary_to", "high_risk"))



class GradingFailed(Exception):
    """The grade could not be computed (e.g. no decision table deployed); the caller saves nothing."""


def after_customer_edit(eng, session, customer: Customer, before: dict | None, actor: str) -> None:
    """Grade again in the edit's transaction when the class, temporary window or high-risk flag changed."""
    if before is None or not customer_class_changed(before, customer) or not needs_grading(session, customer):
        return
    try:
        regrade(eng, session, customer, "class_changed", actor)
    except (EngineError, grading.GradingError) as err:
        raise GradingFailed(str(err)) from err
