"""Customer risk (A/B/C, grey, 未监控) and the outbox, as the API sees them."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from records import customers, outbox
from records.outbox import OutboxMessage

from .. import db, engine_of
from ..outbox_admin import VIEWS, OutboxQuery, outbox_page, retry_one
from ..risk_views import PAGE_SIZE, STATUSES, RiskQuery, customer_json, customer_or_404, customer_risk, risk_page, \
    row_json
from ..work import local_today

blp = Blueprint("risk_api", __name__, url_prefix="/api/v1", description="Customer risk grades and warnings")
outbox_blp = Blueprint("outbox_api", __name__, url_prefix="/api/v1", description="The outbox (administrators)")


class RiskListArgs(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    klass = fields.String(data_key="class", load_default=None,
                          validate=validate.OneOf(customers.CLASSES + ("high_risk", "none")))
    branch = fields.String(load_default=None, validate=validate.Length(max=40))
    q = fields.String(load_default=None, validate=validate.Length(max=60))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))


class OutboxArgs(Schema):
    status = fields.String(load_default="undelivered", validate=validate.OneOf(VIEWS))
    channel = fields.String(load_default=None, validate=validate.OneOf(outbox.CHANNELS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))


@blp.get("/risk")
@blp.arguments(RiskListArgs, location="query")
@blp.response(200)
def list_risk(args):
    """Customers by risk, worst score first (pages of 50): status A/B/C, none (grey) or gap (未监控), drivers."""
    q = RiskQuery(status=args["status"], klass=args["klass"], branch=args["branch"], q=args["q"], page=args["page"])
    rows, total, counts = risk_page(db.session(), q, local_today())
    return {"total": total, "page": q.page, "page_size": PAGE_SIZE, "counts": counts,
            "items": [row_json(r) for r in rows]}


@blp.get("/risk/<number>")
@blp.response(200)
def get_customer_risk(number):
    """One customer: the current grade with its drivers, the history of grades, the warnings and their delivery."""
    session = db.session()
    return customer_json(customer_risk(session, customer_or_404(session, number), local_today()))


def message_json(m: OutboxMessage) -> dict:
    return {"id": m.id, "channel": m.channel, "kind": m.kind, "recipient": m.recipient, "address": m.address,
            "subject": m.subject, "status": m.status, "attempts": m.attempts, "last_error": m.last_error,
            "next_attempt_at": m.next_attempt_at.isoformat() if m.next_attempt_at else None,
            "created_at": m.created_at.isoformat(), "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            "warning_id": m.warning_id}


@outbox_blp.get("/outbox")
@outbox_blp.arguments(OutboxArgs, location="query")
@outbox_blp.response(200)
def list_outbox(args):
    """Messages by status (default: undelivered = failed, or retrying after an error), newest first."""
    q = OutboxQuery(view=args["status"], channel=args["channel"], page=args["page"])
    rows, total, counts = outbox_page(db.session(), q)
    return {"total": total, "page": q.page, "counts": counts, "items": [message_json(m) for m in rows]}


@outbox_blp.post("/outbox/<int:message_id>/retry")
@outbox_blp.response(200)
def retry_message(message_id):
    """Send a message again at the next scheduler tick (the recipient's address is read again)."""
    session = db.session()
    row = session.get(OutboxMessage, message_id)
    if row is None:
        abort(404, message=f"there is no message {message_id}")
    try:
        retry_one(session, row, current_user.username, engine_of(current_app).clock.now())
    except ValueError as err:
        session.rollback()
        abort(409, message=str(err))
    session.commit()
    return message_json(row)
