"""The report log (报告到位: what went to the government, and when) and the in-app notifications."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update

from engine import audit
from records import Document, Notification, ReportLog

from . import db, engine_of

bp = Blueprint("reports", __name__)
DELIVERIES = ("post", "email", "in_person", "system")


@bp.get("/reports")
def index():
    """Government reports: pending ones can be marked as submitted (how, and the reply)."""
    rows = db.session().execute(select(ReportLog, Document).join(Document, Document.id == ReportLog.document_id)
                                .order_by(ReportLog.created_at.desc()).limit(500)).all()
    return render_template("reports/index.html", rows=rows,
                           can_submit=current_user.has_role("leader", "specialist", "admin"))


@bp.post("/reports/<int:log_id>")
def submit(log_id):
    """Record that a report was submitted to the government."""
    session = db.session()
    log = session.get(ReportLog, log_id) or abort(404)
    delivery = request.form.get("delivery")
    if delivery not in DELIVERIES or request.form.get("lock_version") != str(log.lock_version):
        flash(_("The report changed meanwhile or the delivery is unknown; reload and try again."), "error")
        return redirect(url_for("reports.index"))
    now = engine_of(current_app).clock.now()
    log.status, log.delivery, log.submitted_at = "submitted", delivery, now
    log.submitted_by, log.reply = current_user.username, (request.form.get("reply") or "").strip()[:1000] or None
    audit.record(session, f"report:{log.id}", at=now, actor=current_user.username, action="report.submitted",
                 after={"delivery": delivery, "reply": log.reply})
    session.commit()
    flash(_("Report marked as submitted."), "success")
    return redirect(url_for("reports.index"))


@bp.get("/notifications")
def notifications():
    """My notifications, newest first."""
    session = db.session()
    rows = session.scalars(select(Notification).where(Notification.user_id == current_user.id)
                           .order_by(Notification.created_at.desc()).limit(200)).all()
    return render_template("reports/notifications.html", rows=rows, unread=any(n.read_at is None for n in rows))


@bp.post("/notifications/read")
def read_all():
    """Mark all my notifications as read."""
    session = db.session()
    table = Notification.__table__
    session.execute(update(table).where(table.c.user_id == current_user.id, table.c.read_at.is_(None))
                    .values(read_at=engine_of(current_app).clock.now()))
    session.commit()
    return redirect(url_for("reports.notifications"))
