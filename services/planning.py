"""The inspection plan: cycles per class, the periodic generator (domain.md §3.3), creating one
inspection with its process.

Each inspection is created with its process in one transaction. The partial unique index on open
periodic inspections makes a second generator's duplicate fail, which is skipped: safe when run
twice or by two schedulers at once. The scheduler runs `generate(rt, today)` as the system; a person
who asks for a run now creates only the due inspections of the customers in their own reach.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import ConcurrentUpdate, EngineError, audit
from records import Customer, Inspection, InspectionCycle, hazards, inspections

from . import access
from .errors import Forbidden, Invalid
from .i18n import _

PLANNERS = ("specialist", "admin")
OVERDUE_SHOWN = 100


@dataclass
class PlanReport:
    created: list[str] = field(default_factory=list)
    skipped: int = 0


go_live = inspections.go_live


def next_due(session, settings: dict, customer: Customer, today: date, cycles: dict | None = None) -> date | None:
    """When the customer's next periodic inspection is due (records.inspections.next_due)."""
    return inspections.next_due(session, settings, customer, today, cycles)


def recompute_after_class_change(session, settings: dict, customer: Customer, today: date) -> None:
    """A class change recomputes the next due date: the earlier of the new cycle's and the current one."""
    customer.next_inspection_due = next_due(session, settings, customer, today)


def create(rt, session, customer: Customer, *, kind: str, due: date, planned_from: date, actor: str,
           campaign_id: int | None = None, full: bool | None = None, note: str | None = None):
    """One inspection and its process instance, committed together; None if an open periodic one exists.
    A step of the generator, a campaign or the demo: the caller has decided the customer is in reach."""
    now = rt.now()
    template, _items = inspections.template_for(customer, kind)
    number = hazards.next_number(session, "JC", customer.branch.code, due.year)
    ins = Inspection(number=number, customer_id=customer.id, kind=kind, campaign_id=campaign_id,
                     full_inspection=(kind == "periodic") if full is None else full,
                     team_id=customer.default_team_id, planned_from=planned_from, due_date=due,
                     status="assigned" if customer.default_team_id else "planned", checklist_template=template,
                     created_by=actor, created_at=now, assigned_at=now if customer.default_team_id else None,
                     note=note)
    try:
        with session.begin_nested():
            session.add(ins)
    except IntegrityError:
        session.rollback()
        return None
    instance = rt.engine.start_instance(session, "inspection", actor=actor, business_key=number,
                                        subject=customer.number, data={"inspection_id": ins.id})
    ins.instance_id = instance.id
    session.commit()
    return ins


def due_customers(session, settings: dict, today: date, actor=access.SYSTEM) -> list[tuple[int, date]]:
    """(customer id, due date) of every customer in the actor's reach whose periodic inspection should
    be created now."""
    lead = timedelta(days=int(settings.get("PLAN_LEAD_DAYS", 15)))
    cycles = inspections.cycles(session)
    open_ids = set(session.scalars(select(Inspection.customer_id).where(
        Inspection.kind == "periodic", Inspection.status.in_(inspections.OPEN))))
    out = []
    for customer in session.scalars(select(Customer).where(access.customers(session, actor),
                                                           Customer.delisted_at.is_(None))):
        if customer.id in open_ids:
            continue
        due = next_due(session, settings, customer, today, cycles)
        if due is not None and today >= due - lead:
            out.append((customer.id, due))
    return out


def due_assurance_visits(session, settings: dict, today: date, actor=access.SYSTEM) -> list[tuple[int, date, date]]:
    """(customer id, planned from, due) of the 保电 visits of temporary customers in reach that should be
    created now (within the lead time of their due date) and are not yet: before each assurance period and
    again just before the event (domain.md §3.2; records.inspections.assurance_visits)."""
    lead = timedelta(days=int(settings.get("PLAN_LEAD_DAYS", 15)))
    made = set(session.execute(select(Inspection.customer_id, Inspection.due_date).where(
        Inspection.kind == "assurance", Inspection.created_by == "planner")).all())
    out = []
    for customer in session.scalars(select(Customer).where(access.customers(session, actor),
                                                           Customer.importance == "temporary",
                                                           Customer.delisted_at.is_(None),
                                                           Customer.temporary_from >= today)):
        for planned_from, due in inspections.assurance_visits(settings, customer, today):
            if (customer.id, due) not in made and today >= due - lead:
                out.append((customer.id, planned_from, due))
    return out


def generate(rt, today: date, *, actor=access.SYSTEM) -> PlanReport:
    """Create every periodic inspection due within the lead time (default 15 days) that is missing, and the
    保电 visits of temporary customers, for the customers in the actor's reach (the scheduler: all), one
    transaction per inspection."""
    lead = timedelta(days=int(rt.config.get("PLAN_LEAD_DAYS", 15)))
    with rt.sessions() as session:
        wanted = [(customer_id, "periodic", due - lead, due)
                  for customer_id, due in due_customers(session, rt.config, today, actor)]
        wanted += [(customer_id, "assurance", planned_from, due)
                   for customer_id, planned_from, due in due_assurance_visits(session, rt.config, today, actor)]
    report = PlanReport()
    for customer_id, kind, planned_from, due in wanted:
        with rt.sessions() as session:
            customer = session.get(Customer, customer_id)
            try:
                made = create(rt, session, customer, kind=kind, due=due, planned_from=planned_from,
                              actor="planner", full=False if kind == "assurance" else None)
            except ConcurrentUpdate:
                made = None
            if made is None:
                report.skipped += 1
            else:
                report.created.append(made.number)
    return report


