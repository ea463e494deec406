"""The dashboard's tables as data — the page renders them and the Excel export writes them, cell for
cell, so the two cannot differ. Every count carries the list of hazards (or inspections) behind it as
a link target (an endpoint and its arguments); the web layer turns targets into URLs. A rate with
nothing to divide by is "—".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from records import dictionary, indicators, kpi
from records.indicators import Rate

from .errors import NotFound
from .i18n import _l
from .indicators import KpiQuery, group_names, query

LABELS = {
    "filing": _l("Filing rate"), "elimination": _l("Elimination rate"),
    "elimination_cumulative": _l("Elimination rate (cumulative)"), "monitoring": _l("Monitoring rate"),
    "inspection_on_time": _l("Periodic inspections on time"), "signature": _l("Notice signature rate"),
    "rectification_on_time": _l("Rectified on time"), "supervision_in_time": _l("Overdue hazards supervised in time"),
    "major_reported": _l("Major hazards reported within 5 working days"),
}
GROUP_LABELS = {"team": _l("Team"), "branch": _l("Branch"), "class": _l("Customer class"), "industry": _l("Industry")}


@dataclass
class Cell:
    text: str
    link: tuple | None = None            # (endpoint, arguments) of the list behind the number
    value: float | int | None = None     # the number behind the text (Excel gets the number)
    percent: bool = False
    href: str | None = None              # the link as a URL, filled in by the web layer


@dataclass
class Table:
    key: str
    title: str
    headers: list
    rows: list = field(default_factory=list)

    def cells(self):
        return (cell for row in self.rows for cell in row)


def count(n: int, link: tuple | None) -> Cell:
    return Cell(str(n), link if n else None, n)


def rate(r: Rate, link: tuple | None = None) -> Cell:
    return Cell(r.percent(), link if r.value is not None else None, r.value, percent=True)


class Links:
    """The lists behind the numbers, for one query: (endpoint, arguments)."""

    def __init__(self, q: KpiQuery, **extra):
        self.args = q.args(**extra)

    def hazards(self, name: str, **extra) -> tuple:
        return "hazards.index", {"kpi": name, **self.args, **extra}

    def inspections(self, name: str, **extra) -> tuple:
        return "dashboard.inspections", {"kpi": name, **self.args, **extra}

    def of(self, indicator, which: str, **extra) -> tuple | None:
        name = getattr(indicator, which)
        if name is None:
            return None
        return self.inspections(name, **extra) if indicator.kind == "inspection" else self.hazards(name, **extra)


BREAKDOWN_SETS = ["discovered", "filed", "open_at_end", "monitored", "closed", "to_eliminate", "overdue_at_end"]
OVERDUE_SETS = ["overdue_at_end", "open_at_end"]


class Tally:
    """The hazard and inspection counts of the dashboard's tables, counted once for the request: one pass
    over the hazards grouped by team and by the breakdown's group, one over the inspections grouped by
    that group, summed here to the total and to each grouping — what a query per table would count (each
    hazard is in exactly one group), from one pass instead of three."""

    def __init__(self, session, scope: kpi.Scope, by: str):
        self.session, self.scope = session, scope
        self.groups = ("team",) if by == "team" else ("team", by)
        self.by = by
        hazard_sets, inspection_sets = indicators.sets_of()
        self.hazard_sets = sorted(set(hazard_sets) | set(BREAKDOWN_SETS) | set(OVERDUE_SETS))
        self.inspection_sets = sorted(set(inspection_sets) | {"periodic_on_time", "periodic_due"})
        self._hazards = self._inspections = None

    def hazards(self, names, group: str | None = None) -> dict:
        """As kpi.hazard_counts(session, scope, names, group), for group None, "team" or the breakdown's."""
        if self._hazards is None:
            self._hazards = kpi.hazard_counts(self.session, self.scope, self.hazard_sets, self.groups)
        return kpi.roll_up(self._hazards, None if group is None else self.groups.index(group), list(names))

    def inspections(self, names, group: str | None = None) -> dict:
        """As kpi.inspection_counts(session, scope, names, group), for group None or the breakdown's."""
        if self._inspections is None:
            self._inspections = kpi.inspection_counts(self.session, self.scope, self.inspection_sets, (self.by,))
        return kpi.roll_up(self._inspections, None if group is None else 0, list(names))

    def rates(self) -> dict:
        """The indicators of the period (indicators.compute's answer, ungrouped)."""
        hazard_sets, inspection_sets = indicators.sets_of()
        counts = {**self.hazards(hazard_sets)[None], **self.inspections(inspection_sets)[None]}
        return indicators.rates({None: counts})[None]


