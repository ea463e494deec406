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

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import ConcurrentUpdate, audit
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


def go_live(settings: dict, customer: Customer) -> date:
    """Where a customer's first cycle starts when it has no inspection yet."""
    start = settings.get("PLAN_START")
    return date.fromisoformat(start) if start else customer.created_at.date()


def next_due(session, settings: dict, customer: Customer, today: date, cycles: dict | None = None) -> date | None:
    """When the customer's next periodic inspection is due (None: not on a periodic cycle now)."""
    key = inspections.cycle_key(customer, today)
    if key == "temporary":
        if not customer.temporary_from or customer.temporary_from < today:
            return None
        due = customer.temporary_from - timedelta(days=7)      # once before each assurance period
        if customer.last_inspected_on and customer.last_inspected_on >= due - timedelta(days=30):
            return None
        return due
    months = customer.cycle_months or (cycles if cycles is not None else inspections.cycles(session)).get(key)
    if not months:
        return None
    computed = (customer.last_inspected_on or go_live(settings, customer)) + relativedelta(months=months)
    if customer.next_inspection_due and customer.next_inspection_due < computed:
        return customer.next_inspection_due                    # a class change never postpones
    return computed


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
    for customer in session.scalars(select(Customer).where(access.customers(session, actor))):
        if customer.id in open_ids:
            continue
        due = next_due(session, settings, customer, today, cycles)
        if due is not None and today >= due - lead:
            out.append((customer.id, due))
    return out


def generate(rt, today: date, *, actor=access.SYSTEM) -> PlanReport:
    """Create every periodic inspection due within the lead time (default 15 days) that is missing, for
    the customers in the actor's reach (the scheduler: all), one transaction per inspection."""
    lead = timedelta(days=int(rt.config.get("PLAN_LEAD_DAYS", 15)))
    report = PlanReport()
    with rt.sessions() as session:
        due = due_customers(session, rt.config, today, actor)
    for customer_id, due_date in due:
        with rt.sessions() as session:
            customer = session.get(Customer, customer_id)
            try:
                made = create(rt, session, customer, kind="periodic", due=due_date, planned_from=due_date - lead,
                              actor="planner")
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
