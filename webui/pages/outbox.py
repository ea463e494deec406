"""The administrators' outbox page: messages that could not be delivered (with the reason), and
retrying them. HTTP only: services.outbox decides and writes."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from services import Conflict, NotFound, outbox, rendering

from .. import current, db
from ..rendering import page_number

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")


@bp.get("")
def index():
    """Undelivered messages first (failed, or retrying after an error), with the last error and a retry button."""
    q = outbox.OutboxQuery(view=request.args.get("status") or "undelivered", channel=request.args.get("channel"),
                           page=page_number(request.args))
    rows, total, counts = outbox.messages(current.runtime(), db.session(), current.actor(), q)
    renders, render_counts = rendering.failed_jobs(db.session(), current.actor())
    return render_template("outbox/index.html", rows=rows, total=total, counts=counts, q=q, views=outbox.VIEWS,
                           channels=outbox.CHANNELS, page_size=outbox.PAGE_SIZE, renders=renders,
                           render_counts=render_counts)


@bp.post("/<int:message_id>/retry")
def retry(message_id):
    """Send one message again at the next scheduler tick."""
    try:
        row = outbox.retry(current.runtime(), db.session(), current.actor(), message_id,
                           lock_version=request.form.get("lock_version", ""))
    except NotFound:
        flash(_("The message changed meanwhile or does not exist; reload and try again."), "error")
    except Conflict as err:
        flash(err.message, "error")
    else:
        if row.status == "failed":
            flash(row.last_error, "error")
        else:
            flash(_("Message %(id)s will be sent again at the next scheduler tick.", id=row.id), "success")
    return redirect(url_for("outbox.index"))


@bp.post("/retry-failed")
def retry_failed():
    """Every failed or retrying message is due again now (e.g. after the SMS gateway was repaired)."""
    count = outbox.retry_undelivered(current.runtime(), db.session(), current.actor())
    flash(ngettext("%(num)d message will be sent again at the next scheduler tick.",
                   "%(num)d messages will be sent again at the next scheduler tick.", count), "success")
    return redirect(url_for("outbox.index"))


@bp.post("/renders/retry-failed")
def retry_failed_renders():
    """Every document that could not be generated is due again (e.g. after its template was repaired)."""
    count, left = rendering.retry_failed(current.runtime(), db.session(), current.actor())
    flash(ngettext("%(num)d document will be generated again at the next scheduler tick.",
                   "%(num)d documents will be generated again at the next scheduler tick.", count), "success")
    if left:
        flash(_("%(num)d more could not be generated: retry them once these are done.", num=left), "info")
    return redirect(url_for("outbox.index"))


@bp.post("/renders/<int:job_id>/retry")
def retry_render(job_id):
    """Render a document whose render job failed again (now when this process renders, else at the next tick)."""
    try:
        job = rendering.retry(current.runtime(), db.session(), current.actor(), job_id)
    except (NotFound, Conflict) as err:
        flash(err.message, "error")
    else:
        if job.status == "done":
            flash(_("The document has been generated."), "success")
        elif job.status == "failed" or job.last_error:
            flash(job.last_error, "error")
        else:
            flash(_("The document will be generated at the next scheduler tick."), "success")
    return redirect(url_for("outbox.index"))
