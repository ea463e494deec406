"""Hazard files: the list, one dossier, opening a hazard, downloading its documents (HTTP only: services.hazards
decides)."""
from __future__ import annotations

from flask import send_file
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from records import dictionary, hazards
from services import hazards as service

from ..current import actor, runtime
from ..db import session

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
    q = service.HazardQuery(**args)
    rows, total = service.hazard_page(runtime(), session(), actor(), q)
    return {"total": total, "page": q.page, "page_size": service.PAGE_SIZE, "items": rows}


@blp.get("/hazards/<file_number>")
@blp.response(200)
def get_hazard(file_number):
    """One dossier: the record, timeline, documents, photos and open tasks."""
    return service.dossier_json(service.dossier(runtime(), session(), actor(), file_number))


@blp.post("/hazards")
@blp.arguments(OpenSchema)
@blp.response(201)
def open_hazard_api(args):
    """Open a hazard by hand on a customer in your scope; photos are ids of uploaded photos. Returns the new
    dossier (also when the customer's team, not yours, follows it up). Nothing is written when refused."""
    photos = args.pop("photos")
    try:
        opened = service.open_hazard(runtime(), session(), actor(), args, photos, with_dossier=True)
    except service.OpeningRefused as err:
        abort(422, message="the hazard cannot be opened", errors=err.errors)
    if opened.dossier is None:            # the first step failed: the instance waits for an admin's retry
        abort(500, message=f"the hazard could not be filed: {opened.error}")
    return service.dossier_json(opened.dossier)     # filed (a later step that failed shows in the dossier)


@blp.get("/documents/<int:document_id>")
@blp.response(200, description="The .docx file")
def download_document(document_id):
    """A generated document (any version) of an object in your scope."""
    doc, stream = service.document(runtime(), session(), actor(), document_id)
    response = send_file(stream, mimetype=doc.content_type, as_attachment=True, download_name=doc.filename)
    response.content_length = doc.size
    return response
