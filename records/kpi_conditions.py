"""The conditions records.kpi's sets are made of: filters, the state of a hazard at a moment (read
from its timeline), monitoring, the dossier, timeliness, and the few counted in Python (working days).
Queries only; the scope is a records.kpi_scope.Scope.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, Text, bindparam, case, exists, func, not_, select, true, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Join
from sqlalchemy.sql.sqltypes import NullType

from .customers import Customer
from .documents import Document
from .hazards import Hazard, HazardEvent
from .inspections import Inspection
from .kpi_scope import Scope


RECTIFYING = ("rectifying", "overdue", "supervising", "acceptance_failed")
DEADLINE_KINDS = ("registered", "rectification_started", "overdue", "supervised", "extension_approved",
                  "acceptance_failed", "rectification_resumed", "close_refused")
INSPECTION_OPEN = ("planned", "assigned", "in_progress")
ORDER_DELIVERED = ("supervised",)          # the timeline's kind for a 督导单 signed for or refused


class elapsed_days(FunctionElement):
    """Days (fractional) from the first instant to the second, on SQLite and PostgreSQL."""

    type = Float()
    inherit_cache = True
    name = "elapsed_days"


@compiles(elapsed_days)
def _elapsed_sqlite(element, compiler, **kw):
    first, second = list(element.clauses)
    return f"(julianday({compiler.process(second, **kw)}) - julianday({compiler.process(first, **kw)}))"


class unindexed(FunctionElement):
    """The column, written so that SQLite does not pick an index for it (a unary plus); as is elsewhere.
    Without statistics (the app never runs ANALYZE) SQLite takes any index it can for a comparison or a
    grouping, even one that holds for nearly every row: reading the whole table in that index's order."""

    inherit_cache = True
    name = "unindexed"

    @property
    def type(self):
        return list(self.clauses)[0].type


@compiles(unindexed)
def _unindexed(element, compiler, **kw):
    return compiler.process(list(element.clauses)[0], **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return f"+{compiler.process(list(element.clauses)[0], **kw)}"


class in_written_order(Join):
    """A join that SQLite reads in the order written (CROSS JOIN ... ON, the one join its planner does not
    reorder); a plain join elsewhere. For a grouping whose groups come in the order of the first table's
    index, where SQLite, left to itself, reads the second first and sorts every row by group."""

    inherit_cache = True


@compiles(in_written_order, "sqlite")
def _in_written_order_sqlite(element, compiler, **kw):
    kw["asfrom"] = True
    return (f"{compiler.process(element.left, **kw)} CROSS JOIN {compiler.process(element.right, **kw)} "
            f"ON {compiler.process(element.onclause, **kw)}")


@compiles(elapsed_days, "postgresql")
def _elapsed_pg(element, compiler, **kw):
    first, second = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(second, **kw)} - {compiler.process(first, **kw)})) / 86400.0)"


class among(FunctionElement):
    """`column IN ids` for a list of ids read before (see in_ids). Untyped: a Boolean one would be
    rendered `... = 1` on SQLite, which then reads no index for it."""

    type = NullType()
    inherit_cache = True
    name = "among"


@compiles(among)
def _among_json(element, compiler, **kw):
    column, listed, _array = list(element.clauses)
    return f"{compiler.process(column, **kw)} IN (SELECT value FROM json_each({compiler.process(listed, **kw)}))"


@compiles(among, "postgresql")
def _among_array(element, compiler, **kw):
    column, _listed, array = list(element.clauses)
    return f"({compiler.process(column, **kw)} = ANY({compiler.process(array, **kw)}))"


def in_ids(column, ids):
    """`column IN ids` for a list of ids read before (thousands, in a period's corrections), as one
    parameter: an array on PostgreSQL (= ANY), JSON text that SQLite reads with json_each. An IN of a
    parameter per id costs SQLAlchemy some microseconds per id to render at every query (measured: the
    year to date's 10,000 ids, about 20 ms in process time on SQLite)."""
    ids = [int(i) for i in ids]
    return among(column, bindparam(None, json.dumps(ids), type_=Text(), unique=True),
                 bindparam(None, ids, type_=ARRAY(Integer), unique=True))


