"""Hazard pages: the list, the dossier (一患一档), opening a hazard by hand, cancelling, documents."""
from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from services import Conflict, Invalid, cancellations, hazards, indicators, vocabulary, work

from ..current import actor, runtime
from ..db import session

bp = Blueprint("hazards", __name__)


@bp.get("/hazards")
def index():
    """The hazard list: filters, search by file number, pages of 50."""
    rt, q = runtime(), hazards.HazardQuery.from_args(request.args)
    rows, total = hazards.hazard_page(rt, session(), actor(), q)
    return render_template("hazards/index.html", rows=rows, total=total, q=q, now=rt.now(),
                           teams=hazards.filter_teams(rt, session(), actor()),
                           statuses=vocabulary.HAZARD_STATUSES, status_names=vocabulary.HAZARD_STATUS_NAMES,
                           severity_names=vocabulary.SEVERITY_NAMES, page_size=hazards.PAGE_SIZE,
                           kpi_labels=indicators.SET_LABELS)


@bp.get("/hazards/<file_number>")
def dossier_page(file_number):
    """The dossier: facts, deadlines, where the process stands, timeline, documents, photos. Printable."""
    rt = runtime()
    view = hazards.dossier(rt, session(), actor(), file_number)
    return render_template("hazards/dossier.html", view=view, status_names=vocabulary.HAZARD_STATUS_NAMES,
                           severity_names=vocabulary.SEVERITY_NAMES, now=rt.now(),
                           may_request_cancel=cancellations.may_request(actor()),
                           may_decide_cancel=view["cancellation"] is not None
                           and cancellations.may_decide(rt, actor(), view["cancellation"]))


@bp.route("/hazards/new", methods=["GET", "POST"])
def new():
    """Open a hazard by hand (outside an inspection): it starts the same process."""
    rt = runtime()
    values, errors, photos, key = {}, {}, [], uuid.uuid4().hex      # the key names this form's submission
    if request.method == "POST":
        values = {name: (request.form.get(name) or "").strip() for name in hazards.OPEN_FIELDS}
        key = request.form.get("idempotency_key") or key
        uploads = [(upload.read(), upload.filename) for upload in request.files.getlist("photos")
                   if upload and upload.filename]
        try:
            opened = hazards.open_hazard(rt, session(), actor(), values, request.form.getlist("photos"), uploads,
                                         idempotency_key=key)
        except hazards.OpeningRefused as err:
            errors, photos = err.errors, err.photos
        else:
            return _after_opening(opened)
    return render_template("hazards/new.html", items=hazards.opening_items(rt, session(), actor()), values=values,
                           errors=errors, photos=photos, severity_names=vocabulary.SEVERITY_NAMES,
                           idempotency_key=key), 422 if errors else 200


def _after_opening(opened):
    if opened.status == "error":
        flash(work.failure_note([opened.file_number] if opened.file_number else []), "error")
        return redirect(url_for("inbox.index"))
    if not opened.visible:        # the customer's team follows it up: say so, rather than show a 404
        flash(_("Hazard file %(number)s opened; team %(team)s follows it up.", number=opened.file_number,
                team=opened.team or "—"), "success")
        return redirect(url_for("hazards.index"))
    flash(_("Hazard file %(number)s opened.", number=opened.file_number), "success")
    return redirect(url_for("hazards.dossier_page", file_number=opened.file_number))


@bp.post("/hazards/<file_number>/cancel")
def cancel(file_number):
    """Ask to cancel a hazard raised in error (已撤销): a reason is required; a leader decides."""
    try:
        cancellations.request(runtime(), session(), actor(), file_number, request.form.get("reason"))
    except (Invalid, Conflict) as err:
        flash(err.message, "error")
    else:
        flash(_("Cancellation of %(number)s requested; a leader decides.", number=file_number), "success")
    return redirect(url_for("hazards.dossier_page", file_number=file_number))


@bp.post("/cancellations/<int:request_id>")
def decide_cancellation(request_id):
    """Approve or refuse a cancellation request (approve=yes cancels the hazard from now)."""
    try:
        row = cancellations.decide(runtime(), session(), actor(), request_id,
                                   approve=request.form.get("approve") == "yes",
                                   lock_version=request.form.get("lock_version"), comment=request.form.get("comment"))
    except (Invalid, Conflict) as err:
        flash(err.message, "error")
        return redirect(request.referrer or url_for("hazards.cancellation_list"))
    flash(_("Hazard %(number)s cancelled.", number=row.hazard.file_number) if row.status == "approved"
          else _("Cancellation of %(number)s refused.", number=row.hazard.file_number), "success")
    return redirect(url_for("hazards.dossier_page", file_number=row.hazard.file_number))


@bp.get("/cancellations")
def cancellation_list():
    """Cancellation requests waiting for a decision, in reach."""
    rt = runtime()
    return render_template("hazards/cancellations.html", rows=cancellations.pending(rt, session(), actor()),
                           may_decide=lambda row: cancellations.may_decide(rt, actor(), row))


@bp.get("/documents/<int:document_id>/state")
def document_state(document_id):
    """The document's line: 生成中 (polled again every second) until it is rendered, then its link."""
    return render_template("_document_state.html", doc=hazards.document_row(runtime(), session(), actor(), document_id))


@bp.get("/documents/<int:document_id>")
def document(document_id):
    """Download a generated document (any version)."""
    doc, stream = hazards.document(runtime(), session(), actor(), document_id)
    response = send_file(stream, mimetype=doc.content_type, as_attachment=True, download_name=doc.filename)
    response.content_length = doc.size
    return response
