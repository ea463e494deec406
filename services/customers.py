"""The customer register (the part hazards need): the list and one customer's page (一户一档) within the
actor's reach, registering a customer and editing one. A specialist places customers only in the
branches they reach and edits only customers they reach; a change of class is planned and graded again
in the same transaction. (Importing a register from a spreadsheet is the inspections area's.)
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from engine import audit
from records import Branch, Customer, CustomerTrip, Document, Hazard, Inspection, Team, customers
from records import risk as grade_records

from . import access, planning
from . import risk as grading_service
from .errors import Conflict, Invalid
from .i18n import _

LIST_LIMIT = 200
PROFILE_FIELDS = ("government_list_ref", "supply_voltage_kv", "power_sources", "supply_mode", "capacity_kva",
                  "security_load_kw", "emergency_power_kw", "emergency_power_type", "interlock_status",
                  "non_electrical_measures", "emergency_plan", "electricians", "gps_lat", "gps_lon", "cycle_months")
CUSTOMER_FIELDS = ("number", "name", "address", "branch_id", "importance", "temporary_from", "temporary_to",
                   "high_risk", "industry", "legal_representative", "contacts", "default_team_id") + PROFILE_FIELDS
# what a form sends: the columns, with the first contact as three fields
FORM_FIELDS = ("number", "name", "address", "branch_id", "importance", "temporary_from", "temporary_to", "high_risk",
               "industry", "legal_representative", "contact_name", "contact_post", "contact_mobile",
               "default_team_id") + PROFILE_FIELDS
NUMBER = re.compile(r"^\d{6,20}$")


def customer_list(rt, session, actor, q: str = "") -> dict:
    """Customers in reach (number or part of the name), each with its current risk grade; at most 200."""
    q = (q or "").strip()[:60]
    condition = access.customers(session, actor)
    query = select(Customer).where(condition).order_by(Customer.number)
    if q:
        query = query.where(or_(Customer.number == q, Customer.name.like(f"%{q.replace('%', '')}%")))
    rows = session.scalars(query.limit(LIST_LIMIT)).all()
    grades = {g.customer_id: g for g in session.scalars(select(grade_records.CustomerGrade).where(
        grade_records.CustomerGrade.current.is_(True), grade_records.CustomerGrade.customer_id.in_([c.id for c in rows])))}
    total = session.scalar(select(func.count()).select_from(Customer).where(condition))
    return {"rows": rows, "grades": grades, "q": q, "total": total}


def customer_page(rt, session, actor, number: str) -> dict:
    """一户一档: a customer in reach with its grade, and the inspections, hazards and documents the actor reaches."""
    customer = access.customer_or_404(session, actor, number)
    grade = grade_records.current_grade(session, customer.id)
    return {
        "customer": customer, "grade": grade,
        "grade_reasons": grading_service.reasons(session, [(customer, grade)])[0] if grade else "",
        "inspections": session.scalars(select(Inspection).where(Inspection.customer_id == customer.id,
                                                                access.inspections(session, actor))
                                       .order_by(Inspection.due_date.desc()).limit(50)).all(),
        "hazards": session.scalars(select(Hazard).where(Hazard.customer_id == customer.id,
                                                        access.hazards(session, actor))
                                   .order_by(Hazard.opened_at.desc()).limit(100)).all(),
        "documents": session.scalars(select(Document).where(Document.customer_id == customer.id,
                                                            access.customer_documents(session, actor))
                                     .order_by(Document.created_at.desc()).limit(100)).all(),
        "trips": session.scalars(select(CustomerTrip).where(CustomerTrip.customer_id == customer.id)
                                 .order_by(CustomerTrip.occurred_at.desc()).limit(100)).all(),
    }


def form_choices(rt, session, actor) -> dict:
    """The branches a customer may be placed in and the teams that may follow it, for the actor."""
    return {"branches": [(b.id, f"{b.name} ({b.code})") for b in session.scalars(
                select(Branch).where(access.branches(session, actor)).order_by(Branch.code))],
            "teams": [(t.id, f"{t.name} ({t.code})") for t in session.scalars(
                select(Team).where(access.teams(session, actor)).order_by(Team.code))]}


def editable(rt, session, actor, number: str) -> tuple[Customer, dict]:
    """A customer the actor may edit, and its values as a form shows them."""
    customer = access.customer_or_404(session, actor, number)
    access.require_right(actor, "customer.edit")
    first = (customer.contacts or [{}])[0]
    values = {name: getattr(customer, name) for name in FORM_FIELDS if hasattr(Customer, name)}
    values.update(importance=customer.importance or "", default_team_id=customer.default_team_id or 0,
                  contact_name=first.get("name"), contact_post=first.get("post"), contact_mobile=first.get("mobile"),
                  lock_version=str(customer.lock_version))
    return customer, values


def create(rt, session, actor, values: dict) -> Customer:
    """Register a customer in a branch the actor reaches."""
    access.require_right(actor, "customer.edit")
    return _save(rt, session, actor, Customer(), values, creating=True)


def update(rt, session, actor, number: str, values: dict, lock_version) -> Customer:
    """Edit a customer in reach (refused when someone else changed it since `lock_version`)."""
    customer = access.customer_or_404(session, actor, number)
    access.require_right(actor, "customer.edit")
    if str(lock_version) != str(customer.lock_version):
        raise Conflict(_("Someone else changed this record meanwhile; reload and try again."))
    return _save(rt, session, actor, customer, values, creating=False)


def _check(session, actor, values: dict) -> dict:
    """Field errors of the values (the web form checks formats first; these hold whatever the caller)."""
    errors = {}
    if not NUMBER.match(str(values.get("number") or "")):
        errors["number"] = _("Digits only (6 to 20).")
    if not str(values.get("name") or "").strip():
        errors["name"] = _("This field is required.")
    if not access.reaches_branch(session, actor, values.get("branch_id")):
        errors["branch_id"] = _("Choose one of the listed values.")
    if values.get("default_team_id") and not access.reaches_team(session, actor, values["default_team_id"]):
        errors["default_team_id"] = _("Choose one of the listed values.")
    if (values.get("importance") or None) not in (None, *customers.CLASS_NAMES):
        errors["importance"] = _("Choose one of the listed values.")
    if values.get("importance") == "temporary":
        start, end = values.get("temporary_from"), values.get("temporary_to")
        if not isinstance(start, date) or not isinstance(end, date):
            errors["temporary_to"] = _("A temporary class needs its window: from and until.")
        elif end < start:
            errors["temporary_to"] = _("The window ends before it starts.")
    return errors


def _apply(customer: Customer, values: dict, now) -> None:
    for name in ("number", "name", "address", "branch_id", "temporary_from", "temporary_to", "high_risk", "industry",
                 "legal_representative") + PROFILE_FIELDS:
        value = values.get(name)
        setattr(customer, name, value.strip() if isinstance(value, str) else value)
    customer.importance = values.get("importance") or None
    customer.default_team_id = values.get("default_team_id") or None
    contact = {k: values.get(f"contact_{k}") for k in ("name", "post", "mobile")}
    customer.contacts = [contact] if any(contact.values()) else []
    customer.updated_at = now


def _save(rt, session, actor, customer: Customer, values: dict, *, creating: bool) -> Customer:
    """Check, apply, plan and grade again, audit: one transaction, or nothing."""
    errors = _check(session, actor, values)
    if errors:
        raise Invalid(_("Please correct the marked fields."), errors=errors)
    now = rt.now()
    before = None if creating else {n: getattr(customer, n) for n in CUSTOMER_FIELDS}
    grading = _grading()
    try:
        old_class = customer.importance
        _apply(customer, values, now)
        if not creating and customer.importance != old_class:
            _recompute_plan(rt, session, customer)
        if creating:
            customer.created_at = now
            session.add(customer)
        audit.record(session, f"customer:{customer.number}", at=now, actor=actor.username,
                     action="customer.created" if creating else "customer.changed", before=before,
                     after={n: getattr(customer, n) for n in CUSTOMER_FIELDS})
        grading.after_customer_edit(rt, session, customer, before, actor.username)
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict(_("Someone else changed this record meanwhile; reload and try again.")) from None
    except IntegrityError:
        session.rollback()
        raise Invalid(_("A customer with this number already exists."),
                      errors={"number": _("A customer with this number already exists.")}) from None
    except grading.GradingFailed as err:
        session.rollback()
        raise Invalid(_("The risk grade could not be computed, so nothing was saved: %(error)s",
                        error=str(err))) from err
    return customer


def _grading():
    return grading_service


def _recompute_plan(rt, session, customer: Customer) -> None:
    planning.recompute_after_class_change(session, rt.config, customer, rt.today())
