"""Grid trips caused by customers (因客户原因引起电网跳闸次数, the case report's outcome measure): recorded
per customer (when, the cause, the hazard behind it if any), listed per period within the actor's reach,
counted among the indicators (records.indicators.trip_counts)."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine import audit
from records import Customer, CustomerTrip, indicators

from . import access
from .errors import Invalid, NotFound
from .i18n import _
from .indicators import query as kpi_query

CAUSE_MAX = 500
PAGE_LIMIT = 500


def may_record(actor) -> bool:
    return access.has_right(actor, "trip.record")


def record(rt, session, actor, *, customer: str, occurred_on: str, cause: str, occurred_time: str | None = None,
           hazard: str | None = None) -> CustomerTrip:
    """Record a trip of a customer in reach: the day (and time, local) it happened, the cause, and the
    hazard file behind it if there is one (the same customer's, in reach). Nothing is written when refused."""
    access.require_right(actor, "trip.record")
    errors = {}
    try:
        found = access.customer_or_404(session, actor, customer or "")
    except NotFound:
        found, errors["customer"] = None, _("There is no customer with this number.")
    at = _when(rt, occurred_on, occurred_time, errors)
    cause = (cause or "").strip()
    if not cause:
        errors["cause"] = _("Say what caused the trip.")
    elif len(cause) > CAUSE_MAX:
        errors["cause"] = _("At most %(n)s characters.", n=CAUSE_MAX)
    hazard_row = None
    if (hazard or "").strip():
        try:
            hazard_row = access.hazard_or_404(session, actor, hazard.strip())
        except NotFound:
            errors["hazard"] = _("There is no hazard file with this number.")
        else:
            if found is not None and hazard_row.customer_id != found.id:
                errors["hazard"] = _("The hazard file belongs to another customer.")
    if errors:
        raise Invalid(next(iter(errors.values())), errors=errors)
    row = CustomerTrip(customer_id=found.id, occurred_at=at, cause=cause,
                       hazard_id=hazard_row.id if hazard_row else None, recorded_by=actor.username,
                       recorded_at=rt.now())
    session.add(row)
    session.flush()
    audit.record(session, f"customer:{found.number}", at=rt.now(), actor=actor.username, action="customer.trip",
                 after={"trip": row.id, "occurred_at": at.isoformat(), "cause": cause,
                        "hazard": hazard_row.file_number if hazard_row else None})
    session.commit()
    return row


def record_for_customer(rt, session, actor, number: str, **fields) -> CustomerTrip:
    """Record a trip of the customer `number` (the API's door): a customer out of reach is absent (NotFound)
    before anything is checked or written; the rest as record()."""
    access.require_right(actor, "trip.record")
    customer = access.customer_or_404(session, actor, number)
    return record(rt, session, actor, customer=customer.number, **fields)


def _when(rt, day_text, time_text, errors) -> datetime | None:
    zone = ZoneInfo(rt.config["TIMEZONE"])
    try:
        day = date.fromisoformat((day_text or "").strip()[:10])
        moment = time.fromisoformat((time_text or "").strip()[:5]) if (time_text or "").strip() else time(12)
    except ValueError:
        errors["occurred_on"] = _("Give the day as YYYY-MM-DD and the time as HH:MM.")
        return None
    at = datetime.combine(day, moment, zone).astimezone(timezone.utc)
    if at > rt.now() or day.year < 2000:
        errors["occurred_on"] = _("The trip cannot lie in the future.") if at > rt.now() else \
            _("The day is too early.")
        return None
    return at


def in_period(rt, session, actor, args) -> dict:
    """The trips of a period (the dashboard's period and filters) within the actor's reach, newest first."""
    q, scope = kpi_query(rt, session, actor, args)
    rows = []
    if scope is not None:
        rows = session.scalars(select(CustomerTrip).join(Customer, Customer.id == CustomerTrip.customer_id)
                               .where(indicators.trip_condition(scope), access.customers(session, actor))
                               .order_by(CustomerTrip.occurred_at.desc()).limit(PAGE_LIMIT)).all()
    return {"q": q, "rows": rows}


def for_customer(rt, session, actor, number: str) -> list[CustomerTrip]:
    customer = access.customer_or_404(session, actor, number)
    return list(session.scalars(select(CustomerTrip).where(CustomerTrip.customer_id == customer.id)
                                .order_by(CustomerTrip.occurred_at.desc()).limit(PAGE_LIMIT)))