def run_now(rt, actor) -> PlanReport:
    """A planner's "create them now": the generator, limited to the customers in the actor's reach
    (a county specialist's run creates only their county's; an admin's or the company's, all)."""
    if not actor.has_role(*PLANNERS):
        raise Forbidden()
    return generate(rt, rt.today(), actor=actor)


# --- the plan page and the cycles ------------------------------------------------------------------

def plan(rt, session, actor) -> dict:
    """The cycles, the customers in reach due for a periodic inspection, and their overdue inspections."""
    today = rt.today()
    overdue = session.scalars(select(Inspection).where(Inspection.status.in_(inspections.OPEN),
                                                       Inspection.due_date < today,
                                                       access.inspections(session, actor))
                              .order_by(Inspection.due_date).limit(OVERDUE_SHOWN)).all()
    return {"cycles": inspections.cycles(session), "names": inspections.CYCLE_NAMES, "today": today,
            "due": due_customers(session, rt.config, today, actor), "overdue": overdue,
            "may_run": actor.has_role(*PLANNERS), "may_edit_cycles": may_edit_cycles(session, actor)}


def may_edit_cycles(session, actor) -> bool:
    """The cycles are the company's: a planner whose reach is every branch (not a county's)."""
    return actor.has_role(*PLANNERS) and access.reaches_every_branch(session, actor)


def save_cycles(rt, session, actor, values: dict) -> dict:
    """Change the inspection cycle of customer classes (months), audited; returns what changed.
    Raises Forbidden (not a company-wide planner) or Invalid (errors by cycle key)."""
    if not may_edit_cycles(session, actor):
        raise Forbidden(_("Only a planner of the whole company may change the cycles."))
    cycles = inspections.cycles(session)
    errors, changes = {}, {}
    for key in inspections.DEFAULT_CYCLES:
        raw = str(values.get(key) or "").strip()
        if not raw.isdigit() or not (0 if key == "temporary" else 1) <= int(raw) <= 60:
            errors[key] = _("A cycle is a whole number of months from 0 to 60.") if key == "temporary" else \
                _("A cycle is a whole number of months from 1 to 60.")
        elif int(raw) != cycles[key]:
            changes[key] = int(raw)
    if errors:
        raise Invalid(errors=errors)
    if changes:
        now = rt.now()
        for key, months in changes.items():
            row = session.get(InspectionCycle, key) or InspectionCycle(key=key, months=months)
            row.months, row.updated_by, row.updated_at = months, actor.username, now
            session.merge(row)
        audit.record(session, "plan:cycles", at=now, actor=actor.username, action="cycles.changed",
                     before={k: cycles[k] for k in changes}, after=changes)
        session.commit()
    return changes


# --- taking a customer off the plan and back -------------------------------------------------------

REASON_MAX = 500


def delist(rt, session, actor, number: str, reason: str) -> Customer:
    """Take a customer in reach off the inspection plan (account closed, no longer an important user...)
    with a reason: no periodic inspection (nor 保电 visit) is generated any more, and those of the plan not
    yet started are cancelled with their processes. Audited; one transaction."""
    customer = access.customer_or_404(session, actor, number)
    if not actor.has_role(*PLANNERS):
        raise Forbidden()
    reason = _reason(reason)
    if customer.delisted_at is not None:
        message = _("The customer is already off the plan.")
        raise Invalid(message, errors={"reason": message})
    now = rt.now()
    customer.delisted_at, customer.delisted_reason, customer.delisted_by = now, reason, actor.username
    customer.next_inspection_due = None
    planned = (Inspection.kind == "periodic") | ((Inspection.kind == "assurance") & (Inspection.created_by == "planner"))
    waiting = session.scalars(select(Inspection).where(Inspection.customer_id == customer.id, planned,
                                                       Inspection.status.in_(("planned", "assigned")))).all()
    for ins in waiting:
        ins.status = "cancelled"
    audit.record(session, f"customer:{customer.number}", at=now, actor=actor.username, action="customer.delisted",
                 after={"reason": reason, "cancelled": [i.number for i in waiting]})
    session.commit()
    for ins in waiting:                  # each termination is the engine's own transaction
        if ins.instance_id:
            try:
                rt.engine.terminate(session, ins.instance_id, actor.username, f"客户撤出检查计划：{reason}")
            except EngineError:
                session.rollback()       # already ended: nothing to stop
    return customer


def relist(rt, session, actor, number: str, reason: str) -> Customer:
    """Put a delisted customer back on the plan, with a reason: its next periodic inspection is due from its
    last inspection (or at once, when that is long past)."""
    customer = access.customer_or_404(session, actor, number)
    if not actor.has_role(*PLANNERS):
        raise Forbidden()
    reason = _reason(reason)
    if customer.delisted_at is None:
        message = _("The customer is on the plan.")
        raise Invalid(message, errors={"reason": message})
    before = {"delisted_at": customer.delisted_at.isoformat(), "reason": customer.delisted_reason}
    customer.delisted_at = customer.delisted_reason = customer.delisted_by = None
    customer.next_inspection_due = next_due(session, rt.config, customer, rt.today())
    audit.record(session, f"customer:{customer.number}", at=rt.now(), actor=actor.username,
                 action="customer.relisted", before=before,
                 after={"reason": reason, "next_due": customer.next_inspection_due.isoformat()
                        if customer.next_inspection_due else None})
    session.commit()
    return customer


def _reason(text) -> str:
    reason = (text or "").strip()
    if not reason or len(reason) > REASON_MAX:
        message = _("Give a reason (at most %(n)s characters).", n=REASON_MAX)
        raise Invalid(message, errors={"reason": message})
    return reason
