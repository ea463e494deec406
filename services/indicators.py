"""The indicators as people ask for them: a period and filters from the query string, checked, turned
into a records.kpi Scope within the branches the actor reaches (services.access); the hazards and
inspections behind each number; the numbers for the API. The dashboard's tables are built from the
same scope in services/indicator_tables.py.

Periods: "2026-03" (a month), "2026-Q1" (a quarter), "2026" (a year), or two dates from/to (see
services/periods.py). An unknown branch or team code is a message (no number is shown); a branch or
team outside the actor's reach is refused as an object outside reach is (NotFound), so no number of
another county is ever counted for them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from records import Branch, Customer, Hazard, Inspection, Team, customers, indicators, kpi, workdays

from . import access
from .errors import NotFound
from .i18n import _, _l
from .periods import PeriodError, day, month_period, period_days

GROUPS = ("team", "branch", "class", "industry")
CLASSES = list(customers.CLASS_NAMES.items()) + [("none", "未定级")]
PAGE_SIZE = 50


@dataclass
class KpiQuery:
    """What was asked: period, filters, grouping (as text, for links), and the days it means."""

    period: str = ""
    date_from: str = ""
    date_to: str = ""
    branch: str = ""
    team: str = ""
    klass: str = ""
    industry: str = ""
    by: str = "team"
    first_day: date | None = None
    last_day: date | None = None
    kind: str = "month"
    errors: list = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.kind == "range" and self.first_day:
            return f"{self.first_day.isoformat()} – {self.last_day.isoformat()}"
        return self.period

    def args(self, **extra) -> dict:
        """The query string that asks the same again (for links and exports)."""
        values = {"period": self.period if self.kind != "range" else "", "from": self.date_from if self.kind == "range"
                  else "", "to": self.date_to if self.kind == "range" else "", "branch": self.branch,
                  "team": self.team, "klass": self.klass, "industry": self.industry}
        values.update(extra)
        return {k: v for k, v in values.items() if v not in ("", None)}


def parse(args, today: date) -> KpiQuery:
    """The query from request arguments; q.errors says what cannot be answered (then no number is shown)."""
    text = lambda name, size=100: (args.get(name) or "").strip()[:size]   # noqa: E731
    q = KpiQuery(period=text("period", 12), date_from=text("from", 10), date_to=text("to", 10), branch=text("branch", 40),
                 team=text("team", 40), klass=text("klass", 12), industry=text("industry"),
                 by=text("by", 10) if text("by", 10) in GROUPS else "team")
    try:
        if q.date_from or q.date_to:
            q.first_day = day(q.date_from, _("The start"))
            q.last_day = day(q.date_to, _("The end")) if q.date_to else today
            q.kind, q.date_to = "range", q.last_day.isoformat()
            if q.first_day > q.last_day:
                raise PeriodError(_("The period starts after it ends."))
        else:
            q.period = q.period or month_period(today)
            q.first_day, q.last_day, q.kind = period_days(q.period)
        if q.first_day > today:
            raise PeriodError(_("The period %(period)s lies in the future: there is nothing to count yet.",
                                period=q.label))
        if q.first_day.year < 2000:
            raise PeriodError(_("The period starts too early."))
    except PeriodError as err:
        q.errors.append(str(err))
    if q.klass and q.klass not in ("special", "first", "second", "temporary", "none"):
        q.errors.append(_("Choose a customer class from the list."))
    return q


def query(rt, session, actor, args) -> tuple[KpiQuery, kpi.Scope | None]:
    """The checked query and its scope within the actor's reach (None, with q.errors, when it cannot be
    answered); NotFound for a branch or team filter outside the actor's reach."""
    q = parse(args, rt.today())
    return q, scope_for(rt, session, actor, q)


