"""The indicators as people ask for them: a period and filters from the query string, checked, turned
into a records.kpi.Scope within what the user may see; shared by the dashboard, its Excel export,
the hazard and inspection lists behind each number, the reports and the API.

Periods: "2026-03" (a month), "2026-Q1" (a quarter), "2026" (a year), or two dates from/to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from records import Branch, Customer, Hazard, Team, kpi, people, workdays

from . import engine_of
from .work import local_today

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
YEAR = re.compile(r"^(\d{4})$")
SEES_ALL = ("specialist", "process_owner", "admin")
GROUPS = ("team", "branch", "class", "industry")
FILTERS = ("period", "from", "to", "branch", "team", "klass", "industry")


class PeriodError(ValueError):
    """A period or filter that cannot be answered (the message says why)."""


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


def month_period(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def quarter_period(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def period_days(text: str) -> tuple[date, date, str]:
    """(first day, last day, kind) of '2026-03', '2026-Q1' or '2026'; PeriodError otherwise."""
    text = (text or "").strip()
    if m := MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(_("There is no month %(month)s.", month=text))
        following = date(year + (month == 12), month % 12 + 1, 1)
        return date(year, month, 1), following - timedelta(days=1), "month"
    if m := QUARTER.match(text):
        year, quarter = int(m.group(1)), int(m.group(2))
        first = date(year, 3 * quarter - 2, 1)
        last = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - timedelta(days=1)
        return first, last, "quarter"
    if m := YEAR.match(text):
        year = int(m.group(1))
        return date(year, 1, 1), date(year, 12, 31), "year"
    raise PeriodError(_("Give the period as a month (2026-03), a quarter (2026-Q1), a year (2026) or two dates."))


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(_("%(what)s is not a date (YYYY-MM-DD).", what=what)) from None


def parse(args, today: date) -> KpiQuery:
    """The query from request.args; q.errors says what cannot be answered (then no number is shown)."""
    text = lambda name, size=100: (args.get(name) or "").strip()[:size]   # noqa: E731
    q = KpiQuery(period=text("period", 12), date_from=text("from", 10), date_to=text("to", 10), branch=text("branch", 40),
                 team=text("team", 40), klass=text("klass", 12), industry=text("industry"),
                 by=text("by", 10) if text("by", 10) in GROUPS else "team")
    try:
        if q.date_from or q.date_to:
            q.first_day = _day(q.date_from, _("The start"))
            q.last_day = _day(q.date_to, _("The end")) if q.date_to else today
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


def visible_branch_ids(session, user) -> tuple | None:
    """The branches whose numbers the user may see (None: all)."""
    if user.has_role(*SEES_ALL):
        return None
    if user.has_role("leader", "supervisor") and user.branch is not None:
        codes = people.branch_codes_under(session, user.branch)
        return tuple(session.scalars(select(Branch.id).where(Branch.code.in_(codes))))
    return ()


def scope_for(session, user, q: KpiQuery, now=None) -> kpi.Scope | None:
    """The records.kpi scope of a checked query within the user's branches; None (with q.errors) if unknown
    branch or team codes were asked for."""
    if q.errors:
        return None
    branch_ids = visible_branch_ids(session, user)
    if q.branch:
        found = session.scalars(select(Branch).where(Branch.code == q.branch)).first()
        if found is None:
            q.errors.append(_("There is no branch %(code)s.", code=q.branch))
            return None
        under = set(session.scalars(select(Branch.id).where(Branch.code.in_(people.branch_codes_under(session, found)))))
        branch_ids = tuple(sorted(under if branch_ids is None else under & set(branch_ids)))
    team_ids = None
    if q.team:
        found = session.scalar(select(Team.id).where(Team.code == q.team))
        if found is None:
            q.errors.append(_("There is no team %(code)s.", code=q.team))
            return None
        team_ids = (found,)
    config = current_app.config["GRIDSAFE"]
    return kpi.make_scope(q.first_day, q.last_day, now or engine_of(current_app).clock.now(), config["TIMEZONE"],
                          branch_ids=branch_ids, team_ids=team_ids, klass=q.klass or None,
                          industry=q.industry or None, supervise_days=int(config["KPI_SUPERVISION_DAYS"]),
                          accept_days=int(config["KPI_ACCEPTANCE_DAYS"]), calendar=workdays.from_settings(config))


def choices(session, user) -> dict:
    """What the filter form offers: the branches and teams the user sees, classes, industries."""
    branch_ids = visible_branch_ids(session, user)
    branches = select(Branch).order_by(Branch.code)
    teams = select(Team).where(Team.active.is_(True)).order_by(Team.code)
    if branch_ids is not None:
        branches = branches.where(Branch.id.in_(branch_ids))
        teams = teams.where(Team.branch_id.in_(branch_ids))
    industries = session.scalars(select(Customer.industry).where(Customer.industry.is_not(None)).distinct()
                                 .order_by(Customer.industry))
    return {"branches": session.scalars(branches).all(), "teams": session.scalars(teams).all(),
            "industries": list(industries)}


def hazard_list_condition(session, user, name: str, args: dict):
    """The hazards behind a dashboard number (kpi=name with the dashboard's period and filters); nothing
    when the period or filters cannot be answered."""
    q = parse(args, local_today())
    scope = scope_for(session, user, q)
    if scope is None:
        return Hazard.id.is_(None)
    kpi.analytic(session)
    condition = kpi.hazard_condition(session, scope, name)
    if args.get("category"):                 # a cell of "discovered by category and severity"
        condition &= Hazard.item["category"].as_string() == str(args["category"])[:40]
    return condition


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
