"""The indicator table (domain.md §8) over records.kpi's sets, and the series the dashboard charts.

An indicator is numerator ÷ denominator of two named sets; a denominator of 0 gives no value
(shown "—"), never a number. Queries only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from . import kpi, snapshots
from .customers import Customer
from .kpi_scope import column_filters, month_end
from .hazards import Hazard
from .risk import CustomerGrade
from .trips import CustomerTrip


@dataclass(frozen=True)
class Indicator:
    key: str
    num: str                      # the set counted above the line
    den: str                      # ... and below it
    kind: str = "hazard"          # hazard | inspection
    gap: str | None = None        # the set of the ones missing (what to act on)
    name_zh: str = ""


INDICATORS = (
    Indicator("filing", "filed", "discovered", gap="unfiled", name_zh="一患一档建档率"),
    Indicator("elimination", "closed", "to_eliminate", name_zh="隐患消除率"),
    Indicator("elimination_cumulative", "discovered_closed", "discovered", name_zh="隐患消除率（累计口径）"),
    Indicator("monitoring", "monitored", "open_at_end", gap="unmonitored", name_zh="隐患监控率"),
    Indicator("inspection_on_time", "periodic_on_time", "periodic_due", kind="inspection", gap="periodic_late",
              name_zh="周期检查按期完成率"),
    Indicator("signature", "signed", "notified", name_zh="告知书签收率"),
    Indicator("rectification_on_time", "closed_on_time", "closed", name_zh="按期整改率"),
    Indicator("supervision_in_time", "supervised_in_time", "went_overdue", name_zh="逾期隐患及时督导率"),
    Indicator("major_reported", "major_reported", "major_discovered", name_zh="重大隐患5个工作日内报告率"),
)
BY_KEY = {i.key: i for i in INDICATORS}
MAIN = ("filing", "elimination", "monitoring")
GROUPS = ("branch", "team", "class", "industry")


@dataclass(frozen=True)
class Rate:
    num: int
    den: int

    @property
    def value(self) -> float | None:
        return self.num / self.den if self.den else None

    def percent(self, digits: int = 1) -> str:
        """'97.5%', or '—' when there is nothing to divide by."""
        value = self.value
        return "—" if value is None else f"{value * 100:.{digits}f}%"


def compute(session, scope: kpi.Scope, keys=None, group: str | None = None, *, snapshot: bool = True) -> dict:
    """{group key (None when not grouped): {indicator key: Rate}} (snapshot=False: never from a month's
    snapshot)."""
    hazard_sets, inspection_sets = sets_of(keys)
    counts: dict = {}
    if hazard_sets:
        for key, values in kpi.hazard_counts(session, scope, hazard_sets, group, snapshot=snapshot).items():
            counts.setdefault(key, {}).update(values)
    if inspection_sets:
        for key, values in kpi.inspection_counts(session, scope, inspection_sets, group, snapshot=snapshot).items():
            counts.setdefault(key, {}).update(values)
    return rates(counts, keys)


def sets_of(keys=None) -> tuple[list, list]:
    """(hazard sets, inspection sets) the indicators of `keys` (None: all) divide."""
    chosen = [BY_KEY[k] for k in (keys or BY_KEY)]
    return (sorted({s for i in chosen if i.kind == "hazard" for s in (i.num, i.den)}),
            sorted({s for i in chosen if i.kind == "inspection" for s in (i.num, i.den)}))


def rates(counts: dict, keys=None) -> dict:
    """{group key: {indicator key: Rate}} from {group key: {set name: count}}."""
    chosen = [BY_KEY[k] for k in (keys or BY_KEY)]
    return {key: {i.key: Rate(values.get(i.num, 0), values.get(i.den, 0)) for i in chosen}
            for key, values in counts.items()}


def close_days(session, scope: kpi.Scope, group: str | None = None) -> dict:
    """{severity: (average days from discovery to close-out, how many)} of hazards closed in the period."""
    days = kpi.elapsed_days(Hazard.opened_at, Hazard.closed_at)
    kpi.analytic(session)
    rows = session.execute(select(Hazard.severity, func.avg(days), func.count())
                           .where(kpi.hazard_condition(session, scope, "closed")).group_by(Hazard.severity)).all()
    return {severity: (round(float(avg), 1) if avg is not None else None, count) for severity, avg, count in rows}


# --- chart series ------------------------------------------------------------------------------------

def months_up_to(last_day: date, count: int = 12) -> list[tuple[date, date]]:
    """(first, last) day of the `count` calendar months ending with the month of last_day."""
    out = []
    year, month = last_day.year, last_day.month
    for _ in range(count):
        first = date(year, month, 1)
        out.append((first, month_end(first)))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def monthly_trend(session, scope: kpi.Scope, now, months: int = 12, *, snapshot: bool = True) -> list[dict]:
    """Per month up to the period's end: discovered, closed, and the three indicators at the month's end."""
    sets = ["discovered", "filed", "closed", "to_eliminate", "monitored", "open_at_end"]
    periods = []
    for first, last in months_up_to(scope.last_day, months):
        month = kpi.make_scope(first, last, now, scope.zone, branch_ids=scope.branch_ids, team_ids=scope.team_ids,
                               klass=scope.klass, industry=scope.industry, supervise_days=scope.supervise_days,
                               accept_days=scope.accept_days, calendar=scope.calendar)
        if month.start >= now:
            break
        periods.append((first, month))
    out = []
    for (first, _month), c in zip(periods, kpi.hazard_counts_over(session, [m for _f, m in periods], sets, snapshot=snapshot)):
        out.append({"month": f"{first:%Y-%m}", "discovered": c["discovered"], "closed": c["closed"],
                    "open": c["open_at_end"], "filing": Rate(c["filed"], c["discovered"]),
                    "elimination": Rate(c["closed"], c["to_eliminate"]),
                    "monitoring": Rate(c["monitored"], c["open_at_end"])})
    return out


def category_severity(session, scope: kpi.Scope) -> dict:
    """{category (the dictionary snapshot's): {severity: count}} of hazards discovered in the period."""
    category = Hazard.item["category"].as_string()
    kpi.analytic(session)
    rows = session.execute(select(category, Hazard.severity, func.count())
                           .where(kpi.hazard_condition(session, scope, "discovered"))
                           .group_by(category, Hazard.severity)).all()
    out: dict = {}
    for name, severity, count in rows:
        out.setdefault(name or "—", {})[severity] = count
    return dict(sorted(out.items(), key=lambda kv: -sum(kv[1].values())))


def grade_distribution(session, scope: kpi.Scope, now, months: int = 12, *, snapshot: bool = True) -> list[dict]:
    """Per month end: how many customers stood at grade A, B, C (latest grading at that moment; a closed
    month from its snapshot)."""
    out = []
    for first, last in months_up_to(scope.last_day, months):
        moment = min(kpi.local_midnight(last + timedelta(days=1), scope.zone), now)
        if kpi.local_midnight(first, scope.zone) >= now:
            break
        month = kpi.make_scope(first, last, now, scope.zone, branch_ids=scope.branch_ids, team_ids=scope.team_ids,
                               klass=scope.klass, industry=scope.industry, supervise_days=scope.supervise_days,
                               accept_days=scope.accept_days, calendar=scope.calendar)
        closed = snapshots.closed(session, month) if snapshot else None
        if closed is not None:
            counts = snapshots.grades(session, month, closed)
        else:
            query = (select(CustomerGrade.grade, func.count()).join(Customer, Customer.id == CustomerGrade.customer_id)
                     .where(*grade_at(moment), *_customer_filters(scope))
                     .group_by(CustomerGrade.grade))
            counts = {grade or "-": n for grade, n in session.execute(query).all()}
        out.append({"month": f"{first:%Y-%m}", "A": counts.get("A", 0), "B": counts.get("B", 0),
                    "C": counts.get("C", 0)})
    return out


def grade_at(moment) -> list:
    """The conditions for the grade row each customer stood at at that moment (the latest computed by then)."""
    later = aliased(CustomerGrade)
    newer = select(later.id).where(later.customer_id == CustomerGrade.customer_id, later.computed_at <= moment,
                                   (later.computed_at > CustomerGrade.computed_at)
                                   | and_(later.computed_at == CustomerGrade.computed_at,
                                          later.id > CustomerGrade.id)).exists()
    return [CustomerGrade.computed_at <= moment, ~newer]


def grade_list(session, scope: kpi.Scope, grades=("A", "B"), at=None) -> list[tuple]:
    """(customer, grade row) of customers at the given grades, worst first (for reports): now, or as they
    stood at a moment (a period's end), so that a report's list agrees with its counts."""
    when = [CustomerGrade.current.is_(True)] if at is None else grade_at(at)
    rows = session.execute(select(Customer, CustomerGrade).join(CustomerGrade, CustomerGrade.customer_id == Customer.id)
                           .where(*when, CustomerGrade.grade.in_(grades), *_customer_filters(scope))
                           .order_by(CustomerGrade.grade, CustomerGrade.score.desc(), Customer.number)).all()
    return [(c, g) for c, g in rows]


TRIP_GROUPS = {"branch": Customer.branch_id, "team": Customer.default_team_id, "class": Customer.importance,
               "industry": Customer.industry}


def trip_condition(scope: kpi.Scope):
    """Grid trips caused by customers in the period (up to as_of), of the customers the filters select."""
    return and_(CustomerTrip.occurred_at >= scope.start, CustomerTrip.occurred_at < scope.as_of,
                *_customer_filters(scope))


def trip_counts(session, scope: kpi.Scope, group: str | None = None) -> dict:
    """{group key (None when not grouped): number of grid trips caused by customers in the period}."""
    key = TRIP_GROUPS[group] if group else None
    query = (select(*([key.label("key")] if key is not None else []), func.count()).select_from(CustomerTrip)
             .join(Customer, Customer.id == CustomerTrip.customer_id).where(trip_condition(scope)))
    if key is not None:
        return dict(session.execute(query.group_by(key)).all())
    return {None: session.execute(query).one()[0]}


def _customer_filters(scope: kpi.Scope) -> list:
    return column_filters(scope, Customer.branch_id, Customer.default_team_id, Customer.importance, Customer.industry)
