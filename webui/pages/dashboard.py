"""The leaders' dashboard: the indicators of a period and filters, the breakdowns, the charts (Chart.js),
the export of any table to Excel, and the inspection list behind the inspection numbers (the hazard
list is hazards.index with `kpi=`). The numbers, the tables and the reach are services.indicators' and
services.indicator_tables'; here the cells' link targets become URLs."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _

from services import indicator_tables as tables
from services import indicators, vocabulary

from .. import current, db, excel
from ..rendering import page_number

bp = Blueprint("dashboard", __name__)


def linked(built: dict) -> dict:
    """The tables with each cell's link target as a URL (the page's links and the workbook's)."""
    for table in built.values():
        for cell in table.cells():
            if cell.link is not None:
                endpoint, args = cell.link
                cell.href = url_for(endpoint, **args)
    return built


def charts(built: dict) -> dict:
    """What dashboard.js draws, from the same tables (series as lists: JSON objects lose their order)."""
    def column(table, index, rows=None):
        return [row[index].value for row in (table.rows if rows is None else rows)]
    category, overdue, grades = built["category"], built["overdue"], built["grades"]
    body = category.rows[:-1] if category.rows else []
    shown = [r for r in overdue.rows if r[1].value]
    return {
        "category": {"labels": [r[0].text for r in body],
                     "series": [{"label": category.headers[i], "data": column(category, i, body)} for i in (1, 2, 3)]},
        "overdue": {"labels": [r[0].text for r in shown], "series": [{"label": overdue.headers[1],
                                                                      "data": column(overdue, 1, shown)}]},
        "grades": {"labels": [r[0].text for r in grades.rows],
                   "series": [{"label": g, "data": column(grades, i)} for i, g in ((1, "A"), (2, "B"), (3, "C"))]},
    }


def trend_chart(trend) -> dict:
    """The month-by-month chart: discovered and closed (bars), the three rates in % (lines)."""
    def percent(index):
        return [None if row[index].value is None else round(row[index].value * 100, 1) for row in trend.rows]
    return {"labels": [r[0].text for r in trend.rows],
            "bars": [{"label": trend.headers[i], "data": [r[i].value for r in trend.rows]} for i in (1, 2)],
            "lines": [{"label": trend.headers[i], "data": percent(i)} for i in (4, 5, 6)]}


def _page(q, scope, built, status):
    rt, session = current.runtime(), db.session()
    return render_template("dashboard/index.html", q=q, scope=scope, built=built,
                           chart_data=charts(built) if built else None,
                           choices=indicators.choices(rt, session, current.actor()),
                           classes=indicators.CLASSES, groups=tables.GROUP_LABELS,
                           export_args=q.args(by=q.by) if built else {}), status


@bp.get("/dashboard")
def index():
    """The indicators of a period (default: this month) for the user's branches, filtered and broken down."""
    q, scope, built = tables.build(current.runtime(), db.session(), current.actor(), request.args, tables.ON_THE_PAGE)
    return _page(q, scope, linked(built), 400 if q.errors else 200)


@bp.get("/dashboard/trend")
def trend():
    """The month-by-month part of the dashboard (12 periods: the slowest), loaded after the page."""
    q, scope, built = tables.build(current.runtime(), db.session(), current.actor(), request.args, ["trend"])
    if scope is None:
        return render_template("dashboard/_trend.html", q=q, table=None, chart_data=None), 400
    table = linked(built)["trend"]
    return render_template("dashboard/_trend.html", q=q, table=table, export_args=q.args(by=q.by),
                           chart_data=trend_chart(table))


@bp.get("/dashboard/export")
def export():
    """One table (table=key) or all of them as an Excel workbook with the page's numbers."""
    wanted = request.args.get("table") or "all"
    keys = list(tables.BUILDERS) if wanted == "all" else [wanted]
    q, scope, built = tables.build(current.runtime(), db.session(), current.actor(), request.args, keys)
    if scope is None:
        return _page(q, None, {}, 400)
    heading = _("GridSafe indicators %(period)s", period=q.label)
    data = excel.workbook(linked(built).values(), heading, request.url_root)
    name = f"gridsafe-kpi-{q.first_day.isoformat()}_{q.last_day.isoformat()}-{wanted}.xlsx"
    return Response(data, mimetype=excel.XLSX,
                    headers={"Content-Disposition": f"attachment; filename=\"{name}\""})


@bp.get("/dashboard/inspections")
def inspections():
    """The inspections behind an inspection number of the dashboard (kpi=set name)."""
    found = indicators.inspections_behind(current.runtime(), db.session(), current.actor(), request.args,
                                          page_number(request.args))
    return render_template("dashboard/inspections.html", **found, kind_names=vocabulary.INSPECTION_KIND_NAMES,
                           status_names=vocabulary.INSPECTION_STATUS_NAMES), 400 if found["q"].errors else 200
