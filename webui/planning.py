"""Planning inspections: the periodic generator (domain.md §3.3), manual tasks and campaigns.

Each inspection is created with its process in one transaction. The partial unique index on open
periodic inspections makes a second generator's duplicate fail, which is skipped: safe when run
twice or by two schedulers at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import ConcurrentUpdate
from records import Customer, Inspection, hazards, inspections


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


def create(session, eng, customer: Customer, *, kind: str, due: date, planned_from: date, actor: str,
           campaign_id: int | None = None, full: bool | None = None, note: str | None = None):
    """One inspection and its process instance, committed together; None if an open periodic one exists."""
    now = eng.clock.now()
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
    instance = eng.start_instance(session, "inspection", actor=actor, business_key=number,
                                  subject=customer.number, data={"inspection_id": ins.id})
    ins.instance_id = instance.id
    session.commit()
    return ins


def due_customers(session, settings: dict, today: date) -> list[tuple[int, date]]:
    """(customer id, due date) of every customer whose periodic inspection should be created now."""
    lead = timedelta(days=int(settings.get("PLAN_LEAD_DAYS", 15)))
    cycles = inspections.cycles(session)
    open_ids = set(session.scalars(select(Inspection.customer_id).where(
        Inspection.kind == "periodic", Inspection.status.in_(inspections.OPEN))))
    out = []
    for customer in session.scalars(select(Customer)):
        if customer.id in open_ids:
            continue
        due = next_due(session, settings, customer, today, cycles)
        if due is not None and today >= due - lead:
            out.append((customer.id, due))
    return out


def generate(eng, session_factory, settings: dict, today: date) -> PlanReport:
    """Create every periodic inspection due within the lead time (default 15 days) that is missing."""
    lead = timedelta(days=int(settings.get("PLAN_LEAD_DAYS", 15)))
    report = PlanReport()
    with session_factory() as session:
        due = due_customers(session, settings, today)
    for customer_id, due_date in due:
        with session_factory() as session:
            customer = session.get(Customer, customer_id)
            try:
                made = create(session, eng, customer, kind="periodic", due=due_date, planned_from=due_date - lead,
                              actor="planner")
            except ConcurrentUpdate:
                made = None
            if made is None:
                report.skipped += 1
            else:
                report.created.append(made.number)
    return report