def scope_for(rt, session, actor, q: KpiQuery) -> kpi.Scope | None:
    if q.errors:
        return None
    branch_ids = access.kpi_branch_ids(session, actor)
    if q.branch:
        found = session.scalars(select(Branch).where(Branch.code == q.branch)).first()
        if found is None:
            q.errors.append(_("There is no branch %(code)s.", code=q.branch))
            return None
        if not access.scope_of(session, actor).reaches(branch_id=found.id):
            raise NotFound()
        branch_ids = tuple(sorted(access.branches_under(session, found.id)))
    team_ids = None
    if q.team:
        found = session.scalars(select(Team).where(Team.code == q.team)).first()
        if found is None:
            q.errors.append(_("There is no team %(code)s.", code=q.team))
            return None
        if not access.scope_of(session, actor).reaches(branch_id=found.branch_id, team_id=found.id):
            raise NotFound()
        team_ids = (found.id,)
    return make_scope(rt, q.first_day, q.last_day, branch_ids=branch_ids, team_ids=team_ids,
                      klass=q.klass or None, industry=q.industry or None)


def make_scope(rt, first_day: date, last_day: date, **filters) -> kpi.Scope:
    """The scope of the local days first_day..last_day with the company's settings (zone, the supervision
    and acceptance days, the working-day calendar), read now."""
    config = rt.config
    return kpi.make_scope(first_day, last_day, rt.now(), config["TIMEZONE"],
                          supervise_days=int(config["KPI_SUPERVISION_DAYS"]),
                          accept_days=int(config["KPI_ACCEPTANCE_DAYS"]), calendar=workdays.from_settings(config),
                          **filters)


def branches(rt, session, actor) -> list[Branch]:
    """The branches whose numbers (and reports) the actor may ask for."""
    branch_ids = access.kpi_branch_ids(session, actor)
    query = select(Branch).order_by(Branch.code)
    if branch_ids is not None:
        query = query.where(Branch.id.in_(branch_ids))
    return list(session.scalars(query))


def choices(rt, session, actor) -> dict:
    """What the filter form offers: the branches and teams in reach, classes, the industries of the
    customers in reach."""
    branch_ids = access.kpi_branch_ids(session, actor)
    teams = select(Team).where(Team.active.is_(True)).order_by(Team.code)
    industries = select(Customer.industry).where(Customer.industry.is_not(None)).distinct().order_by(Customer.industry)
    if branch_ids is not None:
        teams = teams.where(Team.branch_id.in_(branch_ids))
        industries = industries.where(Customer.branch_id.in_(branch_ids))
    return {"branches": branches(rt, session, actor), "teams": session.scalars(teams).all(),
            "industries": list(session.scalars(industries)), "classes": CLASSES}


def group_names(session, by: str, keys) -> dict:
    """{group key: (label, extra query arguments of the group or None)}."""
    if by == "team":
        teams = {t.id: t for t in session.scalars(select(Team).where(Team.id.in_([k for k in keys if k])))}
        return {k: ((teams[k].name, {"team": teams[k].code}) if k in teams else (str(_l("No team")), None)) for k in keys}
    if by == "branch":
        found = {b.id: b for b in session.scalars(select(Branch).where(Branch.id.in_([k for k in keys if k])))}
        return {k: (found[k].name, {"branch": found[k].code}) if k in found else ("—", None) for k in keys}
    if by == "class":
        return {k: (customers.CLASS_NAMES.get(k or "", "未定级"), {"klass": k or "none"}) for k in keys}
    return {k: (k, {"industry": k}) if k else ("—", None) for k in keys}


def hazard_list_condition(rt, session, actor, kpi_set: str, args: dict):
    """The hazards behind a dashboard number (kpi=set name with the dashboard's period and filters), for
    the hazard list; nothing when the period or filters cannot be answered or are outside reach."""
    q = parse(args, rt.today())
    try:
        scope = scope_for(rt, session, actor, q)
    except NotFound:
        scope = None
    if scope is None:
        return Hazard.id.is_(None)
    kpi.analytic(session)
    condition = kpi.hazard_condition(session, scope, kpi_set)
    if args.get("category"):                 # a cell of "discovered by category and severity"
        condition &= Hazard.item["category"].as_string() == str(args["category"])[:40]
    return condition


