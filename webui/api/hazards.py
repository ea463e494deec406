"""Hazard files: the list, one dossier, opening a hazard, downloading its documents (HTTP only: services.hazards
decides)."""
from __future__ import annotations

from flask import request, send_file
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from services import vocabulary
from services import cancellations, hazards as service, reports

from ..current import actor, runtime
from ..db import session
from .schemas import PAGE

blp = Blueprint("hazards_api", __name__, url_prefix="/api/v1", description="Hazard files (一患一档)")


class HazardListArgs(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(vocabulary.HAZARD_STATUSES + ("open",)))
    severity = fields.String(load_default=None, validate=validate.OneOf(vocabulary.SEVERITIES))
    overdue = fields.Boolean(load_default=False)
    customer = fields.String(load_default=None, validate=validate.Length(max=20))
    team = fields.String(load_default=None, validate=validate.Length(max=40))
    branch = fields.String(load_default=None, validate=validate.Length(max=40))
    q = fields.String(load_default=None, validate=validate.Length(max=40))
    page = fields.Integer(load_default=1, validate=PAGE)


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
    severity = fields.String(load_default=None, validate=validate.OneOf(vocabulary.SEVERITIES))
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


class NotFiledSchema(Schema):
    status = fields.String(metadata={"description": "the process instance's status: error"})
    instance_id = fields.Integer()
    error = fields.String(allow_none=True)
    message = fields.String()


@blp.post("/hazards")
@blp.arguments(OpenSchema)
@blp.response(201)
@blp.alt_response(202, schema=NotFiledSchema, description="Received, but the file could not be opened yet: its first "
                  "step failed and waits for an administrator's retry. Sending the same request again (same key or "
                  "same content) answers the same, and 201 with the dossier once it is filed; it never opens a second file.")
def open_hazard_api(args):
    """Open a hazard by hand on a customer in your scope; photos are ids of uploaded photos. Returns the new
    dossier (also when the customer's team, not yours, follows it up). Nothing is written when refused.
    Send an `Idempotency-Key` header (8-64 letters, digits, - or _) to retry safely: a retry with the same
    key returns the file the first request opened. Without the header the request's content is the key."""
    photos = args.pop("photos")
    try:
        opened = service.open_hazard(runtime(), session(), actor(), args, photos, with_dossier=True,
                                     idempotency_key=request.headers.get("Idempotency-Key"), key_from_content=True)
    except service.OpeningRefused as err:
        abort(422, message="the hazard cannot be opened", errors=err.errors)
    if opened.dossier is None:            # the first step failed: the instance waits for an admin's retry
        return NotFiledSchema().dump({"status": opened.status, "instance_id": opened.instance_id,
                                      "error": opened.error, "message": "the hazard is recorded but its file "
                                      "could not be opened yet; an administrator retries it"}), 202
    return service.dossier_json(opened.dossier)     # filed (a later step that failed shows in the dossier)


@blp.get("/documents/<int:document_id>")
@blp.response(200, description="The .docx file")
def download_document(document_id):
    """A generated document (any version) of an object in your scope."""
    doc, stream = service.document(runtime(), session(), actor(), document_id)
    response = send_file(stream, mimetype=doc.content_type, as_attachment=True, download_name=doc.filename)
    response.content_length = doc.size
    return response


# --- reports to the government (报告到位) ------------------------------------------------------------

class ReportRowSchema(Schema):
    id = fields.Integer()
    document_id = fields.Integer()
    document_number = fields.String()
    hazard_id = fields.Integer(allow_none=True)
    customer_id = fields.Integer(allow_none=True)
    reason = fields.String()
    recipient = fields.String()
    status = fields.String()
    delivery = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    submitted_by = fields.String(allow_none=True)
    reply = fields.String(allow_none=True)
    created_at = fields.DateTime()
    lock_version = fields.Integer()


class SubmissionSchema(Schema):
    delivery = fields.String(required=True, validate=validate.OneOf(reports.DELIVERIES))
    lock_version = fields.Integer(required=True)
    submitted_on = fields.String(load_default=None, validate=validate.Length(max=10))
    reply = fields.String(load_default=None, validate=validate.Length(max=reports.REPLY_MAX))


class ReplySchema(Schema):
    reply = fields.String(required=True, validate=validate.Length(min=1, max=reports.REPLY_MAX))
    lock_version = fields.Integer(required=True)


def _report_row(log, doc=None) -> dict:
    row = {c: getattr(log, c) for c in ReportRowSchema._declared_fields if hasattr(log, c)}
    row["document_number"] = doc.number if doc is not None else None
    return row


@blp.get("/reports")
@blp.response(200, ReportRowSchema(many=True))
def list_reports():
    """The report log in your scope, newest first: one row per report and recipient."""
    return [_report_row(log, doc) for log, doc in reports.report_log(runtime(), session(), actor())]


@blp.post("/reports/<int:log_id>/submission")
@blp.arguments(SubmissionSchema)
@blp.response(200, ReportRowSchema)
def submit_report(args, log_id):
    """Record that the report went to its recipient (the day, how; the reply if any): the hazard counts as
    reported to the government from then."""
    return _report_row(reports.submit(runtime(), session(), actor(), log_id, **args))


@blp.post("/reports/<int:log_id>/reply")
@blp.arguments(ReplySchema)
@blp.response(200, ReportRowSchema)
def reply_report(args, log_id):
    """The recipient's reply to a submitted report; it goes on the hazard's timeline."""
    return _report_row(reports.record_reply(runtime(), session(), actor(), log_id, **args))


# --- cancelling a hazard raised in error: a request, and a leader's decision -------------------------

class CancellationSchema(Schema):
    id = fields.Integer()
    file_number = fields.Function(lambda row: row.hazard.file_number)
    reason = fields.String()
    status = fields.String()
    requested_by = fields.String()
    requested_at = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    comment = fields.String(allow_none=True)
    lock_version = fields.Integer()


class CancelRequestSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=cancellations.REASON_MAX))


class CancelDecisionSchema(Schema):
    approve = fields.Boolean(required=True)
    lock_version = fields.Integer(required=True)
    comment = fields.String(load_default=None, validate=validate.Length(max=cancellations.REASON_MAX))


@blp.post("/hazards/<file_number>/cancellation")
@blp.arguments(CancelRequestSchema)
@blp.response(201, CancellationSchema)
def request_cancellation(args, file_number):
    """Ask to cancel a hazard raised in error, with a reason; it stays as it is until a leader approves."""
    return cancellations.request(runtime(), session(), actor(), file_number, args["reason"])


@blp.get("/cancellations")
@blp.response(200, CancellationSchema(many=True))
def list_cancellations():
    """Cancellation requests waiting for a decision, on hazards in your scope."""
    return cancellations.pending(runtime(), session(), actor())


@blp.post("/cancellations/<int:request_id>")
@blp.arguments(CancelDecisionSchema)
@blp.response(200, CancellationSchema)
def decide_cancellation(args, request_id):
    """Approve (the hazard is cancelled from now on) or refuse a request; not the requester's own."""
    return cancellations.decide(runtime(), session(), actor(), request_id, **args)
