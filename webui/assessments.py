"""Team performance assessment pages: the runs, one run's scorecards, starting one by hand, the scores
of each team over time; and the scheduler's job that starts team_assessment after each period.

A run is unique per period: starting the same period twice (two schedulers, a double click, the
scheduler after a leader) finds the first one instead.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import Definition, EngineError, HumanTask
from records import Document, Team, assessments
from records.assessments import AssessmentRun

from . import db, engine_of, excel, kpi_views
from .dashboard_tables import Cell, Table
from .work import local_day, local_today

bp = Blueprint("assessments", __name__)
COMPONENT_LABELS = {"inspections_on_time": _l("Inspections on time"), "monitoring": _l("Monitoring"),
                    "hazards_found": _l("Hazards found"), "dossier": _l("Dossier complete"),
                    "notice": _l("Notice in time"), "supervision": _l("Supervision in time"),
                    "acceptance": _l("Acceptance in time")}


def last_period(kind: str, today: date) -> str:
    """The newest month or quarter that has ended by today."""
    first_of_month = today.replace(day=1)
    if kind == "quarter":
        first_of_quarter = first_of_month.replace(month=3 * ((today.month - 1) // 3) + 1)
        return kpi_views.quarter_period(first_of_quarter - timedelta(days=1))
    return kpi_views.month_period(first_of_month - timedelta(days=1))


def start(eng, session, period: str, actor: str, today: date) -> tuple[AssessmentRun, bool]:
    """The run of a finished month or quarter, started now (True) or found (False). kpi_views.PeriodError
    when the period is not a finished month or quarter."""
    first, last, kind = kpi_views.period_days(period)
    if kind not in ("month", "quarter"):
        raise kpi_views.PeriodError(_("An assessment covers a month (2026-03) or a quarter (2026-Q1)."))
    if last >= today:
        raise kpi_views.PeriodError(_("The period %(period)s has not ended yet.", period=period))
    label = kpi_views.month_period(first) if kind == "month" else kpi_views.quarter_period(first)
    found = assessments.by_period(session, label)
    if found is not None:
        return found, False
    run = AssessmentRun(period=label, kind=kind, first_day=first, last_day=last, status="computing", weights={},
                        started_by=actor, started_at=eng.clock.now())
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:                 # another scheduler (or leader) started it meanwhile
        session.rollback()
        return assessments.by_period(session, label), False
    eng.start_instance(session, "team_assessment", actor=actor, business_key=f"KH-{label}",
                       data={"run_id": run.id, "period": label}, title=f"用电检查小组绩效考核 {label}")
    return run, True


def start_due(app, eng) -> str | None:
    """The scheduler's job: after each month (or quarter), start the assessment of the one that ended.
    Nothing when it exists, when the diagram is not deployed or when there is no active team."""
    config = app.config["GRIDSAFE"]
    with db.session_factory()() as session:
        if session.scalar(select(Definition.id).where(Definition.definition_id == "team_assessment").limit(1)) is None:
            return None
        if session.scalar(select(Team.id).where(Team.active.is_(True)).limit(1)) is None:
            return None
        today = local_day(eng, config)
        period = last_period(config["ASSESSMENT_PERIOD"], today)
        if assessments.by_period(session, period) is not None:
            return None
        try:
            _run, created = start(eng, session, period, "scheduler", today)
        except EngineError as err:
            session.rollback()
            app.logger.error("the assessment of %s could not be started: %s", period, err)
            return None
        session.commit()
        return period if created else None


@bp.get("/assessments")
def index():
    """The runs, newest first, and each team's final score over the published ones."""
    session = db.session()
    runs = session.scalars(select(AssessmentRun).order_by(AssessmentRun.first_day.desc()).limit(60)).all()
    table = history_table(session)
    chart = {"labels": table.headers[1:], "series": {row[0].text: [c.value for c in row[1:]] for row in table.rows}}
    return render_template("assessments/index.html", runs=runs, history=table, history_chart=chart,
                           default_period=last_period(current_app.config["GRIDSAFE"]["ASSESSMENT_PERIOD"],
                                                      local_today()),
                           can_start=current_user.has_role("leader", "admin"))


