"""Hazard files: the list, one dossier, opening a hazard, downloading its documents."""
from __future__ import annotations

from flask import current_app, send_file
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from records import Attachment, dictionary, hazards

from .. import db, engine_of, work
from ..hazard_views import (PAGE_SIZE, HazardQuery, check_opening, document_or_404, dossier, dossier_json, hazard_page,
                            open_hazard, visible_hazard_or_404)

blp = Blueprint("hazards_api", __name__, url_prefix="/api/v1", description="Hazard files (一患一档)")


class HazardListArgs(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(hazards.STATUSES + ("open",)))
    severity = fields.String(load_default=None, validate=validate.OneOf(dictionary.SEVERITIES))
    overdue = fields.Boolean(load_default=False)
    customer = fields.String(load_default=None, validate=validate.Length(max=20))
    team = fields.String(load_default=None, validate=validate.Length(max=40))
    branch = fields.String(load_default=None, validate=validate.Length(max=40))
    q = fields.String(load_default=None, validate=validate.Length(max=40))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))


class HazardRowSchema(Schema):
    file_number = fields.String()
    status = fields.String()
    severity = fields.String()
    item_code = fields.String()
    item_name = fields.Function(lambda h: h.item["name_zh"])
    customer_number = fields.Function(lambda h: h.customer.number)
    customer_name = fields.Function(lambda h: h.customer.name)
    deadline = fields.DateTime()
    supervision_count = fields.Integer()
    reported_to_government = fields.Boolean()
    opened_at = fields.DateTime()


class HazardPageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    items = fields.List(fields.Nested(HazardRowSchema))


class OpenSchema(Schema):
    customer = fields.String(required=True, validate=validate.Length(max=20))
    item_code = fields.String(required=True, validate=validate.Length(max=10))
    location = fields.String(required=True, validate=validate.Length(max=200))
    equipment = fields.String(load_default=None, validate=validate.Length(max=200))
    description = fields.String(required=True, validate=validate.Length(max=2000))
    photos = fields.List(fields.String(validate=validate.Length(equal=64)), required=True)
    severity = fields.String(load_default=None, validate=validate.OneOf(dictionary.SEVERITIES))
    severity_reason = fields.String(load_default=None, validate=validate.Length(max=500))
    interim_measures = fields.String(load_default=None, validate=validate.Length(max=1000))


@blp.get("/hazards")
@blp.arguments(HazardListArgs, location="query")
@blp.response(200, HazardPageSchema)
def list_hazards(args):
    """Hazards in your scope, filtered, newest first (pages of 50)."""
    q = HazardQuery(**args)
    rows, total = hazard_page(db.session(), current_user, q, engine_of(current_app).clock.now())
    return {"total": total, "page": q.page, "page_size": PAGE_SIZE, "items": rows}


@blp.get("/hazards/<file_number>")
@blp.response(200)
def get_hazard(file_number):
    """One dossier: the record, timeline, documents, photos and open tasks."""
    session = db.session()
    return dossier_json(dossier(session, visible_hazard_or_404(session, current_user, file_number)))


@blp.post("/hazards")
@blp.arguments(OpenSchema)
@blp.response(201)
def open_hazard_api(args):
    """Open a hazard by hand; photos are ids of uploaded attachments. Returns the new dossier."""
    session = db.session()
    photos = args.pop("photos")
    for digest in photos:
        row = session.get(Attachment, digest)
        if row is None or row.kind != "photo":
            abort(422, message="a photo is not an uploaded photo", errors={"photos": [digest]})
    data, errors = check_opening(session, current_user, args, photos)
    if errors:
        abort(422, message="the hazard cannot be opened", errors=errors)
    instance = open_hazard(session, current_user, data, args["customer"])
    if instance.status == "error":
        abort(500, message=f"the hazard could not be filed: {instance.error_message}")
    return dossier_json(dossier(session, visible_hazard_or_404(session, current_user, instance.business_key)))


@blp.get("/documents/<int:document_id>")
@blp.response(200, description="The .docx file")
def download_document(document_id):
    """A generated document (any version)."""
    doc = document_or_404(db.session(), current_user, document_id)
    return send_file(work.file_store().path(doc.sha256), mimetype=doc.content_type, as_attachment=True,
                     download_name=doc.filename)