def indicator_table(rates: dict, q: KpiQuery) -> Table:
    links = Links(q)
    table = Table("indicators", str(_l("Indicators")), [str(_l("Indicator")), str(_l("Rate")), str(_l("Counted")),
                                                        str(_l("Out of")), str(_l("Missing"))])
    for ind in indicators.INDICATORS:
        r = rates[ind.key]
        gap = r.den - r.num
        table.rows.append([Cell(str(LABELS[ind.key])), rate(r, links.of(ind, "gap") or links.of(ind, "den")),
                           count(r.num, links.of(ind, "num")), count(r.den, links.of(ind, "den")),
                           count(gap, links.of(ind, "gap") if ind.gap else None)])
    return table


def breakdown_table(session, tally: Tally, q: KpiQuery) -> Table:
    hazards = tally.hazards(BREAKDOWN_SETS, group=q.by)
    tasks = tally.inspections(["periodic_on_time", "periodic_due"], group=q.by)
    names = group_names(session, q.by, set(hazards) | set(tasks))
    table = Table("breakdown", str(_l("By %(group)s", group=GROUP_LABELS[q.by])),
                  [str(GROUP_LABELS[q.by]), str(_l("Discovered")), str(LABELS["filing"]), str(_l("Open at the end")),
                   str(LABELS["monitoring"]), str(_l("Closed")), str(LABELS["elimination"]), str(_l("Overdue")),
                   str(LABELS["inspection_on_time"])])
    for key in sorted(names, key=lambda k: str(names[k][0])):
        label, extra = names[key]
        c, t = hazards.get(key, {}), tasks.get(key, {})
        n = lambda name: c.get(name, 0)      # noqa: E731
        links = Links(q, **extra) if extra is not None else None
        link = (lambda name: links.hazards(name)) if links else (lambda name: None)
        table.rows.append([
            Cell(str(label)), count(n("discovered"), link("discovered")),
            rate(Rate(n("filed"), n("discovered")), link("unfiled")), count(n("open_at_end"), link("open_at_end")),
            rate(Rate(n("monitored"), n("open_at_end")), link("unmonitored")), count(n("closed"), link("closed")),
            rate(Rate(n("closed"), n("to_eliminate")), link("to_eliminate")),
            count(n("overdue_at_end"), link("overdue_at_end")),
            rate(Rate(t.get("periodic_on_time", 0), t.get("periodic_due", 0)),
                 links.inspections("periodic_late") if links else None)])
    return table


def close_days_table(session, scope: kpi.Scope, q: KpiQuery) -> Table:
    links = Links(q)
    days = indicators.close_days(session, scope)
    table = Table("close_days", str(_l("Average days to close")),
                  [str(_l("Severity")), str(_l("Closed")), str(_l("Average days"))])
    for severity in dictionary.SEVERITIES:
        average, n = days.get(severity, (None, 0))
        table.rows.append([Cell(dictionary.SEVERITY_NAMES[severity]), count(n, links.hazards("closed", severity=severity)),
                           Cell("—" if average is None else f"{average:.1f}", None, average)])
    return table


def trend_table(rows: list[dict], q: KpiQuery) -> Table:
    table = Table("trend", str(_l("Month by month")),
                  [str(_l("Month")), str(_l("Discovered")), str(_l("Closed")), str(_l("Open at the end")),
                   str(LABELS["filing"]), str(LABELS["elimination"]), str(LABELS["monitoring"])])
    for row in rows:
        links = Links(KpiQuery(period=row["month"], branch=q.branch, team=q.team, klass=q.klass, industry=q.industry))
        table.rows.append([Cell(row["month"]), count(row["discovered"], links.hazards("discovered")),
                           count(row["closed"], links.hazards("closed")), count(row["open"], links.hazards("open_at_end")),
                           rate(row["filing"]), rate(row["elimination"]), rate(row["monitoring"])])
    return table


