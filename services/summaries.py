"""Reports to the government by period: generate the monthly or quarterly summary and the annual report
of a branch (handlers/summaries.py renders them), see every version, follow their submission (the
report log; marking one submitted is the report log's own page).

A report is made for a branch and reached through it (services.access.reports, document_or_404): a
county leader lists, downloads and generates only their county's; a report of the whole organisation
is for those who reach every branch. Generating for a branch outside reach is NotFound, before
anything is written.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine import audit
from handlers import Context, summaries
from records import Branch, Document, ReportLog

from . import access
from .errors import NotFound
from .i18n import _
from .indicators import branches
from .periods import PeriodError, month_or_quarter, month_period, period_days, refuse_future

KINDS = ("periodic_summary", "annual_report")


def handler_context(rt, session, actor: str) -> Context:
    """A handler context outside any process, from the engine's factory (the handlers' settings, without
    secrets, and the file store): audit events go to a named chain."""
    eng = rt.engine

    def record(action, *, before=None, after=None, reason=None, element_id=None):
        chain = f"report:{(after or {}).get('number', action)}"
        audit.record(session, chain, at=eng.clock.now(), actor=actor, action=action, before=before, after=after)
    return eng.context_factory(session=session, clock=eng.clock, actor=actor, instance_id=0, business_key=None,
                               element_id=None, audit=record)


def listing(rt, session, actor) -> dict:
    """The summaries and annual reports in reach (every version, newest first) with their submission
    state, and what the form to generate one offers."""
    rows = session.execute(select(Document, ReportLog).outerjoin(ReportLog, ReportLog.document_id == Document.id)
                           .where(Document.kind.in_(KINDS), access.reports(session, actor))
                           .order_by(Document.created_at.desc()).limit(200)).all()
    today = rt.today()
    return {"rows": rows, "branches": branches(rt, session, actor),
            "default_period": month_period(today.replace(day=1) - timedelta(days=1)),
            "default_year": today.year - (today.month < 3)}


def generate(rt, session, actor, *, kind: str, period: str = "", year: str = "", branch: str = "") -> dict:
    """Render a summary (period 2026-03 / 2026-Q1) or an annual report (year) of a branch in reach (by
    default the actor's own, see `_branch_code`), archive and
    log it: one transaction and its audit event. PeriodError for what cannot be reported on; NotFound
    outside reach (nothing written either way)."""
    code = _branch_code(session, actor, (branch or "").strip()[:40] or None)
    today = rt.today()
    ctx = handler_context(rt, session, actor.username)
    try:
        if kind == "annual":
            year_text = (year or "").strip()
            first, _last, _kind = period_days(year_text if year_text.isdigit() and len(year_text) == 4 else "-")
            refuse_future(first, today)
            result = summaries.annual_report(ctx, first.year, code)
        elif kind == "periodic":
            first, last, period_kind, label = month_or_quarter(
                (period or "").strip()[:12], _("A summary covers a month (2026-03) or a quarter (2026-Q1)."))
            refuse_future(first, today)
            try:
                result = summaries.periodic_summary(ctx, first, last, period_kind, label, code)
            except summaries.AlreadySubmitted:
                raise PeriodError(_("The summary of %(period)s was submitted already; a period has one summary. "
                                    "Correct it by a letter of its own.", period=label)) from None
        else:
            raise PeriodError(_("Choose what to generate."))
    except Exception:
        session.rollback()
        raise
    session.commit()
    return result


def _branch_code(session, actor, code: str | None) -> str | None:
    """The branch to report on: the one asked for, if it exists (PeriodError) and is in reach (NotFound);
    by default the actor's own (a county leader reports on the county), or the whole organisation for
    those who reach everything (administrators, the system)."""
    if code is None:
        if access.scope_of(session, actor).everything:
            return None
        if getattr(actor, "branch", None) is None:
            raise NotFound()
        return actor.branch.code
    found = session.scalars(select(Branch).where(Branch.code == code)).first()
    if found is None:
        raise PeriodError(_("There is no branch %(code)s.", code=code))
    if not access.scope_of(session, actor).reaches(branch_id=found.id):
        raise NotFound()
    return code
