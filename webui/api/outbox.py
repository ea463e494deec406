"""The outbox as the API sees it (administrators): messages by status, and retrying one. HTTP only:
services.outbox decides and writes."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services import outbox

from .. import current, db
from .schemas import PAGE

blp = Blueprint("outbox_api", __name__, url_prefix="/api/v1", description="The outbox (administrators)")


class OutboxArgs(Schema):
    status = fields.String(load_default="undelivered", validate=validate.OneOf(outbox.VIEWS))
    channel = fields.String(load_default=None, validate=validate.OneOf(outbox.CHANNELS))
    page = fields.Integer(load_default=1, validate=PAGE)


def message_json(m) -> dict:
    return {"id": m.id, "channel": m.channel, "kind": m.kind, "recipient": m.recipient, "address": m.address,
            "subject": m.subject, "status": m.status, "attempts": m.attempts, "last_error": m.last_error,
            "next_attempt_at": m.next_attempt_at.isoformat() if m.next_attempt_at else None,
            "created_at": m.created_at.isoformat(), "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            "warning_id": m.warning_id}


@blp.get("/outbox")
@blp.arguments(OutboxArgs, location="query")
@blp.response(200)
def list_outbox(args):
    """Messages by status (default: undelivered = failed, or retrying after an error), newest first."""
    q = outbox.OutboxQuery(view=args["status"], channel=args["channel"], page=args["page"])
    rows, total, counts = outbox.messages(current.runtime(), db.session(), current.actor(), q)
    return {"total": total, "page": q.page, "counts": counts, "items": [message_json(m) for m in rows]}


@blp.post("/outbox/<int:message_id>/retry")
@blp.response(200)
def retry_message(message_id):
    """Send a message again at the next scheduler tick (the recipient's address is read again)."""
    return message_json(outbox.retry(current.runtime(), db.session(), current.actor(), message_id))