def inspections_behind(rt, session, actor, args, page: int) -> dict:
    """The inspections behind an inspection number of the dashboard (kpi=set name), a page of them."""
    q, scope = query(rt, session, actor, args)
    name = args.get("kpi") or "periodic_due"
    if name not in kpi.INSPECTION_SETS:
        q.errors.append(_("Unknown list."))
    rows, total = [], 0
    if scope is not None and not q.errors:
        condition = kpi.inspection_condition(scope, name)
        total = session.scalar(select(func.count()).select_from(Inspection).where(condition))
        rows = session.scalars(select(Inspection).where(condition).order_by(Inspection.due_date, Inspection.id)
                               .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return {"q": q, "rows": rows, "total": total, "name": name, "page": page, "page_size": PAGE_SIZE}


def _answerable(rt, session, actor, args) -> tuple[KpiQuery, kpi.Scope]:
    q, scope = query(rt, session, actor, args)
    if scope is None:
        raise PeriodError(" ".join(q.errors))
    return q, scope


def _rates(rates: dict) -> list:
    return [{"key": i.key, "name": i.name_zh, "num": rates[i.key].num, "den": rates[i.key].den,
             "rate": rates[i.key].value, "percent": rates[i.key].percent()} for i in indicators.INDICATORS
            if i.key in rates]


def numbers(rt, session, actor, args) -> dict:
    """The indicators of a period within the actor's reach (PeriodError when it cannot be answered)."""
    q, scope = _answerable(rt, session, actor, args)
    rates = indicators.compute(session, scope)[None]
    days = indicators.close_days(session, scope)
    return {"period": q.label, "first_day": q.first_day, "last_day": q.last_day, "as_of": scope.as_of,
            "running": scope.running, "indicators": _rates(rates),
            "customer_trips": indicators.trip_counts(session, scope)[None],
            "close_days": {k: {"average_days": v[0], "closed": v[1]} for k, v in days.items()}}


def breakdown(rt, session, actor, args) -> dict:
    """The indicators per team, branch, customer class or industry (by=) within the actor's reach."""
    q, scope = _answerable(rt, session, actor, args)
    rows = indicators.compute(session, scope, group=q.by)
    names = group_names(session, q.by, set(rows))
    trips = indicators.trip_counts(session, scope, group=q.by)
    return {"period": q.label, "by": q.by,
            "groups": [{"key": key, "label": str(names[key][0]), "indicators": _rates(rates),
                        "customer_trips": trips.get(key, 0)}
                       for key, rates in sorted(rows.items(), key=lambda kv: str(names[kv[0]][0]))]}


SET_LABELS = {
    "discovered": _l("discovered in the period"), "filed": _l("filed (一患一档)"), "unfiled": _l("not filed"),
    "to_eliminate": _l("open at the start or discovered"), "open_at_start": _l("open at the start"),
    "closed": _l("closed in the period"), "discovered_closed": _l("discovered and closed"),
    "open_at_end": _l("open at the end"), "monitored": _l("under monitoring"),
    "unmonitored": _l("not under monitoring"), "overdue_at_end": _l("overdue at the end"),
    "notified": _l("notified in the period"), "signed": _l("notice signed"),
    "notified_in_time": _l("notified within 1 working day"), "closed_on_time": _l("closed without going overdue"),
    "went_overdue": _l("went overdue"), "supervised_in_time": _l("supervised in time"),
    "acceptance_due": _l("rectification reported"), "accepted_in_time": _l("checked on site in time"),
    "reported": _l("reported to the government"), "major_discovered": _l("major, discovered"),
    "major_reported": _l("major, reported within 5 working days"),
}
"""What the hazard list says it shows when it shows the hazards behind a number."""
