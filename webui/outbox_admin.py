"""Administrators at the outbox: messages that could not be delivered (with the reason), and retrying them."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, or_, select

from engine import audit
from records import outbox
from records.outbox import OutboxMessage

from . import db, engine_of
from .rendering import page_number

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")
PAGE_SIZE = 100
VIEWS = ("undelivered", "pending", "failed", "sent", "all")


@dataclass
class OutboxQuery:
    view: str = "undelivered"
    channel: str | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "OutboxQuery":
        view = args.get("status") or "undelivered"
        channel = args.get("channel") or None
        return cls(view=view if view in VIEWS else "undelivered",
                   channel=channel if channel in outbox.CHANNELS else None, page=page_number(args))


def _condition(q: OutboxQuery):
    condition = OutboxMessage.id.is_not(None)
    if q.view == "undelivered":
        condition &= or_(OutboxMessage.status == "failed",
                         (OutboxMessage.status == "pending") & (OutboxMessage.attempts > 0))
    elif q.view != "all":
        condition &= OutboxMessage.status == q.view
    if q.channel:
        condition &= OutboxMessage.channel == q.channel
    return condition


def outbox_page(session, q: OutboxQuery) -> tuple[list[OutboxMessage], int, dict]:
    """(messages, total, count per status), newest first."""
    condition = _condition(q)
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(condition)) or 0
    rows = session.scalars(select(OutboxMessage).where(condition).order_by(OutboxMessage.created_at.desc(),
                                                                           OutboxMessage.id.desc())
                           .limit(PAGE_SIZE).offset((q.page - 1) * PAGE_SIZE)).all()
    counts = {s: 0 for s in outbox.STATUSES} | dict(session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    counts["undelivered"] = outbox.undelivered_count(session)
    return list(rows), total, counts


def retry_one(session, row: OutboxMessage, actor: str, now) -> None:
    """Due again now (the address re-read from the user); one audit event. Raises ValueError if sent."""
    before = {"status": row.status, "attempts": row.attempts, "last_error": row.last_error}
    outbox.retry(session, row, now)
    audit.record(session, f"outbox:{row.id}", at=now, actor=actor, action="outbox.retried", before=before,
                 after={"status": row.status, "address": row.address})


@bp.get("")
def index():
    """Undelivered messages first (failed, or retrying after an error), with the last error and a retry button."""
    q = OutboxQuery.from_args(request.args)
    rows, total, counts = outbox_page(db.session(), q)
    return render_template("admin/outbox.html", rows=rows, total=total, counts=counts, q=q, views=VIEWS,
                           channels=outbox.CHANNELS, page_size=PAGE_SIZE)


@bp.post("/<int:message_id>/retry")
def retry(message_id):
    """Send one message again at the next scheduler tick."""
    session = db.session()
    row = session.get(OutboxMessage, message_id)
    if row is None or request.form.get("lock_version") != str(row.lock_version):
        flash(_("The message changed meanwhile or does not exist; reload and try again."), "error")
        return redirect(url_for("outbox.index"))
    try:
        retry_one(session, row, current_user.username, engine_of(current_app).clock.now())
    except ValueError as err:
        session.rollback()
        flash(str(err), "error")
        return redirect(url_for("outbox.index"))
    session.commit()
    if row.status == "failed":
        flash(row.last_error, "error")
    else:
        flash(_("Message %(id)s will be sent again at the next scheduler tick.", id=row.id), "success")
    return redirect(url_for("outbox.index"))


@bp.post("/retry-failed")
def retry_failed():
    """Every failed or retrying message is due again now (e.g. after the SMS gateway was repaired)."""
    session = db.session()
    now = engine_of(current_app).clock.now()
    rows = session.scalars(select(OutboxMessage).where(_condition(OutboxQuery()))).all()
    for row in rows:
        outbox.retry(session, row, now)
    audit.record(session, "outbox", at=now, actor=current_user.username, action="outbox.retried_all",
                 after={"ids": [r.id for r in rows]})
    session.commit()
    flash(ngettext("%(num)d message will be sent again at the next scheduler tick.",
                   "%(num)d messages will be sent again at the next scheduler tick.", len(rows)), "success")
    return redirect(url_for("outbox.index"))