# --- filters ---------------------------------------------------------------------------------------

def customer_ids(scope: Scope):
    """Customers of the class / industry / branches asked for (a subquery), or None."""
    conditions = []
    if scope.klass:
        conditions.append(Customer.importance.is_(None) if scope.klass == "none" else Customer.importance == scope.klass)
    if scope.industry:
        conditions.append(Customer.industry == scope.industry)
    return select(Customer.id).where(*conditions) if conditions else None


def not_cancelled(moment: datetime):
    """Not cancelled by the moment: a cancellation counts from its approval, so a period read as of its
    end keeps the hazards cancelled later (its numbers never change afterwards)."""
    return Hazard.cancelled_at.is_(None) | (Hazard.cancelled_at >= moment)


def hazard_filters(scope: Scope, cancelled: bool = False):
    """The scope's filters on hazards; not cancelled by its as_of (cancelled=True: not that one, for a
    count that decides it otherwise: records.kpi.kept_counts)."""
    condition = not_cancelled(scope.as_of) if not cancelled else true()
    if scope.future:
        condition &= Hazard.id.is_(None)
    if scope.branch_ids is not None:
        condition &= Hazard.branch_id.in_(scope.branch_ids)
    if scope.team_ids is not None:
        condition &= Hazard.team_id.in_(scope.team_ids)
    if scope.hazard_ids is not None:
        condition &= in_ids(Hazard.id, scope.hazard_ids)
    chosen = customer_ids(scope)
    if chosen is not None:
        condition &= Hazard.customer_id.in_(chosen)
    return condition


def inspection_filters(scope: Scope, cancelled: bool = False):
    """The scope's filters on inspections; not cancelled (cancelled=True: those too, for a correction that
    counts the ones cancelled since their month closed: records/kpi_compose.py)."""
    condition = Inspection.status != "cancelled" if not cancelled else true()
    if scope.future:
        condition &= Inspection.id.is_(None)
    if scope.team_ids is not None:
        condition &= Inspection.team_id.in_(scope.team_ids)
    chosen = customer_ids(scope)
    if scope.branch_ids is not None:
        condition &= Inspection.customer_id.in_(select(Customer.id).where(Customer.branch_id.in_(scope.branch_ids)))
    if chosen is not None:
        condition &= Inspection.customer_id.in_(chosen)
    return condition


SHORT = timedelta(days=62)     # a period up to two months long is read on an index (records.kpi.concerned)


def inspections_concerned(scope: Scope) -> list:
    """The inspections any set of the scope may hold: due in the period, or completed in it by as_of. A
    short period reads them on the due_date and completed_on indexes (measured on SQLite, 30,000
    inspections: the running month 7.9 -> 1.2 ms); a long one reads the table, as nearly every row is in
    it (through the index: twice as slow)."""
    due, done = Inspection.due_date, Inspection.completed_on
    if scope.last_day - scope.first_day > SHORT:
        due, done = unindexed(due), unindexed(done)
    return [((due >= scope.first_day) & (due <= scope.last_day))
            | ((done >= scope.first_day) & (done <= scope.as_of_day))]


# --- the state of a hazard at a moment -----------------------------------------------------------

