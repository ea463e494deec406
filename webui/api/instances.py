"""Instances: list, one with what it waits for, and the admin actions (admins and process owners look,
admins act)."""
from __future__ import annotations

from datetime import datetime

from flask_smorest import Blueprint

from services import instances as service

from .. import current, db
from .schemas import ActionSchema, InstanceDetailSchema, InstanceListArgs, InstancePageSchema, InstanceSchema

_FIELDS = tuple(InstanceSchema().fields)      # a schema object per request costs more than the query

blp = Blueprint("instances", __name__, url_prefix="/api/v1/instances", description="Process instances")


@blp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.get("")
@blp.arguments(InstanceListArgs, location="query")
@blp.response(200, InstancePageSchema)
def list_instances(args):
    """Instances filtered by process, version, status, business key and start date; newest first."""
    q = service.InstanceQuery(process=args["process"], version=args["version"], status=args["status"],
                              key=args["key"], started_from=args["started_from"], started_to=args["started_to"],
                              page=args["page"])
    rows, total = service.instance_page(current.runtime(), db.session(), current.actor(), q)
    return {"total": total, "page": q.page, "page_size": service.PAGE_SIZE, "items": [row[0] for row in rows]}


@blp.get("/<int:instance_id>")
@blp.response(200, InstanceDetailSchema)
def get_instance(instance_id):
    """One instance: status, open tasks, timers, awaited messages, elements, data, audit trail, error."""
    view = service.describe(current.runtime(), db.session(), current.actor(), instance_id, with_version=False)
    instance = view["instance"]
    out = {name: getattr(instance, name) for name in _FIELDS}
    out.update(error_traceback=instance.error_traceback, open_tasks=view["open_tasks"],
               timers=[{**t, "due_at": t["due_at"].isoformat()} for t in view["timers"]],
               messages=[{"message": m.message_name, "correlation_key": m.correlation_key,
                          "element_id": m.element_id} for m in view["messages"]],
               elements=view["elements"], data=_jsonable(view["data"]),
               events=[{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                        "element_id": e.element_id, "reason": e.reason, "before": e.before, "after": e.after}
                       for e in view["events"]])
    return out


@blp.post("/<int:instance_id>/actions")
@blp.arguments(ActionSchema)
@blp.response(200, InstanceSchema)
def act_on_instance(args, instance_id):
    """retry, skip (with data), suspend, resume or terminate — each with a reason, each audited."""
    return service.act(current.runtime(), db.session(), current.actor(), instance_id, args["action"],
                       args["reason"], args["data"])


def _jsonable(data: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()}