@bp.post("/assessments")
def start_by_hand():
    """Start the assessment of a finished month or quarter (or open the one that exists)."""
    session = db.session()
    period = (request.form.get("period") or "").strip()[:12]
    try:
        run, created = start(engine_of(current_app), session, period, current_user.username, local_today())
    except kpi_views.PeriodError as err:
        flash(str(err), "error")
        return redirect(url_for("assessments.index"))
    except EngineError as err:             # e.g. the diagram is not deployed
        session.rollback()
        flash(_("The assessment could not be started: %(reason)s", reason=str(err)), "error")
        return redirect(url_for("assessments.index"))
    session.commit()
    if created:
        flash(_("The assessment of %(period)s was started.", period=run.period), "success")
    else:
        flash(_("The assessment of %(period)s exists already.", period=run.period), "info")
    return redirect(url_for("assessments.detail", run_id=run.id))


def run_or_404(session, run_id: int) -> AssessmentRun:
    run = session.get(AssessmentRun, run_id)
    if run is None:
        abort(404)
    return run


@bp.get("/assessments/<int:run_id>")
def detail(run_id):
    """One run: the weights, each team's components, the computed and the leader's scores."""
    session = db.session()
    found = run_or_404(session, run_id)
    task = None
    if found.instance_id:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == found.instance_id,
                                                       HumanTask.status == "ready")).first()
    document = session.get(Document, found.document_id) if found.document_id else None
    return render_template("assessments/run.html", run=found, table=run_table(found), task=task, document=document,
                           labels=COMPONENT_LABELS)


@bp.get("/assessments/<int:run_id>/export")
def export(run_id):
    """The run's scorecards as an Excel workbook (the page's table)."""
    found = run_or_404(db.session(), run_id)
    data = excel.workbook([run_table(found)], _("Team assessment %(period)s", period=found.period), request.url_root)
    return Response(data, mimetype=excel.XLSX,
                    headers={"Content-Disposition": f"attachment; filename=\"assessment-{found.period}.xlsx\""})


def _score(value) -> Cell:
    return Cell("—" if value is None else f"{value:.1f}", None, value)


def run_table(run: AssessmentRun) -> Table:
    names = list(COMPONENT_LABELS)
    table = Table("scores", str(_l("Scorecards")), [str(_l("Rank")), str(_l("Team")), str(_l("Members"))]
                  + [str(COMPONENT_LABELS[n]) for n in names]
                  + [str(_l("Computed score")), str(_l("Leader's score")), str(_l("Comment"))])
    for s in sorted(run.scores, key=lambda s: (s.rank is None, s.rank or 0, s.team_code)):
        cells = [Cell(str(s.rank) if s.rank else "—", None, s.rank), Cell(s.team_name), Cell(str(s.members), None,
                                                                                          s.members)]
        for name in names:
            c = s.components.get(name) or {}
            rate = c.get("rate")
            text = "—" if rate is None else f"{rate * 100:.1f}%"
            cells.append(Cell(f"{text} ({c.get('num', 0)}/{c.get('den', 0)})"))
        cells += [_score(s.computed_score), _score(s.leader_score), Cell(s.comment or "")]
        table.rows.append(cells)
    return table


def history_table(session) -> Table:
    runs = assessments.history(session)
    table = Table("history", str(_l("Scores over time")), [str(_l("Team"))] + [r.period for r in runs])
    teams: dict = {}
    for position, r in enumerate(runs):
        for s in r.scores:
            row = teams.setdefault(s.team_id, [s.team_name] + [None] * len(runs))
            row[position + 1] = s.leader_score if s.leader_score is not None else s.computed_score
    for values in sorted(teams.values(), key=lambda v: v[0]):
        table.rows.append([Cell(values[0])] + [_score(v) for v in values[1:]])
    return table
