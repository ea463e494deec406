"""Reports to the leadership and the government (报告到位: what went out, to whom, when, how, and the
reply), scoped by the hazard, customer or branch they belong to; and each person's own in-app
notifications.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from engine import audit
from records import Document, Hazard, Notification, ReportLog
from records.hazards import record_event, status_as_of

from . import access
from .errors import Conflict, Invalid
from .i18n import _

DELIVERIES = ("post", "email", "in_person", "system")
LOG_LIMIT = 500
NOTIFICATION_LIMIT = 200
REPLY_MAX = 1000


def report_log(rt, session, actor) -> list[tuple[ReportLog, Document]]:
    """The reports in reach with their documents, newest first."""
    return session.execute(select(ReportLog, Document).join(Document, Document.id == ReportLog.document_id)
                           .where(access.report_logs(session, actor))
                           .order_by(ReportLog.created_at.desc()).limit(LOG_LIMIT)).all()


def may_submit(actor) -> bool:
    return access.has_right(actor, "report.submit")


def submit(rt, session, actor, log_id: int, *, delivery: str, lock_version, reply: str | None = None,
           submitted_on: str | None = None) -> ReportLog:
    """Record that a report in reach was submitted to its recipient: on which day (today unless said, not
    before the report was made), how, and the reply if any. This, not generating the document, is what
    reports a hazard to the government: the hazard's flag, its timeline event "reported" and the
    indicator 重大隐患5个工作日内报告率 count from here. Refused when the log changed meanwhile."""
    log = access.report_log_or_404(session, actor, log_id)
    access.require_right(actor, "report.submit")
    if delivery not in DELIVERIES or str(lock_version) != str(log.lock_version) or log.status == "submitted":
        raise Conflict(_("The report changed meanwhile or the delivery is unknown; reload and try again."))
    at = _submitted_at(rt, log, submitted_on)
    log.status, log.delivery, log.submitted_at = "submitted", delivery, at
    log.submitted_by, log.reply = actor.username, _reply(reply)
    hazard = session.get(Hazard, log.hazard_id) if log.hazard_id else None
    if hazard is not None:
        if log.reason != "close_out":
            hazard.reported_to_government = True
            hazard.reported_at = min(hazard.reported_at, at) if hazard.reported_at else at
        event = record_event(session, hazard, at=at, actor=actor.username, kind="reported",
                             detail={"reason": log.reason, "recipient": log.recipient, "delivery": delivery,
                                     "report_log": log.id}, document_id=log.document_id)
        if at < rt.now():             # told on an earlier day: the timeline keeps the status of that day
            event.status_before = event.status_after = status_as_of(session, hazard.id, at) or hazard.status
        if log.reply:
            _reply_event(rt, session, actor, hazard, log)
    audit.record(session, f"report:{log.id}", at=rt.now(), actor=actor.username, action="report.submitted",
                 after={"delivery": delivery, "submitted_at": at.isoformat(), "reply": log.reply})
    _commit(session)
    return log


def record_reply(rt, session, actor, log_id: int, *, reply: str, lock_version) -> ReportLog:
    """The recipient's reply or action on a submitted report, fed into the hazard's timeline."""
    log = access.report_log_or_404(session, actor, log_id)
    access.require_right(actor, "report.submit")
    text = _reply(reply)
    if not text:
        raise Invalid(_("Write the reply."), errors={"reply": _("Write the reply.")})
    if log.status != "submitted":
        raise Conflict(_("Record the submission before the reply."))
    if str(lock_version) != str(log.lock_version):
        raise Conflict(_("The report changed meanwhile or the delivery is unknown; reload and try again."))
    log.reply = text
    hazard = session.get(Hazard, log.hazard_id) if log.hazard_id else None
    if hazard is not None:
        _reply_event(rt, session, actor, hazard, log)
    audit.record(session, f"report:{log.id}", at=rt.now(), actor=actor.username, action="report.reply",
                 after={"reply": text})
    _commit(session)
    return log


def _reply(text) -> str | None:
    return (text or "").strip()[:REPLY_MAX] or None


def _reply_event(rt, session, actor, hazard, log) -> None:
    record_event(session, hazard, at=rt.now(), actor=actor.username, kind="government_reply",
                 detail={"recipient": log.recipient, "reply": log.reply, "report_log": log.id},
                 document_id=log.document_id)


def _submitted_at(rt, log, day_text) -> datetime:
    """Now, or noon (local) of an earlier day given as YYYY-MM-DD, not before the report was made."""
    if not (day_text or "").strip():
        return rt.now()
    try:
        day = date.fromisoformat(str(day_text).strip()[:10])
    except ValueError:
        raise Invalid(_("Give the day of submission as YYYY-MM-DD."),
                      errors={"submitted_on": _("Give the day of submission as YYYY-MM-DD.")}) from None
    zone = ZoneInfo(rt.config["TIMEZONE"])
    made = log.created_at.astimezone(zone).date()
    if day > rt.today() or day < made:
        message = _("The day of submission lies between %(made)s and today.", made=made.isoformat())
        raise Invalid(message, errors={"submitted_on": message})
    if day == rt.today():
        return rt.now()
    return datetime.combine(day, time(12), zone).astimezone(timezone.utc)


def _commit(session) -> None:
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict(_("The report changed meanwhile or the delivery is unknown; reload and try again.")) from None


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
