"""Reports to the government by period: generate the monthly or quarterly summary and the annual report
(handlers/summaries.py renders them), see every version, and follow their submission (the report log;
marking one submitted is reports.submit)."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine import audit
from handlers import Context, summaries
from records import Branch, Document, ReportLog

from . import db, engine_of, kpi_views
from .work import local_today

bp = Blueprint("summaries", __name__)
KINDS = ("periodic_summary", "annual_report")


def handler_context(session, actor: str) -> Context:
    """A handler context outside any process, from the engine's factory (the handlers' settings, without
    secrets, and the file store): audit events go to a named chain."""
    eng = engine_of(current_app)

    def record(action, *, before=None, after=None, reason=None, element_id=None):
        chain = f"report:{(after or {}).get('number', action)}"
        audit.record(session, chain, at=eng.clock.now(), actor=actor, action=action, before=before, after=after)
    return eng.context_factory(session=session, clock=eng.clock, actor=actor, instance_id=0, business_key=None,
                               element_id=None, audit=record)


@bp.get("/summaries")
def index():
    """Generated summaries and annual reports (every version) with their submission state."""
    session = db.session()
    rows = session.execute(select(Document, ReportLog).outerjoin(ReportLog, ReportLog.document_id == Document.id)
                           .where(Document.kind.in_(KINDS)).order_by(Document.created_at.desc()).limit(200)).all()
    today = local_today()
    branches = kpi_views.choices(session, current_user)["branches"]
    return render_template("summaries/index.html", rows=rows, branches=branches,
                           default_period=kpi_views.month_period(today.replace(day=1) - timedelta(days=1)),
                           default_year=today.year - (today.month < 3),
                           can_generate=current_user.has_role("leader", "specialist", "admin"))


@bp.post("/summaries")
def generate():
    """Render a summary (period 2026-03 / 2026-Q1) or an annual report (year), archive and log it."""
    session = db.session()
    kind = request.form.get("kind")
    branch = (request.form.get("branch") or "").strip()[:40] or None
    if branch is None and kpi_views.visible_branch_ids(session, current_user) is not None and current_user.branch:
        branch = current_user.branch.code          # a county leader reports on the county
    today = local_today()
    try:
        _check_branch(session, branch)
        if kind == "annual":
            year_text = (request.form.get("year") or "").strip()
            first, last, _kind = kpi_views.period_days(year_text if year_text.isdigit() and len(year_text) == 4 else "-")
            _refuse_future(first, today)
            result = summaries.annual_report(handler_context(session, current_user.username), first.year, branch)
        elif kind == "periodic":
            period = (request.form.get("period") or "").strip()[:12]
            first, last, period_kind = kpi_views.period_days(period)
            if period_kind not in ("month", "quarter"):
                raise kpi_views.PeriodError(_("A summary covers a month (2026-03) or a quarter (2026-Q1)."))
            _refuse_future(first, today)
            label = kpi_views.month_period(first) if period_kind == "month" else kpi_views.quarter_period(first)
            result = summaries.periodic_summary(handler_context(session, current_user.username), first, last,
                                                period_kind, label, branch)
        else:
            raise kpi_views.PeriodError(_("Choose what to generate."))
    except kpi_views.PeriodError as err:
        session.rollback()
        flash(str(err), "error")
        return redirect(url_for("summaries.index"))
    session.commit()
    flash(_("%(number)s generated (version %(version)s); mark it submitted once it has been sent.",
            number=result["number"], version=result["version"]), "success")
    return redirect(url_for("summaries.index"))


def _check_branch(session, code: str | None) -> None:
    if not code:
        return
    found = session.scalar(select(Branch.id).where(Branch.code == code))
    if found is None:
        raise kpi_views.PeriodError(_("There is no branch %(code)s.", code=code))
    visible = kpi_views.visible_branch_ids(session, current_user)
    if visible is not None and found not in visible:
        raise kpi_views.PeriodError(_("You may report only on your own branches."))


def _refuse_future(first, today) -> None:
    if first > today:
        raise kpi_views.PeriodError(_("The period %(period)s lies in the future: there is nothing to count yet.",
                                      period=first.isoformat()))
