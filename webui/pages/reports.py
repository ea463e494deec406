"""The report log (报告到位: what went to the government, and when) and the in-app notifications."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services import Conflict, Invalid, reports

from ..current import actor, runtime
from ..db import session

bp = Blueprint("reports", __name__)


@bp.get("/reports")
def index():
    """Government reports: pending ones can be marked as submitted (how, and the reply)."""
    return render_template("reports/index.html", rows=reports.report_log(runtime(), session(), actor()),
                           can_submit=reports.may_submit(actor()))


@bp.post("/reports/<int:log_id>")
def submit(log_id):
    """Record that a report was submitted to its recipient (the day, how, and the reply if any)."""
    try:
        reports.submit(runtime(), session(), actor(), log_id, delivery=request.form.get("delivery"),
                       lock_version=request.form.get("lock_version"), reply=request.form.get("reply"),
                       submitted_on=request.form.get("submitted_on"))
    except (Conflict, Invalid) as err:
        flash(err.message, "error")
    else:
        flash(_("Report marked as submitted."), "success")
    return redirect(url_for("reports.index"))


@bp.post("/reports/<int:log_id>/reply")
def reply(log_id):
    """Record the recipient's reply to a submitted report (it goes on the hazard's timeline)."""
    try:
        reports.record_reply(runtime(), session(), actor(), log_id, reply=request.form.get("reply"),
                             lock_version=request.form.get("lock_version"))
    except (Conflict, Invalid) as err:
        flash(err.message, "error")
    else:
        flash(_("Reply recorded."), "success")
    return redirect(url_for("reports.index"))


@bp.get("/notifications")
def notifications():
    """My notifications, newest first."""
    rows = reports.notifications(runtime(), session(), actor())
    return render_template("reports/notifications.html", rows=rows, unread=any(n.read_at is None for n in rows))


@bp.post("/notifications/read")
def read_all():
    """Mark all my notifications as read."""
    reports.read_all(runtime(), session(), actor())
    return redirect(url_for("reports.notifications"))
