"""Messages from outside (e.g. the customer reports rectification), routed to the one waiting instance."""
from __future__ import annotations

from flask_smorest import Blueprint

from services import processes

from .. import current, db
from .schemas import InstanceSchema, MessageSchema, problem_response

blp = Blueprint("messages", __name__, url_prefix="/api/v1/messages", description="Message delivery")


@blp.post("")
@blp.arguments(MessageSchema)
@blp.response(200, InstanceSchema)
@blp.alt_response(**problem_response(404, "No instance waits for this message with this key, or none of its ready "
                                   "tasks is offered to you"))
def deliver_message(args):
    """Deliver a message by name and correlation key (the instance's business key); you need the right to
    do the task it replaces."""
    return processes.deliver_message(current.runtime(), db.session(), current.actor(), args["name"],
                                     args["correlation_key"], args["payload"])
