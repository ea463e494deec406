"""Messages from outside (e.g. the customer reports rectification), routed to the one waiting instance."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint

from .. import db, engine_of
from .schemas import InstanceSchema, MessageSchema

blp = Blueprint("messages", __name__, url_prefix="/api/v1/messages", description="Message delivery")


@blp.post("")
@blp.arguments(MessageSchema)
@blp.response(200, InstanceSchema)
@blp.alt_response(404, description="No instance waits for this message with this key")
def deliver_message(args):
    """Deliver a message by name and correlation key (the instance's business key)."""
    return engine_of(current_app).deliver_message(db.session(), args["name"], args["correlation_key"],
                                                  args["payload"], current_user.username)
