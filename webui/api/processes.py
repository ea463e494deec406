"""Processes: the deployed versions, and starting an instance with data."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from engine import Definition, HumanTask, ModelVersion

from .. import db, engine_of
from ..permissions import offered
from .schemas import ProcessSchema, StartedSchema, StartSchema

blp = Blueprint("processes", __name__, url_prefix="/api/v1/processes", description="Deployed processes")


@blp.get("")
@blp.response(200, ProcessSchema(many=True))
def list_processes():
    """Every deployed version of every process, newest first."""
    session = db.session()
    rows = session.execute(select(Definition, ModelVersion).join(ModelVersion)
                           .where(Definition.kind == "process")
                           .order_by(Definition.definition_id, ModelVersion.version.desc())).all()
    seen, out = set(), []
    for definition, version in rows:
        out.append({"process_id": definition.definition_id, "title": definition.title, "model": version.name,
                    "version": version.version, "model_version_id": version.id, "deployed_at": version.deployed_at,
                    "deployed_by": version.deployed_by, "content_hash": version.content_hash,
                    "latest": definition.definition_id not in seen})
        seen.add(definition.definition_id)
    return out


@blp.post("/instances")
@blp.arguments(StartSchema)
@blp.response(201, StartedSchema)
@blp.alt_response(404, description="No such process is deployed")
def start_instance(args):
    """Start the newest version of a process with initial data; returns the tasks now ready for you."""
    session = db.session()
    instance = engine_of(current_app).start_instance(
        session, args["process_id"], actor=current_user.username, business_key=args["business_key"],
        data=args["data"], title=args["title"], subject=args["subject"])
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                    HumanTask.status == "ready")).all()
    return {"instance": instance, "ready_tasks": [t for t in tasks if offered(t, current_user)]}