def _stamp(moment: datetime) -> str:
    """An instant as the timeline writes deadlines (ISO, UTC, whole seconds)."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def _event(kind, *conditions):
    kinds = (kind,) if isinstance(kind, str) else kind
    return exists().where(HazardEvent.hazard_id == Hazard.id, HazardEvent.kind.in_(kinds), *conditions)


def status_at(moment: datetime):
    """The status the hazard's timeline shows at the moment (the last event's status_after)."""
    return (select(HazardEvent.status_after).where(HazardEvent.hazard_id == Hazard.id, HazardEvent.at <= moment)
            .order_by(HazardEvent.at.desc(), HazardEvent.id.desc()).limit(1).scalar_subquery())


def deadline_at(moment: datetime):
    """The deadline in force at the moment, as the timeline wrote it: ISO text in UTC (the handlers write
    aware UTC datetimes), comparable as text with _stamp()."""
    return (select(HazardEvent.detail["deadline"].as_string())
            .where(HazardEvent.hazard_id == Hazard.id, HazardEvent.kind.in_(DEADLINE_KINDS), HazardEvent.at <= moment)
            .order_by(HazardEvent.at.desc(), HazardEvent.id.desc()).limit(1).scalar_subquery())


def sure(condition):
    """A condition that is false, never NULL, where SQL would give NULL (so that NOT works)."""
    return case((condition, 1), else_=0) == 1


def open_at(moment: datetime):
    """Open at the moment: found on the closed_at index (open, or closed since), not through `opened_at <
    moment`, which holds for nearly every hazard (see unindexed)."""
    return (unindexed(Hazard.opened_at) < moment) & (Hazard.closed_at.is_(None) | (Hazard.closed_at >= moment))


def _changed_since(moment: datetime):
    """The timeline has events after the moment (so the hazard's columns are not its state then)."""
    return exists().where(HazardEvent.hazard_id == Hazard.id, HazardEvent.at > moment)


def _status(scope: Scope):
    """The hazard's status at as_of: its column, or the timeline's when it changed since."""
    if scope.live:
        return Hazard.status
    return case((_changed_since(scope.as_of), status_at(scope.as_of)), else_=Hazard.status)


def _past_deadline(scope: Scope):
    """1 when the deadline in force at as_of had passed by then, else 0."""
    t = scope.as_of
    current = case((Hazard.deadline < t, 1), else_=0)
    if scope.live:
        return current
    return case((_changed_since(t), case((deadline_at(t) < _stamp(t), 1), else_=0)), else_=current)


def _by_status(scope: Scope, overdue, rectifying):
    """CASE on the status at as_of (read once): `overdue` when it is overdue, `rectifying` while it is being
    rectified (rectifying, supervising, acceptance_failed), else 0."""
    whens = {"overdue": overdue, **{s: rectifying for s in RECTIFYING if s != "overdue"}}
    return case(whens, value=_status(scope), else_=0)


def overdue_at(scope: Scope):
    """Overdue at as_of against the deadline in force then: an undelivered notice past its delivery deadline,
    a hazard being rectified past its rectification deadline (moved only by an approved extension or a new
    round). Under a 督导单 it stays overdue (domain.md §5.2): the order's deadline decides the next escalation,
    not whether the hazard is on time; only an approved extension (status back to rectifying) ends it."""
    past = _past_deadline(scope)
    whens = {"overdue": 1, "supervising": 1, "found": past,
             **{s: past for s in RECTIFYING if s not in ("overdue", "supervising")}}
    return case(whens, value=_status(scope), else_=0) == 1


def _order_delivered(moment: datetime):
    """A 督导单 was delivered (signed, or the refusal recorded: the "supervised" event) since the hazard last
    went overdue: of its overdue and delivery events up to the moment, the last is a delivery. Rendering
    the order is not enough (domain.md §8). One backward index lookup per hazard."""
    last = (select(HazardEvent.kind).where(HazardEvent.hazard_id == Hazard.id,
                                           HazardEvent.kind.in_(("overdue",) + ORDER_DELIVERED),
                                           HazardEvent.at <= moment)
            .order_by(HazardEvent.at.desc(), HazardEvent.id.desc()).limit(1).scalar_subquery())
    return sure(last.in_(ORDER_DELIVERED))


def _gap(scope: Scope):
    """Overdue at as_of without a 督导单 delivered since (a deadline passed unnoticed, or an order not delivered)."""
    return _by_status(scope, case((_order_delivered(scope.as_of), 0), else_=1), _past_deadline(scope)) == 1


def _inspection_overdue(scope: Scope):
    """The customer has a periodic inspection past its due date and not done at as_of (one subquery,
    evaluated once): open and never completed, found on (status, due_date), or completed after as_of, found
    on completed_on (measured on SQLite at 30,000 inspections: 7 ms of a scan, a few hundredths on the
    indexes)."""
    day = scope.as_of_day
    periodic = (Inspection.kind == "periodic", Inspection.due_date < day)
    late = union_all(
        select(Inspection.customer_id).where(Inspection.status.in_(INSPECTION_OPEN), Inspection.completed_on.is_(None),
                                             *periodic),
        select(Inspection.customer_id).where(Inspection.completed_on > day, Inspection.status != "cancelled", *periodic))
    return Hazard.customer_id.in_(late)


def monitored(scope: Scope):
    """Under monitoring (§8): notice delivered (signed or refusal recorded); not overdue, or overdue with a
    督导单 delivered since; the customer's periodic inspection not overdue. (Cheapest tests first: the status
    and deadline are columns, the order's lookup is made for the few hazards overdue by status; looking the
    customer up among those with an overdue inspection costs more per hazard, measured on SQLite: 12 ms of
    the 30 ms a year's state at its end took over 36,500 open hazards, bench/kpi_scale.py.)"""
    return sure(Hazard.notified_at <= scope.as_of) & not_(_gap(scope)) & not_(_inspection_overdue(scope))


def _notice_by(moment: datetime):
    return exists().where(Document.hazard_id == Hazard.id, Document.kind == "hazard_notice",
                          Document.created_at <= moment)


def filed(session, scope: Scope):
    """建档 (§6.6): the record, photos, the notice issued and signed (or the refusal recorded), a deadline —
    by the period's end, or later when the notice was delivered within 1 working day of discovery (the
    notice rule holds across a month's end: found on the last evening, notified the next morning, is
    filed on time), as far as it is known when the period is read."""
    record = (func.json_array_length(Hazard.photos) > 0) & Hazard.deadline.is_not(None)
    by_end = Hazard.notified_at.is_not(None) & (Hazard.notified_at <= scope.as_of) & _notice_by(scope.as_of)
    if scope.read_at is None or scope.read_at <= scope.as_of:
        return sure(record & by_end)
    grace = min(scope.read_at, scope.as_of + timedelta(days=scope.calendar.max_span(1)))
    return sure(record & by_end) | (sure(record & _notice_by(grace)) & _notified_after_the_end(session, scope, grace))


def _notified_after_the_end(session, scope: Scope, grace: datetime):
    """Discovered in the period's last days and notified after its end, by `grace`, within 1 working day of
    discovery: a few rows, found on the opened_at index and counted here in working days."""
    def compute():
        zone = ZoneInfo(scope.zone)
        rows = session.execute(select(Hazard.id, Hazard.opened_at, Hazard.notified_at).where(
            hazard_filters(scope), _discovered(scope),
            Hazard.opened_at >= scope.as_of - timedelta(days=scope.calendar.max_span(1)),
            Hazard.notified_at > scope.as_of, Hazard.notified_at <= grace)).all()
        return [r.id for r in rows if r.notified_at.astimezone(zone).date()
                <= scope.calendar.add(r.opened_at.astimezone(zone).date(), 1)]
    return in_ids(Hazard.id, _ids(scope, f"notified_after_the_end@{_stamp(grace)}", compute))


def event_hazards(scope: Scope, kind, *conditions):
    """The hazards with a `kind` event in the period (a subquery of their ids, on the (kind, at) index)."""
    kinds = (kind,) if isinstance(kind, str) else kind
    return select(HazardEvent.hazard_id).where(HazardEvent.kind.in_(kinds), HazardEvent.at >= scope.start,
                                               HazardEvent.at < scope.as_of, *conditions)


def events_in_period(scope: Scope, kind, *conditions):
    """Hazards with a `kind` event in the period: one uncorrelated subquery over the (kind, at) index,
    evaluated once per query rather than once per hazard."""
    return Hazard.id.in_(event_hazards(scope, kind, *conditions))


@dataclass(frozen=True)
class Answered:
    """An event of the period that must be answered within some days: an overdue hazard supervised (a 督导单
    delivered), a reported rectification checked on site."""

    trigger: str
    answers: tuple
    days: str                      # the Scope's field that holds the days


ANSWERED = {"supervised_in_time": Answered("overdue", ("supervised",), "supervise_days"),
            "accepted_in_time": Answered("rectification_reported", ("accepted", "acceptance_failed"), "accept_days")}


def unanswered(scope: Scope, rule: Answered, *conditions):
    """The hazards with a trigger event in the period not answered within the days by as_of (a subquery of
    their ids); `conditions` say more of the event: e.g. that its days are up."""
    other = HazardEvent.__table__.alias("answer")
    days = getattr(scope, rule.days)
    answered = exists().where(other.c.hazard_id == HazardEvent.hazard_id, other.c.kind.in_(rule.answers),
                              other.c.at >= HazardEvent.at, other.c.at <= scope.as_of,
                              other.c.at >= scope.start,     # implied; bounds PostgreSQL's hash of the answers
                              elapsed_days(HazardEvent.at, other.c.at) <= days)
    return event_hazards(scope, rule.trigger, *conditions, not_(answered))


def days_up(scope: Scope, rule: Answered):
    """The event's days to be answered are up by as_of."""
    return elapsed_days(HazardEvent.at, scope.as_of) > getattr(scope, rule.days)


def _late_without(scope: Scope, rule: Answered):
    """Some trigger event in the period had no answer within its days, and the days are up."""
    return Hazard.id.in_(unanswered(scope, rule, days_up(scope, rule)))


# --- the sets ------------------------------------------------------------------------------------

def _discovered(scope):
    return (Hazard.opened_at >= scope.start) & (Hazard.opened_at < scope.as_of)


def _in_period(column, scope):
    """In the period; false, never NULL, for a NULL column (so that SQL stops evaluating what follows)."""
    return column.is_not(None) & (column >= scope.start) & (column < scope.as_of)


def _ids(scope: Scope, key: str, compute) -> list[int]:
    if key not in scope.cache:
        scope.cache[key] = compute()
    return scope.cache[key]


def _notified_in_time(session, scope):
    """Discovered in the period and notified in writing within 1 working day (§8 notice timeliness).
    Within 24 hours is always in time and beyond the calendar's longest 1 working day (4 days without
    holidays) never; the days between are counted here."""
    within = elapsed_days(Hazard.opened_at, Hazard.notified_at)

    def compute():
        zone = ZoneInfo(scope.zone)
        rows = session.execute(select(Hazard.id, Hazard.opened_at, Hazard.notified_at).where(
            hazard_filters(scope), _discovered(scope), Hazard.notified_at <= scope.as_of, within > 1,
            within < scope.calendar.max_span(1))).all()
        return [r.id for r in rows if r.notified_at.astimezone(zone).date()
                <= scope.calendar.add(r.opened_at.astimezone(zone).date(), 1)]
    quick = sure((Hazard.notified_at <= scope.as_of) & (within <= 1))
    return quick | in_ids(Hazard.id, _ids(scope, "notified_in_time", compute))


def _major_reported(session, scope):
    """重大 hazards discovered in the period and reported to the government within 5 working days (a report
    within 5 days always is; beyond the calendar's longest 5 working days (8 days without holidays) never;
    the days between are counted here)."""
    def reported_within(days, *more):
        return _event("reported", HazardEvent.at <= scope.as_of, elapsed_days(Hazard.opened_at, HazardEvent.at) < days,
                      *more)

    def compute():
        zone = ZoneInfo(scope.zone)
        first = (select(func.min(HazardEvent.at)).where(HazardEvent.hazard_id == Hazard.id, HazardEvent.kind == "reported",
                                                        HazardEvent.at <= scope.as_of).scalar_subquery())
        rows = session.execute(select(Hazard.id, Hazard.opened_at, first.label("reported")).where(
            hazard_filters(scope), _discovered(scope), Hazard.severity == "major", not_(reported_within(5)),
            reported_within(scope.calendar.max_span(5)))).all()
        return [r.id for r in rows if _aware(r.reported).astimezone(zone).date()
                <= scope.calendar.add(r.opened_at.astimezone(zone).date(), 5)]
    return reported_within(5) | in_ids(Hazard.id, _ids(scope, "major_reported", compute))


def _aware(value) -> datetime:
    if isinstance(value, str):          # SQLite returns aggregates of datetimes as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
