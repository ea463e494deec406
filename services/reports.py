"""Reports to the leadership and the government (报告到位: what went out, to whom, when, how, and the
reply), scoped by the hazard, customer or branch they belong to; and each person's own in-app
notifications.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from engine import audit
from records import Document, Notification, ReportLog

from . import access
from .errors import Conflict
from .i18n import _

DELIVERIES = ("post", "email", "in_person", "system")
LOG_LIMIT = 500
NOTIFICATION_LIMIT = 200


def report_log(rt, session, actor) -> list[tuple[ReportLog, Document]]:
    """The reports in reach with their documents, newest first."""
    return session.execute(select(ReportLog, Document).join(Document, Document.id == ReportLog.document_id)
                           .where(access.report_logs(session, actor))
                           .order_by(ReportLog.created_at.desc()).limit(LOG_LIMIT)).all()


def may_submit(actor) -> bool:
    return access.has_right(actor, "report.submit")


def submit(rt, session, actor, log_id: int, *, delivery: str, lock_version, reply: str | None = None) -> ReportLog:
    """Record that a report in reach was submitted: how, and the reply (refused when it changed meanwhile)."""
    log = access.report_log_or_404(session, actor, log_id)
    access.require_right(actor, "report.submit")
    if delivery not in DELIVERIES or str(lock_version) != str(log.lock_version):
        raise Conflict(_("The report changed meanwhile or the delivery is unknown; reload and try again."))
    now = rt.now()
    log.status, log.delivery, log.submitted_at = "submitted", delivery, now
    log.submitted_by, log.reply = actor.username, (reply or "").strip()[:1000] or None
    audit.record(session, f"report:{log.id}", at=now, actor=actor.username, action="report.submitted",
                 after={"delivery": delivery, "reply": log.reply})
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict(_("The report changed meanwhile or the delivery is unknown; reload and try again.")) from None
    return log


def notifications(rt, session, actor) -> list[Notification]:
    """The actor's own notifications, newest first."""
    return list(session.scalars(select(Notification).where(Notification.user_id == actor.id)
                                .order_by(Notification.created_at.desc()).limit(NOTIFICATION_LIMIT)))


def read_all(rt, session, actor) -> None:
    """Mark all the actor's own notifications as read."""
    table = Notification.__table__
    session.execute(update(table).where(table.c.user_id == actor.id, table.c.read_at.is_(None))
                    .values(read_at=rt.now()))
    session.commit()