def category_table(data: dict, q: KpiQuery) -> Table:
    links = Links(q)
    table = Table("category", str(_l("Discovered by category and severity")),
                  [str(_l("Category"))] + [dictionary.SEVERITY_NAMES[s] for s in dictionary.SEVERITIES]
                  + [str(_l("Total"))])
    for name, by_severity in data.items():
        table.rows.append([Cell(name)] + [count(by_severity.get(s, 0), links.hazards("discovered", severity=s,
                                                                                     category=name))
                                          for s in dictionary.SEVERITIES]
                          + [count(sum(by_severity.values()), links.hazards("discovered", category=name))])
    if data:
        totals = [sum(v.get(s, 0) for v in data.values()) for s in dictionary.SEVERITIES]
        table.rows.append([Cell(str(_l("Total")))] + [count(n, links.hazards("discovered", severity=s))
                                                       for n, s in zip(totals, dictionary.SEVERITIES)]
                          + [count(sum(totals), links.hazards("discovered"))])
    return table


def overdue_table(session, tally: Tally, q: KpiQuery) -> Table:
    counts = tally.hazards(OVERDUE_SETS, group="team")
    names = group_names(session, "team", set(counts))
    table = Table("overdue", str(_l("Overdue by team")), [str(_l("Team")), str(_l("Overdue")), str(_l("Open at the end"))])
    for key in sorted(counts, key=lambda k: (-counts[k]["overdue_at_end"], str(names[k][0]))):
        label, extra = names[key]
        links = Links(q, **extra) if extra else None
        table.rows.append([Cell(str(label)),
                           count(counts[key]["overdue_at_end"], links.hazards("overdue_at_end") if links else None),
                           count(counts[key]["open_at_end"], links.hazards("open_at_end") if links else None)])
    return table


def trips_table(session, scope: kpi.Scope, q: KpiQuery) -> Table:
    """因客户原因引起电网跳闸次数 (the case report's outcome measure) per group, and the total."""
    counts = indicators.trip_counts(session, scope, group=q.by)
    names = group_names(session, q.by, set(counts))
    table = Table("trips", str(_l("Grid trips caused by customers")), [str(GROUP_LABELS[q.by]), str(_l("Trips"))])
    for key in sorted(counts, key=lambda k: str(names[k][0])):
        label, extra = names[key]
        table.rows.append([Cell(str(label)), count(counts[key], ("trips.index", q.args(**extra)) if extra else None)])
    total = sum(counts.values())
    table.rows.append([Cell(str(_l("Total"))), count(total, ("trips.index", q.args()))])
    return table


def grades_table(rows: list[dict]) -> Table:
    table = Table("grades", str(_l("Customers by risk grade (month end)")), [str(_l("Month")), "A", "B", "C"])
    for row in rows:
        table.rows.append([Cell(row["month"])] + [Cell(str(row[g]), None, row[g]) for g in ("A", "B", "C")])
    return table


BUILDERS = {
    "indicators": lambda rt, s, scope, q, tally: indicator_table(tally.rates(), q),
    "breakdown": lambda rt, s, scope, q, tally: breakdown_table(s, tally, q),
    "close_days": lambda rt, s, scope, q, tally: close_days_table(s, scope, q),
    "trend": lambda rt, s, scope, q, tally: trend_table(indicators.monthly_trend(s, scope, rt.now()), q),
    "category": lambda rt, s, scope, q, tally: category_table(indicators.category_severity(s, scope), q),
    "overdue": lambda rt, s, scope, q, tally: overdue_table(s, tally, q),
    "grades": lambda rt, s, scope, q, tally: grades_table(indicators.grade_distribution(s, scope, rt.now())),
    "trips": lambda rt, s, scope, q, tally: trips_table(s, scope, q),
}
"""Every table of the dashboard, in the order of the page and of the workbook."""
ON_THE_PAGE = tuple(k for k in BUILDERS if k != "trend")   # the trend (12 periods, the slowest) comes afterwards


def build(rt, session, actor, args, keys) -> tuple[KpiQuery, kpi.Scope | None, dict]:
    """The query, its scope within the actor's reach and the tables asked for ({} when the query cannot be
    answered: q.errors says why); NotFound for a filter outside reach or a table that does not exist."""
    q, scope = query(rt, session, actor, args)
    if scope is None:
        return q, None, {}
    if any(key not in BUILDERS for key in keys):
        raise NotFound()
    tally = Tally(session, scope, q.by)
    return q, scope, {key: BUILDERS[key](rt, session, scope, q, tally) for key in keys}
