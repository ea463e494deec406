"""The leaders' dashboard: the three indicators and the supporting ones for a period and filters, the
breakdowns, the charts (Chart.js), the export of any table to Excel, and the inspection list behind
the inspection numbers (the hazard list is hazards.index with `kpi=`)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from records import Inspection, customers, indicators, kpi
from records import inspections as inspection_records

from . import dashboard_tables as tables
from . import db, engine_of, excel, kpi_views
from .rendering import page_number
from .work import local_today

bp = Blueprint("dashboard", __name__)
PAGE_SIZE = 50


def _query():
    q = kpi_views.parse(request.args, local_today())
    scope = kpi_views.scope_for(db.session(), current_user, q)
    return q, scope


def _now():
    return engine_of(current_app).clock.now()


CLASSES = list(customers.CLASS_NAMES.items()) + [("none", "未定级")]
BUILDERS = {
    "indicators": lambda s, scope, q: tables.indicator_table(indicators.compute(s, scope)[None], q),
    "breakdown": tables.breakdown_table,
    "close_days": tables.close_days_table,
    "trend": lambda s, scope, q: tables.trend_table(indicators.monthly_trend(s, scope, _now()), q),
    "category": lambda s, scope, q: tables.category_table(indicators.category_severity(s, scope), q),
    "overdue": tables.overdue_table,
    "grades": lambda s, scope, q: tables.grades_table(indicators.grade_distribution(s, scope, _now())),
}


def charts(built: dict) -> dict:
    """What dashboard.js draws, from the same tables (series as lists: JSON objects lose their order)."""
    def column(table, index, rows=None):
        return [row[index].value for row in (table.rows if rows is None else rows)]
    category, overdue, grades = built["category"], built["overdue"], built["grades"]
    body = category.rows[:-1] if category.rows else []
    shown = [r for r in overdue.rows if r[1].value]
    out = {
        "category": {"labels": [r[0].text for r in body],
                     "series": [{"label": category.headers[i], "data": column(category, i, body)} for i in (1, 2, 3)]},
        "overdue": {"labels": [r[0].text for r in shown], "series": [{"label": overdue.headers[1],
                                                                      "data": column(overdue, 1, shown)}]},
        "grades": {"labels": [r[0].text for r in grades.rows],
                   "series": [{"label": g, "data": column(grades, i)} for i, g in ((1, "A"), (2, "B"), (3, "C"))]},
    }
    return out


def trend_chart(trend) -> dict:
    """The month-by-month chart: discovered and closed (bars), the three rates in % (lines)."""
    def percent(index):
        return [None if row[index].value is None else round(row[index].value * 100, 1) for row in trend.rows]
    return {"labels": [r[0].text for r in trend.rows],
            "bars": [{"label": trend.headers[i], "data": [r[i].value for r in trend.rows]} for i in (1, 2)],
            "lines": [{"label": trend.headers[i], "data": percent(i)} for i in (4, 5, 6)]}


@bp.get("/dashboard")
def index():
    """The indicators of a period (default: this month) for the user's branches, filtered and broken down."""
    session = db.session()
    q, scope = _query()
    built = {}
    if scope is not None:           # the month-by-month trend (12 periods) comes afterwards: dashboard.trend
        built = {key: build(session, scope, q) for key, build in BUILDERS.items() if key != "trend"}
    status = 400 if q.errors else 200
    return render_template("dashboard/index.html", q=q, scope=scope, built=built,
                           chart_data=charts(built) if built else None, choices=kpi_views.choices(session, current_user),
                           classes=CLASSES, groups=tables.GROUP_LABELS, export_args=q.args(by=q.by)), status


@bp.get("/dashboard/trend")
def trend():
    """The month-by-month part of the dashboard (12 periods: the slowest), loaded after the page."""
    session = db.session()
    q, scope = _query()
    if scope is None:
        return render_template("dashboard/_trend.html", q=q, table=None, chart_data=None), 400
    table = BUILDERS["trend"](session, scope, q)
    return render_template("dashboard/_trend.html", q=q, table=table, export_args=q.args(by=q.by),
                           chart_data=trend_chart(table))


@bp.get("/dashboard/export")
def export():
    """One table (table=key) or all of them as an Excel workbook with the page's numbers."""
    session = db.session()
    q, scope = _query()
    if scope is None:
        return render_template("dashboard/index.html", q=q, scope=None, built={}, chart_data=None,
                               choices=kpi_views.choices(session, current_user), classes=CLASSES,
                               groups=tables.GROUP_LABELS, export_args={}), 400
    wanted = request.args.get("table") or "all"
    if wanted != "all" and wanted not in BUILDERS:
        abort(404)
    keys = list(BUILDERS) if wanted == "all" else [wanted]
    built = [BUILDERS[k](session, scope, q) for k in keys]
    heading = _("GridSafe indicators %(period)s", period=q.label)
    data = excel.workbook(built, heading, request.url_root)
    name = f"gridsafe-kpi-{q.first_day.isoformat()}_{q.last_day.isoformat()}-{wanted}.xlsx"
    return Response(data, mimetype=excel.XLSX,
                    headers={"Content-Disposition": f"attachment; filename=\"{name}\""})


@bp.get("/dashboard/inspections")
def inspections():
    """The inspections behind an inspection number of the dashboard (kpi=set name)."""
    session = db.session()
    q, scope = _query()
    name = request.args.get("kpi") or "periodic_due"
    if name not in kpi.INSPECTION_SETS:
        q.errors.append(_("Unknown list."))
    rows, total = [], 0
    page = page_number(request.args)
    if scope is not None and not q.errors:
        condition = kpi.inspection_condition(scope, name)
        total = session.scalar(select(func.count()).select_from(Inspection).where(condition))
        rows = session.scalars(select(Inspection).where(condition).order_by(Inspection.due_date, Inspection.id)
                               .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("dashboard/inspections.html", q=q, rows=rows, total=total, name=name,
                           kind_names=inspection_records.KIND_NAMES, status_names=inspection_records.STATUS_NAMES,
                           page=page, page_size=PAGE_SIZE), 400 if q.errors else 200
