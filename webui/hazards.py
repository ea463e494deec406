"""Hazard pages: the list, the dossier (一患一档), opening a hazard by hand, cancelling, documents."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

import engine
from records import Team, dictionary, hazards
from records.hazards import record_event

from services import indicators

from . import db, engine_of, grading, work
from .hazard_views import (OPEN_FIELDS, PAGE_SIZE, HazardQuery, check_opening, document_or_404, dossier, hazard_page,
                           open_hazard, visible_hazard_or_404)

bp = Blueprint("hazards", __name__)


@bp.get("/hazards")
def index():
    """The hazard list: filters, search by file number, pages of 50."""
    session = db.session()
    q = HazardQuery.from_args(request.args)
    now = engine_of(current_app).clock.now()
    rows, total = hazard_page(session, current_user, q, now)
    teams = session.scalars(select(Team).where(Team.active.is_(True)).order_by(Team.code)).all()
    return render_template("hazards/index.html", rows=rows, total=total, q=q, now=now, teams=teams,
                           statuses=hazards.STATUSES, status_names=hazards.STATUS_NAMES,
                           severity_names=dictionary.SEVERITY_NAMES, page_size=PAGE_SIZE,
                           kpi_labels=indicators.SET_LABELS)


@bp.get("/hazards/<file_number>")
def dossier_page(file_number):
    """The dossier: facts, deadlines, where the process stands, timeline, documents, photos. Printable."""
    session = db.session()
    view = dossier(session, visible_hazard_or_404(session, current_user, file_number))
    return render_template("hazards/dossier.html", view=view, status_names=hazards.STATUS_NAMES,
                           severity_names=dictionary.SEVERITY_NAMES, now=engine_of(current_app).clock.now())


@bp.route("/hazards/new", methods=["GET", "POST"])
def new():
    """Open a hazard by hand (outside an inspection): it starts the same process."""
    session = db.session()
    items = dictionary.current_items(session)
    values, errors, photos = {}, {}, []
    if request.method == "POST":
        values = {name: (request.form.get(name) or "").strip() for name in OPEN_FIELDS}
        store = work.storer(session, current_user)
        photos = [p for p in request.form.getlist("photos") if len(p) == 64]
        for upload in request.files.getlist("photos"):
            if upload and upload.filename:
                try:
                    photos.append(store("photo", upload.read(), upload.filename))
                except ValueError as err:
                    errors["photos"] = str(err)
        data, found = check_opening(session, current_user, values, photos)
        errors = {**found, **errors}          # an upload error says more than "take a photo"
        if not errors:
            instance = open_hazard(session, current_user, data, values["customer"])
            if instance.status == "error":
                flash(_("The hazard was registered but a step failed; an administrator has been told."), "error")
                return redirect(url_for("inbox.index"))
            flash(_("Hazard file %(number)s opened.", number=instance.business_key), "success")
            return redirect(url_for("hazards.dossier_page", file_number=instance.business_key))
        session.commit()        # keep the uploaded photos for the corrected form
    return render_template("hazards/new.html", items=items, values=values, errors=errors, photos=photos,
                           severity_names=dictionary.SEVERITY_NAMES), 422 if errors else 200


@bp.post("/hazards/<file_number>/cancel")
def cancel(file_number):
    """Cancel a hazard raised in error (已撤销): a reason is required; the process is terminated."""
    session = db.session()
    hazard = visible_hazard_or_404(session, current_user, file_number)
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("Give a reason for cancelling."), "error")
        return redirect(url_for("hazards.dossier_page", file_number=file_number))
    if not hazard.is_open:
        flash(_("Only open hazards can be cancelled."), "error")
        return redirect(url_for("hazards.dossier_page", file_number=file_number))
    now = engine_of(current_app).clock.now()
    hazard.cancelled_reason = reason
    record_event(session, hazard, at=now, actor=current_user.username, kind="cancelled", status="cancelled",
                 detail={"reason": reason})
    try:
        grading.regrade(engine_of(current_app), session, hazard.customer, "cancelled", current_user.username)
        engine_of(current_app).terminate(session, hazard.instance_id, current_user.username, f"撤销隐患：{reason}")
    except (engine.EngineError, ValueError) as err:
        session.rollback()
        flash(str(err), "error")
        return redirect(url_for("hazards.dossier_page", file_number=file_number))
    flash(_("Hazard %(number)s cancelled.", number=file_number), "success")
    return redirect(url_for("hazards.dossier_page", file_number=file_number))


@bp.get("/documents/<int:document_id>")
def document(document_id):
    """Download a generated document (any version)."""
    doc = document_or_404(db.session(), current_user, document_id)
    path = work.file_store().path(doc.sha256)
    return send_file(path, mimetype=doc.content_type, as_attachment=True, download_name=doc.filename)


